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
    /// The number of operations in the document (`Selected: n/TOTAL`).
    selected_of: usize,
    /// Requests generated (`N generated, …`).
    generated: usize,
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
                selected_of: out
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("Selected:"))
                    .and_then(|v| v.trim().split('/').nth(1))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0),
                generated: out
                    .lines()
                    .find_map(|l| l.trim().split_once(" generated").map(|(n, _)| n.trim().to_owned()))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
                out,
            }
        })
        .collect();
    for r in &runs {
        assert!(r.ok, "schemathesis reported failures or errors:\n{}", r.out);
        assert!(!r.out.contains("Failures:") && !r.out.contains("Errors:"), "{}", r.out);
    }
    // Every operation of the document ran, in one run or the other, and the 50-example
    // budget was used (operations with few possible inputs, such as `/health`, take fewer).
    let total = runs[0].selected_of;
    assert!(total >= 25, "{}", runs[0].out);
    assert_eq!(runs[1].selected_of, total);
    assert_eq!(runs[0].tested + runs[1].tested, total, "{}\n{}", runs[0].out, runs[1].out);
    let generated = runs[0].generated + runs[1].generated;
    assert!(generated >= 40 * total, "only {generated} requests for {total} operations");
}
