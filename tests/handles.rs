//! Handles from C (tests/c/handles.c): closed handles, mc_sendto_many's
//! checks, next inside callbacks, fork, timeouts - with flat RSS and fds over
//! 100,000 create/close cycles natively, fewer under valgrind and ASan.

mod support;
use support::*;

/// Natively with 100,000 create/close cycles, then under valgrind with 2,000
/// (and the RSS check off: MC_UNDER_VALGRIND).
#[test]
fn closed_handles_fork_timeouts() {
    CTest::new("handles")
        .valgrind()
        .valgrind_env("MC_TEST_CYCLES", "2000")
        .valgrind_env("MC_UNDER_VALGRIND", "1")
        .run();
}

/// Fewer cycles than natively; the RSS check is off (MC_UNDER_VALGRIND):
/// ASan's quarantine holds freed memory by design.
#[test]
fn handles_under_asan() {
    CTest::new("handles")
        .asan()
        .env("MC_TEST_CYCLES", "20000")
        .env("MC_UNDER_VALGRIND", "1")
        .run();
}
