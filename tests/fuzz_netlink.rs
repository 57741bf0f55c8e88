//! Property tests of the rtnetlink parsers, netlink::parse_events (link,
//! address and route events) and parse_route_reply, with generated *valid*
//! inputs whose decoded values are known; plus their regressions.
//!
//! The rest (no panic on any bytes, round trips) is coverage-guided
//! fuzzing: fuzz/ (`make fuzz`), whose corpus and crashes
//! tests/fuzz_corpus.rs replays.
//!
//! Inputs come from a small deterministic generator (xorshift64*,
//! tests/support/fuzz.rs): valid inputs built field by field (then the
//! decoded values must equal what was put in), then truncated or with a
//! length flipped, where the answer is still known. `make test` runs
//! MC_FUZZ_CASES (default 20,000) cases per parser; a long run:
//!
//!     MC_FUZZ_CASES=2000000 cargo test --release --test fuzz_netlink
//!
//! A failure names its case and seed; MC_FUZZ_SEED=N runs another sequence.

mod support;

use multicast::fuzzing::{nl_attr, nl_message};
use multicast::netlink::{self, Event};
use support::fuzz::{cases, no_panic, run, Rng};

const NLMSG_HDR: usize = 16;
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_OVERRUN: u16 = 4;
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const RTM_NEWROUTE: u16 = 24;
const RTM_DELROUTE: u16 = 25;
const IFLA_IFNAME: u16 = 3;
const RTA_OIF: u16 = 4;
const IFF_UP: u32 = 1;
const IFF_MULTICAST: u32 = 0x1000;

fn align4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// A name as the kernel might send it, or not: ASCII, bytes that are not
/// UTF-8, with or without the NUL, with bytes after an inner NUL.
fn random_name(r: &mut Rng) -> Vec<u8> {
    let n = r.below(20);
    let mut v: Vec<u8> = match r.below(3) {
        0 => r.bytes(n),
        _ => (0..n).map(|_| b'a' + r.below(26) as u8).collect(),
    };
    if r.below(4) != 0 {
        v.push(0);
    }
    if r.one_in(6) {
        let extra = r.below(6);
        v.extend(r.bytes(extra));
    }
    v
}

/// The name the watcher must report: the bytes up to the first NUL.
fn name_of(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end]).into_owned()
}

/// Random attributes for a link message, with the name the first
/// IFLA_IFNAME among them (NLA_F_NESTED / NLA_F_NET_BYTEORDER ignored) gives.
fn link_attrs(r: &mut Rng) -> (Vec<u8>, Option<String>) {
    let mut b = Vec::new();
    let mut name = None;
    for _ in 0..r.below(5) {
        let flags = *r.pick(&[0u16, 0, 0x8000, 0x4000]);
        if r.one_in(2) {
            let d = random_name(r);
            if name.is_none() {
                name = Some(name_of(&d));
            }
            b.extend(nl_attr(IFLA_IFNAME | flags, &d));
        } else {
            let kind = *r.pick(&[4u16, 1, 2, 13, 16, 0x3fff, 0]);
            let n = r.below(12);
            b.extend(nl_attr(kind | flags, &r.bytes(n)));
        }
    }
    (b, name)
}

/// A random rtnetlink event message and the event it must give (None:
/// skipped).
fn random_event(r: &mut Rng) -> (Vec<u8>, Option<Event>) {
    let seq = r.next() as u32;
    match r.below(9) {
        0..=2 => {
            let kind = if r.one_in(3) {
                RTM_DELLINK
            } else {
                RTM_NEWLINK
            };
            let index = r.interesting_u32();
            let mut flags = r.next() as u32;
            if r.one_in(2) {
                flags = *r.pick(&[0, IFF_UP, IFF_MULTICAST, IFF_UP | IFF_MULTICAST]);
            }
            let mut body = vec![r.u8(), 0];
            body.extend_from_slice(&(r.next() as u16).to_ne_bytes());
            body.extend_from_slice(&index.to_ne_bytes());
            body.extend_from_slice(&flags.to_ne_bytes());
            body.extend_from_slice(&(r.next() as u32).to_ne_bytes());
            let (attrs, name) = link_attrs(r);
            body.extend(attrs);
            let ev = if kind == RTM_DELLINK {
                Event::LinkGone { index, name }
            } else {
                Event::Link {
                    index,
                    name,
                    up: flags & IFF_UP != 0,
                    multicast: flags & IFF_MULTICAST != 0,
                }
            };
            (nl_message(kind, seq, &body), Some(ev))
        }
        3 => {
            let kind = *r.pick(&[RTM_NEWADDR, RTM_DELADDR]);
            let index = r.interesting_u32();
            let mut body = vec![*r.pick(&[2u8, 10]), r.u8(), r.u8(), r.u8()];
            body.extend_from_slice(&index.to_ne_bytes());
            let n = r.below(3);
            for _ in 0..n {
                body.extend(nl_attr(r.below(10) as u16, &r.bytes(4)));
            }
            (nl_message(kind, seq, &body), Some(Event::Address { index }))
        }
        4 => {
            let kind = *r.pick(&[RTM_NEWROUTE, RTM_DELROUTE]);
            let n = r.below(30);
            (nl_message(kind, seq, &r.bytes(n)), Some(Event::Route))
        }
        5 => (nl_message(NLMSG_OVERRUN, seq, &[]), Some(Event::Lost)),
        6 => {
            // A link or address message too short for its struct: skipped.
            let kind = *r.pick(&[RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR]);
            let need = if kind >= RTM_NEWADDR { 8 } else { 16 };
            let n = r.below(need);
            (nl_message(kind, seq, &r.bytes(n)), None)
        }
        _ => {
            // Types the watcher ignores.
            let kind = *r.pick(&[NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, 18, 26, 0, 0xffff]);
            let n = r.below(24);
            (nl_message(kind, seq, &r.bytes(n)), None)
        }
    }
}

fn events(buf: &[u8]) -> Vec<Event> {
    no_panic("netlink::parse_events", buf, || netlink::parse_events(buf))
}

#[test]
fn fuzz_netlink_events() {
    run("netlink::parse_events", cases(), |r| {
        let mut buf = Vec::new();
        let mut spans = Vec::new();
        let mut want = Vec::new();
        for _ in 0..r.below(6) {
            let (m, ev) = random_event(r);
            let len = u32::from_ne_bytes(m[..4].try_into().unwrap()) as usize;
            spans.push((buf.len(), len, ev.clone()));
            buf.extend(m);
            want.extend(ev);
        }
        assert_eq!(events(&buf), want, "built {buf:?}");
        // Truncated: the messages that fit whole still count.
        let cut = r.below(buf.len() + 1);
        let whole: Vec<Event> = spans
            .iter()
            .filter(|(s, l, _)| s + l <= cut)
            .filter_map(|(_, _, e)| e.clone())
            .collect();
        assert_eq!(events(&buf[..cut]), whole, "cut at {cut}: {buf:?}");
        if spans.is_empty() {
            return;
        }
        // A message length flipped: below a header or past the end ends
        // the walk there.
        let j = r.below(spans.len());
        let start = spans[j].0;
        let mut bad = buf.clone();
        let v = match r.below(3) {
            0 => r.interesting_u32(),
            1 => r.next() as u32,
            _ => (bad.len() - start) as u32 + 1 + r.below(64) as u32,
        };
        bad[start..start + 4].copy_from_slice(&v.to_ne_bytes());
        let got = events(&bad);
        if (v as usize) < NLMSG_HDR || v as usize > bad.len() - start {
            let before: Vec<Event> = spans[..j].iter().filter_map(|s| s.2.clone()).collect();
            assert_eq!(got, before, "len {v} at {start}: {bad:?}");
        }
        // An attribute length flipped inside a link message: the name may
        // go, the index and flags stay.
        if let (s, _, Some(ev @ (Event::Link { .. } | Event::LinkGone { .. }))) = &spans[j] {
            let mut b = buf.clone();
            let at = s + NLMSG_HDR + 16;
            if at + 2 <= s + spans[j].1 {
                b[at..at + 2].copy_from_slice(&(r.interesting_u32() as u16).to_ne_bytes());
                let got = events(&b);
                let same = |e: &Event| match (e, ev) {
                    (
                        Event::Link {
                            index: a,
                            up: u,
                            multicast: m,
                            ..
                        },
                        Event::Link {
                            index: b,
                            up: v,
                            multicast: n,
                            ..
                        },
                    ) => (a, u, m) == (b, v, n),
                    (Event::LinkGone { index: a, .. }, Event::LinkGone { index: b, .. }) => a == b,
                    _ => false,
                };
                let k = spans[..j].iter().filter(|s| s.2.is_some()).count();
                assert!(
                    got.get(k).is_some_and(same),
                    "attr len flipped: {got:?} vs {ev:?}"
                );
            }
        }
    });
}

/// The answer parse_route_reply must give for `msgs` (type, seq, body) and
/// `seq`, from the netlink protocol: the first message of `seq` that is a
/// route (its RTA_OIF) or an error (-errno; 0 is an acknowledgement) decides.
fn route_answer(msgs: &[(u16, u32, Vec<u8>)], seq: u32) -> Result<Option<u32>, i32> {
    for (kind, s, body) in msgs {
        if *s != seq {
            continue;
        }
        match *kind {
            NLMSG_ERROR => {
                let code = match body.get(..4) {
                    Some(b) => i32::from_ne_bytes(b.try_into().unwrap()),
                    None => return Err(libc::EIO),
                };
                match code {
                    0 => {}
                    // A negative errno; anything else is malformed.
                    c if c < 0 && c != i32::MIN => return Err(-c),
                    _ => return Err(libc::EIO),
                }
            }
            RTM_NEWROUTE if body.len() >= 12 => {
                let mut at = 12;
                while at + 4 <= body.len() {
                    let len = u16::from_ne_bytes([body[at], body[at + 1]]) as usize;
                    let k = u16::from_ne_bytes([body[at + 2], body[at + 3]]) & 0x3fff;
                    if len < 4 || at + len > body.len() {
                        break;
                    }
                    if k == RTA_OIF {
                        return Ok(body
                            .get(at + 4..at + 8)
                            .filter(|_| len >= 8)
                            .map(|b| u32::from_ne_bytes(b.try_into().unwrap())));
                    }
                    at += align4(len);
                }
                return Ok(None);
            }
            _ => {}
        }
    }
    Ok(None)
}

fn random_route_msg(r: &mut Rng, seq: u32) -> (u16, u32, Vec<u8>) {
    let s = if r.one_in(2) { seq } else { r.next() as u32 };
    match r.below(6) {
        0 | 1 => {
            let mut body = vec![2u8, 32, 0, 0, 254, 0, 0, 5, 0, 0, 0, 0];
            for _ in 0..r.below(4) {
                let kind = *r.pick(&[RTA_OIF, 1, 5, 15, RTA_OIF | 0x8000]);
                let n = *r.pick(&[4usize, 4, 4, 0, 2, 8]);
                let mut d = r.bytes(n);
                if n >= 4 {
                    d[..4].copy_from_slice(&r.interesting_u32().to_ne_bytes());
                }
                body.extend(nl_attr(kind, &d));
            }
            if r.one_in(6) {
                body.truncate(r.below(12));
            }
            (RTM_NEWROUTE, s, body)
        }
        2 | 3 => {
            let code = match r.below(3) {
                0 => 0,
                1 => -(1 + r.below(133) as i32),
                _ => r.interesting_u32() as i32,
            };
            let mut body = code.to_ne_bytes().to_vec();
            body.extend(nl_message(26, s, &[0; 12])[..16].iter());
            if r.one_in(8) {
                body.truncate(r.below(4));
            }
            (NLMSG_ERROR, s, body)
        }
        _ => {
            let kind = *r.pick(&[NLMSG_DONE, NLMSG_NOOP, RTM_NEWLINK, 0]);
            let n = r.below(20);
            (kind, s, r.bytes(n))
        }
    }
}

fn route_reply(buf: &[u8], seq: u32) -> Result<Option<u32>, i32> {
    no_panic("netlink::parse_route_reply", buf, || {
        netlink::parse_route_reply(buf, seq)
    })
}

#[test]
fn fuzz_netlink_route_reply() {
    run("netlink::parse_route_reply", cases(), |r| {
        let seq = r.interesting_u32();
        let msgs: Vec<_> = (0..r.below(5)).map(|_| random_route_msg(r, seq)).collect();
        let buf: Vec<u8> = msgs
            .iter()
            .flat_map(|(k, s, b)| nl_message(*k, *s, b))
            .collect();
        let got = route_reply(&buf, seq);
        assert_eq!(got, route_answer(&msgs, seq), "built {buf:?}");
        // Truncated: the messages that fit whole (padding aside) decide.
        let cut = r.below(buf.len() + 1);
        let mut at = 0;
        let whole: Vec<_> = msgs
            .iter()
            .take_while(|(k, s, b)| {
                let fits = at + 16 + b.len() <= cut;
                at += nl_message(*k, *s, b).len();
                fits
            })
            .cloned()
            .collect();
        assert_eq!(
            route_reply(&buf[..cut], seq),
            route_answer(&whole, seq),
            "cut at {cut}: {buf:?}"
        );
    });
}

#[test]
fn netlink_regressions() {
    // NLMSG_ERROR with error = i32::MIN: negating it overflowed (a panic
    // in debug builds); malformed codes are EIO, and so is a positive one.
    for code in [i32::MIN, 5] {
        let m = nl_message(NLMSG_ERROR, 3, &code.to_ne_bytes());
        assert_eq!(netlink::parse_route_reply(&m, 3), Err(libc::EIO), "{code}");
    }
    let m = nl_message(NLMSG_ERROR, 3, &(-libc::ENETUNREACH).to_ne_bytes());
    assert_eq!(netlink::parse_route_reply(&m, 3), Err(libc::ENETUNREACH));
}
