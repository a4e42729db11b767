//! Start-up cost: reading the committed geodata into an Atlas (R-trees built), and the
//! reverse geocoding it then serves.
#![allow(missing_docs, clippy::unwrap_used)]

use cluster_atlas::analysis::reverse_geocode;
use cluster_atlas::model::AdminLevel;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

fn geodata() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/geodata"))
}

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("startup");
    g.sample_size(10);
    g.bench_function("load_dir(geodata)", |b| {
        b.iter(|| black_box(cluster_atlas::load::load_dir(geodata()).unwrap()))
    });
    g.finish();
}

fn reverse(c: &mut Criterion) {
    let atlas = cluster_atlas::load::load_dir(geodata()).unwrap();
    // A fixed 100×100 grid over eastern China (fixed points, no randomness).
    let points: Vec<(f64, f64)> = (0..10_000)
        .map(|i| (105.0 + f64::from(i % 100) * 0.2, 22.0 + f64::from(i / 100) * 0.2))
        .collect();
    c.bench_function("reverse_geocode county (10k grid points)", |b| {
        b.iter(|| {
            points
                .iter()
                .filter(|(x, y)| reverse_geocode(&atlas, AdminLevel::County, *x, *y).unwrap().is_some())
                .count()
        });
    });
}

criterion_group!(benches, load, reverse);
criterion_main!(benches);
