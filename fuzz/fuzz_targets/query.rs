//! See concerts_gateway::fuzzing::query.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| concerts_gateway::fuzzing::query(data));
