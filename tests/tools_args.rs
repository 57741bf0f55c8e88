//! The tools' arguments as a user types them: a long option other than
//! --help is named as typed (getopt alone names only its first '-'); every
//! duration takes a unit (us, ms, s, m) while a bare number keeps each
//! option's own unit, decimals but no exponent, and a bad one names the
//! option and the value; an empty element of a group list (",,", a comma at
//! the start or the end) names the list; mcping's HOST that is a group says
//! what HOST is and that -g GROUP takes a group, and a -g GROUP that is not
//! a group (or not of HOST's family) is a usage error naming -g.
//!
//! Everything runs inside the runner's private namespace; every wait is
//! bounded. Shared helpers: tests/support/tools.rs and tests/support/json.rs.

mod support;

use std::time::Duration;

use support::json::*;
use support::process::*;
use support::tools::*;
use support::*;

#[test]
fn unknown_long_options_are_named_as_typed() {
    require_netns();
    let cases: &[(&str, &[&str], &str)] = &[
        ("mclisten", &["--verbose", "239.1.2.3", "5000"], "--verbose"),
        ("mcsend", &["--help-me"], "--help-me"),
        ("mcping", &["--count=3", "127.0.0.1"], "--count=3"),
        // after other options, and (mcping reads options after HOST) after HOST
        (
            "mcsend",
            &["-q", "--verbose", "239.1.2.3", "5000", "x"],
            "--verbose",
        ),
        (
            "mclisten",
            &["-w", "100", "--quiet", "239.1.2.3", "5000"],
            "--quiet",
        ),
        ("mcping", &["127.0.0.1", "--interval"], "--interval"),
        ("mcping", &["-s", "--server"], "--server"),
    ];
    for (tool, args, word) in cases {
        let d = usage_error(tool, args, &[&format!("unknown option '{word}'")]);
        assert!(
            d.err.contains(&format!("({tool} --help for more)")),
            "{}",
            d.context()
        );
    }
    // --help still wins wherever it is before "--", an unknown option too
    for tool in ["mcsend", "mclisten", "mcping"] {
        let d = run(tool, &["--verbose", "--help"]).expect(0);
        assert!(
            d.out.starts_with(&format!("usage: {tool} ")),
            "{}",
            d.context()
        );
    }
    // what is not an option may start with "--": the value of an option, a
    // TEXT after the operands (mcsend stops reading options at GROUP), and
    // anything after "--"
    let d = run("mcsend", &["239.1.2.3", "5000", "--text"]).expect(0);
    assert_eq!(
        d.out,
        "sent 6 bytes to 239.1.2.3:5000 (ttl 1): --text\n",
        "{}",
        d.context()
    );
    let d = run("mcsend", &["-f", "--nofile", "239.1.2.3", "5000"]).expect(2);
    assert!(d.err.contains("cannot open --nofile"), "{}", d.context());
    let d = run(
        "mcping",
        &["-c", "1", "-W", "100ms", "127.0.0.1", "--", "--x"],
    )
    .expect(2);
    assert!(
        d.err.contains("unexpected argument \"--x\""),
        "{}",
        d.context()
    );
    // a short option's missing value was always named
    usage_error("mclisten", &["-w"], &["option -w needs a value"]);
    usage_error("mcping", &["127.0.0.1", "-w"], &["option -w needs a value"]);
}

#[test]
fn durations_take_units_and_bare_numbers_keep_their_unit() {
    require_netns();
    const UNITS: &str = "or a number with a unit us, ms, s or m (500ms, 1.5s)";
    let g = "239.1.9.1";
    let bad: &[(&str, &[&str], &[&str])] = &[
        (
            "mclisten",
            &["-w", "5x", g, "5190"],
            &["bad TIMEOUT (-w) \"5x\": expected milliseconds", UNITS],
        ),
        (
            "mclisten",
            &["-w", "-1s", g, "5190"],
            &["bad TIMEOUT (-w) \"-1s\"", "from 0 to 10000000s"],
        ),
        (
            "mclisten",
            &["-w", "ms", g, "5190"],
            &["bad TIMEOUT (-w) \"ms\""],
        ),
        (
            "mclisten",
            &["-w", "99999999999999999999999s", g, "5190"],
            &["bad TIMEOUT (-w) \"99999999999999999999999s\""],
        ),
        (
            "mclisten",
            &["-I", "0", g, "5190"],
            &["bad INTERVAL (-I) \"0\": expected seconds", "from 1ms"],
        ),
        (
            "mclisten",
            &["-I", "500us", g, "5190"],
            &["bad INTERVAL (-I) \"500us\""],
        ),
        (
            "mclisten",
            &["-d", "1h", g, "5190"],
            &["bad DURATION (-d) \"1h\""],
        ),
        (
            "mcsend",
            &["-d", "5 s", g, "5190"],
            &["bad DURATION (-d) \"5 s\""],
        ),
        (
            "mcsend",
            &["-d", "inf", g, "5190"],
            &["bad DURATION (-d) \"inf\""],
        ),
        (
            "mcsend",
            &["-d", "0x10", g, "5190"],
            &["bad DURATION (-d) \"0x10\""],
        ),
        (
            "mcsend",
            &["-d", "+1", g, "5190"],
            &["bad DURATION (-d) \"+1\""],
        ),
        (
            "mcping",
            &["-i", "5ms", "127.0.0.1"],
            &["bad INTERVAL (-i) \"5ms\": expected seconds", "from 10ms"],
        ),
        (
            "mcping",
            &["-W", "-1", "127.0.0.1"],
            &["bad WAIT (-W) \"-1\""],
        ),
        (
            "mcping",
            &["-s", "-w", "2h"],
            &["bad TIMEOUT (-w) \"2h\": expected milliseconds"],
        ),
    ];
    for (tool, args, msgs) in bad {
        let d = usage_error(tool, args, msgs);
        // A bad value, like a bad option, points to the help.
        let hint = format!("  ({tool} --help for more)");
        assert!(d.err.trim_end().ends_with(&hint), "{}", d.context());
    }
    // decimals, but no exponent (mclisten -w, 0.2's one time option, took a
    // whole number: "-w 1e3" was an error), nor a second point
    for (tool, opt, v) in [
        ("mcsend", "-d", "1e0"),
        ("mcsend", "-d", "1.5e0s"),
        ("mclisten", "-w", "1e3"),
        ("mclisten", "-I", "1E-1"),
        ("mcping", "-i", "1.2.3"),
        ("mcping", "-w", "1e+1s"),
    ] {
        let args: &[&str] = match tool {
            "mcsend" => &[opt, v, g, "5190", "x"],
            "mclisten" => &[opt, v, g, "5190"],
            _ if opt == "-w" => &["-s", opt, v],
            _ => &[opt, v, "127.0.0.1"],
        };
        usage_error(tool, args, &[&format!("({opt}) \"{v}\": expected "), UNITS]);
    }

    // -w: a bare number is milliseconds, and every unit reaches the timeout
    for (w, said) in [
        ("250", "250 ms"),
        ("250ms", "250 ms"),
        ("0.25s", "250 ms"),
        ("250000us", "250 ms"),
        ("0.004m", "240 ms"),
        (".25s", "250 ms"),
        ("250.", "250 ms"),
    ] {
        let d = run("mclisten", &["-w", w, g, "5190"]).expect(1);
        assert!(
            d.err.contains(&format!("no datagram for {said}\n")),
            "-w {w}\n{}",
            d.context()
        );
    }
    // -I and -d: bare seconds, or units (the intervals end where -I says)
    let d = Proc::start(
        cmd(
            "mclisten",
            &["-q", "-j", "-I", "100ms", "-d", "0.35", g, "5190"],
        ),
        b"",
    )
    .finish(Duration::from_secs(10))
    .expect(0);
    let v = json_lines(&d);
    let iv = of_type(&v, "interval_total");
    assert!(!iv.is_empty(), "{}", d.context());
    assert_eq!(
        (iv[0].num("start"), iv[0].num("end")),
        (0.0, 0.1),
        "{}",
        d.context()
    );
    // mcsend -d
    let s = Proc::start(
        cmd("mcsend", &["-q", "-r", "100", "-d", "200ms", g, "5190"]),
        b"",
    )
    .finish(Duration::from_secs(10))
    .expect(0);
    let (sent, _, _) = sent_report(&s.out);
    assert!((1..=40).contains(&sent), "-r 100 -d 200ms: {}", s.context());
    // mcping: -i, -W (seconds) and the server's -w (milliseconds)
    let d = Proc::start(cmd("mcping", &["-s", "-q", "-w", "0.3s"]), b"")
        .finish(Duration::from_secs(10))
        .expect(0);
    // Why it stopped, then what it did.
    assert!(
        d.err
            .contains("mcping: no request for 300 ms: done\nmcping: answered 0 requests"),
        "{}",
        d.context()
    );
    let d = Proc::start(
        cmd(
            "mcping",
            &["-q", "-c", "2", "-i", "20ms", "-W", "200ms", "127.0.0.1"],
        ),
        b"",
    )
    .finish(Duration::from_secs(10))
    .expect(1);
    assert!(d.out.contains("2 requests sent in 0."), "{}", d.context());
}

#[test]
fn empty_elements_of_a_group_list_are_errors() {
    require_netns();
    for (list, what) in [
        ("239.1.9.2,,239.1.9.3", "two commas in a row"),
        (",239.1.9.2", "a comma at the start"),
        ("239.1.9.2,", "a comma at the end"),
        (",", "a comma at the start"),
        ("127.0.0.1@239.1.9.2,,239.1.9.3", "two commas in a row"),
    ] {
        let msg = format!("bad GROUP \"{list}\": an empty element ({what})");
        usage_error(
            "mcsend",
            &[list, "5191", "x"],
            &[&msg, "(mcsend --help for more)"],
        );
        usage_error("mclisten", &[list, "5191"], &[&msg]);
    }
    // the lists without an empty element still work, SOURCE@ in any element
    let d = run("mcsend", &["239.1.9.2,239.1.9.3+2", "5191", "x"]).expect(0);
    assert_eq!(d.out_lines().len(), 3, "{}", d.context());
    let d = run(
        "mclisten",
        &["-w", "50", "239.1.9.2,127.0.0.1@239.1.9.3", "5191"],
    )
    .expect(1);
    assert!(
        d.err
            .contains("listening on 239.1.9.2:5191, 127.0.0.1@239.1.9.3:5191 (2 groups,"),
        "{}",
        d.context()
    );
}

#[test]
fn mcping_host_that_is_a_group_says_what_host_is() {
    require_netns();
    for args in [
        &["239.1.2.3"][..],
        &["232.43.211.234"][..],
        &["ff3e::4321:1234"][..],
        &["-g", "239.1.2.234", "239.1.2.3"][..],
    ] {
        let host = args[args.len() - 1];
        let d = usage_error(
            "mcping",
            args,
            &[
                &format!("mcping: HOST \"{host}\" is a multicast group"),
                "HOST must be a unicast address, the ssmping server to ping",
                "(-g GROUP takes the group)",
            ],
        );
        assert!(!d.err.contains("source \""), "{}", d.context());
    }
    usage_error(
        "mcping",
        &["0.0.0.0"],
        &["HOST \"0.0.0.0\" is the unspecified address: HOST must be a unicast address"],
    );
}

#[test]
fn mcping_g_that_is_not_a_group_is_a_usage_error_naming_g() {
    require_netns();
    for (args, what) in [
        (
            &["-g", "127.0.0.1", "127.0.0.1"][..],
            "not a multicast address (IPv4 224.0.0.0/4 or IPv6 ff00::/8)",
        ),
        (&["-g", "fe80::1", "::1"][..], "not a multicast address"),
        (
            &["-g", "nope", "127.0.0.1"][..],
            "not an IPv4 or IPv6 address",
        ),
        (
            &["-g", "239.1.2.234", "::1"][..],
            "not an IPv6 address like HOST \"::1\"",
        ),
        (
            &["-c", "1", "127.0.0.1", "-g", "ff3e::4321:1234"][..],
            "not an IPv4 address like HOST \"127.0.0.1\"",
        ),
    ] {
        let group = args[args.iter().position(|a| *a == "-g").unwrap() + 1];
        usage_error(
            "mcping",
            args,
            &[
                &format!("mcping: bad GROUP (-g) \"{group}\": {what}"),
                "  (mcping --help for more)",
            ],
        );
    }
}
