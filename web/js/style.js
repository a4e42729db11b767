// The map style: our own boundary and cluster tiles only (no remote basemap), Chinese labels
// drawn from local fonts (no `glyphs` URL: MapLibre ≥ 5.11 renders every label with TinySDF
// from the fonts named in `text-font`), a choropleth per admin level driven by feature state,
// and clustered points coloured by industry.

import {apiUrl} from './api.js';

/** Admin levels, their tile layer / OGC collection and the zoom from which their lines show. */
export const LEVELS = {
  province: {layer: 'provinces', lineFrom: 0, labelFrom: 2.5, labelTo: 6},
  prefecture: {layer: 'prefectures', lineFrom: 3.5, labelFrom: 5.5, labelTo: 8},
  county: {layer: 'counties', lineFrom: 5, labelFrom: 7.5, labelTo: 24},
};

/** Sequential classes, light to dark (ColorBrewer YlOrRd), by number of classes. */
export const CLASS_COLORS = {
  1: ['#e34a33'],
  2: ['#fdbb84', '#e34a33'],
  3: ['#fee8c8', '#fdbb84', '#e34a33'],
  4: ['#fef0d9', '#fdcc8a', '#fc8d59', '#d7301f'],
  5: ['#fef0d9', '#fdcc8a', '#fc8d59', '#e34a33', '#b30000'],
  6: ['#fef0d9', '#fdd49e', '#fdbb84', '#fc8d59', '#e34a33', '#b30000'],
  7: ['#fef0d9', '#fdd49e', '#fdbb84', '#fc8d59', '#ef6548', '#d7301f', '#990000'],
};
/** Fill of units with no value (no matching features, or LQ undefined). */
export const NO_VALUE_COLOR = '#f4f2ed';

/** Distinct colours handed to the most frequent industries, in order (Tableau 10 + extras). */
const INDUSTRY_PALETTE = ['#4e79a7', '#e15759', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#17becf', '#8c564b'];
/** Colour of every industry beyond the palette. */
export const OTHER_INDUSTRY_COLOR = '#8a949e';
const FONT = ['Noto Sans CJK SC', 'Noto Sans SC', 'sans-serif'];

/** Industries sorted by frequency with their colour; the rest share OTHER_INDUSTRY_COLOR. */
export function industryColors(industries) {
  return industries.map((ind, i) => ({...ind, color: INDUSTRY_PALETTE[i] || OTHER_INDUSTRY_COLOR}));
}

/** A style expression giving the colour of industry `input`. */
export function industryColorExpression(colored, input) {
  const pairs = colored.filter((c) => c.color !== OTHER_INDUSTRY_COLOR).flatMap((c) => [c.code, c.color]);
  return pairs.length ? ['match', input, ...pairs, OTHER_INDUSTRY_COLOR] : OTHER_INDUSTRY_COLOR;
}

/** The fill colour expression of a choropleth with `n` classes (feature state `cls`). */
export function choroplethColor(n) {
  const colors = CLASS_COLORS[Math.min(Math.max(n, 1), 7)];
  const stops = colors.flatMap((c, i) => [i, c]);
  return ['match', ['coalesce', ['feature-state', 'cls'], -1], ...stops, NO_VALUE_COLOR];
}

function adminLayers(level) {
  const {layer, lineFrom, labelFrom, labelTo} = LEVELS[level];
  const widths = {province: [1, 1.2, 8, 2.2], prefecture: [3.5, 0.5, 9, 1.3], county: [5, 0.3, 10, 0.9]}[level];
  return {
    fill: {
      id: `${layer}-fill`, type: 'fill', source: layer, 'source-layer': layer,
      layout: {visibility: 'none'},
      paint: {'fill-color': choroplethColor(5), 'fill-opacity': 0.9},
    },
    line: {
      id: `${layer}-line`, type: 'line', source: layer, 'source-layer': layer, minzoom: lineFrom,
      paint: {
        'line-color': level === 'province' ? '#6b7480' : '#9aa4ae',
        'line-width': ['interpolate', ['linear'], ['zoom'], widths[0], widths[1], widths[2], widths[3]],
      },
    },
    selected: {
      id: `${layer}-selected`, type: 'line', source: layer, 'source-layer': layer,
      filter: ['==', ['get', 'code'], ''], paint: {'line-color': '#1f4e9c', 'line-width': 3},
    },
    label: {
      id: `${layer}-label`, type: 'symbol', source: layer, 'source-layer': `${layer}_label`,
      minzoom: labelFrom, maxzoom: labelTo,
      layout: {
        'text-field': ['get', 'name_zh'], 'text-font': FONT,
        'text-size': level === 'province' ? 14 : 12, 'text-padding': 4,
        // A unit's label may step aside for a cluster drawn at the same representative point.
        'text-variable-anchor': ['center', 'top', 'bottom', 'left', 'right'], 'text-radial-offset': 0.9,
      },
      paint: {'text-color': level === 'province' ? '#3a4450' : '#55606c', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2},
    },
  };
}

/** Circle, count and point layers of one point source (`sourceLayer` for vector tiles). */
export function pointLayers(source, sourceLayer, clusterColor, pointColor) {
  const common = {source, ...(sourceLayer ? {'source-layer': sourceLayer} : {})};
  return [
    {
      id: `${source}-circles`, type: 'circle', ...common, filter: ['has', 'point_count'],
      paint: {
        'circle-color': clusterColor,
        'circle-radius': ['step', ['get', 'point_count'], 13, 5, 16, 20, 21, 60, 27],
        'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2, 'circle-opacity': 0.9,
      },
    },
    {
      id: `${source}-counts`, type: 'symbol', ...common, filter: ['has', 'point_count'],
      layout: {'text-field': ['get', 'point_count_abbreviated'], 'text-font': FONT, 'text-size': 12, 'text-allow-overlap': true},
      paint: {'text-color': '#ffffff', 'text-halo-color': 'rgba(0,0,0,.35)', 'text-halo-width': 1},
    },
    {
      id: `${source}-points`, type: 'circle', ...common, filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-color': pointColor,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, 5, 10, 8],
        'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5,
      },
    },
    {
      id: `${source}-names`, type: 'symbol', ...common, filter: ['!', ['has', 'point_count']], minzoom: 7,
      layout: {
        'text-field': ['get', 'name_zh'], 'text-font': FONT, 'text-size': 11,
        'text-offset': [0, 1.1], 'text-anchor': 'top', 'text-optional': true, 'text-max-width': 9,
      },
      paint: {'text-color': '#2b3540', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2},
    },
  ];
}

/** Colours of imported point layers, in the order the service lists them. */
const USER_LAYER_COLORS = ['#111827', '#7c3aed', '#0f766e', '#be185d', '#a16207'];

/** The source and layers of an imported point layer `name` (its own tiles), the `i`-th one. */
export function userLayerStyle(name, i) {
  const color = USER_LAYER_COLORS[i % USER_LAYER_COLORS.length];
  const id = `user-${name}`;
  return {id, color, source: {type: 'vector', url: apiUrl(`tiles/${encodeURIComponent(name)}.json`).href}, layers: pointLayers(id, name, color, color)};
}

/** First industry of a server-side cluster's comma-separated `top_industries`. */
export const TOP_INDUSTRY = ['let', 't', ['concat', ['get', 'top_industries'], ','], ['slice', ['var', 't'], 0, ['index-of', ',', ['var', 't']]]];

/**
 * The tile URL template of point layer `layer` with the point filter `params` as query (the
 * server clusters and filters the points), e.g. …/tiles/clusters/{z}/{x}/{y}.mvt?kind=park.
 */
export function pointTilesUrl(layer, params = {}) {
  return apiUrl(`tiles/${encodeURIComponent(layer)}/{z}/{x}/{y}.mvt`, params).href.replace(/%7B/g, '{').replace(/%7D/g, '}');
}

/** The colours of the default point layer's circles and points; one colour when an industry is chosen. */
export function pointColors(colored, industry) {
  if (industry) {
    const c = colored.find((x) => x.code === industry);
    const one = c ? c.color : OTHER_INDUSTRY_COLOR;
    return {circles: one, points: one};
  }
  return {circles: industryColorExpression(colored, TOP_INDUSTRY), points: industryColorExpression(colored, ['get', 'industry'])};
}

/**
 * The whole style; `colored` are the industries with their colours, `points` the vector source
 * of the default point layer (its TileJSON's tiles, zooms and bounds).
 */
export function buildStyle(colored, points) {
  const tilejson = (layer) => ({type: 'vector', url: apiUrl(`tiles/${layer}.json`).href, promoteId: 'code'});
  const admin = ['province', 'prefecture', 'county'].map(adminLayers);
  const colors = pointColors(colored, '');
  return {
    version: 8,
    name: 'cluster-atlas',
    sources: {
      provinces: tilejson('provinces'),
      prefectures: tilejson('prefectures'),
      counties: tilejson('counties'),
      clusters: {type: 'vector', ...points},
      near: {type: 'geojson', data: {type: 'FeatureCollection', features: []}},
      selection: {type: 'geojson', data: {type: 'FeatureCollection', features: []}},
    },
    layers: [
      {id: 'background', type: 'background', paint: {'background-color': '#dde6ee'}},
      {id: 'land', type: 'fill', source: 'provinces', 'source-layer': 'provinces', paint: {'fill-color': NO_VALUE_COLOR}},
      ...admin.map((a) => a.fill),
      admin[2].line, admin[1].line, admin[0].line,
      ...admin.map((a) => a.selected),
      {
        id: 'near-radius', type: 'fill', source: 'near', filter: ['==', ['get', 'role'], 'radius'],
        paint: {'fill-color': '#1f4e9c', 'fill-opacity': 0.07, 'fill-outline-color': '#1f4e9c'},
      },
      {
        id: 'near-lines', type: 'line', source: 'near', filter: ['==', ['get', 'role'], 'line'],
        paint: {'line-color': '#1f4e9c', 'line-width': 1.5, 'line-dasharray': [2, 1.5]},
      },
      admin[0].label, admin[1].label, admin[2].label,
      ...pointLayers('clusters', 'clusters', colors.circles, colors.points),
      {
        id: 'near-origin', type: 'circle', source: 'near', filter: ['==', ['get', 'role'], 'origin'],
        paint: {'circle-color': '#1f4e9c', 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2},
      },
      {
        id: 'selected-point', type: 'circle', source: 'selection',
        paint: {'circle-color': 'rgba(0,0,0,0)', 'circle-radius': 12, 'circle-stroke-color': '#1f4e9c', 'circle-stroke-width': 3},
      },
    ],
  };
}
