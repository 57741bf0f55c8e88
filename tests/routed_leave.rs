//! IGMP and MLD leaves on the wire: closing a library listener on hb puts an
//! IGMP leave (IGMPv3 TO_IN {} / IGMPv2 leave) and an MLD leave (MLDv2
//! TO_IN {} / MLDv1 done) on segment B within a second of
//! mc_listener_close, while the process still runs. The listener is
//! tests/c/routed_hold.c (the C API); the reports are seen by tshark on the
//! router host's interface to segment B. The two segments are built by
//! tests/netns-routed inside the runner's private namespace (nothing is ever
//! sent from this machine's own network namespace).
//!
//! The test re-runs itself (alone) inside `tests/netns-routed --no-router`
//! (tests/support/routed.rs): it needs no multicast routing in the kernel.
//! Needs tshark (apt-get install tshark); without it the test prints
//! "SKIPPED: ..." and passes, unless MC_REQUIRE_ALL=1 (CI), where it fails.
//! Run: `cargo test --test routed_leave -- --nocapture` for the figures.

mod support;

use std::io::Write;
use std::process::{Child, ChildStdin, Stdio};
use std::time::{Duration, Instant};

use support::process::*;
use support::routed::*;

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
