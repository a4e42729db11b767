// The URL hash holds the view and the choices, so a view can be shared by its link:
//   #map=zoom/lat/lon&industry=foundry&level=county&measure=count&method=quantile
//    &sel=cluster:clusters/botou-casting | county:130981&near=lon,lat,k,radius_m

/** Choices when the hash says nothing. */
export const DEFAULTS = Object.freeze({
  industry: '',
  level: 'county',
  measure: 'count',
  method: 'jenks',
  sel: '',
  near: '',
});

const LEVELS = ['county', 'prefecture', 'province'];
const MEASURES = ['count', 'per_10k_km2', 'lq'];
const METHODS = ['quantile', 'jenks', 'equal'];

/** Parses a hash into {view: {zoom, lat, lon} | null, ...choices}; unknown values fall back to defaults. */
export function parseHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const state = {...DEFAULTS, view: null};
  const m = (params.get('map') || '').split('/').map(Number);
  if (m.length === 3 && m.every(Number.isFinite) && Math.abs(m[1]) <= 85 && Math.abs(m[2]) <= 180) {
    state.view = {zoom: m[0], lat: m[1], lon: m[2]};
  }
  const pick = (key, allowed) => {
    const v = params.get(key);
    if (v !== null && (!allowed || allowed.includes(v))) state[key] = v;
  };
  pick('industry');
  pick('level', LEVELS);
  pick('measure', MEASURES);
  pick('method', METHODS);
  pick('sel');
  pick('near');
  return state;
}

/** Formats the state as a hash, leaving out choices equal to their defaults. */
export function formatHash(state) {
  const parts = [];
  if (state.view) {
    const {zoom, lat, lon} = state.view;
    parts.push(`map=${zoom.toFixed(2)}/${lat.toFixed(4)}/${lon.toFixed(4)}`);
  }
  for (const key of Object.keys(DEFAULTS)) {
    if (state[key] && state[key] !== DEFAULTS[key]) {
      parts.push(`${key}=${encodeURIComponent(state[key]).replace(/%2F/g, '/').replace(/%2C/g, ',').replace(/%3A/g, ':')}`);
    }
  }
  return '#' + parts.join('&');
}
