//! mclisten as a monitor: a test sender (tests/peers/mctest.py, which
//! encodes mcsend's test header from its documentation alone) skips,
//! repeats and swaps sequence numbers, and mclisten counts exactly those
//! losses, duplicates and reorderings, per group and per datagram, with
//! exit status 3; its lines, columns, intervals and summary for people;
//! source-specific pairs in a list of groups; -X silencing one of two
//! senders (mcsend -S 127.0.0.2 / 127.0.0.3 on lo). The JSON lines (-j) are
//! parsed back here and by Python's json; their stream id is the text's
//! (8 hex digits, a string).
//!
//! Everything runs inside the runner's private namespace; receivers are
//! waited for (mclisten's "listening on" line, mctest.py's --ready file, a
//! bound port in /proc/net/udp), never slept on; every wait is bounded.
//! Shared helpers: tests/support/tools.rs and tests/support/json.rs.
//! `cargo test --test tools_mclisten -- --nocapture` prints the figures.

mod support;

use support::json::*;
use support::process::*;
use support::tools::*;
use support::*;

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
        // the stream id as the text shows it: 8 hex digits
        assert_eq!(f.str("stream"), "00007e57", "{f:?}");
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
            assert_eq!((p.str("header"), p.str("stream")), ("mc", "00007e57"));
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

/// -X: two senders on lo (mcsend -S 127.0.0.2 and -S 127.0.0.3); the
/// listener that blocks 127.0.0.2 hears 127.0.0.3 alone, on every group of
/// its list, and the kernel never hands it .2's datagrams; a listener
/// without -X hears both.
#[test]
fn mclisten_blocked_source_is_silenced() {
    require_netns();
    let blocking = listen(&[
        "-X",
        "127.0.0.2",
        "-n",
        "4",
        "-w",
        "10000",
        "239.3.8.1+2",
        "7108",
    ]);
    assert!(
        blocking.err.text().contains(
            "listening on 239.3.8.1:7108, 239.3.8.2:7108 (2 groups, the system's interface, \
             blocking 127.0.0.2)"
        ),
        "{}",
        blocking.err.text()
    );
    let all = listen(&["-n", "8", "-w", "10000", "239.3.8.1+2", "7108"]);
    for (from, text) in [
        ("127.0.0.2", "blocked"),
        ("127.0.0.3", "heard"),
        ("127.0.0.2", "blocked"),
        ("127.0.0.3", "heard"),
    ] {
        run("mcsend", &["-q", "-S", from, "239.3.8.1+2", "7108", text]).expect(0);
    }
    let d = blocking.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 4, "{}", d.context());
    for l in &lines {
        let g = if l.contains("239.3.8.1:") {
            "239.3.8.1:7108"
        } else {
            "239.3.8.2:7108"
        };
        check_line(l, "127.0.0.3", g, "lo", 5, "heard");
    }
    assert!(
        d.err
            .contains("mclisten: 4 datagrams printed; 4 received, 0 filtered"),
        "{}",
        d.context()
    );
    let d = all.finish(LIMIT).expect(0);
    assert_eq!(
        d.out.lines().filter(|l| l.ends_with(": blocked")).count(),
        4,
        "{}",
        d.context()
    );
}
