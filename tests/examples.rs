//! The C examples (examples-c/*.c), short programs that teach the API: each
//! is built warning-free against include/multicast.h and the built
//! libmulticast.so, run inside the runner's private namespace, and its output
//! checked. The command-line tools (tools/) are tested in tests/tools_*.rs.
//!
//! Programs are synchronized on what they print, never on sleeps: a test
//! starts `mclisten`, waits for its "mclisten: listening on ..." line (printed
//! once the group is joined), then runs the example. Every wait is bounded.
//! The examples that use the seed's default group (224.0.42.42:4242 and .43)
//! take the DEFAULT_GROUP lock.

mod support;

use std::sync::{Mutex, MutexGuard};

use support::process::*;
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
    "announce",
];

/// An example is short enough to read in one sitting.
const MAX_EXAMPLE_LINES: usize = 200;

/// Serializes the examples that use the seed's default groups.
fn default_group() -> MutexGuard<'static, ()> {
    static DEFAULT_GROUP: Mutex<()> = Mutex::new(());
    DEFAULT_GROUP.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the example `name` (no arguments) under the DEFAULT_GROUP lock;
/// it must exit 0.
fn run_example(name: &str) -> Done {
    let _g = default_group();
    run(name, &[]).expect(0)
}

/// Runs the example `name` (see run_example); it must print exactly the
/// lines `want`.
fn example_prints(name: &str, want: &[&str]) {
    let d = run_example(name);
    assert_eq!(d.out_lines(), want, "{}", d.context());
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

#[test]
fn every_example_is_short() {
    require_netns();
    for e in std::fs::read_dir(root().join("examples-c")).expect("examples-c/") {
        let path = e.unwrap().path();
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(
            lines < MAX_EXAMPLE_LINES,
            "{} has {lines} lines: an example is under {MAX_EXAMPLE_LINES} (tools go to tools/)",
            path.display()
        );
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
    let want = [(19, "hello from send_one")];
    check_lines(&d, "127.0.0.1", "224.0.42.42:4242", "lo", &want);
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
    example_prints(
        "multicaster",
        &[
            "received 1/5: packet 1: hello",
            "received 2/5: packet 2: from an array",
            "received 3/5: packet 3: sent by a multicaster",
            "received 4/5: packet 4: in order",
            "received 5/5: packet 5: the last one",
            "sent 5, received 5 of 5",
        ],
    );
}

#[test]
fn example_regex_filter_uses_ip_and_port() {
    require_netns();
    example_prints(
        "regex_filter",
        &[
            "sent 5 packets to 224.0.42.42:4242",
            "accepted: 224.0.42.42:4242 hello",
            "accepted: 224.0.42.42:4242 bye",
            "accepted 2, filtered 3, received 5",
        ],
    );
}

#[test]
fn example_two_pollers_each_get_their_own_group() {
    require_netns();
    let d = run_example("two_pollers");
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
    example_prints(
        "pull",
        &[
            "next() = first (5 bytes from 127.0.0.1)",
            "next() = second (6 bytes from 127.0.0.1)",
            "next() = third (5 bytes from 127.0.0.1)",
            "pulled 3 of 3",
        ],
    );
}

#[test]
fn example_demo() {
    require_netns();
    let d = run_example("demo");
    let lines = d.out_lines();
    assert_eq!(lines.len(), 7, "{}", d.context());
    assert!(
        lines[1].starts_with("packet 1: hello  (5 bytes from 127.0.0.1:"),
        "{}",
        d.context()
    );
    assert_eq!(lines[6], "received 5 of 5", "{}", d.context());
}

#[test]
fn example_announce_sends_from_a_timer_and_prints_what_it_hears() {
    require_netns();
    // its own group (SAP's 224.2.127.254:9875): no DEFAULT_GROUP lock
    let d = run("announce", &["3", "100"]).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 5, "{}", d.context());
    assert_eq!(lines[0], "announcing on 224.2.127.254:9875 every 100 ms");
    for (i, l) in lines[1..4].iter().enumerate() {
        let n = i + 1;
        // "received 1/3 from 127.0.0.1:PORT: "libmulticast demo", announcement 1"
        let rest = l
            .strip_prefix(&format!("received {n}/3 from 127.0.0.1:"))
            .unwrap_or_else(|| panic!("line {n}: {l:?}\n{}", d.context()));
        let (port, what) = rest.split_once(": ").unwrap();
        assert!(port.parse::<u16>().is_ok_and(|p| p > 0), "{l:?}");
        assert_eq!(what, format!("\"libmulticast demo\", announcement {n}"));
    }
    assert_eq!(lines[4], "sent 3, received 3 of 3", "{}", d.context());
    let d = run("announce", &["0"]).expect(2);
    assert!(d.err.contains("usage: announce"), "{}", d.context());
}
