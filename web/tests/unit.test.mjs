// Unit tests of the map's pure modules with node's own test runner (no browser):
//   node --test tests/unit.test.mjs
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {toCsv} from '../js/csv.js';
import {countIndustries, datetimeOf, filterParams, paramsKey} from '../js/filters.js';
import {DEFAULTS, YEARS, formatHash, parseHash, parseSel} from '../js/hash.js';
import {classRange, topUnits} from '../js/legend.js';
import {circle, formatNear, parseNear} from '../js/near.js';
import {memo, part} from '../js/parts.js';
import {nextYear, yearOfSlider} from '../js/timeline.js';

test('the hash keeps view and choices and drops defaults', () => {
  const state = {...DEFAULTS, view: {zoom: 9, lat: 38.076, lon: 116.578}, industry: 'foundry', measure: 'lq', sel: 'cluster:clusters/botou-casting', near: '116.57800,38.07600,5,50000'};
  const hash = formatHash(state);
  assert.equal(hash, '#map=9.00/38.0760/116.5780&industry=foundry&measure=lq&sel=cluster:clusters/botou-casting&near=116.57800,38.07600,5,50000');
  assert.deepEqual(parseHash(hash), state);
});

test('bad hash values fall back to the defaults', () => {
  const s = parseHash('#map=abc/1/2&level=village&measure=lq&method=magic&kind=factory&approval=county&year=1983');
  assert.equal(s.view, null);
  assert.equal(s.level, DEFAULTS.level);
  assert.equal(s.method, DEFAULTS.method);
  assert.equal(s.measure, 'lq');
  assert.equal(s.kind, '');
  assert.equal(s.approval, '');
  assert.equal(s.year, null);
  assert.equal(parseHash('#map=3/95/10').view, null, 'latitude beyond Web Mercator');
  for (const y of ['2019', '20x0', '2000.5', '']) assert.equal(parseHash(`#year=${y}`).year, null, y);
});

test('state ↔ hash: every choice survives the round trip, defaults (all years) are left out', () => {
  const state = {...DEFAULTS, view: {zoom: 4.5, lat: 30, lon: 112.5}, industry: 'automotive', kind: 'park', approval: 'national',
    year: 2000, level: 'province', method: 'quantile', sel: 'members:clusters/123456', near: ''};
  const hash = formatHash(state);
  assert.equal(hash, '#map=4.50/30.0000/112.5000&industry=automotive&kind=park&approval=national&year=2000&level=province&method=quantile&sel=members:clusters/123456');
  assert.deepEqual(parseHash(hash), state);
  assert.equal(formatHash({...DEFAULTS, view: null}), '#');
  assert.deepEqual(parseHash('#'), {...DEFAULTS, view: null});
  for (const year of [YEARS.first, YEARS.last]) assert.equal(parseHash(formatHash({...DEFAULTS, year})).year, year);
  // A tag with characters that need escaping comes back as it was.
  assert.equal(parseHash(formatHash({...DEFAULTS, industry: 'a&b=c d'})).industry, 'a&b=c d');
});

test('sel names a feature, a unit or a server cluster', () => {
  assert.deepEqual(parseSel('cluster:clusters/botou-casting'), {type: 'feature', layer: 'clusters', id: 'botou-casting'});
  assert.deepEqual(parseSel('cluster:botou-casting'), {type: 'feature', layer: 'clusters', id: 'botou-casting'});
  assert.deepEqual(parseSel('cluster:plants/a/b'), {type: 'feature', layer: 'plants', id: 'a/b'});
  assert.deepEqual(parseSel('county:130981'), {type: 'unit', level: 'county', code: '130981'});
  assert.deepEqual(parseSel('members:clusters/42'), {type: 'members', layer: 'clusters', id: '42'});
  for (const bad of ['', 'village:1', 'county:', 'cluster:clusters/']) assert.equal(parseSel(bad), null, bad);
});

test('the filter parameters: only the set ones, the year as an open interval to its last day', () => {
  assert.deepEqual(filterParams(DEFAULTS), {});
  const s = {...DEFAULTS, industry: 'foundry', kind: 'park', approval: 'provincial', year: 2000};
  assert.deepEqual(filterParams(s), {industry: 'foundry', kind: 'park', approval_level: 'provincial', datetime: '../2000-12-31'});
  assert.deepEqual(filterParams(s, {industry: false}), {kind: 'park', approval_level: 'provincial', datetime: '../2000-12-31'});
  assert.equal(datetimeOf(null), undefined);
  assert.equal(paramsKey({b: '1', a: '2'}), paramsKey({a: '2', b: '1'}));
  assert.deepEqual(Object.fromEntries(new URLSearchParams(paramsKey(filterParams(s)))), filterParams(s));
});

test('industries by count: a feature counts once for each of its tags', () => {
  const f = (props) => ({properties: props});
  const counts = countIndustries([
    f({industry: 'foundry', industry_zh: '铸造'}),
    f({industry: 'foundry', industry_zh: '铸造'}),
    f({industry: 'automotive', industries: ['automotive', 'foundry', 'automotive'], industry_zh: '多产业', catalogue_code: 'G1'}),
    f({industries: ['it']}),
    f({industries: []}),
    f({}),
  ]);
  assert.deepEqual(counts, [
    {code: 'foundry', count: 3, zh: '铸造'},
    {code: 'automotive', count: 1, zh: ''},
    {code: 'it', count: 1, zh: ''},
  ]);
});

test('a failed request is not cached; a stale draw is dropped', async () => {
  let calls = 0;
  const get = memo(async (key) => {
    calls += 1;
    if (calls === 1) throw new Error('down');
    return key.toUpperCase();
  });
  await assert.rejects(get('a'), /down/);
  assert.equal(await get('a'), 'A');
  assert.equal(await get('a'), 'A');
  assert.equal(calls, 2);

  const drawn = [];
  const draw = part((s) => s.sel, async (s, {current}) => {
    await new Promise((r) => setTimeout(r, s.delay));
    if (current()) drawn.push(s.sel);
  });
  await Promise.all([draw({sel: 'slow', delay: 50}), draw({sel: 'fast', delay: 5})]);
  assert.deepEqual(drawn, ['fast']);
  await draw({sel: 'fast', delay: 0});
  assert.deepEqual(drawn, ['fast'], 'an unchanged key draws nothing');
  const failing = part(() => 'k', async () => { throw new Error('x'); });
  await assert.rejects(failing({}));
  await assert.rejects(failing({}), 'a failed draw is drawn again');
});

test('the time control: slider stops, play order, near search text', () => {
  assert.equal(yearOfSlider(String(YEARS.first)), YEARS.first);
  assert.equal(yearOfSlider(String(YEARS.last + 1)), null, 'the right end is all years');
  assert.equal(nextYear(null), YEARS.first);
  assert.equal(nextYear(2000), 2001);
  assert.equal(nextYear(YEARS.last), YEARS.first);
  assert.deepEqual(parseNear(formatNear({lon: 116.578, lat: 38.076, k: 5, radius: 50000})), {lon: 116.578, lat: 38.076, k: 5, radius: 50000});
  assert.equal(parseNear('1,2,3'), null);
});

test('CSV: BOM, CRLF, quoted cells, lists joined with |, lon/lat last', () => {
  const csv = toCsv([
    {properties: {id: 'a', name: 'Botou, "casting"', codes: ['130981', '130900']}, geometry: {coordinates: [116.5, 38]}},
    {properties: {id: 'b', firms: 3}, geometry: {coordinates: [1, 2]}},
  ]);
  assert.ok(csv.startsWith('\ufeff'));
  assert.deepEqual(csv.slice(1).split('\r\n'), [
    'id,name,codes,firms,lon,lat',
    'a,"Botou, ""casting""",130981|130900,,116.5,38',
    'b,,,3,1,2',
    '',
  ]);
});

test('count classes read as whole numbers; other measures as ranges', () => {
  const count = {measure: 'count', breaks: [1, 1, 2, 3]};
  assert.deepEqual([0, 1, 2].map((i) => classRange(count, i)), ['1', '2', '3']);
  const wide = {measure: 'count', breaks: [0.5, 2.5, 7]};
  assert.deepEqual([0, 1].map((i) => classRange(wide, i)), ['1 – 2', '3 – 7']);
  const lq = {measure: 'lq', breaks: [0.25, 1.5, 18.25]};
  assert.deepEqual([0, 1].map((i) => classRange(lq, i)), ['0.25 – 1.5', '> 1.5 – 18.25']);
  assert.equal(classRange({measure: 'lq', breaks: [18.25, 18.25]}, 0), '18.25');
});

test('top units: positive values, highest first, ties by code', () => {
  const f = (code, value) => ({properties: {code, value}});
  const d = {features: [f('3', 1), f('1', 2), f('2', 2), f('4', 0), f('5', null)]};
  assert.deepEqual(topUnits(d).map((x) => x.properties.code), ['1', '2', '3']);
  assert.deepEqual(topUnits(d, 1).map((x) => x.properties.code), ['1']);
});

test('the radius circle lies at the radius (haversine) all round', () => {
  const R = 6371008.8;
  const hav = ([lon1, lat1], [lon2, lat2]) => {
    const r = Math.PI / 180;
    const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
    return 2 * R * Math.asin(Math.sqrt(a));
  };
  const ring = circle(116.578, 38.076, 50000).coordinates[0];
  assert.deepEqual(ring[0], ring[ring.length - 1]);
  for (const p of ring) assert.ok(Math.abs(hav([116.578, 38.076], p) - 50000) < 1, `${p} at ${hav([116.578, 38.076], p)} m`);
});
