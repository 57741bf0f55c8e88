//! The C examples and the command-line tools (examples-c/*.c): each is built
//! warning-free against include/multicast.h and the built libmulticast.so,
//! run inside the runner's private namespace, and its output checked.
//!
//! Programs are synchronized on what they print, never on sleeps: a test
//! starts `mclisten`, waits for its "mclisten: listening on ..." line (printed
//! once the group is joined), then runs the sender. Every wait is bounded.
//! Tests run in parallel in one namespace, so each tool test has a group and
//! port of its own; the examples that use the seed's default group
//! (224.0.42.42:4242 and .43) take the DEFAULT_GROUP lock.

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use support::*;

/// Every program the suite expects in examples-c/.
const EXAMPLES: &[&str] = &[
    "demo",
    "send_one",
    "listen_one",
    "multicaster",
    "regex_filter",
    "two_pollers",
    "pull",
    "mcsend",
    "mclisten",
];

/// How long any one program may run before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// Building and running programs

/// The compiled example `name` (examples-c/NAME.c), built once per process.
/// Inside the nested IPv6 namespace the paths come from the environment.
fn bin(name: &str) -> PathBuf {
    if let Ok(p) = std::env::var(format!("MC_EXAMPLE_{}", name.to_uppercase())) {
        return PathBuf::from(p);
    }
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    built
        .get_or_insert_with(HashMap::new)
        .entry(name.to_string())
        .or_insert_with(|| compile(name, &[&format!("examples-c/{name}.c")]))
        .clone()
}

/// Serializes the examples that use the seed's default groups.
fn default_group() -> MutexGuard<'static, ()> {
    static DEFAULT_GROUP: Mutex<()> = Mutex::new(());
    DEFAULT_GROUP.lock().unwrap_or_else(|e| e.into_inner())
}

/// Lines a child writes to one of its pipes, read by a thread.
struct Lines {
    rx: Receiver<String>,
    seen: Vec<String>,
    eof: bool,
}

impl Lines {
    fn new(pipe: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(pipe);
            let mut buf = Vec::new();
            while matches!(r.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                let line = String::from_utf8_lossy(&buf)
                    .trim_end_matches('\n')
                    .to_string();
                buf.clear();
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            rx,
            seen: Vec::new(),
            eof: false,
        }
    }

    /// Waits (at most until `deadline`) for the next line; None at EOF or timeout.
    fn next_until(&mut self, deadline: Instant) -> Option<String> {
        if self.eof {
            return None;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(l) => {
                self.seen.push(l.clone());
                Some(l)
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.eof = true;
                None
            }
            Err(RecvTimeoutError::Timeout) => None,
        }
    }

    /// Everything up to EOF (bounded).
    fn drain(&mut self, deadline: Instant) {
        while self.next_until(deadline).is_some() {}
    }

    fn text(&self) -> String {
        self.seen.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// A running program whose output is read line by line; killed on drop.
struct Proc {
    label: String,
    child: Child,
    out: Lines,
    err: Lines,
}

/// What a finished program did.
struct Done {
    label: String,
    status: ExitStatus,
    out: String,
    err: String,
}

impl Done {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    fn context(&self) -> String {
        format!(
            "{} exited {:?}\n--- stdout\n{}--- stderr\n{}",
            self.label, self.status, self.out, self.err
        )
    }

    /// Asserts exit status `code`; returns self for chaining.
    fn expect(self, code: i32) -> Done {
        assert_eq!(self.code(), Some(code), "{}", self.context());
        self
    }

    fn out_lines(&self) -> Vec<&str> {
        self.out.lines().collect()
    }
}

fn label(cmd: &Command) -> String {
    let prog = Path::new(cmd.get_program())
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| format!("{:?}", a.to_string_lossy()))
        .collect();
    format!("{prog} {}", args.join(" "))
}

impl Proc {
    /// Starts `cmd` with `stdin` fed to it (then closed).
    fn start(mut cmd: Command, stdin: &[u8]) -> Proc {
        let label = label(&cmd);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {label}: {e}"));
        let mut input = child.stdin.take().unwrap();
        let data = stdin.to_vec();
        std::thread::spawn(move || {
            let _ = input.write_all(&data);
        });
        let out = Lines::new(child.stdout.take().unwrap());
        let err = Lines::new(child.stderr.take().unwrap());
        Proc {
            label,
            child,
            out,
            err,
        }
    }

    /// Waits for a line on stderr that contains `what`; panics with the
    /// program's output if it does not come within `timeout`.
    fn wait_stderr(&mut self, what: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        while let Some(l) = self.err.next_until(deadline) {
            if l.contains(what) {
                return l;
            }
        }
        let _ = self.child.kill();
        self.out.drain(Instant::now() + Duration::from_secs(2));
        panic!(
            "{}: no stderr line with {what:?} within {timeout:?}\n--- stdout\n{}--- stderr\n{}",
            self.label,
            self.out.text(),
            self.err.text()
        );
    }

    /// Waits (bounded) for the program to exit and for all its output.
    fn finish(mut self, timeout: Duration) -> Done {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("waitpid") {
                break Some(s);
            }
            if Instant::now() >= deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let status = status.unwrap_or_else(|| {
            let _ = self.child.kill();
            self.out.drain(Instant::now() + Duration::from_secs(2));
            self.err.drain(Instant::now() + Duration::from_secs(2));
            panic!(
                "{} still running after {timeout:?}: killed\n--- stdout\n{}--- stderr\n{}",
                self.label,
                self.out.text(),
                self.err.text()
            );
        });
        let d = Instant::now() + Duration::from_secs(5);
        self.out.drain(d);
        self.err.drain(d);
        Done {
            label: self.label.clone(),
            status,
            out: self.out.text(),
            err: self.err.text(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn cmd(name: &str, args: &[&str]) -> Command {
    let mut c = Command::new(bin(name));
    c.args(args);
    c
}

/// Runs a program to its end (bounded by LIMIT).
fn run(name: &str, args: &[&str]) -> Done {
    run_with_stdin(name, args, b"")
}

fn run_with_stdin(name: &str, args: &[&str], stdin: &[u8]) -> Done {
    Proc::start(cmd(name, args), stdin).finish(LIMIT)
}

/// Starts mclisten and returns once it has joined (its "listening on" line).
fn listen(args: &[&str]) -> Proc {
    let mut p = Proc::start(cmd("mclisten", args), b"");
    p.wait_stderr("mclisten: listening on", Duration::from_secs(10));
    p
}

/// Checks one mclisten line: "HH:MM:SS.uuuuuu SRC:PORT -> GROUP IFACE N bytes: PAYLOAD".
/// Returns the source port.
fn check_line(
    line: &str,
    src_ip: &str,
    group: &str,
    iface: &str,
    size: usize,
    payload: &str,
) -> u16 {
    let (stamp, rest) = line
        .split_once(' ')
        .unwrap_or_else(|| panic!("bad line {line:?}"));
    let b = stamp.as_bytes();
    assert!(
        stamp.len() == 15
            && b[2] == b':'
            && b[5] == b':'
            && b[8] == b'.'
            && stamp
                .chars()
                .enumerate()
                .all(|(i, c)| [2, 5, 8].contains(&i) || c.is_ascii_digit()),
        "no HH:MM:SS.uuuuuu time at the start of {line:?}"
    );
    let (from, rest) = rest
        .split_once(" -> ")
        .unwrap_or_else(|| panic!("no ' -> ' in {line:?}"));
    let (ip, port) = from.rsplit_once(':').unwrap();
    assert_eq!(ip, src_ip, "source address in {line:?}");
    let port: u16 = port
        .parse()
        .unwrap_or_else(|_| panic!("source port in {line:?}"));
    assert!(port > 0, "{line:?}");
    let want = format!("{group} {iface} {size} bytes: {payload}");
    assert_eq!(rest, want, "in {line:?}");
    port
}

// ---------------------------------------------------------------------------
// Building

#[test]
fn every_example_builds_warning_free() {
    require_netns();
    let mut found: Vec<String> = std::fs::read_dir(root().join("examples-c"))
        .expect("examples-c/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    found.sort();
    for name in EXAMPLES {
        assert!(
            found.iter().any(|f| f == name),
            "examples-c/{name}.c is missing"
        );
    }
    // compile() uses -std=c99 -Wall -Wextra -Wpedantic -Werror
    for name in &found {
        let b = bin(name);
        assert!(b.exists(), "{}", b.display());
    }
}

// ---------------------------------------------------------------------------
// The seed's examples

#[test]
fn example_send_one() {
    require_netns();
    let _g = default_group();
    let l = listen(&["-n", "1", "-w", "10000", "224.0.42.42", "4242"]);
    let s = run("send_one", &["hello from send_one"]).expect(0);
    assert_eq!(
        s.out,
        "sent 19 bytes to 224.0.42.42:4242: hello from send_one\n",
        "{}",
        s.context()
    );
    let d = l.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 1, "{}", d.context());
    check_line(
        lines[0],
        "127.0.0.1",
        "224.0.42.42:4242",
        "lo",
        19,
        "hello from send_one",
    );
}

#[test]
fn example_listen_one_prints_the_packet_and_quits() {
    require_netns();
    let _g = default_group();
    let d = run("listen_one", &[]).expect(0);
    assert_eq!(d.out, "test\n", "{}", d.context());
    let d = run("listen_one", &["just one"]).expect(0);
    assert_eq!(d.out, "just one\n", "{}", d.context());
}

#[test]
fn example_multicaster_packets_arrive_in_order() {
    require_netns();
    let _g = default_group();
    let d = run("multicaster", &[]).expect(0);
    let want = [
        "received 1/5: packet 1: hello",
        "received 2/5: packet 2: from an array",
        "received 3/5: packet 3: sent by a multicaster",
        "received 4/5: packet 4: in order",
        "received 5/5: packet 5: the last one",
        "sent 5, received 5 of 5",
    ];
    assert_eq!(d.out_lines(), want, "{}", d.context());
}

#[test]
fn example_regex_filter_uses_ip_and_port() {
    require_netns();
    let _g = default_group();
    let d = run("regex_filter", &[]).expect(0);
    let want = [
        "sent 5 packets to 224.0.42.42:4242",
        "accepted: 224.0.42.42:4242 hello",
        "accepted: 224.0.42.42:4242 bye",
        "accepted 2, filtered 3, received 5",
    ];
    assert_eq!(d.out_lines(), want, "{}", d.context());
}

#[test]
fn example_two_pollers_each_get_their_own_group() {
    require_netns();
    let _g = default_group();
    let d = run("two_pollers", &[]).expect(0);
    let lines = d.out_lines();
    for name in ["A", "B"] {
        let got: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.starts_with(&format!("poller {name} got: ")))
            .collect();
        let want: Vec<String> = (1..=3)
            .map(|i| format!("poller {name} got: for {name} #{i}"))
            .collect();
        assert_eq!(got, want, "{}", d.context());
    }
    assert!(
        lines.contains(&"poller A (224.0.42.42): 3 of 3 packets, 0 foreign")
            && lines.contains(&"poller B (224.0.42.43): 3 of 3 packets, 0 foreign"),
        "{}",
        d.context()
    );
}

#[test]
fn example_pull_mode() {
    require_netns();
    let _g = default_group();
    let d = run("pull", &[]).expect(0);
    let want = [
        "next() = first (5 bytes from 127.0.0.1)",
        "next() = second (6 bytes from 127.0.0.1)",
        "next() = third (5 bytes from 127.0.0.1)",
        "pulled 3 of 3",
    ];
    assert_eq!(d.out_lines(), want, "{}", d.context());
}

#[test]
fn example_demo() {
    require_netns();
    let _g = default_group();
    let d = run("demo", &[]).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 7, "{}", d.context());
    assert!(
        lines[1].starts_with("packet 1: hello  (5 bytes from 127.0.0.1:"),
        "{}",
        d.context()
    );
    assert_eq!(lines[6], "received 5 of 5", "{}", d.context());
}

// ---------------------------------------------------------------------------
// mcsend and mclisten: usage and errors

#[test]
fn tools_help() {
    require_netns();
    for (tool, synopsis) in [
        (
            "mcsend",
            "usage: mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p]",
        ),
        (
            "mclisten",
            "usage: mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] [-w TIMEOUT_MS]",
        ),
    ] {
        for flag in ["--help", "-h"] {
            let d = run(tool, &[flag]).expect(0);
            assert!(d.out.starts_with(synopsis), "{}", d.context());
            assert!(d.out.contains("GROUP PORT"), "{}", d.context());
            assert!(d.err.is_empty(), "{}", d.context());
        }
    }
}

#[test]
fn tools_bad_usage_exits_2() {
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
            &["-q", "239.1.0.1", "5000"],
            "unknown option -q",
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
    ];
    for (tool, args, msg) in cases {
        let d = run(tool, args).expect(2);
        assert!(d.err.contains(msg), "want {msg:?}\n{}", d.context());
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

// ---------------------------------------------------------------------------
// mcsend and mclisten together

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
    let lines = d.out_lines();
    assert_eq!(lines.len(), 3, "{}", d.context());
    let ports: Vec<u16> = lines
        .iter()
        .map(|l| check_line(l, "127.0.0.1", "239.1.1.1:5101", "lo", 11, "hello tools"))
        .collect();
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
        &["-i", "lo", "-p", "-c", "5", "239.1.1.2", "5102", "numbered"],
    )
    .expect(0);
    assert!(
        s.out
            .contains("sent 10 bytes to 239.1.1.2:5102 (ttl 1, interface lo): 5 numbered"),
        "{}",
        s.context()
    );
    let d = l.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 5, "{}", d.context());
    for (i, line) in lines.iter().enumerate() {
        check_line(
            line,
            "127.0.0.1",
            "239.1.1.2:5102",
            "lo",
            10,
            &format!("{} numbered", i + 1),
        );
    }
}

#[test]
fn tools_hex_and_escaped_text() {
    require_netns();
    // -x: hex
    let l = listen(&["-x", "-n", "1", "-w", "10000", "239.1.1.3", "5103"]);
    run("mcsend", &["239.1.1.3", "5103", "hex me"]).expect(0);
    let d = l.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 1, "{}", d.context());
    check_line(
        lines[0],
        "127.0.0.1",
        "239.1.1.3:5103",
        "lo",
        6,
        "686578206d65",
    );

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
    let lines = d.out_lines();
    assert_eq!(lines.len(), 2, "{}", d.context());
    check_line(
        lines[0],
        "127.0.0.1",
        "239.1.1.3:5103",
        "lo",
        22,
        "tab\\there back\\\\slash \\x01\\xff",
    );
    check_line(
        lines[1],
        "127.0.0.1",
        "239.1.1.3:5103",
        "lo",
        11,
        "second line",
    );
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
    let lines = d.out_lines();
    assert_eq!(lines.len(), 3, "{}", d.context());
    check_line(lines[0], "127.0.0.1", "239.1.1.4:5104", "lo", 6, "keep 1");
    check_line(
        lines[1],
        "127.0.0.1",
        "239.1.1.4:5104",
        "lo",
        9,
        "5104 port",
    );
    check_line(lines[2], "127.0.0.1", "239.1.1.4:5104", "lo", 6, "keep 2");
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
    assert_eq!(
        no.out
            .next_until(Instant::now() + Duration::from_millis(200)),
        None
    );
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(no.child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
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
    if std::env::var("MC_EXAMPLES_V6_INNER").as_deref() != Ok("1") {
        let mut c = Command::new(root().join("tests/netns-run"));
        c.arg(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "tools_ipv6_link_local_scope",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("MC_EXAMPLES_V6_INNER", "1")
            .env("MC_EXAMPLE_MCSEND", bin("mcsend"))
            .env("MC_EXAMPLE_MCLISTEN", bin("mclisten"));
        let d = Proc::start(c, b"").finish(Duration::from_secs(60));
        assert_eq!(d.code(), Some(0), "{}", d.context());
        assert!(d.out.contains("1 passed"), "{}", d.context());
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
    let lines = d.out_lines();
    assert_eq!(lines.len(), 2, "{}", d.context());
    for line in lines {
        check_line(
            line,
            "[fe80::1%mc1]",
            "[ff02::4242%mc1]:5201",
            "mc1",
            7,
            "over v6",
        );
    }
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
        local
            .out
            .next_until(Instant::now() + Duration::from_millis(300)),
        None,
        "-L: a listener on the sending interface got the datagram"
    );
    // without -L it does
    run("mcsend", &["ff02::4246%mc0", "5202", "loop"]).expect(0);
    let line = local
        .out
        .next_until(Instant::now() + Duration::from_secs(10))
        .expect("without -L the sending host's listener gets the datagram");
    check_line(
        &line,
        "[fe80::1%mc0]",
        "[ff02::4246%mc0]:5202",
        "mc0",
        4,
        "loop",
    );
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(local.child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let d = local.finish(LIMIT).expect(0);
    assert!(
        d.err.contains("1 datagrams printed; 1 received"),
        "{}",
        d.context()
    );
}

/// mc0 (fe80::1) <-> mc1 (fe80::2), up, addresses usable at once (no DAD).
fn veth_pair() {
    let sh = "ip link add name mc0 type veth peer name mc1 && \
              for i in 0 1; do ip link set mc$i addrgenmode none && ip link set mc$i up && \
              ip addr add fe80::$((i+1))/64 dev mc$i nodad || exit 1; done";
    run_ok(Command::new("sh").args(["-c", sh]));
}
