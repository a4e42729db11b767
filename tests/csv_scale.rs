//! Large CSV files (issue 15): `reverse --csv` and `import` read them in one pass, and
//! errors deep in a file still name the right line. Runs the real binary.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn geodata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cluster-atlas"))
        .current_dir(std::env::temp_dir())
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .unwrap()
}

fn reverse(input: &Path, out: &Path) -> Output {
    let data = geodata();
    run(&[
        "reverse".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--csv".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
}

/// Deterministic pseudo-random numbers in 0..1 (64-bit LCG, top 53 bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

// Botou (泊头市 130981) and Tiananmen (东城区 110101), WGS84.
const BOTOU: (&str, &str) = ("116.578", "38.076");
const TIANANMEN: (&str, &str) = ("116.3975", "39.9087");

/// Data row `i` (1-based) of a generated file: a point inside China's bounding box, with
/// the known points at rows 1, 100,000 and 200,000. Every 1,000th name is quoted and holds
/// a comma; none holds a line end (so row `i` is on line `i + 1`).
fn row(rng: &mut Lcg, i: usize) -> String {
    let (lon, lat) = match i {
        1 | 200_000 => (BOTOU.0.to_owned(), BOTOU.1.to_owned()),
        100_000 => (TIANANMEN.0.to_owned(), TIANANMEN.1.to_owned()),
        _ => (
            format!("{:.5}", 97.0 + 25.0 * rng.next()),
            format!("{:.5}", 22.0 + 20.0 * rng.next()),
        ),
    };
    let name = if i % 1000 == 0 {
        format!("\"厂{i}, 甲\"")
    } else {
        format!("厂{i}")
    };
    format!("p{i},{name},{lon},{lat}")
}

#[test]
fn reverse_csv_of_200k_rows_keeps_every_row_in_order() {
    const ROWS: usize = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.csv");
    let mut rng = Lcg(15);
    let mut text = String::from("id,name,lon,lat\n");
    let mut points = Vec::with_capacity(ROWS);
    for i in 1..=ROWS {
        let r = row(&mut rng, i);
        let mut fields = r.rsplitn(3, ',');
        let lat: f64 = fields.next().unwrap().parse().unwrap();
        let lon: f64 = fields.next().unwrap().parse().unwrap();
        points.push((lon, lat));
        writeln!(text, "{r}").unwrap();
    }
    std::fs::write(&input, &text).unwrap();
    let out = dir.path().join("out.csv");
    let o = reverse(&input, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut reader = csv::Reader::from_path(&out).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "name",
            "lon",
            "lat",
            "county_code",
            "county_name_zh",
            "prefecture_code",
            "prefecture_name_zh",
            "province_code"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), ROWS, "one output row per input row");
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.len(), 9, "row {}", i + 1);
        assert_eq!(&r[0], format!("p{}", i + 1), "rows keep their order");
    }
    let botou = ["116.578", "38.076", "130981", "泊头市", "130900", "沧州市", "130000"];
    let tiananmen = ["116.3975", "39.9087", "110101", "东城区", "110100", "北京市", "110000"];
    assert_eq!(records[0].iter().skip(2).collect::<Vec<_>>(), botou);
    assert_eq!(records[99_999].iter().skip(2).collect::<Vec<_>>(), tiananmen);
    assert_eq!(records[ROWS - 1].iter().skip(2).collect::<Vec<_>>(), botou);
    assert_eq!(&records[999][1], "厂1000, 甲", "quoted fields survive");

    // A sample of the random rows answers as one-point look-ups through the library do.
    let atlas = cluster_atlas::load::load_dir(&geodata()).unwrap();
    let county = cluster_atlas::model::AdminLevel::County;
    let mut inside = 0;
    for i in (0..ROWS).step_by(997) {
        let (lon, lat) = points[i];
        let expected = cluster_atlas::analysis::reverse_geocode(&atlas, county, lon, lat).unwrap();
        let code = expected.map(|u| u.code.to_string()).unwrap_or_default();
        assert_eq!(&records[i][4], code, "row {} ({lon}, {lat})", i + 1);
        inside += usize::from(expected.is_some());
    }
    assert!(inside > 100, "most sampled points fall in a county: {inside}");
}

/// A 160,000-row CRLF file whose line 150,001 has `bad` as its fields, after a quoted field
/// spanning two lines and a blank line (so lines and records differ).
fn file_with_bad_line(dir: &Path, bad: &str) -> PathBuf {
    let mut rng = Lcg(150_001);
    let mut text = String::from("id,name,lon,lat\r\n");
    let mut line = 2;
    let mut i = 1;
    while line <= 160_000 {
        if line == 150_001 {
            text.push_str(bad);
            text.push_str("\r\n");
            line += 1;
        } else if line == 500 {
            text.push_str("\r\n");
            line += 1;
        } else if line == 1000 {
            text.push_str("q1000,\"两\r\n行\",116.5,38.0\r\n");
            line += 2;
        } else {
            text.push_str(&row(&mut rng, i));
            text.push_str("\r\n");
            line += 1;
        }
        i += 1;
    }
    let p = dir.join("in").join("deep.csv");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_bad_row_deep_in_a_big_file_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = file_with_bad_line(dir.path(), "p-bad,坏,abc,38.0");
    let out = dir.path().join("out.csv");
    let o = reverse(&input, &out);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    let expected = format!("{}:150001:3: column 'lon': 'abc' is not a number", input.display());
    assert!(err.contains(&expected), "missing '{expected}' in:\n{err}");
    assert!(err.contains("1 problem(s)"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap_or_default(), "", "nothing written on error");

    // `import` reads CSV the same way: a row with a field too many.
    let input = file_with_bad_line(dir.path(), "p-bad,坏,116.5,38.0,extra");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in ["provinces.fgb", "prefectures.fgb", "counties.fgb"] {
        std::os::unix::fs::symlink(geodata().join(f), data.join(f)).unwrap();
    }
    let o = run(&[
        "import".as_ref(),
        input.as_os_str(),
        "--layer".as_ref(),
        "deep".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let expected = format!("{}:150001:5: 5 fields where the header has 4", input.display());
    assert!(err.contains(&expected), "missing '{expected}' in:\n{err}");
    assert!(!data.join("deep.geojson").exists());
}
