//! rtnetlink messages: what the poller's interface watcher reads (link,
//! address and route events) and the route query that finds "the system's
//! choice" of interface for a group. Pure functions over bytes, apart from
//! the socket in `sys::netlink`, so they are fuzzed on recorded and random
//! messages.

use std::net::IpAddr;

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
const RTM_GETROUTE: u16 = 26;
const NLM_F_REQUEST: u16 = 1;
const IFINFOMSG: usize = 16;
const IFADDRMSG: usize = 8;
const RTMSG: usize = 12;
const IFLA_IFNAME: u16 = 3;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const IFF_UP: u32 = 1;
const IFF_MULTICAST: u32 = 0x1000;

/// The multicast groups of rtnetlink the watcher joins: links, IPv4 and
/// IPv6 addresses and routes.
pub const WATCH_GROUPS: u32 = 0x1 | 0x10 | 0x40 | 0x100 | 0x400;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An interface appeared or changed (RTM_NEWLINK).
    Link {
        /// Its index.
        index: u32,
        /// Its name, if the message carried one.
        name: Option<String>,
        /// IFF_UP.
        up: bool,
        /// IFF_MULTICAST.
        multicast: bool,
    },
    /// An interface was deleted (RTM_DELLINK).
    LinkGone {
        /// Its index.
        index: u32,
        /// Its name, if the message carried one.
        name: Option<String>,
    },
    /// An address was added to or removed from an interface.
    Address {
        /// The interface's index.
        index: u32,
    },
    /// A route was added or removed.
    Route,
    /// The socket lost messages (its buffer overran): anything may have
    /// changed.
    Lost,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn align4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// Each netlink message of `buf`: (type, payload). A malformed length
/// ends the walk.
fn messages(buf: &[u8]) -> impl Iterator<Item = (u16, u32, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let len = u32_at(buf, at)? as usize;
        if len < NLMSG_HDR || len > buf.len() - at {
            return None;
        }
        let kind = u16_at(buf, at + 4)?;
        let seq = u32_at(buf, at + 8)?;
        let payload = &buf[at + NLMSG_HDR..at + len];
        at += align4(len).max(NLMSG_HDR);
        Some((kind, seq, payload))
    })
}

/// Each route attribute of `b`: (type, data).
fn attrs(b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let len = u16_at(b, at)? as usize;
        if len < 4 || len > b.len() - at {
            return None;
        }
        let kind = u16_at(b, at + 2)? & 0x3fff; // without NLA_F_NESTED/BYTEORDER
        let data = &b[at + 4..at + len];
        at += align4(len);
        Some((kind, data))
    })
}

fn name_of(attr_bytes: &[u8]) -> Option<String> {
    attrs(attr_bytes)
        .find(|(k, _)| *k == IFLA_IFNAME)
        .map(|(_, d)| {
            let end = d.iter().position(|&c| c == 0).unwrap_or(d.len());
            String::from_utf8_lossy(&d[..end]).into_owned()
        })
}

/// The events in one read of the watcher's socket.
pub fn parse_events(buf: &[u8]) -> Vec<Event> {
    let mut out = Vec::new();
    for (kind, _, p) in messages(buf) {
        let ev = match kind {
            RTM_NEWLINK | RTM_DELLINK if p.len() >= IFINFOMSG => {
                let index = u32_at(p, 4).unwrap_or(0);
                let flags = u32_at(p, 8).unwrap_or(0);
                let name = name_of(&p[IFINFOMSG..]);
                if kind == RTM_DELLINK {
                    Event::LinkGone { index, name }
                } else {
                    Event::Link {
                        index,
                        name,
                        up: flags & IFF_UP != 0,
                        multicast: flags & IFF_MULTICAST != 0,
                    }
                }
            }
            RTM_NEWADDR | RTM_DELADDR if p.len() >= IFADDRMSG => Event::Address {
                index: u32_at(p, 4).unwrap_or(0),
            },
            RTM_NEWROUTE | RTM_DELROUTE => Event::Route,
            NLMSG_OVERRUN => Event::Lost,
            _ => continue,
        };
        out.push(ev);
    }
    out
}

/// An RTM_GETROUTE request for the route to `dst`, with sequence `seq`.
pub fn route_request(seq: u32, dst: IpAddr) -> Vec<u8> {
    let (family, addr): (u8, Vec<u8>) = match dst {
        IpAddr::V4(a) => (libc::AF_INET as u8, a.octets().to_vec()),
        IpAddr::V6(a) => (libc::AF_INET6 as u8, a.octets().to_vec()),
    };
    let attr_len = 4 + addr.len();
    let len = NLMSG_HDR + RTMSG + align4(attr_len);
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&(len as u32).to_ne_bytes());
    m.extend_from_slice(&RTM_GETROUTE.to_ne_bytes());
    m.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
    m.extend_from_slice(&[family, (addr.len() * 8) as u8, 0, 0, 0, 0, 0, 0]);
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(&(attr_len as u16).to_ne_bytes());
    m.extend_from_slice(&RTA_DST.to_ne_bytes());
    m.extend_from_slice(&addr);
    m.resize(len, 0);
    m
}

/// The answer to [`route_request`] `seq` in `buf`: Ok(Some(ifindex)) for a
/// route, Err(errno) for a refusal (ENETUNREACH: no route), Ok(None) if
/// the buffer holds no answer to it.
pub fn parse_route_reply(buf: &[u8], seq: u32) -> Result<Option<u32>, i32> {
    for (kind, s, p) in messages(buf) {
        if s != seq {
            continue;
        }
        match kind {
            NLMSG_ERROR => {
                let code = u32_at(p, 0).map(|c| c as i32).unwrap_or(-libc::EIO);
                if code != 0 {
                    // -errno; a positive code or i32::MIN is malformed.
                    return Err(code.checked_neg().filter(|e| *e > 0).unwrap_or(libc::EIO));
                }
            }
            RTM_NEWROUTE if p.len() >= RTMSG => {
                let oif = attrs(&p[RTMSG..])
                    .find(|(k, _)| *k == RTA_OIF)
                    .and_then(|(_, d)| u32_at(d, 0));
                return Ok(oif);
            }
            NLMSG_DONE | NLMSG_NOOP => {}
            _ => {}
        }
    }
    Ok(None)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A netlink message as the kernel lays it out.
    pub fn message(kind: u16, seq: u32, body: &[u8]) -> Vec<u8> {
        let len = NLMSG_HDR + body.len();
        let mut m = Vec::new();
        m.extend_from_slice(&(len as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(body);
        m.resize(align4(len), 0);
        m
    }

    pub fn attr(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&kind.to_ne_bytes());
        a.extend_from_slice(data);
        a.resize(align4(a.len()), 0);
        a
    }

    pub fn link(kind: u16, index: u32, flags: u32, name: &str) -> Vec<u8> {
        let mut b = vec![0u8, 0, 1, 0];
        b.extend_from_slice(&index.to_ne_bytes());
        b.extend_from_slice(&flags.to_ne_bytes());
        b.extend_from_slice(&0u32.to_ne_bytes());
        b.extend(attr(IFLA_IFNAME, format!("{name}\0").as_bytes()));
        message(kind, 0, &b)
    }

    #[test]
    fn links_addresses_routes() {
        let mut buf = link(RTM_NEWLINK, 7, IFF_UP | IFF_MULTICAST, "mc0");
        buf.extend(link(RTM_DELLINK, 7, 0, "mc0"));
        buf.extend(message(RTM_NEWADDR, 0, &[2, 24, 0, 0, 7, 0, 0, 0]));
        buf.extend(message(RTM_NEWROUTE, 0, &[0; 12]));
        buf.extend(message(NLMSG_OVERRUN, 0, &[]));
        assert_eq!(
            parse_events(&buf),
            vec![
                Event::Link {
                    index: 7,
                    name: Some("mc0".into()),
                    up: true,
                    multicast: true
                },
                Event::LinkGone {
                    index: 7,
                    name: Some("mc0".into())
                },
                Event::Address { index: 7 },
                Event::Route,
                Event::Lost,
            ]
        );
    }

    #[test]
    fn route_answers() {
        let req = route_request(9, "224.0.42.42".parse().unwrap());
        assert_eq!(u32_at(&req, 0).unwrap() as usize, req.len());
        let mut body = vec![2u8, 32, 0, 0, 254, 0, 0, 5, 0, 0, 0, 0];
        body.extend(attr(RTA_OIF, &3u32.to_ne_bytes()));
        let reply = message(RTM_NEWROUTE, 9, &body);
        assert_eq!(parse_route_reply(&reply, 9), Ok(Some(3)));
        assert_eq!(parse_route_reply(&reply, 8), Ok(None));
        let err = message(NLMSG_ERROR, 9, &(-libc::ENETUNREACH).to_ne_bytes());
        assert_eq!(parse_route_reply(&err, 9), Err(libc::ENETUNREACH));
    }

    #[test]
    fn malformed_never_panics() {
        assert!(parse_events(&[]).is_empty());
        assert!(parse_events(&[0xff; 40]).is_empty());
        let mut m = link(RTM_NEWLINK, 1, 0, "lo");
        m[0] = 3; // shorter than a header: the walk ends
        assert!(parse_events(&m).is_empty());
        let short = message(RTM_NEWLINK, 0, &[1, 2, 3]);
        assert!(parse_events(&short).is_empty());
        assert_eq!(parse_route_reply(&[1, 2, 3], 0), Ok(None));
    }
}
