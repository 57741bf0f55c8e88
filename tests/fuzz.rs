//! Property tests of the parsers of outside input with generated *valid*
//! inputs, whose decoded values are known: control messages
//! (cmsg::parse), rtnetlink events and route replies
//! (netlink::parse_events, parse_route_reply), and the filter's template
//! values; plus the regressions and huge inputs past the fuzzer's sizes.
//!
//! The rest (no panic on any bytes, round trips, the C string setters, the
//! filter against the regex crate) is coverage-guided fuzzing: fuzz/
//! (`make fuzz`), whose corpus and crashes tests/fuzz_corpus.rs replays.
//!
//! Inputs come from a small deterministic generator (xorshift64*): valid
//! inputs built field by field (then the decoded values must equal what was
//! put in), then truncated or with a length flipped, where the answer is
//! still known.
//!
//! `make test` runs MC_FUZZ_CASES (default 20,000) cases per parser; a long
//! run:
//!
//!     MC_FUZZ_CASES=2000000 cargo test --release --test fuzz
//!
//! A failure names its case and seed; MC_FUZZ_SEED=N runs another sequence.

use std::fmt::Debug;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use multicast::addr::{parse_group, parse_interface, parse_source};
use multicast::cmsg::{self, Info};
use multicast::filter;
use multicast::fuzzing::{check_filter, nl_attr, nl_message};
use multicast::netlink::{self, Event};
use multicast::Kind;

// ---------------------------------------------------------------------------
// The generator and the driver

/// xorshift64* (Vigna): small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that neighbouring seeds differ at once.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability 1/n.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn u8(&mut self) -> u8 {
        self.next() as u8
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }

    /// Mostly boundary values, sometimes anything.
    fn interesting_u32(&mut self) -> u32 {
        const V: [u32; 18] = [
            0,
            1,
            2,
            3,
            4,
            7,
            8,
            15,
            16,
            17,
            255,
            256,
            0xffff,
            0x1_0000,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_fffe,
            0xffff_ffff,
        ];
        if self.one_in(3) {
            self.next() as u32
        } else {
            *self.pick(&V)
        }
    }
}

/// Cases per parser: MC_FUZZ_CASES, else 20,000.
fn cases() -> u64 {
    std::env::var("MC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

fn seed() -> u64 {
    std::env::var("MC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x006d_6361_7374)
}

/// Runs `case` `n` times, each with its own generator (so that a failing
/// case can be named), and prints the figures past the harness's capture.
fn run(name: &str, n: u64, mut case: impl FnMut(&mut Rng)) {
    let s = seed();
    let t = Instant::now();
    for i in 0..n {
        let mut rng = Rng::new(s.wrapping_mul(1_000_003).wrapping_add(i));
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| case(&mut rng))) {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("fuzz {name}: case {i} of seed {s} (MC_FUZZ_SEED={s}) failed: {what}");
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "fuzz {name}: {n} cases in {:.2} s",
        t.elapsed().as_secs_f64()
    );
}

/// Calls `f` on `input`: a panic inside it fails with the input shown.
fn no_panic<I: Debug + ?Sized, T>(what: &str, input: &I, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let shown = format!("{input:?}");
            let shown: String = shown.chars().take(2000).collect();
            panic!("{what} panicked ({msg}) on input {shown}")
        }
    }
}

// ---------------------------------------------------------------------------
// cmsg::parse

const HDR: usize = 16; // struct cmsghdr on 64-bit Linux
const SOL_SOCKET: i32 = 1;
const SO_RXQ_OVFL: i32 = 40;
const SCM_TIMESTAMPNS: i32 = 35;
const IPPROTO_IP: i32 = 0;
const IP_TTL: i32 = 2;
const IP_PKTINFO: i32 = 8;
const IPPROTO_IPV6: i32 = 41;
const IPV6_PKTINFO: i32 = 50;
const IPV6_HOPLIMIT: i32 = 52;
const SOL_UDP: i32 = 17;
const UDP_GRO: i32 = 104;

fn align8(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// One control message as the kernel lays it out (padded to 8).
fn cmsg_bytes(level: i32, kind: i32, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((HDR + data.len()) as u64).to_ne_bytes());
    v.extend_from_slice(&level.to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(data);
    v.resize(align8(v.len()), 0);
    v
}

/// A control message and what it must do to the parsed Info.
struct Cmsg {
    level: i32,
    kind: i32,
    data: Vec<u8>,
}

/// The meaning of one message, written from the kernel's structs: a known
/// kind with enough bytes sets its fields, anything else is skipped.
fn apply(m: &Cmsg, i: &mut Info) {
    let d = &m.data;
    let u32_at = |at: usize| u32::from_ne_bytes(d[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_ne_bytes(d[at..at + 8].try_into().unwrap());
    match (m.level, m.kind) {
        (IPPROTO_IP, IP_PKTINFO) if d.len() >= 12 => {
            i.ifindex = u32_at(0);
            i.dst = Some(IpAddr::V4(Ipv4Addr::new(d[8], d[9], d[10], d[11])));
        }
        (IPPROTO_IPV6, IPV6_PKTINFO) if d.len() >= 20 => {
            let a: [u8; 16] = d[..16].try_into().unwrap();
            i.dst = Some(IpAddr::V6(Ipv6Addr::from(a)));
            i.ifindex = u32_at(16);
        }
        (SOL_SOCKET, SO_RXQ_OVFL) if d.len() >= 4 => i.drops = Some(u32_at(0)),
        (SOL_SOCKET, SCM_TIMESTAMPNS) if d.len() >= 16 => {
            i.timestamp_ns = u64_at(0)
                .wrapping_mul(1_000_000_000)
                .wrapping_add(u64_at(8))
        }
        (IPPROTO_IP, IP_TTL) | (IPPROTO_IPV6, IPV6_HOPLIMIT) if d.len() >= 4 => {
            i.ttl = u32_at(0) as i32
        }
        (SOL_UDP, UDP_GRO) if d.len() >= 2 => {
            let seg = if d.len() >= 4 {
                u32_at(0)
            } else {
                u16::from_ne_bytes([d[0], d[1]]) as u32
            };
            if (1..=65535).contains(&seg) {
                i.gro_segment = Some(seg as u16);
            }
        }
        _ => {}
    }
}

/// A random message: mostly the kinds the library asks for, with the
/// kernel's sizes, sometimes short or long data, sometimes unknown kinds.
fn random_cmsg(r: &mut Rng) -> Cmsg {
    const KINDS: [(i32, i32, usize); 8] = [
        (IPPROTO_IP, IP_PKTINFO, 12),
        (IPPROTO_IPV6, IPV6_PKTINFO, 20),
        (SOL_SOCKET, SO_RXQ_OVFL, 4),
        (SOL_SOCKET, SCM_TIMESTAMPNS, 16),
        (IPPROTO_IP, IP_TTL, 4),
        (IPPROTO_IPV6, IPV6_HOPLIMIT, 4),
        (SOL_UDP, UDP_GRO, 4),
        (SOL_UDP, UDP_GRO, 2),
    ];
    if r.one_in(8) {
        // Unknown: another level, or another type on a known level.
        let level = *r.pick(&[SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, SOL_UDP, 6, -1]);
        let mut kind = r.interesting_u32() as i32;
        if KINDS.iter().any(|k| (k.0, k.1) == (level, kind)) {
            kind = 1000;
        }
        let n = r.below(40);
        return Cmsg {
            level,
            kind,
            data: r.bytes(n),
        };
    }
    let (level, kind, size) = *r.pick(&KINDS);
    let size = match r.below(10) {
        0 => r.below(size),      // too short: skipped
        1 => size + r.below(12), // longer: the prefix counts
        _ => size,
    };
    let mut data = r.bytes(size);
    // Boundary values in the first word (TTL, GRO size, ifindex, drops).
    if size >= 4 && r.one_in(2) {
        data[..4].copy_from_slice(&r.interesting_u32().to_ne_bytes());
    }
    Cmsg { level, kind, data }
}

/// The bytes of `msgs` and each message's (start, unpadded length).
fn cmsg_buffer(msgs: &[Cmsg]) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    for m in msgs {
        spans.push((buf.len(), HDR + m.data.len()));
        buf.extend(cmsg_bytes(m.level, m.kind, &m.data));
    }
    (buf, spans)
}

fn expect(msgs: &[Cmsg]) -> Info {
    let mut i = Info::default();
    msgs.iter().for_each(|m| apply(m, &mut i));
    i
}

fn parse_cmsg(buf: &[u8]) -> Info {
    no_panic("cmsg::parse", buf, || cmsg::parse(buf))
}

#[test]
fn fuzz_cmsg() {
    run("cmsg::parse", cases(), |r| {
        let msgs: Vec<Cmsg> = (0..r.below(8)).map(|_| random_cmsg(r)).collect();
        let (buf, spans) = cmsg_buffer(&msgs);
        // Built: decoded fields equal what was put in.
        assert_eq!(parse_cmsg(&buf), expect(&msgs), "built {buf:?}");
        // Trailing bytes shorter than a header change nothing.
        let mut tail = buf.clone();
        let n = r.below(HDR);
        tail.extend(r.bytes(n));
        assert_eq!(parse_cmsg(&tail), expect(&msgs), "tail {tail:?}");
        // Truncated: the messages that fit whole still count, the rest not.
        let cut = r.below(buf.len() + 1);
        let whole = spans.iter().filter(|(s, l)| s + l <= cut).count();
        assert_eq!(
            parse_cmsg(&buf[..cut]),
            expect(&msgs[..whole]),
            "cut at {cut}: {buf:?}"
        );
        if msgs.is_empty() {
            return;
        }
        // A length flipped: below a header or past the end ends the walk
        // there; the same length changes nothing.
        let j = r.below(msgs.len());
        let (start, len) = spans[j];
        let mut bad = buf.clone();
        let v = match r.below(4) {
            0 => r.interesting_u32() as u64,
            1 => r.next(),
            2 => (len as u64)
                .wrapping_add(r.below(17) as u64)
                .wrapping_sub(8),
            _ => (bad.len() - start) as u64 + 1 + r.below(64) as u64,
        };
        bad[start..start + 8].copy_from_slice(&v.to_ne_bytes());
        let got = parse_cmsg(&bad);
        if (v as usize) < HDR || v as usize > bad.len() - start {
            assert_eq!(got, expect(&msgs[..j]), "len {v} at {start}: {bad:?}");
        } else if v as usize == len {
            assert_eq!(got, expect(&msgs), "same len: {bad:?}");
        }
    });
}

#[test]
fn cmsg_regressions() {
    // A short SO_RXQ_OVFL after a good one is skipped like every other
    // malformed message (it used to erase the drop count).
    let good = cmsg_bytes(SOL_SOCKET, SO_RXQ_OVFL, &9u32.to_ne_bytes());
    let short = cmsg_bytes(SOL_SOCKET, SO_RXQ_OVFL, &[1, 2]);
    assert_eq!(cmsg::parse(&[good, short].concat()).drops, Some(9));
    // The largest length a u64 can say ends the walk (no overflow).
    let mut m = cmsg_bytes(IPPROTO_IP, IP_TTL, &7i32.to_ne_bytes());
    m[..8].copy_from_slice(&u64::MAX.to_ne_bytes());
    assert_eq!(cmsg::parse(&m), Info::default());
}

// ---------------------------------------------------------------------------
// netlink::parse_events and parse_route_reply

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

// ---------------------------------------------------------------------------
// addr::parse_group, parse_source, parse_interface: the strings of any
// size the fuzzer does not make (it stops at 4 KiB)

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

// ---------------------------------------------------------------------------
// filter::compile

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
