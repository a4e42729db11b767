// Browser tests of the web map: Debian's Chromium driven by playwright-core against a running
// cluster-atlas server. Usage: node tests/map.test.mjs http://127.0.0.1:PORT [screenshot-dir]
// Every check compares what the page shows with what the API answers for the same question;
// screenshots go to the folder given (the Rust test passes artifacts/browser/, ignored by git).

import assert from 'node:assert/strict';
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {launch} from './browser.mjs';

const base = (process.argv[2] || '').replace(/\/$/, '');
const shots = process.argv[3] || 'artifacts/browser';
if (!base.startsWith('http')) {
  console.error('usage: node tests/map.test.mjs http://127.0.0.1:PORT [screenshot-dir]');
  process.exit(2);
}
mkdirSync(shots, {recursive: true});
const host = new URL(base).host;
const BOTOU = [116.578, 38.076];
const CHINA = [[73.5, 17.5], [135.1, 53.6]];
const IDLE_MS = 90_000;

const api = async (path) => {
  const res = await fetch(`${base}/${path}`);
  assert.equal(res.status, 200, `${path} → ${res.status}`);
  return res.json();
};

const browser = await launch();

/** A page that records console errors, failed requests and requests to any other host. */
async function openPage(viewport, hash = '') {
  const context = await browser.newContext({viewport, acceptDownloads: true});
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Aborted on purpose (a newer search or density request replaced it, tiles scrolled away).
    if (!/ERR_ABORTED/.test(r.failure()?.errorText || '')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.host !== host) problems.push(`off-host request: ${r.url()}`);
  });
  await page.goto(`${base}/map/${hash}`);
  await waitIdle(page);
  return {page, context, problems};
}

/** Waits until the map has loaded and rendered everything and no API request is in flight. */
async function waitIdle(page) {
  await page.waitForFunction(() => window.atlas && window.atlas.map.loaded(), null, {timeout: IDLE_MS});
  // `idle` fires once nothing is loading or animating; body[data-state] also counts our fetches.
  await page.waitForFunction(() => document.body.dataset.state === 'idle' && !window.atlas.map.isMoving(), null, {timeout: IDLE_MS, polling: 200});
}

/** How many features the clustered points on screen stand for (a cluster counts its point_count). */
async function drawnPoints(page) {
  const points = await rendered(page, ['clusters-circles', 'clusters-points']);
  return points.reduce((n, f) => n + (f.props.point_count || 1), 0);
}

/** The number of features the page says it shows. */
async function shownCount(page) {
  return page.$eval('#shown-count', (e) => Number(e.dataset.count));
}

/** The class breaks of the choropleth legend. */
async function legendBreaks(page) {
  return page.$eval('#legend table.breaks', (t) => JSON.parse(t.dataset.breaks));
}

async function rendered(page, layers) {
  return page.evaluate((ls) => window.atlas.map.queryRenderedFeatures({layers: ls}).map((f) => ({layer: f.layer.id, props: f.properties})), layers);
}

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push(`ok - ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    results.push(`not ok - ${name}: ${err.stack || err}`);
  }
}

const {page, problems} = await openPage({width: 1280, height: 800});

await check('the whole of China draws county polygons and cluster points from our tiles', async () => {
  const counties = await rendered(page, ['counties-fill']);
  const codes = new Set(counties.map((f) => f.props.code));
  assert.ok(codes.size > 2000, `only ${codes.size} counties rendered`);
  assert.ok([...codes].every((c) => /^\d{6}$/.test(c)), 'county codes are GB/T 2260');
  const points = await rendered(page, ['clusters-circles', 'clusters-points']);
  assert.ok(points.length > 0, 'no cluster points rendered');
  const total = (await api('collections/clusters/items?limit=1')).numberMatched;
  const drawn = points.reduce((n, f) => n + (f.props.point_count || 1), 0);
  assert.ok(drawn > total / 2 && drawn <= total, `${drawn} of ${total} features drawn at the China view`);
  const labels = await page.evaluate(() => window.atlas.map.queryRenderedFeatures({layers: ['provinces-label']}).length);
  assert.ok(labels > 10, `${labels} province labels`);
  await page.screenshot({path: join(shots, '01-china.png')});
});

await check('foundry counts: the legend shows /density breaks and the map colours Botou by its class', async () => {
  // The intro's example link is how a newcomer gets there.
  await page.click('#try-foundry');
  assert.equal(await page.$eval('#industry', (s) => s.value), 'foundry');
  await page.selectOption('#measure', 'count');
  await waitIdle(page);
  const legend = await page.$eval('#legend table.breaks', (t) => ({...t.dataset, breaks: JSON.parse(t.dataset.breaks)}));
  assert.equal(legend.method, await page.$eval('#method', (s) => s.value));
  const d = await api(`density?level=county&measure=count&industry=foundry&layer=clusters&method=${legend.method}&geometry=false&all=true`);
  assert.deepEqual(legend.breaks, d.breaks);
  assert.equal(legend.measure, 'count');
  const botou = d.features.find((f) => f.properties.code === '130981');
  const state = await page.evaluate(() => window.atlas.map.getFeatureState({source: 'counties', sourceLayer: 'counties', id: '130981'}));
  assert.equal(state.value, botou.properties.value);
  assert.equal(state.cls, botou.properties.class);
  const rows = await page.$$eval('#legend table.breaks tr[data-class]', (trs) => trs.length);
  assert.equal(rows, d.breaks.length - 1);
  // The server filters and clusters the points: every foundry feature is drawn once.
  const drawn = await drawnPoints(page);
  assert.equal(drawn, (await api('collections/clusters/items?industry=foundry&limit=1')).numberMatched);
  await page.screenshot({path: join(shots, '02-foundry-count.png')});
});

await check('the top counties for foundry are those /density ranks highest, and clicking one selects it', async () => {
  const d = await api('density?level=county&measure=count&industry=foundry&layer=clusters&geometry=false');
  const ranked = d.features.filter((f) => f.properties.value > 0)
    .sort((a, b) => b.properties.value - a.properties.value || a.properties.code.localeCompare(b.properties.code))
    .map((f) => f.properties.code);
  const listed = await page.$$eval('.top-units li', (lis) => lis.map((li) => li.dataset.code));
  assert.deepEqual(listed, ranked.slice(0, 10));
  await page.click(`.top-units li[data-code="${listed[0]}"] a`);
  await page.waitForSelector(`#details [data-unit-code="${listed[0]}"]`);
  const text = await page.$eval('#details', (e) => e.innerText);
  const inside = await api(`collections/clusters/items?county_code=${listed[0]}&limit=100`);
  assert.ok(text.includes(`Clusters, parks and towns here: ${inside.numberMatched}`), text);
  await waitIdle(page);
});

await check('clicking a server-side cluster lists exactly its point_count members', async () => {
  await page.selectOption('#industry', '');
  await page.evaluate(() => window.atlas.map.jumpTo({center: [105, 35], zoom: 3.2}));
  await waitIdle(page);
  const circle = await page.evaluate(() => {
    const m = window.atlas.map;
    const f = m.queryRenderedFeatures({layers: ['clusters-circles']}).sort((a, b) => b.properties.point_count - a.properties.point_count)[0];
    return {p: m.project(f.geometry.coordinates), n: f.properties.point_count, id: f.properties.cluster_id};
  });
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + circle.p.x, box.y + circle.p.y);
  await page.waitForSelector('#details [data-members]');
  const n = await page.$$eval('#details ul.inside li', (lis) => lis.length);
  assert.equal(await page.$eval('#details [data-members]', (e) => Number(e.dataset.members)), circle.n);
  assert.equal(n, circle.n);
  const expand = await api(`tiles/clusters/expand?cluster_id=${circle.id}`);
  assert.equal(expand.features.length, circle.n);
  await page.mouse.move(box.x + 5, box.y + 5);
});

await check('clicking at Botou lists the Botou foundry cluster among the nearest, in /nearest order', async () => {
  await page.selectOption('#industry', '');
  await page.evaluate((c) => window.atlas.map.jumpTo({center: c, zoom: 9}), BOTOU);
  await waitIdle(page);
  const box = await page.locator('#map canvas').boundingBox();
  const px = await page.evaluate((c) => window.atlas.map.project(c), BOTOU);
  await page.mouse.click(box.x + px.x, box.y + px.y);
  await page.waitForSelector('#near-results li[data-id]');
  await waitIdle(page);
  const ids = await page.$$eval('#near-results li[data-id]', (lis) => lis.map((li) => li.dataset.id));
  const nearest = await api(`nearest?lon=${BOTOU[0]}&lat=${BOTOU[1]}&k=${ids.length}`);
  // Zones placed at Botou's county point tie with the cluster for the nearest place.
  assert.ok(ids.slice(0, 2).includes('botou-casting'), ids.join(', '));
  assert.deepEqual(ids, nearest.features.map((f) => f.properties.id));
  const lines = await rendered(page, ['near-lines']);
  assert.equal(new Set(lines.map((f) => f.props.id)).size, ids.length);
  await page.mouse.move(box.x + px.x + 3, box.y + px.y + 3);
  await page.waitForSelector('#tooltip:not([hidden])');
  assert.match(await page.textContent('#tooltip'), /泊头市/);
  const unit = await page.$eval('#details [data-unit-code]', (e) => e.dataset.unitCode);
  assert.equal(unit, (await api(`reverse?lon=${BOTOU[0]}&lat=${BOTOU[1]}&geometry=false`)).properties.code);
  await page.screenshot({path: join(shots, '03-near-botou.png')});
  // With a radius: only what /within finds, and the circle is drawn.
  await page.selectOption('#near-radius', '50000');
  await page.click('#near-form button[type="submit"]');
  await page.waitForFunction(() => /,50000$/.test(window.atlas.state.near));
  await waitIdle(page);
  const within = await api(`within?lon=${BOTOU[0]}&lat=${BOTOU[1]}&radius_m=50000&limit=5`);
  const listed = await page.$$eval('#near-results li[data-id]', (lis) => lis.map((li) => li.dataset.id));
  assert.deepEqual(listed, within.features.map((f) => f.properties.id));
  assert.equal((await rendered(page, ['near-radius'])).length > 0, true, 'radius circle drawn');
  await page.selectOption('#near-radius', '');
});

await check('clicking a listed cluster shows its names, figures, source and precision', async () => {
  await page.click('#near-results li[data-id="botou-casting"]');
  await page.waitForSelector('#details [data-feature-id="botou-casting"]');
  const f = await api('collections/clusters/items/botou-casting');
  const text = await page.$eval('#details', (e) => e.innerText);
  for (const want of [f.properties.name_zh, f.properties.name_en, String(f.properties.firms.toLocaleString('en-US'))]) {
    assert.ok(text.includes(want), `panel lacks ${want}`);
  }
  assert.match(text, /county/i);
  const links = await page.$$eval('#details a[href^="http"]', (as) => as.map((a) => a.href));
  assert.ok(links.some((l) => f.properties.source.includes(l.replace(/\/$/, ''))), 'source link');
  await waitIdle(page);
  assert.match(await page.evaluate(() => location.hash), /sel=cluster:clusters\/botou-casting/);
});

await check('searching "liling" suggests 醴陵市 and flies there', async () => {
  // Chinese first: the suggestions are /search's, in its order.
  const zh = (await api(`search?q=${encodeURIComponent('泊头')}&limit=8`)).features.map((f) => f.id);
  await page.fill('#search-input', '泊头');
  await page.waitForFunction((first) => document.querySelector('#search-results li')?.dataset.id === first, zh[0]);
  assert.deepEqual(await page.$$eval('#search-results li', (lis) => lis.map((li) => li.dataset.id)), zh);
  await page.keyboard.press('Escape');
  const hit = (await api('search?q=liling&limit=1')).features[0];
  await page.fill('#search-input', 'liling');
  await page.waitForSelector('#search-results li');
  const first = await page.$eval('#search-results li', (li) => li.dataset.id);
  assert.equal(first, hit.id);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.atlas.map.isMoving(), null, {timeout: 10_000}).catch(() => {});
  await waitIdle(page);
  const view = await page.evaluate(() => ({c: window.atlas.map.getCenter(), z: window.atlas.map.getZoom()}));
  assert.ok(Math.abs(view.c.lng - hit.geometry.coordinates[0]) < 0.01 && Math.abs(view.c.lat - hit.geometry.coordinates[1]) < 0.01, `centre ${JSON.stringify(view.c)}`);
  assert.ok(view.z >= 7.5, `zoom ${view.z}`);
  assert.equal(await page.$eval('#details [data-unit-code]', (e) => e.dataset.unitCode), '430281');
  const labels = await rendered(page, ['counties-label']);
  assert.ok(labels.some((f) => f.props.name_zh === '醴陵市'), 'label 醴陵市 drawn');
  await page.screenshot({path: join(shots, '04-search-liling.png')});
});

await check('the URL hash restores view, choices and selection in a new page', async () => {
  await page.selectOption('#industry', 'foundry');
  await page.selectOption('#measure', 'lq');
  await waitIdle(page);
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /industry=foundry/);
  assert.match(hash, /measure=lq/);
  const second = await openPage({width: 1280, height: 800}, hash);
  const got = await second.page.evaluate(() => ({state: window.atlas.state, z: window.atlas.map.getZoom()}));
  assert.equal(got.state.industry, 'foundry');
  assert.equal(got.state.measure, 'lq');
  await second.page.waitForSelector('#details [data-unit-code="430281"]');
  const legend = await second.page.$eval('#legend table.breaks', (t) => JSON.parse(t.dataset.breaks));
  assert.deepEqual(legend, (await api('density?level=county&measure=lq&industry=foundry&layer=clusters&method=jenks&geometry=false')).breaks);
  assert.deepEqual(second.problems, []);
  await second.context.close();
});

await check('downloads: the clusters in view as GeoJSON and CSV', async () => {
  await page.evaluate(() => window.atlas.map.jumpTo({center: [112.5, 30], zoom: 4}));
  await waitIdle(page);
  const bounds = await page.evaluate(() => window.atlas.map.getBounds().toArray());
  const [[w, s], [e, n]] = bounds;
  const expected = (await api(`collections/clusters/items?industry=foundry&limit=10000&bbox=${w},${s},${e},${n}`)).features.map((f) => f.id).sort();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-geojson')]);
  const fc = JSON.parse(await streamText(await dl.createReadStream()));
  assert.deepEqual(fc.features.map((f) => f.properties.id).sort(), expected);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#dl-csv')]);
  const lines = (await streamText(await csv.createReadStream())).trim().split(/\r\n/);
  assert.equal(lines.length, expected.length + 1);
  assert.ok(lines[0].replace(/^\ufeff/, '').startsWith('id,'));
});

await check('kind and approval filters: the count, the points and the choropleth are those of the API under the same filters', async () => {
  await page.selectOption('#industry', '');
  await page.selectOption('#measure', 'count');
  await page.evaluate((b) => window.atlas.map.fitBounds(b, {padding: 10, animate: false}), CHINA);
  await page.selectOption('#kind', 'park');
  await page.selectOption('#approval', 'national');
  await waitIdle(page);
  const hash = await page.evaluate(() => location.hash);
  assert.match(hash, /kind=park/);
  assert.match(hash, /approval=national/);
  const filter = 'kind=park&approval_level=national';
  const matched = (await api(`collections/clusters/items?${filter}&limit=1`)).numberMatched;
  assert.ok(matched > 0 && matched < (await api('collections/clusters/items?limit=1')).numberMatched, `${matched} national zones`);
  assert.equal(await shownCount(page), matched);
  assert.equal(await drawnPoints(page), matched);
  const d = await api(`density?level=county&measure=count&method=jenks&layer=clusters&${filter}&geometry=false&all=true`);
  assert.deepEqual(await legendBreaks(page), d.breaks);
  assert.equal(d.total, matched);
  assert.ok((await page.textContent('#legend')).includes(`${d.total} matching features`));
  await page.screenshot({path: join(shots, '06-national-zones.png')});
  // A cluster of national zones lists its members only, as /tiles/clusters/expand does with the filters.
  const circle = await page.evaluate(() => {
    const m = window.atlas.map;
    const f = m.queryRenderedFeatures({layers: ['clusters-circles']}).sort((a, b) => b.properties.point_count - a.properties.point_count)[0];
    return {p: m.project(f.geometry.coordinates), n: f.properties.point_count, id: f.properties.cluster_id};
  });
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + circle.p.x, box.y + circle.p.y);
  await page.waitForSelector(`#details [data-members="${circle.n}"]`);
  const listed = await page.$$eval('#details ul.inside li', (lis) => lis.length);
  const expand = await api(`tiles/clusters/expand?cluster_id=${circle.id}&${filter}`);
  assert.equal(expand.features.length, circle.n);
  assert.equal(listed, circle.n);
  assert.ok(expand.features.every((f) => f.properties.kind === 'park' && f.properties.approval_level === 'national'));
  await page.mouse.move(box.x + 5, box.y + 5);
  await waitIdle(page);
});

await check('the industries are listed by count, a feature counted once for each of its tags', async () => {
  const fc = await api('collections/clusters/items?kind=park&approval_level=national&limit=10000');
  const counts = new Map();
  for (const f of fc.features) {
    const tags = Array.isArray(f.properties.industries) ? f.properties.industries : [f.properties.industry].filter(Boolean);
    for (const t of new Set(tags)) counts.set(t, (counts.get(t) || 0) + 1);
  }
  const expected = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const listed = await page.$$eval('#industry option[data-count]', (os) => os.map((o) => [o.value, Number(o.dataset.count)]));
  assert.deepEqual(listed.filter(([, n]) => n > 0), expected);
  // Choosing the most frequent one narrows the count to exactly the items with that tag.
  const [top, n] = expected[0];
  await page.selectOption('#industry', top);
  await waitIdle(page);
  assert.equal(n, (await api(`collections/clusters/items?kind=park&approval_level=national&industry=${encodeURIComponent(top)}&limit=1`)).numberMatched);
  assert.equal(await shownCount(page), n);
  assert.equal(await drawnPoints(page), n);
  await page.selectOption('#industry', '');
  await waitIdle(page);
});

await check('the time control: at 2000 the page shows what was approved by the end of 2000; play advances the year', async () => {
  const filter = 'kind=park&approval_level=national';
  const at = async (year) => (await api(`collections/clusters/items?${filter}&limit=1${year ? `&datetime=../${year}-12-31` : ''}`)).numberMatched;
  // Keys on the slider, as a person would: from "all years" (its right end) back to 2000.
  await page.focus('#year');
  for (let i = 0; i < 19; i++) await page.keyboard.press('ArrowLeft');
  await waitIdle(page);
  assert.equal(await page.evaluate(() => window.atlas.state.year), 2000);
  assert.match(await page.evaluate(() => location.hash), /year=2000/);
  assert.match(await page.textContent('#year-label'), /2000/);
  const matched = await at(2000);
  assert.ok(matched > 0 && matched < await at(null), `${matched} zones by 2000`);
  assert.equal(await shownCount(page), matched);
  assert.equal(await drawnPoints(page), matched);
  const d = await api(`density?level=county&measure=count&method=jenks&layer=clusters&${filter}&datetime=../2000-12-31&geometry=false&all=true`);
  assert.deepEqual(await legendBreaks(page), d.breaks);
  await page.screenshot({path: join(shots, '07-year-2000.png')});
  // Play steps a year at a time; pause stops it.
  await page.click('#play');
  await page.waitForFunction(() => window.atlas.state.year >= 2002, null, {timeout: 20_000});
  await page.click('#play');
  assert.equal(await page.$eval('#play', (b) => b.dataset.playing), 'false');
  await waitIdle(page);
  const year = await page.evaluate(() => window.atlas.state.year);
  await page.waitForTimeout(1500);
  assert.equal(await page.evaluate(() => window.atlas.state.year), year, 'paused');
  assert.equal(await shownCount(page), await at(year));
  assert.equal(await drawnPoints(page), await at(year));
  // The right end is "all years": no time filter.
  await page.focus('#year');
  await page.keyboard.press('End');
  await waitIdle(page);
  assert.equal(await page.evaluate(() => window.atlas.state.year), null);
  assert.doesNotMatch(await page.evaluate(() => location.hash), /year=/);
  assert.equal(await shownCount(page), await at(null));
});

await check('a national zone\'s panel: type, approval, area, leading industries and placement, in Chinese', async () => {
  const zones = (await api('collections/clusters/items?kind=park&approval_level=national&limit=10000')).features;
  // One drawn alone: no other national zone at (nearly) the same place.
  const alone = (z) => zones.every((o) => o === z || Math.hypot(o.geometry.coordinates[0] - z.geometry.coordinates[0], o.geometry.coordinates[1] - z.geometry.coordinates[1]) > 0.05);
  const zone = zones.find((z) => z.properties.zone_type_zh && z.properties.approved && z.properties.area_ha && z.properties.industries_zh?.length && alone(z));
  assert.ok(zone, 'a national zone on its own');
  const p = zone.properties;
  const tiles = await api('tiles/clusters.json');
  await page.evaluate(({c, z}) => window.atlas.map.jumpTo({center: c, zoom: z}), {c: zone.geometry.coordinates, z: tiles.cluster_maxzoom + 2});
  await waitIdle(page);
  const ids = (await rendered(page, ['clusters-points'])).map((f) => f.props.id);
  assert.ok(ids.includes(p.id), `${p.id} not drawn`);
  const box = await page.locator('#map canvas').boundingBox();
  const px = await page.evaluate((c) => window.atlas.map.project(c), zone.geometry.coordinates);
  await page.mouse.click(box.x + px.x, box.y + px.y);
  await page.waitForSelector(`#details [data-feature-id="${p.id}"]`);
  const text = await page.$eval('#details', (e) => e.innerText);
  const dates = p.approvals?.length ? p.approvals : [p.approved];
  for (const want of [p.name_zh, p.zone_type_zh, '国家级', ...dates, `${p.area_ha.toLocaleString('en-US', {maximumFractionDigits: 2})} ha`,
    p.industries_zh.join('、'), ...p.industries]) {
    assert.ok(text.includes(want), `panel lacks ${want}:\n${text}`);
  }
  assert.equal(await page.$eval('#details [data-method]', (e) => e.dataset.method), p.location_method);
  assert.match(await page.evaluate(() => location.hash), new RegExp(`sel=cluster:clusters/${p.id}`));
  // The Chinese text is drawn with a CJK font, not boxes.
  assert.ok(await page.evaluate((s) => document.fonts.check('14px "Noto Sans CJK SC"', s), p.industries_zh.join('')));
  await page.locator('#details').screenshot({path: join(shots, '08-zone-panel.png')});
  await page.selectOption('#kind', '');
  await page.selectOption('#approval', '');
  await waitIdle(page);
});

await check('a slower earlier click answer never replaces a newer one', async () => {
  await page.evaluate((b) => window.atlas.map.fitBounds(b, {padding: 10, animate: false}), CHINA);
  await waitIdle(page);
  const targets = await page.evaluate(() => {
    const m = window.atlas.map;
    const circle = m.queryRenderedFeatures({layers: ['clusters-circles']})[0];
    const point = m.queryRenderedFeatures({layers: ['clusters-points']})[0];
    return {circle: m.project(circle.geometry.coordinates), point: m.project(point.geometry.coordinates), id: point.properties.id};
  });
  let asked = 0;
  await page.route('**/tiles/clusters/expand?*', async (route) => {
    asked += 1;
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + targets.circle.x, box.y + targets.circle.y);
  await page.mouse.click(box.x + targets.point.x, box.y + targets.point.y);
  await page.waitForSelector(`#details [data-feature-id="${targets.id}"]`);
  await page.waitForTimeout(2500);
  await waitIdle(page);
  assert.equal(await page.$('#details [data-members]'), null, 'the slow cluster answer replaced the point');
  assert.equal(await page.$eval('#details .names', (e) => e.dataset.featureId), targets.id);
  assert.equal(asked, 1, 'the cluster was asked for');
  await page.unroute('**/tiles/clusters/expand?*');
});

await check('a phone-sized screen: no sideways scrolling, map and controls usable', async () => {
  const phone = await openPage({width: 390, height: 844});
  const layout = await phone.page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    map: document.getElementById('map').getBoundingClientRect().height,
    sidebarHidden: getComputedStyle(document.getElementById('sidebar')).display === 'none',
  }));
  assert.ok(layout.scroll <= 390, `page is ${layout.scroll} px wide`);
  assert.ok(layout.map > 600, `map is ${layout.map} px high`);
  assert.ok(layout.sidebarHidden, 'panel starts folded away');
  await phone.page.click('#toggle-sidebar');
  assert.ok(await phone.page.isVisible('#industry'));
  // The panel opens under the map, which shrinks and still draws China.
  await waitIdle(phone.page);
  const open = await phone.page.evaluate(() => ({
    mapBottom: document.getElementById('map').getBoundingClientRect().bottom,
    panelTop: document.getElementById('sidebar').getBoundingClientRect().top,
    counties: new Set(window.atlas.map.queryRenderedFeatures({layers: ['counties-fill']}).map((f) => f.properties.code)).size,
  }));
  assert.ok(open.panelTop >= open.mapBottom - 1, `panel at ${open.panelTop} overlaps the map ending at ${open.mapBottom}`);
  assert.ok(open.counties > 2000, `${open.counties} counties drawn with the panel open`);
  await phone.page.screenshot({path: join(shots, '05-phone.png')});
  assert.deepEqual(phone.problems, []);
  await phone.context.close();
});

await check('a slow answer shows the loading state, a problem answer shows its detail', async () => {
  const context = await browser.newContext({viewport: {width: 1280, height: 800}});
  const p = await context.newPage();
  await p.route('**/density?*', async (route) => {
    await new Promise((r) => setTimeout(r, 2000));
    await route.fulfill({status: 400, contentType: 'application/problem+json',
      body: JSON.stringify({type: 'about:blank', title: 'Bad Request', status: 400, detail: 'measure: test problem'})});
  });
  await p.goto(`${base}/map/`);
  await p.waitForFunction(() => window.atlas && window.atlas.map.loaded(), null, {timeout: IDLE_MS});
  assert.ok(await p.isVisible('#status'), 'status line visible while /density is pending');
  assert.match(await p.textContent('#status'), /Loading/);
  await p.waitForSelector('#error:not([hidden])', {timeout: 15_000});
  assert.match(await p.textContent('#error-text'), /measure: test problem/);
  await context.close();
});

await check('no console error, failed request, off-host request or error banner', async () => {
  assert.ok(await page.isHidden('#error'), `error banner: ${await page.textContent('#error-text')}`);
  assert.deepEqual(problems, []);
});

async function streamText(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

await browser.close();
console.log(results.join('\n'));
const failed = results.filter((r) => r.startsWith('not ok')).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
