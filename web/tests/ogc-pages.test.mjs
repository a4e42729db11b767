// Browser test of the OGC API – Features HTML pages: the items page of the foundry clusters
// shows a table with one row per feature (the ids of the same page as GeoJSON) and draws the
// points on its map; the item page of the Botou foundry cluster shows its firms figure and
// its source link. Usage: node tests/ogc-pages.test.mjs http://127.0.0.1:PORT [screenshot-dir]

import assert from 'node:assert/strict';
import {join} from 'node:path';
import {launch} from './browser.mjs';

const [base, shots = 'artifacts/browser'] = process.argv.slice(2);
const browser = await launch();
const page = await browser.newPage({viewport: {width: 1280, height: 900}});
const problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
page.on('pageerror', (e) => problems.push(e.message));
page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) problems.push(`off-host: ${r.url()}`); });
page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
const ready = () => page.waitForFunction(() => document.body.dataset.map === 'ready', null, {timeout: 90_000, polling: 200});
try {
  // Items: the table lists the page's features, the map draws them.
  const json = await (await fetch(`${base}/collections/clusters/items?industry=foundry&f=json`)).json();
  const want = json.features.map((f) => String(f.id));
  assert.ok(want.includes('botou-casting') && want.length > 10, `foundry page: ${want}`);
  await page.goto(`${base}/collections/clusters/items?industry=foundry&f=html`);
  await ready();
  const rows = await page.$$eval('#items tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id));
  assert.deepEqual(rows, want);
  const headers = await page.$$eval('#items th', (ths) => ths.map((th) => th.textContent));
  for (const h of ['id', 'name_zh', 'firms', 'industries']) assert.ok(headers.includes(h), `column ${h} in ${headers}`);
  const drawn = await page.evaluate(() => window.ogcMap.queryRenderedFeatures({layers: ['items-points']}).map((f) => f.properties.name_zh));
  assert.ok(drawn.includes('泊头铸造产业集群'), `Botou drawn among ${drawn.length}`);
  const inSource = await page.evaluate(() => window.ogcMap.querySourceFeatures('items').length);
  assert.ok(inSource >= want.length, `${inSource} features in the map's source`);
  const cell = await page.$eval('#items tr[data-id="botou-casting"]', (tr) => tr.textContent);
  assert.match(cell, /泊头铸造产业集群/);
  const formats = await page.$$eval('.formats a', (as) => as.map((a) => a.getAttribute('type')));
  for (const t of ['application/geo+json', 'text/csv; charset=utf-8', 'application/flatgeobuf', 'application/geo+json-seq']) assert.ok(formats.includes(t), `${t} in ${formats}`);
  assert.match(await page.textContent('body'), /Queryables/);
  await page.screenshot({path: join(shots, '09-ogc-items.png'), fullPage: false});
  console.log(`ok - items page: ${rows.length} rows, Botou drawn`);

  // Paging controls: a next link that opens the next page.
  await page.goto(`${base}/collections/counties/items?limit=5&f=html&skipGeometry=true`);
  const next = await page.getAttribute('.paging a[rel="next"]', 'href');
  assert.match(next, /offset=5/);
  console.log('ok - paging links');

  // Item: one row per property; the firms figure and the source link.
  await page.goto(`${base}/collections/clusters/items/botou-casting?f=html`);
  await ready();
  assert.equal(await page.textContent('#item tr[data-property="firms"] td'), '568');
  const source = await page.getAttribute('#item tr[data-property="source"] a', 'href');
  assert.match(source, /^http:\/\/www\.sxjz\.gov\.cn\//);
  assert.match(await page.title(), /泊头铸造产业集群/);
  const point = await page.evaluate(() => window.ogcMap.queryRenderedFeatures({layers: ['items-points']}).length);
  assert.equal(point, 1);
  await page.screenshot({path: join(shots, '10-ogc-item.png')});
  console.log('ok - item page: firms 568 and its source link');
  assert.deepEqual(problems, []);
  console.log('ok - no console error, failed or off-host request');
} catch (err) {
  console.log(`not ok - OGC pages: ${err.stack || err}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
