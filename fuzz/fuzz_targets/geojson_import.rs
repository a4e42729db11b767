//! libFuzzer target `geojson_import`: see [`targets::geojson_import`] (shared with `tests/fuzz.rs`).
#![no_main]

#[path = "../../tests/fuzz_targets/mod.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::geojson_import(data));
