//! Listeners from C, IPv4 on lo in the runner's private namespace: packets
//! and their fields, callbacks that close and create (tests/c/listener.c),
//! filters (listener_filter.c), pull mode and mc_listen (listener_pull.c); joins and leaves as the kernel sees them
//! and the buffers (tests/c/membership.c); callbacks of mc_listener_next that
//! close (tests/c/pull_close.c). Natively, under valgrind, and built with
//! AddressSanitizer (support::ctest). The programs run in parallel: each owns
//! its groups and ports (listener 224.1.0.x:50xx).

mod support;
use support::*;

/// The listener programs, run one after the other (they share their groups
/// and ports).
const LISTENER: [&str; 3] = ["listener", "listener_filter", "listener_pull"];

#[test]
fn listener() {
    for program in LISTENER {
        CTest::new(program).valgrind().run();
    }
}

#[test]
fn listener_under_asan() {
    for program in LISTENER {
        CTest::new(program).asan().run();
    }
}

#[test]
fn membership_and_buffers() {
    CTest::new("membership").valgrind().run();
}

#[test]
fn pull_mode_callbacks_may_close() {
    CTest::new("pull_close").valgrind().run();
}

#[test]
fn pull_close_under_asan() {
    CTest::new("pull_close").asan().run();
}
