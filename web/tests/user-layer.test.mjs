// Browser test of an imported point layer on the map: it is listed under "Your layers", drawn
// from its own tiles, and a click on one of its points shows that feature's properties.
// Usage: node tests/user-layer.test.mjs http://127.0.0.1:PORT LAYER LON LAT NAME [screenshot-dir]

import assert from 'node:assert/strict';
import {join} from 'node:path';
import {launch} from './browser.mjs';

const [base, layer, lon, lat, name, shots = 'artifacts/browser'] = process.argv.slice(2);
const at = [Number(lon), Number(lat)];
const browser = await launch();
const page = await browser.newPage({viewport: {width: 1280, height: 800}});
const problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
page.on('pageerror', (e) => problems.push(e.message));
page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
const idle = () => page.waitForFunction(() => document.body.dataset.state === 'idle' && window.atlas && !window.atlas.map.isMoving(), null, {timeout: 90_000, polling: 200});
try {
  await page.goto(`${base}/map/#map=11/${at[1]}/${at[0]}`);
  await idle();
  await page.waitForSelector(`#user-layers li[data-user-layer="${layer}"]`);
  const drawn = await page.evaluate((id) => window.atlas.map.queryRenderedFeatures({layers: [`${id}-points`]}).map((f) => f.properties.name_zh), `user-${layer}`);
  assert.ok(drawn.includes(name), `${name} not among drawn ${JSON.stringify(drawn)}`);
  const box = await page.locator('#map canvas').boundingBox();
  const px = await page.evaluate((c) => window.atlas.map.project(c), at);
  await page.mouse.click(box.x + px.x, box.y + px.y);
  await page.waitForSelector('#details [data-feature-id]');
  assert.equal(await page.$eval('#details .names', (e) => e.textContent), name);
  // A name holding markup stays text: no element or handler from it reaches the page.
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'markup from the data ran');
  assert.equal(await page.locator('#details img, #user-layers img').count(), 0, 'markup from the data became elements');
  assert.match(await page.evaluate(() => location.hash), new RegExp(`sel=cluster:${layer}/`));
  // Unticking the layer hides it.
  await page.uncheck(`#user-layers li[data-user-layer="${layer}"] input`);
  await idle();
  // Hiding a layer loads nothing, so the page is idle at once; the next frame stops drawing it.
  await page.waitForFunction((id) => window.atlas.map.queryRenderedFeatures({layers: [`${id}-points`]}).length === 0, `user-${layer}`, {timeout: 10_000});
  await page.screenshot({path: join(shots, '06-user-layer.png')});
  assert.deepEqual(problems, []);
  console.log(`ok - imported layer ${layer} drawn, clickable and hideable`);
} catch (err) {
  console.log(`not ok - imported layer ${layer}: ${err.stack || err}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
