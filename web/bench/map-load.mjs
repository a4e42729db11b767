// Benchmark: how long the web map takes to show all of China's counties, and how many bytes
// it moves, against a peer page that draws the same counties the plain way (one GeoJSON of
// simplified polygons from /density, clustered-free), both in MapLibre in Debian's Chromium.
// Usage: node bench/map-load.mjs http://127.0.0.1:PORT [runs]   (scripts/bench-map runs it)

import {launch} from '../tests/browser.mjs';

const base = (process.argv[2] || '').replace(/\/$/, '');
const runs = Number(process.argv[3] || 5);
const browser = await launch();

// Minimal pages: MapLibre (the same vendored build) drawing only the counties, either from
// our vector tiles or, the peer, from one GeoJSON of every county's simplified polygon.
const SOURCES = {
  geojson: `{type: 'geojson', data: '../density?level=county&all=true&geometry=simplified'}`,
  tiles: `{type: 'vector', url: '../tiles/counties.json'}`,
};
const minimal = (kind) => `<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="icon" href="data:,"><link rel="stylesheet" href="vendor/maplibre-gl/maplibre-gl.css">
<style>html,body,#map{margin:0;height:100%}</style></head><body><div id="map"></div>
<script type="module">
import {Map} from './vendor/maplibre-gl/maplibre-gl.mjs';
const map = new Map({container: 'map', bounds: [[73.5, 17.5], [135.1, 53.6]], style: {version: 8, sources: {
  c: ${SOURCES[kind]}}, layers: [
  {id: 'bg', type: 'background', paint: {'background-color': '#dde6ee'}},
  {id: 'f', type: 'fill', source: 'c', ${kind === 'tiles' ? "'source-layer': 'counties', " : ''}paint: {'fill-color': '#f4f2ed'}},
  {id: 'l', type: 'line', source: 'c', ${kind === 'tiles' ? "'source-layer': 'counties', " : ''}paint: {'line-color': '#9aa4ae', 'line-width': 0.4}}]}});
map.once('idle', () => { document.body.dataset.state = 'idle'; window.drawn = new Set(map.queryRenderedFeatures({layers: ['f']}).map((f) => f.properties.code)).size; });
</script></body></html>`;

async function measure(kind) {
  const context = await browser.newContext({viewport: {width: 1280, height: 800}});
  const page = await context.newPage();
  // Bytes of response bodies as the page sees them (after gzip is undone).
  let bytes = 0;
  page.on('response', async (r) => {
    bytes += (await r.body().catch(() => Buffer.alloc(0))).length;
  });
  await page.route(`${base}/map/bench-*.html`, (route) => route.fulfill({contentType: 'text/html', body: minimal(route.request().url().includes('tiles') ? 'tiles' : 'geojson')}));
  const t0 = Date.now();
  await page.goto(kind === 'map' ? `${base}/map/` : `${base}/map/bench-${kind}.html`);
  await page.waitForFunction(() => document.body.dataset.state === 'idle', null, {timeout: 180_000, polling: 50});
  const ms = Date.now() - t0;
  const drawn = await page.evaluate(() => window.drawn ?? new Set(window.atlas.map.queryRenderedFeatures({layers: ['counties-fill']}).map((f) => f.properties.code)).size);
  await context.close();
  return {ms, bytes, drawn};
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = {map: [], tiles: [], geojson: []};
// The first run meets a cold server tile cache; report it apart.
const cold = await measure('map');
for (let i = 0; i < runs; i++) {
  out.geojson.push(await measure('geojson'));
  out.tiles.push(await measure('tiles'));
  out.map.push(await measure('map'));
}
await browser.close();
const row = (name, xs) => `${name.padEnd(34)} ${String(median(xs.map((x) => x.ms))).padStart(7)} ms  ${(median(xs.map((x) => x.bytes)) / 1e6).toFixed(2).padStart(6)} MB body  ${median(xs.map((x) => x.drawn))} counties drawn`;
console.log(`time to a drawn, idle map of China (median of ${runs}), Chromium software GL`);
console.log(row('web map, everything (cold cache)', [cold]));
console.log(row('web map, everything (warm)', out.map));
console.log(row('counties only, vector tiles', out.tiles));
console.log(row('peer: counties only, one GeoJSON', out.geojson));
const r = median(out.tiles.map((x) => x.ms)) / median(out.geojson.map((x) => x.ms));
const b = median(out.tiles.map((x) => x.bytes)) / median(out.geojson.map((x) => x.bytes));
console.log(`ratio tiles / GeoJSON: time ${r.toFixed(2)}×, bytes ${b.toFixed(2)}×`);
