//! See concerts_gateway::fuzzing::import.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| concerts_gateway::fuzzing::import(data));
