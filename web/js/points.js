// The point layer's side of the controls: the industry list by count, the points legend and the
// line saying how many features the map shows under the current filters.

import {h, fill, fmt} from './dom.js';
import {OTHER_INDUSTRY_COLOR} from './style.js';

/** A tag's label: its Chinese term and tag when known, else the tag itself. */
export function industryLabel(colored, code) {
  const c = colored.find((x) => x.code === code);
  return c && c.zh ? `${c.zh} · ${code}` : code;
}

/**
 * Fills the industry `<select>` with every industry of the layer (`colored`), ordered by its
 * count under the current filters (`counts`, from countIndustries), keeping `value` chosen.
 */
export function renderIndustryOptions(select, colored, counts, value) {
  const n = new Map(counts.map((c) => [c.code, c.count]));
  const ordered = [...colored].sort((a, b) => (n.get(b.code) || 0) - (n.get(a.code) || 0) || a.code.localeCompare(b.code));
  const first = select.options[0];
  select.replaceChildren(first, ...ordered.map((c) => h('option', {value: c.code, dataset: {count: n.get(c.code) || 0}},
    `${industryLabel(colored, c.code)} (${fmt(n.get(c.code) || 0, 0)})`)));
  select.value = value;
}

/** The points legend: the coloured industries with their current counts, or only the chosen one. */
export function renderPointsLegend(el, colored, counts, chosen) {
  const n = new Map(counts.map((c) => [c.code, c.count]));
  const item = (c) => h('li', {}, h('span', {class: 'swatch', style: `background:${c.color}`}), ` ${c.zh || c.code} (${fmt(n.get(c.code) || 0, 0)})`);
  const one = colored.find((c) => c.code === chosen);
  if (one) {
    fill(el, h('ul', {class: 'one'}, item(one)),
      h('p', {class: 'hint'}, 'Only this industry is drawn; circles with a number group nearby features.'));
    return;
  }
  const named = colored.filter((c) => c.color !== OTHER_INDUSTRY_COLOR);
  const others = colored.length - named.length;
  fill(el,
    h('ul', {}, named.map(item),
      others ? h('li', {}, h('span', {class: 'swatch', style: `background:${OTHER_INDUSTRY_COLOR}`}), ` ${others} other industries`) : null),
    h('p', {class: 'hint'}, 'Big circles group nearby features (number inside; colour = most frequent industry). Click one to list it, or zoom in.'));
}

/** "N of M shown": `shown` features match every filter, `total` is the whole layer; `year` null = all years. */
export function renderShownCount(el, shown, total, year) {
  el.dataset.count = String(shown);
  el.dataset.year = year ? String(year) : '';
  fill(el, h('strong', {}, fmt(shown, 0)), ` of ${fmt(total, 0)} clusters, zones and towns shown`,
    year ? ` (approved by the end of ${year})` : '');
}
