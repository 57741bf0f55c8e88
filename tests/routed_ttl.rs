//! TTL / hop-limit scoping across a multicast router (smcrouted) joining two
//! Ethernet segments, built by tests/netns-routed inside the runner's private
//! namespace (nothing is ever sent from this machine's own network
//! namespace). Sent by the library (mcsend of examples-c/) from ha, received
//! by Python on a2 and hb (tests/peers/mcast.py, which reads the received TTL
//! / hop limit with IP_RECVTTL / IPV6_RECVHOPLIMIT) and by the library
//! (mclisten) on hb:
//!
//! - TTL 1 from segment A reaches a2 on A and not hb on B (300 ms wait);
//!   TTL 2 and 32 cross and arrive with TTL 1 and 31; with smcrouted gone
//!   nothing crosses. The same for IPv6 hop limits (smcroute routes IPv6).
//!
//! Each test re-runs itself (alone) inside `tests/netns-routed`
//! (tests/support/routed.rs), which makes the hosts ha, a2 (segment A), hb
//! (segment B) and the router r. Needs smcroute and tshark (apt-get install
//! smcroute tshark); without them the tests print "SKIPPED: ..." and pass,
//! unless MC_REQUIRE_ALL=1 (CI), where they fail. The router needs multicast
//! routing in the kernel (CONFIG_IP_MROUTE, CONFIG_IPV6_MROUTE), probed with
//! MRT_INIT / MRT6_INIT first: a kernel without it skips these tests, also
//! under MC_REQUIRE_ALL=1. Run: `cargo test --test routed_ttl -- --nocapture`
//! for the figures.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::process::*;
use support::routed::*;
use support::*;

/// How long a packet that must not arrive is waited for.
const NEGATIVE_WAIT: Duration = Duration::from_millis(300);

/// A Python receiver (tests/peers/mcast.py) of `group` on HOST's mc0, started
/// and joined (its ready file exists) when this returns. It prints
/// "RECV src=.. port=.. ttl=.. ifindex=.. dst=.. len=.. data=.." per datagram
/// and exits after `count` datagrams or 10 s ("RECEIVED n").
fn py_recv(host: &str, group: &str, count: usize) -> Proc {
    static N: AtomicUsize = AtomicUsize::new(0);
    let ready = scratch_dir().join(format!("ready-{}", N.fetch_add(1, Ordering::Relaxed)));
    let count = count.to_string();
    let args = [
        "recv",
        group,
        PORT,
        "--iface",
        "mc0",
        "--count",
        &count,
        "--timeout",
        "10",
        "--ready",
        ready.to_str().unwrap(),
    ];
    let mcast = root().join("tests/peers/mcast.py");
    let mut c = on(host, "python3", &[mcast.to_str().unwrap()]);
    c.args(args);
    let mut p = Proc::start(c, b"");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready.exists() {
        if Instant::now() > deadline || p.child.try_wait().unwrap().is_some() {
            let d = p.finish(Duration::from_secs(2));
            panic!("receiver on {host} did not get ready\n{}", d.context());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    p
}

/// One "RECV ..." line of mcast.py: (src, ttl, data).
fn recv_fields(line: &str) -> (String, u8, String) {
    let field = |k: &str| {
        line.split(' ')
            .find_map(|w| w.strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} in {line:?}"))
            .to_string()
    };
    assert!(line.starts_with("RECV "), "not a RECV line: {line:?}");
    let data = line
        .split_once(" data=")
        .unwrap_or_else(|| panic!("no data= in {line:?}"))
        .1
        .to_string();
    let ttl = field("ttl=")
        .parse()
        .unwrap_or_else(|_| panic!("ttl in {line:?}"));
    (field("src="), ttl, data)
}

/// The next datagram `p` prints within `t`: (src, ttl, data); panics if none.
fn next_datagram(p: &mut Proc, host: &str, t: Duration) -> (String, u8, String) {
    match p.out.next_within(t) {
        Some(l) => recv_fields(&l),
        None => {
            let _ = p.child.kill();
            panic!(
                "{host}: no datagram within {t:?}\n--- stdout\n{}",
                p.out.text()
            );
        }
    }
}

/// Stops smcrouted and waits (bounded) until r has no multicast VIF / MIF.
fn stop_router() {
    let pid: i32 = std::env::var("MC_ROUTER_PID")
        .unwrap()
        .parse()
        .expect("MC_ROUTER_PID");
    // SAFETY: kill(2) on the smcrouted this test's netns-routed started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let o = on("r", "cat", &["/proc/net/ip_mr_vif", "/proc/net/ip6_mr_vif"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        if !text.contains(" mc1 ") && !text.contains(" mc2 ") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "smcrouted gone, but r still routes:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// TTL scoping across the router for `group` (IPv4 or IPv6), sent by the
/// library (mcsend) from ha, received by Python on a2 (segment A) and hb
/// (segment B) and by the library (mclisten) on hb.
fn ttl_scope(group: &str, sender: &str, mclisten_from: &str, mclisten_group: &str) {
    let mut a2 = py_recv("a2", group, 4);
    let mut hb = py_recv("hb", group, 2);
    let mut lib = Proc::start(
        on(
            "hb",
            bin("mclisten"),
            &["-i", "mc0", "-n", "2", "-w", "10000", group, PORT],
        ),
        b"",
    );
    lib.wait_stderr("mclisten: listening on", Duration::from_secs(10));

    // TTL 1: on segment A, not across the router
    send_from_a(group, 1, "ttl1");
    let (src, ttl, data) = next_datagram(&mut a2, "a2", Duration::from_secs(5));
    assert_eq!((src.as_str(), ttl, data.as_str()), (sender, 1, "ttl1"));
    assert_eq!(
        hb.out.next_within(NEGATIVE_WAIT),
        None,
        "TTL 1 crossed the router to hb"
    );
    assert_eq!(
        lib.out.next_within(Duration::ZERO),
        None,
        "TTL 1 crossed the router to the library's listener on hb"
    );

    // TTL 2 and 32: across, one less
    send_from_a(group, 2, "ttl2");
    send_from_a(group, 32, "ttl32");
    let mut seen = Vec::new();
    for (want_ttl, want) in [(1, "ttl2"), (31, "ttl32")] {
        let (src, ttl, data) = next_datagram(&mut hb, "hb", Duration::from_secs(5));
        assert_eq!(
            (src.as_str(), ttl, data.as_str()),
            (sender, want_ttl, want),
            "on hb (segment B)"
        );
        seen.push(format!("{want} arrived with {ttl}"));
    }
    for (want_ttl, want) in [(2, "ttl2"), (32, "ttl32")] {
        let (src, ttl, data) = next_datagram(&mut a2, "a2", Duration::from_secs(5));
        assert_eq!(
            (src.as_str(), ttl, data.as_str()),
            (sender, want_ttl, want),
            "on a2 (segment A)"
        );
    }
    let d = hb.finish(LIMIT).expect(0);
    assert!(d.out.ends_with("RECEIVED 2\n"), "{}", d.context());
    let d = lib.finish(LIMIT).expect(0);
    check_lines(
        &d,
        mclisten_from,
        mclisten_group,
        "mc0",
        &[(4, "ttl2"), (5, "ttl32")],
    );
    println!(
        "routed: {group}: TTL / hop limit 1 stayed on segment A (a2 got it with 1, hb nothing \
         in {} ms); on segment B {}",
        NEGATIVE_WAIT.as_millis(),
        seen.join(", ")
    );

    // Without the router nothing crosses, whatever the TTL.
    stop_router();
    let mut hb = py_recv("hb", group, 1);
    send_from_a(group, 32, "norouter");
    let (src, ttl, data) = next_datagram(&mut a2, "a2", Duration::from_secs(5));
    assert_eq!((src.as_str(), ttl, data.as_str()), (sender, 32, "norouter"));
    assert_eq!(
        hb.out.next_within(NEGATIVE_WAIT),
        None,
        "TTL 32 crossed to hb without a router"
    );
    drop(hb); // killed
    a2.finish(LIMIT).expect(0);
}

#[test]
fn routed_ipv4_ttl_scope() {
    if rerun_routed("routed_ipv4_ttl_scope", Router::Yes) {
        return;
    }
    let g = "239.1.2.3";
    ttl_scope(g, HA4, HA4, &format!("{g}:{PORT}"));
}

#[test]
fn routed_ipv6_hop_limit_scope() {
    if rerun_routed("routed_ipv6_hop_limit_scope", Router::Yes) {
        return;
    }
    let g = "ff05::4242";
    ttl_scope(g, HA6, &format!("[{HA6}]"), &format!("[{g}]:{PORT}"));
}
