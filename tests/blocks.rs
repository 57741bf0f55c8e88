//! Blocked sources of any-source groups from C through libmulticast.so
//! (mc_listener_block_source / mc_listener_unblock_source).
//!
//! tests/c/blocks.c runs on lo in the runner's namespace (natively, then
//! under valgrind; and built with ASan), its `limit` case in a namespace of
//! its own where it writes the per-namespace sysctls net.ipv4.igmp_max_msf
//! and igmp_max_memberships;
//! tests/c/blocks_veth.c under tests/netns-veth, where the blocks must survive
//! mc0 deleted and re-created, with the Python peer (tests/peers/mcast.py)
//! sending from two addresses.

mod support;
use support::*;

/// A case of tests/c/blocks.c on lo, bounded (120 s), natively and under valgrind.
fn case(case: &str) -> CTest {
    CTest::new("blocks").case(case).timeout(120).valgrind()
}

/// lo as tests/netns-run makes it, and a veth pair mcb0a/mcb0b up with MULTICAST.
const LO_AND_VETH: &str = "ip link set lo up multicast on
ip route add 224.0.0.0/4 dev lo src 127.0.0.1
ip link add mcb0a type veth peer name mcb0b
ip link set mcb0a up
ip link set mcb0b up";

/// A blocked source is silenced (3 datagrams from it, none delivered, while
/// another source's arrive) and /proc/net/mcfilter shows it excluded on lo;
/// unblocked, it arrives again; two blocked, a third source still arrives; a
/// second group of the listener is untouched; closing clears the filter.
#[test]
fn block_and_unblock_on_lo() {
    case("lo").run();
}

/// MC_EEXIST (blocked twice), MC_ENOTFOUND (group not held, source not
/// blocked), MC_EINVAL (group held source-specific, NULL group, source or
/// listener, never a handle), MC_EADDRESS (garbage, unicast group, multicast /
/// wildcard / empty source, the other family), MC_ECLOSED; messages name the
/// call and the value; the failures leave the one block as it was.
#[test]
fn block_errors() {
    case("errors").run();
}

/// Blocking and unblocking from inside on_packet.
#[test]
fn block_inside_callback() {
    case("callback").run();
}

/// mc_listener_drop_group forgets the group's blocks (the kernel's too);
/// added again, the group has none and can be blocked again; another group's
/// block stays.
#[test]
fn drop_group_forgets_blocks() {
    case("drop").run();
}

/// In a namespace of its own, igmp_max_msf 2: the third block is -ENOBUFS
/// naming net.ipv4.igmp_max_msf and "is 2 here", and applied nowhere (the
/// source still arrives, /proc/net/mcfilter lacks it); igmp_max_memberships 1
/// and "*" spread the group over 3 sockets (lo, mcb0a, mcb0b): each holds the
/// blocks.
#[test]
fn block_limit_igmp_max_msf() {
    case("limit").fresh_netns(LO_AND_VETH).run();
}

/// IPv6 on lo: the other family is MC_EADDRESS both ways; blocks up to the
/// kernel's net.ipv6.mld_max_msf (a sysctl of the initial namespace only: not
/// settable here, 64 by default), then -ENOBUFS naming it, the refused source
/// nowhere in /proc/net/mcfilter6; all unblocked.
#[test]
fn block_ipv6_on_lo_and_mld_max_msf() {
    let disabled = std::fs::read_to_string("/proc/sys/net/ipv6/conf/lo/disable_ipv6");
    if disabled.ok().as_deref().map(str::trim) != Some("0") {
        record_skip(
            "no IPv6 on lo in this namespace (/proc/sys/net/ipv6/conf/lo/disable_ipv6)",
            "kernel\tIPv6 on lo\t/proc/sys/net/ipv6/conf/lo/disable_ipv6",
        );
        return;
    }
    case("v6").run();
}

/// `CASE` of tests/c/blocks_veth.c under tests/netns-veth, bounded (120 s).
fn veth(case: &str) {
    CTest::new("blocks_veth")
        .case(case)
        .veth()
        .timeout(120)
        .run();
}

/// A listener on "mc0" blocks 192.0.2.2 (the Python peer sends from .2 and
/// .3): silenced while .3 arrives; mc0 deleted and re-created twice, the
/// block is on the new mc0 (/proc/net/mcfilter) and .2 still silenced, .3
/// still arriving; unblocked, .2 arrives, and still after one more re-creation.
#[test]
fn block_survives_recreation_ipv4() {
    veth("v4");
}

/// As block_survives_recreation_ipv4 for IPv6 (ff05::46:9, fd42::2 blocked,
/// fd42::3 arriving; /proc/net/mcfilter6).
#[test]
fn block_survives_recreation_ipv6() {
    veth("v6");
}

/// As block_survives_recreation_ipv4 for a listener on "*" (lo and mc0).
#[test]
fn block_survives_recreation_star() {
    veth("star");
}

/// The cases on lo built with AddressSanitizer.
#[test]
fn blocks_under_asan() {
    for c in ["lo", "errors", "callback", "drop"] {
        CTest::new("blocks").case(c).asan().run();
    }
}
