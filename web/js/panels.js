// The details panel: what a person sees after clicking a cluster or an admin unit.

import {h, fill, fmt} from './dom.js';

const KIND = {cluster: 'Cluster · 产业集群', park: 'Park · 园区', town: 'Characteristic town · 特色小镇'};
const LEVEL = {county: 'County · 县级', prefecture: 'Prefecture · 地级', province: 'Province · 省级'};
const PRECISION = {
  point: 'exact point',
  town: 'town (GeoNames place in the right county)',
  county: 'county: drawn at the county’s representative point',
  prefecture: 'prefecture: drawn at the prefecture’s representative point',
  province: 'province: drawn at the province’s representative point',
};

function row(label, ...value) {
  const v = value.flat().filter((x) => x !== null && x !== undefined && x !== '');
  return v.length ? h('tr', {}, h('th', {}, label), h('td', {}, ...v)) : null;
}

/** Source citations: URLs become links, other parts (seed file names) stay text. */
function sources(text) {
  if (!text) return null;
  return String(text).split(/;\s*/).map((part, i) => [
    i ? '; ' : '',
    /^https?:\/\//.test(part) ? h('a', {href: part, target: '_blank', rel: 'noopener noreferrer'}, part) : part,
  ]);
}

/** Properties the panel shows by name; any other goes to the "All properties" table. */
const SHOWN = new Set(['id', 'layer', 'distance_m', 'name_zh', 'name_en', 'kind', 'industry', 'industry_zh', 'designation', 'designation_year',
  'firms', 'employees', 'output_cny_100m', 'stat_year', 'county_zh', 'prefecture_zh', 'province_zh', 'precision', 'source', 'notes']);

function otherProperties(p) {
  const rest = Object.entries(p).filter(([k, v]) => !SHOWN.has(k) && v !== null && v !== '' && !(Array.isArray(v) && !v.length));
  if (!rest.length) return null;
  return h('details', {class: 'all-properties'}, h('summary', {}, 'All properties'),
    h('table', {}, rest.map(([k, v]) => row(k, Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v)))));
}

/** Shows one cluster, park or town (or a feature of an imported layer) with every sourced figure. */
export function showFeature(panel, f, {onUnit} = {}) {
  const p = f.properties;
  const year = p.stat_year ? ` (${p.stat_year})` : '';
  const placed = [p.county_zh, p.prefecture_zh, p.province_zh].filter(Boolean).join(' · ');
  fill(panel,
    h('p', {class: 'names', dataset: {featureId: p.id}}, p.name_zh || p.name_en || p.id),
    h('p', {class: 'en'}, p.name_en || ''),
    h('table', {},
      row('Kind', KIND[p.kind] || p.kind),
      row('Industry', [p.industry_zh, p.industry && `(${p.industry})`].filter(Boolean).join(' ')),
      row('Designation', p.designation, p.designation_year ? ` (${p.designation_year})` : ''),
      row('Firms', p.firms != null ? fmt(p.firms, 0) + year : null),
      row('Employees', p.employees != null ? fmt(p.employees, 0) + year : null),
      row('Output', p.output_cny_100m != null ? `${fmt(p.output_cny_100m, 1)} × 100 million CNY${year}` : null),
      row('Where', placed && onUnit && p.county_code
        ? h('a', {href: '#', onclick: (e) => { e.preventDefault(); onUnit('county', p.county_code); }}, placed)
        : placed),
      row('Location precision', PRECISION[p.precision] || p.precision),
      row('Source', sources(p.source)),
      row('Notes', p.notes),
    ),
    otherProperties(p),
  );
}

/** Counts of `features` per industry, most first. */
function countByIndustry(features) {
  const counts = new Map();
  for (const f of features) {
    const key = f.properties.industry_zh ? `${f.properties.industry_zh} (${f.properties.industry})` : f.properties.industry || '—';
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * Shows an admin unit: `unit` has code/name_zh/name_pinyin/area_km2 (and the current measure's
 * `value`), `inside` the clusters assigned to it.
 */
export function showUnit(panel, level, unit, inside, {measureLabel, onFeature} = {}) {
  const byIndustry = countByIndustry(inside);
  fill(panel,
    h('p', {class: 'names', dataset: {unitCode: unit.code}}, unit.name_zh || unit.code),
    h('p', {class: 'en'}, unit.name_pinyin || ''),
    h('table', {},
      row('Level', LEVEL[level]),
      row('Code (GB/T 2260)', unit.code),
      row('Area', unit.area_km2 != null ? `${fmt(unit.area_km2, 0)} km²` : null),
      row(measureLabel || 'Value', unit.value != null ? fmt(unit.value, 3) : null),
    ),
    h('h3', {}, `Clusters, parks and towns here: ${inside.length}`),
    byIndustry.length ? h('table', {class: 'by-industry'}, byIndustry.map(([k, n]) => row(k, String(n)))) : h('p', {class: 'hint'}, 'None in the data.'),
    inside.length ? h('ul', {class: 'inside'}, inside.map((f) => h('li', {},
      h('a', {href: '#', onclick: (e) => { e.preventDefault(); onFeature && onFeature(f); }}, f.properties.name_zh || f.properties.id),
      f.properties.industry_zh ? ` · ${f.properties.industry_zh}` : ''))) : null,
  );
}

/** Shows a server-side cluster's members (from /tiles/clusters/expand). */
export function showClusterMembers(panel, expansion, {onFeature, onZoom} = {}) {
  const members = expansion.features || [];
  fill(panel,
    h('p', {class: 'names', dataset: {members: members.length}}, `${members.length} clusters, parks and towns`),
    h('p', {}, h('button', {type: 'button', onclick: () => onZoom && onZoom()}, `Zoom in to split (z${expansion.expansion_zoom})`)),
    h('ul', {class: 'inside'}, members.map((f) => h('li', {},
      h('a', {href: '#', onclick: (e) => { e.preventDefault(); onFeature && onFeature(f); }}, f.properties.name_zh || f.properties.id),
      f.properties.industry_zh ? ` · ${f.properties.industry_zh}` : ''))),
  );
}

/** A short message in the panel (loading, nothing here, an error). */
export function showMessage(panel, text) {
  fill(panel, h('p', {class: 'hint'}, text));
}
