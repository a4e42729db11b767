//! Query cost: nearest k=10, within 50 km and name search, (a) on the committed geodata
//! (admin layers + `clusters.geojson`) and (b) on 1,000,000 synthetic points over China,
//! with a brute-force haversine scan over the same points as a side-by-side peer.
#![allow(missing_docs, clippy::unwrap_used)]

use cluster_atlas::analysis::proximity::distance_m;
use cluster_atlas::analysis::{NearestQuery, PointFilter, WithinQuery, nearest, search, within_radius};
use cluster_atlas::atlas::{Atlas, PointLayer};
use cluster_atlas::model::{PlaceFeature, Precision};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

/// A 64-bit linear congruential generator (Knuth's MMIX constants) with a fixed seed: the
/// benchmark needs reproducible, roughly uniform coordinates, not statistical quality, so a
/// three-line generator is used instead of adding the `rand` crate.
struct Lcg(u64);

impl Lcg {
    fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // The top 53 bits as a fraction in [0, 1).
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A point in China's bounding box (lon 73.5..135, lat 18..53.5).
    fn point_in_china(&mut self) -> (f64, f64) {
        (73.5 + self.next_f64() * 61.5, 18.0 + self.next_f64() * 35.5)
    }
}

const SYNTHETIC_POINTS: usize = 1_000_000;
const QUERY_POINTS: usize = 256;

/// Syllables for synthetic Chinese names, so that name search has realistic keys.
const CHARS: [char; 16] = [
    '泊', '头', '醴', '陵', '宁', '国', '邹', '平', '浏', '阳', '高', '要', '嘉', '禾', '溧', '湘',
];
const INDUSTRIES: [&str; 4] = ["foundry", "ceramics", "textiles", "electronics"];

fn synthetic_atlas() -> Atlas {
    let mut rng = Lcg(0x5eed_c1a5);
    let features = (0..SYNTHETIC_POINTS)
        .map(|i| {
            let (lon, lat) = rng.point_in_china();
            let mut name_zh: String = [CHARS[i % 16], CHARS[(i / 16) % 16], CHARS[(i / 256) % 16]].into_iter().collect();
            name_zh.push_str("产业集群");
            PlaceFeature {
                id: format!("s{i}"),
                point: geo::Point::new(lon, lat),
                name_zh,
                name_en: None,
                kind: Some("cluster".into()),
                industries: vec![INDUSTRIES[i % 4].into()],
                time: None,
                county_code: None,
                prefecture_code: None,
                province_code: None,
                precision: Precision::Exact,
                properties: serde_json::Map::new(),
            }
        })
        .collect();
    Atlas::builder()
        .point_layer(PointLayer::new("synthetic", "Synthetic", features))
        .build()
}

fn query_points() -> Vec<(f64, f64)> {
    let mut rng = Lcg(42);
    (0..QUERY_POINTS).map(|_| rng.point_in_china()).collect()
}

/// Runs `f` on the next query point at each iteration (cycling through the fixed set).
fn cycling<'a, T>(points: &'a [(f64, f64)], mut f: impl FnMut(f64, f64) -> T + 'a) -> impl FnMut() -> T + 'a {
    let mut i = 0;
    move || {
        let (lon, lat) = points[i % points.len()];
        i += 1;
        f(lon, lat)
    }
}

fn nearest_q(lon: f64, lat: f64) -> NearestQuery {
    NearestQuery {
        lon,
        lat,
        k: 10,
        filter: PointFilter::default(),
    }
}

fn within_q(lon: f64, lat: f64) -> WithinQuery {
    WithinQuery {
        lon,
        lat,
        radius_m: 50_000.0,
        filter: PointFilter::default(),
    }
}

fn bench_queries(c: &mut Criterion, group: &str, atlas: &Atlas, search_terms: &[&str]) {
    let points = query_points();
    let mut g = c.benchmark_group(group);
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let mut q = cycling(&points, |lon, lat| nearest(atlas, &nearest_q(lon, lat)).unwrap().len());
    g.bench_function("nearest k=10", |b| b.iter(|| black_box(q())));
    let mut q = cycling(&points, |lon, lat| within_radius(atlas, &within_q(lon, lat)).unwrap().len());
    g.bench_function("within 50 km", |b| b.iter(|| black_box(q())));
    for term in search_terms {
        g.bench_function(format!("search {term:?} limit=10"), |b| {
            b.iter(|| black_box(search(atlas, term, 10).unwrap().len()))
        });
    }
    g.finish();
}

fn real(c: &mut Criterion) {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/geodata"));
    if !dir.join("clusters.geojson").is_file() {
        eprintln!("geodata/clusters.geojson is absent: skipping the real-layer benchmarks");
        return;
    }
    let atlas = cluster_atlas::load::load_dir(dir).unwrap();
    bench_queries(c, "real", &atlas, &["botou", "泊头", "Botou foundry", "liling"]);
}

/// The peer: score every point by haversine and keep what the query asks for.
fn brute_nearest(points: &[geo::Point<f64>], lon: f64, lat: f64, k: usize) -> Vec<(f64, usize)> {
    let c = geo::Point::new(lon, lat);
    let mut all: Vec<(f64, usize)> = points.iter().enumerate().map(|(i, p)| (distance_m(c, *p), i)).collect();
    all.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
    all.truncate(k);
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    all
}

fn brute_within(points: &[geo::Point<f64>], lon: f64, lat: f64, radius_m: f64) -> usize {
    let c = geo::Point::new(lon, lat);
    points.iter().filter(|p| distance_m(c, **p) <= radius_m).count()
}

fn synthetic(c: &mut Criterion) {
    let atlas = synthetic_atlas();
    // Sanity check before timing: the indexed answer equals the brute-force answer.
    let raw: Vec<geo::Point<f64>> = atlas.point_layers()[0].features().iter().map(|f| f.point).collect();
    for &(lon, lat) in &query_points()[..8] {
        let fast: Vec<f64> = nearest(&atlas, &nearest_q(lon, lat))
            .unwrap()
            .iter()
            .map(|h| h.distance_m)
            .collect();
        let slow: Vec<f64> = brute_nearest(&raw, lon, lat, 10).iter().map(|h| h.0).collect();
        assert_eq!(fast, slow);
        assert_eq!(
            within_radius(&atlas, &within_q(lon, lat)).unwrap().len(),
            brute_within(&raw, lon, lat, 50_000.0)
        );
    }
    bench_queries(c, "synthetic 1M", &atlas, &["botou", "泊头", "陵宁"]);
    let points = query_points();
    let mut g = c.benchmark_group("synthetic 1M brute force");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let mut q = cycling(&points, |lon, lat| brute_nearest(&raw, lon, lat, 10).len());
    g.bench_function("nearest k=10 (linear haversine scan)", |b| b.iter(|| black_box(q())));
    let mut q = cycling(&points, |lon, lat| brute_within(&raw, lon, lat, 50_000.0));
    g.bench_function("within 50 km (linear haversine scan)", |b| b.iter(|| black_box(q())));
    g.finish();
}

criterion_group!(benches, real, synthetic);
criterion_main!(benches);
