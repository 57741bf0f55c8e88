//! The received TTL / hop limit through the library across a multicast
//! router (smcrouted) joining two Ethernet segments, built by
//! tests/netns-routed inside the runner's private namespace (nothing is ever
//! sent from this machine's own network namespace): mcsend of examples-c/ on
//! ha (segment A) sends with TTL / hop limit 5, mclisten -t on hb (segment B)
//! reads 4.
//!
//! Each test re-runs itself (alone) inside `tests/netns-routed`
//! (tests/support/routed.rs). Needs smcroute and tshark (apt-get install
//! smcroute tshark); without them the tests print "SKIPPED: ..." and pass,
//! unless MC_REQUIRE_ALL=1 (CI), where they fail. The router needs multicast
//! routing in the kernel (CONFIG_IP_MROUTE, CONFIG_IPV6_MROUTE), probed with
//! MRT_INIT / MRT6_INIT first: a kernel without it skips these tests, also
//! under MC_REQUIRE_ALL=1. Run: `cargo test --test routed_received_ttl --
//! --nocapture` for the figures.

mod support;

use std::time::Duration;

use support::process::*;
use support::routed::*;

/// The received TTL / hop limit through the library (mc_opts_set_recv_ttl,
/// shown by mclisten -t) after one router: sent with 5, received with 4.
fn received_ttl_after_router(group: &str) {
    let mut lib = Proc::start(
        on(
            "hb",
            bin("mclisten"),
            &["-t", "-i", "mc0", "-n", "1", "-w", "10000", group, PORT],
        ),
        b"",
    );
    lib.wait_stderr("mclisten: listening on", Duration::from_secs(10));
    send_from_a(group, 5, "ttl5");
    let d = lib.finish(LIMIT).expect(0);
    let line = d
        .out_lines()
        .into_iter()
        .find(|l| l.contains("ttl5"))
        .unwrap_or_else(|| panic!("no datagram on hb: {}", d.context()))
        .to_string();
    assert!(
        line.contains(" ttl 4"),
        "sent with 5, after one router: {line}"
    );
    println!("routed: {group}: sent with TTL 5, the library on segment B read {line:?}");
}

#[test]
fn routed_received_ttl_ipv4() {
    if rerun_routed("routed_received_ttl_ipv4", Router::Yes) {
        return;
    }
    received_ttl_after_router("239.1.2.5");
}

#[test]
fn routed_received_hop_limit_ipv6() {
    if rerun_routed("routed_received_hop_limit_ipv6", Router::Yes) {
        return;
    }
    received_ttl_after_router("ff05::4245");
}
