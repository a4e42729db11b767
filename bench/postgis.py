#!/usr/bin/env python3
"""cluster-atlas on PostGIS at scale: a 20M-point layer imported with `import --postgres` and
served with `serve --postgres`, against a 1M-point in-memory layer.

Started by `scripts/bench-postgis`, which builds the release binary and installs wrk and
PostGIS first. Everything runs on loopback in one temporary folder removed at the end: a
private PostgreSQL 15 + PostGIS cluster (bench/run.py's `Postgres`, run as `postgres` when we
are root) and cluster-atlas. Steps:

1. a seeded synthetic CSV of N points (bench/synthetic.py: ~200 clusters inside mainland China
   plus 10 % uniform noise), streamed to disk;
2. `cluster-atlas import --postgres` of it, timed (points/s), the importer's peak RSS, the
   table's and indexes' size on disk;
3. `cluster-atlas serve --postgres`; a correctness pass compares its answers with direct SQL
   (nearest distances vs `ORDER BY geom <-> pt`, within and bbox counts vs ST_DWithin / &&,
   density counts vs `GROUP BY county_code`, tile ids vs the points in the tile's envelope);
4. wrk at 16 connections (seeded request lists, same driver as bench/run.py) for nearest k=10,
   within 5 km, items in ~0.2° boxes, density per county and MVT tiles z4-14, recording the
   server's VmRSS (sampled during the load) and VmHWM (peak) from /proc/PID/status;
5. the same workloads on an in-memory layer of 1M points from the same generator
   (`import --data <copy of geodata>`), for comparison;
6. bench/results/postgis-<date>.md and .json.

Standard library only. `--points 200000 --duration 5` is a quick run (a couple of minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402  (bench/synthetic.py)
from run import ROOT, Bench, Postgres, Server, cpu_seconds, free_port, http_get, log, mvt_ids, mvt_values  # noqa: E402

GJ = "application/geo+json"
PG_LAYER = "firms_pg"
# Most points a tile shows one by one (src/tiles/mod.rs MAX_TILE_POINTS); denser tiles are clustered.
MAX_TILE_POINTS = 4096
MEM_LAYER = "firms"


# ---------------------------------------------------------------- /proc


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of one process, MiB (empty once it has exited)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024
    except OSError:
        pass
    return out


class RssSampler:
    """Samples VmRSS of `pid` every `every` seconds in a thread; `max` is the highest seen."""

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.every, self.max, self.samples = pid, every, 0.0, 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            r = proc_status(self.pid).get("VmRSS")
            if r is not None:
                self.max = max(self.max, r)
                self.samples += 1
            self._stop.wait(self.every)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def timed_child(argv: list[str], log_path: Path, env=None) -> tuple[int, float, float, str]:
    """Runs `argv`: (exit code, wall seconds, peak RSS MiB from wait4, last 4 KB of output)."""
    t0 = time.monotonic()
    with open(log_path, "wb") as lf:
        p = subprocess.Popen(argv, stdout=lf, stderr=subprocess.STDOUT, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    tail = log_path.read_text(errors="replace")[-4000:]
    return p.returncode, wall, ru.ru_maxrss / 1024, tail


# ---------------------------------------------------------------- workloads


def tile_of(z: int, lon: float, lat: float) -> tuple[int, int, int]:
    k = 2**z
    x = int((lon + 180) / 360 * k)
    la = math.radians(lat)
    y = int((1 - math.log(math.tan(la) + 1 / math.cos(la)) / math.pi) / 2 * k)
    return z, min(max(x, 0), k - 1), min(max(y, 0), k - 1)


class Workloads:
    """Seeded request lists, drawn from the data's own distribution (queries go where the
    points are, as a map user's would); the same lists for both layers."""

    def __init__(self, seed: int, n: int = 5000):
        pts = synthetic.sample_points(n * 2, seed)
        rng = random.Random(seed + 99)
        self.nearest_pts = pts[:n]
        self.boxes = []
        for lon, lat in pts[n:]:
            w, s = lon - rng.uniform(0, 0.2), lat - rng.uniform(0, 0.2)
            self.boxes.append((round(w, 4), round(s, 4), round(w + 0.2, 4), round(s + 0.2, 4)))
        self.tiles = [tile_of(rng.randint(4, 14), lon, lat) for lon, lat in pts[: n]]
        rng.shuffle(self.tiles)
        self.industries = [None] + synthetic.INDUSTRIES[:8]

    def paths(self, layer: str) -> dict[str, list[str]]:
        return {
            "nearest k=10": [f"/nearest?lon={lon:.5f}&lat={lat:.5f}&k=10&layer={layer}" for lon, lat in self.nearest_pts],
            "within 5 km, limit 100": [f"/within?lon={lon:.5f}&lat={lat:.5f}&radius_m=5000&limit=100&layer={layer}" for lon, lat in self.nearest_pts[::-1]],
            "items bbox 0.2°, limit 100": [f"/collections/{layer}/items?bbox={w},{s},{e},{n}&limit=100" for w, s, e, n in self.boxes],
            "density county": [f"/density?level=county&layer={layer}&measure=count&geometry=false" + (f"&industry={i}" if i else "") for i in self.industries],
            "tiles z4-14": [f"/tiles/{layer}/{z}/{x}/{y}.mvt" for z, x, y in self.tiles],
        }


# ---------------------------------------------------------------- the benchmark


class PgBench(Bench):
    def __init__(self, args):
        super().__init__(args)
        self.results = {"points": args.points, "memory_points": args.memory_points, "seed": args.seed, "runs": [], "checks": [],
                        "import": {}, "table": {}, "memory": {}, "notes": [], "servers": {}}
        self.wl = Workloads(args.seed)

    # ---- helpers

    def csv(self, n: int) -> Path:
        """The n-point CSV: generated in the work folder, or once in `--csv-cache` and reused."""
        d = Path(self.args.csv_cache) if self.args.csv_cache else self.work
        d.mkdir(parents=True, exist_ok=True)
        f = d / f"points-{n}-seed{self.args.seed}.csv"
        if f.exists() and self.args.csv_cache:
            log(f"reusing {f} ({f.stat().st_size / 2**20:,.0f} MiB)")
            return f
        t0 = time.monotonic()
        tmp = f.with_suffix(".partial")
        synthetic.write_points_csv(tmp, n, self.args.seed)
        tmp.rename(f)
        os.chmod(f, 0o644)
        s = time.monotonic() - t0
        log(f"generated {n:,} points in {s:.1f} s ({f.stat().st_size / 2**20:,.0f} MiB)")
        self.results.setdefault("generate_s", {})[str(n)] = s
        return f

    def drop_csv(self, f: Path) -> None:
        if not self.args.keep_csv and not self.args.csv_cache:
            f.unlink()

    def serve(self, name: str, data: Path, layer: str, extra: list[str], db_pid: int | None = None) -> Server:
        port = free_port()
        url = f"http://127.0.0.1:{port}"

        def ready():
            s, body, _ = http_get(f"{url}/collections/{layer}/items?limit=1", headers={"Accept": GJ}, timeout=5)
            return s == 200 and json.loads(body).get("features")

        argv = [str(self.args.binary), "serve", "--addr", f"127.0.0.1:{port}", "--data", str(data),
                "--tile-cache-mb", str(self.args.tile_cache_mb), "--reload-every", "0"] + extra
        srv = Server(name, argv, url, ready, env=dict(os.environ, RUST_LOG="warn"), log_path=self.work / f"{name}.log")
        srv.db_pid = db_pid
        self.stoppers.append(srv.stop)
        st = proc_status(srv.pid)
        self.results["servers"][name] = {"cold_start_s": srv.cold_start_s, "after_start": st}
        log(f"{name}: VmRSS {st.get('VmRSS', 0):.0f} MiB after start")
        return srv

    def quiesce(self, pg: Postgres | None) -> None:
        """Waits (up to 10 min) until PostgreSQL runs no query for us: wrk's timed-out or
        cut-off requests may leave queries running after it exits, which would load the next run."""
        if pg is None:
            return
        t0 = time.monotonic()
        while time.monotonic() - t0 < 600:
            n = int(pg.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'bench' AND backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()").strip())
            if n == 0:
                return
            time.sleep(0.2)
        log("postgres still busy after 10 min; going on")

    def wrk_run(self, workload: str, srv: Server, paths: list[str], conns: int, accept: str, pg: Postgres | None) -> dict:
        """bench/run.py's wrk driver (same Lua script, same figures), with the measured run's
        length adapted to slow requests: a probe of up to 8 sequential requests (30 s) first; when 16
        connections would leave fewer than ~10 answers per connection in `--duration`, the run
        is lengthened (at most `--max-duration`) and wrk's timeout raised, so a request that
        takes seconds is measured rather than cut off. PostgreSQL is let go idle between runs."""
        probe, t_probe = [], time.monotonic()
        for p in paths[:8]:
            t0 = time.monotonic()
            http_get(srv.url + p, headers={"Accept": accept} if accept else {}, timeout=600)
            probe.append(time.monotonic() - t0)
            if time.monotonic() - t_probe > 30:
                break
        lat = sum(probe) / len(probe)
        cores = os.cpu_count() or 1
        expected = max(lat, lat * conns / cores)
        duration = max(self.args.duration, min(self.args.max_duration, math.ceil(10 * expected)))
        timeout = min(600, max(60, math.ceil(4 * max(probe) * max(1, conns / cores))))
        pfile = self.work / f"paths-{abs(hash((workload, srv.url)))}.txt"
        pfile.write_text("\n".join(paths) + "\n")
        threads = min(2, conns)
        env = dict(os.environ, PATHS=str(pfile), THREADS=str(threads), ACCEPT=accept)
        argv = ["wrk", f"-t{threads}", f"-c{conns}", "--timeout", f"{timeout}s", "-s", str(self.work / "wrk.lua"), srv.url]
        if self.args.warmup > 0 and expected < self.args.warmup:
            subprocess.run(argv + [f"-d{self.args.warmup}s"], env=env, capture_output=True, check=True)
        self.quiesce(pg)
        watched = [p for p in (srv.pid, getattr(srv, "db_pid", None)) if p]
        cpu0 = sum(cpu_seconds(p) for p in watched)
        with RssSampler(srv.pid) as rs:
            out = subprocess.run(argv + [f"-d{duration}s"], env=env, capture_output=True, text=True, check=True).stdout
        cpu1 = sum(cpu_seconds(p) for p in watched)
        self.quiesce(pg)
        w = json.loads(next(l for l in out.splitlines() if l.startswith("WRKJSON "))[8:])
        errors = w["connect"] + w["read"] + w["write"] + w["status"] + w["timeout"]
        secs = w["duration_us"] / 1e6
        st = proc_status(srv.pid)
        run = {
            "workload": workload, "server": srv.name, "connections": conns, "duration_s": duration, "timeout_s": timeout,
            "probe_s": lat, "requests": w["requests"], "rps": w["requests"] / secs,
            "p50_ms": w["p50_us"] / 1000, "p99_ms": w["p99_us"] / 1000, "max_ms": w["max_us"] / 1000, "errors": errors,
            "mb_per_s": w["bytes"] / secs / 1e6, "cpu_s_per_1000": (cpu1 - cpu0) / max(w["requests"], 1) * 1000,
            "cpu_share": (cpu1 - cpu0) / secs / cores, "rss_max_during_mib": rs.max, "vmhwm_after_mib": st.get("VmHWM"),
        }
        self.results["runs"].append(run)
        log(f"{workload:<28} {srv.name:<26} c={conns:<3} {run['rps']:>9.1f}/s  p50 {run['p50_ms']:.2f} ms  p99 {run['p99_ms']:.2f} ms  "
            f"errors {errors}  ({duration} s; VmRSS max {rs.max:.0f} MiB, VmHWM {st.get('VmHWM', 0):.0f} MiB)")
        return run

    def measure(self, label: str, srv: Server, layer: str, pg: Postgres | None = None) -> dict:
        """wrk over every workload at each connection count, sampling the server's VmRSS."""
        for wl, paths in self.wl.paths(layer).items():
            if self.args.workloads and not any(w in wl for w in self.args.workloads):
                continue
            for c in self.args.connections:
                run = self.wrk_run(wl, srv, paths, c, GJ if not wl.startswith("tiles") else "", pg)
                run["layer"] = label
        st = proc_status(srv.pid)
        self.results["servers"][srv.name]["after_load"] = st
        return st

    # ---- PostGIS

    def pg_supported(self) -> bool:
        h = subprocess.run([str(self.args.binary), "import", "--help"], capture_output=True, text=True).stdout
        s = subprocess.run([str(self.args.binary), "serve", "--help"], capture_output=True, text=True).stdout
        return "--postgres" in h and "--postgres" in s

    def start_pg(self) -> Postgres:
        pg = Postgres(self.work)
        self.stoppers.append(pg.stop)
        # Bulk-load settings on top of run.py's: a big GiST/btree sort buffer, no checkpoint
        # in the middle of the COPY. All reloadable (no restart); wal_level stays `replica`,
        # as a primary with read replicas needs.
        pg.psql(f"ALTER SYSTEM SET maintenance_work_mem = '{self.args.maintenance_work_mem}'")
        pg.psql("ALTER SYSTEM SET max_wal_size = '16GB'")
        pg.psql("ALTER SYSTEM SET checkpoint_timeout = '30min'")
        pg.psql("SELECT pg_reload_conf()")
        self.results["postgres"] = {
            "version": pg.psql("SELECT version()").strip(),
            "postgis": pg.psql("SELECT postgis_lib_version()").strip(),
            "settings": dict(l.split("|", 1) for l in pg.psql(
                "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN ('shared_buffers','work_mem',"
                "'maintenance_work_mem','max_wal_size','wal_level','fsync','synchronous_commit','max_parallel_maintenance_workers',"
                "'max_parallel_workers_per_gather','effective_cache_size','random_page_cost')").splitlines()),
        }
        log(f"postgres on :{pg.port} ({self.results['postgres']['postgis']}), started in {pg.cold_start_s:.2f} s")
        return pg

    def layer_table(self, pg: Postgres) -> str:
        """The layer's table in schema cluster_atlas: the catalogue's `table_name` when it has
        one (the importer writes a new table per import and swaps the catalogue row), else
        the layer's name."""
        has = pg.psql("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'cluster_atlas' "
                      "AND table_name = 'layers' AND column_name = 'table_name'").strip() == "1"
        t = pg.psql(f"SELECT table_name FROM cluster_atlas.layers WHERE name = '{PG_LAYER}'").strip() if has else ""
        return t or PG_LAYER

    def table_info(self, pg: Postgres) -> dict:
        """The imported table's geometry column, SRID and how to read id / county_code and
        test an industry: a column of that name (`industries` as an array), else a key of the
        json(b) `properties` column."""
        name = self.layer_table(pg)
        t = pg.psql(f"SELECT f_geometry_column, srid FROM geometry_columns WHERE f_table_schema = 'cluster_atlas' AND f_table_name = '{name}'").split()
        if not t:
            raise SystemExit(f"bench: no geometry column in cluster_atlas.\"{name}\" (geometry_columns is empty for it)")
        geom, srid = t[0].split("|")
        cols = dict(l.split("|") for l in pg.psql(
            f"SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'cluster_atlas' AND table_name = '{name}'").splitlines())
        js = "properties" if cols.get("properties") in ("json", "jsonb") else next((c for c, ty in cols.items() if ty in ("json", "jsonb")), None)

        def expr(col):
            if col in cols:
                return f'"{col}"::text'
            if js:
                return f""""{js}"->>'{col}'"""
            raise SystemExit(f"bench: cluster_atlas.\"{name}\" has no column '{col}' and no json column ({cols})")

        if cols.get("industries") == "ARRAY":
            industry = lambda v: f"'{v}' = ANY(industries)"  # noqa: E731
        else:
            industry = lambda v: f"{expr('industry')} = '{v}'"  # noqa: E731
        info = {"table": f'cluster_atlas."{name}"', "name": name, "geom": f'"{geom}"', "srid": int(srid), "columns": cols,
                "id": expr("id"), "county_code": expr("county_code"), "industry": industry}
        self.results["table"]["schema"] = {"table": f"cluster_atlas.{name}", "geometry": geom, "srid": int(srid), "columns": cols}
        return info

    def pg_import(self, pg: Postgres, csv: Path) -> None:
        imp = self.results["import"]
        cpu0 = cpu_seconds(pg.pid)
        argv = [str(self.args.binary), "import", "--postgres", pg.dsn, "--layer", PG_LAYER, "--skip-invalid", str(csv)]
        rc, wall, maxrss, tail = timed_child(argv, self.work / "import-pg.log")
        cpu1 = cpu_seconds(pg.pid)
        if rc != 0:
            self.check("import --postgres", False, f"exit {rc}: {tail[-1500:]}")
        imp.update({"seconds": wall, "points_per_s": self.args.points / wall, "importer_peak_rss_mib": maxrss,
                    "postgres_cpu_s": cpu1 - cpu0, "output_tail": tail.strip().splitlines()[-3:]})
        log(f"import --postgres: {self.args.points:,} rows in {wall:.1f} s = {self.args.points / wall:,.0f} points/s, "
            f"importer peak RSS {maxrss:.0f} MiB, postgres CPU {cpu1 - cpu0:.0f} s")
        self.table_stats(pg)

    def table_stats(self, pg: Postgres) -> None:
        """Rows, catalogue row and sizes on disk of the imported layer's table."""
        table = f'cluster_atlas."{self.layer_table(pg)}"'
        rows = int(pg.psql(f"SELECT count(*) FROM {table}").strip())
        self.results["import"]["rows"] = rows
        self.check("import --postgres: every row in the table", rows == self.args.points, f"{rows:,} rows of {self.args.points:,} in {table}")
        cat = pg.psql("SELECT row_to_json(l) FROM cluster_atlas.layers l").strip().splitlines()
        self.results["table"]["catalogue"] = [json.loads(c) for c in cat]
        pg.psql(f"VACUUM ANALYZE {table}")
        t = "'" + table.replace("'", "''") + "'::regclass"
        sz = pg.psql(f"SELECT pg_relation_size({t}), pg_indexes_size({t}), pg_total_relation_size({t}), pg_database_size('bench')").strip().split("|")
        idx = pg.psql(f"SELECT indexrelid::regclass || '|' || pg_relation_size(indexrelid) || '|' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = {t}").strip().splitlines()
        self.results["table"].update({"heap_bytes": int(sz[0]), "indexes_bytes": int(sz[1]), "total_bytes": int(sz[2]), "database_bytes": int(sz[3]),
                                      "indexes": [dict(zip(("name", "bytes", "def"), l.split("|", 2))) for l in idx]})
        log(f"table on disk: heap {int(sz[0]) / 2**20:,.0f} MiB, indexes {int(sz[1]) / 2**20:,.0f} MiB, total {int(sz[2]) / 2**20:,.0f} MiB")

    def pg_checks(self, pg: Postgres, srv: Server, ti: dict) -> None:
        """The PostGIS layer's answers against direct SQL on the same table."""
        n = self.args.check_sample
        T, G, srid = ti["table"], ti["geom"], ti["srid"]

        def pt(lon, lat):
            return f"ST_SetSRID(ST_MakePoint({lon},{lat}), 4326)" if srid == 4326 else f"ST_Transform(ST_SetSRID(ST_MakePoint({lon},{lat}), 4326), {srid})"

        g4326 = G if srid == 4326 else f"ST_Transform({G}, 4326)"
        # nearest: the ten distances (ids may tie), SQL = KNN candidates re-ranked on the sphere.
        same, bad = 0, []
        for lon, lat in [(round(a, 5), round(b, 5)) for a, b in self.wl.nearest_pts[:n]]:
            s, body, _ = http_get(f"{srv.url}/nearest?lon={lon}&lat={lat}&k=10&layer={PG_LAYER}", headers={"Accept": GJ}, timeout=600)
            ours = [float(f["properties"]["distance_m"]) for f in json.loads(body)["features"]] if s == 200 else []
            q = (f"SELECT d FROM (SELECT ST_Distance({g4326}::geography, {pt(lon, lat)}::geography, false) d FROM {T} "
                 f"ORDER BY {G} <-> {pt(lon, lat)} LIMIT 200) c ORDER BY d LIMIT 10")
            theirs = [float(x) for x in pg.psql(q).split()]
            ok = len(ours) == len(theirs) == 10 and all(abs(a - b) <= 1 + 2e-4 * b for a, b in zip(ours, theirs))
            same += ok
            if not ok and len(bad) < 3:
                bad.append(f"({lon},{lat}): {[round(x) for x in ours[:4]]} vs SQL {[round(x) for x in theirs[:4]]}")
        self.check("PostGIS layer nearest k=10: the ten distances of KNN SQL", same == n, f"{same} of {n} points (sphere, ±1 m + 0.02 %)" + (f"; {'; '.join(bad)}" if bad else ""))
        # within 5 km: numberMatched vs ST_DWithin on the sphere (±0.1 % of the radius).
        same, bad = 0, []
        for lon, lat in [(round(a, 5), round(b, 5)) for a, b in self.wl.nearest_pts[n : 2 * n]]:
            s, body, _ = http_get(f"{srv.url}/within?lon={lon}&lat={lat}&radius_m=5000&limit=100&layer={PG_LAYER}", headers={"Accept": GJ}, timeout=600)
            j = json.loads(body) if s == 200 else {}
            m = j.get("numberMatched")
            dx, dy = 5100 / 111320 / math.cos(math.radians(lat)), 5100 / 110570
            box = f"ST_Expand({pt(lon, lat)}, {dx}, {dy})" if srid == 4326 else f"ST_Transform(ST_Expand(ST_SetSRID(ST_MakePoint({lon},{lat}),4326), {dx}, {dy}), {srid})"
            lo, hi = (int(x) for x in pg.psql(
                f"SELECT count(*) FILTER (WHERE d <= 4995), count(*) FILTER (WHERE d <= 5005) FROM (SELECT ST_Distance({g4326}::geography, "
                f"{pt(lon, lat)}::geography, false) d FROM {T} WHERE {G} && {box}) c").strip().split("|"))
            ok = m is not None and lo <= m <= hi and len(j.get("features", [])) == min(m, 100)
            same += ok
            if not ok and len(bad) < 3:
                bad.append(f"({lon},{lat}): {m} vs SQL {lo}..{hi}")
        self.check("PostGIS layer within 5 km: numberMatched = ST_DWithin count", same == n, f"{same} of {n} points" + (f"; {'; '.join(bad)}" if bad else ""))
        # items?bbox: numberMatched vs &&, and the ids when the whole match fits a page.
        same, bad = 0, []
        for w, s_, e, nn in self.wl.boxes[:n]:
            s, body, _ = http_get(f"{srv.url}/collections/{PG_LAYER}/items?bbox={w},{s_},{e},{nn}&limit=100", headers={"Accept": GJ}, timeout=600)
            j = json.loads(body) if s == 200 else {}
            env = f"ST_MakeEnvelope({w},{s_},{e},{nn},4326)" if srid == 4326 else f"ST_Transform(ST_MakeEnvelope({w},{s_},{e},{nn},4326),{srid})"
            rows = pg.psql(f"SELECT {ti['id']} FROM {T} WHERE {G} && {env} AND ST_Intersects({G}, {env})").split()
            ids = {str(f["id"]) for f in j.get("features", [])}
            ok = j.get("numberMatched") == len(rows) and (ids == set(rows) if len(rows) <= 100 else len(ids) == 100 and ids <= set(rows))
            same += ok
            if not ok and len(bad) < 3:
                bad.append(f"{w},{s_},{e},{nn}: {j.get('numberMatched')} vs SQL {len(rows)}")
        self.check("PostGIS layer items?bbox: numberMatched and ids = SQL &&", same == n, f"{same} of {n} boxes" + (f"; {'; '.join(bad)}" if bad else ""))
        # density: per-county counts vs GROUP BY county_code, all firms and one industry.
        for ind in (None, synthetic.INDUSTRIES[0]):
            s, body, _ = http_get(f"{srv.url}/density?level=county&layer={PG_LAYER}&measure=count&geometry=false&all=false" + (f"&industry={ind}" if ind else ""), headers={"Accept": GJ}, timeout=600)
            j = json.loads(body) if s == 200 else {"features": []}
            ours = {str(f["id"]): int(f["properties"]["count"]) for f in j["features"]}
            where = f"WHERE {ti['industry'](ind)}" if ind else ""
            theirs = dict(l.split("|") for l in pg.psql(f"SELECT {ti['county_code']}, count(*) FROM {T} {where} GROUP BY 1 HAVING {ti['county_code']} IS NOT NULL").split())
            theirs = {k: int(v) for k, v in theirs.items()}
            diff = sum(abs(ours.get(k, 0) - theirs.get(k, 0)) for k in set(ours) | set(theirs))
            self.check(f"PostGIS layer density per county{' (' + ind + ')' if ind else ''}: counts = SQL GROUP BY county_code", s == 200 and diff == 0,
                       f"{len(ours)} counties, {sum(ours.values()):,} points here; {len(theirs)} counties, {sum(theirs.values()):,} points in SQL; {diff} differ")
            if not ind:
                self.results["table"]["points_in_counties"] = sum(theirs.values())
        # tiles z >= 8: a tile with at most MAX_TILE_POINTS points in its buffer shows them one by
        # one (its ids are points of the buffered tile; empty only when the tile holds none); a
        # denser one is clustered, and its clusters and single points count exactly the
        # points whose Web Mercator position falls in the tile.
        same, compared, nonempty, clustered, bad = 0, 0, 0, 0, []
        for z, x, y in [t for t in self.wl.tiles if t[0] >= 8][:n]:
            s, body, _ = http_get(f"{srv.url}/tiles/{PG_LAYER}/{z}/{x}/{y}.mvt", timeout=600)
            body = body if s == 200 else b""
            ours = mvt_ids(body, "id")
            env = f"ST_Transform(ST_TileEnvelope({z},{x},{y}, margin => 0.125), {srid})"
            exact = f"ST_Transform(ST_TileEnvelope({z},{x},{y}), {srid})"
            buffered = int(pg.psql(f"SELECT count(*) FROM (SELECT 1 FROM {T} WHERE {G} && {env} LIMIT {MAX_TILE_POINTS + 1}) s").strip())
            if buffered > MAX_TILE_POINTS:
                counts = [int(v) for v in mvt_values(body, "point_count")]
                inner = int(pg.psql(f"SELECT count(*) FROM {T} WHERE floor(ux * {2**z}) = {x} AND floor(uy * {2**z}) = {y}").strip())
                ok = s == 200 and bool(counts) and sum(counts) + len(ours) == inner
                clustered += 1
                detail = f"{z}/{x}/{y}: clustered, {sum(counts)} in clusters + {len(ours)} single vs SQL {inner} in tile"
            else:
                rows = set(pg.psql(f"SELECT {ti['id']} FROM {T} WHERE {G} && {env}").split())
                inner = int(pg.psql(f"SELECT count(*) FROM {T} WHERE {G} && {exact}").strip())
                ok = s in (200, 204) and ours <= rows and (bool(ours) or inner == 0)
                detail = f"{z}/{x}/{y}: status {s}, {len(ours)} ids, {len(ours - rows)} outside, SQL {inner} in tile"
            compared += 1
            nonempty += bool(body)
            same += ok
            if not ok and len(bad) < 3:
                bad.append(detail)
        self.check("PostGIS layer tiles z8-14: the points of the buffered tile, or (denser) clusters counting the tile's points", same == compared,
                   f"{same} of {compared} tiles ({nonempty} not empty, {clustered} clustered)" + (f"; {'; '.join(bad)}" if bad else ""))

    def mock_import(self, pg: Postgres, csv: Path) -> None:
        """Self-test of this script only (`--mock-postgis`): the table `import --postgres` would
        write, loaded with psql (county codes from `reverse --csv`), so the SQL side of the
        checks can be exercised against an in-memory layer of the same rows."""
        rev = self.work / "mock-rev.csv"
        subprocess.run([str(self.args.binary), "reverse", "--data", str(ROOT / "geodata"), "--csv", str(csv), "--out", str(rev)], check=True, capture_output=True)
        os.chmod(rev, 0o644)
        pg.psql("CREATE SCHEMA cluster_atlas; CREATE TABLE cluster_atlas.layers (name text PRIMARY KEY, table_name text NOT NULL, feature_count bigint)")
        pg.psql("CREATE TABLE mock_in (id text, name_zh text, lon float8, lat float8, industry text, kind text, firms int, approved text, "
                "county_code text, county_name_zh text, prefecture_code text, prefecture_name_zh text, province_code text)")
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "bench", "-c",
                        f"\\copy mock_in FROM '{rev}' CSV HEADER"], check=True, capture_output=True)
        # The importer's layout (src/source/postgis/schema.rs): a table per import named in the
        # catalogue, integer admin codes, industries text[], properties json.
        pg.psql("CREATE TABLE cluster_atlas.layer_mock AS SELECT row_number() OVER () AS ord, id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom, "
                "name_zh, kind, ARRAY[industry] AS industries, nullif(county_code, '')::int AS county_code, nullif(prefecture_code, '')::int AS prefecture_code, "
                "nullif(province_code, '')::int AS province_code, json_build_object('industry', industry, 'firms', firms, 'approved', approved) AS properties FROM mock_in;"
                "CREATE INDEX ON cluster_atlas.layer_mock USING gist (geom); CREATE UNIQUE INDEX ON cluster_atlas.layer_mock (id); DROP TABLE mock_in;"
                f"INSERT INTO cluster_atlas.layers VALUES ('{PG_LAYER}', 'layer_mock', {self.args.points})")
        data = self.work / "mockdata"
        shutil.copytree(ROOT / "geodata", data)
        subprocess.run([str(self.args.binary), "import", "--data", str(data), "--layer", PG_LAYER, "--skip-invalid", str(csv)], check=True, capture_output=True)
        self.mock_data = data

    def run_postgis(self) -> None:
        pg = self.start_pg()
        if self.args.mock_postgis:
            note = "--mock-postgis: a self-test of this script; the 'PostGIS' server is an in-memory layer, the table was loaded by psql"
            log(note)
            self.results["notes"].append(note)
            csv = self.csv(self.args.points)
            t0 = time.monotonic()
            self.mock_import(pg, csv)
            self.results["import"] = {"mock": True, "seconds": time.monotonic() - t0}
            self.table_stats(pg)
            ti = self.table_info(pg)
            srv = self.serve("mock (in memory as firms_pg)", self.mock_data, PG_LAYER, [], db_pid=None)
            self.pg_checks(pg, srv, ti)
            self.measure("mock", srv, PG_LAYER, pg)
            srv.stop()
            return
        if not self.pg_supported():
            note = "this binary has no `--postgres` (import/serve): the PostGIS half was skipped after starting and stopping PostgreSQL"
            log(note)
            self.results["notes"].append(note)
            return
        csv = self.csv(self.args.points)
        self.pg_import(pg, csv)
        ti = self.table_info(pg)
        srv = self.serve("cluster-atlas --postgres", ROOT / "geodata", PG_LAYER, ["--postgres", pg.dsn], db_pid=pg.pid)
        self.pg_checks(pg, srv, ti)
        st = self.measure(f"PostGIS {self.args.points:,}", srv, PG_LAYER, pg)
        hwm = st.get("VmHWM")
        self.rss_ok = hwm is not None and hwm < self.args.rss_limit_mb
        self.check(f"cluster-atlas --postgres peak RSS (VmHWM) under {self.args.rss_limit_mb} MB", self.rss_ok,
                   f"VmHWM {hwm:.0f} MiB, VmRSS {st.get('VmRSS', 0):.0f} MiB after the load" if hwm else "process gone", fatal=False)
        self.results["servers"]["postgres"] = {"pss_mib_after_load": __import__("run").memory_mib(pg.pid)}
        srv.stop()
        self.drop_csv(csv)

    # ---- in memory

    def run_memory(self) -> None:
        n = self.args.memory_points
        csv = self.csv(n)
        data = self.work / "memdata"
        shutil.copytree(ROOT / "geodata", data)
        argv = [str(self.args.binary), "import", "--data", str(data), "--layer", MEM_LAYER, "--skip-invalid", str(csv)]
        rc, wall, maxrss, tail = timed_child(argv, self.work / "import-mem.log")
        if rc != 0:
            self.check("import --data (in memory)", False, f"exit {rc}: {tail[-1500:]}")
        m = self.results["memory"]
        m.update({"rows": n, "import_s": wall, "points_per_s": n / wall, "importer_peak_rss_mib": maxrss,
                  "layer_file_bytes": (data / f"{MEM_LAYER}.geojson").stat().st_size, "output_tail": tail.strip().splitlines()[-2:]})
        log(f"import --data: {n:,} rows in {wall:.1f} s = {n / wall:,.0f} points/s, peak RSS {maxrss:.0f} MiB")
        srv = self.serve("cluster-atlas in memory", data, MEM_LAYER, [])
        s, body, _ = http_get(f"{srv.url}/density?level=county&layer={MEM_LAYER}&geometry=false", headers={"Accept": GJ})
        j = json.loads(body)
        self.check("in-memory layer: density total = imported rows", j.get("total") == n, f"total {j.get('total')}, assigned {j.get('assigned')} of {n:,}")
        m["points_in_counties"] = j.get("assigned")
        st = self.measure(f"in memory {n:,}", srv, MEM_LAYER)
        m["server_after_load"] = st
        srv.stop()
        self.drop_csv(csv)

    def check(self, name: str, ok: bool, detail: str, fatal: bool = True) -> None:
        self.results["checks"].append({"check": name, "ok": ok, "detail": detail})
        log(f"check {'ok  ' if ok else 'FAIL'} {name}: {detail}")
        if not ok and fatal and not self.args.keep_going:
            raise SystemExit(f"bench: check failed: {name}: {detail}")

    def machine(self) -> dict:
        cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")
        return {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "cpu": cpu, "cores": os.cpu_count(),
            "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1), "kernel": platform.release(),
            "disk": "{} {} ({} free)".format(*subprocess.run(["df", "-h", "--output=source,size,avail", str(self.work)], capture_output=True, text=True).stdout.split("\n")[1].split()),
            "cluster-atlas": subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip(),
            "postgres": subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip(),
            "wrk": f"wrk (Debian), {min(2, max(self.args.connections))} threads", "duration_s": self.args.duration, "warmup_s": self.args.warmup,
            "tile_cache_mb": self.args.tile_cache_mb, "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        }

    def main(self) -> None:
        t0 = time.monotonic()
        try:
            self.results["machine"] = self.machine()
            if "memory" in self.args.only:
                self.run_memory()
            if "postgis" in self.args.only:
                self.run_postgis()
        finally:
            self.results["elapsed_s"] = time.monotonic() - t0
            self.results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
            for stop in reversed(self.stoppers):
                stop()
            if not self.args.keep_work:
                shutil.rmtree(self.work, ignore_errors=True)
            else:
                log(f"kept {self.work}")
            self.write()
        if any(not c["ok"] for c in self.results["checks"]):
            raise SystemExit("bench: some checks failed (see the report)")

    def write(self) -> None:
        out = Path(self.args.out)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"postgis-{dt.date.today().isoformat()}" + (f"-{self.args.tag}" if self.args.tag else "")
        (out / f"{stem}.json").write_text(json.dumps(self.results, indent=1, ensure_ascii=False) + "\n")
        (out / f"{stem}.md").write_text(markdown(self.results))
        log(f"wrote {out / stem}.md and .json ({self.results['elapsed_s'] / 60:.1f} min)")


# ---------------------------------------------------------------- report


def _f(v, d=1):
    if v is None:
        return "–"
    return f"{v:,.{d}f}" if isinstance(v, float) else f"{v:,}"


def markdown(res: dict) -> str:
    m = res["machine"]
    out = [f"# cluster-atlas on PostGIS, {m['date'][:10]}: {res['points']:,} points", "",
           "Produced by `scripts/bench-postgis` (bench/postgis.py); raw figures in the `.json` beside this file. "
           f"Synthetic points (bench/synthetic.py, seed {res['seed']}): ~200 clusters inside mainland China plus 10 % uniform noise. "
           f"Every server on loopback on the same machine; each measured wrk run ({m['duration_s']} s) followed an untimed "
           f"{m['warmup_s']} s warm-up with the same requests; tile cache {m['tile_cache_mb']} MB.", ""]
    for note in res.get("notes", []):
        out += [f"> {note}", ""]
    out += ["## Machine", ""] + [f"- {k}: {m.get(k)}" for k in ("cpu", "cores", "mem_gib", "kernel", "disk", "cluster-atlas", "postgres", "wrk", "loadavg_at_start", "loadavg_at_end")]
    pgs = res.get("postgres")
    if pgs:
        out.append(f"- PostGIS {pgs['postgis']}; settings: " + ", ".join(f"{k}={v}" for k, v in sorted(pgs["settings"].items())))
    imp, tb, mem = res.get("import") or {}, res.get("table") or {}, res.get("memory") or {}
    out += ["", "## Import", "", "| what | rows | seconds | points/s | importer peak RSS MiB |", "|---|---|---|---|---|"]
    if imp.get("points_per_s"):
        out.append(f"| `import --postgres` (binary COPY, one transaction) | {_f(res['points'])} | {_f(imp['seconds'])} | {_f(imp['points_per_s'], 0)} | {_f(imp['importer_peak_rss_mib'], 0)} |")
    if mem:
        out.append(f"| `import --data` (in-memory layer file) | {_f(mem['rows'])} | {_f(mem['import_s'])} | {_f(mem['points_per_s'], 0)} | {_f(mem['importer_peak_rss_mib'], 0)} |")
    for n, s in (res.get("generate_s") or {}).items():
        out.append(f"\nCSV generation of {int(n):,} points: {s:.1f} s.")
    if tb.get("total_bytes"):
        out += ["", "## Table on disk", "",
                f"- heap {tb['heap_bytes'] / 2**20:,.0f} MiB, indexes {tb['indexes_bytes'] / 2**20:,.0f} MiB, total {tb['total_bytes'] / 2**20:,.0f} MiB "
                f"({tb['total_bytes'] / max(res['points'], 1):.0f} B per point); database {tb['database_bytes'] / 2**20:,.0f} MiB"]
        out += [f"- `{i['name']}` {int(i['bytes']) / 2**20:,.0f} MiB: `{i['def']}`" for i in tb.get("indexes", [])]
        if "points_in_counties" in tb:
            out.append(f"- {tb['points_in_counties']:,} of {res['points']:,} points have a county_code")
    if mem.get("layer_file_bytes"):
        out.append(f"\nIn-memory layer file: {mem['layer_file_bytes'] / 2**20:,.0f} MiB of GeoJSON for {mem['rows']:,} points.")
    runs = res["runs"]
    layers = list(dict.fromkeys(r["layer"] for r in runs))
    out += ["", "## Requests (wrk)", "",
            "Run length adapts to slow requests (a probe of up to 8 sequential requests; at most `--max-duration`; wrk's timeout from the slowest probe); CPU is cluster-atlas plus PostgreSQL's backends, "
            "as a share of all cores and per 1,000 requests; VmRSS is sampled every 0.1 s during the run.", "",
            "| workload | layer | conns | s | req/s | p50 ms | p99 ms | errors | MB/s | CPU share | CPU s per 1,000 | VmRSS max during, MiB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for wl in dict.fromkeys(r["workload"] for r in runs):
        for r in runs:
            if r["workload"] == wl:
                out.append(f"| {wl} | {r['layer']} | {r['connections']} | {r['duration_s']} | {_f(r['rps'])} | {_f(r['p50_ms'], 2)} | {_f(r['p99_ms'], 2)} | {r['errors']} | "
                           f"{_f(r['mb_per_s'])} | {r['cpu_share']:.0%} | {_f(r['cpu_s_per_1000'], 3)} | {_f(r['rss_max_during_mib'], 0)} |")
    pgl = next((l for l in layers if l.startswith("PostGIS")), None)
    meml = next((l for l in layers if l.startswith("in memory")), None)
    if pgl and meml:
        cells = []
        for wl in dict.fromkeys(r["workload"] for r in runs):
            a = next((r for r in runs if r["workload"] == wl and r["layer"] == pgl), None)
            b = next((r for r in runs if r["workload"] == wl and r["layer"] == meml), None)
            if a and b and b["rps"]:
                cells.append(f"{wl} {a['rps'] / b['rps']:.2f}×")
        out += ["", f"{pgl} ÷ {meml} (req/s, the same request lists; the layers differ in size): " + "; ".join(cells) + "."]
    out += ["", "## Server memory (from /proc/PID/status, MiB)", "", "| server | VmRSS after start | VmRSS after load | VmHWM (peak) |", "|---|---|---|---|"]
    for name, s in res["servers"].items():
        if "after_start" in s:
            out.append(f"| {name} | {_f(s['after_start'].get('VmRSS'), 0)} | {_f((s.get('after_load') or {}).get('VmRSS'), 0)} | {_f((s.get('after_load') or {}).get('VmHWM'), 0)} |")
    if "postgres" in res["servers"]:
        out.append(f"\nPostgreSQL (all backends, PSS) after the load: {res['servers']['postgres']['pss_mib_after_load']:,.0f} MiB.")
    out += ["", "## Correctness checks", ""] + [f"- {'ok' if c['ok'] else 'FAILED'}: {c['check']} — {c['detail']}" for c in res["checks"]]
    out += ["", f"Whole run: {res.get('elapsed_s', 0) / 60:.1f} min.", ""]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", type=Path, required=True)
    ap.add_argument("--points", type=int, default=20_000_000, help="rows of the PostGIS layer (default 20,000,000)")
    ap.add_argument("--memory-points", type=int, default=1_000_000, help="rows of the in-memory comparison layer")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk run")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--max-duration", type=int, default=120, help="longest measured run of a slow workload (see wrk_run)")
    ap.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")], default=[16])
    ap.add_argument("--workloads", type=lambda s: [x for x in s.split(",") if x], default=[], help="substrings of workload names to run (default all)")
    ap.add_argument("--only", type=lambda s: s.split(","), default=["memory", "postgis"], help="memory,postgis")
    ap.add_argument("--check-sample", type=int, default=20)
    ap.add_argument("--tile-cache-mb", type=int, default=0, help="serve --tile-cache-mb (default 0: every tile request is computed)")
    ap.add_argument("--maintenance-work-mem", default="2GB")
    ap.add_argument("--rss-limit-mb", type=int, default=400)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--tag", default="", help="suffix of the report's file name (e.g. quick)")
    ap.add_argument("--keep-going", action="store_true", help="record failed checks instead of stopping")
    ap.add_argument("--keep-work", action="store_true")
    ap.add_argument("--csv-cache", default="", help="folder where the CSVs are generated once and reused (20M: 1.5 GB)")
    ap.add_argument("--mock-postgis", action="store_true", help=argparse.SUPPRESS)  # self-test of the SQL checks
    ap.add_argument("--keep-csv", action="store_true", help="keep the CSV files in the work folder (with --keep-work)")
    args = ap.parse_args()
    PgBench(args).main()


if __name__ == "__main__":
    main()
