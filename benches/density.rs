//! County density of 1,000,000 synthetic points on the committed county boundaries:
//! (a) assignment — point-in-polygon through the county R-tree for every point, tallied per
//! county: one `reverse_geocode` call per point on one thread, and the `reverse_geocode_many`
//! batch (split over the available cores); (b) the aggregation alone — `density()` over a layer of 1M
//! features whose `county_code` is already resolved (what the API does).
#![allow(missing_docs, clippy::unwrap_used)]

use cluster_atlas::analysis::PointFilter;
use cluster_atlas::analysis::density::{DensityQuery, Measure, density};
use cluster_atlas::analysis::{reverse_geocode, reverse_geocode_many};
use cluster_atlas::atlas::{Atlas, PointLayer};
use cluster_atlas::model::{AdminLevel, PlaceFeature, Precision};
use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const POINTS: usize = 1_000_000;

/// A fixed-seed 64-bit LCG: reproducible coordinates without adding the `rand` crate.
struct Lcg(u64);

impl Lcg {
    fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 1M points, each within ±0.05° of a random county's interior point (so nearly all fall
/// inside some county, unlike uniform points over China's bounding box).
fn points(atlas: &Atlas) -> Vec<(f64, f64)> {
    let counties = atlas.admin_units(AdminLevel::County);
    let mut rng = Lcg(0xde_5171);
    (0..POINTS)
        .map(|_| {
            let c = &counties[(rng.next_f64() * counties.len() as f64) as usize];
            let p = c.representative_point;
            (p.x() + (rng.next_f64() - 0.5) * 0.1, p.y() + (rng.next_f64() - 0.5) * 0.1)
        })
        .collect()
}

/// The real admin layers plus a `clusters` layer of `points`, resolved to counties.
fn synthetic_atlas(base: &Atlas, points: &[(f64, f64)]) -> Atlas {
    let features = points
        .iter()
        .enumerate()
        .map(|(i, &(lon, lat))| {
            let county = reverse_geocode(base, AdminLevel::County, lon, lat).unwrap();
            PlaceFeature {
                id: format!("s{i}"),
                point: geo::Point::new(lon, lat),
                name_zh: format!("s{i}"),
                name_en: None,
                kind: Some("cluster".into()),
                industries: vec![if i % 4 == 0 { "foundry" } else { "other" }.into()],
                time: None,
                county_code: county.map(|u| u.code),
                prefecture_code: county.and_then(|u| u.prefecture_code),
                province_code: county.map(|u| u.province_code),
                precision: Precision::Exact,
                properties: serde_json::Map::new(),
            }
        })
        .collect();
    let mut builder = Atlas::builder();
    for level in AdminLevel::ALL {
        builder = builder.admin_units(level, base.admin_units(level).to_vec());
    }
    builder.point_layer(PointLayer::new("clusters", "Synthetic", features)).build()
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    let base = cluster_atlas::load::load_dir(&dir).unwrap();
    let pts = points(&base);
    let mut g = c.benchmark_group("density_1m");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("assign_pip_rtree", |b| {
        b.iter(|| {
            let mut counts: HashMap<_, usize> = HashMap::new();
            for &(lon, lat) in &pts {
                if let Some(u) = reverse_geocode(&base, AdminLevel::County, lon, lat).unwrap() {
                    *counts.entry(u.code).or_default() += 1;
                }
            }
            black_box(counts.len())
        });
    });
    let batch: Vec<[f64; 2]> = pts.iter().map(|&(lon, lat)| [lon, lat]).collect();
    g.bench_function("assign_pip_batch", |b| {
        b.iter(|| {
            let mut counts: HashMap<_, usize> = HashMap::new();
            for u in reverse_geocode_many(&base, AdminLevel::County, &batch)
                .unwrap()
                .into_iter()
                .flatten()
            {
                *counts.entry(u.code).or_default() += 1;
            }
            black_box(counts.len())
        });
    });
    let atlas = synthetic_atlas(&base, &pts);
    let query = DensityQuery {
        level: AdminLevel::County,
        measure: Measure::Lq,
        filter: PointFilter {
            industry: Some("foundry".into()),
            ..PointFilter::default()
        },
    };
    let d = density(&atlas, &query);
    eprintln!(
        "{} points: {} foundry, {} assigned, {} outside every county",
        POINTS,
        d.total,
        d.assigned(),
        d.unassigned
    );
    g.bench_function("aggregate_by_code", |b| b.iter(|| black_box(density(&atlas, &query).assigned())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
