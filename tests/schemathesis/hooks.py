"""Schemathesis hooks for cluster-atlas (loaded through SCHEMATHESIS_HOOKS).

OpenAPI 3.0 cannot state every rule the server checks, so the document names three grammars
with a `format` (see src/api/param_schemas.rs) and describes a few rules that tie two values
together. This file gives schemathesis generators for those formats and brings generated
values into the relationships the document's descriptions state, so that a request the
document calls valid is one the server must accept. Nothing here filters out responses or
failures: every request still goes through every check.
"""

import json
import math

import schemathesis
from hypothesis import strategies as st

# --- formats -----------------------------------------------------------------------------

# Coordinates that are valid in every `bbox-crs` the server offers: within ±90 they are a
# longitude or a latitude in CRS84, EPSG:4326 and EPSG:4490 (lat/lon order), and metres
# near the origin in EPSG:3857.
_coord = st.floats(min_value=-90, max_value=90, allow_nan=False, allow_infinity=False)


def _number(x: float) -> str:
    # Plain decimals: the cql2 crate's text parser does not read exponents (6.4e-155).
    if x.is_integer() and abs(x) < 1e15:
        return repr(int(x))
    return f"{x:.10f}".rstrip("0").rstrip(".") or "0"



@st.composite
def _bbox(draw):
    a, c = sorted((draw(_coord), draw(_coord)))
    b, d = sorted((draw(_coord), draw(_coord)))
    if draw(st.booleans()):
        z1, z2 = draw(_coord), draw(_coord)
        return ",".join(map(_number, (a, b, z1, c, d, z2)))
    return ",".join(map(_number, (a, b, c, d)))


_dates = st.dates(min_value=__import__("datetime").date(1000, 1, 1))


def _render(draw, day) -> str:
    """One instant covering `day`: its year, its month, the day, or a UTC date-time in it."""
    how = draw(st.sampled_from(["year", "month", "date", "datetime"]))
    if how == "year":
        return f"{day.year:04d}"
    if how == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if how == "date":
        return day.isoformat()
    t = draw(st.times())
    return f"{day.isoformat()}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


@st.composite
def _datetime(draw):
    shape = draw(st.sampled_from(["instant", "interval", "open-start", "open-end"]))
    first, second = sorted((draw(_dates), draw(_dates)))
    if shape == "instant":
        return _render(draw, first)
    if shape == "open-start":
        return "../" + _render(draw, second)
    if shape == "open-end":
        return _render(draw, first) + draw(st.sampled_from(["/..", "/"]))
    # Rendering an end more coarsely only widens it: start ≤ first ≤ second ≤ end.
    return _render(draw, first) + "/" + _render(draw, second)


# CQL2 text generated here, with its CQL2 JSON twin for `filter-lang=cql2-json` (see
# `map_query`). Only `name_zh` and `geometry`: every collection has both.
_CQL2_JSON: dict[str, str] = {}
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)
_lon = st.floats(min_value=-180, max_value=180, allow_nan=False)
_lat = st.floats(min_value=-90, max_value=90, allow_nan=False)


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


@st.composite
def _cql2_pair(draw, leaf=False):
    kinds = ["eq", "ne", "like", "in", "bbox", "point"] + ([] if leaf else ["not", "and", "or"])
    kind = draw(st.sampled_from(kinds))
    name = {"property": "name_zh"}
    if kind in ("eq", "ne"):
        v = draw(_text)
        op = "=" if kind == "eq" else "<>"
        return f"name_zh {op} {_quote(v)}", {"op": op, "args": [name, v]}
    if kind == "like":
        v = draw(_text) + "%"
        return f"name_zh LIKE {_quote(v)}", {"op": "like", "args": [name, v]}
    if kind == "in":
        vs = draw(st.lists(_text, min_size=1, max_size=3))
        return f"name_zh IN ({', '.join(map(_quote, vs))})", {"op": "in", "args": [name, vs]}
    if kind == "bbox":
        w, e = sorted((draw(_lon), draw(_lon)))
        s, n = sorted((draw(_lat), draw(_lat)))
        box = [w, s, e, n]
        text = f"S_INTERSECTS(geometry, BBOX({', '.join(map(_number, box))}))"
        return text, {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": box}]}
    if kind == "point":
        p = [draw(_lon), draw(_lat)]
        text = f"S_INTERSECTS(geometry, POINT({_number(p[0])} {_number(p[1])}))"
        return text, {"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": p}]}
    if kind == "not":
        t, j = draw(_cql2_pair(leaf=True))
        return f"NOT ({t})", {"op": "not", "args": [j]}
    (t1, j1), (t2, j2) = draw(_cql2_pair(leaf=True)), draw(_cql2_pair(leaf=True))
    return f"({t1}) {kind.upper()} ({t2})", {"op": kind, "args": [j1, j2]}


def _cql2_text(pair) -> str:
    text, as_json = pair
    _CQL2_JSON[text] = json.dumps(as_json, ensure_ascii=False)
    return text


schemathesis.openapi.format("ogc-bbox", _bbox())
schemathesis.openapi.format("ogc-datetime", _datetime())
schemathesis.openapi.format("cql2", _cql2_pair().map(_cql2_text))

# --- values tied together --------------------------------------------------------------


def _path(context) -> str:
    return context.operation.path if context.operation is not None else ""


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@schemathesis.hook
def map_query(context, query):
    """`filter` in the encoding `filter-lang` names; `cluster_id` as a tile's cluster encodes it."""
    if not isinstance(query, dict):
        return query
    if query.get("filter-lang") == "cql2-json" and query.get("filter") in _CQL2_JSON:
        query = {**query, "filter": _CQL2_JSON[query["filter"]]}
    cid = query.get("cluster_id")
    if _path(context).endswith("/expand") and _is_int(cid) and 0 <= cid < 2**64:
        # cluster_id = ((gy · world + gx) << 5) | z, z below 8, with 8 grid cells per tile
        # side (the default --cluster-radius of 64 pixels) and world = 8 · 2^z.
        z = (cid & 31) % 8
        world = 8 << z
        query = {**query, "cluster_id": (((cid >> 5) % (world * world)) << 5) | z}
    return query


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    """A tile's column and row below 2^z, as the description of `x` and `y` says."""
    if not _path(context).endswith("{y}.mvt") or not isinstance(path_parameters, dict):
        return path_parameters
    z, x, y = (path_parameters.get(k) for k in ("z", "x", "y"))
    if not (_is_int(z) and 0 <= z <= 16):
        return path_parameters
    n = 1 << z
    out = dict(path_parameters)
    for key, v in (("x", x), ("y", y)):
        if _is_int(v) and n <= v < 2**16:
            out[key] = v % n
    return out


@schemathesis.hook
def map_body(context, body):
    """`[lon, lat]` pairs: the document bounds both numbers by ±180 (OpenAPI 3.0 has no
    tuples); its description bounds the latitude by ±90, so halve a latitude beyond it."""
    if _path(context) != "/reverse" or not isinstance(body, dict) or not isinstance(body.get("points"), list):
        return body
    points = []
    for p in body["points"]:
        if (
            isinstance(p, list)
            and len(p) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in p)
            and all(-180 <= v <= 180 for v in p)
            and abs(p[1]) > 90
        ):
            p = [p[0], p[1] / 2]
        points.append(p)
    return {**body, "points": points}
