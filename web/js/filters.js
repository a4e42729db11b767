// What the state's choices ask of the API, and the industry counts of a set of features. Pure:
// no DOM, no map (unit-tested in node).

/** The API's `datetime` for "approved up to the end of `year`"; undefined for all years. */
export function datetimeOf(year) {
  return year ? `../${year}-12-31` : undefined;
}

/**
 * The point filter of `state` as API query parameters (only the set ones); `industry: false`
 * leaves the industry out (for counting every industry under the other filters).
 */
export function filterParams(state, {industry = true} = {}) {
  const p = {
    industry: industry ? state.industry : '',
    kind: state.kind,
    approval_level: state.approval,
    datetime: datetimeOf(state.year),
  };
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== null && v !== ''));
}

/** A stable text key of a parameter object (same parameters → same key). */
export function paramsKey(params) {
  return new URLSearchParams(Object.entries(params).sort(([a], [b]) => a.localeCompare(b))).toString();
}

/** The industry tags of a feature: its `industries` array, else its single `industry`. */
export function industriesOf(f) {
  const p = f.properties || {};
  if (Array.isArray(p.industries)) return [...new Set(p.industries.filter(Boolean))];
  return p.industry ? [p.industry] : [];
}

/** Whether feature `f` carries industry `tag` (any industry when `tag` is empty). */
export function hasIndustry(f, tag) {
  return !tag || industriesOf(f).includes(tag);
}

/** The label of more than half the uses, else '' (many different terms name no one of them). */
function winner(labels) {
  const total = [...labels.values()].reduce((a, b) => a + b, 0);
  const [first] = [...labels].sort((a, b) => b[1] - a[1]);
  return first && first[1] * 2 > total ? first[0] : '';
}

/**
 * Industries of `features` with counts, most frequent first (ties by tag): a feature counts
 * once for each tag it carries. `zh` is the Chinese term printed for most of a tag's curated
 * rows (their `industry_zh` names their one tag; a catalogue zone's does not), else ''.
 */
export function countIndustries(features) {
  const by = new Map();
  for (const f of features) {
    const tags = industriesOf(f);
    tags.forEach((code, i) => {
      const e = by.get(code) || {code, count: 0, labels: new Map()};
      e.count += 1;
      const zh = i === 0 && tags.length === 1 && !f.properties.catalogue_code ? f.properties.industry_zh : null;
      if (zh && code === f.properties.industry) e.labels.set(zh, (e.labels.get(zh) || 0) + 1);
      by.set(code, e);
    });
  }
  return [...by.values()]
    .map((e) => ({code: e.code, count: e.count, zh: winner(e.labels)}))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
}
