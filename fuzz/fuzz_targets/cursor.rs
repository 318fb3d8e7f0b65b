//! See concerts_gateway::fuzzing::cursor.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| concerts_gateway::fuzzing::cursor(data));
