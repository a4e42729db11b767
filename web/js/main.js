// The cluster-atlas web map. The page has ONE state object (the URL hash is its serialisation)
// and ONE way to change it: a control calls update(patch) → the state changes → the hash is
// written → render(state) redraws the parts of the page whose slice of the state changed.
// Everything drawn comes from the service (tiles, /density, /nearest, /search, OGC items).

import {Map, NavigationControl, ScaleControl} from '../vendor/maplibre-gl/maplibre-gl.mjs';
import {apiUrl, getJSON, isAbort, onPendingChange} from './api.js';
import {hoverLabel, paintDensity, showLevel} from './choropleth.js';
import {toCsv} from './csv.js';
import {h, fill} from './dom.js';
import {densityOf, densityParams, layer, loadLayer, shownOf, unitsOf} from './data.js';
import {countIndustries, filterParams, hasIndustry, paramsKey} from './filters.js';
import {formatHash, parseHash, parseSel} from './hash.js';
import {MEASURE_LABEL, renderLegend} from './legend.js';
import {findNear, formatNear, listNear, nearGeometry, parseNear} from './near.js';
import {showClusterMembers, showFeature, showMessage, showUnit} from './panels.js';
import {part} from './parts.js';
import {industryLabel, renderIndustryOptions, renderPointsLegend, renderShownCount} from './points.js';
import {setupSearch} from './search.js';
import {LEVELS, buildStyle, pointColors, pointTilesUrl} from './style.js';
import {setupTimeline} from './timeline.js';
import {addUserLayers} from './userlayers.js';

const CHINA = [[73.5, 17.5], [135.1, 53.6]];
const ZOOM_FOR = {province: 5, prefecture: 6.5, county: 8, cluster: 9.5, park: 9.5, town: 9.5};
/** Clickable point layers of the style; imported layers add theirs when the map loads. */
const POINT_LAYERS = ['clusters-circles', 'clusters-points'];
/** The point layer (collection id) each point source draws. */
const LAYER_OF_SOURCE = {clusters: 'clusters'};
const EMPTY = {type: 'FeatureCollection', features: []};
const KIND_LABEL = {cluster: 'clusters', park: 'development zones', town: 'towns'};
const APPROVAL_LABEL = {national: 'national', provincial: 'provincial'};
const HINT = 'Click a cluster, a zone or a county to see its details.';

const $ = (id) => document.getElementById(id);
const ui = {
  industry: $('industry'), kind: $('kind'), approval: $('approval'), level: $('level'), measure: $('measure'), method: $('method'),
  year: $('year'), yearLabel: $('year-label'), play: $('play'), shownCount: $('shown-count'),
  legend: $('legend'), pointsLegend: $('points-legend'), details: $('details'),
  nearForm: $('near-form'), nearLon: $('near-lon'), nearLat: $('near-lat'), nearK: $('near-k'),
  nearRadius: $('near-radius'), nearResults: $('near-results'), nearClear: $('near-clear'),
  status: $('status'), error: $('error'), errorText: $('error-text'),
  sidebar: $('sidebar'), toggle: $('toggle-sidebar'), densityLink: $('dl-density'), tooltip: $('tooltip'),
  pointsLegendBox: $('points-legend-box'), userLayers: $('user-layers'),
};

/** The page's one state: view, choices, selection and near search (see hash.js). */
let state = parseHash(location.hash);
/** The map, once its style has loaded (render draws on it from then on). */
let map = null;

// ---- status and errors ---------------------------------------------------------------------

const busy = {map: true, requests: 0};
function updateStatus() {
  const loading = busy.map || busy.requests > 0;
  ui.status.classList.toggle('idle', !loading);
  document.body.dataset.state = loading ? 'loading' : 'idle';
}

function showError(err) {
  if (isAbort(err)) return;
  ui.errorText.textContent = err && err.message ? err.message : String(err);
  ui.error.hidden = false;
}

onPendingChange((n) => {
  busy.requests = n;
  updateStatus();
});
$('error-close').addEventListener('click', () => { ui.error.hidden = true; });
window.addEventListener('unhandledrejection', (e) => showError(e.reason));

/** What the filters say, for the legend title: "铸造 · foundry · national · development zones · ≤ 2000". */
function filterLabel(s) {
  return [s.industry ? industryLabel(layer.colored, s.industry) : 'all industries', APPROVAL_LABEL[s.approval], KIND_LABEL[s.kind],
    s.year ? `≤ ${s.year}` : ''].filter(Boolean).join(' · ');
}

// ---- the one way to change the page ---------------------------------------------------------

/** Keeps the state to what the page can show (an industry the layer does not have is dropped). */
function normalize(s) {
  return layer.byId.size && s.industry && !layer.colored.some((c) => c.code === s.industry) ? {...s, industry: ''} : s;
}

let writtenHash = '';
/**
 * Changes the state by `patch`, writes the hash and renders. `opts` tell how the change came:
 * `fly` (move the map to the selection), `at` (where the click was), `open` (unfold the panel:
 * by default when the selection changed, not when a filter redraws it), `redraw` (see render).
 */
function update(patch, opts = {}) {
  const open = 'sel' in patch && patch.sel !== state.sel;
  state = normalize({...state, ...patch});
  writtenHash = formatHash(state);
  history.replaceState(null, '', writtenHash);
  return render(state, {open, ...opts});
}

/** Sets the controls to the state (cheap, so always). */
function drawControls(s) {
  for (const key of ['industry', 'kind', 'approval', 'level', 'measure', 'method']) ui[key].value = s[key];
  timeline.show(s.year);
}

const drawView = part((s) => (s.view ? `${s.view.zoom.toFixed(2)}/${s.view.lat.toFixed(4)}/${s.view.lon.toFixed(4)}` : ''), (s) => {
  if (!s.view) return;
  const c = map.getCenter();
  if (Math.abs(map.getZoom() - s.view.zoom) > 0.01 || Math.abs(c.lat - s.view.lat) > 1e-4 || Math.abs(c.lng - s.view.lon) > 1e-4) {
    map.jumpTo({center: [s.view.lon, s.view.lat], zoom: s.view.zoom});
  }
});

const drawLevel = part((s) => s.level, (s) => showLevel(map, s.level));

/** Resolves after the map's next frame. */
const nextFrame = () => new Promise((resolve) => {
  map.once('render', resolve);
  map.triggerRepaint();
});

/**
 * Point tiles filtered by the server, coloured by industry (one colour when one is chosen). New
 * colours are applied at least a frame before new tiles are asked for: MapLibre drops a tile reload
 * asked for in the frame that restyles the layer (and the old tiles stay).
 */
const drawPoints = part((s) => paramsKey(filterParams(s)), async (s, {current}) => {
  const colors = pointColors(layer.colored, s.industry);
  if (JSON.stringify(map.getPaintProperty('clusters-points', 'circle-color')) !== JSON.stringify(colors.points)) {
    map.setPaintProperty('clusters-circles', 'circle-color', colors.circles);
    map.setPaintProperty('clusters-points', 'circle-color', colors.points);
  }
  await nextFrame();
  if (!current()) return;
  const url = pointTilesUrl('clusters', filterParams(s));
  const source = map.getSource('clusters');
  if ((source.serialize().tiles || [])[0] !== url) source.setTiles([url]);
});

/** The industry list by count, the points legend and how many features are shown. */
const drawShown = part((s) => paramsKey(filterParams(s)), async (s, {current}) => {
  const fc = await shownOf(s);
  if (!current()) return;
  const counts = countIndustries(fc.features);
  renderIndustryOptions(ui.industry, layer.colored, counts, s.industry);
  renderPointsLegend(ui.pointsLegend, layer.colored, counts, s.industry);
  const n = s.industry ? (counts.find((c) => c.code === s.industry) || {count: 0}).count : fc.numberMatched ?? fc.features.length;
  renderShownCount(ui.shownCount, n, layer.total, s.year);
});

const drawChoropleth = part((s) => paramsKey(densityParams(s)), async (s, {current}) => {
  const d = await densityOf(s);
  if (!current()) return;
  paintDensity(map, d);
  renderLegend(ui.legend, d, {industryLabel: filterLabel(s), onUnit: (level, code) => update({sel: `${level}:${code}`}, {fly: true})});
  ui.densityLink.href = apiUrl('density.csv', densityParams(s)).href;
});

/**
 * The details panel and the selection drawn on the map. A unit's panel follows the filters; a
 * server cluster's members are those of the click (under other filters its cell may be empty).
 */
const drawSelection = part((s) => {
  const sel = parseSel(s.sel);
  return sel && sel.type === 'unit' ? `${s.sel}|${paramsKey(densityParams(s))}` : s.sel;
}, async (s, ctx) => {
  const sel = parseSel(s.sel);
  if (!sel) {
    clearSelection();
    showMessage(ui.details, HINT);
  } else if (sel.type === 'feature') {
    await drawFeature(sel, ctx);
  } else if (sel.type === 'members') {
    await drawMembers(sel, s, ctx);
  } else {
    await drawUnit(sel, s, ctx);
  }
});

const drawNear = part((s) => `${s.near}|${paramsKey(filterParams(s))}`, async (s, {current, signal}) => {
  const n = parseNear(s.near);
  if (!n) {
    map.getSource('near').setData(EMPTY);
    fill(ui.nearResults);
    return;
  }
  ui.nearLon.value = n.lon.toFixed(5);
  ui.nearLat.value = n.lat.toFixed(5);
  ui.nearK.value = String(n.k);
  ui.nearRadius.value = n.radius ? String(n.radius) : '';
  const fc = await findNear({...n, filter: filterParams(s)}, signal);
  if (!current()) return;
  map.getSource('near').setData(nearGeometry(n, fc.features));
  listNear(ui.nearResults, fc.features, (f) => update({sel: `cluster:${f.properties.layer || 'clusters'}/${f.properties.id}`}, {fly: true}));
});

/**
 * Renders the page from state `s`; resolves when every part has drawn (errors shown, not
 * thrown). `opts.redraw` names a part to draw even if its slice of the state is unchanged.
 */
function render(s, opts = {}) {
  drawControls(s);
  if (!map) return Promise.resolve();
  const parts = {view: drawView, level: drawLevel, points: drawPoints, shown: drawShown, choropleth: drawChoropleth, selection: drawSelection, near: drawNear};
  return Promise.all(Object.entries(parts).map(([name, draw]) => draw(s, {...opts, force: opts.redraw === name}).catch(showError)));
}

// ---- the selection -------------------------------------------------------------------------

function clearSelection() {
  for (const {layer: l} of Object.values(LEVELS)) map.setFilter(`${l}-selected`, ['==', ['get', 'code'], '']);
  map.getSource('selection').setData(EMPTY);
}

/** Unfolds the panel (phones) and brings the details into view. */
function openSidebar() {
  ui.sidebar.classList.remove('collapsed');
  ui.toggle.setAttribute('aria-expanded', 'true');
  ui.details.scrollIntoView({block: 'nearest'});
}

const selectFeature = (f) => update({sel: `cluster:${f.properties.layer || 'clusters'}/${f.properties.id ?? f.id}`}, {fly: true});
const selectUnit = (level, code) => update({sel: `${level}:${code}`}, {fly: true});

/** A cluster, zone or town (or a feature of an imported layer). */
async function drawFeature({layer: name, id}, {current, signal, fly, open}) {
  const full = (name === 'clusters' && layer.byId.get(id))
    || await getJSON(`collections/${encodeURIComponent(name)}/items/${encodeURIComponent(id)}`, {}, {signal});
  if (!current()) return;
  clearSelection();
  map.getSource('selection').setData(full);
  showFeature(ui.details, full, {onUnit: selectUnit});
  if (open) openSidebar();
  if (fly) map.flyTo({center: full.geometry.coordinates, zoom: Math.max(map.getZoom(), ZOOM_FOR.cluster)});
}

/** The members of a server-side cluster (asked with the filters of the tiles clicked). */
async function drawMembers({layer: name, id}, s, {current, signal, at, open}) {
  const filter = name === 'clusters' ? filterParams(s) : {};
  const fc = await getJSON(`tiles/${encodeURIComponent(name)}/expand`, {cluster_id: id, ...filter}, {signal});
  if (!current()) return;
  for (const m of fc.features) m.properties.layer = name;
  clearSelection();
  const center = at || (fc.features[0] && fc.features[0].geometry.coordinates);
  showClusterMembers(ui.details, fc, {
    onFeature: selectFeature,
    onZoom: () => center && map.easeTo({center, zoom: fc.expansion_zoom}),
  });
  if (open) openSidebar();
}

/** An admin unit: names, code, area, the current measure, and the features assigned to it. */
async function drawUnit({level, code}, s, {current, fly, at, open}) {
  const [units, shown] = await Promise.all([unitsOf(level, s), shownOf(s)]);
  if (!current()) return;
  const unit = units.find((f) => f.properties.code === code);
  if (!unit) {
    showMessage(ui.details, `No ${level} with code ${code}.`);
    return;
  }
  clearSelection();
  map.setFilter(`${LEVELS[level].layer}-selected`, ['==', ['get', 'code'], code]);
  const inside = shown.features.filter((f) => f.properties[`${level}_code`] === code);
  showUnit(ui.details, level, unit.properties, inside, {
    measureLabel: `${MEASURE_LABEL[s.measure]}${s.industry ? ` (${s.industry})` : ''}`,
    onFeature: selectFeature,
    label: (t) => industryLabel(layer.colored, t),
  });
  if (open) openSidebar();
  const center = at || (inside[0] && inside[0].geometry.coordinates);
  if (fly && center) map.flyTo({center, zoom: Math.max(map.getZoom(), ZOOM_FOR[level])});
}

// ---- map events ----------------------------------------------------------------------------

/** A pointer cursor over the clickable features of these layers. */
function pointerOver(layerIds) {
  for (const id of layerIds) {
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
}

/** A point (or a server cluster of points) selects it; elsewhere the click asks what is near and selects the unit there. */
function onMapClick(e) {
  const layers = POINT_LAYERS.filter((id) => map.getLayoutProperty(id, 'visibility') !== 'none');
  const hit = map.queryRenderedFeatures(e.point, {layers})[0];
  if (hit) {
    const name = LAYER_OF_SOURCE[hit.source] || 'clusters';
    // A click always redraws: the same cluster id under other filters has other members.
    if (hit.properties.point_count) update({sel: `members:${name}/${hit.properties.cluster_id}`}, {at: hit.geometry.coordinates, redraw: 'selection', open: true});
    else update({sel: `cluster:${name}/${hit.properties.id}`}, {open: true});
    return;
  }
  const unit = map.queryRenderedFeatures(e.point, {layers: [`${LEVELS[state.level].layer}-fill`]})[0];
  const near = formatNear({lon: e.lngLat.lng, lat: e.lngLat.lat, k: Number(ui.nearK.value), radius: Number(ui.nearRadius.value) || 0});
  update({near, ...(unit ? {sel: `${state.level}:${unit.properties.code}`} : {})});
}

// ---- downloads -----------------------------------------------------------------------------

/** The features the map shows inside the current view. */
async function featuresInView() {
  if (!map) return [];
  const fc = await shownOf(state);
  const b = map.getBounds();
  return fc.features.filter((f) => hasIndustry(f, state.industry) && b.contains(f.geometry.coordinates));
}

function save(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], {type}));
  const a = h('a', {href: url, download: name});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---- start ---------------------------------------------------------------------------------

/** Resolves once the map has drawn what it was asked to (for playing the years). */
function mapSettled() {
  return new Promise((resolve) => requestAnimationFrame(() => {
    if (map.loaded() && map.areTilesLoaded()) resolve();
    else map.once('idle', resolve);
  }));
}

const timeline = setupTimeline({slider: ui.year, label: ui.yearLabel, play: ui.play}, async (year) => {
  await update({year});
  if (map) await mapSettled();
});

async function start() {
  updateStatus();
  const points = await loadLayer(state, showError);
  state = normalize(state);
  renderIndustryOptions(ui.industry, layer.colored, countIndustries([...layer.byId.values()]), state.industry);
  drawControls(state);

  const view = state.view ? {center: [state.view.lon, state.view.lat], zoom: state.view.zoom} : {bounds: CHINA, fitBoundsOptions: {padding: 10}};
  const m = new Map({
    container: 'map',
    style: buildStyle(layer.colored, points),
    ...view,
    maxZoom: 16,
    localIdeographFontFamily: '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    attributionControl: {compact: true},
  });
  window.atlas = {map: m, get state() { return state; }, update};
  m.addControl(new NavigationControl(), 'top-right');
  m.addControl(new ScaleControl({unit: 'metric'}), 'bottom-left');
  m.on('error', (e) => showError(e.error || e));
  m.on('dataloading', () => { busy.map = true; updateStatus(); });
  m.on('idle', () => { busy.map = false; updateStatus(); });
  // The page draws on the map (and listens to it) once its style has loaded.
  m.on('load', () => {
    map = m;
    const currentView = () => ({zoom: map.getZoom(), lat: map.getCenter().lat, lon: map.getCenter().lng});
    map.on('moveend', () => update({view: currentView()}));
    map.on('click', onMapClick);
    map.on('mousemove', (e) => hoverLabel(map, ui.tooltip, e, state));
    map.getCanvasContainer().addEventListener('mouseleave', () => { ui.tooltip.hidden = true; });
    pointerOver(POINT_LAYERS);
    addUserLayers(map, ui.userLayers, 'near-origin', (source, name, ids) => {
      POINT_LAYERS.push(...ids);
      LAYER_OF_SOURCE[source] = name;
      pointerOver(ids);
    }).catch(showError);
    update({view: currentView()}, {open: Boolean(state.sel)});
  });

  for (const key of ['industry', 'kind', 'approval', 'level', 'measure', 'method']) {
    ui[key].addEventListener('change', () => update({[key]: ui[key].value}));
  }
  ui.nearForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const lon = Number(ui.nearLon.value);
    const lat = Number(ui.nearLat.value);
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return;
    update({near: formatNear({lon, lat, k: Number(ui.nearK.value), radius: Number(ui.nearRadius.value) || 0})});
    m.flyTo({center: [lon, lat], zoom: Math.max(m.getZoom(), 7)});
  });
  ui.nearClear.addEventListener('click', () => update({near: ''}));
  $('try-foundry').addEventListener('click', (e) => {
    e.preventDefault();
    update({industry: 'foundry'});
  });
  ui.toggle.addEventListener('click', () => {
    const collapsed = ui.sidebar.classList.toggle('collapsed');
    ui.toggle.setAttribute('aria-expanded', String(!collapsed));
  });
  $('dl-geojson').addEventListener('click', async () => save('clusters-in-view.geojson', 'application/geo+json',
    JSON.stringify({type: 'FeatureCollection', features: await featuresInView()})));
  $('dl-csv').addEventListener('click', async () => save('clusters-in-view.csv', 'text/csv', toCsv(await featuresInView())));
  setupSearch($('search-input'), $('search-results'), (hit) => {
    const type = hit.properties.type;
    m.flyTo({center: hit.geometry.coordinates, zoom: ZOOM_FOR[type] || 8});
    if (LEVELS[type]) update({sel: `${type}:${hit.properties.id}`}, {at: hit.geometry.coordinates});
    else update({sel: `cluster:${hit.properties.layer || 'clusters'}/${hit.properties.id ?? hit.id}`});
  }, showError);
  window.addEventListener('hashchange', () => {
    if (location.hash === writtenHash) return;
    timeline.stop();
    update(parseHash(location.hash));
  });
  if (window.matchMedia('(max-width: 720px)').matches) {
    ui.sidebar.classList.add('collapsed');
    ui.pointsLegendBox.open = false;
  }
}

start();
