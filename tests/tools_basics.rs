//! mcsend -> mclisten, the basics on lo: text and its escapes, numbered
//! lines on a named interface, hex, a filter, a timeout (exit status 1; the
//! reason said before the summary), truncation, source-specific joins and
//! every interface ("*"); and IPv6 link-local scope and -L (no loopback) over
//! a veth pair, in a nested private namespace (lo carries no IPv6 multicast).
//!
//! Everything runs inside the runner's private namespace; receivers are
//! waited for (mclisten's "listening on" line), never slept on; every wait
//! is bounded.

mod support;

use std::time::Duration;

use support::process::*;
use support::*;

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

/// What ended the run comes first, then the summary (and the counters).
#[test]
fn tools_mclisten_says_why_it_stopped_before_the_summary() {
    require_netns();
    for (args, why, status) in [
        (
            &["-w", "300", "-n", "5"][..],
            "mclisten: no datagram for 300 ms: got 2 of 5\n",
            1,
        ),
        (
            &["-w", "300ms"][..],
            "mclisten: no datagram for 300 ms: done\n",
            0,
        ),
    ] {
        let mut a = args.to_vec();
        a.extend(["239.1.1.9", "5109"]);
        let l = listen(&a);
        run("mcsend", &["-c", "2", "239.1.1.9", "5109", "two"]).expect(0);
        let d = l.finish(LIMIT).expect(status);
        let at = |what: &str| {
            d.err
                .find(what)
                .unwrap_or_else(|| panic!("no {what:?}\n{}", d.context()))
        };
        assert!(
            at(why) < at("--- mclisten summary: 1 flow")
                && at("--- mclisten summary") < at("mclisten: 2 datagrams printed"),
            "{}",
            d.context()
        );
    }
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
        d.err.contains("1 datagram printed; 1 received"),
        "{}",
        d.context()
    );
}
