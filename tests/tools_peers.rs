//! mcsend and mclisten with peers this project did not write: mcsend ->
//! socat (a binary file, byte for byte); socat and iperf2 (`iperf -c GROUP
//! -u -T 1`) -> mclisten, counted and measured. Without socat or iperf the
//! tests that need them print "SKIPPED: ..." and pass, unless
//! MC_REQUIRE_ALL=1 (CI).
//!
//! Everything runs inside the runner's private namespace; receivers are
//! waited for (mclisten's "listening on" line, mctest.py's --ready file, a
//! bound port in /proc/net/udp), never slept on; every wait is bounded.
//! Shared helpers: tests/support/tools.rs and tests/support/json.rs.
//! `cargo test --test tools_peers -- --nocapture` prints the figures.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::json::*;
use support::process::*;
use support::tools::*;
use support::*;

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
