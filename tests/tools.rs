//! The command-line tools as a network engineer uses them: mcsend as a
//! traffic generator, mclisten as a monitor, mcping as an ssmping-compatible
//! reachability test; each against peers this project did not write
//! (Python's socket module in tests/peers/mctest.py, which encodes and decodes
//! the test header from its documentation alone, socat, iperf2, and Debian's
//! ssmping, asmping and ssmpingd).
//!
//! - mcsend -> mclisten over 250 groups: every datagram counted, nothing lost;
//!   a test sender that skips, repeats and swaps sequence numbers: exactly
//!   those losses, duplicates and reorderings, per group and per datagram,
//!   and exit status 3; the rate of -r and -b within 5% of what was asked, at
//!   the sender and at the receiver; the JSON lines parsed back (here, and by
//!   Python's json).
//! - mcsend -> Python (header, DSCP, TTL, size), -> socat (a binary file, byte
//!   for byte); socat and iperf2 (`iperf -c GROUP -u -T 1`) -> mclisten.
//! - mcping against ssmpingd, and ssmping/asmping against `mcping -s`, IPv4 and
//!   IPv6, on one segment (a veth pair: hops 0) and across the routed network
//!   of tests/netns-routed (hops 1).
//! - The basics, mcsend -> mclisten on lo: text and its escapes, numbered
//!   lines, hex, a filter, a timeout, truncation, source-specific joins and
//!   every interface; IPv6 link-local scope and -L over a veth pair.
//! - Bad usage: one line on standard error and exit status 2, for each tool;
//!   the library's own message for a bad group, interface, filter or source.
//! - Each tool builds warning-free (tools/NAME.c, tools/NAME_*.c, tools/common.c).
//!
//! Everything runs inside the runner's private namespace; the veth and routed
//! tests re-run themselves inside tests/netns-veth / tests/netns-routed.
//! Receivers are waited for (mclisten's "listening on" line, mctest.py's
//! --ready file, a bound port in /proc/net/udp), never slept on; every wait
//! is bounded. Without socat, iperf, ssmping or smcroute the tests that need
//! them print "SKIPPED: ..." and pass, unless MC_REQUIRE_ALL=1 (CI).
//! `cargo test --test tools -- --nocapture` prints the figures.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::process::*;
use support::*;

// ---------------------------------------------------------------------------
// JSON: a small strict parser for mclisten -j (no crates here)

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && b" \t\r\n".contains(&self.s[self.i]) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at {}", c as char, self.i))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let c = *self.s.get(self.i).ok_or("unterminated string")?;
            self.i += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("bad escape")?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e as char),
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'u' => {
                            let h = std::str::from_utf8(&self.s[self.i..self.i + 4])
                                .map_err(|e| e.to_string())?;
                            let v = u32::from_str_radix(h, 16).map_err(|e| e.to_string())?;
                            out.push(char::from_u32(v).ok_or("bad \\u")?);
                            self.i += 4;
                        }
                        _ => return Err(format!("bad escape \\{}", e as char)),
                    }
                }
                c if c < 0x20 => return Err("control character in a string".into()),
                c => out.push(c as char),
            }
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(v));
                }
                loop {
                    let k = self.string()?;
                    self.eat(b':')?;
                    v.push((k, self.value()?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(v));
                        }
                        _ => return Err(format!("expected , or }} at {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(v));
                        }
                        _ => return Err(format!("expected , or ] at {}", self.i)),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                Ok(Json::Null)
            }
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(Json::Bool(true))
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(Json::Bool(false))
            }
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while self.i < self.s.len() && b"+-.eE0123456789".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                t.parse()
                    .map(Json::Num)
                    .map_err(|_| format!("bad number {t:?}"))
            }
            _ => Err(format!("unexpected input at {}", self.i)),
        }
    }
}

impl Json {
    fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != text.len() {
            return Err(format!("trailing input at {}", p.i));
        }
        Ok(v)
    }

    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(v) => v
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no {key:?} in {self:?}")),
            _ => panic!("not an object: {self:?}"),
        }
    }

    fn num(&self, key: &str) -> f64 {
        match self.get(key) {
            Json::Num(n) => *n,
            v => panic!("{key} is not a number: {v:?} in {self:?}"),
        }
    }

    fn int(&self, key: &str) -> u64 {
        let n = self.num(key);
        assert!(n >= 0.0 && n.fract() == 0.0, "{key} = {n}: not a count");
        n as u64
    }

    fn str(&self, key: &str) -> &str {
        match self.get(key) {
            Json::Str(s) => s,
            v => panic!("{key} is not a string: {v:?} in {self:?}"),
        }
    }

    fn is_null(&self, key: &str) -> bool {
        matches!(self.get(key), Json::Null)
    }
}

/// Every line of standard output as JSON, checked by this parser and by
/// Python's json module (an independent reader).
fn json_lines(d: &Done) -> Vec<Json> {
    let v: Vec<Json> = d
        .out
        .lines()
        .map(|l| Json::parse(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l:?}\n{}", d.context())))
        .collect();
    let mut c = Command::new("python3");
    c.args([
        "-c",
        "import json,sys\nn=0\nfor l in sys.stdin:\n    json.loads(l); n+=1\nprint(n)",
    ]);
    let p = Proc::start(c, d.out.as_bytes()).finish(LIMIT).expect(0);
    assert_eq!(
        p.out.trim(),
        v.len().to_string(),
        "python json: {}",
        p.context()
    );
    v
}

fn of_type<'a>(v: &'a [Json], t: &str) -> Vec<&'a Json> {
    v.iter().filter(|j| j.str("type") == t).collect()
}

/// The flow summary of `group` (exactly one).
fn summary_of<'a>(v: &'a [Json], group: &str) -> &'a Json {
    let s: Vec<_> = of_type(v, "summary")
        .into_iter()
        .filter(|j| j.str("group") == group)
        .collect();
    assert_eq!(s.len(), 1, "summaries of {group}: {s:?}");
    s[0]
}

fn total(v: &[Json]) -> &Json {
    let t = of_type(v, "total");
    assert_eq!(t.len(), 1, "totals: {t:?}");
    t[0]
}

// ---------------------------------------------------------------------------
// Peers and helpers

fn mctest() -> PathBuf {
    root().join("tests/peers/mctest.py")
}

/// A fresh path for a --ready file.
fn ready_file(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch().join("ready");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join(format!("{tag}-{}", N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_file(&f);
    f
}

/// Polls (bounded) until `ready()` holds; panics with `what` otherwise.
fn wait_until(what: &str, p: &mut Proc, mut ready: impl FnMut() -> bool) {
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
fn inject(wrap: &[&str], port: u16, stream: u32, flows: &[(&str, &[u64])], extra: &[&str]) {
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
fn wrapped(wrap: &[&str], prog: impl AsRef<std::ffi::OsStr>) -> Command {
    if wrap.is_empty() {
        return Command::new(prog);
    }
    let mut c = Command::new(wrap[0]);
    c.args(&wrap[1..]).arg(prog);
    c
}

/// The Python receiver, bound and joined when this returns.
fn py_recv(wrap: &[&str], groups: &str, port: u16, count: usize, extra: &[&str]) -> Proc {
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
fn listen_in(wrap: &[&str], args: &[&str]) -> Proc {
    let mut c = wrapped(wrap, bin("mclisten"));
    c.args(args);
    let mut p = Proc::start(c, b"");
    p.wait_stderr("mclisten: listening on", Duration::from_secs(10));
    p
}

/// One field of a "KEY=VALUE ..." line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
}

/// mcsend's report: (datagrams, datagrams/s, stream id), from `text`.
fn sent_report(text: &str) -> (u64, f64, Option<u32>) {
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

fn within(got: f64, want: f64, pct: f64) -> bool {
    (got - want).abs() <= want * pct / 100.0
}

/// True once /proc/net/igmp lists `group` and /proc/net/udp a socket bound to
/// `port`: a socat receiver is then ready.
fn joined_and_bound_v4(group: &str, port: u16) -> bool {
    let o: Vec<u8> = group.split('.').map(|x| x.parse().unwrap()).collect();
    let hex = format!("{:02X}{:02X}{:02X}{:02X}", o[3], o[2], o[1], o[0]);
    let igmp = std::fs::read_to_string("/proc/net/igmp").unwrap_or_default();
    igmp.lines().any(|l| l.trim_start().starts_with(&hex)) && udp_bound(&[], port)
}

/// True if a UDP socket (IPv4 or IPv6) is bound to `port` in the network
/// namespace `wrap` enters.
fn udp_bound(wrap: &[&str], port: u16) -> bool {
    let mut c = wrapped(wrap, "cat");
    c.args(["/proc/net/udp", "/proc/net/udp6"]);
    let o = c.output().expect("cat /proc/net/udp");
    String::from_utf8_lossy(&o.stdout).lines().skip(1).any(|l| {
        l.split_whitespace()
            .nth(1)
            .is_some_and(|local| local.ends_with(&format!(":{port:04X}")))
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

// ---------------------------------------------------------------------------
// Building

/// The tools (tools/NAME.c, its parts tools/NAME_*.c, tools/common.c).
const TOOLS: &[&str] = &["mcsend", "mclisten", "mcping"];

#[test]
fn every_tool_builds_warning_free() {
    require_netns();
    for name in TOOLS {
        assert!(
            root().join(format!("tools/{name}.c")).exists(),
            "tools/{name}.c is missing"
        );
        // compile() uses -std=c99 -Wall -Wextra -Wpedantic -Werror
        let b = bin(name);
        assert!(b.exists(), "{}", b.display());
    }
}

// ---------------------------------------------------------------------------
// mcsend and mclisten: the basics (text, hex, filter, timeout, truncation, SSM, IPv6 scope)

#[test]
fn tools_three_packets_from_mcsend_reach_mclisten() {
    require_netns();
    let l = listen(&["-n", "3", "-w", "10000", "239.1.1.1", "5101"]);
    let s = run("mcsend", &["-c", "3", "239.1.1.1", "5101", "hello tools"]).expect(0);
    assert_eq!(
        s.out_lines(),
        ["sent 11 bytes to 239.1.1.1:5101 (ttl 1): hello tools"; 3],
        "{}",
        s.context()
    );
    let d = l.finish(LIMIT).expect(0);
    let want = [(11, "hello tools"); 3];
    let ports = check_lines(&d, "127.0.0.1", "239.1.1.1:5101", "lo", &want);
    assert!(
        ports.iter().all(|p| *p == ports[0]),
        "one socket sends all: {ports:?}"
    );
    assert!(
        d.err
            .contains("mclisten: 3 datagrams printed; 3 received, 0 filtered, 0 truncated"),
        "{}",
        d.context()
    );
}

#[test]
fn tools_numbered_packets_on_a_named_interface_arrive_in_order() {
    require_netns();
    let l = listen(&["-i", "lo", "-n", "5", "-w", "10000", "239.1.1.2", "5102"]);
    let s = run(
        "mcsend",
        &["-i", "lo", "-N", "-c", "5", "239.1.1.2", "5102", "numbered"],
    )
    .expect(0);
    assert!(
        s.out
            .contains("sent 10 bytes to 239.1.1.2:5102 (ttl 1, interface lo): 5 numbered"),
        "{}",
        s.context()
    );
    let d = l.finish(LIMIT).expect(0);
    let want: Vec<_> = (1..=5).map(|i| (10, format!("{i} numbered"))).collect();
    check_lines(&d, "127.0.0.1", "239.1.1.2:5102", "lo", &want);
}

#[test]
fn tools_hex_and_escaped_text() {
    require_netns();
    // -x: hex
    let l = listen(&["-x", "-n", "1", "-w", "10000", "239.1.1.3", "5103"]);
    run("mcsend", &["239.1.1.3", "5103", "hex me"]).expect(0);
    let d = l.finish(LIMIT).expect(0);
    let want = [(6, "686578206d65")];
    check_lines(&d, "127.0.0.1", "239.1.1.3:5103", "lo", &want);

    // text: bytes that are not printable ASCII are escaped; stdin lines with "-"
    let l = listen(&["-n", "2", "-w", "10000", "239.1.1.3", "5103"]);
    let s = run_with_stdin(
        "mcsend",
        &["239.1.1.3", "5103", "-"],
        b"tab\there back\\slash \x01\xff\nsecond line\r\n",
    )
    .expect(0);
    assert_eq!(
        s.out_lines(),
        [
            "sent 22 bytes to 239.1.1.3:5103 (ttl 1): tab\\there back\\\\slash \\x01\\xff",
            "sent 11 bytes to 239.1.1.3:5103 (ttl 1): second line",
        ],
        "{}",
        s.context()
    );
    let d = l.finish(LIMIT).expect(0);
    let want = [
        (22, "tab\\there back\\\\slash \\x01\\xff"),
        (11, "second line"),
    ];
    check_lines(&d, "127.0.0.1", "239.1.1.3:5103", "lo", &want);
}

#[test]
fn tools_filter_drops_non_matching() {
    require_netns();
    // matched at the start; ${port} is the listener's port
    let l = listen(&[
        "-f",
        "keep|${port}",
        "-n",
        "3",
        "-w",
        "10000",
        "239.1.1.4",
        "5104",
    ]);
    run_with_stdin(
        "mcsend",
        &["239.1.1.4", "5104", "-"],
        b"drop 1\nkeep 1\nnot keep\ndrop 2\n5104 port\nkeep 2\n",
    )
    .expect(0);
    let d = l.finish(LIMIT).expect(0);
    let want = [(6, "keep 1"), (9, "5104 port"), (6, "keep 2")];
    check_lines(&d, "127.0.0.1", "239.1.1.4:5104", "lo", &want);
    assert!(
        d.err
            .contains("3 datagrams printed; 6 received, 3 filtered"),
        "{}",
        d.context()
    );
}

#[test]
fn tools_mclisten_times_out_with_exit_1() {
    require_netns();
    let d = run("mclisten", &["-w", "200", "239.1.1.5", "5105"]).expect(1);
    assert!(d.out.is_empty(), "{}", d.context());
    assert!(d.err.contains("no datagram for 200 ms"), "{}", d.context());

    let l = listen(&["-n", "2", "-w", "1500", "239.1.1.5", "5105"]);
    run("mcsend", &["239.1.1.5", "5105", "only one"]).expect(0);
    let d = l.finish(LIMIT).expect(1);
    assert_eq!(d.out_lines().len(), 1, "{}", d.context());
    assert!(d.err.contains("got 1 of 2"), "{}", d.context());
}

#[test]
fn tools_truncation_is_reported() {
    require_netns();
    let l = listen(&["-m", "4", "-n", "1", "-w", "10000", "239.1.1.6", "5106"]);
    run("mcsend", &["239.1.1.6", "5106", "truncate me"]).expect(0);
    let d = l.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 1, "{}", d.context());
    assert!(
        lines[0].ends_with(" -> 239.1.1.6:5106 lo 11 bytes, truncated to 4: trun"),
        "{}",
        d.context()
    );
    assert!(d.err.contains("1 truncated"), "{}", d.context());
}

#[test]
fn tools_source_specific_and_every_interface() {
    require_netns();
    // -s 127.0.0.1 gets the packet, -s 127.0.0.2 must not; "*" joins on lo too.
    let yes = listen(&[
        "-s",
        "127.0.0.1",
        "-n",
        "1",
        "-w",
        "10000",
        "239.1.1.7",
        "5107",
    ]);
    let no = listen(&["-s", "127.0.0.2", "239.1.1.7", "5107"]);
    let all = listen(&["-i", "*", "-n", "1", "-w", "10000", "239.1.1.7", "5107"]);
    // the interface given by one of its addresses
    run("mcsend", &["-i", "127.0.0.1", "239.1.1.7", "5107", "ssm"]).expect(0);
    for (p, who) in [(yes, "-s 127.0.0.1"), (all, "-i *")] {
        let d = p.finish(LIMIT).expect(0);
        let lines = d.out_lines();
        assert_eq!(lines.len(), 1, "{who}: {}", d.context());
        check_line(lines[0], "127.0.0.1", "239.1.1.7:5107", "lo", 3, "ssm");
    }
    // Loopback delivery handed the datagram to every member socket at once, so
    // the other source's listener has had it (and must have dropped it) by now;
    // give it a bounded moment more, then stop it: SIGTERM ends it with exit 0.
    let mut no = no;
    assert_eq!(no.out.next_within(Duration::from_millis(200)), None);
    no.terminate();
    let d = no.finish(LIMIT).expect(0);
    assert!(d.out.is_empty(), "{}", d.context());
    assert!(
        d.err.contains("0 datagrams printed; 0 received"),
        "{}",
        d.context()
    );
}

/// IPv6 link-local scope (ff02::) over a veth pair. lo cannot carry IPv6
/// multicast, so this test re-runs itself in a nested private namespace
/// (tests/netns-run inside the runner's) where it adds mc0 <-> mc1.
#[test]
fn tools_ipv6_link_local_scope() {
    require_netns();
    if rerun_in_nested_netns("tools_ipv6_link_local_scope", "MC_TOOLS_V6_INNER") {
        return;
    }
    veth_pair();
    let l = listen(&["-n", "2", "-w", "10000", "ff02::4242%mc1", "5201"]);
    let s = run(
        "mcsend",
        &["-c", "2", "-t", "3", "ff02::4242%mc0", "5201", "over v6"],
    )
    .expect(0);
    assert_eq!(
        s.out_lines(),
        ["sent 7 bytes to [ff02::4242]:5201 (ttl 3, interface mc0): over v6"; 2],
        "{}",
        s.context()
    );
    let d = l.finish(LIMIT).expect(0);
    let want = [(7, "over v6"); 2];
    check_lines(&d, "[fe80::1%mc1]", "[ff02::4242%mc1]:5201", "mc1", &want);
    // -i and %scope together must agree
    let d = run("mclisten", &["-i", "mc0", "ff02::4242%mc1", "5201"]).expect(2);
    assert!(d.err.contains("interface given twice"), "{}", d.context());

    // -L: no copy for this host's listeners on the sending interface (mc0);
    // the peer end (mc1) still gets the datagram. On lo this cannot be seen.
    let mut local = listen(&["ff02::4246%mc0", "5202"]);
    let peer = listen(&["-n", "1", "-w", "10000", "ff02::4246%mc1", "5202"]);
    run("mcsend", &["-L", "ff02::4246%mc0", "5202", "no loop"]).expect(0);
    let d = peer.finish(LIMIT).expect(0);
    assert_eq!(d.out_lines().len(), 1, "{}", d.context());
    assert_eq!(
        local.out.next_within(Duration::from_millis(300)),
        None,
        "-L: a listener on the sending interface got the datagram"
    );
    // without -L it does
    run("mcsend", &["ff02::4246%mc0", "5202", "loop"]).expect(0);
    let line = local
        .out
        .next_within(Duration::from_secs(10))
        .expect("without -L the sending host's listener gets the datagram");
    check_line(
        &line,
        "[fe80::1%mc0]",
        "[ff02::4246%mc0]:5202",
        "mc0",
        4,
        "loop",
    );
    local.terminate();
    let d = local.finish(LIMIT).expect(0);
    assert!(
        d.err.contains("1 datagrams printed; 1 received"),
        "{}",
        d.context()
    );
}

// ---------------------------------------------------------------------------
// mcsend -> mclisten

#[test]
fn mcsend_to_mclisten_over_250_groups_nothing_lost() {
    require_netns();
    let l = listen(&[
        "-q",
        "-j",
        "-n",
        "2000",
        "-w",
        "10000",
        "239.3.1.1+250",
        "7101",
    ]);
    let s = run(
        "mcsend",
        &[
            "-q",
            "-p",
            "-r",
            "20000",
            "-c",
            "8",
            "239.3.1.1+250",
            "7101",
            "many",
        ],
    )
    .expect(0);
    let (sent, _, stream) = sent_report(&s.out);
    assert_eq!(sent, 2000, "{}", s.context());
    assert!(s.out.contains("to 250 groups"), "{}", s.context());
    let d = l.finish(LIMIT).expect(0);
    assert!(
        d.err.contains(
            "listening on 239.3.1.1:7101, 239.3.1.2:7101, 239.3.1.3:7101, \
                        239.3.1.4:7101, ..., 239.3.1.250:7101 (250 groups,"
        ),
        "{}",
        d.context()
    );
    let v = json_lines(&d);
    assert!(of_type(&v, "packet").is_empty(), "-q: no packet lines");
    assert_eq!(of_type(&v, "summary").len(), 250, "{}", d.context());
    for i in 1..=250 {
        let f = summary_of(&v, &format!("239.3.1.{i}"));
        assert_eq!(f.str("header"), "mc");
        assert_eq!(f.str("source"), "127.0.0.1");
        assert_eq!(f.int("stream"), stream.unwrap() as u64);
        assert_eq!(
            (f.int("packets"), f.int("bytes")),
            (8, 8 * 28),
            "239.3.1.{i}: {f:?}"
        );
        assert_eq!(
            (f.int("lost"), f.int("dup"), f.int("reordered")),
            (0, 0, 0),
            "{f:?}"
        );
        assert_eq!(f.get("ttl").num("max"), 1.0);
    }
    let t = total(&v);
    assert_eq!(
        (
            t.int("packets"),
            t.int("lost"),
            t.int("flows"),
            t.int("status")
        ),
        (2000, 0, 250, 0)
    );
    println!(
        "tools: 2000 datagrams over 250 groups (8 each): 2000 received, 0 lost, 0 dup, 0 reordered"
    );
}

/// Sequence numbers as a test sender injects them, and what mclisten must
/// count: (group, seqs, lost, dup, reordered, events).
type Injected = (
    &'static str,
    &'static [u64],
    u64,
    u64,
    u64,
    &'static [(&'static str, u64)],
);

const INJECTED: &[Injected] = &[
    // 4 skipped
    (
        "239.3.2.1",
        &[1, 2, 3, 5, 6, 7, 8, 9, 10],
        1,
        0,
        0,
        &[
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
            ("gap", 1),
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
        ],
    ),
    // 3 once and 5 twice repeated
    (
        "239.3.2.2",
        &[1, 2, 3, 3, 4, 5, 5, 5],
        0,
        3,
        0,
        &[
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
            ("dup", 0),
            ("ok", 0),
            ("ok", 0),
            ("dup", 0),
            ("dup", 0),
        ],
    ),
    // 3/4 and 6/7 swapped: late, never lost
    (
        "239.3.2.3",
        &[1, 2, 4, 3, 5, 7, 6, 8],
        0,
        0,
        2,
        &[
            ("ok", 0),
            ("ok", 0),
            ("gap", 1),
            ("late", 0),
            ("ok", 0),
            ("gap", 1),
            ("late", 0),
            ("ok", 0),
        ],
    ),
    // all three: 4 lost, 2 repeated, 2 and 5 late
    (
        "239.3.2.4",
        &[1, 3, 2, 2, 6, 5],
        1,
        1,
        2,
        &[
            ("ok", 0),
            ("gap", 1),
            ("late", 0),
            ("dup", 0),
            ("gap", 2),
            ("late", 0),
        ],
    ),
    // clean
    (
        "239.3.2.5",
        &[1, 2, 3, 4, 5, 6, 7, 8],
        0,
        0,
        0,
        &[
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
            ("ok", 0),
        ],
    ),
    // a stream that starts at 10: 12..19 lost, nothing before 10 counted
    (
        "239.3.2.6",
        &[10, 11, 20],
        8,
        0,
        0,
        &[("ok", 0), ("ok", 0), ("gap", 8)],
    ),
];

#[test]
fn injected_loss_duplicates_and_reordering_are_counted_exactly() {
    require_netns();
    let total_n: usize = INJECTED.iter().map(|f| f.1.len()).sum();
    let n = total_n.to_string();
    let l = listen(&["-j", "-n", &n, "-w", "10000", "239.3.2.1+6", "7102"]);
    let flows: Vec<(&str, &[u64])> = INJECTED.iter().map(|f| (f.0, f.1)).collect();
    inject(&[], 7102, 0x7e57, &flows, &[]);
    // loss: exit status 3
    let d = l.finish(LIMIT).expect(3);
    let v = json_lines(&d);
    let packets = of_type(&v, "packet");
    assert_eq!(packets.len(), total_n, "{}", d.context());
    let (mut lost, mut dup, mut reord) = (0, 0, 0);
    for (group, seqs, want_lost, want_dup, want_reord, events) in INJECTED {
        let f = summary_of(&v, group);
        assert_eq!(f.int("stream"), 0x7e57);
        assert_eq!(f.int("packets"), seqs.len() as u64, "{group}");
        assert_eq!(
            (f.int("lost"), f.int("dup"), f.int("reordered")),
            (*want_lost, *want_dup, *want_reord),
            "{group}: sent {seqs:?}: {f:?}"
        );
        // and datagram by datagram, in the order sent
        let got: Vec<(u64, String, u64)> = packets
            .iter()
            .filter(|p| p.str("group") == *group)
            .map(|p| {
                (
                    p.int("seq"),
                    p.str("event").to_string(),
                    p.int("lost_before"),
                )
            })
            .collect();
        let want: Vec<(u64, String, u64)> = seqs
            .iter()
            .zip(events.iter())
            .map(|(s, (e, g))| (*s, e.to_string(), *g))
            .collect();
        assert_eq!(got, want, "{group}");
        for p in packets.iter().filter(|p| p.str("group") == *group) {
            assert_eq!(p.str("header"), "mc");
            assert!(p.str("data").ends_with(&hex(b"inj")), "{p:?}");
            let ms = p.num("delay_ms");
            assert!((0.0..1000.0).contains(&ms), "one-way delay {ms} ms: {p:?}");
        }
        lost += want_lost;
        dup += want_dup;
        reord += want_reord;
    }
    let t = total(&v);
    assert_eq!(
        (
            t.int("lost"),
            t.int("dup"),
            t.int("reordered"),
            t.int("status")
        ),
        (lost, dup, reord, 3),
        "{t:?}"
    );
    assert!(
        d.err.contains(&format!("mclisten: {lost} datagrams lost")),
        "{}",
        d.context()
    );
    println!(
        "tools: injected over 6 groups: lost {lost}, duplicated {dup}, reordered {reord}: \
         mclisten counted exactly that (exit status 3)"
    );
}

#[test]
fn mclisten_lines_columns_intervals_and_summary_for_people() {
    require_netns();
    // a late datagram fills its gap: nothing lost in the end (exit 0)
    let l = listen(&[
        "-t",
        "-T",
        "-I",
        "0.2",
        "-n",
        "5",
        "-w",
        "10000",
        "239.3.3.1",
        "7103",
    ]);
    inject(
        &[],
        7103,
        0xabcdef01,
        &[("239.3.3.1", &[1, 2, 4, 3, 3])],
        &[],
    );
    let d = l.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 5, "one line per datagram\n{}", d.context());
    let notes = [
        "seq 1 delay",
        "seq 2 delay",
        "seq 4 delay",
        "seq 3 delay",
        "seq 3 delay",
    ];
    let ends = [
        "ms]: inj",
        "ms]: inj",
        "ms, 1 lost before it]: inj",
        "ms, late]: inj",
        "ms, duplicate]: inj",
    ];
    for (i, line) in lines.iter().enumerate() {
        // TIME SRC -> GROUP IFACE ttl 1 rx S.NS 27 bytes [stream abcdef01 seq N delay D ms...]: inj
        let (_, rest) = line
            .split_once(" -> 239.3.3.1:7103 lo ttl 1 rx ")
            .unwrap_or_else(|| {
                panic!(
                    "no group, interface, ttl column in {line:?}\n{}",
                    d.context()
                )
            });
        let (rx, rest) = rest.split_once(' ').unwrap();
        let (secs, ns) = rx.split_once('.').unwrap();
        assert!(
            secs.parse::<u64>().unwrap() > 1_600_000_000 && ns.len() == 9,
            "{line:?}"
        );
        assert!(
            rest.starts_with(&format!("27 bytes [stream abcdef01 {}", notes[i])),
            "{line:?}"
        );
        assert!(rest.ends_with(ends[i]), "{line:?}");
    }
    // the summaries go to stderr (stdout: one line per datagram)
    assert!(
        d.err.contains("--- mclisten summary: 1 flow, "),
        "{}",
        d.context()
    );
    let row = d
        .err
        .lines()
        .find(|l| l.contains("] 239.3.3.1 <- 127.0.0.1 stream abcdef01: 5 pkt,"))
        .unwrap_or_else(|| panic!("no summary row\n{}", d.context()));
    assert!(
        row.contains(", lost 0 (0.00%), dup 1, reord 1, delay ") && row.ends_with(" ms, ttl 1"),
        "{row}"
    );
    assert!(
        d.err.lines().any(|l| l.contains("] total: 1 flow, 5 pkt,")),
        "{}",
        d.context()
    );

    // -q: no datagram lines; intervals and summary on stdout, silent intervals show 0
    let l = listen(&["-q", "-I", "0.2", "-d", "1", "239.3.3.2", "7103"]);
    inject(&[], 7103, 7, &[("239.3.3.2", &[1, 2, 3])], &[]);
    let d = l.finish(LIMIT).expect(0);
    let ivs: Vec<&str> = d
        .out
        .lines()
        .filter(|l| l.contains("] 239.3.3.2 <- 127.0.0.1 stream 00000007: "))
        .collect();
    // four full intervals of 0.2 s in 1 s (the fifth ends with the run)
    assert!(ivs.len() >= 4, "{}", d.context());
    assert!(
        ivs.iter()
            .any(|l| l.contains(": 0 pkt, 0.0 pps, 0 bit/s, lost 0 (0.00%)")),
        "a silent interval shows 0\n{}",
        d.context()
    );
    let in_ivs: u64 = ivs
        .iter()
        .take(ivs.len() - 1) // the last row is the summary's
        .map(|l| {
            l.split(": ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(
        in_ivs,
        3,
        "the intervals add up to the datagrams\n{}",
        d.context()
    );
    assert!(
        d.out.contains("--- mclisten summary: 1 flow"),
        "{}",
        d.context()
    );
    assert!(
        d.err.contains("mclisten: 3 datagrams; 3 received"),
        "{}",
        d.context()
    );
}

#[test]
fn rate_and_bitrate_within_5_percent_of_what_was_asked() {
    require_netns();
    // -r 2000 for 2 s over two groups: 1000/s each
    let l = listen(&["-q", "-j", "-w", "1500", "239.3.4.1+2", "7104"]);
    let s = run(
        "mcsend",
        &["-q", "-p", "-r", "2000", "-d", "2", "239.3.4.1+2", "7104"],
    )
    .expect(0);
    let (sent, pps, _) = sent_report(&s.out);
    let d = l.finish(LIMIT).expect(0);
    let v = json_lines(&d);
    assert!(
        (3800..=4200).contains(&sent),
        "2 s at 2000/s: sent {sent}\n{}",
        s.context()
    );
    assert!(within(pps, 2000.0, 5.0), "sender: {pps}/s\n{}", s.context());
    let mut got = Vec::new();
    for g in ["239.3.4.1", "239.3.4.2"] {
        let f = summary_of(&v, g);
        assert_eq!(f.int("lost"), 0, "{f:?}");
        let r = f.num("pps");
        assert!(within(r, 1000.0, 5.0), "{g}: {r}/s at the receiver: {f:?}");
        got.push(r);
    }
    let t = total(&v);
    assert_eq!(t.int("packets"), sent);
    assert!(within(t.num("pps"), 2000.0, 5.0), "{t:?}");
    println!(
        "tools: -r 2000 (2 groups): sender {pps:.1}/s, receiver {:.1} + {:.1} = {:.1}/s; {sent} datagrams in 2 s",
        got[0],
        got[1],
        t.num("pps")
    );

    // -b 2M with 1000-byte datagrams: 250/s, 2 Mbit/s of UDP payload
    let l = listen(&["-q", "-j", "-w", "1500", "239.3.4.3", "7104"]);
    let s = run(
        "mcsend",
        &[
            "-q",
            "-p",
            "-b",
            "2M",
            "-s",
            "1000",
            "-d",
            "1.5",
            "239.3.4.3",
            "7104",
        ],
    )
    .expect(0);
    assert!(s.out.contains("(asked 2.000 Mbit/s)"), "{}", s.context());
    let d = l.finish(LIMIT).expect(0);
    let v = json_lines(&d);
    let f = summary_of(&v, "239.3.4.3");
    assert_eq!((f.int("lost"), f.int("bytes") % 1000), (0, 0), "{f:?}");
    assert!(within(f.num("bps"), 2e6, 5.0), "{f:?}");
    assert!(within(f.num("pps"), 250.0, 5.0), "{f:?}");
    println!(
        "tools: -b 2M -s 1000: receiver {:.3} Mbit/s, {:.1}/s",
        f.num("bps") / 1e6,
        f.num("pps")
    );
}

#[test]
fn mclisten_source_specific_pairs_in_a_list() {
    require_netns();
    let l = listen(&[
        "-q",
        "-j",
        "-w",
        "1000",
        "127.0.0.1@239.3.5.1,127.0.0.2@239.3.5.2,239.3.5.3",
        "7105",
    ]);
    assert!(
        l.err
            .text()
            .contains("listening on 127.0.0.1@239.3.5.1:7105, 127.0.0.2@239.3.5.2:7105, 239.3.5.3:7105 (3 groups,"),
        "{}",
        l.err.text()
    );
    run("mcsend", &["-q", "-p", "-c", "3", "239.3.5.1+3", "7105"]).expect(0);
    let d = l.finish(LIMIT).expect(0);
    let v = json_lines(&d);
    assert_eq!(summary_of(&v, "239.3.5.1").int("packets"), 3);
    assert_eq!(summary_of(&v, "239.3.5.3").int("packets"), 3);
    assert!(
        of_type(&v, "summary")
            .iter()
            .all(|f| f.str("group") != "239.3.5.2"),
        "the source 127.0.0.2 was asked for 239.3.5.2\n{}",
        d.context()
    );
    assert_eq!(total(&v).int("packets"), 6);
}

#[test]
fn mcsend_lines_of_stdin_to_each_group_in_turn() {
    require_netns();
    let l = listen(&["-n", "8", "-w", "10000", "239.3.6.1+2", "7106"]);
    let s = run_with_stdin(
        "mcsend",
        &["-N", "-c", "2", "239.3.6.1+2", "7106"],
        b"a\nb\n",
    )
    .expect(0);
    assert_eq!(s.out_lines().len(), 8, "{}", s.context());
    assert!(
        s.err
            .contains("mcsend: sent 8 datagrams, 24 bytes, to 2 groups"),
        "{}",
        s.context()
    );
    let d = l.finish(LIMIT).expect(0);
    for g in ["239.3.6.1", "239.3.6.2"] {
        let got: Vec<&str> = d
            .out
            .lines()
            .filter(|l| l.contains(&format!(" -> {g}:7106 lo 3 bytes: ")))
            .map(|l| l.rsplit(": ").next().unwrap())
            .collect();
        assert_eq!(got, ["1 a", "2 a", "3 b", "4 b"], "{g}\n{}", d.context());
    }
}

// ---------------------------------------------------------------------------
// mcsend -> Python, socat; socat, iperf -> mclisten

#[test]
fn mcsend_header_dscp_ttl_and_size_as_python_sees_them() {
    require_netns();
    let r = py_recv(&[], "239.3.7.1,239.3.7.2", 7107, 10, &[]);
    let s = run(
        "mcsend",
        &[
            "-p",
            "-Q",
            "ef",
            "-t",
            "3",
            "-c",
            "5",
            "-s",
            "100",
            "239.3.7.1+2",
            "7107",
            "hello",
        ],
    )
    .expect(0);
    assert!(
        s.out
            .contains("sent 100 bytes to 239.3.7.2:7107 (ttl 3, dscp 46): [seq 5] hello"),
        "{}",
        s.context()
    );
    let (_, _, stream) = sent_report(&s.err);
    let stream = stream.expect("-p: a stream id in the report");
    let d = r.finish(LIMIT).expect(0);
    let recv: Vec<&str> = d.out.lines().filter(|l| l.starts_with("RECV ")).collect();
    assert_eq!(recv.len(), 10, "{}", d.context());
    let payload = format!("{}{}", hex(b"hello"), "00".repeat(100 - 24 - 5));
    for g in ["239.3.7.1", "239.3.7.2"] {
        let seqs: Vec<u64> = recv
            .iter()
            .filter(|l| field(l, "dst") == g)
            .map(|l| {
                assert_eq!(field(l, "src"), "127.0.0.1");
                assert_eq!(field(l, "ttl"), "3", "{l}");
                assert_eq!(field(l, "tos"), (46 << 2).to_string(), "DSCP EF: {l}");
                assert_eq!(field(l, "len"), "100", "{l}");
                assert_eq!(field(l, "magic"), "mct1", "{l}");
                assert_eq!(field(l, "stream"), stream.to_string(), "{l}");
                assert_eq!(field(l, "data"), payload, "{l}");
                let delay: i64 = field(l, "delay_ns").parse().unwrap();
                assert!((0..1_000_000_000).contains(&delay), "send time: {l}");
                field(l, "seq").parse().unwrap()
            })
            .collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5], "{g}\n{}", d.context());
    }
}

#[test]
fn mcsend_sends_a_binary_file_byte_for_byte_to_socat() {
    require_netns();
    if !require_tool("socat", "socat") {
        return;
    }
    let mut content: Vec<u8> = (0..=255u8).collect();
    content.extend_from_slice(b"\n\0\r\nend\xff");
    let file = scratch().join("payload.bin");
    std::fs::write(&file, &content).unwrap();
    let out = scratch().join("socat.out");
    let _ = std::fs::remove_file(&out);
    let mut c = Command::new("socat");
    c.args([
        "-u",
        "UDP4-RECV:7108,ip-add-membership=239.3.8.1:lo,reuseaddr",
    ])
    .arg(format!("CREATE:{}", out.display()));
    let mut r = Proc::start(c, b"");
    wait_until("joined 239.3.8.1 and bound :7108", &mut r, || {
        joined_and_bound_v4("239.3.8.1", 7108)
    });
    let f = file.to_str().unwrap();
    let s = run("mcsend", &["-q", "-c", "2", "-f", f, "239.3.8.1", "7108"]).expect(0);
    assert!(
        s.out.contains("sent 2 datagrams, 528 bytes"),
        "{}",
        s.context()
    );
    // -f -: all of standard input, one datagram
    run_with_stdin("mcsend", &["-q", "-f", "-", "239.3.8.1", "7108"], &content).expect(0);
    let want: Vec<u8> = content.repeat(3);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) < want.len() as u64
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let got = std::fs::read(&out).unwrap_or_default();
    assert_eq!(hex(&got), hex(&want), "socat wrote other bytes");
}

#[test]
fn socat_datagrams_are_counted_by_mclisten() {
    require_netns();
    if !require_tool("socat", "socat") {
        return;
    }
    let l = listen(&["-j", "-n", "3", "-w", "10000", "239.3.9.1", "7109"]);
    let payloads: Vec<Vec<u8>> = (0..3u8)
        .map(|i| {
            let mut v = b"socat \x00\xff ".to_vec();
            v.push(b'0' + i);
            v
        })
        .collect();
    socat_send("239.3.9.1", 7109, &payloads);
    let d = l.finish(LIMIT).expect(0);
    let v = json_lines(&d);
    let got: Vec<String> = of_type(&v, "packet")
        .iter()
        .map(|p| {
            assert_eq!((p.str("header"), p.num("ttl")), ("none", 1.0), "{p:?}");
            p.str("data").to_string()
        })
        .collect();
    assert_eq!(got, payloads.iter().map(|p| hex(p)).collect::<Vec<_>>());
    let f = summary_of(&v, "239.3.9.1");
    assert_eq!((f.int("packets"), f.int("bytes")), (3, 30), "{f:?}");
    assert!(
        f.is_null("lost") && f.is_null("delay_ms"),
        "no header: {f:?}"
    );
    assert_eq!(total(&v).int("status"), 0);
}

#[test]
fn iperf2_multicast_stream_is_measured_by_mclisten() {
    require_netns();
    if !require_tool("iperf", "iperf") {
        return;
    }
    let l = listen(&[
        "-q",
        "-j",
        "-H",
        "iperf",
        "-w",
        "1500",
        "239.3.10.1",
        "7110",
    ]);
    let mut c = Command::new("iperf");
    c.args([
        "-c",
        "239.3.10.1",
        "-p",
        "7110",
        "-u",
        "-T",
        "1",
        "-b",
        "1M",
        "-l",
        "500",
        "-t",
        "1",
    ]);
    let i = Proc::start(c, b"").finish(LIMIT).expect(0);
    // "[  1] Sent 267 datagrams", "[  1] 0.0000-1.0072 sec   130 KBytes  1.06 Mbits/sec"
    let sent: u64 = i
        .out
        .lines()
        .find_map(|l| l.split("Sent ").nth(1))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no \"Sent N datagrams\"\n{}", i.context()));
    let iperf_bps: f64 = i
        .out
        .lines()
        .find_map(|l| l.split("Bytes").nth(1).filter(|r| r.contains("bits/sec")))
        .map(|r| {
            let mut w = r.split_whitespace();
            let n: f64 = w.next().unwrap().parse().unwrap();
            n * match w.next().unwrap() {
                "Kbits/sec" => 1e3,
                "Mbits/sec" => 1e6,
                u => panic!("unit {u}"),
            }
        })
        .unwrap_or_else(|| panic!("no bandwidth\n{}", i.context()));
    let d = l.finish(LIMIT).expect(0);
    let v = json_lines(&d);
    let f = summary_of(&v, "239.3.10.1");
    assert_eq!(f.str("header"), "iperf", "{f:?}");
    assert_eq!(
        (f.int("lost"), f.int("dup"), f.int("reordered")),
        (0, 0, 0),
        "{f:?}"
    );
    // iperf counts one more than it sends (its last datagram carries -(N-1))
    let n = f.int("packets");
    assert!(
        n + 1 == sent || n == sent,
        "{n} received of {sent}\n{}",
        i.context()
    );
    assert!(
        within(f.num("bps"), iperf_bps, 5.0),
        "mclisten {} bit/s, iperf {iperf_bps}: {f:?}",
        f.num("bps")
    );
    let delay = f.get("delay_ms");
    assert!(
        (0.0..1000.0).contains(&delay.num("max")),
        "iperf's send times: {f:?}"
    );
    println!(
        "tools: iperf -u -T 1 -b 1M: {n} datagrams, 0 lost, {:.3} Mbit/s (iperf says {:.3}), jitter {:.3} ms",
        f.num("bps") / 1e6,
        iperf_bps / 1e6,
        f.num("jitter_ms")
    );
}

// ---------------------------------------------------------------------------
// Usage

#[test]
fn bad_usage_is_one_line_and_exit_status_2() {
    require_netns();
    let cases: &[(&str, &[&str], &str)] = &[
        ("mcsend", &[], "GROUP and PORT are required"),
        ("mcsend", &["239.1.0.1"], "GROUP and PORT are required"),
        (
            "mcsend",
            &["-z", "239.1.0.1", "5000", "x"],
            "unknown option -z",
        ),
        (
            "mcsend",
            &["239.1.0.1", "5000", "x", "y"],
            "unexpected argument \"y\"",
        ),
        (
            "mcsend",
            &["-t", "256", "239.1.0.1", "5000", "x"],
            "bad TTL \"256\"",
        ),
        (
            "mcsend",
            &["-c", "0", "239.1.0.1", "5000", "x"],
            "bad COUNT \"0\"",
        ),
        ("mcsend", &["239.1.0.1", "70000", "x"], "bad PORT \"70000\""),
        ("mcsend", &["-i"], "option -i needs a value"),
        ("mclisten", &[], "GROUP and PORT are required"),
        (
            "mclisten",
            &["-z", "239.1.0.1", "5000"],
            "unknown option -z",
        ),
        (
            "mclisten",
            &["-n", "x", "239.1.0.1", "5000"],
            "bad COUNT \"x\"",
        ),
        (
            "mclisten",
            &["-w", "-5", "239.1.0.1", "5000"],
            "bad TIMEOUT_MS \"-5\"",
        ),
        ("mclisten", &["239.1.0.1", "0"], "bad PORT \"0\""),
        (
            "mclisten",
            &["239.1.0.1", "5000", "more"],
            "unexpected argument \"more\"",
        ),
        ("mcsend", &["-r", "0", "239.1.0.1", "5000"], "bad PPS \"0\""),
        (
            "mcsend",
            &["-r", "fast", "239.1.0.1", "5000"],
            "bad PPS \"fast\"",
        ),
        (
            "mcsend",
            &["-b", "10X", "239.1.0.1", "5000"],
            "bad BITRATE \"10X\"",
        ),
        (
            "mcsend",
            &["-r", "5", "-b", "5", "239.1.0.1", "5000"],
            "-r and -b",
        ),
        (
            "mcsend",
            &["-Q", "zz", "239.1.0.1", "5000", "x"],
            "bad DSCP \"zz\"",
        ),
        (
            "mcsend",
            &["-Q", "64", "239.1.0.1", "5000", "x"],
            "bad DSCP \"64\"",
        ),
        (
            "mcsend",
            &["-s", "70000", "239.1.0.1", "5000"],
            "bad SIZE \"70000\"",
        ),
        (
            "mcsend",
            &[
                "-p",
                "-s",
                "30",
                "239.1.0.1",
                "5000",
                "too long for thirty bytes",
            ],
            "do not fit in -s 30",
        ),
        (
            "mcsend",
            &["-d", "-1", "239.1.0.1", "5000"],
            "bad SECONDS \"-1\"",
        ),
        (
            "mcsend",
            &["239.1.0.1+0", "5000", "x"],
            "bad group count (GROUP+N) \"0\"",
        ),
        (
            "mcsend",
            &["239.255.255.255+2", "5000", "x"],
            "leaves the multicast range",
        ),
        (
            "mcsend",
            &["239.1.0.1,10.0.0.1", "5000", "x"],
            "not a multicast address",
        ),
        (
            "mcsend",
            &["-f", "/nonexistent", "239.1.0.1", "5000"],
            "cannot open /nonexistent",
        ),
        (
            "mcsend",
            &["-f", "/dev/null", "239.1.0.1", "5000", "x"],
            "TEXT or -f FILE",
        ),
        ("mcsend", &["-x", "239.1.0.1", "5000"], "unknown option -x"),
        (
            "mclisten",
            &["-I", "0", "239.1.0.1", "5000"],
            "bad SECONDS (-I) \"0\"",
        ),
        (
            "mclisten",
            &["-d", "soon", "239.1.0.1", "5000"],
            "bad SECONDS (-d) \"soon\"",
        ),
        (
            "mclisten",
            &["-H", "rtp", "239.1.0.1", "5000"],
            "bad FORMAT \"rtp\"",
        ),
        (
            "mclisten",
            &["239.1.0.1,ff02::1%lo", "5000"],
            "all IPv4 or all IPv6",
        ),
        ("mclisten", &["@239.1.0.1", "5000"], "empty SOURCE"),
        (
            "mclisten",
            &["10.0.0.1@239.1.0.1+0", "5000"],
            "bad group count",
        ),
        ("mclisten", &["224.0.0.1@239.1.0.1", "5000"], "unicast"),
        ("mclisten", &["239.1.0.1,239.1.0.1", "5000"], "239.1.0.1"),
        (
            "mclisten",
            &["239.1.0.1%lo,239.1.0.2%mcx", "5000"],
            "interface given twice",
        ),
        ("mcping", &[], "HOST is required"),
        (
            "mcping",
            &["-s", "192.0.2.1"],
            "unexpected argument \"192.0.2.1\" with -s",
        ),
        ("mcping", &["-s", "-c", "3"], "option -c is for the client"),
        (
            "mcping",
            &["-n", "3", "192.0.2.1"],
            "option -n is for the server (-s)",
        ),
        (
            "mcping",
            &["-i", "0", "192.0.2.1"],
            "bad SECONDS (-i) \"0\"",
        ),
        ("mcping", &["-S", "0", "192.0.2.1"], "bad SIZE \"0\""),
        ("mcping", &["-p", "0", "192.0.2.1"], "bad PORT \"0\""),
        ("mcping", &["-c"], "option -c needs a value"),
        ("mcping", &["-z", "192.0.2.1"], "unknown option -z"),
        (
            "mcping",
            &["no.such.host.invalid"],
            "cannot resolve \"no.such.host.invalid\"",
        ),
        (
            "mcping",
            &["-g", "239.1.2.234", "::1"],
            "not an IPv6 address",
        ),
        (
            "mcping",
            &["-g", "10.1.2.3", "127.0.0.1"],
            "not a multicast address",
        ),
        (
            "mcping",
            &["192.0.2.1", "more"],
            "unexpected argument \"more\"",
        ),
    ];
    for (tool, args, msg) in cases {
        let d = run(tool, args).expect(2);
        assert!(d.err.contains(msg), "want {msg:?}\n{}", d.context());
        assert_eq!(d.err.lines().count(), 1, "one line\n{}", d.context());
        assert!(d.err.starts_with(&format!("{tool}: ")), "{}", d.context());
        assert!(d.out.is_empty(), "{}", d.context());
    }
}

#[test]
fn tools_bad_group_interface_filter_source_exit_2_with_the_librarys_message() {
    require_netns();
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "mcsend",
            &["10.1.2.3", "5000", "x"],
            &["\"10.1.2.3\"", "not a multicast address"],
        ),
        (
            "mcsend",
            &["nope", "5000", "x"],
            &["\"nope\"", "not an IPv4 or IPv6 address"],
        ),
        (
            "mclisten",
            &["10.1.2.3", "5000"],
            &["\"10.1.2.3\"", "not a multicast address"],
        ),
        (
            "mclisten",
            &["fe80::1", "5000"],
            &["\"fe80::1\"", "not a multicast address"],
        ),
        (
            "mcsend",
            &["-i", "nosuch0", "239.1.0.1", "5000", "x"],
            &["\"nosuch0\"", "no such interface"],
        ),
        (
            "mclisten",
            &["-i", "nosuch0", "239.1.0.1", "5000"],
            &["\"nosuch0\"", "no such interface"],
        ),
        ("mclisten", &["239.1.0.1%nosuch0", "5000"], &["\"nosuch0\""]),
        (
            "mcsend",
            &["-i", "*", "239.1.0.1", "5000", "x"],
            &["\"*\"", "one interface"],
        ),
        (
            "mclisten",
            &["-f", "(unclosed", "239.1.0.1", "5000"],
            &["\"(unclosed\"", "unclosed group"],
        ),
        (
            "mclisten",
            &["-s", "224.0.0.1", "239.1.0.1", "5000"],
            &["\"224.0.0.1\"", "unicast"],
        ),
        (
            "mclisten",
            &["-s", "::1", "239.1.0.1", "5000"],
            &["::1", "different families"],
        ),
        (
            "mcsend",
            &["ff02::1", "5000", "x"],
            &["ff02::1", "needs an interface"],
        ),
    ];
    for (tool, args, msgs) in cases {
        let d = run(tool, args).expect(2);
        for m in *msgs {
            assert!(d.err.contains(m), "want {m:?}\n{}", d.context());
        }
        assert!(d.err.starts_with(&format!("{tool}: ")), "{}", d.context());
    }
}

#[test]
fn mcsend_a_failed_send_is_exit_status_1_with_the_librarys_message() {
    require_netns();
    // lo carries no IPv6 multicast: a global-scope group has no route here
    for args in [
        &["ff0e::4242", "5000", "x"][..],
        &["-r", "100", "-c", "3", "ff0e::4242+2", "5000", "x"][..],
    ] {
        let d = run("mcsend", args).expect(1);
        assert!(
            d.out.is_empty(),
            "no \"sent\" line for a datagram not sent\n{}",
            d.context()
        );
        assert!(
            d.err
                .contains("mcsend: multicaster send of 1 bytes to [ff0e::424")
                && d.err.contains("(ENETUNREACH)"),
            "{}",
            d.context()
        );
        assert!(
            d.err.contains("mcsend: sent 0 datagrams"),
            "{}",
            d.context()
        );
    }
}

#[test]
fn help_of_every_tool() {
    require_netns();
    for (tool, synopsis) in [
        (
            "mcsend",
            "usage: mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p] [-N]",
        ),
        (
            "mclisten",
            "usage: mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] [-w TIMEOUT_MS]",
        ),
        ("mcping", "usage: mcping [-46qv] [-I IFACE] [-c COUNT]"),
    ] {
        for flag in ["--help", "-h"] {
            let d = run(tool, &[flag]).expect(0);
            assert!(d.out.starts_with(synopsis), "{}", d.context());
            if tool != "mcping" {
                assert!(d.out.contains("GROUP PORT"), "{}", d.context());
            }
            assert!(d.err.is_empty(), "{}", d.context());
        }
    }
    let d = run("mcping", &["-h"]).expect(0);
    assert!(d.out.contains("mcping -s [-46q]"), "{}", d.context());
}

// ---------------------------------------------------------------------------
// On a veth segment and across the routed network (nested namespaces)

const INNER: &str = "MC_TOOLS_INNER";

/// Outside: runs `test` alone inside `wrapper` (tests/netns-veth or
/// tests/netns-routed) and returns true once it passed. Inside: false.
fn rerun(test: &str, wrapper: &str) -> bool {
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

fn peer() -> Vec<String> {
    let pid = std::env::var("MC_PEER_PID").expect("MC_PEER_PID (set by netns-veth)");
    vec!["nsenter".into(), "-t".into(), pid, "-n".into()]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(|s| s.as_str()).collect()
}

/// ssmpingd through `wrap`, returned once its port 4321 is bound.
fn ssmpingd(wrap: &[&str]) -> Proc {
    let mut p = Proc::start(wrapped(wrap, "ssmpingd"), b"");
    wait_until("ssmpingd bound to port 4321", &mut p, || {
        udp_bound(wrap, 4321)
    });
    p
}

/// `mcping -s` through `wrap`, answering when this returns.
fn mcping_server(wrap: &[&str]) -> Proc {
    let mut c = wrapped(wrap, bin("mcping"));
    c.args(["-s", "-w", "30000"]);
    let mut p = Proc::start(c, b"");
    p.wait_stderr(
        "mcping: answering ssmping requests on port 4321 (IPv6 and IPv4)",
        Duration::from_secs(10),
    );
    p
}

/// The reply lines of an mcping client run: (path, from, seq, ttl, hops).
fn mcping_replies(d: &Done) -> Vec<(String, String, u32, i32, i32)> {
    d.out
        .lines()
        .filter(|l| l.contains("icast from "))
        .map(|l| {
            // "  unicast from 192.0.2.2: seq=1 ttl=64 hops=0 time=0.150 ms"
            let (path, rest) = l.trim_start().split_once(" from ").unwrap();
            let (from, rest) = rest.split_once(": ").unwrap();
            let num = |k: &str| -> i64 { field(rest, k).parse().unwrap() };
            assert!(rest.contains(" time=") && rest.ends_with(" ms"), "{l}");
            (
                path.to_string(),
                from.to_string(),
                num("seq") as u32,
                num("ttl") as i32,
                num("hops") as i32,
            )
        })
        .collect()
}

/// mcping HOST (through `wrap`): every request answered on both paths, with
/// `ttl` and `hops`; returns the statistics lines.
fn mcping_client(
    wrap: &[&str],
    host: &str,
    extra: &[&str],
    ttl: i32,
    hops: i32,
    version: &str,
) -> String {
    let mut c = wrapped(wrap, bin("mcping"));
    c.args(["-c", "3", "-i", "0.2", "-v"]).args(extra).arg(host);
    let d = Proc::start(c, b"").finish(LIMIT).expect(0);
    let r = mcping_replies(&d);
    let mut want = Vec::new();
    for seq in 1..=3 {
        for path in ["unicast", "multicast"] {
            want.push((path.to_string(), host.to_string(), seq, ttl, hops));
        }
    }
    let mut sorted = r.clone();
    sorted.sort_by_key(|x| (x.2, x.0.len()));
    want.sort_by_key(|x| (x.2, x.0.len()));
    assert_eq!(sorted, want, "{}", d.context());
    assert!(
        d.out.contains(&format!("server version: {version}")),
        "{}",
        d.context()
    );
    let stats: Vec<&str> = d
        .out
        .lines()
        .skip_while(|l| !l.starts_with("--- "))
        .collect();
    assert!(stats.len() == 4, "{}", d.context());
    assert!(
        stats[1].starts_with("3 requests sent in "),
        "{}",
        d.context()
    );
    assert!(
        stats[2].starts_with("  unicast: 3 replies, 0% loss, rtt min/avg/max/std-dev = ")
            && stats[2].ends_with(&format!(" ms, hops {hops}")),
        "{}",
        d.context()
    );
    assert!(
        stats[3].starts_with("multicast: 3 replies, 0% loss since the first (seq 1), rtt ")
            && stats[3].ends_with(&format!(" ms, hops {hops}")),
        "{}",
        d.context()
    );
    stats[2..].join(" | ")
}

/// ssmping (or asmping with `group`) from `wrap` to `host` (2 requests): both
/// replies, with `dist`.
fn ssmping_client(
    wrap: &[&str],
    host: &str,
    extra: &[&str],
    asm_group: Option<&str>,
    dist: u32,
) -> Done {
    let mut c = wrapped(
        wrap,
        if asm_group.is_some() {
            "asmping"
        } else {
            "ssmping"
        },
    );
    c.args(["-c", "2"]).args(extra);
    if let Some(g) = asm_group {
        c.arg(g);
    }
    c.arg(host);
    let d = Proc::start(c, b"").finish(LIMIT).expect(0);
    for seq in 1..=2 {
        for path in ["  unicast", "multicast"] {
            let l = format!("{path} from {host}, seq={seq} dist={dist} time=");
            assert!(d.out.contains(&l), "want {l:?}\n{}", d.context());
        }
    }
    assert!(!d.out.contains("Warning"), "{}", d.context());
    assert!(
        d.out
            .contains("   2 packets received, 0% packet loss since first mc packet"),
        "{}",
        d.context()
    );
    d
}

fn need_ssmping() -> bool {
    require_tool("ssmpingd", "ssmping")
        && require_tool("ssmping", "ssmping")
        && require_tool("asmping", "ssmping")
}

#[test]
fn mcping_against_ssmpingd_and_ssmping_against_mcping_on_one_segment() {
    require_netns();
    if !need_ssmping()
        || rerun(
            "mcping_against_ssmpingd_and_ssmping_against_mcping_on_one_segment",
            "tests/netns-veth",
        )
    {
        return;
    }
    let peer = peer();
    let peer = strs(&peer);
    // mcping -> Debian's ssmpingd, IPv4 and IPv6: TTL 64, no router
    let server = ssmpingd(&peer);
    for host in ["192.0.2.2", "fd42::2"] {
        let s = mcping_client(&[], host, &[], 64, 0, "0.9.1 (20080418) [asm][size]");
        println!("tools: mcping {host} -> ssmpingd: {s}");
    }
    // -g: any-source on an ssmping group (asmping's way)
    let mut c = Command::new(bin("mcping"));
    c.args(["-c", "2", "-i", "0.2", "-g", "239.43.1.234", "192.0.2.2"]);
    let d = Proc::start(c, b"").finish(LIMIT).expect(0);
    assert!(
        d.out
            .starts_with("mcping: joined (S,G) = (*, 239.43.1.234) port "),
        "{}",
        d.context()
    );
    assert_eq!(mcping_replies(&d).len(), 4, "{}", d.context());
    drop(server);

    // Debian's ssmping and asmping -> mcping -s
    let server = mcping_server(&peer);
    let d = ssmping_client(&[], "192.0.2.2", &["-v"], None, 0);
    assert!(
        d.out
            .contains("Server version: mcping (libmulticast) [asm][size]"),
        "{}",
        d.context()
    );
    // -s 300: replies padded to 300 bytes (ssmping warns otherwise)
    ssmping_client(&[], "fd42::2", &["-6", "-s", "300"], None, 0);
    ssmping_client(&[], "192.0.2.2", &[], Some("224.1.2.234"), 0);
    // a group that is not an ssmping group: unicast only, and mcping says so (exit 1)
    let mut c = Command::new(bin("mcping"));
    c.args(["-c", "1", "-W", "0.3", "-g", "239.1.2.3", "192.0.2.2"]);
    let d = Proc::start(c, b"").finish(LIMIT).expect(1);
    assert!(
        d.out.contains("multicast: 0 replies, 100% loss"),
        "{}",
        d.context()
    );
    assert!(
        d.err
            .contains("mcping: no multicast reply from 192.0.2.2 (unicast replies came)"),
        "{}",
        d.context()
    );
    server.terminate();
    let d = server.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 7, "{}", d.context());
    assert!(
        lines[0].starts_with("request from 192.0.2.1 port ")
            && lines[0].contains(" seq 1: replied unicast and to 232.43.211.234 port "),
        "{}",
        d.context()
    );
    assert!(
        lines[2].starts_with("request from fd42::1 port ")
            && lines[2].contains("to ff3e::4321:1234 port "),
        "{}",
        d.context()
    );
    assert!(
        lines[4].contains(": replied unicast and to 224.1.2.234 port "),
        "{}",
        d.context()
    );
    assert!(
        lines[6].ends_with(": replied unicast; not to 239.1.2.3: not an ssmping group"),
        "{}",
        d.context()
    );
    assert!(
        d.err.contains("mcping: answered 7 requests"),
        "{}",
        d.context()
    );
    println!("tools: ssmping (IPv4, IPv6 -s 300) and asmping -> mcping -s: every reply on both paths, dist=0");
}

#[test]
fn mcping_and_ssmping_across_the_routed_network_count_one_hop() {
    require_netns();
    // The router (smcrouted) needs multicast routing in the kernel, both families.
    if !require_kernel(Feature::MulticastRouting)
        || !require_kernel(Feature::MulticastRouting6)
        || !need_ssmping()
        || !require_tool("smcrouted", "smcroute")
    {
        return;
    }
    if rerun(
        "mcping_and_ssmping_across_the_routed_network_count_one_hop",
        "tests/netns-routed",
    ) {
        return;
    }
    let ha = ["ip", "netns", "exec", "ha"];
    let hb = ["ip", "netns", "exec", "hb"];
    let server = ssmpingd(&hb);
    for host in ["198.51.100.20", "fd42:2::20"] {
        let s = mcping_client(&ha, host, &[], 63, 1, "0.9.1 (20080418) [asm][size]");
        println!("tools: routed: mcping {host} -> ssmpingd: {s}");
    }
    drop(server);
    let server = mcping_server(&hb);
    for host in ["198.51.100.20", "fd42:2::20"] {
        ssmping_client(&ha, host, &[], None, 1);
    }
    server.terminate();
    let d = server.finish(LIMIT).expect(0);
    assert!(
        d.err.contains("mcping: answered 4 requests"),
        "{}",
        d.context()
    );
    println!(
        "tools: routed: ssmping (IPv4, IPv6) -> mcping -s across the router: dist=1 on both paths"
    );
}

#[test]
fn ipv6_test_stream_with_traffic_class_over_veth() {
    require_netns();
    if rerun(
        "ipv6_test_stream_with_traffic_class_over_veth",
        "tests/netns-veth",
    ) {
        return;
    }
    let peer = peer();
    let peer = strs(&peer);
    let l = listen_in(
        &peer,
        &[
            "-q",
            "-j",
            "-n",
            "40",
            "-w",
            "10000",
            "ff02::4301%mc1,ff02::4302%mc1",
            "7111",
        ],
    );
    let r = py_recv(
        &peer,
        "ff02::4301,ff02::4302",
        7111,
        40,
        &["--iface", "mc1"],
    );
    let s = run(
        "mcsend",
        &[
            "-q",
            "-p",
            "-Q",
            "af41",
            "-t",
            "5",
            "-r",
            "2000",
            "-c",
            "20",
            "ff02::4301%mc0,ff02::4302%mc0",
            "7111",
            "v6",
        ],
    )
    .expect(0);
    assert!(s.out.contains("sent 40 datagrams"), "{}", s.context());
    let d = r.finish(LIMIT).expect(0);
    let recv: Vec<&str> = d.out.lines().filter(|l| l.starts_with("RECV ")).collect();
    assert_eq!(recv.len(), 40, "{}", d.context());
    for l in &recv {
        assert_eq!(field(l, "src"), "fe80::1", "{l}");
        assert_eq!(
            (field(l, "ttl"), field(l, "tos")),
            ("5", "136"),
            "hop limit 5, AF41: {l}"
        );
        assert_eq!(field(l, "magic"), "mct1");
    }
    let d = l.finish(LIMIT).expect(0);
    let v = json_lines(&d);
    for g in ["ff02::4301", "ff02::4302"] {
        let f = summary_of(&v, g);
        assert_eq!((f.int("packets"), f.int("lost")), (20, 0), "{f:?}");
        assert_eq!(f.str("source"), "fe80::1");
        assert_eq!(f.get("ttl").num("min"), 5.0);
    }
    println!("tools: IPv6 ff02:: over veth: 40 datagrams, hop limit 5 and traffic class 136 (AF41) seen by Python, 0 lost");
}

/// The library's hints reach the user in the tool's own terms: a scoped
/// IPv6 group without an interface names the option (-i / -I IFACE), not
/// the C function behind it.
#[test]
fn hints_name_the_tools_options() {
    require_netns();
    for (tool, args, hint) in [
        ("mcsend", &["ff02::1", "5000", "hi"][..], "-i IFACE"),
        ("mclisten", &["ff02::1", "5000"][..], "-i IFACE"),
    ] {
        let d = run(tool, args);
        assert_ne!(d.code(), Some(0), "{}", d.context());
        assert!(d.err.contains(hint), "{tool}: {}", d.context());
        assert!(!d.err.contains("mc_opts_set"), "{tool}: {}", d.context());
    }
}
