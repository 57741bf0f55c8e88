//! The C API's base from C: the poller, errors and the version
//! (tests/c/poller.c), every mc_opts_* function (tests/c/opts.c), and the
//! header compiled as C++ (tests/c/header.cpp). Each program is compiled
//! against include/multicast.h, linked to the built libmulticast.so and run
//! in the runner's private namespace (support::ctest), natively, under
//! valgrind, and built with AddressSanitizer.

mod support;
use support::*;

#[test]
fn poller_errors_version() {
    CTest::new("poller").valgrind().run();
}

#[test]
fn poller_under_asan() {
    CTest::new("poller").asan().run();
}

#[test]
fn opts_every_function() {
    CTest::new("opts").valgrind().run();
}

#[test]
fn opts_under_asan() {
    CTest::new("opts").asan().run();
}

#[test]
fn header_compiles_as_cxx() {
    CTest::new("header").sources(&["tests/c/header.cpp"]).run();
}
