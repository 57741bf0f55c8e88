//! Fuzz target: group, source and interface strings as the C setters receive them.
//! The harness is multicast::fuzzing::strings (shared with tests/fuzz_corpus.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(init: multicast::fuzzing::require_netns(), |data: &[u8]| multicast::fuzzing::strings(data));
