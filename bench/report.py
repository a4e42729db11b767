"""Markdown report of a `bench/run.py` result: tables per workload, ratios, targets."""

from __future__ import annotations

# (workload, ours, peer, target ratio or None, what the ratio means)
PAIRS = [
    ("MVT counties", "cluster-atlas (cache off)", "martin (cache off)", 30, "tiles/s, caches off"),
    ("MVT counties", "cluster-atlas (cache 256 MB)", "martin (cache 512 MB)", None, "tiles/s, caches on"),
    ("MVT counties", "cluster-atlas (cache 256 MB)", "nginx (static files)", 0.5, "share of nginx serving the same bytes"),
    ("MVT clusters", "cluster-atlas (cache off)", "martin (cache off)", 30, "tiles/s, caches off"),
    ("MVT clusters", "cluster-atlas (cache 256 MB)", "martin (cache 512 MB)", None, "tiles/s, caches on"),
    ("MVT clusters", "cluster-atlas (cache 256 MB)", "nginx (static files)", 0.5, "share of nginx serving the same bytes"),
    ("items?bbox counties", "cluster-atlas (cache 256 MB)", "tipg", 10, "requests/s"),
    ("items CQL2 clusters", "cluster-atlas (cache 256 MB)", "tipg", None, "requests/s"),
    ("nearest k=10", "cluster-atlas (cache 256 MB)", "PostGIS KNN (pgbench)", 3, "requests/s vs transactions/s"),
]


def _fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def _find(runs, workload, server, conns):
    return next((r for r in runs if r["workload"] == workload and r["server"] == server and r["connections"] == conns), None)


def markdown(res: dict) -> str:
    m = res["machine"]
    runs = res["runs"]
    conns = sorted({r["connections"] for r in runs})
    out = [f"# cluster-atlas benchmark, {m['date'][:10]}", ""]
    out.append("Produced by `scripts/bench` (bench/run.py); the raw figures are in the `.json` beside this file. "
               "Every server ran on loopback on the same machine in the same run; each measured run "
               f"({m['duration_s']} s) followed an untimed {m['warmup_s']} s warm-up with the same requests.")
    out += ["", "## Machine and versions", ""]
    for k in ("cpu", "cores", "mem_gib", "kernel", "cluster-atlas", "martin", "tipg", "postgres", "nginx", "wrk"):
        out.append(f"- {k}: {m.get(k)}")
    out += ["", "## Ratios (cluster-atlas ÷ peer, same run)", "",
            "| workload | comparison | " + " | ".join(f"c={c}" for c in conns) + " | target (c=16) |",
            "|---|---|" + "---|" * len(conns) + "---|"]
    for wl, ours, peer, target, what in PAIRS:
        cells = []
        met = None
        for c in conns:
            a, b = _find(runs, wl, ours, c), _find(runs, wl, peer, c)
            r = a["rps"] / b["rps"] if a and b and b["rps"] else None
            cells.append(_fmt(r, 2) + "×" if r is not None else "–")
            if c == 16 and r is not None and target is not None:
                met = r >= target
        tgt = "–" if target is None else (f"≥ {target}× " + ("met" if met else "**missed**") if met is not None else f"≥ {target}×")
        out.append(f"| {wl} | {ours} ÷ {peer} ({what}) | " + " | ".join(cells) + f" | {tgt} |")
    for wl in dict.fromkeys(r["workload"] for r in runs):
        out += ["", f"## {wl}", "", "| server | conns | req/s | p50 ms | p99 ms | errors | MB/s | server CPU s per 1,000 |", "|---|---|---|---|---|---|---|---|"]
        for r in runs:
            if r["workload"] == wl:
                out.append(f"| {r['server']} | {r['connections']} | {_fmt(r['rps'])} | {_fmt(r['p50_ms'], 2)} | {_fmt(r['p99_ms'], 2)} | {r['errors']} | {_fmt(r['mb_per_s'])} | {_fmt(r['cpu_s_per_1000'], 3)} |")
    if res.get("tile_sizes"):
        out += ["", "## Tile sizes (bytes, uncompressed)", "", "| tile | cluster-atlas | martin |", "|---|---|---|"]
        for t, s in res["tile_sizes"].items():
            out.append(f"| {t} | {_fmt(s['cluster-atlas'])} | {_fmt(s['martin'])} |")
    if res.get("items_bytes_first_box"):
        s = res["items_bytes_first_box"]
        out += ["", f"First items?bbox page: cluster-atlas {s['cluster-atlas']:,} B, tipg {s['tipg']:,} B."]
    b = res.get("batch") or {}
    if b:
        out += ["", "## Batch: 1M points (uniform over lon 73–135, lat 18–53)", "", "| what | seconds |", "|---|---|"]
        for k, v in b.items():
            out.append(f"| {k} | {v:.3f} |")
        sub = b.get("postgis_contains_subdivided")
        ours = min((v for k, v in b.items() if k.startswith("criterion:") and "batch" in k), default=None)
        if sub and ours:
            out.append(f"\nIn-process assignment + count ÷ subdivided PostGIS: {sub / ours:.1f}× faster (target ≥ 4×, ≤ 0.3 s).")
    out += ["", "## Servers: start-up to first correct answer, memory (PSS, MiB)", "", "| server | cold start s | after load | after workload |", "|---|---|---|---|"]
    for name, s in res["servers"].items():
        out.append(f"| {name} | {_fmt(s.get('cold_start_s'), 2)} | {_fmt(s.get('mib_after_load'))} | {_fmt(s.get('mib_after_workload', s.get('mib')))} |")
    out += ["", "## Correctness checks", ""]
    for c in res["checks"]:
        out.append(f"- {'ok' if c['ok'] else 'FAILED'}: {c['check']} — {c['detail']}")
    out.append("")
    return "\n".join(out)
