// "What is near here": the k nearest clusters to a point (optionally within a radius), listed
// with distances and drawn as lines from the point; the radius is drawn as a geodesic circle.

import {getJSON} from './api.js';
import {h, fill, fmtDistance} from './dom.js';

const EARTH_RADIUS_M = 6371008.8;

/** A polygon approximating the circle of `radiusM` metres around lon/lat (destination formula). */
export function circle(lon, lat, radiusM, steps = 96) {
  const φ1 = (lat * Math.PI) / 180;
  const λ1 = (lon * Math.PI) / 180;
  const δ = radiusM / EARTH_RADIUS_M;
  const ring = [];
  for (let i = 0; i <= steps; i++) {
    const θ = (2 * Math.PI * i) / steps;
    const φ2 = Math.asin(Math.sin(φ1) * Math.cos(δ) + Math.cos(φ1) * Math.sin(δ) * Math.cos(θ));
    const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(δ) * Math.cos(φ1), Math.cos(δ) - Math.sin(φ1) * Math.sin(φ2));
    ring.push([(λ2 * 180) / Math.PI, (φ2 * 180) / Math.PI]);
  }
  return {type: 'Polygon', coordinates: [ring]};
}

/**
 * Fetches the nearest features: `/nearest` for any distance, `/within` (nearest first, at most
 * k) when a radius is set. `filter` (the point filter's query parameters) narrows both.
 */
export function findNear({lon, lat, k, radius, filter = {}}, signal) {
  if (radius) return getJSON('within', {lon, lat, radius_m: radius, limit: k, ...filter}, {signal});
  return getJSON('nearest', {lon, lat, k, ...filter}, {signal});
}

/** Parses the state's `near` ("lon,lat,k,radius_m") into {lon, lat, k, radius}, or null. */
export function parseNear(text) {
  const n = String(text || '').split(',').map(Number);
  if (n.length !== 4 || !n.every(Number.isFinite)) return null;
  return {lon: n[0], lat: n[1], k: n[2], radius: n[3]};
}

/** Formats a near search as the state's `near`. */
export function formatNear({lon, lat, k, radius}) {
  return `${lon.toFixed(5)},${lat.toFixed(5)},${k},${radius || 0}`;
}

/** The GeoJSON drawn for a result: origin, lines to each feature, and the radius. */
export function nearGeometry({lon, lat, radius}, features) {
  const out = [{type: 'Feature', properties: {role: 'origin'}, geometry: {type: 'Point', coordinates: [lon, lat]}}];
  for (const f of features) {
    out.push({type: 'Feature', properties: {role: 'line', id: f.properties.id}, geometry: {type: 'LineString', coordinates: [[lon, lat], f.geometry.coordinates]}});
  }
  if (radius) out.push({type: 'Feature', properties: {role: 'radius'}, geometry: circle(lon, lat, radius)});
  return {type: 'FeatureCollection', features: out};
}

/** Lists the results in `list`; clicking one calls `onPick(feature)`. */
export function listNear(list, features, onPick) {
  if (!features.length) {
    fill(list, h('li', {class: 'hint'}, 'Nothing found within this radius.'));
    return;
  }
  fill(list, features.map((f) => h('li', {dataset: {id: f.properties.id}, onclick: () => onPick(f)},
    h('strong', {}, f.properties.name_zh || f.properties.id), ' ',
    h('span', {class: 'dist'}, `${fmtDistance(f.properties.distance_m)} · ${(f.properties.industries_zh || []).join('、') || f.properties.industry_zh || f.properties.industry || ''}`),
  )));
}
