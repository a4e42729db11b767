//! schemathesis (pinned, installed by `scripts/setup --test`) against the real binary's
//! `/api`: every check (`--checks all`), at least 50 generated requests per operation, a
//! fixed seed. Any 5xx, response outside the document, request the document allows but
//! the server refuses (or the reverse), or crash fails the test.
//!
//! The operations run as two schemathesis processes at once (the OGC collections, and
//! the rest), one worker each: schemathesis' own threads trip a CPython 3.11 AST bug.
#![allow(clippy::unwrap_used)]

mod common;
use std::path::PathBuf;
use std::process::Command;

/// Requests generated per operation (`--max-examples`).
const EXAMPLES: &str = "50";

/// The runner script, which also loads tests/schemathesis/hooks.py.
fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/schemathesis")
}

/// What one schemathesis run reported.
struct Run {
    ok: bool,
    tested: usize,
    out: String,
}

fn summary_number(out: &str, label: &str) -> usize {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|v| v.trim().split(['/', ' ']).next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn schemathesis_finds_no_failure_of_any_check() {
    let s = common::server::start();
    let spawn = |filter: &[&str]| {
        Command::new(script())
            .arg(&s.base)
            .args(["--max-examples", EXAMPLES, "--seed", "20261202", "--workers", "1"])
            .args(filter)
            .output()
            .unwrap()
    };
    let collections = ["--include-path-regex", "^/collections"];
    let rest = ["--exclude-path-regex", "^/collections"];
    let (a, b) = std::thread::scope(|t| {
        let a = t.spawn(|| spawn(&collections));
        let b = t.spawn(|| spawn(&rest));
        (a.join().unwrap(), b.join().unwrap())
    });
    let runs: Vec<Run> = [a, b]
        .into_iter()
        .map(|o| {
            let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            Run {
                ok: o.status.success(),
                tested: summary_number(&out, "Tested:"),
                out,
            }
        })
        .collect();
    for r in &runs {
        assert!(r.ok, "schemathesis reported failures or errors:\n{}", r.out);
        assert!(!r.out.contains("Failures:") && !r.out.contains("Errors:"), "{}", r.out);
    }
    // Every documented operation ran, in one run or the other.
    let text = common::server::agent()
        .get(format!("{}/api", s.base))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(runs[0].tested + runs[1].tested, operations, "{}\n{}", runs[0].out, runs[1].out);
    assert!(operations >= 25);
}
