//! mcping as an ssmping-compatible reachability test, against Debian's
//! ssmping, asmping and ssmpingd: mcping against ssmpingd, and ssmping and
//! asmping against `mcping -s`, IPv4 and IPv6, on one segment (a veth pair,
//! tests/netns-veth: hops 0; both replies from the address asked, a secondary
//! or deprecated one) and across the routed network of
//! tests/netns-routed (hops 1). Each test re-runs itself inside its
//! wrapper. Without ssmping or smcroute (or the kernel's multicast routing)
//! the tests print "SKIPPED: ..." and pass, unless MC_REQUIRE_ALL=1 (CI).
//!
//! Everything runs inside the runner's private namespace; receivers are
//! waited for (mclisten's "listening on" line, mctest.py's --ready file, a
//! bound port in /proc/net/udp), never slept on; every wait is bounded.
//! Shared helpers: tests/support/tools.rs.
//! `cargo test --test tools_mcping -- --nocapture` prints the figures.

mod support;

use std::process::Command;
use std::time::Duration;

use support::process::*;
use support::tools::*;
use support::*;

/// ssmpingd through `wrap`, returned once its port 4321 is bound.
fn ssmpingd(wrap: &[&str]) -> Proc {
    let mut p = Proc::start(wrapped(wrap, "ssmpingd"), b"");
    wait_until("ssmpingd bound to port 4321", &mut p, || {
        udp_bound(wrap, 4321)
    });
    p
}

/// `mcping -s` through `wrap`, answering when this returns.
fn mcping_server(wrap: &[&str]) -> Proc {
    let mut c = wrapped(wrap, bin("mcping"));
    c.args(["-s", "-w", "30000"]);
    let mut p = Proc::start(c, b"");
    p.wait_stderr(
        "mcping: answering ssmping requests on port 4321 (IPv6 and IPv4)",
        Duration::from_secs(10),
    );
    p
}

/// The reply lines of an mcping client run: (path, from, seq, ttl, hops).
fn mcping_replies(d: &Done) -> Vec<(String, String, u32, i32, i32)> {
    d.out
        .lines()
        .filter(|l| l.contains("icast from "))
        .map(|l| {
            // "  unicast from 192.0.2.2: seq=1 ttl=64 hops=0 time=0.150 ms"
            let (path, rest) = l.trim_start().split_once(" from ").unwrap();
            let (from, rest) = rest.split_once(": ").unwrap();
            let num = |k: &str| -> i64 { field(rest, k).parse().unwrap() };
            assert!(rest.contains(" time=") && rest.ends_with(" ms"), "{l}");
            (
                path.to_string(),
                from.to_string(),
                num("seq") as u32,
                num("ttl") as i32,
                num("hops") as i32,
            )
        })
        .collect()
}

/// mcping HOST (through `wrap`): every request answered on both paths, with
/// `ttl` and `hops`; returns the statistics lines.
fn mcping_client(
    wrap: &[&str],
    host: &str,
    extra: &[&str],
    ttl: i32,
    hops: i32,
    version: &str,
) -> String {
    let mut c = wrapped(wrap, bin("mcping"));
    c.args(["-c", "3", "-i", "0.2", "-v"]).args(extra).arg(host);
    let d = Proc::start(c, b"").finish(LIMIT).expect(0);
    let r = mcping_replies(&d);
    let mut want = Vec::new();
    for seq in 1..=3 {
        for path in ["unicast", "multicast"] {
            want.push((path.to_string(), host.to_string(), seq, ttl, hops));
        }
    }
    let mut sorted = r.clone();
    sorted.sort_by_key(|x| (x.2, x.0.len()));
    want.sort_by_key(|x| (x.2, x.0.len()));
    assert_eq!(sorted, want, "{}", d.context());
    assert!(
        d.out.contains(&format!("server version: {version}")),
        "{}",
        d.context()
    );
    let stats: Vec<&str> = d
        .out
        .lines()
        .skip_while(|l| !l.starts_with("--- "))
        .collect();
    assert!(stats.len() == 4, "{}", d.context());
    assert!(
        stats[1].starts_with("3 requests sent in "),
        "{}",
        d.context()
    );
    assert!(
        stats[2].starts_with("  unicast: 3 replies, 0% loss, rtt min/avg/max/std-dev = ")
            && stats[2].ends_with(&format!(" ms, hops {hops}")),
        "{}",
        d.context()
    );
    assert!(
        stats[3].starts_with("multicast: 3 replies, 0% loss since the first (seq 1), rtt ")
            && stats[3].ends_with(&format!(" ms, hops {hops}")),
        "{}",
        d.context()
    );
    stats[2..].join(" | ")
}

/// ssmping (or asmping with `group`) from `wrap` to `host` (2 requests): both
/// replies, with `dist`.
fn ssmping_client(
    wrap: &[&str],
    host: &str,
    extra: &[&str],
    asm_group: Option<&str>,
    dist: u32,
) -> Done {
    let mut c = wrapped(
        wrap,
        if asm_group.is_some() {
            "asmping"
        } else {
            "ssmping"
        },
    );
    c.args(["-c", "2"]).args(extra);
    if let Some(g) = asm_group {
        c.arg(g);
    }
    c.arg(host);
    let d = Proc::start(c, b"").finish(LIMIT).expect(0);
    for seq in 1..=2 {
        for path in ["  unicast", "multicast"] {
            let l = format!("{path} from {host}, seq={seq} dist={dist} time=");
            assert!(d.out.contains(&l), "want {l:?}\n{}", d.context());
        }
    }
    assert!(!d.out.contains("Warning"), "{}", d.context());
    assert!(
        d.out
            .contains("   2 packets received, 0% packet loss since first mc packet"),
        "{}",
        d.context()
    );
    d
}

fn need_ssmping() -> bool {
    require_tool("ssmpingd", "ssmping")
        && require_tool("ssmping", "ssmping")
        && require_tool("asmping", "ssmping")
}

#[test]
fn mcping_against_ssmpingd_and_ssmping_against_mcping_on_one_segment() {
    require_netns();
    if !need_ssmping()
        || rerun(
            "mcping_against_ssmpingd_and_ssmping_against_mcping_on_one_segment",
            "tests/netns-veth",
        )
    {
        return;
    }
    let peer = peer();
    let peer = strs(&peer);
    // mcping -> Debian's ssmpingd, IPv4 and IPv6: TTL 64, no router
    let server = ssmpingd(&peer);
    for host in ["192.0.2.2", "fd42::2"] {
        let s = mcping_client(&[], host, &[], 64, 0, "0.9.1 (20080418) [asm][size]");
        println!("tools: mcping {host} -> ssmpingd: {s}");
    }
    // -g: any-source on an ssmping group (asmping's way)
    let mut c = Command::new(bin("mcping"));
    c.args(["-c", "2", "-i", "0.2", "-g", "239.43.1.234", "192.0.2.2"]);
    let d = Proc::start(c, b"").finish(LIMIT).expect(0);
    assert!(
        d.out
            .starts_with("mcping: joined (S,G) = (*, 239.43.1.234) port "),
        "{}",
        d.context()
    );
    assert_eq!(mcping_replies(&d).len(), 4, "{}", d.context());
    drop(server);

    // Debian's ssmping and asmping -> mcping -s
    let server = mcping_server(&peer);
    let d = ssmping_client(&[], "192.0.2.2", &["-v"], None, 0);
    assert!(
        d.out
            .contains("Server version: mcping (libmulticast) [asm][size]"),
        "{}",
        d.context()
    );
    // -s 300: replies padded to 300 bytes (ssmping warns otherwise)
    ssmping_client(&[], "fd42::2", &["-6", "-s", "300"], None, 0);
    ssmping_client(&[], "192.0.2.2", &[], Some("224.1.2.234"), 0);
    // a group that is not an ssmping group: unicast only, and mcping says so (exit 1)
    let mut c = Command::new(bin("mcping"));
    c.args(["-c", "1", "-W", "0.3", "-g", "239.1.2.3", "192.0.2.2"]);
    let d = Proc::start(c, b"").finish(LIMIT).expect(1);
    assert!(
        d.out.contains("multicast: 0 replies, 100% loss"),
        "{}",
        d.context()
    );
    assert!(
        d.err
            .contains("mcping: no multicast reply from 192.0.2.2 (unicast replies came)"),
        "{}",
        d.context()
    );
    // Both replies come from the address asked: 192.0.2.3 is secondary and
    // fd42::3 deprecated (a socket that binds nothing sends from .2 / ::2),
    // and the clients join (S,G) with S that address: a multicast reply from
    // another address would not reach them.
    ssmping_client(&[], "192.0.2.3", &[], None, 0);
    let s = mcping_client(
        &[],
        "fd42::3",
        &[],
        64,
        0,
        "mcping (libmulticast) [asm][size]",
    );
    println!("tools: mcping fd42::3 -> mcping -s: {s}");
    server.terminate();
    let d = server.finish(LIMIT).expect(0);
    let lines = d.out_lines();
    assert_eq!(lines.len(), 12, "{}", d.context());
    assert!(
        lines[0].starts_with("request from 192.0.2.1 port ")
            && lines[0].contains(" seq 1: replied unicast and to 232.43.211.234 port "),
        "{}",
        d.context()
    );
    assert!(
        lines[2].starts_with("request from fd42::1 port ")
            && lines[2].contains("to ff3e::4321:1234 port "),
        "{}",
        d.context()
    );
    assert!(
        lines[4].contains(": replied unicast and to 224.1.2.234 port "),
        "{}",
        d.context()
    );
    assert!(
        lines[6].ends_with(": replied unicast; not to 239.1.2.3: not an ssmping group"),
        "{}",
        d.context()
    );
    assert!(
        lines[7..]
            .iter()
            .all(|l| l.contains(": replied unicast and to ")),
        "{}",
        d.context()
    );
    assert!(
        d.err.contains("mcping: answered 12 requests"),
        "{}",
        d.context()
    );
    println!("tools: ssmping (IPv4, IPv6 -s 300) and asmping -> mcping -s: every reply on both paths, dist=0");
    println!("tools: ssmping 192.0.2.3, mcping fd42::3 -> mcping -s: both replies from the address asked");
}

#[test]
fn mcping_and_ssmping_across_the_routed_network_count_one_hop() {
    require_netns();
    // The router (smcrouted) needs multicast routing in the kernel, both families.
    if !require_kernel(Feature::MulticastRouting)
        || !require_kernel(Feature::MulticastRouting6)
        || !need_ssmping()
        || !require_tool("smcrouted", "smcroute")
    {
        return;
    }
    if rerun(
        "mcping_and_ssmping_across_the_routed_network_count_one_hop",
        "tests/netns-routed",
    ) {
        return;
    }
    let ha = ["ip", "netns", "exec", "ha"];
    let hb = ["ip", "netns", "exec", "hb"];
    let server = ssmpingd(&hb);
    for host in ["198.51.100.20", "fd42:2::20"] {
        let s = mcping_client(&ha, host, &[], 63, 1, "0.9.1 (20080418) [asm][size]");
        println!("tools: routed: mcping {host} -> ssmpingd: {s}");
    }
    drop(server);
    let server = mcping_server(&hb);
    for host in ["198.51.100.20", "fd42:2::20"] {
        ssmping_client(&ha, host, &[], None, 1);
    }
    server.terminate();
    let d = server.finish(LIMIT).expect(0);
    assert!(
        d.err.contains("mcping: answered 4 requests"),
        "{}",
        d.context()
    );
    println!(
        "tools: routed: ssmping (IPv4, IPv6) -> mcping -s across the router: dist=1 on both paths"
    );
}

/// One request, one reply on each path: the counts in the singular, at the
/// client ("1 request sent", "1 reply") and the server ("answered 1 request"),
/// mcping against `mcping -s` on the loopback interface.
#[test]
fn mcping_counts_one_request_in_the_singular() {
    require_netns();
    let mut server = Proc::start(cmd("mcping", &["-s", "-q", "-n", "1", "-w", "10000"]), b"");
    server.wait_stderr(
        "mcping: answering ssmping requests",
        Duration::from_secs(10),
    );
    let d = run("mcping", &["-c", "1", "-W", "1s", "127.0.0.1"]).expect(0);
    for want in [
        "\n1 request sent in ",
        "\n  unicast: 1 reply, 0% loss, ",
        "\nmulticast: 1 reply, 0% loss since the first (seq 1), ",
    ] {
        assert!(d.out.contains(want), "want {want:?}\n{}", d.context());
    }
    let s = server.finish(LIMIT).expect(0);
    assert!(
        s.err.ends_with("mcping: answered 1 request\n"),
        "{}",
        s.context()
    );
}
