//! Sending from C, IPv4 on lo in the runner's private namespace: mc_sendto,
//! mc_sendto_many and mc_sendto_opts (tests/c/send.c), multicasters (the
//! source's answers: tests/c/multicaster.c; closed or resumed from callbacks:
//! multicaster_callbacks.c; mc_multicaster_send and bad input:
//! multicaster_send.c) and their counts past a packet the OS refuses
//! (tests/c/multicaster_counts.c). Natively, under valgrind, and built with
//! AddressSanitizer (support::ctest). The programs run in parallel: each owns
//! its groups and ports (send 224.2.0.x:52xx plus the defaults
//! 224.0.42.42:4242, multicaster 224.3.0.x:54xx).

mod support;
use support::*;

#[test]
fn send() {
    CTest::new("send").valgrind().run();
}

#[test]
fn send_under_asan() {
    CTest::new("send").asan().run();
}

/// The multicaster programs, run one after the other.
const MULTICASTER: [&str; 3] = ["multicaster", "multicaster_callbacks", "multicaster_send"];

#[test]
fn multicaster() {
    for program in MULTICASTER {
        CTest::new(program).valgrind().run();
    }
}

#[test]
fn multicaster_under_asan() {
    for program in MULTICASTER {
        CTest::new(program).asan().run();
    }
}

#[test]
fn multicaster_counts() {
    CTest::new("multicaster_counts").valgrind().run();
}

#[test]
fn multicaster_counts_under_asan() {
    CTest::new("multicaster_counts").asan().run();
}
