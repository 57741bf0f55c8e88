//! Fuzz target: filter patterns with ${ip}, ${port}, ${mtu} (filter::compile).
//! The harness is multicast::fuzzing::filter (shared with tests/fuzz_corpus.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| multicast::fuzzing::filter(data));
