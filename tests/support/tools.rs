//! Helpers of the command-line tools' tests (tests/tools_*.rs): the Python
//! peer (tests/peers/mctest.py) as a receiver and as a test sender, mclisten
//! started in another namespace, bounded waits for a receiver to be ready
//! (a --ready file, a bound port in /proc/net/udp, a joined group in
//! /proc/net/igmp), mcsend's report read back, and the re-run of a test
//! inside tests/netns-veth or tests/netns-routed with the peer namespace
//! entered through nsenter.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::process::*;
use super::{root, scratch};

// ---------------------------------------------------------------------------
// Peers and helpers

/// tests/peers/mctest.py: the Python peer (receiver and test sender).
pub fn mctest() -> PathBuf {
    root().join("tests/peers/mctest.py")
}

/// A fresh path for a --ready file.
pub fn ready_file(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch().join("ready");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join(format!("{tag}-{}", N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_file(&f);
    f
}

/// Polls (bounded) until `ready()` holds; panics with `what` otherwise.
pub fn wait_until(what: &str, p: &mut Proc, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() {
        if let Ok(Some(s)) = p.child.try_wait() {
            p.out.drain(Instant::now() + Duration::from_secs(2));
            p.err.drain(Instant::now() + Duration::from_secs(2));
            panic!(
                "{} exited {s:?} before {what}\n--- stdout\n{}--- stderr\n{}",
                p.label,
                p.out.text(),
                p.err.text()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{}: not {what} within 10 s",
            p.label
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The test sender: datagrams with mcsend's header carrying exactly `seqs`
/// per group (wrapped by `wrap`, e.g. nsenter).
pub fn inject(wrap: &[&str], port: u16, stream: u32, flows: &[(&str, &[u64])], extra: &[&str]) {
    let mut c = wrapped(wrap, "python3");
    c.arg(mctest())
        .args(["send", &port.to_string(), "--stream", &stream.to_string()])
        .args(extra);
    let mut n = 0;
    for (g, seqs) in flows {
        let list: Vec<String> = seqs.iter().map(|s| s.to_string()).collect();
        c.arg("--flow").arg(format!("{g}={}", list.join(",")));
        n += seqs.len();
    }
    let d = Proc::start(c, b"").finish(LIMIT).expect(0);
    assert_eq!(d.out, format!("SENT {n}\n"), "{}", d.context());
}

/// `PROG` or `WRAP... PROG`.
pub fn wrapped(wrap: &[&str], prog: impl AsRef<std::ffi::OsStr>) -> Command {
    if wrap.is_empty() {
        return Command::new(prog);
    }
    let mut c = Command::new(wrap[0]);
    c.args(&wrap[1..]).arg(prog);
    c
}

/// The Python receiver, bound and joined when this returns.
pub fn py_recv(wrap: &[&str], groups: &str, port: u16, count: usize, extra: &[&str]) -> Proc {
    let ready = ready_file("py");
    let mut c = wrapped(wrap, "python3");
    c.arg(mctest())
        .args(["recv", groups, &port.to_string(), "--count"])
        .arg(count.to_string())
        .arg("--ready")
        .arg(&ready)
        .args(extra);
    let mut p = Proc::start(c, b"");
    wait_until("ready (--ready file)", &mut p, || ready.exists());
    p
}

/// mclisten started through `wrap` (nsenter, ip netns exec), joined on return.
pub fn listen_in(wrap: &[&str], args: &[&str]) -> Proc {
    let mut c = wrapped(wrap, bin("mclisten"));
    c.args(args);
    let mut p = Proc::start(c, b"");
    p.wait_stderr("mclisten: listening on", Duration::from_secs(10));
    p
}

/// One field of a "KEY=VALUE ..." line.
pub fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

/// mcsend's report: (datagrams, datagrams/s, stream id), from `text`.
pub fn sent_report(text: &str) -> (u64, f64, Option<u32>) {
    let line = text
        .lines()
        .find(|l| l.starts_with("mcsend: sent "))
        .unwrap_or_else(|| panic!("no report in {text:?}"));
    let n = line["mcsend: sent ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let pps = line
        .split(": ")
        .nth(2)
        .and_then(|r| r.split(" datagrams/s").next())
        .and_then(|x| x.parse().ok())
        .unwrap_or(0.0);
    let stream = line
        .split("; stream ")
        .nth(1)
        .map(|s| u32::from_str_radix(&s[..8], 16).unwrap());
    (n, pps, stream)
}

/// True if `got` is within `pct` percent of `want`.
pub fn within(got: f64, want: f64, pct: f64) -> bool {
    (got - want).abs() <= want * pct / 100.0
}

/// True once /proc/net/igmp lists `group` and /proc/net/udp a socket bound to
/// `port`: a socat receiver is then ready.
pub fn joined_and_bound_v4(group: &str, port: u16) -> bool {
    let o: Vec<u8> = group.split('.').map(|x| x.parse().unwrap()).collect();
    let hex = format!("{:02X}{:02X}{:02X}{:02X}", o[3], o[2], o[1], o[0]);
    let igmp = std::fs::read_to_string("/proc/net/igmp").unwrap_or_default();
    igmp.lines().any(|l| l.trim_start().starts_with(&hex)) && udp_bound(&[], port)
}

/// True if a UDP socket (IPv4 or IPv6) is bound to `port` in the network
/// namespace `wrap` enters.
pub fn udp_bound(wrap: &[&str], port: u16) -> bool {
    let mut c = wrapped(wrap, "cat");
    c.args(["/proc/net/udp", "/proc/net/udp6"]);
    let o = c.output().expect("cat /proc/net/udp");
    String::from_utf8_lossy(&o.stdout).lines().skip(1).any(|l| {
        l.split_whitespace()
            .nth(1)
            .is_some_and(|local| local.ends_with(&format!(":{port:04X}")))
    })
}

/// `b` as lowercase hex, two digits a byte (as mclisten -x and -j print data).
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Set to the test's name in the re-run inside tests/netns-veth / tests/netns-routed.
pub const INNER: &str = "MC_TOOLS_INNER";

/// Outside: runs `test` alone inside `wrapper` (tests/netns-veth or
/// tests/netns-routed) and returns true once it passed. Inside: false.
pub fn rerun(test: &str, wrapper: &str) -> bool {
    if std::env::var(INNER).as_deref() == Ok(test) {
        return false;
    }
    let mut c = Command::new(root().join(wrapper));
    c.arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(INNER, test);
    for t in ["mcsend", "mclisten", "mcping"] {
        c.env(format!("MC_EXAMPLE_{}", t.to_uppercase()), bin(t));
    }
    let d = Proc::start(c, b"").finish(Duration::from_secs(90));
    assert_eq!(d.code(), Some(0), "{}", d.context());
    assert!(d.out.contains("1 passed"), "{}", d.context());
    for l in d
        .out
        .lines()
        .filter_map(|l| l.find("tools: ").map(|i| &l[i..]))
    {
        println!("{l}");
    }
    true
}

/// `nsenter -t PID -n`: the way into tests/netns-veth's peer namespace (MC_PEER_PID).
pub fn peer() -> Vec<String> {
    let pid = std::env::var("MC_PEER_PID").expect("MC_PEER_PID (set by netns-veth)");
    vec!["nsenter".into(), "-t".into(), pid, "-n".into()]
}

/// The `&str`s of `v` (a wrapper built as Strings, passed as `&[&str]`).
pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(|s| s.as_str()).collect()
}
