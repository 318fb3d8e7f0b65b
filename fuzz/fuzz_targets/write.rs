//! See concerts_gateway::fuzzing::write.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| concerts_gateway::fuzzing::write(data));
