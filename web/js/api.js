// Talking to the cluster-atlas service: URLs relative to the API root (the map lives at
// <root>/map/, so it also works behind a path prefix), JSON with RFC 7807 problems turned
// into errors that carry the server's `detail`, and a count of requests in flight that drives
// the status line.

/** Root of the HTTP API: the folder above /map/ (read when asked, so modules load outside a page too). */
export function apiRoot() {
  return new URL('../', document.baseURI);
}

/** An HTTP error answered by the service, with its problem+json detail when there is one. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

const listeners = new Set();
let pending = 0;

/** Calls `fn(pendingCount)` whenever a request starts or ends. */
export function onPendingChange(fn) {
  listeners.add(fn);
}

function bump(delta) {
  pending += delta;
  for (const fn of listeners) fn(pending);
}

/** Absolute URL of `path` under the API root with the non-empty `params` as query. */
export function apiUrl(path, params = {}) {
  const url = new URL(path, apiRoot());
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  return url;
}

/** GETs JSON; rejects with an ApiError naming the problem, or an AbortError when aborted. */
export async function getJSON(path, params = {}, {signal} = {}) {
  const url = apiUrl(path, params);
  bump(1);
  try {
    const res = await fetch(url, {signal, headers: {Accept: 'application/json'}});
    if (!res.ok) {
      let detail = `${res.status} ${res.statusText}`;
      try {
        const problem = await res.json();
        detail = problem.detail || problem.title || detail;
      } catch {
        // not problem+json: keep the status line
      }
      throw new ApiError(`${url.pathname}: ${detail}`, res.status);
    }
    return await res.json();
  } finally {
    bump(-1);
  }
}

/** True for the error fetch throws when its request was aborted on purpose. */
export function isAbort(err) {
  return err && err.name === 'AbortError';
}
