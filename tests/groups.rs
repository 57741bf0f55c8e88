//! Several groups per listener from C through libmulticast.so: spread over
//! more sockets past the kernel's per-socket limits, added and dropped inside
//! callbacks, bad input, the limits themselves, "*" on more interfaces than
//! one socket may join; every listener case with GRO on and off.
//!
//! tests/c/groups.c and tests/c/groups_edit.c run on lo in the runner's
//! namespace (natively, then under valgrind; and built with ASan);
//! tests/c/groups_limits.c in a network namespace of its own, nested in the
//! runner's: `limit` writes the per-namespace sysctls
//! net.ipv4.igmp_max_memberships / igmp_max_msf, `star` makes 25 veth pairs.
//! IPv6 groups run over a veth pair (tests/c/veth_ttl_dscp.c under
//! tests/netns-veth, against the Python peer tests/peers/mcast.py).
//! Run: `cargo test --test groups -- --nocapture` to see the figures.

mod support;
use support::*;

/// A case of a program on groups, bounded (120 s, valgrind 300 s), natively
/// and under valgrind.
fn case(program: &str, case: &str) -> CTest {
    CTest::new(program).case(case).timeout(120).valgrind()
}

/// lo up with MULTICAST and the route to 224/4, as tests/netns-run makes it.
const LO: &str = "ip link set lo up multicast on
ip route add 224.0.0.0/4 dev lo src 127.0.0.1";

/// 25 veth pairs mcsNa/mcsNb (10.44.N.1/24, 10.44.N.2/24), up with
/// MULTICAST; mcq0a/b up without MULTICAST; mcr0a/b down. Both ends are here,
/// so a packet from mcsNb's address arriving on mcsNa has a local source:
/// accept_local lets it in. Waits (bounded) until every link has carrier.
const STAR: &str = r#"ip link set lo up multicast on
for f in all default; do echo 1 > /proc/sys/net/ipv4/conf/$f/accept_local; done
{
  for i in $(seq 0 24); do
    echo "link add mcs${i}a type veth peer name mcs${i}b"
    echo "addr add 10.44.$i.1/24 dev mcs${i}a"
    echo "addr add 10.44.$i.2/24 dev mcs${i}b"
    echo "link set mcs${i}a up"
    echo "link set mcs${i}b up"
  done
  echo "link add mcq0a type veth peer name mcq0b"
  echo "link set mcq0a multicast off"
  echo "link set mcq0b multicast off"
  echo "link set mcq0a up"
  echo "link set mcq0b up"
  echo "link add mcr0a type veth peer name mcr0b"
} | ip -batch -
up=0
for _ in $(seq 400); do
  up=$(ip -o link show | grep -E ': mc[sq][0-9]+[ab]@' | grep -c 'state UP' || true)
  [ "$up" = 52 ] && break
  sleep 0.01
done
[ "$up" = 52 ] || { echo "only $up of 52 veth ends came up" >&2; exit 90; }"#;

/// A listener on 3 groups gets those, each packet telling its group, and not
/// a 4th group on the same port (a control listener gets that) nor unicast to
/// the port (which /proc/net/udp shows queued on the listener's wildcard
/// socket); pull mode; GRO runs (mc_sendto_many) split per group.
#[test]
fn three_groups_not_a_fourth_nor_unicast() {
    if !kernel::gso_and_gro() {
        return;
    }
    case("groups", "three").run();
}

/// 40 and 200 groups with the default igmp_max_memberships (20): sockets >=
/// groups/20, every group delivered, each datagram exactly once (counted per
/// group), joins == groups, /proc/net/igmp lists all; the second half dropped
/// (leaves counted, gone from /proc/net/igmp, not delivered, sockets shrink),
/// then every other one left.
#[test]
fn forty_and_two_hundred_groups() {
    if !kernel::gso_and_gro() {
        return;
    }
    case("groups", "many").run();
}

/// 12 sources of one SSM group (igmp_max_msf 10 per socket): each source's
/// datagrams once (plain sends and a UDP_SEGMENT send of 3), a 13th source
/// never though an any-source control socket gets it; a datagram queued
/// before more sources join still comes; two sources dropped.
#[test]
fn ssm_twelve_sources() {
    if !kernel::gso_and_gro() {
        return;
    }
    case("groups", "ssm").run();
}

/// Add and drop inside on_packet and inside a filter (push and pull mode):
/// the drop leaves at once (/proc/net/igmp, checked inside the callback), the
/// rest of a run already read is not delivered; the listener's own pair can
/// be dropped and added again.
#[test]
fn add_drop_inside_callbacks() {
    case("groups_edit", "callbacks").run();
}

/// MC_EEXIST, MC_EINVAL (any-source + source-specific), MC_EADDRESS (garbage,
/// unicast, other family, bad source), MC_ENOTFOUND, NULL, never-a-handle,
/// MC_ECLOSED; messages name the value; a failed add leaves counts and
/// delivery as they were.
#[test]
fn bad_input() {
    case("groups_edit", "errors").run();
}

/// In a namespace of its own: igmp_max_memberships 0 makes mc_listener_new
/// (any-source and source-specific) -ENOBUFS naming the sysctl and its value,
/// and an add -ENOBUFS that leaves the listener as it was; at 2, 5 groups on
/// >= 3 sockets; igmp_max_msf 1, 3 sources on >= 3 sockets.
#[test]
fn kernel_limits() {
    case("groups_limits", "limit").fresh_netns(LO).run();
}

/// "*" with 51 interfaces up with MULTICAST (25 veth pairs and lo): joins on
/// each (and only those: /proc/net/igmp), on >= 3 sockets; a datagram sent
/// out each mcsNb arrives once, on mcsNa; a second group doubles the joins.
#[test]
fn star_on_more_interfaces_than_a_socket_joins() {
    case("groups_limits", "star").fresh_netns(STAR).run();
}

/// The cases on lo built with AddressSanitizer (the ones that send GSO runs
/// and count coalesced ones only with UDP GSO and GRO in the kernel).
#[test]
fn groups_under_asan() {
    let mut runs = vec![("groups_edit", "callbacks"), ("groups_edit", "errors")];
    if kernel::gso_and_gro() {
        runs.extend([
            ("groups", "three"),
            ("groups", "many"),
            ("receive", "split"),
        ]);
    }
    for (program, case) in runs {
        CTest::new(program).case(case).asan().run();
    }
}

/// Over veth: three IPv6 groups on one listener, the peer's hop limits (5,
/// 7), not a 4th group (the control gets it) nor unicast; a drop leaves
/// (/proc/net/igmp6); the other family is MC_EADDRESS.
#[test]
fn veth_ipv6_groups_and_hop_limit() {
    CTest::new("veth_ttl_dscp")
        .case("v6")
        .veth()
        .timeout(60)
        .run();
}
