//! Interoperability with peers this project did not write: socat and
//! Python's socket module (tests/peers/mcast.py, a copy of the netlab tool,
//! standard library only). Packets from socat and mcast.py must reach our
//! mclisten byte for byte and in number; packets from our mcsend must reach a
//! socat and a Python receiver, with the TTL (IPv6: hop limit) set by -t.
//!
//! Everything runs inside the runner's private namespace (lo only; the IPv6
//! test nests a namespace of its own with a veth pair). Receivers are waited
//! for, never slept on: mclisten's "listening on" line, mcast.py's --ready
//! file, socat's membership in /proc/net/igmp and its bound port in
//! /proc/net/udp. Every wait is bounded. Without socat the tests that use it
//! print "SKIPPED: ..." and pass, unless MC_REQUIRE_ALL=1 (CI, .ci/run installs
//! it): then they fail.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::process::*;
use support::*;

/// True if the peers a test uses are there. Without socat the test is skipped
/// (support::require_tool: "SKIPPED: ..." on stderr, one line in make test's
/// summary), a failure under MC_REQUIRE_ALL=1 (CI); python3 is always required.
fn require_peers(socat: bool) -> bool {
    require_netns();
    assert!(
        have("python3"),
        "python3 is not installed: tests/peers/mcast.py needs it"
    );
    !socat || require_tool("socat", "socat")
}

fn mcast_py() -> PathBuf {
    root().join("tests/peers/mcast.py")
}

/// A fresh path for a --ready file.
fn ready_file(tag: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join(tag);
    let _ = std::fs::remove_file(&f);
    f
}

/// Polls (bounded) until `ready()` holds; panics with `what` otherwise.
fn wait_until(what: &str, p: &mut Proc, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() {
        if let Ok(Some(s)) = p.child.try_wait() {
            panic!("{} exited {s:?} before {what}", p.label);
        }
        assert!(
            Instant::now() < deadline,
            "{}: not {what} within 10 s",
            p.label
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Starts mcast.py recv and returns once its socket is bound and joined.
fn python_recv(group: &str, port: u16, extra: &[&str], tag: &str) -> Proc {
    let ready = ready_file(tag);
    let mut c = Command::new("python3");
    c.arg(mcast_py())
        .args([
            "recv",
            group,
            &port.to_string(),
            "--timeout",
            "10",
            "--ready",
        ])
        .arg(&ready)
        .args(extra);
    let mut p = Proc::start(c, b"");
    wait_until("ready (--ready file)", &mut p, || ready.exists());
    p
}

/// True once /proc/net/igmp lists `group` (IPv4) and /proc/net/udp a socket
/// bound to `port`: a socat receiver is then ready.
fn joined_and_bound_v4(group: &str, port: u16) -> bool {
    let o: Vec<u8> = group.split('.').map(|x| x.parse().unwrap()).collect();
    // /proc/net/igmp prints the group as a host-order u32 of network-order bytes
    let hex = format!("{:02X}{:02X}{:02X}{:02X}", o[3], o[2], o[1], o[0]);
    let igmp = std::fs::read_to_string("/proc/net/igmp").unwrap_or_default();
    let udp = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    let bound = udp.lines().skip(1).any(|l| {
        l.split_whitespace()
            .nth(1)
            .is_some_and(|local| local.ends_with(&format!(":{port:04X}")))
    });
    igmp.lines().any(|l| l.trim_start().starts_with(&hex)) && bound
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------------------
// Into mclisten

#[test]
fn socat_datagrams_reach_mclisten_byte_for_byte() {
    if !require_peers(true) {
        return;
    }
    let l = listen(&["-x", "-n", "3", "-w", "10000", "239.2.1.1", "6101"]);
    let payloads: Vec<Vec<u8>> = (0..3u8)
        .map(|i| {
            let mut v = b"from socat \x00\x01\xfe\xff #".to_vec();
            v.push(b'0' + i);
            v
        })
        .collect();
    socat_send("239.2.1.1", 6101, &payloads);
    let d = l.finish(LIMIT).expect(0);
    let want: Vec<_> = payloads.iter().map(|p| (p.len(), hex(p))).collect();
    check_lines(&d, "127.0.0.1", "239.2.1.1:6101", "lo", &want);
    assert!(
        d.err.contains("3 datagrams printed; 3 received"),
        "{}",
        d.context()
    );
}

#[test]
fn python_datagrams_reach_mclisten() {
    if !require_peers(false) {
        return;
    }
    let l = listen(&["-n", "3", "-w", "10000", "239.2.1.2", "6102"]);
    let mut c = Command::new("python3");
    c.arg(mcast_py()).args([
        "send",
        "239.2.1.2",
        "6102",
        "--count",
        "3",
        "--interval",
        "0",
        "--payload",
        "from python",
    ]);
    let s = Proc::start(c, b"").finish(LIMIT).expect(0);
    assert_eq!(s.out, "SENT 3\n", "{}", s.context());
    let d = l.finish(LIMIT).expect(0);
    let want: Vec<_> = (0..3).map(|i| (14, format!("from python #{i}"))).collect();
    check_lines(&d, "127.0.0.1", "239.2.1.2:6102", "lo", &want);
}

// ---------------------------------------------------------------------------
// From mcsend

#[test]
fn mcsend_reaches_a_socat_receiver() {
    if !require_peers(true) {
        return;
    }
    let mut c = Command::new("socat");
    c.args([
        "-u",
        "UDP4-RECV:6103,ip-add-membership=239.2.1.3:lo,reuseaddr",
        "STDOUT",
    ]);
    let mut r = Proc::start(c, b"");
    wait_until("joined 239.2.1.3 and bound :6103", &mut r, || {
        joined_and_bound_v4("239.2.1.3", 6103)
    });
    run(
        "mcsend",
        &["-N", "-c", "3", "239.2.1.3", "6103", "to socat \x01\n"],
    )
    .expect(0);
    // socat writes each datagram's bytes to stdout: three lines
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < 3 {
        match r.out.next_until(deadline) {
            Some(l) => got.push(l),
            None => break,
        }
    }
    assert_eq!(
        got,
        ["1 to socat \x01", "2 to socat \x01", "3 to socat \x01"],
        "socat stderr:\n{}",
        r.err.text()
    );
    // nothing more arrives (bounded negative check)
    assert_eq!(r.out.next_within(Duration::from_millis(200)), None);
}

#[test]
fn mcsend_reaches_a_python_receiver_with_its_ttl() {
    if !require_peers(false) {
        return;
    }
    for ttl in [1, 7] {
        let port = 6104;
        let r = python_recv("239.2.1.4", port, &["--count", "1"], &format!("ttl{ttl}"));
        let s = run(
            "mcsend",
            &["-t", &ttl.to_string(), "239.2.1.4", "6104", "ttl check"],
        )
        .expect(0);
        assert_eq!(
            s.out,
            format!("sent 9 bytes to 239.2.1.4:6104 (ttl {ttl}): ttl check\n"),
            "{}",
            s.context()
        );
        let d = r.finish(LIMIT).expect(0);
        let lines = d.out_lines();
        assert_eq!(lines.len(), 2, "{}", d.context());
        // RECV src=127.0.0.1 port=P ttl=T ifindex=1 dst=239.2.1.4 len=9 data=ttl check
        let recv = lines[0];
        assert!(
            recv.starts_with("RECV src=127.0.0.1 port="),
            "{}",
            d.context()
        );
        assert!(
            recv.contains(&format!(
                " ttl={ttl} ifindex=1 dst=239.2.1.4 len=9 data=ttl check"
            )),
            "want ttl={ttl}\n{}",
            d.context()
        );
        assert_eq!(lines[1], "RECEIVED 1", "{}", d.context());
    }
    // and a count
    let r = python_recv("239.2.1.4", 6114, &["--count", "3"], "count");
    run(
        "mcsend",
        &["-t", "4", "-c", "3", "-N", "239.2.1.4", "6114", "n"],
    )
    .expect(0);
    let d = r.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 4, "{}", d.context());
    for (i, line) in lines[..3].iter().enumerate() {
        assert!(
            line.ends_with(&format!(
                " ttl=4 ifindex=1 dst=239.2.1.4 len=3 data={} n",
                i + 1
            )),
            "{}",
            d.context()
        );
    }
    assert_eq!(lines[3], "RECEIVED 3", "{}", d.context());
}

/// IPv6, link-local scope, over a veth pair in a nested namespace (lo
/// cannot carry IPv6 multicast): mcsend's hop limit reaches Python, and
/// socat's and Python's datagrams reach mclisten.
#[test]
fn ipv6_link_local_with_socat_and_python() {
    if !require_peers(true) {
        return;
    }
    if rerun_in_nested_netns(
        "ipv6_link_local_with_socat_and_python",
        "MC_INTEROP_V6_INNER",
    ) {
        return;
    }
    veth_pair();

    // mcsend -> Python: the hop limit set with -t arrives
    for hops in [1, 9] {
        let r = python_recv(
            "ff02::4243",
            6201,
            &["--iface", "mc1", "--count", "1"],
            &format!("hops{hops}"),
        );
        run(
            "mcsend",
            &[
                "-t",
                &hops.to_string(),
                "-i",
                "mc0",
                "ff02::4243",
                "6201",
                "hop",
            ],
        )
        .expect(0);
        let d = r.finish(LIMIT).expect(0);
        let line = d.out_lines()[0].to_string();
        // Python prints a scoped source as fe80::1%mc1
        assert!(
            line.starts_with("RECV src=fe80::1%mc1 port=")
                || line.starts_with("RECV src=fe80::1 port="),
            "{}",
            d.context()
        );
        assert!(
            line.contains(&format!(" ttl={hops} ")),
            "want ttl={hops}\n{}",
            d.context()
        );
        assert!(
            line.ends_with(" dst=ff02::4243 len=3 data=hop"),
            "{}",
            d.context()
        );
    }

    // socat -> mclisten
    let l = listen(&["-x", "-n", "1", "-w", "10000", "ff02::4244%mc1", "6202"]);
    let mut c = Command::new("socat");
    c.args(["-u", "STDIN", "UDP6-DATAGRAM:[ff02::4244%mc0]:6202"]);
    let payload = b"v6 \x00\xff";
    Proc::start(c, payload).finish(LIMIT).expect(0);
    let d = l.finish(LIMIT).expect(0);
    let want = [(payload.len(), hex(payload))];
    check_lines(&d, "[fe80::1%mc1]", "[ff02::4244%mc1]:6202", "mc1", &want);

    // Python -> mclisten
    let l = listen(&["-n", "2", "-w", "10000", "-i", "mc1", "ff02::4245", "6203"]);
    let mut c = Command::new("python3");
    c.arg(mcast_py()).args([
        "send",
        "ff02::4245",
        "6203",
        "--iface",
        "mc0",
        "--count",
        "2",
        "--interval",
        "0",
        "--payload",
        "py6",
    ]);
    Proc::start(c, b"").finish(LIMIT).expect(0);
    let d = l.finish(LIMIT).expect(0);
    let want: Vec<_> = (0..2).map(|i| (6, format!("py6 #{i}"))).collect();
    check_lines(&d, "[fe80::1%mc1]", "[ff02::4245%mc1]:6203", "mc1", &want);
}

// ---------------------------------------------------------------------------
// GSO bursts from the library reach plain receivers as ordinary datagrams

/// tests/c/gso_burst.c: `count` datagrams with one mc_sendto_many.
fn gso_burst(group: &str, port: u16, count: usize) {
    let o = CTest::new("gso_burst")
        .args(&[group, &port.to_string(), &count.to_string()])
        .run()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("sent {count}")));
}

fn gso_line(i: usize) -> String {
    format!("gso {i:05} abcdefghijklmnopqrstu")
}

/// 200 equal-size packets from mc_sendto_many (GSO runs of 64) arrive at
/// socat as 200 datagrams, byte for byte and in order.
#[test]
fn gso_burst_reaches_socat_datagram_by_datagram() {
    if !require_peers(true) {
        return;
    }
    let mut c = Command::new("socat");
    c.args([
        "-u",
        "UDP4-RECV:6111,ip-add-membership=239.2.1.11:lo,reuseaddr",
        "STDOUT",
    ]);
    let mut r = Proc::start(c, b"");
    wait_until("joined 239.2.1.11 and bound :6111", &mut r, || {
        joined_and_bound_v4("239.2.1.11", 6111)
    });
    gso_burst("239.2.1.11", 6111, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < 200 {
        match r.out.next_until(deadline) {
            Some(l) => got.push(l),
            None => break,
        }
    }
    let want: Vec<String> = (0..200).map(gso_line).collect();
    assert_eq!(got, want, "socat stderr:\n{}", r.err.text());
    assert_eq!(r.out.next_within(Duration::from_millis(200)), None);
}

/// The same burst reaches Python's socket module as 200 datagrams of 32
/// bytes each, in order.
#[test]
fn gso_burst_reaches_python_datagram_by_datagram() {
    if !require_peers(false) {
        return;
    }
    let r = python_recv("239.2.1.12", 6112, &["--count", "200"], "gso");
    gso_burst("239.2.1.12", 6112, 200);
    let done = r.finish(Duration::from_secs(15));
    let lines: Vec<&str> = done
        .out_lines()
        .into_iter()
        .filter(|l| l.starts_with("RECV"))
        .collect();
    assert_eq!(lines.len(), 200, "{}", done.context());
    for (i, l) in lines.iter().enumerate() {
        assert!(
            l.contains(" len=32 ") && l.contains(&format!("data={}", gso_line(i))),
            "datagram {i}: {l}"
        );
    }
}
