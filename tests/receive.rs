//! What comes with a packet, from C through libmulticast.so: receive
//! timestamps, the received TTL / hop limit, GRO runs split again into
//! datagrams (and senders' GSO as a GRO listener sees it), the DSCP a peer
//! reads, and the option setters of these. On lo (tests/c/receive.c, natively then under
//! valgrind) and over a veth pair against Python peers in the peer namespace
//! (tests/c/veth_ttl_dscp.c under tests/netns-veth: tests/peers/mcast.py and
//! a TOS receiver). Run: `cargo test --test receive -- --nocapture` to see
//! the figures.

mod support;
use support::*;

/// `receive CASE` on lo, bounded (120 s, valgrind 300 s), natively and under
/// valgrind.
fn on_lo(case: &str) -> CTest {
    CTest::new("receive").case(case).timeout(120).valgrind()
}

/// `veth_ttl_dscp CASE` under tests/netns-veth, bounded (60 s).
fn over_veth(case: &str) -> CTest {
    CTest::new("veth_ttl_dscp").case(case).veth().timeout(60)
}

/// timestamp_ns within a second of CLOCK_REALTIME around the send (the
/// figures are printed), nondecreasing over a burst, 0 when off; with GRO
/// every segment of a run carries the same stamp.
#[test]
fn receive_timestamps() {
    if !kernel::gso_and_gro() {
        return;
    }
    on_lo("timestamps").run();
}

/// The received TTL on lo (mc_sendto 7, default 1, mc_sendto_opts 200,
/// mc_sendto_many 9), also on a second group's socket and with timestamps on;
/// -1 when off.
#[test]
fn received_ttl_on_lo() {
    on_lo("ttl").run();
}

/// GRO runs split again at their segment size (a shorter last one
/// included), each datagram with its own size, len truncated at the mtu and
/// bytes; four listeners with GRO on/off and mtu 64/4096 on one poller.
#[test]
fn gro_runs_split() {
    if !kernel::gso_and_gro() {
        return;
    }
    on_lo("split").run();
}

/// Senders' GSO as a GRO listener on lo sees it: a multicaster with the
/// default opts sends a dispatch's packets as GSO runs (read coalesced);
/// with mc_opts_set_gso(o, 0), and mc_sendto_opts, ordinary datagrams. A
/// listener's defaults: GRO on, timestamp_ns 0, ttl -1.
#[test]
fn sender_gso_and_listener_defaults() {
    if !kernel::gso_and_gro() {
        return;
    }
    on_lo("gso").run();
}

/// mc_opts_set_gso/gro/timestamps/recv_ttl: 2, -1, 256 and NULL opts are
/// MC_EINVAL; tos 256 and -1 too; a refused value leaves the old one.
#[test]
fn opts_setters() {
    on_lo("opts").run();
}

/// Over veth: the TTL the Python peer sent (5, 3, 1), on two groups; -1 on a
/// listener that did not ask.
#[test]
fn veth_received_ttl() {
    over_veth("ttl-v4").run();
}

/// Over veth: tos 0xb8 from mc_sendto_opts and multicasters (GSO on and off),
/// 0 by default and from mc_sendto, 0x20 on another multicaster, as a Python
/// receiver with IP_RECVTOS reads them.
#[test]
fn veth_dscp_ipv4() {
    over_veth("tos-v4").run();
}

/// As veth_dscp_ipv4 for IPv6 (IPV6_RECVTCLASS).
#[test]
fn veth_dscp_ipv6() {
    over_veth("tos-v6").run();
}
