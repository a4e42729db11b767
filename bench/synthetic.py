"""Seeded synthetic firm points inside mainland China, streamed to a CSV file.

`write_points_csv(path, n, seed)` writes the header `id,name_zh,lon,lat,industry,kind,firms,approved`
and `n` rows: 90 % of the points gather around ~200 centres (a few big agglomerations, many
small ones; Gaussian spread of 3-60 km), 10 % are uniform noise. Every point lies inside a
coarse outline of mainland China (a 0.1° grid classified once against a ~90-vertex polygon,
so Hainan, Taiwan and the islands are left out and a few coastal points fall in the sea:
those get no county, as in real data). The same (n, seed) gives the same bytes; a prefix of
the N-point file is not the (N/10)-point file, but both have the same distribution.

Standard library only. ~20M rows in a few minutes on one core; memory stays flat (rows are
written in blocks of 50,000).
"""

from __future__ import annotations

import math
import random
from pathlib import Path

# Mainland China's outline, coarse (lon, lat), clockwise from the northern tip at Mohe.
OUTLINE = [
    (121.3, 53.5), (123.6, 53.5), (125.7, 52.9), (126.9, 51.4), (127.6, 49.8), (130.6, 48.9), (131.1, 47.7),
    (132.6, 47.8), (134.7, 48.3), (133.9, 46.5), (133.1, 45.1), (131.8, 45.2), (131.0, 44.8), (131.3, 43.2),
    (130.6, 42.4), (129.6, 42.4), (128.9, 42.0), (128.0, 41.6), (126.6, 41.6), (125.3, 40.6), (124.3, 39.9),
    (122.9, 39.6), (121.3, 38.8), (121.9, 40.0), (122.2, 40.7), (121.0, 40.9), (119.9, 40.0), (119.0, 39.2),
    (117.8, 38.9), (118.2, 38.2), (118.9, 37.6), (119.4, 37.1), (120.7, 37.8), (122.5, 37.4), (122.4, 36.9),
    (120.7, 36.3), (119.4, 35.0), (120.2, 34.3), (120.9, 32.6), (121.9, 31.7), (121.9, 30.9), (121.9, 29.9),
    (121.6, 28.8), (120.7, 27.7), (120.1, 26.6), (119.6, 25.6), (118.7, 24.6), (117.6, 23.9), (116.6, 23.2),
    (115.3, 22.7), (114.2, 22.4), (113.3, 22.1), (112.0, 21.7), (110.6, 21.2), (110.3, 20.4), (109.8, 20.7),
    (109.7, 21.5), (108.6, 21.6), (108.0, 21.6), (106.7, 22.0), (106.7, 22.9), (105.6, 23.3), (104.5, 22.8),
    (103.9, 22.6), (103.0, 22.5), (102.1, 22.4), (101.6, 21.2), (100.9, 21.5), (100.1, 21.7), (99.3, 22.1),
    (99.5, 22.9), (98.7, 23.9), (97.7, 24.0), (97.6, 24.8), (98.3, 25.6), (98.6, 27.6), (97.6, 28.3),
    (96.2, 29.2), (95.4, 29.0), (94.6, 29.3), (93.2, 28.7), (92.1, 27.8), (90.5, 28.1), (89.2, 27.6),
    (88.8, 27.3), (88.1, 27.9), (86.9, 28.0), (85.1, 28.6), (84.2, 28.8), (82.9, 29.7), (81.5, 30.4),
    (80.2, 30.8), (79.3, 31.9), (78.8, 33.0), (78.9, 34.4), (78.0, 35.5), (76.9, 35.7), (75.6, 36.8),
    (74.6, 37.2), (74.9, 38.5), (73.6, 39.5), (74.0, 40.3), (75.7, 40.4), (76.9, 41.1), (78.4, 41.5),
    (80.2, 42.2), (80.4, 43.1), (80.8, 43.2), (80.0, 44.9), (81.9, 45.3), (82.6, 45.5), (83.0, 47.2),
    (85.5, 47.1), (85.8, 48.4), (87.3, 49.1), (88.0, 48.6), (90.0, 47.9), (91.0, 46.6), (90.9, 45.4),
    (93.5, 44.9), (95.4, 44.3), (96.4, 42.7), (100.8, 42.7), (105.0, 41.6), (107.0, 42.3), (110.4, 42.7),
    (112.0, 43.7), (113.8, 44.6), (116.6, 46.4), (119.7, 46.7), (118.3, 48.0), (117.4, 47.7), (115.6, 47.9),
    (117.4, 49.6), (119.2, 50.0), (120.2, 51.5), (121.3, 52.2),
]

GRID = 0.1
WEST, SOUTH, EAST, NORTH = 73.0, 18.0, 135.5, 54.0
COLS, ROWS = round((EAST - WEST) / GRID), round((NORTH - SOUTH) / GRID)

INDUSTRIES = [
    "equipment-manufacturing", "electronics", "machinery", "agro-processing", "food", "biomedicine",
    "automotive", "chemicals", "textiles", "new-materials", "nonferrous-metals", "building-materials",
    "petrochemicals", "energy", "logistics", "foundry",
]
KINDS = ["park", "park", "park", "cluster", "town"]


def _inside_outline(lon: float, lat: float) -> bool:
    inside = False
    n = len(OUTLINE)
    for i in range(n):
        x1, y1 = OUTLINE[i]
        x2, y2 = OUTLINE[(i + 1) % n]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


_MASK: bytearray | None = None


def mask() -> bytearray:
    """One byte per 0.1° cell of the bounding box: 1 when the cell's centre is inside the outline."""
    global _MASK
    if _MASK is None:
        m = bytearray(COLS * ROWS)
        for r in range(ROWS):
            lat = SOUTH + (r + 0.5) * GRID
            for c in range(COLS):
                if _inside_outline(WEST + (c + 0.5) * GRID, lat):
                    m[r * COLS + c] = 1
        _MASK = m
    return _MASK


def inside(lon: float, lat: float) -> bool:
    c, r = int((lon - WEST) / GRID), int((lat - SOUTH) / GRID)
    return 0 <= c < COLS and 0 <= r < ROWS and _MASK[r * COLS + c] == 1  # type: ignore[index]


class Generator:
    """The point distribution (centres drawn from `seed`); `point()` draws one (lon, lat)."""

    def __init__(self, seed: int, centres: int = 200, noise: float = 0.10):
        mask()
        self.rng = rng = random.Random(seed)
        self.noise = noise
        self.centres = []
        while len(self.centres) < centres:
            lon, lat = rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)
            # Industry sits in the east: a centre west of 100°E is kept one time in four.
            if inside(lon, lat) and (lon > 100 or rng.random() < 0.25):
                sigma_km = math.exp(rng.uniform(math.log(3), math.log(60)))
                self.centres.append((lon, lat, sigma_km / 111.32 / math.cos(math.radians(lat)), sigma_km / 111.32,
                                     rng.choice(INDUSTRIES)))
        # Pareto-like weights: a few big agglomerations, a long tail of small ones.
        weights = [rng.paretovariate(1.2) for _ in self.centres]
        total = sum(weights)
        acc, self.cum = 0.0, []
        for w in weights:
            acc += w / total
            self.cum.append(acc)

    def point(self) -> tuple[float, float, int]:
        """(lon, lat, centre index or -1 for noise)."""
        rng = self.rng
        if rng.random() < self.noise:
            while True:
                lon, lat = rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)
                if inside(lon, lat):
                    return lon, lat, -1
        import bisect

        i = min(bisect.bisect_left(self.cum, rng.random()), len(self.centres) - 1)
        clon, clat, sx, sy, _ = self.centres[i]
        while True:
            lon, lat = rng.gauss(clon, sx), rng.gauss(clat, sy)
            if inside(lon, lat):
                return lon, lat, i


def write_points_csv(path: Path, n: int, seed: int = 1, block: int = 50_000) -> None:
    """Streams `n` rows to `path` (see the module doc)."""
    g = Generator(seed)
    rng = g.rng
    centres, cum, noise = g.centres, g.cum, g.noise
    uniform, gauss, rand, bisect = rng.uniform, rng.gauss, rng.random, __import__("bisect").bisect_left
    m = mask()
    ncent = len(centres)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("id,name_zh,lon,lat,industry,kind,firms,approved\n")
        i = 0
        while i < n:
            rows = []
            for j in range(i, min(n, i + block)):
                # point() inlined: this loop runs 20M times.
                if rand() < noise:
                    while True:
                        lon, lat = uniform(WEST, EAST), uniform(SOUTH, NORTH)
                        if m[int((lat - SOUTH) * 10) * COLS + int((lon - WEST) * 10)]:
                            break
                    industry = INDUSTRIES[j % 16]
                else:
                    clon, clat, sx, sy, industry = centres[min(bisect(cum, rand()), ncent - 1)]
                    while True:
                        lon, lat = gauss(clon, sx), gauss(clat, sy)
                        c, r = int((lon - WEST) * 10), int((lat - SOUTH) * 10)
                        if 0 <= c < COLS and 0 <= r < ROWS and m[r * COLS + c]:
                            break
                    if j % 4 == 0:  # a quarter of a centre's firms are in other trades
                        industry = INDUSTRIES[(j >> 2) % 16]
                rows.append(f"f{j},企业{j},{lon:.6f},{lat:.6f},{industry},{KINDS[j % 5]},{1 + (j * 7919) % 500},{1990 + (j % 35)}-{1 + (j % 12):02d}\n")
            out.write("".join(rows))
            i += block


def sample_points(n: int, seed: int) -> list[tuple[float, float]]:
    """`n` query points from the data's distribution (a different seed than the data's rows,
    the same centres when `seed` is the data seed)."""
    g = Generator(seed)
    g.rng = random.Random(seed * 1_000_003 + 17)
    return [g.point()[:2] for _ in range(n)]


if __name__ == "__main__":
    import sys
    import time

    t0 = time.monotonic()
    write_points_csv(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    print(f"{sys.argv[2]} rows in {time.monotonic() - t0:.1f} s", file=sys.stderr)
