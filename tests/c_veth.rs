//! The C API over veth pairs: what lo cannot show (IP_MULTICAST_LOOP=0, IPv6,
//! ff02:: scope ids, "*" joins on several links, SSM, the TTL a peer sees).
//! Run: `cargo test --test c_veth -- --nocapture` (needs python3, iproute2,
//! util-linux).
//!
//! Each test runs `tests/netns-veth [--two] test_veth CASE` (tests/c/test_veth.c):
//! netns-veth makes a fresh network namespace inside the runner's private one,
//! with mc0 here and mc1 in a peer netns (--two: mc2 here, mc3 in a second
//! peer). The C program is the library's user; the other end is the
//! independent peer tests/peers/mcast.py, run in the peer netns with nsenter.

mod support;
use support::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// test_veth compiled once (the tests run in parallel threads).
fn test_veth() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| compile("test_veth", &["tests/c/test_veth.c"]))
}

fn need_tools() {
    for t in ["python3", "nsenter", "unshare", "setpriv", "ip"] {
        assert!(
            have(t),
            "{t} is required by the veth tests (apt-get install -y python3 util-linux iproute2)"
        );
    }
}

/// `tests/netns-veth [--two] CMD...`, bounded by `timeout` when available.
fn netns_veth(two: bool, cmd: &[&std::ffi::OsStr]) -> Command {
    let script = root().join("tests/netns-veth");
    let mut c = if have("timeout") {
        let mut c = Command::new("timeout");
        c.args(["-k", "5", "60"]).arg(&script);
        c
    } else {
        Command::new(&script)
    };
    if two {
        c.arg("--two");
    }
    c.args(cmd);
    c.env("MC_MCAST_PY", root().join("tests/peers/mcast.py"));
    c
}

fn veth_case(case: &str, two: bool) {
    veth_program_case(test_veth(), "test_veth", case, two);
}

/// tests/c/test_follow.c compiled once.
fn test_follow() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| compile("test_follow", &["tests/c/test_follow.c"]))
}

fn veth_program_case(bin: &Path, name: &str, case: &str, two: bool) {
    require_netns();
    need_tools();
    let o = run_ok(&mut netns_veth(two, &[bin.as_os_str(), case.as_ref()]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("{name} {case}: all checks passed")),
        "no pass line in:\n{out}"
    );
}

/// IP_MULTICAST_LOOP on a veth: off = this host's listener gets nothing within
/// 300 ms while the peer gets the packet (mc_sendto_opts and a multicaster);
/// on (explicit, and the default with mc_sendto) = both get it, with
/// from 192.0.2.1, group 239.1.2.3:5001 and ifindex = mc0.
#[test]
fn veth_loopback_off_and_on() {
    veth_case("loop", false);
}

/// IPv6 on a link (ff05::, ff15::, ff0e::; interface by name, index and
/// address): a packet from the peer arrives with from fd42::2 (or fe80::2
/// with scope_id = mc0's index), group = the group and port (scope 0),
/// ifindex = mc0; ours reaches the peer; loopback on/off as for IPv4.
#[test]
fn veth_ipv6_groups() {
    veth_case("v6", false);
}

/// ff02:: needs an interface (mc_listener_new: MC_EADDRESS with a message
/// naming the group; a send fails too); with mc0 (by name, and by its
/// address) packets from the peer carry from fe80::2 and group ff02:: with
/// scope_id = ifindex = mc0's index; ours reach the peer.
#[test]
fn veth_ff02_link_local() {
    veth_case("ff02", false);
}

/// Interface "*" on two links, IPv4 (239.7.7.7): a listener gets each peer's
/// packets (8 each, from distinct source ports) with the ifindex of the link
/// they came on; a listener on "mc0" gets only mc0's; neither gets another
/// group's datagram or a unicast one to the same port.
#[test]
fn veth_star_ipv4() {
    veth_case("star-v4", true);
}

/// As veth_star_ipv4 for ff05::4344.
#[test]
fn veth_star_ipv6() {
    veth_case("star-v6", true);
}

/// As veth_star_ipv4 for ff02::4343, where also from.scope_id and
/// group.scope_id are the index of the arrival link.
#[test]
fn veth_star_ff02() {
    veth_case("star-ff02", true);
}

/// SSM, IPv4 (232.1.1.1 from 192.0.2.2): only the chosen source's packet
/// arrives - alone, and next to a listener of any source on the same
/// group:port, which gets all (the control); a source of the other family
/// (fd42::2) is MC_EADDRESS.
#[test]
fn veth_ssm_ipv4() {
    veth_case("ssm-v4", false);
}

/// As veth_ssm_ipv4 for ff3e::1234 from fd42::2 (other family: 192.0.2.2).
#[test]
fn veth_ssm_ipv6() {
    veth_case("ssm-v6", false);
}

/// The TTL / hop limit the peer receives is the one asked for: 1, 32, 255
/// (mc_sendto_opts), 7 and the default 1 (mc_sendto), 64 (a multicaster);
/// IPv6 hop limits 1, 32, 255, 9, 128.
#[test]
fn veth_ttl_and_hop_limit() {
    veth_case("ttl", false);
}

/// The topology netns-veth promises, as its environment describes it.
#[test]
fn veth_topology() {
    require_netns();
    need_tools();
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
    let o = run_ok(&mut netns_veth(
        true,
        &["bash".as_ref(), "-c".as_ref(), script.as_ref()],
    ));
    assert!(String::from_utf8_lossy(&o.stdout).contains("topology ok"));
}

/// netns-veth refuses to run outside tests/netns-run (MC_NETNS != 1), before
/// it touches anything.
#[test]
fn veth_script_refuses_outside_runner() {
    require_netns();
    let o = Command::new(root().join("tests/netns-veth"))
        .args(["sh", "-c", "echo ran"])
        .env_remove("MC_NETNS")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(90), "{o:?}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("ran"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("refusing"));
}

/// Interface following (API.md 0.2): a listener on "mc0" is told when mc0 is
/// deleted (its index, joined 0; leaves counted) and re-created (the new
/// index, "mc0", joined 1), and packets from the peer arrive again with the
/// new index; 25 more churns (past the kernel's 20 memberships per socket:
/// the stale entries of deleted devices are dropped); a down/up changes
/// nothing.
#[test]
fn follow_named_interface() {
    veth_program_case(test_follow(), "test_follow", "named", false);
}

/// As follow_named_interface for a listener given mc0's index.
#[test]
fn follow_interface_given_by_index() {
    veth_program_case(test_follow(), "test_follow", "index", false);
}

/// As follow_named_interface for IPv6 (ff05::4242 and link-local ff02::4242).
#[test]
fn follow_named_interface_ipv6() {
    veth_program_case(test_follow(), "test_follow", "v6", false);
}

/// "*": an interface that comes up with MULTICAST is joined (not before it
/// has the flag), a deleted one forgotten, a re-created one joined again.
#[test]
fn follow_star() {
    veth_program_case(test_follow(), "test_follow", "star", false);
}

/// The system's choice: after mc0 and its route are gone, the listener
/// joins again when the route to the group is back.
#[test]
fn follow_default_route() {
    veth_program_case(test_follow(), "test_follow", "default", false);
}

/// Senders given "mc0" by name (a multicaster, mc_sendto_opts) reach the peer
/// after mc0 was re-created with another index.
#[test]
fn follow_senders_by_name() {
    veth_program_case(test_follow(), "test_follow", "sender", false);
}

/// 100 delete/re-create cycles of mc0 while the peer sends: after each, a
/// packet arrives again; joins 101, leaves 100, one socket.
#[test]
fn follow_interface_churn() {
    veth_program_case(test_follow(), "test_follow", "churn", false);
}

/// rtnetlink messages from anyone but the kernel are dropped: an RTM_DELLINK
/// for mc0 sent to the watcher's port id and to the link group, and an
/// RTM_NEWLINK claiming mc0 came back with another index, change no
/// membership and call no mc_iface_fn; mc_poller_refused_netlink counts 3;
/// packets still arrive on mc0, and a real deletion is still followed.
#[test]
fn follow_refuses_forged_netlink() {
    veth_program_case(test_follow(), "test_follow", "forged", false);
}

/// tests/c/test_gso.c compiled once.
fn test_gso() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| compile("test_gso", &["tests/c/test_gso.c"]))
}

/// GSO/GRO on lo: mc_sendto_many's runs are GSO sends (a GRO listener counts
/// coalesced runs) and a plain socket still gets every datagram byte-exact
/// and in order (mixed sizes, short last segments); GRO listeners deliver
/// each datagram alone (sizes, truncation at the mtu, a per-datagram filter,
/// stats, pull mode) exactly as with GRO off; multicasters with GSO on/off.
/// Then under valgrind.
#[test]
fn gso_gro_on_lo() {
    if !kernel::gso_and_gro() {
        return;
    }
    require_netns();
    let bin = test_gso();
    let o = run_ok(Command::new(bin).arg("lo"));
    assert!(String::from_utf8_lossy(&o.stdout).contains("test_gso lo: all checks passed"));
    run_c_test_args(bin, &["lo"]);
}

/// The GSO fallback loses and duplicates nothing: a multicaster sends 2,000
/// numbered 1400-byte packets while mc0's MTU drops from 1500 to 576
/// halfway (a GSO send with segments above the MTU is refused); the peer's
/// plain socket gets each exactly once.
#[test]
fn gso_fallback_when_the_mtu_shrinks() {
    if !require_kernel(Feature::UdpGso) {
        return;
    }
    veth_program_case(test_gso(), "test_gso", "fallback", false);
}

/// IPv6 over a veth: a GSO burst reaches the peer's plain socket whole, and
/// a GSO multicaster in the peer's netns feeds a GRO listener here.
#[test]
fn gso_gro_ipv6_veth() {
    if !kernel::gso_and_gro() {
        return;
    }
    veth_program_case(test_gso(), "test_gso", "v6", false);
}

/// Runs a C test with arguments under valgrind.
fn run_c_test_args(bin: &Path, args: &[&str]) {
    assert!(have("valgrind"), "valgrind is required by make test");
    run_ok(
        Command::new("valgrind")
            .args([
                "-q",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
                "--error-exitcode=1",
            ])
            .arg(bin)
            .args(args),
    );
}
