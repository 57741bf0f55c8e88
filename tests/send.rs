//! Sending from C, IPv4 on lo in the runner's private namespace: mc_sendto,
//! mc_sendto_many and mc_sendto_opts (tests/c/send.c), multicasters
//! (tests/c/multicaster.c) and their counts past a packet the OS refuses
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

#[test]
fn multicaster() {
    CTest::new("multicaster").valgrind().run();
}

#[test]
fn multicaster_under_asan() {
    CTest::new("multicaster").asan().run();
}

#[test]
fn multicaster_counts() {
    CTest::new("multicaster_counts").valgrind().run();
}

#[test]
fn multicaster_counts_under_asan() {
    CTest::new("multicaster_counts").asan().run();
}
