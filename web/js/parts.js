// Two small helpers behind the page's one render path: a part of the page redrawn only when its
// slice of the state changes (and whose late answers are dropped), and a cache of requests that
// forgets failures.

/**
 * A part of the page drawn from the state. Calling it with a state draws `draw(state, ctx)`
 * only when `key(state)` differs from the last key drawn (or `opts.force`). `ctx` carries the
 * caller's options plus `current()`, false once a newer draw started (a slower earlier answer
 * must not overwrite a newer one), and `signal`, aborted then. A draw that fails is drawn again
 * next time.
 */
export function part(key, draw) {
  let last;
  let turn = 0;
  let controller = null;
  return async (state, opts = {}) => {
    const k = key(state);
    if (k === last && !opts.force) return;
    last = k;
    const mine = ++turn;
    if (controller) controller.abort();
    controller = new AbortController();
    const current = () => mine === turn;
    try {
      await draw(state, {...opts, current, signal: controller.signal});
    } catch (err) {
      if (current()) last = undefined;
      throw err;
    }
  };
}

/**
 * Caches `load(key)` promises by key (at most `size`, oldest dropped first); a promise that
 * rejects is forgotten, so the next call asks again.
 */
export function memo(load, size = 50) {
  const cache = new Map();
  const get = (key) => {
    if (cache.has(key)) return cache.get(key);
    const p = Promise.resolve().then(() => load(key));
    cache.set(key, p);
    p.catch(() => { if (cache.get(key) === p) cache.delete(key); });
    while (cache.size > size) cache.delete(cache.keys().next().value);
    return p;
  };
  get.has = (key) => cache.has(key);
  return get;
}
