//! The C API tested from C: each tests/c/*.c program is compiled against
//! include/multicast.h, linked to the built libmulticast.so and run (inside
//! the private namespace the runner made).

mod support;
use support::*;

#[test]
fn c_poller_errors_version() {
    require_netns();
    let bin = compile("test_poller", &["tests/c/test_poller.c"]);
    run_c_test(&bin, true);
}

#[test]
fn c_opts() {
    require_netns();
    let bin = compile("test_opts", &["tests/c/test_opts.c"]);
    run_c_test(&bin, true);
}

#[test]
fn header_compiles_as_cxx() {
    require_netns();
    let bin = compile("test_header_cxx", &["tests/c/test_header.cpp"]);
    run_c_test(&bin, false);
}

#[test]
fn c_membership_and_buffers() {
    require_netns();
    let bin = compile("test_membership", &["tests/c/test_membership.c"]);
    run_c_test(&bin, true);
}

#[test]
fn c_multicaster_counts() {
    require_netns();
    let bin = compile("test_counts", &["tests/c/test_counts.c"]);
    run_c_test(&bin, true);
}

#[test]
fn c_pull_mode_callbacks_may_close() {
    require_netns();
    let bin = compile("test_pull_close", &["tests/c/test_pull_close.c"]);
    run_c_test(&bin, true);
}

/// The 0.1 reliability defects (closed handles, mc_sendto_many checks, next
/// inside callbacks, fork, timeouts), natively with 100,000 create/close
/// cycles, then under valgrind with fewer.
#[test]
fn c_closed_handles_fork_timeouts() {
    require_netns();
    let bin = compile("test_handles", &["tests/c/test_handles.c"]);
    run_ok(&mut std::process::Command::new(&bin));
    assert!(have("valgrind"), "valgrind is required by make test");
    run_ok(
        std::process::Command::new("valgrind")
            .args([
                "-q",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
                "--error-exitcode=1",
            ])
            .arg(&bin)
            .env("MC_TEST_CYCLES", "2000")
            .env("MC_UNDER_VALGRIND", "1"),
    );
}
