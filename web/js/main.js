// The cluster-atlas web map: wires the controls, the map and the panels to the service's API.
// State lives in one object mirrored in the URL hash; everything drawn comes from the service
// (tiles, /density, /nearest, /search, OGC items), nothing from another host.

import {Map, NavigationControl, ScaleControl} from '../vendor/maplibre-gl/maplibre-gl.mjs';
import {apiUrl, getJSON, isAbort, onPendingChange} from './api.js';
import {toCsv} from './csv.js';
import {h, fill, fmt} from './dom.js';
import {formatHash, parseHash} from './hash.js';
import {MEASURE_LABEL, renderLegend} from './legend.js';
import {findNear, listNear, nearGeometry} from './near.js';
import {showClusterMembers, showFeature, showMessage, showUnit} from './panels.js';
import {setupSearch} from './search.js';
import {LEVELS, OTHER_INDUSTRY_COLOR, buildStyle, choroplethColor, industryColors, userLayerStyle} from './style.js';

const CHINA = [[73.5, 17.5], [135.1, 53.6]];
const ZOOM_FOR = {province: 5, prefecture: 6.5, county: 8, cluster: 9.5, park: 9.5, town: 9.5};
/** Clickable point layers of the style; imported layers add theirs when the map loads. */
const POINT_LAYERS = ['clusters-circles', 'clusters-points', 'filtered-circles', 'filtered-points'];
/** The point layer (collection id) each point source draws. */
const LAYER_OF_SOURCE = {clusters: 'clusters', filtered: 'clusters'};
const ADMIN_COLLECTIONS = new Set(['provinces', 'prefectures', 'counties']);
const EMPTY = {type: 'FeatureCollection', features: []};

const $ = (id) => document.getElementById(id);
const ui = {
  industry: $('industry'), level: $('level'), measure: $('measure'), method: $('method'),
  legend: $('legend'), pointsLegend: $('points-legend'), details: $('details'),
  nearForm: $('near-form'), nearLon: $('near-lon'), nearLat: $('near-lat'), nearK: $('near-k'),
  nearRadius: $('near-radius'), nearResults: $('near-results'), nearClear: $('near-clear'),
  status: $('status'), statusText: $('status-text'), error: $('error'), errorText: $('error-text'),
  sidebar: $('sidebar'), toggle: $('toggle-sidebar'), densityLink: $('dl-density'), tooltip: $('tooltip'),
  pointsLegendBox: $('points-legend-box'), userLayers: $('user-layers'),
};

/** Everything the page shows, mirrored in the hash. */
let state = parseHash(location.hash);
/** All features of the clusters layer (for the industry list, panels and downloads). */
let allFeatures = [];
/** Industries with their colours, most frequent first. */
let colored = [];
/** The /density response the choropleth shows. */
let density = null;
const unitCache = new globalThis.Map();
let map = null;
let densityController = null;
let nearController = null;
let mapBusy = true;
let pending = 0;

// ---- status and errors ---------------------------------------------------------------------

function updateStatus() {
  const busy = mapBusy || pending > 0;
  ui.status.classList.toggle('idle', !busy);
  document.body.dataset.state = busy ? 'loading' : 'idle';
}

function showError(err) {
  if (isAbort(err)) return;
  ui.errorText.textContent = err && err.message ? err.message : String(err);
  ui.error.hidden = false;
}

onPendingChange((n) => {
  pending = n;
  updateStatus();
});
$('error-close').addEventListener('click', () => { ui.error.hidden = true; });
window.addEventListener('unhandledrejection', (e) => showError(e.reason));

// ---- hash ----------------------------------------------------------------------------------

let writtenHash = '';
function writeHash() {
  if (map) {
    const c = map.getCenter();
    state.view = {zoom: map.getZoom(), lat: c.lat, lon: c.lng};
  }
  writtenHash = formatHash(state);
  history.replaceState(null, '', writtenHash);
}

// ---- industries and the points legend ------------------------------------------------------

/** Industries of `features` with their most common Chinese label and counts, most frequent first. */
function summarizeIndustries(features) {
  const by = new globalThis.Map();
  for (const f of features) {
    const code = f.properties.industry;
    if (!code) continue;
    const e = by.get(code) || {code, count: 0, labels: new globalThis.Map()};
    e.count += 1;
    const zh = f.properties.industry_zh || '';
    e.labels.set(zh, (e.labels.get(zh) || 0) + 1);
    by.set(code, e);
  }
  return [...by.values()]
    .map((e) => ({code: e.code, count: e.count, zh: [...e.labels].sort((a, b) => b[1] - a[1])[0][0]}))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}

function renderIndustryControls() {
  for (const ind of colored) {
    ui.industry.append(h('option', {value: ind.code}, `${ind.zh} · ${ind.code} (${ind.count})`));
  }
}

/** The points legend: every coloured industry, or only the chosen one. */
function renderPointsLegend() {
  const chosen = colored.find((c) => c.code === state.industry);
  if (chosen) {
    fill(ui.pointsLegend, h('ul', {class: 'one'}, h('li', {}, h('span', {class: 'swatch', style: `background:${chosen.color}`}), ` ${chosen.zh} (${chosen.count})`)),
      h('p', {class: 'hint'}, 'Only this industry is drawn; circles with a number group nearby features.'));
    return;
  }
  const named = colored.filter((c) => c.color !== OTHER_INDUSTRY_COLOR);
  const others = colored.length - named.length;
  fill(ui.pointsLegend,
    h('ul', {}, named.map((c) => h('li', {}, h('span', {class: 'swatch', style: `background:${c.color}`}), ` ${c.zh} (${c.count})`)),
      others ? h('li', {}, h('span', {class: 'swatch', style: `background:${OTHER_INDUSTRY_COLOR}`}), ` ${others} other industries`) : null),
    h('p', {class: 'hint'}, 'Big circles group nearby features (number inside; colour = most frequent industry). Click one to list it, or zoom in.'));
}

// ---- choropleth ----------------------------------------------------------------------------

/** The choropleth counts the curated layer, the one whose industries the controls list. */
function densityParams(level = state.level) {
  return {level, measure: state.measure, method: state.method, industry: state.industry, layer: 'clusters'};
}

async function loadDensity() {
  if (densityController) densityController.abort();
  densityController = new AbortController();
  const {level} = state;
  const {layer} = LEVELS[level];
  try {
    const d = await getJSON('density', {...densityParams(), all: 'true', geometry: 'false'}, {signal: densityController.signal});
    density = d;
    map.removeFeatureState({source: layer, sourceLayer: layer});
    for (const f of d.features) {
      map.setFeatureState({source: layer, sourceLayer: layer, id: f.properties.code}, {cls: f.properties.class, value: f.properties.value});
    }
    map.setPaintProperty(`${layer}-fill`, 'fill-color', choroplethColor(d.breaks.length - 1));
    const industry = colored.find((c) => c.code === state.industry);
    renderLegend(ui.legend, d, {industryLabel: industry && industry.zh, onUnit: (level, code) => selectUnit(level, code, {fly: true})});
    ui.densityLink.href = apiUrl('density.csv', densityParams()).href;
  } catch (err) {
    showError(err);
  }
}

function applyLevel() {
  for (const [level, {layer}] of Object.entries(LEVELS)) {
    map.setLayoutProperty(`${layer}-fill`, 'visibility', level === state.level ? 'visible' : 'none');
  }
}

// ---- points --------------------------------------------------------------------------------

function applyIndustryPoints() {
  const ind = state.industry;
  renderPointsLegend();
  const show = (prefix, on) => {
    for (const suffix of ['circles', 'counts', 'points', 'names']) map.setLayoutProperty(`${prefix}-${suffix}`, 'visibility', on ? 'visible' : 'none');
  };
  if (ind) {
    map.getSource('filtered').setData({type: 'FeatureCollection', features: allFeatures.filter((f) => f.properties.industry === ind)});
    const c = colored.find((x) => x.code === ind);
    map.setPaintProperty('filtered-circles', 'circle-color', c ? c.color : OTHER_INDUSTRY_COLOR);
  }
  show('clusters', !ind);
  show('filtered', Boolean(ind));
}

/** A pointer cursor over the clickable features of these layers. */
function pointerOver(layerIds) {
  for (const id of layerIds) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
}

/** Imported point layers (every collection but the boundaries and the curated clusters), each
 * drawn from its own tiles in its own colour with a checkbox in the points legend. */
async function addUserLayers() {
  let collections;
  try {
    collections = (await getJSON('collections')).collections;
  } catch (err) {
    showError(err);
    return;
  }
  const names = collections.map((c) => c.id).filter((id) => !ADMIN_COLLECTIONS.has(id) && id !== 'clusters');
  if (!names.length) return;
  const rows = names.map((name, i) => {
    const u = userLayerStyle(name, i);
    map.addSource(u.id, u.source);
    for (const l of u.layers) map.addLayer(l, 'near-origin');
    POINT_LAYERS.push(`${u.id}-circles`, `${u.id}-points`);
    LAYER_OF_SOURCE[u.id] = name;
    pointerOver([`${u.id}-circles`, `${u.id}-points`]);
    const title = collections.find((c) => c.id === name).title || name;
    return h('li', {dataset: {userLayer: name}}, h('label', {},
      h('input', {type: 'checkbox', checked: true, onchange: (e) => {
        for (const l of u.layers) map.setLayoutProperty(l.id, 'visibility', e.target.checked ? 'visible' : 'none');
      }}),
      h('span', {class: 'swatch', style: `background:${u.color}`}), ` ${title}`));
  });
  ui.userLayers.replaceChildren(h('h4', {}, 'Your layers'), h('ul', {}, rows));
}

// ---- selection -----------------------------------------------------------------------------

function clearSelection() {
  for (const {layer} of Object.values(LEVELS)) map.setFilter(`${layer}-selected`, ['==', ['get', 'code'], '']);
  map.getSource('selection').setData(EMPTY);
}

/** Unfolds the panel (phones) and brings the details into view. */
function openSidebar() {
  ui.sidebar.classList.remove('collapsed');
  ui.toggle.setAttribute('aria-expanded', 'true');
  ui.details.scrollIntoView({block: 'nearest'});
}

/** Shows a cluster, park or town (a GeoJSON feature with at least `id` and `layer`). */
async function selectFeature(f, {fly = false} = {}) {
  const id = f.properties.id ?? f.id;
  const layer = f.properties.layer || LAYER_OF_SOURCE[f.source] || 'clusters';
  let full = layer === 'clusters' ? allFeatures.find((x) => x.properties.id === id) : null;
  try {
    if (!full) full = await getJSON(`collections/${encodeURIComponent(layer)}/items/${encodeURIComponent(id)}`);
  } catch (err) {
    showError(err);
    return;
  }
  clearSelection();
  map.getSource('selection').setData(full);
  showFeature(ui.details, full, {onUnit: (level, code) => selectUnit(level, code, {fly: true})});
  openSidebar();
  state.sel = `cluster:${layer}/${id}`;
  if (fly) map.flyTo({center: full.geometry.coordinates, zoom: Math.max(map.getZoom(), ZOOM_FOR.cluster)});
  writeHash();
}

/** The names and values of every unit of `level` (from /density with all=true, cached). */
async function unitsOf(level) {
  if (density && density.level === level) return density.features;
  if (!unitCache.has(level)) {
    unitCache.set(level, getJSON('density', {level, all: 'true', geometry: 'false'}).then((d) => d.features));
  }
  return unitCache.get(level);
}

/** Shows an admin unit: names, code, area, the current measure, and the clusters assigned to it. */
async function selectUnit(level, code, {fly = false, at = null} = {}) {
  let unit;
  try {
    unit = (await unitsOf(level)).find((f) => f.properties.code === code);
  } catch (err) {
    showError(err);
    return;
  }
  if (!unit) {
    showMessage(ui.details, `No ${level} with code ${code}.`);
    return;
  }
  clearSelection();
  map.setFilter(`${LEVELS[level].layer}-selected`, ['==', ['get', 'code'], code]);
  const inside = allFeatures.filter((f) => f.properties[`${level}_code`] === code);
  const props = {...unit.properties, value: density && density.level === level ? unit.properties.value : null};
  showUnit(ui.details, level, props, inside, {
    measureLabel: `${MEASURE_LABEL[state.measure]}${state.industry ? ` (${state.industry})` : ''}`,
    onFeature: (f) => selectFeature(f, {fly: true}),
  });
  openSidebar();
  state.sel = `${level}:${code}`;
  if (fly) {
    const center = at || (inside[0] && inside[0].geometry.coordinates);
    if (center) map.flyTo({center, zoom: Math.max(map.getZoom(), ZOOM_FOR[level])});
  }
  writeHash();
}

async function expandCluster(f) {
  try {
    if (f.source === 'filtered') {
      const src = map.getSource('filtered');
      const id = f.properties.cluster_id;
      const [leaves, zoom] = await Promise.all([src.getClusterLeaves(id, Infinity, 0), src.getClusterExpansionZoom(id)]);
      const features = leaves.map((l) => allFeatures.find((x) => x.properties.id === l.properties.id) || l);
      showClusterMembers(ui.details, {features, expansion_zoom: zoom}, {
        onFeature: (m) => selectFeature(m, {fly: true}),
        onZoom: () => map.easeTo({center: f.geometry.coordinates, zoom}),
      });
    } else {
      const layer = LAYER_OF_SOURCE[f.source] || 'clusters';
      const fc = await getJSON(`tiles/${encodeURIComponent(layer)}/expand`, {cluster_id: f.properties.cluster_id});
      for (const m of fc.features) m.properties.layer = layer;
      showClusterMembers(ui.details, fc, {
        onFeature: (m) => selectFeature(m, {fly: true}),
        onZoom: () => map.easeTo({center: f.geometry.coordinates, zoom: fc.expansion_zoom}),
      });
    }
    openSidebar();
  } catch (err) {
    showError(err);
  }
}

// ---- what is near --------------------------------------------------------------------------

async function runNear(lon, lat) {
  const k = Number(ui.nearK.value);
  const radius = Number(ui.nearRadius.value) || 0;
  ui.nearLon.value = lon.toFixed(5);
  ui.nearLat.value = lat.toFixed(5);
  if (nearController) nearController.abort();
  nearController = new AbortController();
  try {
    const fc = await findNear({lon, lat, k, radius, industry: state.industry}, nearController.signal);
    map.getSource('near').setData(nearGeometry({lon, lat, radius}, fc.features));
    listNear(ui.nearResults, fc.features, (f) => selectFeature(f, {fly: true}));
    state.near = `${lon.toFixed(5)},${lat.toFixed(5)},${k},${radius}`;
    writeHash();
  } catch (err) {
    showError(err);
  }
}

function clearNear() {
  if (nearController) nearController.abort();
  map.getSource('near').setData(EMPTY);
  fill(ui.nearResults);
  state.near = '';
  writeHash();
}

// ---- downloads -----------------------------------------------------------------------------

function featuresInView() {
  const b = map.getBounds();
  return allFeatures.filter((f) => (!state.industry || f.properties.industry === state.industry) && b.contains(f.geometry.coordinates));
}

function save(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], {type}));
  const a = h('a', {href: url, download: name});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---- clicks --------------------------------------------------------------------------------

/** A small label under the pointer naming the unit and its value (no click needed). */
function onMapHover(e) {
  const tip = ui.tooltip;
  const unit = map.queryRenderedFeatures(e.point, {layers: [`${LEVELS[state.level].layer}-fill`]})[0];
  if (!unit) {
    tip.hidden = true;
    return;
  }
  const st = map.getFeatureState({source: unit.source, sourceLayer: unit.sourceLayer, id: unit.properties.code});
  const value = st.value === undefined || st.value === null ? '–' : fmt(st.value, state.measure === 'count' ? 0 : 2);
  tip.textContent = `${unit.properties.name_zh} · ${MEASURE_LABEL[state.measure]}: ${value}`;
  tip.style.left = `${e.point.x + 12}px`;
  tip.style.top = `${e.point.y + 12}px`;
  tip.hidden = false;
}

function onMapClick(e) {
  const layers = POINT_LAYERS.filter((id) => map.getLayoutProperty(id, 'visibility') !== 'none');
  const hit = map.queryRenderedFeatures(e.point, {layers})[0];
  if (hit) {
    if (hit.properties.point_count) expandCluster(hit);
    else selectFeature(hit);
    return;
  }
  const {lng, lat} = e.lngLat;
  runNear(lng, lat);
  const unit = map.queryRenderedFeatures(e.point, {layers: [`${LEVELS[state.level].layer}-fill`]})[0];
  if (unit) selectUnit(state.level, unit.properties.code);
}

// ---- start ---------------------------------------------------------------------------------

function readControls() {
  state.industry = ui.industry.value;
  state.level = ui.level.value;
  state.measure = ui.measure.value;
  state.method = ui.method.value;
}

function writeControls() {
  ui.industry.value = colored.some((c) => c.code === state.industry) ? state.industry : '';
  state.industry = ui.industry.value;
  ui.level.value = state.level;
  ui.measure.value = state.measure;
  ui.method.value = state.method;
}

/** Restores the selection and the near search named in the hash. */
function restoreFromState() {
  const [kind, rest] = state.sel.split(/:(.*)/s);
  if (kind === 'cluster' && rest) {
    const [layer, id] = rest.includes('/') ? rest.split(/\/(.*)/s) : ['clusters', rest];
    selectFeature({properties: {id, layer}});
  } else if (LEVELS[kind] && rest) {
    selectUnit(kind, rest);
  }
  const near = state.near.split(',').map(Number);
  if (near.length === 4 && near.every(Number.isFinite)) {
    ui.nearK.value = String(near[2]);
    ui.nearRadius.value = near[3] ? String(near[3]) : '';
    runNear(near[0], near[1]);
  }
}

async function start() {
  updateStatus();
  try {
    const fc = await getJSON('collections/clusters/items', {limit: 10000});
    allFeatures = fc.features;
  } catch (err) {
    showError(err);
  }
  colored = industryColors(summarizeIndustries(allFeatures));
  renderIndustryControls();
  writeControls();

  const view = state.view ? {center: [state.view.lon, state.view.lat], zoom: state.view.zoom} : {bounds: CHINA, fitBoundsOptions: {padding: 10}};
  map = new Map({
    container: 'map',
    style: buildStyle(colored),
    ...view,
    maxZoom: 16,
    localIdeographFontFamily: '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    attributionControl: {compact: true},
  });
  window.atlas = {map, get state() { return state; }, get density() { return density; }};
  map.addControl(new NavigationControl(), 'top-right');
  map.addControl(new ScaleControl({unit: 'metric'}), 'bottom-left');
  map.on('error', (e) => showError(e.error || e));
  map.on('dataloading', () => { mapBusy = true; updateStatus(); });
  map.on('idle', () => { mapBusy = false; updateStatus(); });
  map.on('moveend', writeHash);
  map.on('click', onMapClick);
  map.on('mousemove', onMapHover);
  map.getCanvasContainer().addEventListener('mouseleave', () => { ui.tooltip.hidden = true; });
  pointerOver(POINT_LAYERS);
  map.on('load', () => {
    addUserLayers();
    applyLevel();
    applyIndustryPoints();
    loadDensity();
    restoreFromState();
    writeHash();
  });

  for (const el of [ui.industry, ui.level, ui.measure, ui.method]) {
    el.addEventListener('change', () => {
      readControls();
      applyLevel();
      applyIndustryPoints();
      loadDensity();
      if (state.near) {
        const [lon, lat] = state.near.split(',').map(Number);
        runNear(lon, lat);
      }
      writeHash();
    });
  }
  ui.nearForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const lon = Number(ui.nearLon.value);
    const lat = Number(ui.nearLat.value);
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return;
    runNear(lon, lat);
    map.flyTo({center: [lon, lat], zoom: Math.max(map.getZoom(), 7)});
  });
  ui.nearClear.addEventListener('click', clearNear);
  $('try-foundry').addEventListener('click', (e) => {
    e.preventDefault();
    ui.industry.value = 'foundry';
    ui.industry.dispatchEvent(new Event('change'));
  });
  ui.toggle.addEventListener('click', () => {
    const collapsed = ui.sidebar.classList.toggle('collapsed');
    ui.toggle.setAttribute('aria-expanded', String(!collapsed));
  });
  $('dl-geojson').addEventListener('click', () => save('clusters-in-view.geojson', 'application/geo+json',
    JSON.stringify({type: 'FeatureCollection', features: featuresInView()})));
  $('dl-csv').addEventListener('click', () => save('clusters-in-view.csv', 'text/csv', toCsv(featuresInView())));
  setupSearch($('search-input'), $('search-results'), (hit) => {
    const type = hit.properties.type;
    map.flyTo({center: hit.geometry.coordinates, zoom: ZOOM_FOR[type] || 8});
    if (LEVELS[type]) selectUnit(type, hit.properties.id, {at: hit.geometry.coordinates});
    else selectFeature(hit);
  }, showError);
  window.addEventListener('hashchange', () => {
    if (location.hash === writtenHash) return;
    state = parseHash(location.hash);
    writeControls();
    applyLevel();
    applyIndustryPoints();
    loadDensity();
    if (state.view) map.jumpTo({center: [state.view.lon, state.view.lat], zoom: state.view.zoom});
    restoreFromState();
  });
  if (window.matchMedia('(max-width: 720px)').matches) {
    ui.sidebar.classList.add('collapsed');
    ui.pointsLegendBox.open = false;
  }
}

start();
