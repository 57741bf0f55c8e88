//! Fuzz target: control messages (cmsg::parse).
//! The harness is multicast::fuzzing::cmsg (shared with tests/fuzz_corpus.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| multicast::fuzzing::cmsg(data));
