// The details panel: what a person sees after clicking a cluster, a development zone or an admin
// unit.

import {h, fill, fmt} from './dom.js';
import {countIndustries, industriesOf} from './filters.js';

const KIND = {cluster: 'Cluster · 产业集群', park: 'Development zone or park · 开发区 · 园区', town: 'Characteristic town · 特色小镇'};
const LEVEL = {county: 'County · 县级', prefecture: 'Prefecture · 地级', province: 'Province · 省级'};
const APPROVAL = {national: 'National · 国家级', provincial: 'Provincial · 省级'};
/** How a point was placed (`location_method`); other methods show as their slug. */
const METHOD = {
  county_point: 'at the county’s representative point',
  prefecture_point: 'at the prefecture’s representative point',
  province_point: 'at the province’s representative point',
  county_in_name: 'the county named in the zone’s name',
  prefecture_in_name: 'the prefecture named in the zone’s name',
  admin_alias: 'a former or short name of the unit in the zone’s name',
  geonames_town: 'a GeoNames town named in the zone’s name',
  first_listed_unit: 'the first unit listed for the zone',
  province_only: 'only the province is known',
};
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
  'firms', 'employees', 'output_cny_100m', 'stat_year', 'county_zh', 'prefecture_zh', 'province_zh', 'precision', 'source', 'notes',
  'industries', 'industries_zh', 'zone_type', 'zone_type_zh', 'approval_level', 'approved', 'approvals', 'approved_year', 'area_ha',
  'location_method', 'catalogue_code']);

/** The printed industries of a feature: a zone's leading industries, else its industry. */
function industryText(p) {
  return Array.isArray(p.industries_zh) && p.industries_zh.length ? p.industries_zh.join('、') : p.industry_zh || '';
}

/** Approval dates: every one of `approvals` when there are several, else `approved`. */
function approvalDates(p) {
  const all = Array.isArray(p.approvals) && p.approvals.length ? p.approvals : [p.approved].filter(Boolean);
  return all.length ? all.join(' · ') : null;
}

/** An area in hectares, with km² for the larger ones. */
function area(ha) {
  if (ha === null || ha === undefined) return null;
  return `${fmt(ha, 2)} ha${ha >= 100 ? ` (${fmt(ha / 100, 1)} km²)` : ''}`;
}

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
      row('Zone type', [p.zone_type_zh, p.zone_type && `(${p.zone_type})`].filter(Boolean).join(' ')),
      row('Approval level', APPROVAL[p.approval_level] || p.approval_level),
      row('Approved', approvalDates(p)),
      row('Area', area(p.area_ha)),
      Array.isArray(p.industries_zh) && p.industries_zh.length
        ? row('Leading industries', h('span', {class: 'industries-zh'}, industryText(p)))
        : row('Industry', p.industry_zh),
      row('Industry tags', industriesOf(f).length ? h('span', {class: 'tags'}, industriesOf(f).join(', ')) : null),
      row('Catalogue code', p.catalogue_code),
      row('Designation', p.designation, p.designation_year ? ` (${p.designation_year})` : ''),
      row('Firms', p.firms != null ? fmt(p.firms, 0) + year : null),
      row('Employees', p.employees != null ? fmt(p.employees, 0) + year : null),
      row('Output', p.output_cny_100m != null ? `${fmt(p.output_cny_100m, 1)} × 100 million CNY${year}` : null),
      row('Where', placed && onUnit && p.county_code
        ? h('a', {href: '#', onclick: (e) => { e.preventDefault(); onUnit('county', p.county_code); }}, placed)
        : placed),
      row('Location precision', PRECISION[p.precision] || p.precision),
      row('Placed by', p.location_method ? h('span', {dataset: {method: p.location_method}}, METHOD[p.location_method] || p.location_method) : null),
      row('Source', sources(p.source)),
      row('Notes', p.notes),
    ),
    otherProperties(p),
  );
}

/** Counts of `features` per industry tag (a feature once for each of its tags), most first, labelled by `label(tag)`. */
function countByIndustry(features, label) {
  return countIndustries(features).map((e) => [label(e.code), e.count]);
}

/**
 * Shows an admin unit: `unit` has code/name_zh/name_pinyin/area_km2 (and the current measure's
 * `value`), `inside` the clusters assigned to it.
 */
export function showUnit(panel, level, unit, inside, {measureLabel, onFeature, label = (t) => t} = {}) {
  const byIndustry = countByIndustry(inside, label);
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
      industryText(f.properties) ? ` · ${industryText(f.properties)}` : ''))) : null,
  );
}

/** Shows a server-side cluster's members (from /tiles/clusters/expand). */
export function showClusterMembers(panel, expansion, {onFeature, onZoom} = {}) {
  const members = expansion.features || [];
  fill(panel,
    h('p', {class: 'names', dataset: {members: members.length}}, `${members.length} clusters, zones and towns`),
    h('p', {}, h('button', {type: 'button', onclick: () => onZoom && onZoom()}, `Zoom in to split (z${expansion.expansion_zoom})`)),
    h('ul', {class: 'inside'}, members.map((f) => h('li', {},
      h('a', {href: '#', onclick: (e) => { e.preventDefault(); onFeature && onFeature(f); }}, f.properties.name_zh || f.properties.id),
      industryText(f.properties) ? ` · ${industryText(f.properties)}` : ''))),
  );
}

/** A short message in the panel (loading, nothing here, an error). */
export function showMessage(panel, text) {
  fill(panel, h('p', {class: 'hint'}, text));
}
