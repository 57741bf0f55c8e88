//! The command-line tools' command lines: each tool builds warning-free
//! (tools/NAME.c, tools/NAME_*.c, tools/common.c); bad usage is one line on
//! standard error and exit status 2, for each tool; a bad group, interface,
//! filter, source, send-from address (mcsend -S) or blocked source
//! (mclisten -X) is the library's own message (exit 2), a failed send
//! the library's message and exit status 1; --help and -h print the
//! synopsis; the library's hints name the tool's options, not C functions.
//!
//! Everything runs inside the runner's private namespace.

mod support;

use support::process::*;
use support::*;

/// The tools (tools/NAME.c, its parts tools/NAME_*.c, tools/common.c).
const TOOLS: &[&str] = &["mcsend", "mclisten", "mcping"];

#[test]
fn every_tool_builds_warning_free() {
    require_netns();
    for name in TOOLS {
        assert!(
            root().join(format!("tools/{name}.c")).exists(),
            "tools/{name}.c is missing"
        );
        // compile() uses -std=c99 -Wall -Wextra -Wpedantic -Werror
        let b = bin(name);
        assert!(b.exists(), "{}", b.display());
    }
}

#[test]
fn bad_usage_is_one_line_and_exit_status_2() {
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
        ("mcsend", &["-S"], "option -S needs a value"),
        (
            "mcsend",
            &["-S", "[::1", "239.1.0.1", "5000", "x"],
            "bad -S \"[::1\": expected ADDRESS, ADDRESS:PORT or [ADDRESS]:PORT",
        ),
        (
            "mcsend",
            &["-S", ":5000", "239.1.0.1", "5000", "x"],
            "bad -S \":5000\"",
        ),
        (
            "mcsend",
            &["-S", "127.0.0.2:0", "239.1.0.1", "5000", "x"],
            "bad PORT (-S) \"0\"",
        ),
        (
            "mcsend",
            &["-S", "[::1]:x", "ff0e::1", "5000", "x"],
            "bad PORT (-S) \"x\"",
        ),
        ("mclisten", &["-X"], "option -X needs a value"),
        (
            "mclisten",
            &["-X", "127.0.0.2", "-s", "127.0.0.1", "239.1.0.1", "5000"],
            "-X SOURCE blocks a sender of an any-source group; 239.1.0.1 is source-specific",
        ),
        (
            "mclisten",
            &["-X", "127.0.0.2", "127.0.0.1@239.1.0.1", "5000"],
            "-X SOURCE blocks a sender of an any-source group",
        ),
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
            "bad TIMEOUT (-w) \"-5\"",
        ),
        ("mclisten", &["239.1.0.1", "0"], "bad PORT \"0\""),
        (
            "mclisten",
            &["239.1.0.1", "5000", "more"],
            "unexpected argument \"more\"",
        ),
        ("mcsend", &["-r", "0", "239.1.0.1", "5000"], "bad PPS \"0\""),
        (
            "mcsend",
            &["-r", "fast", "239.1.0.1", "5000"],
            "bad PPS \"fast\"",
        ),
        (
            "mcsend",
            &["-b", "10X", "239.1.0.1", "5000"],
            "bad BITRATE \"10X\"",
        ),
        (
            "mcsend",
            &["-r", "5", "-b", "5", "239.1.0.1", "5000"],
            "-r and -b",
        ),
        (
            "mcsend",
            &["-Q", "zz", "239.1.0.1", "5000", "x"],
            "bad DSCP \"zz\"",
        ),
        (
            "mcsend",
            &["-Q", "64", "239.1.0.1", "5000", "x"],
            "bad DSCP \"64\"",
        ),
        (
            "mcsend",
            &["-s", "70000", "239.1.0.1", "5000"],
            "bad SIZE \"70000\"",
        ),
        (
            "mcsend",
            &[
                "-p",
                "-s",
                "30",
                "239.1.0.1",
                "5000",
                "too long for thirty bytes",
            ],
            "do not fit in -s 30",
        ),
        (
            "mcsend",
            &["-d", "-1", "239.1.0.1", "5000"],
            "bad DURATION (-d) \"-1\"",
        ),
        (
            "mcsend",
            &["239.1.0.1+0", "5000", "x"],
            "bad group count (GROUP+N) \"0\"",
        ),
        (
            "mcsend",
            &["239.255.255.255+2", "5000", "x"],
            "leaves the multicast range",
        ),
        (
            "mcsend",
            &["239.1.0.1,10.0.0.1", "5000", "x"],
            "not a multicast address",
        ),
        (
            "mcsend",
            &["-f", "/nonexistent", "239.1.0.1", "5000"],
            "cannot open /nonexistent",
        ),
        (
            "mcsend",
            &["-f", "/dev/null", "239.1.0.1", "5000", "x"],
            "TEXT or -f FILE",
        ),
        ("mcsend", &["-x", "239.1.0.1", "5000"], "unknown option -x"),
        (
            "mclisten",
            &["-I", "0", "239.1.0.1", "5000"],
            "bad INTERVAL (-I) \"0\"",
        ),
        (
            "mclisten",
            &["-d", "soon", "239.1.0.1", "5000"],
            "bad DURATION (-d) \"soon\"",
        ),
        (
            "mclisten",
            &["-H", "rtp", "239.1.0.1", "5000"],
            "bad FORMAT \"rtp\"",
        ),
        (
            "mclisten",
            &["239.1.0.1,ff02::1%lo", "5000"],
            "all IPv4 or all IPv6",
        ),
        ("mclisten", &["@239.1.0.1", "5000"], "empty SOURCE"),
        (
            "mclisten",
            &["10.0.0.1@239.1.0.1+0", "5000"],
            "bad group count",
        ),
        ("mclisten", &["224.0.0.1@239.1.0.1", "5000"], "unicast"),
        ("mclisten", &["239.1.0.1,239.1.0.1", "5000"], "239.1.0.1"),
        (
            "mclisten",
            &["239.1.0.1%lo,239.1.0.2%mcx", "5000"],
            "interface given twice",
        ),
        ("mcping", &[], "HOST is required"),
        (
            "mcping",
            &["-s", "192.0.2.1"],
            "unexpected argument \"192.0.2.1\" with -s",
        ),
        ("mcping", &["-s", "-c", "3"], "option -c is for the client"),
        (
            "mcping",
            &["-n", "3", "192.0.2.1"],
            "option -n is for the server (-s)",
        ),
        (
            "mcping",
            &["-i", "0", "192.0.2.1"],
            "bad INTERVAL (-i) \"0\"",
        ),
        ("mcping", &["-S", "0", "192.0.2.1"], "bad SIZE \"0\""),
        ("mcping", &["-p", "0", "192.0.2.1"], "bad PORT \"0\""),
        ("mcping", &["-c"], "option -c needs a value"),
        ("mcping", &["-z", "192.0.2.1"], "unknown option -z"),
        (
            "mcping",
            &["no.such.host.invalid"],
            "cannot resolve \"no.such.host.invalid\"",
        ),
        (
            "mcping",
            &["-g", "239.1.2.234", "::1"],
            "not an IPv6 address",
        ),
        (
            "mcping",
            &["-g", "10.1.2.3", "127.0.0.1"],
            "not a multicast address",
        ),
        (
            "mcping",
            &["192.0.2.1", "more"],
            "unexpected argument \"more\"",
        ),
    ];
    for (tool, args, msg) in cases {
        usage_error(tool, args, &[msg]);
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
        (
            "mcsend",
            &["-S", "nope:5000", "239.1.0.1", "5000", "x"],
            &["\"nope\"", "not an IPv4 or IPv6 address"],
        ),
        (
            "mcsend",
            &["-S", "224.0.0.1", "239.1.0.1", "5000", "x"],
            &["\"224.0.0.1\"", "not a unicast address"],
        ),
        (
            "mcsend",
            &["-S", "[::1]:5000", "239.1.0.1", "5000", "x"],
            &["::1", "different families"],
        ),
        (
            "mcsend",
            &["-S", "fe80::1", "ff02::1%lo", "5000", "x"],
            &["\"fe80::1\"", "needs its scope"],
        ),
        (
            "mclisten",
            &["-X", "nope", "239.1.0.1", "5000"],
            &["-X: source \"nope\"", "not an IPv4 or IPv6 address"],
        ),
        (
            "mclisten",
            &["-X", "::1", "239.1.0.1", "5000"],
            &["::1", "other family"],
        ),
        (
            "mclisten",
            &["-X", "127.0.0.2", "-X", "127.0.0.2", "239.1.0.1", "5000"],
            &["127.0.0.2", "already blocked"],
        ),
    ];
    for (tool, args, msgs) in cases {
        let d = usage_error(tool, args, msgs);
        assert!(!d.err.contains("mc_listener_"), "{}", d.context());
    }
}

#[test]
fn mcsend_a_failed_send_is_exit_status_1_with_the_librarys_message() {
    require_netns();
    // lo carries no IPv6 multicast: a global-scope group has no route here
    for args in [
        &["ff0e::4242", "5000", "x"][..],
        &["-r", "100", "-c", "3", "ff0e::4242+2", "5000", "x"][..],
    ] {
        let d = run("mcsend", args).expect(1);
        assert!(
            d.out.is_empty(),
            "no \"sent\" line for a datagram not sent\n{}",
            d.context()
        );
        assert!(
            d.err
                .contains("mcsend: multicaster send of 1 byte to [ff0e::424")
                && d.err.contains("(ENETUNREACH)"),
            "{}",
            d.context()
        );
        assert!(
            d.err.contains("mcsend: sent 0 datagrams"),
            "{}",
            d.context()
        );
    }
}

#[test]
fn help_of_every_tool() {
    require_netns();
    for (tool, synopsis) in [
        (
            "mcsend",
            "usage: mcsend [-i IFACE] [-t TTL] [-c COUNT] [-p] [-N]",
        ),
        (
            "mclisten",
            "usage: mclisten [-i IFACE|*] [-s SOURCE] [-f REGEX] [-n COUNT] [-x] [-w TIMEOUT]",
        ),
        ("mcping", "usage: mcping [-46qv] [-I IFACE] [-c COUNT]"),
    ] {
        for flag in ["--help", "-h"] {
            let d = run(tool, &[flag]).expect(0);
            assert!(d.out.starts_with(synopsis), "{}", d.context());
            if tool != "mcping" {
                assert!(d.out.contains("GROUP PORT"), "{}", d.context());
            }
            assert!(d.err.is_empty(), "{}", d.context());
        }
    }
    let d = run("mcping", &["-h"]).expect(0);
    assert!(d.out.contains("mcping -s [-46q]"), "{}", d.context());
}

/// The library's hints reach the user in the tool's own terms: a scoped
/// IPv6 group without an interface names the option (-i / -I IFACE), not
/// the C function behind it.
#[test]
fn hints_name_the_tools_options() {
    require_netns();
    for (tool, args, hint) in [
        ("mcsend", &["ff02::1", "5000", "hi"][..], "-i IFACE"),
        ("mclisten", &["ff02::1", "5000"][..], "-i IFACE"),
    ] {
        let d = run(tool, args);
        assert_ne!(d.code(), Some(0), "{}", d.context());
        assert!(d.err.contains(hint), "{tool}: {}", d.context());
        assert!(!d.err.contains("mc_opts_set"), "{tool}: {}", d.context());
    }
}
