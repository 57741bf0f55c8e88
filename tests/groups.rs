//! Issue 10 ("Features users ask for next") from C through libmulticast.so:
//! several groups per listener spread over more sockets past the kernel's
//! per-socket limits, add/drop inside callbacks, bad input, the limits
//! themselves, "*" on more interfaces than one socket may join, receive
//! timestamps and TTLs, DSCP, the option setters; every listener case with GRO
//! on and off.
//!
//! tests/c/test_groups.c runs on lo in the runner's namespace (natively, then
//! under valgrind), except `limit` (it writes the per-namespace sysctls
//! net.ipv4.igmp_max_memberships / igmp_max_msf) and `star` (25 veth pairs),
//! which get a network namespace of their own, nested in the runner's.
//! tests/c/test_groups_veth.c runs under tests/netns-veth against Python
//! peers in the peer namespace (tests/peers/mcast.py and a TOS receiver).
//! Run: `cargo test --test groups -- --nocapture` to see the figures.

mod support;
use support::*;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

const VALGRIND: [&str; 4] = [
    "-q",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite",
    "--error-exitcode=1",
];

/// The C programs, compiled once (the tests run in parallel threads).
fn test_groups() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| compile("test_groups", &["tests/c/test_groups.c"]))
}

fn test_groups_veth() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| compile("test_groups_veth", &["tests/c/test_groups_veth.c"]))
}

fn need_tools() {
    for t in ["python3", "nsenter", "unshare", "setpriv", "ip", "bash"] {
        assert!(
            have(t),
            "{t} is required by these tests (apt-get install -y python3 util-linux iproute2)"
        );
    }
}

/// A command bounded by `timeout` (when there is one) running `argv`.
fn bounded(secs: u32, argv: &[&std::ffi::OsStr]) -> Command {
    let (first, rest) = argv.split_first().expect("a command");
    if have("timeout") {
        let mut c = Command::new("timeout");
        c.args(["-k", "5", &secs.to_string()]).arg(first).args(rest);
        c
    } else {
        let mut c = Command::new(first);
        c.args(rest);
        c
    }
}

/// `unshare --net` with `setup` (bash) run first, then the program: a network
/// namespace of the test's own, nested in the runner's, gone when it exits.
fn fresh_netns(setup: &str) -> Vec<std::ffi::OsString> {
    let script = format!("set -e\n{setup}\nexec \"$@\"");
    ["unshare", "--net", "--", "bash", "-c", &script, "bash"]
        .iter()
        .map(Into::into)
        .collect()
}

/// Runs `test_groups CASE` (inside `wrap`, a command prefix), natively and
/// then under valgrind; each run must print its pass line.
fn case(name: &str, wrap: &[std::ffi::OsString]) {
    require_netns();
    need_tools();
    assert!(have("valgrind"), "valgrind is required by make test");
    let bin = test_groups();
    for valgrind in [false, true] {
        let mut argv: Vec<&std::ffi::OsStr> = wrap.iter().map(|s| s.as_os_str()).collect();
        if valgrind {
            argv.push("valgrind".as_ref());
            argv.extend(VALGRIND.iter().map(|s| std::ffi::OsStr::new(*s)));
        }
        argv.push(bin.as_os_str());
        argv.push(name.as_ref());
        let o = run_ok(&mut bounded(if valgrind { 300 } else { 120 }, &argv));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains(&format!("test_groups {name}: all checks passed")),
            "no pass line (valgrind: {valgrind}) in:\n{out}"
        );
    }
}

/// Runs `tests/netns-veth test_groups_veth CASE`.
fn veth_case(name: &str) {
    require_netns();
    need_tools();
    let script = root().join("tests/netns-veth");
    let bin = test_groups_veth();
    let mut cmd = bounded(60, &[script.as_os_str(), bin.as_os_str(), name.as_ref()]);
    cmd.env("MC_MCAST_PY", root().join("tests/peers/mcast.py"));
    let o = run_ok(&mut cmd);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("test_groups_veth {name}: all checks passed")),
        "no pass line in:\n{out}"
    );
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
    case("three", &[]);
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
    case("many", &[]);
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
    case("ssm", &[]);
}

/// Add and drop inside on_packet and inside a filter (push and pull mode):
/// the drop leaves at once (/proc/net/igmp, checked inside the callback), the
/// rest of a run already read is not delivered; the listener's own pair can
/// be dropped and added again.
#[test]
fn add_drop_inside_callbacks() {
    case("callbacks", &[]);
}

/// MC_EEXIST, MC_EINVAL (any-source + source-specific), MC_EADDRESS (garbage,
/// unicast, other family, bad source), MC_ENOTFOUND, NULL, never-a-handle,
/// MC_ECLOSED; messages name the value; a failed add leaves counts and
/// delivery as they were.
#[test]
fn bad_input() {
    case("errors", &[]);
}

/// In a namespace of its own: igmp_max_memberships 0 makes mc_listener_new
/// (any-source and source-specific) -ENOBUFS naming the sysctl and its value,
/// and an add -ENOBUFS that leaves the listener as it was; at 2, 5 groups on
/// >= 3 sockets; igmp_max_msf 1, 3 sources on >= 3 sockets.
#[test]
fn kernel_limits() {
    case("limit", &fresh_netns(LO));
}

/// "*" with 51 interfaces up with MULTICAST (25 veth pairs and lo): joins on
/// each (and only those: /proc/net/igmp), on >= 3 sockets; a datagram sent
/// out each mcsNb arrives once, on mcsNa; a second group doubles the joins.
#[test]
fn star_on_more_interfaces_than_a_socket_joins() {
    case("star", &fresh_netns(STAR));
}

/// timestamp_ns within a second of CLOCK_REALTIME around the send (the
/// figures are printed), nondecreasing over a burst, 0 when off; with GRO
/// every segment of a run carries the same stamp.
#[test]
fn receive_timestamps() {
    if !kernel::gso_and_gro() {
        return;
    }
    case("timestamps", &[]);
}

/// GRO runs split again at their segment size (a shorter last one
/// included), each datagram with its own size, len truncated at the mtu and
/// bytes; four listeners with GRO on/off and mtu 64/4096 on one poller.
#[test]
fn gro_runs_split() {
    if !kernel::gso_and_gro() {
        return;
    }
    case("split", &[]);
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
    case("gso", &[]);
}

/// The received TTL on lo (mc_sendto 7, default 1, mc_sendto_opts 200,
/// mc_sendto_many 9), also on a second group's socket and with timestamps on;
/// -1 when off.
#[test]
fn received_ttl_on_lo() {
    case("ttl", &[]);
}

/// mc_opts_set_gso/gro/timestamps/recv_ttl: 2, -1, 256 and NULL opts are
/// MC_EINVAL; tos 256 and -1 too; a refused value leaves the old one.
#[test]
fn opts_setters() {
    case("opts", &[]);
}

/// Over veth: the TTL the Python peer sent (5, 3, 1), on two groups; -1 on a
/// listener that did not ask.
#[test]
fn veth_received_ttl() {
    veth_case("ttl-v4");
}

/// Over veth: three IPv6 groups on one listener, the peer's hop limits (5,
/// 7), not a 4th group (the control gets it) nor unicast; a drop leaves
/// (/proc/net/igmp6); the other family is MC_EADDRESS.
#[test]
fn veth_ipv6_groups_and_hop_limit() {
    veth_case("v6");
}

/// Over veth: tos 0xb8 from mc_sendto_opts and multicasters (GSO on and off),
/// 0 by default and from mc_sendto, 0x20 on another multicaster, as a Python
/// receiver with IP_RECVTOS reads them.
#[test]
fn veth_dscp_ipv4() {
    veth_case("tos-v4");
}

/// As veth_dscp_ipv4 for IPv6 (IPV6_RECVTCLASS).
#[test]
fn veth_dscp_ipv6() {
    veth_case("tos-v6");
}
