//! Bounded stress of the C API (tests/c/stress.c, through support::ctest) in the private
//! namespace of the runner: a flood of 1,000,000 datagrams from 8 sender
//! threads to 8 groups, every one delivered or counted as a kernel drop;
//! 1000 listeners on one poller, each with its own datagram, and the fds
//! back where they were. The figures (datagrams/s, drops, times) are
//! printed; none is asserted. (Flat RSS and fds over 100,000 create/close
//! cycles: tests/c/handles.c.)

mod support;

use std::sync::Mutex;

use support::*;

/// One at a time: the figures of one are not the other's load, and the
/// flood has both cores.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `stress MODE`; its report goes past the harness's capture.
fn stress(mode: &str) {
    use std::io::Write;
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let o = CTest::new("stress").case(mode).run().unwrap();
    let _ = std::io::stderr().write_all(&o.stdout);
}

#[test]
fn stress_flood_8_senders_8_groups() {
    stress("flood");
}

#[test]
fn stress_1000_listeners_one_poller() {
    stress("many");
}
