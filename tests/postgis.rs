//! PostGIS-backed point layers (`import --postgres`, `serve --postgres`) against the same CSV
//! imported in memory: a private PostgreSQL 15 + PostGIS 3 cluster per test
//! (tests/common/postgres.rs), the real binary, a seeded synthetic CSV of 100,000 points and a
//! seeded list of requests sent to both servers, whose answers must be identical.
//!
//! PostgreSQL 15 and PostGIS 3 must be installed (`scripts/setup --test`); the tests fail,
//! never skip, when they are not.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use cluster_atlas::tiles::TileCoord;
use common::postgres::Postgres;
use common::server::{Server, data_folder, import, start_with};
use geozero::mvt::{Message, Tile};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// The synthetic CSV

/// Rows of the differential CSV.
const N_ROWS: usize = 100_000;
/// Seed of the CSV generator (the requests use [`REQUEST_SEED`]).
const CSV_SEED: u64 = 0x00C1_A57E_2026;
const REQUEST_SEED: u64 = 0x0BAD_5EED_0512;
/// The layer name used on both sides.
const LAYER: &str = "firms";
/// 泊头市 (county 130981), the first row of every generated CSV.
const BOTOU: (f64, f64) = (116.578, 38.076);
/// The name of the second row: a quote and SQL in a value.
const QUOTED_NAME: &str = "铸'造; DROP";

/// Industry tags and their Chinese words (used in names).
const INDUSTRIES: [(&str, &str); 10] = [
    ("foundry", "铸造"),
    ("ceramics", "陶瓷"),
    ("machinery", "机械"),
    ("textiles", "纺织"),
    ("chemicals", "化工"),
    ("furniture", "家具"),
    ("electronics", "电子"),
    ("glass", "玻璃"),
    ("paper", "造纸"),
    ("leather", "皮革"),
];
const PLACES: [&str; 16] = [
    "泊头",
    "德化",
    "佛山",
    "义乌",
    "永康",
    "铸信",
    "铸诚",
    "晋江",
    "南通",
    "东莞",
    "淄博",
    "景德镇",
    "温州",
    "临沂",
    "保定",
    "沧州",
];
const SUFFIXES: [&str; 5] = ["有限公司", "厂", "集团", "股份有限公司", "工坊"];

/// One generated row, with the coordinates as the importer will parse them.
#[derive(Clone, Debug)]
struct Row {
    id: String,
    name_zh: String,
    lon: f64,
    lat: f64,
    lon_text: String,
    lat_text: String,
    industry: &'static str,
    kind: &'static str,
    firms: u32,
    approved: Option<String>,
    score_cents: u32,
    flag: bool,
}

/// A standard normal deviate (Box–Muller).
fn gauss(rng: &mut fastrand::Rng) -> f64 {
    let u1 = 1.0 - rng.f64();
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn uniform(rng: &mut fastrand::Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.f64()
}

/// `n` rows: ~40 city centres over eastern and central China, each with a dominant industry
/// and a gaussian spread, 10% uniform noise over 100..122 E, 22..42 N. Row 1 is at 泊头
/// ([`BOTOU`]), row 2 is named [`QUOTED_NAME`].
fn generate(n: usize, seed: u64) -> Vec<Row> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let centres: Vec<(f64, f64, f64, usize)> = (0..40)
        .map(|_| {
            (
                uniform(&mut rng, 103.0, 119.5),
                uniform(&mut rng, 24.0, 40.5),
                uniform(&mut rng, 0.05, 0.6),
                rng.usize(..INDUSTRIES.len()),
            )
        })
        .collect();
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let (lon, lat, dominant) = if i == 0 {
            (BOTOU.0, BOTOU.1, 0)
        } else if rng.u8(..10) == 0 {
            (
                uniform(&mut rng, 100.0, 122.0),
                uniform(&mut rng, 22.0, 42.0),
                rng.usize(..INDUSTRIES.len()),
            )
        } else {
            let (cx, cy, sigma, dominant) = centres[rng.usize(..centres.len())];
            (
                (cx + sigma * gauss(&mut rng)).clamp(73.0, 135.0),
                (cy + sigma * gauss(&mut rng)).clamp(18.0, 53.0),
                dominant,
            )
        };
        let industry = if i == 0 || rng.u8(..10) < 6 {
            INDUSTRIES[dominant]
        } else {
            INDUSTRIES[rng.usize(..INDUSTRIES.len())]
        };
        let name_zh = match i {
            0 => "泊头铸造厂".to_owned(),
            1 => QUOTED_NAME.to_owned(),
            _ => format!(
                "{}{}{}",
                PLACES[rng.usize(..PLACES.len())],
                industry.1,
                SUFFIXES[rng.usize(..SUFFIXES.len())]
            ),
        };
        let (lon_text, lat_text) = if i == 0 {
            (BOTOU.0.to_string(), BOTOU.1.to_string())
        } else {
            (format!("{lon:.6}"), format!("{lat:.6}"))
        };
        rows.push(Row {
            id: format!("f{:06}", i + 1),
            name_zh,
            lon: lon_text.parse().unwrap(),
            lat: lat_text.parse().unwrap(),
            lon_text,
            lat_text,
            industry: industry.0,
            kind: if rng.u8(..4) == 0 { "plant" } else { "firm" },
            firms: if rng.bool() { rng.u32(1..=20) } else { rng.u32(1..=500) },
            approved: (rng.u8(..100) >= 15).then(|| format!("{}-{:02}", rng.u32(1990..=2024), rng.u32(1..=12))),
            score_cents: rng.u32(0..=500),
            flag: rng.bool(),
        });
    }
    rows
}

/// Writes `rows` as an import CSV (header `id,name_zh,lon,lat,industry,kind,firms,approved,score,flag`).
fn write_csv(path: &Path, rows: &[Row]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record([
        "id", "name_zh", "lon", "lat", "industry", "kind", "firms", "approved", "score", "flag",
    ])
    .unwrap();
    for r in rows {
        let score = format!("{}.{:02}", r.score_cents / 100, r.score_cents % 100);
        w.write_record([
            r.id.as_str(),
            &r.name_zh,
            &r.lon_text,
            &r.lat_text,
            r.industry,
            r.kind,
            &r.firms.to_string(),
            r.approved.as_deref().unwrap_or(""),
            &score,
            if r.flag { "true" } else { "false" },
        ])
        .unwrap();
    }
    w.flush().unwrap();
}

// ---------------------------------------------------------------------------------------
// The binary

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
    seconds: f64,
}

/// `cluster-atlas import FILE --layer LAYER --postgres URL`.
fn import_postgres(pg: &Postgres, csv: &Path, layer: &str) -> Run {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .arg("import")
        .arg(csv)
        .args(["--layer", layer, "--postgres", &pg.url])
        .output()
        .unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        seconds: t.elapsed().as_secs_f64(),
    }
}

/// Asserts an `import --postgres` succeeded, explaining the likely cause when it did not.
fn assert_imported(run: &Run, what: &str) {
    assert!(
        run.ok,
        "`cluster-atlas import --postgres` of {what} failed (does this build have the PostGIS \
         point layer, `import --postgres URL`?):\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
}

/// `serve --data DATA [--postgres URL]`, failing clearly when the server does not come up.
fn serve(data: &Path, postgres: Option<&Postgres>, log: &Path) -> Server {
    let mut args = vec![];
    if let Some(pg) = postgres {
        args.extend(["--postgres", pg.url.as_str()]);
    }
    let file = std::fs::File::create(log).unwrap();
    let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| start_with(data, &args, file)));
    started.unwrap_or_else(|_| {
        panic!(
            "`cluster-atlas serve --data {} {}` did not start (does this build have `serve --postgres`?); its log:\n{}",
            data.display(),
            args.join(" "),
            std::fs::read_to_string(log).unwrap_or_default()
        )
    })
}

// ---------------------------------------------------------------------------------------
// HTTP

#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
    seconds: f64,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        let t = String::from_utf8_lossy(&self.body);
        t.chars().take(600).collect()
    }
}

fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

fn fetch(agent: &ureq::Agent, base: &str, path: &str) -> Answer {
    let t = Instant::now();
    let mut r = agent
        .get(format!("{base}{path}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {base}{path}: {e}"));
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = r.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap();
    Answer {
        status,
        content_type,
        body,
        seconds: t.elapsed().as_secs_f64(),
    }
}

/// Every path fetched from `base`, in order, by two workers.
fn fetch_all(base: &str, paths: &[String]) -> Vec<Answer> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Answer>>> = paths.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let agent = client();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if i >= paths.len() {
                        break;
                    }
                    *slots[i].lock().unwrap() = Some(fetch(&agent, base, &paths[i]));
                }
            });
        }
    });
    slots.into_iter().map(|m| m.into_inner().unwrap().unwrap()).collect()
}

fn query(pairs: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

// ---------------------------------------------------------------------------------------
// The requests

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Nearest,
    Within,
    Items,
    Cql2,
    Density,
    Tile,
    Item,
    Meta,
}

struct Req {
    kind: Kind,
    path: String,
}

/// A point near a random row (or anywhere over China, one time in five).
fn somewhere(rng: &mut fastrand::Rng, rows: &[Row]) -> (f64, f64) {
    if rng.u8(..5) == 0 {
        (uniform(rng, 100.0, 122.0), uniform(rng, 22.0, 42.0))
    } else {
        let r = &rows[rng.usize(..rows.len())];
        (r.lon + 0.05 * gauss(rng), r.lat + 0.05 * gauss(rng))
    }
}

fn industry(rng: &mut fastrand::Rng) -> &'static str {
    INDUSTRIES[rng.usize(..INDUSTRIES.len())].0
}

fn bbox_around(rng: &mut fastrand::Rng, rows: &[Row], max_half: f64) -> [f64; 4] {
    let (x, y) = somewhere(rng, rows);
    let (hw, hh) = (uniform(rng, 0.02, max_half), uniform(rng, 0.02, max_half));
    [x - hw, y - hh, x + hw, y + hh]
}

fn bbox_text(b: [f64; 4]) -> String {
    format!("{:.4},{:.4},{:.4},{:.4}", b[0], b[1], b[2], b[3])
}

const DATETIMES: [&str; 6] = [
    "2015/..",
    "../2000",
    "2010-01/2012-12",
    "2018-05",
    "2016-03-01T00:00:00Z/..",
    "2001/2003",
];

/// A random CQL2 text filter on the generated properties.
fn cql2(rng: &mut fastrand::Rng, rows: &[Row]) -> String {
    let poly = |rng: &mut fastrand::Rng| {
        let [w, s, e, n] = bbox_around(rng, rows, 1.5);
        format!("POLYGON(({w:.4} {s:.4}, {e:.4} {s:.4}, {e:.4} {n:.4}, {w:.4} {n:.4}, {w:.4} {s:.4}))")
    };
    let zh = INDUSTRIES[rng.usize(..INDUSTRIES.len())].1;
    match rng.u8(..16) {
        0 => format!("firms > {} AND industry = '{}'", rng.u32(1..400), industry(rng)),
        1 => {
            let a = rng.u32(0..400);
            format!("score BETWEEN {}.{:02} AND {}", a / 100, a % 100, a / 100 + 1)
        }
        2 => "kind IN ('firm')".to_owned(),
        3 => format!(
            "kind IN ('firm', 'plant') AND industry IN ('{}', '{}')",
            industry(rng),
            industry(rng)
        ),
        4 => "name_zh LIKE '铸%'".to_owned(),
        5 => format!("name_zh LIKE '%{zh}%' AND firms <= {}", rng.u32(1..100)),
        6 => "approved IS NULL".to_owned(),
        7 => format!("approved IS NOT NULL AND firms < {}", rng.u32(2..30)),
        8 => "NOT (flag = true)".to_owned(),
        9 => "flag = 'true' AND kind = 'plant'".to_owned(),
        10 => format!("S_INTERSECTS(geometry, {})", poly(rng)),
        11 => format!("industry = '{}' OR industry = '{}'", industry(rng), industry(rng)),
        12 => format!(
            "(firms >= {} OR score < {}) AND S_INTERSECTS(geometry, {})",
            rng.u32(100..500),
            rng.u32(1..3),
            poly(rng)
        ),
        13 => format!(
            "id = '{}' OR id = '{}'",
            rows[rng.usize(..rows.len())].id,
            rows[rng.usize(..rows.len())].id
        ),
        14 => format!("NOT (industry = '{}') AND score > {}.5", industry(rng), rng.u32(0..5)),
        _ => format!("approved >= '{}-01' AND kind = 'firm'", rng.u32(2000..2024)),
    }
}

/// The seeded request list: 150 nearest, 100 within, 120 items, 60 CQL2, 30 density,
/// 60 tiles, 22 single items and the collection's metadata.
fn requests(rows: &[Row]) -> Vec<Req> {
    let mut rng = fastrand::Rng::with_seed(REQUEST_SEED);
    let mut out = vec![];
    let mut push = |kind, path: String| out.push(Req { kind, path });
    for _ in 0..150 {
        let (x, y) = somewhere(&mut rng, rows);
        let mut q = vec![
            ("lon", format!("{x:.5}")),
            ("lat", format!("{y:.5}")),
            ("k", rng.u32(1..=50).to_string()),
            ("layer", LAYER.to_owned()),
        ];
        if rng.u8(..4) == 0 {
            q.push(("industry", industry(&mut rng).to_owned()));
        }
        if rng.u8(..7) == 0 {
            q.push(("kind", "plant".to_owned()));
        }
        if rng.u8(..10) == 0 {
            q.push(("datetime", DATETIMES[rng.usize(..DATETIMES.len())].to_owned()));
        }
        push(Kind::Nearest, format!("/nearest?{}", query(&q)));
    }
    for _ in 0..100 {
        let (x, y) = somewhere(&mut rng, rows);
        let radius = (uniform(&mut rng, 1_000f64.ln(), 300_000f64.ln())).exp();
        let mut q = vec![
            ("lon", format!("{x:.5}")),
            ("lat", format!("{y:.5}")),
            ("radius_m", format!("{radius:.1}")),
            ("layer", LAYER.to_owned()),
        ];
        if radius > 20_000.0 || rng.u8(..5) != 0 {
            q.push(("limit", rng.u32(1..=300).to_string()));
        }
        if rng.u8(..3) == 0 {
            q.push(("industry", industry(&mut rng).to_owned()));
        }
        if rng.u8(..10) == 0 {
            q.push(("kind", "firm".to_owned()));
        }
        push(Kind::Within, format!("/within?{}", query(&q)));
    }
    for _ in 0..120 {
        let mut q = vec![];
        if rng.u8(..5) != 0 {
            q.push(("bbox", bbox_text(bbox_around(&mut rng, rows, 2.5))));
        }
        if rng.u8(..10) < 7 {
            q.push(("limit", rng.u32(1..=200).to_string()));
        }
        if rng.u8(..10) < 3 {
            q.push(("offset", rng.u32(0..=300).to_string()));
        }
        if rng.u8(..10) < 4 {
            q.push(("industry", industry(&mut rng).to_owned()));
        }
        if rng.u8(..7) == 0 {
            q.push(("kind", "firm".to_owned()));
        }
        if rng.u8(..10) == 0 {
            q.push(("flag", "true".to_owned()));
        }
        if rng.u8(..12) == 0 {
            q.push(("firms", rng.u32(1..=20).to_string()));
        }
        if rng.u8(..5) == 0 {
            q.push(("datetime", DATETIMES[rng.usize(..DATETIMES.len())].to_owned()));
        }
        if rng.u8(..4) == 0 {
            // Sorted pages: typed keys (numbers, text in byte order, booleans), missing
            // values last, ties in file order.
            const KEYS: [&str; 8] = [
                "-firms",
                "firms",
                "name_zh",
                "-name_zh",
                "-score",
                "flag,-firms",
                "industry,-score",
                "approved",
            ];
            let key = KEYS[rng.usize(..KEYS.len())];
            q.push(("sortby", key.to_owned()));
        }
        push(Kind::Items, format!("/collections/{LAYER}/items?{}", query(&q)));
    }
    for _ in 0..60 {
        let mut q = vec![("filter", cql2(&mut rng, rows)), ("limit", rng.u32(1..=100).to_string())];
        if rng.u8(..4) == 0 {
            q.push(("offset", rng.u32(0..=50).to_string()));
        }
        if rng.u8(..5) == 0 {
            q.push(("bbox", bbox_text(bbox_around(&mut rng, rows, 4.0))));
        }
        push(Kind::Cql2, format!("/collections/{LAYER}/items?{}", query(&q)));
    }
    for level in ["county", "prefecture", "province"] {
        for (ind, _) in INDUSTRIES {
            push(
                Kind::Density,
                format!("/density?level={level}&layer={LAYER}&industry={ind}&measure=count&geometry=false"),
            );
        }
    }
    for _ in 0..60 {
        let z = rng.u8(0..=12);
        let r = &rows[rng.usize(..rows.len())];
        let t = TileCoord::containing(z, r.lon, r.lat);
        let filter = if rng.u8(..7) == 0 {
            format!("?industry={}", industry(&mut rng))
        } else {
            String::new()
        };
        push(Kind::Tile, format!("/tiles/{LAYER}/{}/{}/{}.mvt{filter}", t.z, t.x, t.y));
    }
    for _ in 0..20 {
        push(
            Kind::Item,
            format!("/collections/{LAYER}/items/{}", rows[rng.usize(..rows.len())].id),
        );
    }
    push(Kind::Item, format!("/collections/{LAYER}/items/f999999"));
    push(Kind::Item, format!("/collections/{LAYER}/items/{}", rows[0].id));
    push(Kind::Meta, format!("/collections/{LAYER}"));
    push(Kind::Meta, format!("/collections/{LAYER}/queryables"));
    out
}

// ---------------------------------------------------------------------------------------
// Comparing answers

/// Drops the members that legitimately differ between two servers: `timeStamp`, `links` and
/// `$id` (their URLs carry the server's port).
fn normalized(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("timeStamp");
                m.remove("links");
                m.remove("$id");
                // The one intended difference: a database layer's description says where it lives.
                if let Some(Value::String(d)) = m.get_mut("description") {
                    *d = d.replace(" in PostgreSQL/PostGIS", "");
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn numbers_equal(key: &str, a: &serde_json::Number, b: &serde_json::Number) -> bool {
    let (x, y) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
    match key {
        "distance_m" => (x - y).abs() <= 1e-3,
        "coordinates" | "bbox" => a.is_f64() == b.is_f64() && (x - y).abs() <= 1e-8,
        _ if a.is_f64() || b.is_f64() => a.is_f64() == b.is_f64() && (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        _ => a == b,
    }
}

/// The first difference between two JSON values, as `path: a vs b`.
fn json_diff(path: &str, key: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let (kx, ky): (BTreeSet<_>, BTreeSet<_>) = (x.keys().collect(), y.keys().collect());
            if kx != ky {
                let only_a: Vec<_> = kx.difference(&ky).collect();
                let only_b: Vec<_> = ky.difference(&kx).collect();
                return Some(format!("{path}: members only in memory {only_a:?}, only in PostGIS {only_b:?}"));
            }
            x.iter().find_map(|(k, v)| json_diff(&format!("{path}.{k}"), k, v, &y[k]))
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: {} elements in memory vs {} in PostGIS", x.len(), y.len()));
            }
            x.iter().zip(y).enumerate().find_map(|(i, (u, v))| {
                let id = u.get("id").map(|id| format!(" id={id}")).unwrap_or_default();
                json_diff(&format!("{path}[{i}{id}]"), key, u, v)
            })
        }
        (Value::Number(x), Value::Number(y)) if numbers_equal(key, x, y) => None,
        _ if a == b => None,
        _ => Some(format!("{path}: {a} in memory vs {b} in PostGIS")),
    }
}

fn ids(v: &Value) -> Vec<String> {
    v["features"]
        .as_array()
        .map(|fs| fs.iter().map(|f| f["id"].to_string()).collect())
        .unwrap_or_default()
}

/// Per MVT layer: the `id`s of the single points and the `(cluster_id, point_count)` of the
/// clusters.
type TileSummary = BTreeMap<String, (BTreeSet<String>, BTreeSet<(u64, u64)>)>;

fn tile_summary(bytes: &[u8]) -> Result<TileSummary, String> {
    let tile = Tile::decode(bytes).map_err(|e| format!("not an MVT tile: {e}"))?;
    let mut out = TileSummary::new();
    for layer in tile.layers {
        let key = |name: &str| layer.keys.iter().position(|k| k == name);
        let (kid, kcluster, kcount) = (key("id"), key("cluster_id"), key("point_count"));
        let entry = out.entry(layer.name.clone()).or_default();
        for f in &layer.features {
            let tag = |k: Option<usize>| {
                let k = u32::try_from(k?).ok()?;
                let i = f.tags.chunks(2).find(|t| t[0] == k)?[1] as usize;
                layer.values.get(i)
            };
            match (tag(kcluster), tag(kcount)) {
                (Some(c), Some(n)) => {
                    let c = c.uint_value.or(c.int_value.and_then(|v| u64::try_from(v).ok())).unwrap_or(u64::MAX);
                    let n = n.uint_value.or(n.int_value.and_then(|v| u64::try_from(v).ok())).unwrap_or(u64::MAX);
                    entry.1.insert((c, n));
                }
                _ => {
                    let id = tag(kid).map_or_else(
                        || "<no id>".to_owned(),
                        |v| v.string_value.clone().unwrap_or_else(|| format!("{v:?}")),
                    );
                    entry.0.insert(id);
                }
            }
        }
    }
    Ok(out)
}

fn tile_diff(a: &[u8], b: &[u8]) -> Option<String> {
    let (ta, tb) = match (tile_summary(a), tile_summary(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (x, y) => return Some(format!("in memory: {:?}, PostGIS: {:?}", x.err(), y.err())),
    };
    if ta.keys().ne(tb.keys()) {
        return Some(format!("layers {:?} in memory vs {:?} in PostGIS", ta.keys(), tb.keys()));
    }
    for (name, (pa, ca)) in &ta {
        let (pb, cb) = &tb[name];
        if pa != pb {
            let only_a: Vec<_> = pa.difference(pb).take(5).collect();
            let only_b: Vec<_> = pb.difference(pa).take(5).collect();
            return Some(format!(
                "layer {name}: {} points in memory vs {} in PostGIS; only in memory {only_a:?}, only in PostGIS {only_b:?}",
                pa.len(),
                pb.len()
            ));
        }
        if ca != cb {
            let only_a: Vec<_> = ca.difference(cb).take(5).collect();
            let only_b: Vec<_> = cb.difference(ca).take(5).collect();
            return Some(format!(
                "layer {name}: {} clusters in memory vs {} in PostGIS; (cluster_id, point_count) only in memory {only_a:?}, only in PostGIS {only_b:?}",
                ca.len(),
                cb.len()
            ));
        }
    }
    None
}

/// The first difference between the in-memory answer `a` and the PostGIS answer `b`.
fn answer_diff(a: &Answer, b: &Answer) -> Option<String> {
    if a.status != b.status {
        return Some(format!(
            "status {} in memory vs {} in PostGIS; PostGIS body: {}",
            a.status,
            b.status,
            b.text()
        ));
    }
    if a.content_type != b.content_type {
        return Some(format!(
            "content-type {:?} in memory vs {:?} in PostGIS",
            a.content_type, b.content_type
        ));
    }
    if a.status == 204 || a.status == 304 {
        return None;
    }
    if a.content_type.contains("vnd.mapbox-vector-tile") {
        return tile_diff(&a.body, &b.body);
    }
    if !a.content_type.contains("json") {
        return (a.body != b.body).then(|| "bodies differ".to_owned());
    }
    let (ja, jb) = (a.json(), b.json());
    if a.status >= 400 {
        // Problem details: the same status and the same offending parameter.
        return (ja["parameter"] != jb["parameter"]).then(|| format!("problem {ja} in memory vs {jb} in PostGIS"));
    }
    let (ja, jb) = (normalized(ja), normalized(jb));
    for member in ["numberMatched", "numberReturned", "total", "unassigned"] {
        if ja.get(member) != jb.get(member) {
            return Some(format!(
                "{member}: {:?} in memory vs {:?} in PostGIS",
                ja.get(member),
                jb.get(member)
            ));
        }
    }
    let (ia, ib) = (ids(&ja), ids(&jb));
    if ia != ib {
        let i = ia.iter().zip(&ib).position(|(x, y)| x != y).unwrap_or(ia.len().min(ib.len()));
        return Some(format!(
            "feature ids differ from position {i}: in memory {:?}…, PostGIS {:?}… ({} vs {} features)",
            &ia[i..ia.len().min(i + 3)],
            &ib[i..ib.len().min(i + 3)],
            ia.len(),
            ib.len()
        ));
    }
    json_diff("$", "", &ja, &jb)
}

/// Whether an in-memory answer carries data (a non-empty FeatureCollection, a tile, a feature).
fn has_data(a: &Answer) -> bool {
    if a.status != 200 {
        return false;
    }
    if a.content_type.contains("vnd.mapbox-vector-tile") {
        return !a.body.is_empty();
    }
    let v = a.json();
    v.get("features")
        .map_or(v.is_object(), |f| f.as_array().is_some_and(|f| !f.is_empty()))
}

// ---------------------------------------------------------------------------------------
// The suite

/// Everything the differential, injection and fault checks share.
struct Suite {
    rows: Vec<Row>,
    pg: Postgres,
    memory: Server,
    postgis: Server,
    _dirs: Vec<tempfile::TempDir>,
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let v = f();
    eprintln!("postgis: {what}: {:.1} s", t.elapsed().as_secs_f64());
    v
}

/// Generates the CSV, imports it in memory and into PostGIS, starts both servers. Before the
/// PostGIS import, checks that the request list gets non-trivial in-memory answers.
fn set_up(rows: Vec<Row>, reqs: &[Req], memory_answers: &mut Vec<Answer>) -> Suite {
    let work = tempfile::tempdir().unwrap();
    let csv = work.path().join("firms.csv");
    write_csv(&csv, &rows);
    let pg = timed("initdb + start PostgreSQL", Postgres::start_new);

    let data_a = data_folder();
    timed("in-memory import", || import(data_a.path(), &csv, LAYER));
    let memory = timed("start server A (in memory)", || {
        serve(data_a.path(), None, &work.path().join("a.log"))
    });
    *memory_answers = timed("requests to A", || {
        fetch_all(&memory.base, &reqs.iter().map(|r| r.path.clone()).collect::<Vec<_>>())
    });
    check_requests_are_not_trivial(reqs, memory_answers);

    let run = timed("PostGIS import", || import_postgres(&pg, &csv, LAYER));
    assert_imported(&run, "the 100,000-row CSV");
    eprintln!("postgis: import --postgres took {:.1} s", run.seconds);
    let data_b = data_folder();
    let postgis = timed("start server B (PostGIS)", || {
        serve(data_b.path(), Some(&pg), &work.path().join("b.log"))
    });
    Suite {
        rows,
        pg,
        memory,
        postgis,
        _dirs: vec![work, data_a, data_b],
    }
}

/// The generated requests must mostly find data in memory, or the comparison proves little.
fn check_requests_are_not_trivial(reqs: &[Req], answers: &[Answer]) {
    let mut stats: BTreeMap<Kind, (usize, usize, usize)> = BTreeMap::new();
    for (r, a) in reqs.iter().zip(answers) {
        let s = stats.entry(r.kind).or_default();
        s.0 += 1;
        s.1 += usize::from(a.status == 200);
        s.2 += usize::from(has_data(a));
    }
    let mut report = String::new();
    for (k, (n, ok, data)) in &stats {
        let _ = writeln!(report, "  {k:?}: {n} requests, {ok} answered 200, {data} with data");
    }
    eprintln!("postgis: in-memory answers:\n{report}");
    let bad: Vec<_> = reqs
        .iter()
        .zip(answers)
        .filter(|(r, a)| a.status != 200 && !(r.kind == Kind::Item && a.status == 404))
        .map(|(r, a)| format!("{} → {} {}", r.path, a.status, a.text()))
        .collect();
    assert!(
        bad.is_empty(),
        "the request generator makes requests the in-memory server refuses:\n{}",
        bad.join("\n")
    );
    for (kind, min_share) in [
        (Kind::Nearest, 1.0),
        (Kind::Within, 0.6),
        (Kind::Items, 0.5),
        (Kind::Cql2, 0.5),
        (Kind::Density, 1.0),
        (Kind::Tile, 0.9),
        (Kind::Item, 0.9),
    ] {
        let (n, _, data) = stats[&kind];
        assert!(
            data as f64 >= min_share * n as f64,
            "only {data} of {n} {kind:?} requests find data in memory:\n{report}"
        );
    }
}

/// Facts known from the generated rows, true on both servers.
fn check_known_answers(s: &Suite, failures: &mut Vec<String>) {
    let agent = client();
    let foundry = s.rows.iter().filter(|r| r.industry == "foundry").count();
    let probe = &s.rows[N_ROWS / 3];
    for (side, server) in [("in memory", &s.memory), ("PostGIS", &s.postgis)] {
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{side}: {what}"));
            }
        };
        let v = fetch(
            &agent,
            &server.base,
            &format!("/collections/{LAYER}/items?industry=foundry&limit=1"),
        )
        .json();
        check(
            v["numberMatched"].as_u64() == Some(foundry as u64),
            format!("industry=foundry numberMatched {} (generated: {foundry})", v["numberMatched"]),
        );
        let path = format!("/nearest?lon={}&lat={}&k=3&layer={LAYER}", probe.lon_text, probe.lat_text);
        let v = fetch(&agent, &server.base, &path).json();
        let first = &v["features"][0];
        check(
            first["id"] == probe.id.as_str() && first["properties"]["distance_m"].as_f64().is_some_and(|d| d < 0.01),
            format!(
                "{path}: first hit {} at {} m, expected {} at 0 m",
                first["id"], first["properties"]["distance_m"], probe.id
            ),
        );
        let v = fetch(&agent, &server.base, &format!("/collections/{LAYER}/items/{}", s.rows[0].id)).json();
        check(
            v["properties"]["county_code"] == "130981",
            format!(
                "the point at 泊头 {BOTOU:?} has county_code {}, expected 130981",
                v["properties"]["county_code"]
            ),
        );
        let quoted = query(&[("filter", "name_zh = '铸''造; DROP'".to_owned())]);
        let v = fetch(&agent, &server.base, &format!("/collections/{LAYER}/items?{quoted}")).json();
        check(
            v["numberMatched"] == 1 && v["features"][0]["id"] == s.rows[1].id.as_str(),
            format!(
                "name_zh = '铸''造; DROP' matched {} (expected only {})",
                v["numberMatched"], s.rows[1].id
            ),
        );
    }
}

/// Sends every request to both servers; a message per differing request.
fn differential(s: &Suite, reqs: &[Req], memory: &[Answer], failures: &mut Vec<String>) {
    let paths: Vec<String> = reqs.iter().map(|r| r.path.clone()).collect();
    let postgis = timed("requests to B", || fetch_all(&s.postgis.base, &paths));
    let mut differing = 0;
    for ((r, a), b) in reqs.iter().zip(memory).zip(&postgis) {
        if let Some(d) = answer_diff(a, b) {
            differing += 1;
            if differing <= 25 {
                failures.push(format!("GET {} ({:?}): {d}", r.path, r.kind));
            }
        }
    }
    if differing > 25 {
        failures.push(format!("… {} more differing requests", differing - 25));
    }
    let slowest = |answers: &[Answer]| answers.iter().map(|a| a.seconds).fold(0.0, f64::max);
    eprintln!(
        "postgis: {} requests, {differing} differ; slowest {:.2} s in memory, {:.2} s PostGIS",
        reqs.len(),
        slowest(memory),
        slowest(&postgis)
    );
}

/// Hostile CQL2 texts and equality values: never a 5xx, the same answers as in memory, and
/// the table and catalogue intact afterwards.
fn injection(s: &Suite, failures: &mut Vec<String>) {
    let filters = [
        "name_zh = '铸''造; DROP'",
        "name_zh = ''); DROP TABLE cluster_atlas.layers; --'",
        "'); DROP TABLE cluster_atlas.layers; --",
        "industry = 'foundry'; DROP TABLE cluster_atlas.layers; --",
        "industry = 'foundry' -- '",
        "industry = 'foundry' /* */ AND kind = 'firm'",
        "industry = 'a'' OR ''1''=''1'",
        "industry = 'a' OR '1'='1'",
        "name_zh LIKE '%''%'",
        "name_zh LIKE '%; DROP%'",
        "\"industry\" = 'foundry'",
        "\"firms; DROP TABLE cluster_atlas.layers; --\" = 1",
        "\"name_zh\"\" = 1; DROP TABLE cluster_atlas.layers; --\" = 'x'",
        "industry = E'\\x27; DROP TABLE cluster_atlas.layers; --'",
        "name_zh = '\\'; SELECT pg_sleep(30); --'",
        "name_zh = '' || (SELECT pg_sleep(30))::text || ''",
        "firms = 1 OR 1=1",
        "firms = (SELECT count(*) FROM cluster_atlas.layers)",
        "S_INTERSECTS(geometry, POINT(116.5 38.0)) -- '",
        "S_INTERSECTS(geometry, POLYGON((116 38, 117 38, 117 39, 116 38))); DROP TABLE cluster_atlas.layers",
        "name_zh = '泊头铸造厂'",
        "name_zh = '\u{0}'",
        "name_zh = 'a\u{0}'' OR 1=1 --'",
        "id IN ('f000001', 'x''); DROP TABLE cluster_atlas.layers; --')",
        "casei(name_zh) = casei('铸''造; drop')",
        "name_zh LIKE '\\%'",
        "name_zh = '$$; DROP TABLE cluster_atlas.layers; $$'",
        "name_zh = $$x$$",
        "industry = 'foundry' AND firms > 1e308",
        "score > 'abc'",
        "approved = 'x'::date",
        "industry = 'foundry')",
    ];
    let equalities = [
        ("industry", "foundry'; DROP TABLE cluster_atlas.layers; --"),
        ("name_zh", QUOTED_NAME),
        ("name_zh", "铸''造; DROP"),
        ("kind", "firm' OR '1'='1"),
        ("kind", "firm\" OR \"1\"=\"1"),
        ("firms", "1; DROP TABLE cluster_atlas.layers"),
        ("firms", "1 OR 1=1"),
        ("industry", "/* */foundry"),
        ("industry", "--"),
        ("industry", "\u{0}"),
        ("flag", "true' --"),
        ("datetime", "2015'; DROP TABLE cluster_atlas.layers; --"),
        ("bbox", "116,38,117,39); DROP TABLE cluster_atlas.layers; --"),
        ("limit", "10; DROP TABLE cluster_atlas.layers"),
        ("offset", "0) OR (1=1"),
        ("\"industry\"", "foundry"),
        ("industry; DROP TABLE cluster_atlas.layers; --", "x"),
    ];
    let mut paths: Vec<(String, bool)> = vec![];
    for f in filters {
        paths.push((
            format!(
                "/collections/{LAYER}/items?{}",
                query(&[("filter", f.to_owned()), ("limit", "20".to_owned())])
            ),
            true,
        ));
    }
    for (k, v) in equalities {
        paths.push((format!("/collections/{LAYER}/items?{}", query(&[(k, v.to_owned())])), true));
        if matches!(k, "industry" | "kind" | "datetime") {
            let q = query(&[
                ("lon", "116.5".to_owned()),
                ("lat", "38".to_owned()),
                ("layer", LAYER.to_owned()),
                (k, v.to_owned()),
            ]);
            paths.push((format!("/nearest?{q}"), true));
            paths.push((format!("/tiles/{LAYER}/6/52/24.mvt?{}", query(&[(k, v.to_owned())])), true));
        }
    }
    // Hostile layer names and ids: not necessarily 200/400 (404 is fine), never 5xx.
    let evil = "firms\"; DROP TABLE cluster_atlas.layers; --";
    let enc = |s: &str| query(&[("", s.to_owned())]).trim_start_matches('=').to_owned();
    paths.push((format!("/nearest?lon=116.5&lat=38&{}", query(&[("layer", evil.to_owned())])), false));
    paths.push((format!("/collections/{}/items", enc(evil)), false));
    paths.push((format!("/collections/{LAYER}/items/{}", enc("f000001' OR '1'='1")), false));
    paths.push((
        format!("/collections/{LAYER}/items/{}", enc("'); DROP TABLE cluster_atlas.layers; --")),
        false,
    ));
    paths.push((format!("/tiles/{}/6/52/24.mvt", enc(evil)), false));
    paths.push((
        format!(
            "/density?level=county&measure=count&geometry=false&{}",
            query(&[("layer", evil.to_owned())])
        ),
        false,
    ));

    let agent = client();
    for (path, strict) in &paths {
        let b = fetch(&agent, &s.postgis.base, path);
        let a = fetch(&agent, &s.memory.base, path);
        let empty_tile = b.status == 204 && path.starts_with("/tiles/");
        if b.status >= 500 || (*strict && b.status != 200 && b.status != 400 && !empty_tile) {
            failures.push(format!("injection GET {path}: PostGIS answered {} {}", b.status, b.text()));
        } else if let Some(d) = answer_diff(&a, &b) {
            failures.push(format!("injection GET {path}: {d}"));
        }
        if b.seconds > 20.0 {
            failures.push(format!("injection GET {path}: took {:.1} s in PostGIS (did SQL run?)", b.seconds));
        }
    }
    eprintln!("postgis: {} hostile requests sent", paths.len());
    let table = layer_table(&s.pg, LAYER).unwrap_or_default();
    match s.pg.try_psql(&format!("SELECT count(*) FROM cluster_atlas.\"{table}\"")) {
        Ok(n) if n == N_ROWS.to_string() => {}
        other => failures.push(format!(
            "after the injections, the table of {LAYER} ({table:?}) holds {other:?} rows, expected {N_ROWS}"
        )),
    }
    match catalogue_mentions(&s.pg, LAYER) {
        Ok(true) => {}
        other => failures.push(format!("after the injections, the catalogue row of {LAYER}: {other:?}")),
    }
}

/// Whether `cluster_atlas.layers` exists and has a row with a column equal to `layer`
/// (whatever the catalogue's column names are).
fn catalogue_mentions(pg: &Postgres, layer: &str) -> Result<bool, String> {
    if pg.try_psql("SELECT to_regclass('cluster_atlas.layers') IS NULL")? == "t" {
        return Err("no table cluster_atlas.layers".into());
    }
    let n = pg.try_psql(&format!(
        "SELECT count(*) FROM cluster_atlas.layers l WHERE EXISTS \
         (SELECT 1 FROM json_each_text(row_to_json(l)) WHERE value = '{layer}')"
    ))?;
    Ok(n != "0")
}

/// The catalogue rows mentioning `layer`, as JSON text (to compare before/after).
fn catalogue_rows(pg: &Postgres, layer: &str) -> Result<String, String> {
    pg.try_psql(&format!(
        "SELECT coalesce(string_agg(row_to_json(l)::text, E'\\n' ORDER BY row_to_json(l)::text), '') FROM cluster_atlas.layers l \
         WHERE EXISTS (SELECT 1 FROM json_each_text(row_to_json(l)) WHERE value = '{layer}')"
    ))
}

/// Stops PostgreSQL under server B: the PostGIS layer answers 503, the in-memory layers 200;
/// started again, the PostGIS layer recovers in the same server process.
fn fault(s: &mut Suite, failures: &mut Vec<String>) {
    let agent = client();
    let base = s.postgis.base.clone();
    let pid = s.postgis.pid();
    let postgis_paths = [
        format!("/collections/{LAYER}/items?limit=20"),
        format!("/nearest?lon=116.5&lat=38&layer={LAYER}"),
        format!("/within?lon=116.5&lat=38&radius_m=50000&limit=20&layer={LAYER}"),
        format!("/collections/{LAYER}/items/{}", s.rows[0].id),
        format!("/density?layer={LAYER}&level=province&geometry=false"),
    ];
    let memory_paths = ["/collections/clusters/items", "/nearest?lon=116.5&lat=38&layer=clusters"];
    let before: Vec<Answer> = postgis_paths.iter().map(|p| fetch(&agent, &base, p)).collect();
    for (p, a) in postgis_paths.iter().zip(&before) {
        assert_eq!(a.status, 200, "before the outage, GET {p}: {}", a.text());
    }

    timed("pg_ctl stop -m fast", || s.pg.stop());
    for p in &postgis_paths {
        let a = fetch(&agent, &base, p);
        if a.status != 503 || a.content_type != "application/problem+json" || a.json()["status"] != 503 {
            failures.push(format!(
                "database down: GET {p} answered {} {:?} {}, expected 503 application/problem+json",
                a.status,
                a.content_type,
                a.text()
            ));
        }
        if a.seconds > 15.0 {
            failures.push(format!("database down: GET {p} took {:.1} s", a.seconds));
        }
    }
    // A tile nobody asked for yet (tiles served before may come from the tile cache).
    let tile = format!("/tiles/{LAYER}/7/105/48.mvt?industry=glass&kind=firm");
    let a = fetch(&agent, &base, &tile);
    if a.status != 503 || a.content_type != "application/problem+json" {
        failures.push(format!("database down: GET {tile} answered {} {}", a.status, a.text()));
    }
    for p in memory_paths {
        let a = fetch(&agent, &base, p);
        if a.status != 200 || !has_data(&a) {
            failures.push(format!("database down: in-memory GET {p} answered {} {}", a.status, a.text()));
        }
    }

    timed("pg_ctl start", || s.pg.start());
    let t = Instant::now();
    let first = &postgis_paths[0];
    let recovered = loop {
        let a = fetch(&agent, &base, first);
        if a.status == 200 {
            break Some(t.elapsed());
        }
        if t.elapsed() > Duration::from_secs(15) {
            failures.push(format!(
                "database back: GET {first} still answers {} after {:.1} s: {}",
                a.status,
                t.elapsed().as_secs_f64(),
                a.text()
            ));
            break None;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    if let Some(d) = recovered {
        eprintln!(
            "postgis: PostGIS layer answered 200 again {:.1} s after PostgreSQL restarted",
            d.as_secs_f64()
        );
        for (p, old) in postgis_paths.iter().zip(&before) {
            let a = fetch(&agent, &base, p);
            if let Some(d) = answer_diff(old, &a) {
                failures.push(format!("database back: GET {p} differs from before the outage: {d}"));
            }
        }
    }
    if s.postgis.wait_exit(Duration::ZERO).is_some() || s.postgis.pid() != pid {
        failures.push("server B exited during the outage".into());
    }
}

#[test]
fn postgis_layer_answers_like_the_in_memory_layer() {
    let t = Instant::now();
    let rows = timed("generate 100,000 rows", || generate(N_ROWS, CSV_SEED));
    let reqs = requests(&rows);
    let mut memory = vec![];
    let mut s = set_up(rows, &reqs, &mut memory);
    let mut failures = vec![];
    timed("known answers", || check_known_answers(&s, &mut failures));
    timed("differential", || differential(&s, &reqs, &memory, &mut failures));
    timed("injection", || injection(&s, &mut failures));
    timed("fault", || fault(&mut s, &mut failures));
    eprintln!("postgis: whole test {:.1} s", t.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Atomic imports

/// The table the catalogue names for `layer` (each import writes a table of its own).
fn layer_table(pg: &Postgres, layer: &str) -> Option<String> {
    if pg.psql("SELECT to_regclass('cluster_atlas.layers') IS NULL") == "t" {
        return None;
    }
    let t = pg.psql(&format!(
        "SELECT coalesce(max(table_name), '') FROM cluster_atlas.layers WHERE name = '{layer}'"
    ));
    (!t.is_empty()).then_some(t)
}

/// Whether the catalogue names a table for `layer` and that table exists.
fn table_exists(pg: &Postgres, layer: &str) -> bool {
    layer_table(pg, layer).is_some_and(|t| pg.psql(&format!("SELECT to_regclass('cluster_atlas.\"{t}\"') IS NOT NULL")) == "t")
}

/// Tables of one imported layer: its rows, its per-code counts and its grid pyramid.
const TABLES_PER_LAYER: &str = "3";

/// How many tables the schema `cluster_atlas` holds besides the catalogue.
fn layer_tables(pg: &Postgres) -> String {
    pg.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'cluster_atlas' AND tablename <> 'layers'")
}

fn table_digest(pg: &Postgres, layer: &str) -> String {
    let t = layer_table(pg, layer).unwrap_or_else(|| panic!("no catalogue row for {layer}"));
    pg.psql(&format!(
        "SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM cluster_atlas.\"{t}\" t"
    ))
}

fn names_line(stderr: &str, file: &Path, line: u64) -> bool {
    let f = file.display().to_string();
    stderr.contains(&format!("{f}:{line}:")) || (stderr.contains(&f) && stderr.contains(&format!("line {line}")))
}

#[test]
fn failed_postgres_imports_change_nothing() {
    let pg = Postgres::start_new();
    let work = tempfile::tempdir().unwrap();
    let rows = generate(6_000, CSV_SEED ^ 1);
    let good = work.path().join("good.csv");
    write_csv(&good, &rows);
    // Line 5000 is row 4999 (line 1 is the header).
    let mut broken = rows.clone();
    broken[4998].lon_text = "abc".into();
    let bad = work.path().join("bad.csv");
    write_csv(&bad, &broken);
    let text = std::fs::read_to_string(&bad).unwrap();
    assert!(text.lines().nth(4999).unwrap().contains(",abc,"), "the bad value is on line 5000");

    // Into an empty database: nothing is created.
    let r = import_postgres(&pg, &bad, "atomic");
    assert!(!r.ok, "a CSV with lon 'abc' on line 5000 was accepted: {}", r.stdout);
    assert!(
        names_line(&r.stderr, &bad, 5000),
        "the message names neither {}:5000 nor its line:\n{}",
        bad.display(),
        r.stderr
    );
    assert!(!table_exists(&pg, "atomic"), "a failed import left a table for 'atomic'");
    assert_eq!(layer_tables(&pg), "0", "a failed import into an empty database left a table");
    match catalogue_mentions(&pg, "atomic") {
        Ok(false) | Err(_) => {}
        Ok(true) => panic!("a failed import left a catalogue row for 'atomic'"),
    }

    // A good import, then a failing one over it: the old layer stays as it was.
    let r = import_postgres(&pg, &good, "atomic");
    assert_imported(&r, "a 6,000-row CSV");
    eprintln!("postgis: import --postgres of 6,000 rows: {:.1} s", r.seconds);
    assert!(table_exists(&pg, "atomic"));
    let before = table_digest(&pg, "atomic");
    assert!(before.starts_with("6000 "), "{before}");
    assert_eq!(catalogue_mentions(&pg, "atomic"), Ok(true), "no catalogue row for 'atomic'");
    let catalogue_before = catalogue_rows(&pg, "atomic").unwrap();

    let r = import_postgres(&pg, &bad, "atomic");
    assert!(!r.ok, "a CSV with lon 'abc' on line 5000 was accepted over an existing layer");
    assert!(names_line(&r.stderr, &bad, 5000), "{}", r.stderr);
    assert_eq!(table_digest(&pg, "atomic"), before, "a failed import changed the existing layer");
    assert_eq!(
        layer_tables(&pg),
        TABLES_PER_LAYER,
        "a failed import left a table beside the layer's"
    );
    assert_eq!(
        catalogue_rows(&pg, "atomic").unwrap(),
        catalogue_before,
        "a failed import changed the catalogue row"
    );

    // A duplicate id on the last line fails as a whole too.
    let mut dup = rows.clone();
    dup.push(Row {
        id: rows[10].id.clone(),
        ..rows[11].clone()
    });
    let dup_file = work.path().join("dup.csv");
    write_csv(&dup_file, &dup);
    let r = import_postgres(&pg, &dup_file, "atomic");
    assert!(!r.ok, "a duplicate id was accepted");
    assert!(names_line(&r.stderr, &dup_file, 6002), "{}", r.stderr);
    assert_eq!(table_digest(&pg, "atomic"), before);
    assert_eq!(layer_tables(&pg), TABLES_PER_LAYER);

    // A good re-import replaces the layer: a new table, the old one dropped.
    let old = layer_table(&pg, "atomic");
    let r = import_postgres(&pg, &good, "atomic");
    assert_imported(&r, "a re-import of the 6,000-row CSV");
    assert_ne!(layer_table(&pg, "atomic"), old, "a re-import kept the old table");
    assert_eq!(table_digest(&pg, "atomic"), before, "a re-import of the same CSV stored other rows");
    assert_eq!(layer_tables(&pg), TABLES_PER_LAYER, "a re-import left the old tables behind");
}

// ---------------------------------------------------------------------------------------
// The fixture itself

#[test]
fn private_postgres_cluster_starts_stops_and_cleans_up() {
    let pg = Postgres::start_new();
    assert_eq!(pg.psql("SELECT 1 + 1"), "2");
    let version = pg.psql("SELECT postgis_lib_version()");
    assert!(version.starts_with('3'), "PostGIS {version}");
    assert_eq!(pg.psql("SHOW fsync"), "off");
    assert_eq!(pg.psql("SHOW listen_addresses"), "127.0.0.1");
    pg.psql("CREATE TABLE t (g geometry(Point, 4326)); INSERT INTO t VALUES (ST_SetSRID(ST_MakePoint(116.578, 38.076), 4326))");
    let (port, dir): (u16, PathBuf) = (pg.port, pg.dir().to_owned());
    let pid = pg.pid().unwrap();

    pg.stop();
    assert!(pg.try_psql("SELECT 1").is_err(), "still answering after stop");
    assert!(pg.pid().is_none());
    pg.start();
    assert_eq!(pg.port, port);
    assert_ne!(pg.pid(), Some(pid), "a new postmaster");
    assert_eq!(
        pg.psql("SELECT ST_AsText(g) FROM t"),
        "POINT(116.578 38.076)",
        "data kept across the restart"
    );

    drop(pg);
    assert!(!dir.exists(), "{} left behind", dir.display());
    let refused = std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1));
    assert!(refused.is_err(), "port {port} still open after drop");
}

// ---------------------------------------------------------------------------------------
// The catalogue, read while serving

/// `numberMatched` of `/collections/{layer}/items` once the layer is listed, waiting up to
/// 20 s for the server to see the catalogue change; `None` if it never does.
fn wait_for_layer(agent: &ureq::Agent, base: &str, layer: &str, rows: usize) -> Option<f64> {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        let a = fetch(agent, base, &format!("/collections/{layer}/items?limit=1"));
        if a.status == 200 && a.json()["numberMatched"] == rows {
            return Some(t.elapsed().as_secs_f64());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

#[test]
fn layers_join_without_a_restart_when_the_database_comes_up_or_an_import_lands() {
    let pg = Postgres::start_new();
    let work = tempfile::tempdir().unwrap();
    let data = data_folder();
    pg.stop();
    // Down at start: a clear line on stderr, and the in-memory layers are served.
    let log = work.path().join("serve.log");
    let file = std::fs::File::create(&log).unwrap();
    let server = start_with(data.path(), &["--postgres", pg.url.as_str(), "--reload-every", "1"], file);
    let agent = client();
    let clusters = fetch(&agent, &server.base, "/collections/clusters/items?limit=1");
    assert_eq!(clusters.status, 200, "{}", clusters.text());
    assert_eq!(fetch(&agent, &server.base, "/collections/late/items").status, 404);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("--postgres:") && said.contains("serving the in-memory layers"),
        "start-up with the database down should say so: {said}"
    );

    // The database comes up with a layer imported meanwhile: it is served, without a restart.
    pg.start();
    let csv = work.path().join("late.csv");
    write_csv(&csv, &generate(500, CSV_SEED ^ 7));
    assert_imported(&import_postgres(&pg, &csv, "late"), "500 rows");
    let waited = wait_for_layer(&agent, &server.base, "late", 500);
    assert!(waited.is_some(), "the layer imported while the database was away never appeared");
    let near = fetch(
        &agent,
        &server.base,
        &format!("/nearest?lon={}&lat={}&k=3&layer=late", BOTOU.0, BOTOU.1),
    );
    assert_eq!(near.status, 200, "{}", near.text());
    assert_eq!(near.json()["features"][0]["properties"]["layer"], "late");

    // A re-import replaces the layer; a new layer joins; the in-memory layers never left.
    write_csv(&csv, &generate(300, CSV_SEED ^ 8));
    assert_imported(&import_postgres(&pg, &csv, "late"), "300 rows");
    assert_imported(&import_postgres(&pg, &csv, "later"), "300 rows");
    assert!(
        wait_for_layer(&agent, &server.base, "late", 300).is_some(),
        "the re-import was not picked up"
    );
    assert!(
        wait_for_layer(&agent, &server.base, "later", 300).is_some(),
        "the new layer was not picked up"
    );
    let health = fetch(&agent, &server.base, "/health").json();
    assert_eq!(health["layers"]["late"], 300);
    assert_eq!(health["layers"]["later"], 300);
    assert!(health["layers"]["clusters"].as_u64().unwrap() > 2_000);
    eprintln!("postgis: a layer appeared {:.1} s after its import", waited.unwrap_or_default());
}

#[test]
fn a_postgis_layer_is_drawn_and_clickable_on_the_web_map() {
    let pg = Postgres::start_new();
    let work = tempfile::tempdir().unwrap();
    let csv = work.path().join("pgplants.csv");
    std::fs::write(&csv, "name_zh,lon,lat\n数据库工厂,116.40,38.00\n").unwrap();
    assert_imported(&import_postgres(&pg, &csv, "pgplants"), "one row");
    let data = data_folder();
    let server = serve(data.path(), Some(&pg), &work.path().join("serve.log"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("node")
        .args([
            "tests/user-layer.test.mjs",
            &server.base,
            "pgplants",
            "116.40",
            "38.00",
            "数据库工厂",
        ])
        .arg(root.join("artifacts/browser"))
        .current_dir(root.join("web"))
        .output()
        .expect("node (scripts/setup --test installs it)");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && report.contains("ok - imported layer pgplants"), "{report}");
}
