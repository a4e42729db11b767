//! libFuzzer target `csv_import`: see [`targets::csv_import`] (shared with `tests/fuzz.rs`).
#![no_main]

#[path = "../../tests/fuzz_targets/mod.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::csv_import(data));
