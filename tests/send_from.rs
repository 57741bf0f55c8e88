//! mc_addr_format and mc_opts_set_send_from from C (tests/c/send_from.c on lo,
//! natively, under valgrind and with AddressSanitizer; send_from_veth.c over veth pairs, where the
//! independent peer tests/peers/mcast.py reports the source address and port).

mod support;
use support::*;

/// `send_from CASE` on lo, natively and under valgrind.
fn lo_case(case: &str) {
    CTest::new("send_from")
        .case(case)
        .timeout(60)
        .valgrind()
        .run();
}

/// mc_addr_format: "192.0.2.1:5000", "[ff05::1]:5000", "[fe80::1%lo]:5000", a
/// scope no interface has by its index, the longest text in MC_ADDR_STRLEN, a
/// buffer of exactly the text's size; one byte short: -ENOSPC with "" in buf;
/// len 0 writes nothing; NULL addr or buf, family 0 or AF_UNIX: MC_EINVAL.
#[test]
fn addr_format() {
    lo_case("format");
}

/// A listener sees the bound address and port as mc_packet.from (127.0.0.2:40101,
/// mc_sendto_opts and a multicaster; 127.0.0.3 with an ephemeral port); opts that
/// differ only in send-from never share a socket (each keeps its own port).
#[test]
fn send_from_ipv4() {
    lo_case("v4");
}

/// A listener of 239.9.9.2:5102 and a sender bound to any:5102 coexist; the
/// listener sees from.port 5102; the sender's socket queues none of the group's
/// traffic (/proc/net/udp rx_queue 0), which a plain socket bound the same way
/// gets (the control).
#[test]
fn send_from_shared_port() {
    lo_case("shared");
}

/// An address the host lacks: -EADDRNOTAVAIL naming it (mc_sendto_opts,
/// mc_multicaster_new, *out NULL); strings that are no unicast address (or a
/// link-local one without its scope, or a scope naming no interface):
/// MC_EADDRESS naming them, the opts unchanged; NULL opts: MC_EINVAL; an address
/// of the other family than the group: MC_EADDRESS naming both.
#[test]
fn send_from_refused() {
    lo_case("refused");
}

/// The lo cases built with AddressSanitizer (mc_addr_format writes into the
/// caller's buffer, up to its last byte).
#[test]
fn send_from_under_asan() {
    for case in ["format", "v4", "shared", "refused"] {
        CTest::new("send_from").case(case).timeout(60).asan().run();
    }
}

/// `send_from_veth CASE` under tests/netns-veth --two (bounded, 60 s).
fn veth_case(case: &str) {
    CTest::new("send_from_veth")
        .case(case)
        .timeout(60)
        .veth_two()
        .run();
}

/// IPv4 over veth, as mcast.py in the peer reports it: src 192.0.2.1 and the
/// bound port from mc0's address; from mc2's address (no interface set) the
/// datagram reaches mc2's peer, though the route to 224.0.0.0/4 is mc0's
/// (mc_sendto_opts and a multicaster).
#[test]
fn send_from_veth_ipv4() {
    veth_case("v4");
}

/// IPv6 link-local with its scope: "fe80::1%mc0" and "fe80::1%<index>" reach
/// mc0's peer, "fe80::3%mc2" mc2's, with src and port as bound (ff05::99, a
/// multicaster too; ff02::99 with the interface set).
#[test]
fn send_from_veth_link_local() {
    veth_case("ll6");
}

/// IPv6 global addresses without an interface: fd42::1 reaches mc0's peer,
/// fd43::1 mc2's, with src and port as bound.
#[test]
fn send_from_veth_ipv6() {
    veth_case("v6");
}
