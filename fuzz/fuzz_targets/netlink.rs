//! Fuzz target: rtnetlink events and route replies (netlink::parse_events, parse_route_reply).
//! The harness is multicast::fuzzing::netlink (shared with tests/fuzz_corpus.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| multicast::fuzzing::netlink(data));
