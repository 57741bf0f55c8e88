//! The C API on the wire, tested from C: listeners (filters, pull mode,
//! mc_listen), sending, and multicasters. Each tests/c/test_*.c program is
//! compiled against include/multicast.h, linked to the built libmulticast.so
//! and run inside the private namespace the runner made (IPv4 on lo). The
//! programs run in parallel: each owns its groups and ports (listener
//! 224.1.0.x:50xx, send 224.2.0.x:52xx plus the defaults 224.0.42.42:4242,
//! multicaster 224.3.0.x:54xx).

mod support;
use support::*;

#[test]
fn c_listener() {
    require_netns();
    let bin = compile("test_listener", &["tests/c/test_listener.c"]);
    run_c_test(&bin, true);
}

#[test]
fn c_send() {
    require_netns();
    let bin = compile("test_send", &["tests/c/test_send.c"]);
    run_c_test(&bin, true);
}

#[test]
fn c_multicaster() {
    require_netns();
    let bin = compile("test_multicaster", &["tests/c/test_multicaster.c"]);
    run_c_test(&bin, true);
}
