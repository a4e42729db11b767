//! Imports are crash-safe: `cluster-atlas import` killed with SIGKILL at seeded random
//! moments leaves the layer file either the old one or the new one, byte for byte, and a
//! server started on the folder afterwards serves that layer and nothing from a temp file.
#![allow(clippy::unwrap_used)]

mod common;
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 24;

fn import_command(data: &std::path::Path, csv: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cluster-atlas"));
    c.arg("import").arg(csv).args(["--layer", "sites", "--data"]).arg(data);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

/// `n` rows on a seeded grid over the North China Plain (all inside counties).
fn sites_csv(n: usize, rng: &mut fastrand::Rng) -> String {
    let mut csv = String::from("name_zh,lon,lat\n");
    for i in 0..n {
        let lon = 114.0 + rng.f64() * 3.0;
        let lat = 35.0 + rng.f64() * 3.0;
        csv.push_str(&format!("厂{i},{lon:.5},{lat:.5}\n"));
    }
    csv
}

#[test]
fn an_import_killed_at_any_moment_leaves_the_old_layer_or_the_new_one() {
    let mut rng = fastrand::Rng::with_seed(12);
    let data = common::server::data_folder();
    let layer = data.path().join("sites.geojson");
    let old_csv = data.path().join("old.csv");
    std::fs::write(&old_csv, sites_csv(3, &mut rng)).unwrap();
    common::server::import(data.path(), &old_csv, "sites");
    let old = std::fs::read(&layer).unwrap();
    let new_csv = data.path().join("new.csv");
    std::fs::write(&new_csv, sites_csv(2_000, &mut rng)).unwrap();

    // Whole imports, to learn how long one takes here and what it writes: the slowest of
    // three, since a shared machine's timing drifts (CI once saw every kill land before
    // the rename when the kill moments were scaled by a single fast run).
    let mut whole = std::time::Duration::ZERO;
    for _ in 0..3 {
        std::fs::write(&layer, &old).unwrap();
        let started = Instant::now();
        assert!(import_command(data.path(), &new_csv).status().unwrap().success());
        whole = whole.max(started.elapsed());
    }
    let new = std::fs::read(&layer).unwrap();
    assert_ne!(old, new);

    let (mut saw_old, mut saw_new) = (0, 0);
    for run in 0..RUNS {
        std::fs::write(&layer, &old).unwrap();
        // Kill moments spread from early in the import to well past its end, seeded; the
        // last runs land at the two ends for sure (before any write, after the exit).
        let at = match run {
            r if r == RUNS - 2 => whole.mul_f64(0.05),
            r if r == RUNS - 1 => whole.mul_f64(3.0),
            _ => whole.mul_f64(0.2 + rng.f64() * 1.4),
        };
        let mut child = import_command(data.path(), &new_csv).spawn().unwrap();
        std::thread::sleep(at);
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        let now = std::fs::read(&layer).unwrap();
        let features = if now == old {
            saw_old += 1;
            3
        } else if now == new {
            saw_new += 1;
            2_000
        } else {
            panic!(
                "run {run} (killed after {at:?}): the layer is neither the old nor the new file ({} bytes)",
                now.len()
            );
        };

        // The server on the folder serves exactly clusters and this layer: no temp file.
        let s = common::server::start_with(data.path(), &["--reload-every", "0"], Stdio::null());
        let mut r = common::server::agent().get(format!("{}/health", s.base)).call().unwrap();
        let h: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        let mut point_layers: Vec<_> = h["layers"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !["provinces", "prefectures", "counties"].contains(&k.as_str()))
            .cloned()
            .collect();
        point_layers.sort();
        assert_eq!(point_layers, ["clusters", "sites"], "run {run}");
        assert_eq!(h["layers"]["sites"], features, "run {run}");
        assert_eq!(h["rejected_layers"], serde_json::json!([]), "run {run}");
    }
    eprintln!("{RUNS} kills (one import: {whole:?}): {saw_old} left the old layer, {saw_new} the new one");
    assert_eq!(saw_old + saw_new, RUNS);
    assert!(saw_old > 0 && saw_new > 0, "the kills should fall on both sides of the rename");
    // Stale temp files of killed imports are cleared by the next import of the layer.
    common::server::import(data.path(), &old_csv, "sites");
    let leftovers: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}
