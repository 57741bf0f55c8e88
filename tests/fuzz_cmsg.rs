//! Property tests of cmsg::parse, the control messages of a received
//! datagram, with generated *valid* inputs whose decoded values are known;
//! plus its regressions.
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
//!     MC_FUZZ_CASES=2000000 cargo test --release --test fuzz_cmsg
//!
//! A failure names its case and seed; MC_FUZZ_SEED=N runs another sequence.

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use multicast::cmsg::{self, Info};
use support::fuzz::{cases, no_panic, run, Rng};

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
