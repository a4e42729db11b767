//! Bounded memory per request: many concurrent requests for whole layers (each answer
//! ~100 MB of GeoJSON) are streamed, so the server's peak resident memory stays far below
//! what holding the bodies would take (32 × 105 MB). Measured from `/proc` on the real
//! binary; a memory ceiling, not a timing.
#![allow(clippy::unwrap_used)]

mod common;
use std::io::Read;

/// `VmHWM` (peak resident set) or `VmRSS` of a process, in MiB.
fn memory_mib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

/// GETs `url` and returns (status, body bytes), reading the body without keeping it.
fn fetch_len(agent: &ureq::Agent, url: &str) -> (u16, u64) {
    let mut r = agent.get(url).call().unwrap();
    let status = r.status().as_u16();
    let mut reader = r.body_mut().with_config().limit(1 << 30).reader();
    let mut buf = vec![0_u8; 1 << 16];
    let mut n = 0_u64;
    loop {
        let k = reader.read(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        n += k as u64;
    }
    (status, n)
}

#[test]
fn thirty_two_concurrent_whole_layer_requests_stay_under_600_mib() {
    // One encoder thread per request: this measures memory, not queueing (with fewer
    // threads the later requests wait for a thread and may meet the time limit).
    let server = common::server::start_with(
        &common::geodata_dir(),
        &["--blocking-threads", "32", "--request-timeout", "300s"],
        std::process::Stdio::null(),
    );
    let pid = server.pid();
    let start = memory_mib(pid, "VmRSS");
    let urls = [
        format!("{}/collections/counties/items?limit=10000", server.base),
        format!("{}/density?level=county&all=true&geometry=true", server.base),
    ];
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let url = urls[usize::from(i % 4 == 3)].clone();
            std::thread::spawn(move || fetch_len(&common::server::agent(), &url))
        })
        .collect();
    for h in handles {
        let (status, bytes) = h.join().unwrap();
        assert_eq!(status, 200);
        assert!(bytes > 50_000_000, "a whole layer is tens of MB, got {bytes}");
    }
    let peak = memory_mib(pid, "VmHWM");
    println!("server RSS at start {start} MiB, peak during 32 concurrent whole-layer requests {peak} MiB");
    assert!(peak < 600, "peak resident memory {peak} MiB (started at {start} MiB)");
    // Still serving, and the bodies are complete JSON.
    let (status, _) = fetch_len(&common::server::agent(), &format!("{}/health", server.base));
    assert_eq!(status, 200);
    let mut r = common::server::agent()
        .get(format!("{}/collections/counties/items?limit=10000", server.base))
        .call()
        .unwrap();
    let text = r.body_mut().with_config().limit(1 << 30).read_to_string().unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["numberReturned"], 2875);
    assert_eq!(v["features"].as_array().unwrap().len(), 2875);
}
