// Copies MapLibre GL JS from node_modules (version pinned in package.json) into vendor/, so the
// map is served by cluster-atlas itself with no CDN. Run `npm run vendor` after changing the
// version; `node scripts/vendor.mjs --check` fails when vendor/ differs from the npm package
// (the browser tests run it, so the committed copy cannot drift from the pinned one).
import {readFileSync, writeFileSync, mkdirSync, existsSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(web, 'node_modules', 'maplibre-gl');
const out = join(web, 'vendor', 'maplibre-gl');
const files = ['dist/maplibre-gl.mjs', 'dist/maplibre-gl-worker.mjs', 'dist/maplibre-gl.css', 'LICENSE.txt'];
const check = process.argv.includes('--check');

// Source maps are not shipped, so their comments go (a browser with dev tools open would
// otherwise ask the server for them and log a 404).
const strip = (text) => text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');

const version = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version;
const wanted = JSON.parse(readFileSync(join(web, 'package.json'), 'utf8')).devDependencies['maplibre-gl'];
if (version !== wanted) {
  console.error(`node_modules has maplibre-gl ${version}, package.json pins ${wanted}: run npm ci`);
  process.exit(1);
}
mkdirSync(out, {recursive: true});
let stale = [];
for (const f of files) {
  const text = strip(readFileSync(join(pkg, f), 'utf8'));
  const target = join(out, f.replace('dist/', ''));
  if (check) {
    if (!existsSync(target) || readFileSync(target, 'utf8') !== text) stale.push(target);
  } else {
    writeFileSync(target, text);
  }
}
const stamp = join(out, 'VERSION');
if (check) {
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== version) stale.push(stamp);
  if (stale.length) {
    console.error(`vendor/ differs from maplibre-gl ${version}: ${stale.join(', ')}; run npm run vendor`);
    process.exit(1);
  }
  console.log(`vendor/maplibre-gl matches maplibre-gl ${version}`);
} else {
  writeFileSync(stamp, version + '\n');
  console.log(`vendored maplibre-gl ${version} into ${out}`);
}
