//! See concerts_model::fuzzing::rows.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| concerts_model::fuzzing::rows(data));
