//! mcsend as a traffic generator: over 250 groups to mclisten, every
//! datagram counted and nothing lost; the rate of -r and -b within 5% of
//! what was asked, at the sender and at the receiver; lines of standard
//! input to each group in turn; its header, DSCP, TTL and size as Python's
//! socket module sees them (tests/peers/mctest.py), IPv4 on lo and IPv6
//! with a traffic class over a veth pair (tests/netns-veth); -S's address
//! and port as mclisten sees them; no rate reported, by mcsend or mclisten,
//! over a burst too short to measure one.
//!
//! Everything runs inside the runner's private namespace; receivers are
//! waited for (mclisten's "listening on" line, mctest.py's --ready file, a
//! bound port in /proc/net/udp), never slept on; every wait is bounded.
//! Shared helpers: tests/support/tools.rs and tests/support/json.rs.
//! `cargo test --test tools_mcsend -- --nocapture` prints the figures.

mod support;

use support::json::*;
use support::process::*;
use support::tools::*;
use support::*;

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
        assert_eq!(f.str("stream"), format!("{:08x}", stream.unwrap()));
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

/// One datagram is "1 datagram" in the report, more are "datagrams".
#[test]
fn mcsend_report_counts_in_the_singular_and_the_plural() {
    require_netns();
    let s = run("mcsend", &["239.3.9.2", "7110", "hello"]).expect(0);
    let report = s.err.lines().last().unwrap_or("");
    assert!(
        report.starts_with("mcsend: sent 1 datagram, 5 bytes, to 1 group in "),
        "{}",
        s.context()
    );
    let s = run(
        "mcsend",
        &["-c", "2", "239.3.9.2,239.3.9.3", "7110", "hello"],
    )
    .expect(0);
    let report = s.err.lines().last().unwrap_or("");
    assert!(
        report.starts_with("mcsend: sent 4 datagrams, 20 bytes, to 2 groups in "),
        "{}",
        s.context()
    );
    // one byte: "1 byte" in mcsend's line and report, in mclisten's line; and
    // mclisten's one datagram and one flow
    let l = listen(&["-n", "1", "-w", "10000", "239.3.9.4", "7111"]);
    let s = run("mcsend", &["239.3.9.4", "7111", "x"]).expect(0);
    assert_eq!(
        s.out,
        "sent 1 byte to 239.3.9.4:7111 (ttl 1): x\n",
        "{}",
        s.context()
    );
    let report = s.err.lines().last().unwrap_or("");
    assert!(
        report.starts_with("mcsend: sent 1 datagram, 1 byte, to 1 group in "),
        "{}",
        s.context()
    );
    let d = l.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 1, "{}", d.context());
    check_line(lines[0], "127.0.0.1", "239.3.9.4:7111", "lo", 1, "x");
    // the summary (standard error without -q or -j)
    for want in [
        "\n--- mclisten summary: 1 flow, ",
        " total: 1 flow, 1 pkt ",
        "\nmclisten: 1 datagram printed; 1 received, 0 filtered",
    ] {
        assert!(d.err.contains(want), "want {want:?}\n{}", d.context());
    }
}

/// A rate over a burst of microseconds is noise: below 10 ms from the first
/// datagram to the last, mcsend's report and mclisten's summary say so
/// instead (JSON: null); a paced run, longer, keeps its rate.
#[test]
fn no_rate_over_too_short_a_time_at_the_sender_or_the_receiver() {
    require_netns();
    let l = listen(&["-q", "-j", "-n", "3", "-w", "10000", "239.3.9.1", "7109"]);
    let s = run("mcsend", &["-c", "3", "239.3.9.1", "7109", "hello world"]).expect(0);
    let report = s.err.lines().last().unwrap_or("");
    let head = "mcsend: sent 3 datagrams, 33 bytes, to 1 group in ";
    assert!(report.starts_with(head), "{}", s.context());
    let secs: f64 = report[head.len()..]
        .split(' ')
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no time in {report:?}"));
    if secs < 0.010 {
        assert!(
            report.ends_with(" s (too short to measure a rate)"),
            "{}",
            s.context()
        );
        assert!(!report.contains("datagrams/s"), "{}", s.context());
    } else {
        println!("tools: 3 datagrams took {secs} s here: a rate is due");
    }
    let d = l.finish(LIMIT).expect(0);
    let v = json_lines(&d);
    let (f, t) = (summary_of(&v, "239.3.9.1"), total(&v));
    if f.num("end") - f.num("start") < 0.009 {
        assert!(f.is_null("pps") && f.is_null("bps"), "{f:?}");
        assert!(t.is_null("pps"), "{t:?}");
    }
    // 3 datagrams at 100/s: 20 ms from the first to the last, a rate
    let l = listen(&["-q", "-n", "3", "-w", "10000", "239.3.9.1", "7109"]);
    let s = run(
        "mcsend",
        &["-q", "-r", "100", "-c", "3", "239.3.9.1", "7109", "x"],
    )
    .expect(0);
    assert!(s.out.contains(" datagrams/s, "), "{}", s.context());
    assert!(!s.out.contains("too short"), "{}", s.context());
    let d = l.finish(LIMIT).expect(0);
    assert!(
        d.out.contains(": 3 pkt, ") && d.out.contains(" pps, ") && !d.out.contains("too short"),
        "{}",
        d.context()
    );
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

/// -S: mclisten sees the address and port asked for (lo holds all of
/// 127/8), on every group (their multicasters share the port); a bare
/// address sends from an ephemeral port; an address this host does not have
/// is the library's message and exit status 1.
#[test]
fn mcsend_send_from_address_and_port_as_mclisten_sees_them() {
    require_netns();
    let l = listen(&["-n", "3", "-w", "10000", "239.3.7.1+2", "7107"]);
    run(
        "mcsend",
        &["-S", "127.0.0.5:7777", "239.3.7.1+2", "7107", "from5"],
    )
    .expect(0);
    run("mcsend", &["-S", "127.0.0.6", "239.3.7.1", "7107", "from6"]).expect(0);
    let d = l.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 3, "{}", d.context());
    for g in ["239.3.7.1:7107", "239.3.7.2:7107"] {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!(" -> {g} ")) && l.ends_with("from5"))
            .unwrap_or_else(|| panic!("nothing to {g}\n{}", d.context()));
        assert_eq!(check_line(line, "127.0.0.5", g, "lo", 5, "from5"), 7777);
    }
    let port = check_line(lines[2], "127.0.0.6", "239.3.7.1:7107", "lo", 5, "from6");
    assert_ne!(port, 7777, "{}", d.context());

    let d = run("mcsend", &["-S", "192.0.2.99", "239.3.7.1", "7107", "x"]).expect(1);
    assert!(
        d.err.starts_with("mcsend: ")
            && d.err.contains("192.0.2.99")
            && d.err.contains("(EADDRNOTAVAIL)"),
        "{}",
        d.context()
    );
    assert_eq!(d.err.lines().count(), 1, "{}", d.context());
}

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
