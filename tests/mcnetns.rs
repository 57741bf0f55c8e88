//! mcnetns (tools/mcnetns, also tests/netns-run) as a user meets it: the command's exit
//! status comes back as a shell gives it, the command is not the namespace's PID 1 (so
//! it can stop itself with a signal), standard input reaches it, and a SIGTERM sent to
//! mcnetns (kill, timeout) ends the command. Run inside the runner's namespace: each
//! mcnetns here makes a namespace nested in it.

mod support;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn mcnetns() -> Command {
    Command::new(root().join("tools/mcnetns"))
}

#[test]
fn exit_status_and_signals_come_back_as_a_shell_gives_them() {
    require_netns();
    let code = |script: &str| {
        let o = mcnetns().args(["sh", "-c", script]).output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    assert_eq!(code("exit 7").0, Some(7));
    // As PID 1 the kernel would drop these signals and the shell would go on.
    assert_eq!(
        code("kill -TERM $$; echo survived"),
        (Some(143), String::new())
    );
    assert_eq!(code("kill -ABRT $$; echo survived").0, Some(134));
    let (rc, out) = code("echo $$ $MC_NETNS");
    assert_eq!(rc, Some(0));
    assert_ne!(
        out.split_whitespace().next(),
        Some("1"),
        "the command is PID 1"
    );
    assert_eq!(out.split_whitespace().nth(1), Some("1"), "MC_NETNS: {out}");
    let o = mcnetns().arg("/nonexistent/program").output().unwrap();
    assert_eq!(o.status.code(), Some(127), "{o:?}");
}

#[test]
fn standard_input_reaches_the_command() {
    require_netns();
    let mut c = mcnetns()
        .args(["sh", "-c", "read line; echo got $line"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    c.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let o = c.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "got hello\n");
}

#[test]
fn sigterm_to_mcnetns_ends_the_command() {
    require_netns();
    let mut c = mcnetns()
        .args(["sh", "-c", "echo ready; exec sleep 60"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(c.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ready\n");
    let t = Instant::now();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(c.id() as i32, libc::SIGTERM) }, 0);
    let status = loop {
        if let Some(s) = c.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(143), "{status:?}");
}
