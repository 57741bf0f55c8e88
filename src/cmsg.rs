//! Control messages of a received datagram, parsed from the raw bytes the
//! kernel wrote (no pointers, no `unsafe`: any byte string is parsed
//! without a panic, which the fuzz tests check).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `SOL_SOCKET` control message types and their levels' numbers (Linux).
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

/// What the control messages of one datagram said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// The destination address (IP_PKTINFO / IPV6_PKTINFO).
    pub dst: Option<IpAddr>,
    /// The arrival interface (from pktinfo); 0 if unknown.
    pub ifindex: u32,
    /// SO_RXQ_OVFL: the socket's cumulative kernel drop count.
    pub drops: Option<u32>,
    /// SO_TIMESTAMPNS: the receive time, ns since the epoch; 0 if absent.
    pub timestamp_ns: u64,
    /// IP_TTL / IPV6_HOPLIMIT: the received TTL or hop limit; -1 if absent.
    pub ttl: i32,
    /// UDP_GRO: the segment size of a coalesced run.
    pub gro_segment: Option<u16>,
}

impl Info {
    /// What a datagram without control messages says: nothing.
    pub(crate) const NONE: Info = Info {
        dst: None,
        ifindex: 0,
        drops: None,
        timestamp_ns: 0,
        ttl: -1,
        gro_segment: None,
    };
}

impl Default for Info {
    fn default() -> Info {
        Info::NONE
    }
}

/// Size of `struct cmsghdr` (size_t len, int level, int type) and the
/// alignment of control messages on 64-bit Linux.
const HDR: usize = 16;
const ALIGN: usize = std::mem::size_of::<usize>();

fn align(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn i32_at(b: &[u8], at: usize) -> Option<i32> {
    u32_at(b, at).map(|v| v as i32)
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Parses the control bytes `control` (msg_control, msg_controllen long).
/// Unknown or malformed messages are skipped; a truncated last one ends the
/// walk.
#[inline]
pub fn parse(control: &[u8]) -> Info {
    let mut info = Info::default();
    if control.is_empty() {
        return info; // the common case: the kernel had nothing to tell
    }
    let mut at = 0;
    while control.len().saturating_sub(at) >= HDR {
        let Some(len) = u64_at(control, at) else {
            break;
        };
        let len = len as usize;
        if len < HDR || len > control.len() - at {
            break;
        }
        let level = i32_at(control, at + 8).unwrap_or(-1);
        let kind = i32_at(control, at + 12).unwrap_or(-1);
        let data = &control[at + HDR..at + len];
        parse_one(level, kind, data, &mut info);
        at += align(len);
    }
    info
}

fn parse_one(level: i32, kind: i32, d: &[u8], info: &mut Info) {
    match (level, kind) {
        (IPPROTO_IP, IP_PKTINFO) if d.len() >= 12 => {
            // struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst, ipi_addr; }
            info.ifindex = u32_at(d, 0).unwrap_or(0);
            let a: [u8; 4] = d[8..12].try_into().unwrap_or_default();
            info.dst = Some(IpAddr::V4(Ipv4Addr::from(a)));
        }
        (IPPROTO_IPV6, IPV6_PKTINFO) if d.len() >= 20 => {
            // struct in6_pktinfo { in6_addr ipi6_addr; unsigned ipi6_ifindex; }
            let a: [u8; 16] = d[..16].try_into().unwrap_or_default();
            info.dst = Some(IpAddr::V6(Ipv6Addr::from(a)));
            info.ifindex = u32_at(d, 16).unwrap_or(0);
        }
        (SOL_SOCKET, SO_RXQ_OVFL) => {
            if let Some(n) = u32_at(d, 0) {
                info.drops = Some(n);
            }
        }
        (SOL_SOCKET, SCM_TIMESTAMPNS) if d.len() >= 16 => {
            // struct timespec { time_t tv_sec; long tv_nsec; }
            let sec = u64_at(d, 0).unwrap_or(0);
            let nsec = u64_at(d, 8).unwrap_or(0);
            info.timestamp_ns = sec.wrapping_mul(1_000_000_000).wrapping_add(nsec);
        }
        (IPPROTO_IP, IP_TTL) | (IPPROTO_IPV6, IPV6_HOPLIMIT) => {
            if let Some(t) = i32_at(d, 0) {
                info.ttl = t;
            }
        }
        (SOL_UDP, UDP_GRO) => {
            // An int on current kernels; a u16 on some older ones.
            let seg = match d.len() {
                n if n >= 4 => u32_at(d, 0).unwrap_or(0),
                n if n >= 2 => u16::from_ne_bytes([d[0], d[1]]) as u32,
                _ => 0,
            };
            if (1..=u16::MAX as u32).contains(&seg) {
                info.gro_segment = Some(seg as u16);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One control message as the kernel lays it out.
    pub fn msg(level: i32, kind: i32, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&((HDR + data.len()) as u64).to_ne_bytes());
        v.extend_from_slice(&level.to_ne_bytes());
        v.extend_from_slice(&kind.to_ne_bytes());
        v.extend_from_slice(data);
        v.resize(align(v.len()), 0);
        v
    }

    #[test]
    fn every_kind() {
        let mut pk = Vec::new();
        pk.extend_from_slice(&3u32.to_ne_bytes());
        pk.extend_from_slice(&[127, 0, 0, 1]);
        pk.extend_from_slice(&[239, 1, 2, 3]);
        let mut ts = Vec::new();
        ts.extend_from_slice(&5u64.to_ne_bytes());
        ts.extend_from_slice(&7u64.to_ne_bytes());
        let mut c = msg(IPPROTO_IP, IP_PKTINFO, &pk);
        c.extend(msg(SOL_SOCKET, SO_RXQ_OVFL, &9u32.to_ne_bytes()));
        c.extend(msg(SOL_SOCKET, SCM_TIMESTAMPNS, &ts));
        c.extend(msg(IPPROTO_IP, IP_TTL, &31i32.to_ne_bytes()));
        c.extend(msg(SOL_UDP, UDP_GRO, &1400i32.to_ne_bytes()));
        let i = parse(&c);
        assert_eq!(i.ifindex, 3);
        assert_eq!(i.dst, Some("239.1.2.3".parse().unwrap()));
        assert_eq!(i.drops, Some(9));
        assert_eq!(i.timestamp_ns, 5_000_000_007);
        assert_eq!(i.ttl, 31);
        assert_eq!(i.gro_segment, Some(1400));
        let mut p6 = vec![0xff, 0x02];
        p6.resize(15, 0);
        p6.push(1);
        p6.extend_from_slice(&4u32.to_ne_bytes());
        let c6 = [
            msg(IPPROTO_IPV6, IPV6_PKTINFO, &p6),
            msg(IPPROTO_IPV6, IPV6_HOPLIMIT, &4i32.to_ne_bytes()),
        ]
        .concat();
        let i6 = parse(&c6);
        assert_eq!(i6.dst, Some("ff02::1".parse().unwrap()));
        assert_eq!((i6.ifindex, i6.ttl, i6.timestamp_ns), (4, 4, 0));
    }

    #[test]
    fn malformed_is_skipped_never_a_panic() {
        assert_eq!(parse(&[]), Info::default());
        assert_eq!(parse(&[0xff; 15]), Info::default());
        let mut c = msg(IPPROTO_IP, IP_TTL, &7i32.to_ne_bytes());
        c[0] = 200; // a length past the buffer ends the walk
        assert_eq!(parse(&c).ttl, -1);
        let short = msg(IPPROTO_IP, IP_PKTINFO, &[1, 2]);
        assert_eq!(parse(&short).dst, None);
        let zero_gro = msg(SOL_UDP, UDP_GRO, &0i32.to_ne_bytes());
        assert_eq!(parse(&zero_gro).gro_segment, None);
    }
}
