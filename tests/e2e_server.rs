//! End to end: the real binary serving on an ephemeral loopback port, a real HTTP client.
#![allow(clippy::unwrap_used)]

mod common;
use common::server::{agent, start};

#[test]
fn serves_reverse_geocoding_over_http() {
    let s = start();
    let a = agent();
    let mut r = a.get(format!("{}/reverse?lon=116.3975&lat=39.9087", s.base)).call().unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v["properties"]["code"], "110101");
    assert_eq!(v["properties"]["name_zh"], "东城区");

    let mut r = a.get(format!("{}/reverse?lon=abc&lat=39.9087", s.base)).call().unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers().get("content-type").unwrap(), "application/problem+json");
    let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v["parameter"], "lon");

    let mut r = a.get(format!("{}/health", s.base)).call().unwrap();
    let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v["layers"]["counties"], 2875);

    let r = a
        .get(format!("{}/reverse?lon=116.3975&lat=39.9087", s.base))
        .header("accept-encoding", "gzip")
        .call()
        .unwrap();
    assert_eq!(r.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));

    let r = a
        .post(format!("{}/reverse", s.base))
        .header("content-type", "application/json")
        .send(r#"{"points": [[116.578, 38.076]]}"#)
        .unwrap();
    assert_eq!(r.status(), 200);
}
