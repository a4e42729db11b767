#!/usr/bin/env python3
"""Side-by-side benchmark of cluster-atlas against PostGIS, martin, tipg and nginx.

Started by `scripts/bench`, which installs the peers and builds the release binary first.
Everything runs on loopback in one temporary folder that is removed at the end: a private
PostgreSQL 15 + PostGIS cluster (run as the `postgres` user when we are root), martin, tipg
(uvicorn), nginx, and cluster-atlas. Workloads are fixed lists drawn with seeded generators,
so every server gets the same requests; wrk drives HTTP, pgbench drives SQL. Each measured
run follows an untimed warm-up. Before any timing, a correctness pass asks both sides of each
pair the same sample of requests and compares the answers (feature ids, counts); a mismatch
fails the run. Writes bench/results/<date>.json and .md.

Standard library only: this must run on a fresh machine before anything else is installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
CHINA = (73.0, 18.0, 135.0, 53.0)
PROBE = (116.578, 38.076)  # inside 泊头市 (130981)
PROBE_COUNTY = "130981"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, headers: dict | None = None, timeout: float = 60) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def wait_until(check, what: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> float:
    """Polls `check()` until it returns truthy; returns seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}")
        try:
            if check():
                return time.monotonic() - t0
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s")


# ---------------------------------------------------------------- process accounting


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (postgres backends, uvicorn workers)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(d.name))
            except (OSError, IndexError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process tree, including reaped children."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in process_tree(pid):
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in f[11:15]) / tick  # utime stime cutime cstime
        except (OSError, IndexError):
            continue
    return total


def memory_mib(pid: int) -> float:
    """Proportional set size of the process tree (shared pages split between sharers), MiB."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


# ---------------------------------------------------------------- servers


class Server:
    """A started peer: its process, base URL, start-up time and what it costs."""

    def __init__(self, name: str, argv: list[str], url: str, ready, env=None, cwd=None, log_path=None, user=None):
        self.name, self.url = name, url
        self.log_path = log_path or Path(os.devnull)
        if user:
            argv = ["runuser", "-u", user, "--"] + argv
        t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=open(self.log_path, "wb"), stderr=subprocess.STDOUT)
        try:
            wait_until(ready, name, proc=self.proc)
        except RuntimeError:
            sys.stderr.write(Path(self.log_path).read_text(errors="replace")[-4000:] if log_path else "")
            raise
        self.cold_start_s = time.monotonic() - t0
        self.rss_after_load = memory_mib(self.proc.pid)
        log(f"{name} answered correctly {self.cold_start_s:.2f} s after start, {self.rss_after_load:.0f} MiB")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Postgres:
    """A private PostgreSQL cluster in `work`, on a loopback port, owned by `postgres` when root."""

    def __init__(self, work: Path):
        self.dir = work / "pg"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        self.dir.mkdir()
        if self.user:
            shutil.chown(self.dir, self.user, self.user)
            shutil.chown(work, self.user, self.user)
        self._as([str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"])
        conf = self.dir / "data" / "postgresql.conf"
        # Production-style settings for a 2-core, 24 GiB machine (PGTune "web application"):
        # everything fits in shared buffers, no durability cost on the read-only benchmark.
        with open(conf, "a") as f:
            f.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                "shared_buffers = 2GB\neffective_cache_size = 6GB\nwork_mem = 32MB\nmaintenance_work_mem = 512MB\n"
                "max_connections = 200\nmax_worker_processes = 2\nmax_parallel_workers_per_gather = 1\n"
                "max_parallel_workers = 2\nrandom_page_cost = 1.1\nfsync = off\nsynchronous_commit = off\n"
                "jit = off\n"
            )
        t0 = time.monotonic()
        self._as([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "start"])
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/bench"
        self.psql("SELECT 1", db="postgres")
        self.psql("CREATE DATABASE bench", db="postgres")
        self.cold_start_s = time.monotonic() - t0
        self.psql("CREATE EXTENSION postgis")
        pid_line = (self.dir / "data" / "postmaster.pid").read_text().splitlines()[0]
        self.pid = int(pid_line)

    def _as(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        if self.user:
            argv = ["runuser", "-u", self.user, "--"] + argv
        return subprocess.run(argv, check=True, capture_output=True, **kw)

    def psql(self, sql: str, db: str = "bench") -> str:
        r = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
            capture_output=True, text=True,
        )
        if r.returncode != 0:
            raise RuntimeError(f"psql: {sql[:200]}: {r.stderr}")
        return r.stdout

    def timed(self, sql: str, runs: int) -> list[float]:
        """Seconds for each of `runs` executions of `sql` (server-side, EXPLAIN ANALYZE-free: \\timing)."""
        script = "\\timing on\n" + "\n".join([sql.rstrip(";") + ";"] * runs) + "\n"
        r = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-o", "/dev/null", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "bench"],
            input=script, capture_output=True, text=True, check=True,
        )
        return [float(line.split()[1]) / 1000 for line in r.stdout.splitlines() if line.startswith("Time:")]

    def stop(self) -> None:
        try:
            self._as([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"])
        except subprocess.CalledProcessError:
            pass


# ---------------------------------------------------------------- workloads


def tile_list(n: int, seed: int, zmin: int, zmax: int) -> list[tuple[int, int, int]]:
    import math

    rng = random.Random(seed)
    tiles = []
    for _ in range(n):
        z = rng.randint(zmin, zmax)
        lon = rng.uniform(CHINA[0], CHINA[2])
        lat = math.radians(rng.uniform(CHINA[1], CHINA[3]))
        k = 2**z
        x = int((lon + 180) / 360 * k)
        y = int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * k)
        tiles.append((z, x, y))
    return tiles


def boxes(n: int, seed: int, side: float) -> list[tuple[float, float, float, float]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        w, s = rng.uniform(CHINA[0], CHINA[2] - side), rng.uniform(CHINA[1], CHINA[3] - side)
        out.append((round(w, 4), round(s, 4), round(w + side, 4), round(s + side, 4)))
    return out


def points(n: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(round(rng.uniform(CHINA[0], CHINA[2]), 5), round(rng.uniform(CHINA[1], CHINA[3]), 5)) for _ in range(n)]


WRK_LUA = r"""
-- Requests the paths of PATHS in order; thread i starts at path i and steps by the number of
-- threads, so the threads share the list without coordination. done() prints one JSON line.
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  paths = {}
  for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
  step = tonumber(os.getenv("THREADS"))
  i = id % #paths
  hdrs = {}
  local accept = os.getenv("ACCEPT")
  if accept and accept ~= "" then hdrs["Accept"] = accept end
end
function request()
  local p = paths[i + 1]
  i = (i + step) % #paths
  return wrk.format("GET", p, hdrs)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="cluster-atlas-bench-"))
        os.chmod(self.work, 0o755)
        self.results: dict = {"runs": [], "checks": [], "batch": {}, "servers": {}}
        self.stoppers: list = []
        (self.work / "wrk.lua").write_text(WRK_LUA)

    # ---- drivers

    def wrk(self, workload: str, server: Server | None, base: str, paths: list[str], conns: int, accept: str = "", pid: int | None = None, note: str = "", prefill: bool = False) -> dict:
        name = server.name if server else note
        pfile = self.work / f"paths-{abs(hash((workload, base)))}.txt"
        pfile.write_text("\n".join(paths) + "\n")
        threads = min(2, conns)
        env = dict(os.environ, PATHS=str(pfile), THREADS=str(threads), ACCEPT=accept)
        argv = ["wrk", f"-t{threads}", f"-c{conns}", "--timeout", "30s", "-s", str(self.work / "wrk.lua"), base]
        if prefill:
            # A cache is "on" once it holds the list: one request per path first.
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(8) as ex:
                list(ex.map(lambda p: http_get(base + p, headers={"Accept": accept} if accept else {}), paths))
        subprocess.run(argv + [f"-d{self.args.warmup}s"], env=env, capture_output=True, check=True)
        # A server's CPU includes its database's (martin and tipg ask PostgreSQL for every answer).
        watched = [p for p in (pid if pid is not None else (server.pid if server else None), getattr(server, "db_pid", None)) if p]
        cpu0 = sum(cpu_seconds(p) for p in watched)
        out = subprocess.run(argv + [f"-d{self.args.duration}s"], env=env, capture_output=True, text=True, check=True).stdout
        cpu1 = sum(cpu_seconds(p) for p in watched)
        line = next(l for l in out.splitlines() if l.startswith("WRKJSON "))
        w = json.loads(line[8:])
        errors = w["connect"] + w["read"] + w["write"] + w["status"] + w["timeout"]
        run = {
            "workload": workload, "server": name, "connections": conns,
            "requests": w["requests"], "rps": w["requests"] / (w["duration_us"] / 1e6),
            "p50_ms": w["p50_us"] / 1000, "p99_ms": w["p99_us"] / 1000, "errors": errors,
            "mb_per_s": w["bytes"] / (w["duration_us"] / 1e6) / 1e6,
            "cpu_s_per_1000": (cpu1 - cpu0) / max(w["requests"], 1) * 1000,
        }
        self.results["runs"].append(run)
        log(f"{workload:<28} {name:<26} c={conns:<3} {run['rps']:>9.1f}/s  p50 {run['p50_ms']:.2f} ms  p99 {run['p99_ms']:.2f} ms  errors {errors}")
        return run

    def pgbench(self, workload: str, pg: Postgres, script: str, conns: int, label: str) -> dict:
        f = self.work / "pgbench.sql"
        f.write_text(script)
        os.chmod(f, 0o644)
        base = ["pgbench", "-n", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-M", "prepared",
                "-c", str(conns), "-j", str(min(2, conns)), "-f", str(f), "--random-seed=42", "bench"]
        subprocess.run(base + ["-T", str(self.args.warmup)], capture_output=True, check=True)
        cpu0 = cpu_seconds(pg.pid)
        out = subprocess.run(base + ["-T", str(self.args.duration), "-r", "--log", f"--log-prefix={self.work}/pgblog"],
                             capture_output=True, text=True, check=True, cwd=self.work).stdout
        cpu1 = cpu_seconds(pg.pid)
        lat = []
        for lf in self.work.glob("pgblog.*"):
            for line in lf.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 3:
                    lat.append(int(parts[2]))
            lf.unlink()
        lat.sort()
        tps = float(next(l for l in out.splitlines() if l.startswith("tps")).split("=")[1].split()[0])
        failed = next((l for l in out.splitlines() if "failed" in l), "failed: 0").split(":")[1].split()[0]
        n = len(lat)
        run = {
            "workload": workload, "server": label, "connections": conns, "requests": n, "rps": tps,
            "p50_ms": lat[n // 2] / 1000 if n else None, "p99_ms": lat[min(n - 1, int(n * 0.99))] / 1000 if n else None,
            "errors": int(failed), "mb_per_s": None, "cpu_s_per_1000": (cpu1 - cpu0) / max(n, 1) * 1000,
        }
        self.results["runs"].append(run)
        log(f"{workload:<28} {label:<26} c={conns:<3} {tps:>9.1f}/s  p50 {run['p50_ms']:.2f} ms  p99 {run['p99_ms']:.2f} ms  errors {failed}")
        return run

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.results["checks"].append({"check": name, "ok": ok, "detail": detail})
        log(f"check {'ok  ' if ok else 'FAIL'} {name}: {detail}")
        if not ok and not self.args.keep_going:
            raise SystemExit(f"bench: check failed: {name}: {detail}")

    # ---- set-up

    def start_postgres(self) -> Postgres:
        pg = Postgres(self.work)
        self.stoppers.append(pg.stop)
        gd = ROOT / "geodata"
        pgconn = f"PG:host=127.0.0.1 port={pg.port} user=postgres dbname=bench"
        for layer, src in [("provinces", "provinces.fgb"), ("prefectures", "prefectures.fgb"), ("counties", "counties.fgb"), ("clusters", "clusters.geojson")]:
            subprocess.run(["ogr2ogr", "-f", "PostgreSQL", pgconn, str(gd / src), "-nln", layer, "-lco", "GEOMETRY_NAME=geom",
                            "-lco", "SPATIAL_INDEX=GIST", "-lco", "FID=fid", "-nlt", "PROMOTE_TO_MULTI" if layer != "clusters" else "POINT"],
                           check=True, capture_output=True)
        # The natural keys as primary keys, so tipg and martin report the ids cluster-atlas reports.
        pg.psql("ALTER TABLE counties DROP CONSTRAINT counties_pkey; ALTER TABLE counties ADD PRIMARY KEY (code);")
        pg.psql("ALTER TABLE clusters DROP CONSTRAINT clusters_pkey; ALTER TABLE clusters ADD PRIMARY KEY (id);")
        pg.psql("ALTER TABLE clusters ADD COLUMN geog geography(Point, 4326); UPDATE clusters SET geog = geom::geography;"
                "CREATE INDEX clusters_geog ON clusters USING gist (geog);")
        pg.psql("CREATE TABLE counties_sub AS SELECT code, ST_Subdivide(geom, 255) AS geom FROM counties;"
                "CREATE INDEX counties_sub_geom ON counties_sub USING gist (geom);")
        pg.psql("VACUUM ANALYZE")
        n = pg.psql("SELECT count(*) FROM counties").strip()
        log(f"postgres on :{pg.port}, counties {n} rows, started in {pg.cold_start_s:.2f} s")
        self.results["servers"]["postgis"] = {"cold_start_s": pg.cold_start_s, "version": pg.psql("SELECT postgis_full_version()").split()[1].strip('"')}
        return pg

    def start_cluster_atlas(self, name: str, cache_mb: int) -> Server:
        port = free_port()
        url = f"http://127.0.0.1:{port}"

        def ready():
            s, body, _ = http_get(f"{url}/reverse?lon={PROBE[0]}&lat={PROBE[1]}", timeout=2)
            return s == 200 and PROBE_COUNTY.encode() in body

        srv = Server(name, [str(self.args.binary), "serve", "--addr", f"127.0.0.1:{port}", "--data", str(ROOT / "geodata"), "--tile-cache-mb", str(cache_mb)],
                     url, ready, env=dict(os.environ, RUST_LOG="warn"), log_path=self.work / f"{name}.log")
        self.stoppers.append(srv.stop)
        return srv

    def start_martin(self, pg: Postgres, name: str, cache_mb: int) -> Server:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        z = 10
        import math
        x = int((PROBE[0] + 180) / 360 * 2**z)
        lat = math.radians(PROBE[1])
        y = int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * 2**z)

        def ready():
            s, body, _ = http_get(f"{url}/counties/{z}/{x}/{y}", timeout=5)
            return s == 200 and PROBE_COUNTY.encode() in body

        # Documented production settings: one worker per core (the default), the default pool
        # of 20 connections; only the tile cache is switched between runs.
        srv = Server(name, [str(self.args.martin), "--listen-addresses", f"127.0.0.1:{port}", "--cache-size", str(cache_mb), pg.dsn],
                     url, ready, env=dict(os.environ, RUST_LOG="warn"), log_path=self.work / f"{name}.log")
        srv.db_pid = pg.pid
        self.stoppers.append(srv.stop)
        return srv

    def start_tipg(self, pg: Postgres) -> Server:
        port = free_port()
        url = f"http://127.0.0.1:{port}"

        def ready():
            s, body, _ = http_get(f"{url}/collections/public.counties/items?bbox={PROBE[0]-0.001},{PROBE[1]-0.001},{PROBE[0]+0.001},{PROBE[1]+0.001}", timeout=5)
            return s == 200 and PROBE_COUNTY.encode() in body

        # tipg's documented deployment: uvicorn, one worker process per core, access log off.
        env = dict(os.environ, DATABASE_URL=pg.dsn, TIPG_DB_SCHEMAS='["public"]', TIPG_MAX_FEATURES_PER_QUERY="10000",
                   TIPG_CATALOG_TTL="3600")
        srv = Server("tipg", [str(self.args.tipg_venv / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
                              "--workers", "2", "--no-access-log", "--log-level", "warning"],
                     url, ready, env=env, log_path=self.work / "tipg.log")
        srv.db_pid = pg.pid
        self.stoppers.append(srv.stop)
        return srv

    def start_nginx(self, root: Path) -> Server:
        port = free_port()
        conf = self.work / "nginx.conf"
        # nginx's usual static-file settings: worker per core, sendfile, keep-alive.
        conf.write_text(f"""
worker_processes 2;
daemon off;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on; tcp_nopush on; keepalive_requests 100000;
  types {{ application/vnd.mapbox-vector-tile mvt; }}
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ try_files $uri =204; }}
  }}
}}
""")
        url = f"http://127.0.0.1:{port}"
        srv = Server("nginx (static files)", ["nginx", "-c", str(conf), "-p", str(self.work)], url,
                     lambda: http_get(url + "/", timeout=2)[0] in (200, 204, 403, 404), log_path=self.work / "nginx.log")
        self.stoppers.append(srv.stop)
        return srv

    # ---- workloads

    def run_tiles(self, pg: Postgres, ca_cold: Server, ca_warm: Server) -> None:
        tiles = tile_list(self.args.tiles, 42, 3, 12)
        root = self.work / "tiles"
        martin_cold = self.start_martin(pg, "martin (cache off)", 0)
        martin_warm = self.start_martin(pg, "martin (cache 512 MB)", 512)
        sizes = {}
        for layer in ("counties", "clusters"):
            ca_paths = [f"/tiles/{layer}/{z}/{x}/{y}.mvt" for z, x, y in tiles]
            # nginx serves the bytes cluster-atlas encodes (export-tiles writes the same
            # bytes into a PMTiles archive; nginx needs one file per tile).
            agree, compared, differ = 0, 0, []
            for (z, x, y), p in zip(tiles, ca_paths):
                s, body, _ = http_get(ca_cold.url + p)
                if s not in (200, 204):
                    self.check(f"tiles {layer} cluster-atlas", False, f"{p} → {s}")
                f = root / layer / str(z) / str(x) / f"{y}.mvt"
                if s == 200:
                    f.parent.mkdir(parents=True, exist_ok=True)
                    f.write_bytes(body)
                if compared < self.args.check_sample:
                    ms, mbody, mh = http_get(f"{martin_cold.url}/{layer}/{z}/{x}/{y}", headers={"Accept-Encoding": "identity"})
                    if mh.get("Content-Encoding") == "gzip":
                        mbody = gzip.decompress(mbody)
                    ours = mvt_ids(body, "code" if layer == "counties" else "id") if s == 200 else set()
                    theirs = mvt_ids(mbody, "code" if layer == "counties" else "id") if ms == 200 else set()
                    compared += 1
                    # cluster-atlas clusters points below z8: compare only where it does not.
                    same_ids = ours == theirs or (layer == "clusters" and z < 8)
                    agree += same_ids
                    if not same_ids and len(differ) < 5:
                        differ.append(f"{z}/{x}/{y}: only here {sorted(ours - theirs)[:3]}, only martin {sorted(theirs - ours)[:3]}")
                    if (z, x, y) == (3, 6, 3) or ((z, x, y) not in sizes and z == 3):
                        sizes[f"{layer} z{z}/{x}/{y}"] = {"cluster-atlas": len(body), "martin": len(mbody)}
            # A unit that only touches the tile's buffer (a sliver that rounds to nothing after
            # simplification) may be kept by one side and dropped by the other.
            self.check(f"tiles {layer}: same feature ids as martin", agree >= compared * 0.9,
                       f"{agree} of {compared} sampled tiles hold the same {layer} ids" + (f"; differing: {'; '.join(differ)}" if differ else ""))
            for z, x, y in [(3, 6, 3)]:
                s, body, _ = http_get(f"{ca_cold.url}/tiles/{layer}/{z}/{x}/{y}.mvt")
                ms, mbody, _ = http_get(f"{martin_cold.url}/{layer}/{z}/{x}/{y}")
                sizes[f"{layer} z{z}/{x}/{y}"] = {"cluster-atlas": len(body), "martin": len(mbody)}
        self.results["tile_sizes"] = sizes
        ng = self.start_nginx(root)
        for layer in ("counties", "clusters"):
            ca_paths = [f"/tiles/{layer}/{z}/{x}/{y}.mvt" for z, x, y in tiles]
            m_paths = [f"/{layer}/{z}/{x}/{y}" for z, x, y in tiles]
            n_paths = [f"/{layer}/{z}/{x}/{y}.mvt" for z, x, y in tiles]
            wl = f"MVT {layer}"
            for c in self.args.connections:
                self.wrk(wl, ca_cold, ca_cold.url, ca_paths, c)
                self.wrk(wl, martin_cold, martin_cold.url, m_paths, c)
                self.wrk(wl, ca_warm, ca_warm.url, ca_paths, c, prefill=True)
                self.wrk(wl, martin_warm, martin_warm.url, m_paths, c, prefill=True)
                self.wrk(wl, ng, ng.url, n_paths, c)
        for s in (martin_cold, martin_warm, ng):
            self.results["servers"][s.name] = {"cold_start_s": s.cold_start_s, "mib_after_load": s.rss_after_load, "mib_after_workload": memory_mib(s.pid)}
            s.stop()
        self.results["servers"]["postgis (after tiles)"] = {"mib": memory_mib(pg.pid)}

    def run_features(self, pg: Postgres, ca: Server) -> None:
        tipg = self.start_tipg(pg)
        bxs = boxes(1000, 7, 1.0)
        ca_paths = [f"/collections/counties/items?bbox={w},{s},{e},{n}&limit=100" for w, s, e, n in bxs]
        t_paths = [f"/collections/public.counties/items?bbox={w},{s},{e},{n}&limit=100" for w, s, e, n in bxs]
        industries = sorted({i for f in json.loads((ROOT / "geodata/clusters.geojson").read_text())["features"] for i in [f["properties"].get("industry")] if i})
        rng = random.Random(3)
        filt = [urllib.parse.quote(f"industry='{rng.choice(industries)}'") for _ in range(200)]
        ca_f = [f"/collections/clusters/items?filter={q}&limit=100" for q in filt]
        t_f = [f"/collections/public.clusters/items?filter={q}&filter-lang=cql2-text&limit=100" for q in filt]
        gj = "application/geo+json"
        for name, ours, theirs in (("items?bbox counties", ca_paths, t_paths), ("items CQL2 clusters", ca_f, t_f)):
            same = 0
            sample = list(zip(ours, theirs))[: self.args.check_sample]
            for a, b in sample:
                sa, ba, _ = http_get(ca.url + a, headers={"Accept": gj})
                sb, bb, _ = http_get(tipg.url + b, headers={"Accept": gj})
                ja, jb = json.loads(ba), json.loads(bb)
                ida = {str(f["id"]) for f in ja["features"]}
                idb = {str(f["id"]) for f in jb["features"]}
                # Both page in their own order: compare the whole match when it fits one page.
                ok = sa == sb == 200 and ja.get("numberMatched") == jb.get("numberMatched") and (ida == idb or len(ida) == 100)
                same += ok
                if not ok and same + 3 > len(sample):
                    log(f"  differs: {a}: {ja.get('numberMatched')} vs {jb.get('numberMatched')} {sorted(ida ^ idb)[:5]}")
            self.check(f"{name}: same numberMatched and ids as tipg", same == len(sample), f"{same} of {len(sample)} requests agree")
            for c in self.args.connections:
                self.wrk(name, ca, ca.url, ours, c, accept=gj)
                self.wrk(name, tipg, tipg.url, theirs, c, accept=gj)
        s, body, _ = http_get(ca.url + ca_paths[0], headers={"Accept": gj})
        s2, body2, _ = http_get(tipg.url + t_paths[0], headers={"Accept": gj})
        self.results["items_bytes_first_box"] = {"cluster-atlas": len(body), "tipg": len(body2)}
        self.results["servers"]["tipg"] = {"cold_start_s": tipg.cold_start_s, "mib_after_load": tipg.rss_after_load, "mib_after_workload": memory_mib(tipg.pid)}
        tipg.stop()

    def run_nearest(self, pg: Postgres, ca: Server) -> None:
        pts = points(10000, 11)
        ca_paths = [f"/nearest?lon={lon}&lat={lat}&k=10" for lon, lat in pts]
        same = 0
        sample = pts[: self.args.check_sample]
        for lon, lat in sample:
            s, body, _ = http_get(f"{ca.url}/nearest?lon={lon}&lat={lat}&k=10", headers={"Accept": "application/geo+json"})
            ours = [float(f["properties"]["distance_m"]) for f in json.loads(body)["features"]]
            theirs = [float(d) for d in pg.psql(
                f"SELECT ST_Distance(geog, ST_SetSRID(ST_MakePoint({lon},{lat}),4326)::geography, false) FROM clusters "
                f"ORDER BY geog <-> ST_SetSRID(ST_MakePoint({lon},{lat}),4326)::geography LIMIT 10").split()]
            # Many features share a point (placed at a county seat), so ids tie and either side
            # may name a different one of equals: the ten distances are compared (both on the
            # sphere; radii differ by < 0.01 %).
            same += len(ours) == len(theirs) == 10 and all(abs(a - b) <= 1 + 2e-4 * b for a, b in zip(ours, theirs))
        self.check("nearest k=10: same ten distances as PostGIS KNN", same == len(sample), f"{same} of {len(sample)} points give the same ten distances (sphere, ±0.02 %)")
        # pgbench cannot read our list: it draws the same uniform distribution with its own seed.
        script = (f"\\set lon {CHINA[0]} + random(0, {int((CHINA[2]-CHINA[0])*1e5)}) / 100000.0\n"
                  f"\\set lat {CHINA[1]} + random(0, {int((CHINA[3]-CHINA[1])*1e5)}) / 100000.0\n"
                  "SELECT id, ST_Distance(geog, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) FROM clusters "
                  "ORDER BY geog <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography LIMIT 10;\n")
        for c in self.args.connections:
            self.wrk("nearest k=10", ca, ca.url, ca_paths, c, accept="application/geo+json")
            self.pgbench("nearest k=10", pg, script, c, "PostGIS KNN (pgbench)")

    def run_batch(self, pg: Postgres) -> None:
        """1M points: county assignment in-process vs PostGIS joins; CSV reverse and import at 10k/100k/1M."""
        b = self.results["batch"]
        rng = random.Random(5)
        csvs = {}
        for n in (10_000, 100_000, 1_000_000):
            f = self.work / f"points-{n}.csv"
            with open(f, "w") as out:
                out.write("id,name_zh,lon,lat\n")
                for i in range(n):
                    out.write(f"p{i},点{i},{rng.uniform(CHINA[0], CHINA[2]):.6f},{rng.uniform(CHINA[1], CHINA[3]):.6f}\n")
            os.chmod(f, 0o644)
            csvs[n] = f
        for n, f in csvs.items():
            t0 = time.monotonic()
            subprocess.run([str(self.args.binary), "reverse", "--data", str(ROOT / "geodata"), "--csv", str(f), "--out", str(self.work / "rev.csv")], check=True, capture_output=True)
            rev = time.monotonic() - t0
            data = self.work / f"import-{n}"
            shutil.copytree(ROOT / "geodata", data)
            t0 = time.monotonic()
            r = subprocess.run([str(self.args.binary), "import", str(f), "--layer", "firms", "--skip-invalid", "--data", str(data)], capture_output=True, text=True)
            imp = time.monotonic() - t0
            if r.returncode != 0:
                self.check(f"import {n} rows", False, r.stderr[-500:])
            shutil.rmtree(data)
            b[f"reverse_csv_{n}"] = rev
            b[f"import_{n}"] = imp
            log(f"{n:>9} rows: reverse --csv {rev:.2f} s, import {imp:.2f} s")
        # The 1M points into PostGIS; the join results are compared with cluster-atlas's answers.
        pg.psql("CREATE TABLE pts (id text, name_zh text, lon float8, lat float8)")
        subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "bench", "-c",
                        f"\\copy pts FROM '{csvs[1_000_000]}' CSV HEADER"], check=True, capture_output=True)
        pg.psql("ALTER TABLE pts ADD COLUMN geom geometry(Point, 4326); UPDATE pts SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
        pg.psql("CREATE INDEX pts_geom ON pts USING gist (geom)")  # the expert form indexes both sides
        pg.psql("VACUUM ANALYZE pts")
        q_raw = "SELECT c.code, count(*) FROM pts p JOIN counties c ON ST_Contains(c.geom, p.geom) GROUP BY c.code"
        q_sub = "SELECT c.code, count(*) FROM pts p JOIN counties_sub c ON ST_Contains(c.geom, p.geom) GROUP BY c.code"
        for key, q in (("postgis_contains_raw", q_raw), ("postgis_contains_subdivided", q_sub)):
            times = pg.timed(q, 2 if "raw" in key else 3)
            b[key] = min(times)
            log(f"1M points, {key}: {', '.join(f'{t:.2f}' for t in times)} s")
        # Same counts on both sides: PostGIS per county vs cluster-atlas reverse --csv per row.
        theirs = dict(l.split("|") for l in pg.psql(q_sub).split())
        ours: dict[str, int] = {}
        subprocess.run([str(self.args.binary), "reverse", "--data", str(ROOT / "geodata"), "--csv", str(csvs[1_000_000]), "--out", str(self.work / "rev.csv")], check=True, capture_output=True)
        import csv as csvmod
        with open(self.work / "rev.csv", newline="", encoding="utf-8-sig") as fh:
            rd = csvmod.DictReader(fh)
            col = next(c for c in rd.fieldnames if c in ("county_code",))
            for row in rd:
                if row[col]:
                    ours[row[col]] = ours.get(row[col], 0) + 1
        diff = sum(abs(ours.get(k, 0) - int(theirs.get(k, 0))) for k in set(ours) | set(theirs))
        self.check("1M points: county counts equal PostGIS ST_Contains", diff <= 10,
                   f"{sum(ours.values())} points in counties here, {sum(int(v) for v in theirs.values())} in PostGIS, {diff} assigned differently (points on shared borders)")
        # In-process assignment + count: the criterion bench `density` (one thread and the batch).
        crit = subprocess.run(["cargo", "bench", "--locked", "--bench", "density", "--", "--warm-up-time", "1", "--measurement-time", "5", "--sample-size", "10"],
                              cwd=ROOT, capture_output=True, text=True)
        crit_dir = ROOT / os.environ.get("CARGO_TARGET_DIR", "target") / "criterion"
        for d in sorted(crit_dir.glob("density_1m/*/new/estimates.json")):
            est = json.loads(d.read_text())
            b[f"criterion: {d.parent.parent.name}"] = est["median"]["point_estimate"] / 1e9
        if crit.returncode != 0:
            log(crit.stderr[-2000:])

    def machine(self) -> dict:
        cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")
        ver = lambda argv: subprocess.run(argv, capture_output=True, text=True).stdout.strip().splitlines()[0] if shutil.which(argv[0]) or Path(argv[0]).exists() else "?"
        return {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "cpu": cpu, "cores": os.cpu_count(),
            "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1), "kernel": platform.release(),
            "cluster-atlas": subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip(),
            "martin": ver([str(self.args.martin), "--version"]), "tipg": "1.6.1 (uvicorn, 2 workers)",
            "postgres": ver(["psql", "--version"]), "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip(),
            "wrk": "wrk (Debian) 2 threads", "duration_s": self.args.duration, "warmup_s": self.args.warmup,
        }

    def main(self) -> None:
        try:
            self.results["machine"] = self.machine()
            pg = self.start_postgres()
            ca_cold = self.start_cluster_atlas("cluster-atlas (cache off)", 0)
            ca_warm = self.start_cluster_atlas("cluster-atlas (cache 256 MB)", 256)
            if "tiles" in self.args.only:
                self.run_tiles(pg, ca_cold, ca_warm)
            if "features" in self.args.only:
                self.run_features(pg, ca_warm)
            if "nearest" in self.args.only:
                self.run_nearest(pg, ca_warm)
            for s in (ca_cold, ca_warm):
                self.results["servers"][s.name] = {"cold_start_s": s.cold_start_s, "mib_after_load": s.rss_after_load, "mib_after_workload": memory_mib(s.pid)}
            self.results["servers"]["postgis"]["mib_after_workload"] = memory_mib(pg.pid)
            if "batch" in self.args.only:
                self.run_batch(pg)
        finally:
            for stop in reversed(self.stoppers):
                stop()
            if not self.args.keep_work:
                shutil.rmtree(self.work, ignore_errors=True)
        self.write()

    def write(self) -> None:
        from report import markdown  # bench/report.py

        out = Path(self.args.out)
        out.mkdir(parents=True, exist_ok=True)
        day = dt.date.today().isoformat()
        (out / f"{day}.json").write_text(json.dumps(self.results, indent=1, ensure_ascii=False) + "\n")
        (out / f"{day}.md").write_text(markdown(self.results))
        log(f"wrote {out / day}.md and .json")


def mvt_ids(data: bytes, key: str) -> set[str]:
    """The values of property `key` of every feature of every layer of an MVT, as a set."""
    return set(mvt_values(data, key))


def mvt_values(data: bytes, key: str) -> list[str]:
    """The values of property `key` of every feature of every layer of an MVT (protobuf by hand:
    the standard library has no protobuf reader, and this is all the checks need)."""

    def fields(buf: bytes):
        i = 0
        while i < len(buf):
            tag, i = varint(buf, i)
            wt = tag & 7
            if wt == 0:
                v, i = varint(buf, i)
            elif wt == 2:
                ln, i = varint(buf, i)
                v, i = buf[i : i + ln], i + ln
            elif wt == 1:
                v, i = buf[i : i + 8], i + 8
            elif wt == 5:
                v, i = buf[i : i + 4], i + 4
            else:
                raise ValueError("bad wire type")
            yield tag >> 3, v

    def varint(buf: bytes, i: int):
        shift = result = 0
        while True:
            b = buf[i]
            i += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result, i
            shift += 7

    out = []
    for num, layer in fields(data):
        if num != 3:
            continue
        keys, values, feats = [], [], []
        for n, v in fields(layer):
            if n == 3:
                keys.append(v.decode())
            elif n == 4:
                values.append(next((vv.decode() if nn == 1 else str(vv) for nn, vv in fields(v)), None))
            elif n == 2:
                feats.append(v)
        if key not in keys:
            continue
        k = keys.index(key)
        for f in feats:
            for n, v in fields(f):
                if n == 2:
                    tags = []
                    j = 0
                    while j < len(v):
                        t, j = varint(v, j)
                        tags.append(t)
                    for a, bidx in zip(tags[::2], tags[1::2]):
                        if a == k:
                            out.append(values[bidx])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", type=Path, required=True)
    ap.add_argument("--martin", type=Path, required=True)
    ap.add_argument("--tipg-venv", type=Path, required=True)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")], default=[1, 16, 64])
    ap.add_argument("--tiles", type=int, default=2000)
    ap.add_argument("--check-sample", type=int, default=100)
    ap.add_argument("--only", type=lambda s: s.split(","), default=["tiles", "features", "nearest", "batch"])
    ap.add_argument("--keep-going", action="store_true", help="record failed checks instead of stopping")
    ap.add_argument("--keep-work", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    Bench(args).main()


if __name__ == "__main__":
    main()
