//! The library on a real routed network: two Ethernet segments joined by a
//! multicast router (smcrouted), built by tests/netns-routed inside the
//! runner's private namespace (nothing is ever sent from this machine's own
//! network namespace). Shown through the library (mcsend and mclisten of
//! examples-c/, and tests/c/routed_hold.c on the C API) with independent
//! peers: Python receivers (tests/peers/mcast.py, which reads the received
//! TTL / hop limit with IP_RECVTTL / IPV6_RECVHOPLIMIT) and tshark.
//!
//! - TTL 1 from segment A reaches a2 on A and not hb on B (300 ms wait);
//!   TTL 2 and 32 cross and arrive with TTL 1 and 31; with smcrouted gone
//!   nothing crosses. The same for IPv6 hop limits (smcroute routes IPv6).
//! - Closing a listener on B puts an IGMP leave (IGMPv3 TO_IN {} / IGMPv2
//!   leave) and an MLD leave (MLDv2 TO_IN {} / MLDv1 done) on B's segment
//!   within a second of mc_listener_close, while the process still runs.
//!
//! Each test re-runs itself (alone) inside `tests/netns-routed`, which makes
//! the hosts ha, a2 (segment A), hb (segment B) and the router r (the leave
//! test needs no router and runs with `--no-router`). Needs smcroute and
//! tshark (apt-get install smcroute tshark); without them the tests print
//! "SKIPPED: ..." and pass, unless MC_REQUIRE_ALL=1 (CI), where they fail.
//! The router needs multicast routing in the kernel (CONFIG_IP_MROUTE,
//! CONFIG_IPV6_MROUTE), probed with MRT_INIT / MRT6_INIT first: a kernel
//! without it skips the tests that need the router, also under
//! MC_REQUIRE_ALL=1. Run: `cargo test --test routed -- --nocapture` for the
//! figures.

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::process::*;
use support::*;

/// Sender host ha on segment A.
const HA4: &str = "192.0.2.10";
const HA6: &str = "fd42:1::10";
/// Listener host hb on segment B (its IPv6 reports come from fe80::20).
const HB4: &str = "198.51.100.20";
const HB_LL6: &str = "fe80::20";
const PORT: &str = "4242";
/// How long a packet that must not arrive is waited for.
const NEGATIVE_WAIT: Duration = Duration::from_millis(300);
/// The inner run's environment variable: the name of the test to run.
const INNER: &str = "MC_ROUTED_TEST";

// ---------------------------------------------------------------------------
// Outer run: tools, then the test again inside tests/netns-routed

/// The network of the test: with the router (smcrouted, which needs
/// multicast routing in the kernel for both families: its setup routes
/// 224.0.0.0/4 and ff00::/8), or the two segments without it.
#[derive(Clone, Copy, PartialEq)]
enum Router {
    Yes,
    No,
}

/// True if the tools and the kernel features of the network are here;
/// otherwise the test is skipped visibly and recorded for make test's
/// summary (support::require_tool, require_kernel). A missing tool fails
/// under MC_REQUIRE_ALL=1 (CI); a kernel without multicast routing never
/// does: nothing can be installed to get it.
fn routed_prerequisites(router: Router) -> bool {
    if router == Router::Yes
        && !(require_kernel(Feature::MulticastRouting)
            && require_kernel(Feature::MulticastRouting6))
    {
        return false;
    }
    (router == Router::No || require_tool("smcrouted", "smcroute"))
        && require_tool("tshark", "tshark")
}

/// routed_hold (tests/c/routed_hold.c), compiled once per process (support::ctest).
fn routed_hold() -> PathBuf {
    if let Ok(p) = std::env::var("MC_ROUTED_HOLD") {
        return PathBuf::from(p);
    }
    CTest::new("routed_hold").build()
}

/// Outside: runs the test `test` alone inside tests/netns-routed and
/// returns true once it passed (or was skipped). Inside: returns false, and
/// the test goes on.
fn rerun_routed(test: &str, router: Router) -> bool {
    require_netns();
    if std::env::var(INNER).as_deref() == Ok(test) {
        assert_eq!(std::env::var("MC_ROUTED").as_deref(), Ok("1"));
        return false;
    }
    if !routed_prerequisites(router) {
        return true;
    }
    for t in ["python3", "unshare", "setpriv", "ip", "bridge"] {
        assert!(
            have(t),
            "{t} is required by the routed tests (apt-get install -y python3 util-linux iproute2)"
        );
    }
    let mut c = Command::new(root().join("tests/netns-routed"));
    if router == Router::No {
        c.arg("--no-router");
    }
    c.arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(INNER, test)
        .env("MC_EXAMPLE_MCSEND", bin("mcsend"))
        .env("MC_EXAMPLE_MCLISTEN", bin("mclisten"))
        .env("MC_ROUTED_HOLD", routed_hold());
    let d = Proc::start(c, b"").finish(Duration::from_secs(60));
    assert_eq!(d.code(), Some(0), "{}", d.context());
    assert!(d.out.contains("1 passed"), "{}", d.context());
    // the figures (the harness writes "test NAME ... " before the first)
    for l in d
        .out
        .lines()
        .filter_map(|l| l.find("routed: ").map(|i| &l[i..]))
    {
        println!("{l}");
    }
    true
}

// ---------------------------------------------------------------------------
// Inner run: the hosts

/// `ip netns exec HOST PROG ARGS...`
fn on(host: &str, prog: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", host]).arg(prog).args(args);
    c
}

fn scratch_dir() -> PathBuf {
    PathBuf::from(std::env::var("MC_ROUTED_DIR").expect("MC_ROUTED_DIR (set by netns-routed)"))
}

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

/// mcsend on ha: one datagram `text` to group with TTL / hop limit `ttl`.
fn send_from_a(group: &str, ttl: u8, text: &str) {
    let t = ttl.to_string();
    let d = Proc::start(
        on(
            "ha",
            bin("mcsend"),
            &["-i", "mc0", "-t", &t, group, PORT, text],
        ),
        b"",
    )
    .finish(LIMIT)
    .expect(0);
    assert!(
        d.out
            .contains(&format!("(ttl {ttl}, interface mc0): {text}")),
        "{}",
        d.context()
    );
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

// ---------------------------------------------------------------------------
// IGMP and MLD on segment B, seen by tshark on the router's B interface

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Join,
    Leave,
    Other,
}

/// One IGMP / MLD report: capture time (ns since the epoch), source, records.
#[derive(Debug, Clone)]
struct Report {
    t_ns: i128,
    src: String,
    records: Vec<(Kind, String)>,
}

const REPORT_FIELDS: &[&str] = &[
    "frame.time_epoch",
    "ip.src",
    "ipv6.src",
    "igmp.type",
    "igmp.record_type",
    "igmp.maddr",
    "igmp.num_src",
    "icmpv6.type",
    "icmpv6.mldr.mar.record_type",
    "icmpv6.mldr.mar.multicast_address",
    "icmpv6.mldr.mar.nb_sources",
    "icmpv6.mld.multicast_address",
];

/// "SEC.NANOS" as ns.
fn epoch_ns(s: &str) -> i128 {
    let (sec, frac) = s
        .split_once('.')
        .unwrap_or_else(|| panic!("bad time {s:?}"));
    let frac = format!("{frac:0<9}");
    sec.parse::<i128>().unwrap() * 1_000_000_000 + frac[..9].parse::<i128>().unwrap()
}

/// (record type, sources) -> Kind: 4 = CHANGE_TO_EXCLUDE (join), 3 =
/// CHANGE_TO_INCLUDE; with no source that is the leave.
fn v3_kind(rtype: &str, nsrc: &str) -> Kind {
    match (rtype, nsrc) {
        ("4", _) | ("2", _) => Kind::Join,
        ("3", "0") => Kind::Leave,
        _ => Kind::Other,
    }
}

/// The records of an IGMPv3 / MLDv2 report: columns i (record types),
/// i + 1 (groups), i + 2 (numbers of sources), comma-separated.
fn v3_records(f: &[&str], i: usize) -> Vec<(Kind, String)> {
    let col = |k: usize| f[i + k].split(',').collect::<Vec<_>>();
    let (t, g, n) = (col(0), col(1), col(2));
    assert!(t.len() == g.len() && t.len() == n.len(), "records in {f:?}");
    t.iter()
        .zip(&g)
        .zip(&n)
        .map(|((t, g), n)| (v3_kind(t, n), g.to_string()))
        .collect()
}

/// One line of tshark's REPORT_FIELDS.
fn parse_report(line: &str) -> Report {
    let f: Vec<&str> = line.split('\t').collect();
    assert_eq!(f.len(), REPORT_FIELDS.len(), "tshark line {line:?}");
    let mut records = Vec::new();
    match f[3] {
        "0x22" => records.extend(v3_records(&f, 4)),
        "0x16" => records.push((Kind::Join, f[5].to_string())),
        "0x17" => records.push((Kind::Leave, f[5].to_string())),
        _ => {}
    }
    match f[7] {
        "143" => records.extend(v3_records(&f, 8)),
        "131" => records.push((Kind::Join, f[11].to_string())),
        "132" => records.push((Kind::Leave, f[11].to_string())),
        _ => {}
    }
    let src = if f[1].is_empty() { f[2] } else { f[1] };
    Report {
        t_ns: epoch_ns(f[0]),
        src: src.to_string(),
        records,
    }
}

/// tshark on r's interface to segment B, printing IGMP and MLD reports.
struct Capture {
    p: Proc,
    reports: Vec<Report>,
}

impl Capture {
    fn start() -> Capture {
        let dir = scratch_dir();
        let mut args = vec![
            "-l",
            "-n",
            "-i",
            "mc2",
            // MLD has a hop-by-hop header: plain `icmp6` would miss it
            "-f",
            "igmp or (ip6[6] == 0)",
            "-Y",
            "igmp or icmpv6.type == 143 or icmpv6.type == 131 or icmpv6.type == 132",
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=,",
        ];
        for f in REPORT_FIELDS {
            args.extend(["-e", f]);
        }
        let mut c = on("r", "tshark", &args);
        c.env("HOME", &dir).env("TMPDIR", dir.join("tmp"));
        let mut p = Proc::start(c, b"");
        p.wait_stderr("Capturing on", Duration::from_secs(20));
        Capture {
            p,
            reports: Vec::new(),
        }
    }

    /// The first report (already seen or within `t`) from `src` with a
    /// record of `kind` for `group`.
    fn wait_for(&mut self, src: &str, kind: Kind, group: &str, t: Duration) -> Option<Report> {
        let hit = |r: &Report| r.src == src && r.records.iter().any(|x| *x == (kind, group.into()));
        if let Some(r) = self.reports.iter().find(|r| hit(r)) {
            return Some(r.clone());
        }
        let deadline = Instant::now() + t;
        while let Some(l) = self.p.out.next_until(deadline) {
            let r = parse_report(&l);
            self.reports.push(r.clone());
            if hit(&r) {
                return Some(r);
            }
        }
        None
    }

    fn text(&self) -> String {
        format!("{}{}", self.p.out.text(), self.p.err.text())
    }
}

/// routed_hold on hb: a library listener, closed on request.
struct Holder {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Lines,
}

impl Holder {
    fn start(group: &str) -> Holder {
        let mut c = on("hb", routed_hold(), &["hold", group, PORT, "mc0"]);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = c.spawn().expect("starting routed_hold");
        let stdin = child.stdin.take();
        let out = Lines::new(child.stdout.take().unwrap());
        let mut h = Holder { child, stdin, out };
        h.expect_line(&format!("joined {group}"));
        h
    }

    fn expect_line(&mut self, want: &str) -> String {
        let l = self.out.next_within(Duration::from_secs(10));
        match l {
            Some(l) if l.starts_with(want) => l,
            _ => {
                let _ = self.child.kill();
                panic!("routed_hold: want {want:?}, got {l:?}\n{}", self.out.text());
            }
        }
    }

    /// Asks for mc_listener_close; returns the time just before the call.
    fn close_listener(&mut self) -> i128 {
        let s = self.stdin.as_mut().unwrap();
        s.write_all(b"close\n").unwrap();
        s.flush().unwrap();
        let l = self.expect_line("closing at ");
        self.expect_line("closed");
        epoch_ns(l.strip_prefix("closing at ").unwrap())
    }

    fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Ends its input and waits (bounded) for exit 0.
    fn finish(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.running() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("routed_hold did not exit");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.out.drain(Instant::now() + Duration::from_secs(2));
        assert!(
            self.child.wait().unwrap().success(),
            "routed_hold failed:\n{}",
            self.out.text()
        );
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A library listener of `group` on hb joins (a join report on segment B),
/// then closing it puts a leave on segment B within a second, while its
/// process still runs. Returns the leave's delay in ns.
fn leave_on_close(cap: &mut Capture, group: &str, src: &str, what: &str) -> i128 {
    let mut h = Holder::start(group);
    let join = cap.wait_for(src, Kind::Join, group, Duration::from_secs(5));
    assert!(
        join.is_some(),
        "no {what} join for {group} from {src} on segment B:\n{}",
        cap.text()
    );
    let closed = h.close_listener();
    let leave = cap.wait_for(src, Kind::Leave, group, Duration::from_secs(3));
    let leave = leave.unwrap_or_else(|| {
        panic!(
            "no {what} leave for {group} from {src} on segment B within 3 s of the close:\n{}",
            cap.text()
        )
    });
    assert!(h.running(), "routed_hold exited before its leave was seen");
    let delay = leave.t_ns - closed;
    assert!(
        (0..1_000_000_000).contains(&delay),
        "{what} leave for {group} {delay} ns after mc_listener_close (want 0..1 s):\n{}",
        cap.text()
    );
    h.finish();
    println!(
        "routed: {what} leave for {group} on segment B {:.3} ms after mc_listener_close",
        delay as f64 / 1e6
    );
    delay
}

#[test]
fn routed_igmp_and_mld_leave_on_close() {
    if rerun_routed("routed_igmp_and_mld_leave_on_close", Router::No) {
        return;
    }
    let mut cap = Capture::start();
    leave_on_close(&mut cap, "239.1.2.9", HB4, "IGMP");
    leave_on_close(&mut cap, "ff05::4249", HB_LL6, "MLD");
}

/// netns-routed refuses to run outside tests/netns-run (MC_NETNS != 1),
/// before it touches anything.
#[test]
fn routed_script_refuses_outside_runner() {
    assert_refuses_outside_runner("tests/netns-routed");
}

/// The received TTL / hop limit through the library (mc_opts_set_recv_ttl,
/// shown by mclisten -t) after one router: sent with 5, received with 4.
fn received_ttl_after_router(group: &str) {
    let mut lib = Proc::start(
        on(
            "hb",
            bin("mclisten"),
            &["-t", "-i", "mc0", "-n", "1", "-w", "10000", group, PORT],
        ),
        b"",
    );
    lib.wait_stderr("mclisten: listening on", Duration::from_secs(10));
    send_from_a(group, 5, "ttl5");
    let d = lib.finish(LIMIT).expect(0);
    let line = d
        .out_lines()
        .into_iter()
        .find(|l| l.contains("ttl5"))
        .unwrap_or_else(|| panic!("no datagram on hb: {}", d.context()))
        .to_string();
    assert!(
        line.contains(" ttl 4"),
        "sent with 5, after one router: {line}"
    );
    println!("routed: {group}: sent with TTL 5, the library on segment B read {line:?}");
}

#[test]
fn routed_received_ttl_ipv4() {
    if rerun_routed("routed_received_ttl_ipv4", Router::Yes) {
        return;
    }
    received_ttl_after_router("239.1.2.5");
}

#[test]
fn routed_received_hop_limit_ipv6() {
    if rerun_routed("routed_received_hop_limit_ipv6", Router::Yes) {
        return;
    }
    received_ttl_after_router("ff05::4245");
}
