//! The C API over veth pairs: what lo cannot show (IP_MULTICAST_LOOP=0, IPv6,
//! ff02:: scope ids, "*" joins on several links, SSM, the TTL a peer sees).
//! Run: `cargo test --test veth -- --nocapture` (needs python3, iproute2,
//! util-linux).
//!
//! Each test runs `tests/netns-veth [--two] PROGRAM CASE` (through
//! support::ctest) of a C program of one behaviour: tests/c/veth.c (loopback,
//! TTL), veth_ipv6.c (IPv6, ff02::), veth_star.c ("*" on two links) and
//! veth_ssm.c (SSM), with their shared side in tests/c/veth.h and peer.h.
//! netns-veth makes a fresh network namespace inside the runner's private one,
//! with mc0 here and mc1 in a peer netns (--two: mc2 here, mc3 in a second
//! peer). The C program is the library's user; the other end is the independent
//! peer tests/peers/mcast.py, run in the peer netns with nsenter.

mod support;
use support::*;

/// `PROGRAM CASE` (tests/c/PROGRAM.c) under tests/netns-veth (`two`: --two),
/// bounded (60 s).
fn veth_case(program: &str, case: &str, two: bool) {
    let t = CTest::new(program).case(case).timeout(60);
    if two { t.veth_two() } else { t.veth() }.run();
}

/// IP_MULTICAST_LOOP on a veth: off = this host's listener gets nothing within
/// 300 ms while the peer gets the packet (mc_sendto_opts and a multicaster);
/// on (explicit, and the default with mc_sendto) = both get it, with
/// from 192.0.2.1, group 239.1.2.3:5001 and ifindex = mc0.
#[test]
fn veth_loopback_off_and_on() {
    veth_case("veth", "loop", false);
}

/// IPv6 on a link (ff05::, ff15::, ff0e::; interface by name, index and
/// address): a packet from the peer arrives with from fd42::2 (or fe80::2
/// with scope_id = mc0's index), group = the group and port (scope 0),
/// ifindex = mc0; ours reaches the peer; loopback on/off as for IPv4.
#[test]
fn veth_ipv6_groups() {
    veth_case("veth_ipv6", "v6", false);
}

/// ff02:: needs an interface (mc_listener_new: MC_EADDRESS with a message
/// naming the group; a send fails too); with mc0 (by name, and by its
/// address) packets from the peer carry from fe80::2 and group ff02:: with
/// scope_id = ifindex = mc0's index; ours reach the peer.
#[test]
fn veth_ff02_link_local() {
    veth_case("veth_ipv6", "ff02", false);
}

/// Interface "*" on two links, IPv4 (239.7.7.7): a listener gets each peer's
/// packets (8 each, from distinct source ports) with the ifindex of the link
/// they came on; a listener on "mc0" gets only mc0's; neither gets another
/// group's datagram or a unicast one to the same port.
#[test]
fn veth_star_ipv4() {
    veth_case("veth_star", "star-v4", true);
}

/// As veth_star_ipv4 for ff05::4344.
#[test]
fn veth_star_ipv6() {
    veth_case("veth_star", "star-v6", true);
}

/// As veth_star_ipv4 for ff02::4343, where also from.scope_id and
/// group.scope_id are the index of the arrival link.
#[test]
fn veth_star_ff02() {
    veth_case("veth_star", "star-ff02", true);
}

/// SSM, IPv4 (232.1.1.1 from 192.0.2.2): only the chosen source's packet
/// arrives - alone, and next to a listener of any source on the same
/// group:port, which gets all (the control); a source of the other family
/// (fd42::2) is MC_EADDRESS.
#[test]
fn veth_ssm_ipv4() {
    veth_case("veth_ssm", "ssm-v4", false);
}

/// As veth_ssm_ipv4 for ff3e::1234 from fd42::2 (other family: 192.0.2.2).
#[test]
fn veth_ssm_ipv6() {
    veth_case("veth_ssm", "ssm-v6", false);
}

/// The TTL / hop limit the peer receives is the one asked for: 1, 32, 255
/// (mc_sendto_opts), 7 and the default 1 (mc_sendto), 64 (a multicaster);
/// IPv6 hop limits 1, 32, 255, 9, 128.
#[test]
fn veth_ttl_and_hop_limit() {
    veth_case("veth", "ttl", false);
}

/// The topology netns-veth promises, as its environment describes it.
#[test]
fn veth_topology() {
    let script = r#"
        set -e
        fail() { echo "FAIL: $*" >&2; exit 1; }
        [ "$MC_IFINDEX" = "$(cat /sys/class/net/mc0/ifindex)" ] || fail MC_IFINDEX
        [ "$MC_IF2INDEX" = "$(cat /sys/class/net/mc2/ifindex)" ] || fail MC_IF2INDEX
        ip -o addr show dev mc0 | grep -q 'inet 192.0.2.1/24' || fail mc0 v4
        ip -o addr show dev mc0 | grep -q 'inet6 fd42::1/64' || fail mc0 ula
        ip -o addr show dev mc0 | grep -q 'inet6 fe80::1/64' || fail mc0 ll
        ip -o addr show dev mc0 | grep -q tentative && fail mc0 tentative
        ip route show 224.0.0.0/4 | grep -q 'dev mc0' || fail route
        ip -o addr show dev mc2 | grep -q 'inet 198.51.100.1/24' || fail mc2 v4
        nsenter -t "$MC_PEER_PID" -n ip -o addr show dev mc1 | grep -q 'inet 192.0.2.2/24' || fail mc1
        nsenter -t "$MC_PEER_PID" -n ip -o addr show dev mc1 | grep -q 'inet6 fe80::2/64' || fail mc1 ll
        nsenter -t "$MC_PEER_PID" -n ip route show 224.0.0.0/4 | grep -q 'dev mc1' || fail mc1 route
        nsenter -t "$MC_PEER2_PID" -n ip -o addr show dev mc3 | grep -q 'inet6 fd43::2/64' || fail mc3
        [ "$(readlink /proc/$MC_PEER_PID/ns/net)" != "$(readlink /proc/self/ns/net)" ] || fail peer netns
        [ "$(readlink /proc/$MC_PEER2_PID/ns/net)" != "$(readlink /proc/$MC_PEER_PID/ns/net)" ] || fail peer2 netns
        echo topology ok
    "#;
    let o = CTest::command(&["bash", "-c", script])
        .veth_two()
        .timeout(60)
        .run()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("topology ok"));
}

/// netns-veth refuses to run outside tests/netns-run (MC_NETNS != 1), before
/// it touches anything.
#[test]
fn veth_script_refuses_outside_runner() {
    assert_refuses_outside_runner("tests/netns-veth");
}
