// Unit tests of the map's pure modules with node's own test runner (no browser):
//   node --test tests/unit.test.mjs
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {toCsv} from '../js/csv.js';
import {DEFAULTS, formatHash, parseHash} from '../js/hash.js';
import {classRange, topUnits} from '../js/legend.js';
import {circle} from '../js/near.js';

test('the hash keeps view and choices and drops defaults', () => {
  const state = {...DEFAULTS, view: {zoom: 9, lat: 38.076, lon: 116.578}, industry: 'foundry', measure: 'lq', sel: 'cluster:clusters/botou-casting', near: '116.57800,38.07600,5,50000'};
  const hash = formatHash(state);
  assert.equal(hash, '#map=9.00/38.0760/116.5780&industry=foundry&measure=lq&sel=cluster:clusters/botou-casting&near=116.57800,38.07600,5,50000');
  assert.deepEqual(parseHash(hash), state);
});

test('bad hash values fall back to the defaults', () => {
  const s = parseHash('#map=abc/1/2&level=village&measure=lq&method=magic');
  assert.equal(s.view, null);
  assert.equal(s.level, DEFAULTS.level);
  assert.equal(s.method, DEFAULTS.method);
  assert.equal(s.measure, 'lq');
  assert.equal(parseHash('#map=3/95/10').view, null, 'latitude beyond Web Mercator');
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
