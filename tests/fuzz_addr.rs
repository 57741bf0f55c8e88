//! addr::parse_group, parse_source and parse_interface on the strings of
//! any size that the fuzzer does not make (it stops at 4 KiB): an Address
//! error that quotes the input, or the group the padding surrounds.
//!
//! The rest (no panic on any bytes, round trips, the C string setters) is
//! coverage-guided fuzzing: fuzz/ (`make fuzz`), whose corpus and crashes
//! tests/fuzz_corpus.rs replays.

use multicast::addr::{parse_group, parse_interface, parse_source};
use multicast::Kind;

/// Err of the Address kind whose message quotes the input.
fn check_addr_err(what: &str, s: &str, e: &multicast::Error) {
    assert_eq!(e.kind(), Kind::Address, "{what}({s:?}): {e}");
    assert!(
        e.message().contains(&format!("\"{s}\"")),
        "{what}({s:?}): the message does not name the input: {}",
        e.message()
    );
}

#[test]
fn addr_regressions() {
    for s in [
        "224.0.0.1%lo",
        "[ff02::1]",
        "ff02::1%1",
        "224.0.0.1:5000",
        "",
        " ",
    ] {
        check_addr_err("parse_group", s, &parse_group(s).unwrap_err());
    }
    assert_eq!(
        parse_group(" 239.1.2.3\t").unwrap().to_string(),
        "239.1.2.3"
    );
    let long = "9".repeat(100_000);
    check_addr_err(
        "parse_interface",
        &long,
        &parse_interface(&long).unwrap_err(),
    );
    let pad = " ".repeat(100_000);
    let padded = format!("{pad}ff02::1{pad}");
    assert_eq!(parse_group(&padded).unwrap().to_string(), "ff02::1");
    let fields = "1.".repeat(50_000);
    check_addr_err("parse_source", &fields, &parse_source(&fields).unwrap_err());
    let zeros = format!("ff02{}", ":0".repeat(50_000));
    check_addr_err("parse_group", &zeros, &parse_group(&zeros).unwrap_err());
}
