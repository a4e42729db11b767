//! Graceful shutdown of the real binary: on SIGTERM or SIGINT a whole-layer answer already
//! streaming completes, new connections are refused, and the process exits 0; a client that
//! never reads is cut off after `--shutdown-timeout`.
#![allow(clippy::unwrap_used)]

mod common;
use std::io::Read;
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn refuses_connections(base: &str) -> bool {
    let addr = base.trim_start_matches("http://");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn in_flight_request_completes_after(signal: &str) {
    let mut s = common::server::start_with(&common::geodata_dir(), &["--reload-every", "0"], Stdio::null());
    let mut big = common::server::agent()
        .get(format!("{}/collections/counties/items?limit=10000", s.base))
        .call()
        .unwrap();
    assert_eq!(big.status(), 200);
    let mut reader = big.body_mut().with_config().limit(1 << 30).reader();
    let mut body = vec![0_u8; 64 * 1024];
    reader.read_exact(&mut body).unwrap();
    s.signal(signal);
    assert!(refuses_connections(&s.base), "still accepting connections after SIG{signal}");
    assert!(s.wait_exit(Duration::from_millis(200)).is_none(), "exited with a request in flight");
    reader.read_to_end(&mut body).unwrap();
    let whole: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(whole["features"].as_array().unwrap().len(), 2875);
    let status = s.wait_exit(Duration::from_secs(60)).expect("exits once the answer is sent");
    assert_eq!(status.code(), Some(0), "SIG{signal}");
}

#[test]
fn sigterm_lets_the_streamed_answer_finish_refuses_new_connections_and_exits_0() {
    in_flight_request_completes_after("TERM");
}

#[test]
fn sigint_does_the_same() {
    in_flight_request_completes_after("INT");
}

#[test]
fn a_client_that_stops_reading_is_cut_off_after_the_shutdown_timeout() {
    let mut s = common::server::start_with(
        &common::geodata_dir(),
        &["--reload-every", "0", "--shutdown-timeout", "1s"],
        Stdio::null(),
    );
    let mut big = common::server::agent()
        .get(format!("{}/collections/counties/items?limit=10000", s.base))
        .call()
        .unwrap();
    let mut head = [0_u8; 1024];
    big.body_mut().as_reader().read_exact(&mut head).unwrap();
    s.signal("TERM");
    // The body is never read further: the server must not wait for it forever.
    let status = s.wait_exit(Duration::from_secs(60)).expect("exits after --shutdown-timeout");
    assert_eq!(status.code(), Some(0));
    drop(big);
}
