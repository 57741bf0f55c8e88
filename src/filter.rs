//! Packet filters: a callback, or the seed's regular expression with
//! `${ip}`, `${port}` and `${mtu}` substituted, matched at the packet's start.

use regex::bytes::{Regex, RegexBuilder};

use crate::error::{Error, Kind, Result};
use crate::packet::Packet;

/// A filter callback: true accepts the packet.
pub type FilterFn = Box<dyn FnMut(&Packet<'_>) -> bool>;

/// What decides whether a packet reaches the handler.
pub enum Filter {
    /// A callback.
    Func(FilterFn),
    /// A compiled, start-anchored pattern.
    Regex(Regex),
}

impl Filter {
    /// True if `packet` passes.
    pub fn accepts(&mut self, packet: &Packet<'_>) -> bool {
        match self {
            Filter::Func(f) => f(packet),
            Filter::Regex(re) => re.is_match(packet.data()),
        }
    }
}

/// Substitutes `${ip}`, `${port}`, `${mtu}` (as escaped literals) and
/// compiles the pattern anchored at the start, on bytes.
pub fn compile(pattern: &str, ip: &str, port: u16, mtu: usize) -> Result<Regex> {
    let expanded = pattern
        .replace("${ip}", &regex::escape(ip))
        .replace("${port}", &port.to_string())
        .replace("${mtu}", &mtu.to_string());
    let fail = |e: regex::Error| {
        Error::new(
            Kind::Regex,
            format!("filter pattern \"{pattern}\": {}", one_line(&e.to_string())),
        )
    };
    // It must be a pattern on its own: "a)|(b" would otherwise close the
    // anchoring group and match "b" anywhere. (Size limit 0: only parsed.)
    let own = RegexBuilder::new(&expanded)
        .nest_limit(NEST_LIMIT)
        .size_limit(0)
        .build();
    if let Err(e @ regex::Error::Syntax(_)) = own {
        return Err(fail(e));
    }
    // The anchoring group nests it deeper: that is not the user's nesting.
    let anchored = |p: String| RegexBuilder::new(&p).nest_limit(NEST_LIMIT + 2).build();
    match anchored(format!("^(?:{expanded})")) {
        // Only a trailing (?x) comment eats the ")": a newline ends it.
        Err(regex::Error::Syntax(_)) => anchored(format!("^(?:{expanded}\n)")),
        r => r,
    }
    .map_err(fail)
}

/// How deeply a pattern may nest groups, classes and repetitions: the
/// regex crate's default.
const NEST_LIMIT: u32 = 250;

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_values_are_literals() {
        let re = compile("to ${ip}:${port} mtu ${mtu}", "224.0.42.42", 4242, 1500).unwrap();
        assert!(re.is_match(b"to 224.0.42.42:4242 mtu 1500 and more"));
        assert!(!re.is_match(b"to 224x0.42.42:4242 mtu 1500"));
        assert!(!re.is_match(b"xto 224.0.42.42:4242 mtu 1500"));
    }

    #[test]
    fn anchored_at_start_on_bytes() {
        let re = compile("(?-u)\\xff[a-z]+", "224.0.0.1", 1, 1).unwrap();
        assert!(re.is_match(b"\xffabc\x00\xfe"));
        assert!(!re.is_match(b" \xffabc"));
        let alt = compile("a|b", "224.0.0.1", 1, 1).unwrap();
        assert!(!alt.is_match(b"xb"));
    }

    #[test]
    fn bad_pattern() {
        let e = compile("(unclosed", "224.0.0.1", 1, 1).unwrap_err();
        assert_eq!(e.kind(), Kind::Regex);
        assert!(e.message().contains("\"(unclosed\""), "{}", e.message());
        assert!(e.message().contains("unclosed group"), "{}", e.message());
        assert!(!e.message().contains("^(?:"), "{}", e.message());
    }
}
