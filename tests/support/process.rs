//! Running programs from the tests (tests/examples.rs, tests/interop.rs):
//! starting them with their output read line by line, waiting for a line or
//! for the exit with a deadline, and killing them; and, on top of that, the
//! command-line tools of tools/ (mcsend, mclisten) and the check of an
//! mclisten line. Programs are synchronized on what they print, never on
//! sleeps, and every wait is bounded.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{compile, root, run_ok};

/// How long any one program may run before the test kills it and fails.
pub const LIMIT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// Programs and their output

/// Lines a child writes to one of its pipes, read by a thread.
pub struct Lines {
    rx: Receiver<String>,
    seen: Vec<String>,
    eof: bool,
}

impl Lines {
    pub fn new(pipe: impl Read + Send + 'static) -> Lines {
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
    pub fn next_until(&mut self, deadline: Instant) -> Option<String> {
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

    /// The next line within `timeout` from now; None at EOF or timeout.
    pub fn next_within(&mut self, timeout: Duration) -> Option<String> {
        self.next_until(Instant::now() + timeout)
    }

    /// Everything up to EOF (bounded).
    pub fn drain(&mut self, deadline: Instant) {
        while self.next_until(deadline).is_some() {}
    }

    pub fn text(&self) -> String {
        self.seen.iter().map(|l| format!("{l}\n")).collect()
    }
}

/// A running program whose output is read line by line; killed on drop.
pub struct Proc {
    pub label: String,
    pub child: Child,
    pub out: Lines,
    pub err: Lines,
}

/// What a finished program did.
pub struct Done {
    pub label: String,
    pub status: ExitStatus,
    pub out: String,
    pub err: String,
}

impl Done {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn context(&self) -> String {
        format!(
            "{} exited {:?}\n--- stdout\n{}--- stderr\n{}",
            self.label, self.status, self.out, self.err
        )
    }

    /// Asserts exit status `code`; returns self for chaining.
    pub fn expect(self, code: i32) -> Done {
        assert_eq!(self.code(), Some(code), "{}", self.context());
        self
    }

    pub fn out_lines(&self) -> Vec<&str> {
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
    pub fn start(mut cmd: Command, stdin: &[u8]) -> Proc {
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
    pub fn wait_stderr(&mut self, what: &str, timeout: Duration) -> String {
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

    /// Sends SIGTERM (the tools' way to stop: exit 0 with their summary).
    pub fn terminate(&self) {
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) },
            0
        );
    }

    /// Waits (bounded) for the program to exit and for all its output.
    pub fn finish(mut self, timeout: Duration) -> Done {
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

// ---------------------------------------------------------------------------
// The examples of examples-c/ and the tools of tools/

/// The compiled example or tool `name`, built once per process: the example
/// examples-c/NAME.c, or the tool tools/NAME.c with its parts tools/NAME_*.c
/// and tools/common.c. Inside a nested namespace the paths come from the
/// environment.
pub fn bin(name: &str) -> PathBuf {
    if let Ok(p) = std::env::var(format!("MC_EXAMPLE_{}", name.to_uppercase())) {
        return PathBuf::from(p);
    }
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    built
        .get_or_insert_with(HashMap::new)
        .entry(name.to_string())
        .or_insert_with(|| {
            let sources = sources(name);
            compile(
                name,
                &sources.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
        .clone()
}

/// The C sources of the example or tool `name` (see bin).
fn sources(name: &str) -> Vec<String> {
    let main = format!("tools/{name}.c");
    if !root().join(&main).exists() {
        return vec![format!("examples-c/{name}.c")];
    }
    let mut parts: Vec<String> = std::fs::read_dir(root().join("tools"))
        .expect("tools/")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(&format!("{name}_")) && f.ends_with(".c"))
        .map(|f| format!("tools/{f}"))
        .collect();
    parts.sort();
    let mut all = vec![main];
    all.extend(parts);
    all.push("tools/common.c".to_string());
    all
}

pub fn cmd(name: &str, args: &[&str]) -> Command {
    let mut c = Command::new(bin(name));
    c.args(args);
    c
}

/// Runs a program to its end (bounded by LIMIT).
pub fn run(name: &str, args: &[&str]) -> Done {
    run_with_stdin(name, args, b"")
}

/// Runs `tool` and checks a usage error: exit status 2, nothing on standard
/// output, one line on standard error from "TOOL: " holding each of `msgs`.
pub fn usage_error(tool: &str, args: &[&str], msgs: &[&str]) -> Done {
    let d = run(tool, args).expect(2);
    for m in msgs {
        assert!(d.err.contains(m), "want {m:?}\n{}", d.context());
    }
    assert_eq!(d.err.lines().count(), 1, "one line\n{}", d.context());
    assert!(d.err.starts_with(&format!("{tool}: ")), "{}", d.context());
    assert!(d.out.is_empty(), "{}", d.context());
    d
}

pub fn run_with_stdin(name: &str, args: &[&str], stdin: &[u8]) -> Done {
    Proc::start(cmd(name, args), stdin).finish(LIMIT)
}

/// Starts mclisten and returns once it has joined (its "listening on" line).
pub fn listen(args: &[&str]) -> Proc {
    let mut p = Proc::start(cmd("mclisten", args), b"");
    p.wait_stderr("mclisten: listening on", Duration::from_secs(10));
    p
}

/// Checks one mclisten line: "HH:MM:SS.uuuuuu SRC:PORT -> GROUP IFACE N bytes: PAYLOAD"
/// ("1 byte" for one).
/// Returns the source port.
pub fn check_line(
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
    let bytes = if size == 1 { "byte" } else { "bytes" };
    let want = format!("{group} {iface} {size} {bytes}: {payload}");
    assert_eq!(rest, want, "in {line:?}");
    port
}

/// Checks mclisten's output in `d`: exactly one line per datagram of `want`
/// (its size and printed payload, in order), each from `src_ip` to `group`
/// on `iface` (see check_line). Returns the source ports.
pub fn check_lines<P: AsRef<str>>(
    d: &Done,
    src_ip: &str,
    group: &str,
    iface: &str,
    want: &[(usize, P)],
) -> Vec<u16> {
    let lines = d.out_lines();
    assert_eq!(lines.len(), want.len(), "{}", d.context());
    lines
        .iter()
        .zip(want)
        .map(|(line, (size, payload))| {
            check_line(line, src_ip, group, iface, *size, payload.as_ref())
        })
        .collect()
}

// ---------------------------------------------------------------------------
// IPv6 over a veth pair, in a nested namespace

/// lo cannot carry IPv6 multicast, so an IPv6 test re-runs itself (the test
/// `test` of this binary, alone) in a nested private namespace (tests/netns-run
/// inside the runner's), with `inner_var`=1 and the tools' paths in its
/// environment. Returns true in the outer run, once the inner one passed;
/// false inside, where the test goes on (and calls veth_pair()).
pub fn rerun_in_nested_netns(test: &str, inner_var: &str) -> bool {
    if std::env::var(inner_var).as_deref() == Ok("1") {
        return false;
    }
    let mut c = Command::new(root().join("tests/netns-run"));
    c.arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(inner_var, "1")
        .env("MC_EXAMPLE_MCSEND", bin("mcsend"))
        .env("MC_EXAMPLE_MCLISTEN", bin("mclisten"));
    let d = Proc::start(c, b"").finish(Duration::from_secs(60));
    assert_eq!(d.code(), Some(0), "{}", d.context());
    assert!(d.out.contains("1 passed"), "{}", d.context());
    true
}

/// mc0 (fe80::1) <-> mc1 (fe80::2), up, addresses usable at once (no DAD).
pub fn veth_pair() {
    let sh = "ip link add name mc0 type veth peer name mc1 && \
              for i in 0 1; do ip link set mc$i addrgenmode none && ip link set mc$i up && \
              ip addr add fe80::$((i+1))/64 dev mc$i nodad || exit 1; done";
    run_ok(Command::new("sh").args(["-c", sh]));
}

/// Sends each of `payloads` as one datagram to `group:port` (TTL 1) with
/// socat, an independent sender, one socat process per datagram.
pub fn socat_send(group: &str, port: u16, payloads: &[Vec<u8>]) {
    for p in payloads {
        let mut c = Command::new("socat");
        c.args([
            "-u".to_string(),
            "STDIN".to_string(),
            format!("UDP4-DATAGRAM:{group}:{port},ip-multicast-ttl=1"),
        ]);
        Proc::start(c, p).finish(LIMIT).expect(0);
    }
}
