// The small map of the OGC API – Features HTML pages (a page of items, one item): our own
// province and county boundary tiles as the basemap, and the page's features, fetched as
// GeoJSON from the same page (the `data-geojson` address of #map), drawn over them. Nothing
// comes from another host. When the features are drawn, <body data-map="ready"> is set and
// the map is `window.ogcMap` (the browser tests read both).

import {Map, NavigationControl} from '../vendor/maplibre-gl/maplibre-gl.mjs';

const el = document.getElementById('map');
const EMPTY = {type: 'FeatureCollection', features: []};

/** TileJSON address of one of our tile layers. */
const tilejson = (name) => new URL(`/tiles/${name}.json`, location.href).href;

/** `[[w, s], [e, n]]` of every coordinate of a GeoJSON object, or null when it has none. */
export function bounds(geojson) {
  let b = null;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      b = b ? [[Math.min(b[0][0], c[0]), Math.min(b[0][1], c[1])], [Math.max(b[1][0], c[0]), Math.max(b[1][1], c[1])]] : [[c[0], c[1]], [c[0], c[1]]];
    } else {
      c.forEach(visit);
    }
  };
  const features = geojson.type === 'FeatureCollection' ? geojson.features : [geojson];
  for (const f of features) if (f.geometry) visit(f.geometry.coordinates);
  return b;
}

function style() {
  const line = (id, color, width, minzoom = 0) => ({
    id, type: 'line', source: id, 'source-layer': id, minzoom, paint: {'line-color': color, 'line-width': width},
  });
  return {
    version: 8,
    sources: {
      provinces: {type: 'vector', url: tilejson('provinces')},
      counties: {type: 'vector', url: tilejson('counties')},
      items: {type: 'geojson', data: EMPTY},
    },
    layers: [
      {id: 'background', type: 'background', paint: {'background-color': '#f6f5f0'}},
      line('counties', '#c9c6bb', 0.5, 5),
      line('provinces', '#8d8a80', 1),
      {id: 'items-fill', type: 'fill', source: 'items', filter: ['==', ['geometry-type'], 'Polygon'], paint: {'fill-color': '#d95f02', 'fill-opacity': 0.25}},
      {id: 'items-line', type: 'line', source: 'items', filter: ['==', ['geometry-type'], 'Polygon'], paint: {'line-color': '#d95f02', 'line-width': 1.5}},
      {id: 'items-points', type: 'circle', source: 'items', filter: ['==', ['geometry-type'], 'Point'],
        paint: {'circle-radius': 5, 'circle-color': '#d95f02', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1}},
    ],
  };
}

async function main() {
  const map = new Map({container: el, style: style(), center: [104, 35], zoom: 2.5, attributionControl: false});
  map.addControl(new NavigationControl({showCompass: false}));
  window.ogcMap = map;
  const url = new URL(el.dataset.geojson, location.href);
  const [data] = await Promise.all([
    fetch(url, {headers: {Accept: 'application/geo+json'}}).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.json();
    }),
    map.once('load'),
  ]);
  map.getSource('items').setData(data);
  const b = bounds(data);
  if (b) map.fitBounds(b, {padding: 40, maxZoom: 9, duration: 0});
  await map.once('idle');
  document.body.dataset.map = 'ready';
}

if (el) {
  main().catch((e) => {
    document.body.dataset.map = 'error';
    el.textContent = `The map could not be drawn: ${e.message}`;
  });
}
