//! The binary, run as a user would: exit codes, output, and errors naming file and line.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cluster-atlas"));
    c.current_dir(std::env::temp_dir()).env_remove("RUST_LOG");
    c
}

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["serve", "prepare-geodata", "reverse", "convert"] {
        let o = run(&[sub, "--help"]);
        assert!(o.status.success(), "{sub}");
        assert!(stdout(&o).contains("Usage: cluster-atlas"), "{sub}: {}", stdout(&o));
    }
}

#[test]
fn reverse_one_point_names_the_county() {
    let d = data();
    let o = run(&["reverse", "--data", d.to_str().unwrap(), "116.578", "38.076"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = stdout(&o);
    assert!(line.starts_with("130981\t泊头市\t沧州市\t河北省\tBotou"), "{line}");
}

#[test]
fn reverse_outside_every_county_exits_1() {
    let d = data();
    let o = run(&["reverse", "--data", d.to_str().unwrap(), "2.35", "48.85"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no county contains"));
}

#[test]
fn reverse_csv_appends_codes_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "name,lon,lat\nbotou,116.578,38.076\nparis,2.35,48.85\ntiananmen,116.3975,39.9087\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    let d = data();
    let o = run(&[
        "reverse",
        "--data",
        d.to_str().unwrap(),
        "--csv",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "name,lon,lat,county_code,county_name_zh,prefecture_code,prefecture_name_zh,province_code"
    );
    assert_eq!(lines[1], "botou,116.578,38.076,130981,泊头市,130900,沧州市,130000");
    assert_eq!(lines[2], "paris,2.35,48.85,,,,,");
    assert_eq!(lines[3], "tiananmen,116.3975,39.9087,110101,东城区,110100,北京市,110000");
}

#[test]
fn reverse_csv_errors_name_file_line_and_column_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.csv");
    // CRLF line ends, as spreadsheets write them: line numbers must still be right.
    std::fs::write(&input, "lon,lat\r\n116.5,38.0\r\nabc,38.0\r\n116.5,95\r\n").unwrap();
    let out = dir.path().join("out.csv");
    let d = data();
    let o = run(&[
        "reverse",
        "--data",
        d.to_str().unwrap(),
        "--csv",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.csv:3:1: column 'lon': 'abc' is not a number"), "{err}");
    assert!(err.contains("bad.csv:4: coordinate out of range: lat 95"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap_or_default(), "", "nothing written on error");
}

#[test]
fn convert_prints_the_converted_point() {
    let o = run(&["convert", "--from", "wgs84", "--to", "gcj02", "116.391349", "39.907375"]);
    assert!(o.status.success());
    let v: Vec<f64> = stdout(&o).split_whitespace().map(|s| s.parse().unwrap()).collect();
    assert!((v[0] - 116.397_590).abs() < 1e-5 && (v[1] - 39.908_776).abs() < 1e-5, "{v:?}");
    let o = run(&["convert", "--from", "mars", "--to", "wgs84", "1", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown datum 'mars'"), "{}", stderr(&o));
    let o = run(&["convert", "--from", "wgs84", "--to", "gcj02", "-200", "2"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn serve_with_a_missing_data_folder_fails_clearly() {
    let o = run(&["serve", "--data", "/nonexistent/geodata", "--addr", "127.0.0.1:0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/geodata"), "{}", stderr(&o));
}

#[test]
fn cluster_radius_outside_8_to_512_pixels_is_a_usage_error() {
    for (cmd, radius) in [("serve", "4"), ("serve", "600"), ("serve", "wide"), ("export-tiles", "7")] {
        let mut args = vec![cmd, "--cluster-radius", radius];
        if cmd == "export-tiles" {
            args.extend(["--layer", "clusters", "--maxzoom", "2", "--out", "never-written.pmtiles"]);
        } else {
            args.extend(["--addr", "127.0.0.1:0"]);
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{cmd} --cluster-radius {radius}");
        let err = stderr(&o);
        assert!(err.contains("--cluster-radius") && err.contains("8..=512"), "{err}");
    }
    assert!(!std::env::temp_dir().join("never-written.pmtiles").exists());
}
