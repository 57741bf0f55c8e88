//! The C examples (examples-c/*.c) and the command-line tools (tools/): each is built
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

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

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
];

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
    if rerun_in_nested_netns("tools_ipv6_link_local_scope", "MC_EXAMPLES_V6_INNER") {
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
