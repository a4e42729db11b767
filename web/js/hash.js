// The URL hash is the serialisation of the page's one state object, so a view can be shared by
// its link:
//   #map=zoom/lat/lon&industry=foundry&kind=park&approval=national&year=2000&level=county
//    &measure=count&method=quantile&sel=cluster:clusters/botou-casting | county:130981
//    | members:clusters/123&near=lon,lat,k,radius_m

/** First and last year of the time control (the 2018 catalogue's approvals). */
export const YEARS = Object.freeze({first: 1984, last: 2018});

const oneOf = (...allowed) => (v) => (allowed.includes(v) ? v : undefined);
const text = (v) => v;
const year = (v) => {
  const y = /^\d{4}$/.test(v) ? Number(v) : NaN;
  return y >= YEARS.first && y <= YEARS.last ? y : undefined;
};

/** Every choice: its default and the parser of its hash value (undefined = not allowed). */
const FIELDS = {
  industry: ['', text],
  kind: ['', oneOf('cluster', 'park', 'town')],
  approval: ['', oneOf('national', 'provincial')],
  year: [null, year],
  level: ['county', oneOf('county', 'prefecture', 'province')],
  measure: ['count', oneOf('count', 'per_10k_km2', 'lq')],
  method: ['jenks', oneOf('quantile', 'jenks', 'equal')],
  sel: ['', text],
  near: ['', text],
};

/** Choices when the hash says nothing (`year: null` is "all years"). */
export const DEFAULTS = Object.freeze(Object.fromEntries(Object.entries(FIELDS).map(([k, [d]]) => [k, d])));

/** Parses a hash into {view: {zoom, lat, lon} | null, ...choices}; unknown values fall back to defaults. */
export function parseHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const state = {...DEFAULTS, view: null};
  const m = (params.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite) && Math.abs(m[1]) <= 85 && Math.abs(m[2]) <= 180) {
    state.view = {zoom: m[0], lat: m[1], lon: m[2]};
  }
  for (const [key, [, parse]] of Object.entries(FIELDS)) {
    const raw = params.get(key);
    const v = raw === null ? undefined : parse(raw);
    if (v !== undefined) state[key] = v;
  }
  return state;
}

/** Formats the state as a hash, leaving out choices equal to their defaults. */
export function formatHash(state) {
  const parts = [];
  if (state.view) {
    const {zoom, lat, lon} = state.view;
    parts.push(`map=${zoom.toFixed(2)}/${lat.toFixed(4)}/${lon.toFixed(4)}`);
  }
  for (const key of Object.keys(FIELDS)) {
    const v = state[key];
    if (v !== null && v !== undefined && v !== '' && v !== DEFAULTS[key]) {
      parts.push(`${key}=${encodeURIComponent(v).replace(/%2F/g, '/').replace(/%2C/g, ',').replace(/%3A/g, ':')}`);
    }
  }
  return '#' + parts.join('&');
}

/**
 * What `sel` names: {type: 'feature', layer, id} (`cluster:layer/id`, layer clusters when left
 * out), {type: 'unit', level, code} (`county:130981`), {type: 'members', layer, id} (a server
 * cluster's members, `members:clusters/123`), or null.
 */
export function parseSel(sel) {
  const [kind, rest] = String(sel || '').split(/:(.*)/s);
  if (!rest) return null;
  const [layer, id] = rest.includes('/') ? rest.split(/\/(.*)/s) : ['clusters', rest];
  if (kind === 'cluster' && id) return {type: 'feature', layer, id};
  if (kind === 'members' && id) return {type: 'members', layer, id};
  if (FIELDS.level[1](kind)) return {type: 'unit', level: kind, code: rest};
  return null;
}
