// The choropleth legend: class swatches and value ranges from /density's breaks, the
// measure's definition and the units with the highest values.

import {h, fill, fmt} from './dom.js';
import {CLASS_COLORS, NO_VALUE_COLOR} from './style.js';

/** Display names of the measures. */
export const MEASURE_LABEL = {count: 'Count', per_10k_km2: 'Per 10,000 km²', lq: 'Location quotient'};
const PLURAL = {county: 'counties', prefecture: 'prefectures', province: 'provinces'};

const units = (n) => `${n} ${n === 1 ? 'unit' : 'units'}`;

/**
 * The values of class `i` of a /density answer `d`: the first class includes its lower break,
 * the others do not; counts are whole numbers, so 1 < v ≤ 2 reads "2".
 */
export function classRange(d, i) {
  const [lo, hi] = [d.breaks[i], d.breaks[i + 1]];
  if (d.measure === 'count') {
    const from = i === 0 ? Math.ceil(lo) : Math.floor(lo) + 1;
    const to = Math.floor(hi);
    return from >= to ? fmt(to, 0) : `${fmt(from, 0)} – ${fmt(to, 0)}`;
  }
  if (lo === hi) return fmt(hi, 2);
  return `${i === 0 ? '' : '> '}${fmt(lo, 2)} – ${fmt(hi, 2)}`;
}

/** The `n` units with the highest positive values, highest first (ties by code). */
export function topUnits(d, n = 10) {
  return d.features
    .filter((f) => f.properties.value !== null && f.properties.value > 0)
    .sort((a, b) => b.properties.value - a.properties.value || a.properties.code.localeCompare(b.properties.code))
    .slice(0, n);
}

function topList(d, onUnit) {
  const top = topUnits(d);
  if (!top.length) return null;
  const digits = d.measure === 'count' ? 0 : 2;
  return h('details', {class: 'top-units', open: true},
    h('summary', {}, `Top ${top.length} ${PLURAL[d.level]}`),
    h('ol', {}, top.map((f) => h('li', {dataset: {code: f.properties.code}},
      h('a', {href: '#', onclick: (e) => { e.preventDefault(); onUnit(d.level, f.properties.code); }}, f.properties.name_zh),
      ` ${fmt(f.properties.value, digits)}`,
      d.measure !== 'count' ? h('span', {class: 'dist'}, ` (${f.properties.count})`) : null))));
}

/** Renders the legend of /density answer `d` into `el`; `industryLabel` names the filter, `onUnit(level, code)` selects a unit. */
export function renderLegend(el, d, {industryLabel, onUnit}) {
  const n = d.breaks.length - 1;
  const colors = CLASS_COLORS[Math.min(Math.max(n, 1), 7)];
  const perClass = new Array(n).fill(0);
  let none = 0;
  for (const f of d.features) {
    if (f.properties.class === null || f.properties.class === undefined) none += 1;
    else perClass[f.properties.class] += 1;
  }
  fill(el,
    h('h3', {}, `${MEASURE_LABEL[d.measure]} · ${industryLabel || 'all industries'} · by ${d.level}`),
    h('table', {class: 'breaks', dataset: {breaks: JSON.stringify(d.breaks), measure: d.measure, level: d.level, method: d.method}},
      perClass.map((count, i) => h('tr', {dataset: {class: i}},
        h('td', {}, h('span', {class: 'swatch', style: `background:${colors[i]}`})),
        h('td', {}, classRange(d, i)),
        h('td', {}, units(count)))),
      h('tr', {}, h('td', {}, h('span', {class: 'swatch', style: `background:${NO_VALUE_COLOR}`})), h('td', {}, d.measure === 'lq' ? 'none / undefined' : 'none'), h('td', {}, units(none)))),
    h('p', {class: 'definition'}, d.definition),
    topList(d, onUnit),
    h('p', {class: 'definition'},
      `${d.total} matching features; ${d.assigned} placed in a ${d.level}`,
      d.unassigned ? `, ${d.unassigned} known only at a coarser level (not counted here).` : '.'),
  );
}
