//! filter::compile: the template values (${ip}, ${port}, ${mtu}) are
//! literals, with generated values; the regressions found by fuzz/; huge
//! patterns end in a size or nesting limit of the regex crate, not in
//! unbounded time or memory.
//!
//! The rest (no panic on any bytes, the filter against the regex crate) is
//! coverage-guided fuzzing: fuzz/ (`make fuzz`), whose corpus and crashes
//! tests/fuzz_corpus.rs replays.
//!
//! The values come from a small deterministic generator (xorshift64*,
//! tests/support/fuzz.rs); `make test` runs MC_FUZZ_CASES / 20 (default
//! 1,000) cases; a long run:
//!
//!     MC_FUZZ_CASES=2000000 cargo test --release --test fuzz_filter
//!
//! A failure names its case and seed; MC_FUZZ_SEED=N runs another sequence.

mod support;

use std::io::Write;
use std::time::Instant;

use multicast::filter;
use multicast::fuzzing::check_filter;
use multicast::Kind;
use support::fuzz::{cases, run, Rng};

/// The listener values a pattern is expanded with: IPv4 and IPv6 groups
/// (dots and colons to escape).
fn random_values(r: &mut Rng) -> (String, u16, usize) {
    let ip = match r.below(3) {
        0 => "224.0.42.42".to_string(),
        1 => format!("239.{}.{}.{}", r.u8(), r.u8(), r.u8()),
        _ => format!("ff{:02x}::{:x}", r.u8(), r.next() as u16),
    };
    (ip, 1 + r.below(65535) as u16, 1 + r.below(65535))
}

#[test]
fn filter_values_are_literals() {
    // The values are literals: the ip matches itself, a dot or colon
    // changed does not, nor anything before it.
    run("filter::compile values", cases() / 20, |r| {
        let (ip, port, mtu) = random_values(r);
        let re = filter::compile("${ip}:${port}/${mtu}", &ip, port, mtu).unwrap();
        let text = format!("{ip}:{port}/{mtu} rest");
        assert!(re.is_match(text.as_bytes()), "{text}");
        let wrong = text.replacen(['.', ':'], "x", 1);
        assert!(!re.is_match(wrong.as_bytes()), "{wrong}");
        assert!(!re.is_match(format!("x{text}").as_bytes()), "x{text}");
    });
}

#[test]
fn filter_regressions() {
    // A pattern that closes the wrapping group: not a pattern (it used to
    // compile, and then matched "b" anywhere in the packet).
    check_filter("a)|(b", "224.0.0.1", 1, 1, &[b"xb", b"a", b"b"]);
    check_filter("a)(", "224.0.0.1", 1, 1, &[b"a"]);
    check_filter(")", "224.0.0.1", 1, 1, &[b")"]);
    let e = filter::compile("a)|(b", "224.0.0.1", 1, 1).unwrap_err();
    assert_eq!(e.kind(), Kind::Regex);
    // A pattern ending in a (?x) comment is a pattern (the comment used to
    // swallow the wrapping group's parenthesis).
    check_filter("(?x) abc # the tag", "224.0.0.1", 1, 1, &[b"abc", b"xabc"]);
    let re = filter::compile("(?x) a b c # tag", "224.0.0.1", 1, 1).unwrap();
    assert!(re.is_match(b"abcd") && !re.is_match(b" abc"));
    // A pattern nested as deep as the regex crate allows is a pattern (the
    // anchoring group used to push it past the limit; found by fuzz/).
    let deep = format!("{}a{}", "(?:".repeat(250), ")".repeat(250));
    check_filter(&deep, "224.0.0.1", 1, 1, &[b"a", b"b"]);
}

/// Huge patterns end in a size or nesting limit of the regex crate (an
/// MC_EREGEX naming it), not in unbounded time or memory: the time of each
/// is printed.
#[test]
fn filter_huge_patterns() {
    let ip = "ff02::1:ff00:42";
    let huge: Vec<(String, Option<&str>)> = vec![
        ("a".repeat(300_000), None),
        ("(?:a{1000}){1000}".into(), Some("size limit")),
        ("\\w{100}{100}".into(), Some("size limit")),
        ("${ip}".repeat(20_000), None),
        ("(".repeat(100_000), Some("unclosed group")),
        (
            format!("{}a{}", "(?:".repeat(1000), ")".repeat(1000)),
            Some("nest"),
        ),
        ("[a-z]".repeat(20_000), None),
    ];
    for (p, reason) in huge {
        let t = Instant::now();
        let got = filter::compile(&p, ip, 4242, 1500);
        let _ = writeln!(
            std::io::stderr(),
            "filter::compile of a {} byte pattern ({}...): {} in {:.2} s",
            p.len(),
            short(&p[..12]),
            if got.is_ok() { "Ok" } else { "Err" },
            t.elapsed().as_secs_f64()
        );
        if let Some(reason) = reason {
            let e = got.expect_err(&short(&p));
            assert_eq!(e.kind(), Kind::Regex);
            assert!(e.message().contains(reason), "{}", short(e.message()));
        } else if let Err(e) = got {
            // Past the compiled-size limit is the only way to fail.
            assert_eq!(e.kind(), Kind::Regex);
            assert!(e.message().contains("size limit"), "{}", short(e.message()));
        }
    }
}

fn short(s: &str) -> String {
    if s.chars().count() <= 200 {
        return s.into();
    }
    let head: String = s.chars().take(100).collect();
    let tail: String = s
        .chars()
        .rev()
        .take(100)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}...{tail}")
}
