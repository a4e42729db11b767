// What the page reads from the service about the default point layer and the choropleth:
// the whole layer once (industries, colours, features by id), then the features and /density
// answers of each filter, cached by their parameters (a failed request is not cached).

import {getJSON} from './api.js';
import {countIndustries, filterParams, paramsKey} from './filters.js';
import {memo} from './parts.js';
import {industryColors, pointTilesUrl} from './style.js';

/** The whole default layer, read once by loadLayer: industries with colours, features by id, count. */
export const layer = {colored: [], byId: new Map(), total: 0};

const EMPTY = {type: 'FeatureCollection', features: []};
const query = (key) => Object.fromEntries(new URLSearchParams(key));

/**
 * Items of the default layer matching a filter (key: paramsKey of its parameters; '' is the
 * whole layer, read in full once). A filter asks the server for the matching ids only and
 * shares the whole layer's feature objects.
 */
const itemsOf = memo(async (key) => {
  if (!key) return getJSON('collections/clusters/items', {limit: 10000});
  const fc = await getJSON('collections/clusters/items', {...query(key), limit: 10000, properties: 'id'});
  return {...fc, features: fc.features.map((f) => layer.byId.get(f.properties.id) || f)};
}, 40);
/** /density answers with every unit and no geometry (key: paramsKey of densityParams). */
const densityAnswer = memo((key) => getJSON('density', {...query(key), all: 'true', geometry: 'false'}), 40);
/** Names and areas of every unit of a level (a /density answer without filters). */
const namesOf = memo((level) => getJSON('density', {level, all: 'true', geometry: 'false'}), 3);

/** The /density question of the choropleth: the default layer under the state's filters. */
export const densityParams = (s) => ({level: s.level, measure: s.measure, method: s.method, layer: 'clusters', ...filterParams(s)});
/** The choropleth's /density answer for state `s`. */
export const densityOf = (s) => densityAnswer(paramsKey(densityParams(s)));
/** Features matching every filter but the industry (the industry list counts them). */
export const shownOf = (s) => itemsOf(paramsKey(filterParams(s, {industry: false})));

/** Units of `level` with the choropleth's values when it shows that level (else values null). */
export async function unitsOf(level, s) {
  if (level === s.level) return (await densityOf(s)).features;
  return (await namesOf(level)).features.map((f) => ({...f, properties: {...f.properties, value: null}}));
}

/**
 * Reads the whole default layer and its TileJSON into `layer`; returns the vector source of its
 * point tiles under state `s`'s filters. Failures go to `onError` and leave an empty layer.
 */
export async function loadLayer(s, onError) {
  const [all, tilejson] = await Promise.all([
    itemsOf('').catch((err) => { onError(err); return EMPTY; }),
    getJSON('tiles/clusters.json').catch((err) => { onError(err); return {}; }),
  ]);
  layer.colored = industryColors(countIndustries(all.features));
  layer.total = all.numberMatched ?? all.features.length;
  for (const f of all.features) layer.byId.set(f.properties.id, f);
  const source = {tiles: [pointTilesUrl('clusters', filterParams(s))], minzoom: tilejson.minzoom ?? 0, maxzoom: tilejson.maxzoom ?? 16};
  if (tilejson.bounds) source.bounds = tilejson.bounds;
  return source;
}
