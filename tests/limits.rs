//! Request limits on the real binary: load shedding (503 + Retry-After once
//! `--max-in-flight` requests are being answered, a streamed body counting until sent),
//! the request time limit, `/health` exempt from both, and CORS for reading only.
#![allow(clippy::unwrap_used)]

mod common;
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

fn get(url: &str) -> ureq::http::Response<ureq::Body> {
    common::server::agent().get(url).call().unwrap()
}

fn assert_unavailable(mut r: ureq::http::Response<ureq::Body>) {
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u32>().unwrap() >= 1);
    let problem: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(problem["status"], 503);
    assert_eq!(problem["type"], "/problems/unavailable");
}

#[test]
fn a_request_beyond_max_in_flight_is_shed_until_the_streamed_body_is_sent() {
    let s = common::server::start_with(&common::geodata_dir(), &["--max-in-flight", "1"], Stdio::null());
    // A whole-layer answer read slowly holds the only permit while its body streams.
    let mut slow = get(&format!("{}/collections/counties/items?limit=10000", s.base));
    assert_eq!(slow.status(), 200);
    let mut reader = slow.body_mut().with_config().limit(1 << 30).reader();
    let mut buf = [0_u8; 4096];
    reader.read_exact(&mut buf).unwrap();
    assert_unavailable(get(&format!("{}/collections", s.base)));
    let mut health = get(&format!("{}/health", s.base));
    assert_eq!(health.status(), 200, "{}", health.body_mut().read_to_string().unwrap());
    // Once the body is read to its end the permit is free again.
    std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
    drop(reader);
    drop(slow);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = get(&format!("{}/collections", s.base));
        if r.status() == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still shed after the body was sent");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_request_over_the_time_limit_gets_503_and_health_still_answers() {
    let s = common::server::start_with(&common::geodata_dir(), &["--request-timeout", "1ms"], Stdio::null());
    // Counting 2,697 points into every resolution-8 H3 cell takes far longer than 1 ms.
    assert_unavailable(get(&format!("{}/density/h3?resolution=8", s.base)));
    assert_eq!(get(&format!("{}/health", s.base)).status(), 200);
}

#[test]
fn cors_allows_reading_from_any_origin_and_nothing_else() {
    let s = common::server::start();
    let r = common::server::agent()
        .get(format!("{}/collections", s.base))
        .header("origin", "https://example.org")
        .call()
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let pre = |method: &str| {
        common::server::agent()
            .options(format!("{}/reverse", s.base))
            .header("origin", "https://example.org")
            .header("access-control-request-method", method)
            .call()
            .unwrap()
    };
    let allowed = pre("GET");
    let methods = allowed.headers()["access-control-allow-methods"].to_str().unwrap().to_owned();
    assert!(methods.contains("GET") && methods.contains("HEAD"), "{methods}");
    assert!(!methods.contains("POST") && !methods.contains("DELETE"), "{methods}");
}
