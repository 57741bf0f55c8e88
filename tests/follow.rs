//! Interface following from C (under tests/netns-veth, through
//! support::ctest): tests/c/follow.c (listeners), follow_sender.c (senders)
//! and follow_forged.c (forged rtnetlink messages), with their shared setting
//! in tests/c/follow.h. Listeners and senders given an interface by name,
//! by index, "*" or none follow the system's interfaces as they are deleted,
//! re-created, brought up and down; rtnetlink messages from anyone but the
//! kernel are refused. The other end is the peer netns of tests/netns-veth.

mod support;
use support::*;

/// `PROGRAM CASE` (tests/c/PROGRAM.c) under tests/netns-veth, bounded (60 s).
fn follow(program: &str, case: &str) {
    CTest::new(program).case(case).veth().timeout(60).run();
}

/// A listener on "mc0" is told when mc0 is
/// deleted (its index, joined 0; leaves counted) and re-created (the new
/// index, "mc0", joined 1), and packets from the peer arrive again with the
/// new index; 25 more churns (past the kernel's 20 memberships per socket:
/// the stale entries of deleted devices are dropped); a down/up changes
/// nothing.
#[test]
fn follow_named_interface() {
    follow("follow", "named");
}

/// As follow_named_interface for a listener given mc0's index.
#[test]
fn follow_interface_given_by_index() {
    follow("follow", "index");
}

/// As follow_named_interface for IPv6 (ff05::4242 and link-local ff02::4242).
#[test]
fn follow_named_interface_ipv6() {
    follow("follow", "v6");
}

/// "*": an interface that comes up with MULTICAST is joined (not before it
/// has the flag), a deleted one forgotten, a re-created one joined again.
#[test]
fn follow_star() {
    follow("follow", "star");
}

/// The system's choice: after mc0 and its route are gone, the listener
/// joins again when the route to the group is back.
#[test]
fn follow_default_route() {
    follow("follow", "default");
}

/// Senders given "mc0" by name (a multicaster, mc_sendto_opts) reach the peer
/// after mc0 was re-created with another index.
#[test]
fn follow_senders_by_name() {
    follow("follow_sender", "sender");
}

/// 100 delete/re-create cycles of mc0 while the peer sends: after each, a
/// packet arrives again; joins 101, leaves 100, one socket.
#[test]
fn follow_interface_churn() {
    follow("follow", "churn");
}

/// rtnetlink messages from anyone but the kernel are dropped: an RTM_DELLINK
/// for mc0 sent to the watcher's port id and to the link group, and an
/// RTM_NEWLINK claiming mc0 came back with another index, change no
/// membership and call no mc_iface_fn; mc_poller_refused_netlink counts 3;
/// packets still arrive on mc0, and a real deletion is still followed.
#[test]
fn follow_refuses_forged_netlink() {
    follow("follow_forged", "forged");
}
