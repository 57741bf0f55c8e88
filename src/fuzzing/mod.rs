//! Fuzz harnesses, one per parser of outside input: each takes any bytes,
//! feeds them to the library and panics when a property fails. The
//! libFuzzer targets (fuzz/fuzz_targets/NAME.rs) call them, and so does
//! the replay of the committed corpus and crashes in `cargo test`
//! (tests/fuzz_corpus.rs). Not part of the API.
//!
//! The harnesses open no socket themselves, but `strings` resolves
//! interfaces (if_nametoindex, getifaddrs): run it inside tests/netns-run,
//! whose namespace holds only `lo` (index 1), which its oracle assumes.

use std::ffi::{c_char, CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::addr::Interface;
use crate::ffi::types::{MC_EADDRESS, MC_EPANIC};

mod seeds;

pub use seeds::seeds;

/// A harness: any bytes in, a panic when a property fails.
pub type Harness = fn(&[u8]);

/// Every target: its name (fuzz/fuzz_targets/NAME.rs, fuzz/corpus/NAME/)
/// and its harness.
pub const TARGETS: [(&str, Harness); 4] = [
    ("cmsg", cmsg),
    ("netlink", netlink),
    ("strings", strings),
    ("filter", filter),
];

/// Exits (status 90, no panic: libFuzzer would call it a crash) unless
/// this runs inside tests/netns-run.
pub fn require_netns() {
    if std::env::var("MC_NETNS").as_deref() != Ok("1") {
        eprintln!("fuzzing: run inside tests/netns-run (the strings target resolves interfaces)");
        std::process::exit(90);
    }
}

// ---------------------------------------------------------------------------
// cmsg::parse

/// One control message as the kernel lays it out (cmsghdr, data, padding
/// to 8).
fn cmsg_msg(level: i32, kind: i32, data: &[u8]) -> Vec<u8> {
    let mut v = ((16 + data.len()) as u64).to_ne_bytes().to_vec();
    v.extend_from_slice(&level.to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(data);
    v.resize(v.len().div_ceil(8) * 8, 0);
    v
}

/// The control messages a kernel would write to say `i` (the constants
/// from libc, not from the parser).
pub fn cmsg_encode(i: &crate::cmsg::Info) -> Vec<u8> {
    use libc::{IPPROTO_IP, IPPROTO_IPV6, SOL_SOCKET, SOL_UDP};
    let mut b = Vec::new();
    match i.dst {
        Some(IpAddr::V4(a)) => {
            let mut d = i.ifindex.to_ne_bytes().to_vec();
            d.extend_from_slice(&[0; 4]); // ipi_spec_dst
            d.extend_from_slice(&a.octets());
            b.extend(cmsg_msg(IPPROTO_IP, libc::IP_PKTINFO, &d));
        }
        Some(IpAddr::V6(a)) => {
            let mut d = a.octets().to_vec();
            d.extend_from_slice(&i.ifindex.to_ne_bytes());
            b.extend(cmsg_msg(IPPROTO_IPV6, libc::IPV6_PKTINFO, &d));
        }
        None => {}
    }
    if let Some(n) = i.drops {
        b.extend(cmsg_msg(SOL_SOCKET, libc::SO_RXQ_OVFL, &n.to_ne_bytes()));
    }
    if i.timestamp_ns != 0 {
        let mut d = (i.timestamp_ns / 1_000_000_000).to_ne_bytes().to_vec();
        d.extend_from_slice(&(i.timestamp_ns % 1_000_000_000).to_ne_bytes());
        b.extend(cmsg_msg(SOL_SOCKET, libc::SCM_TIMESTAMPNS, &d));
    }
    if i.ttl != -1 {
        let (level, kind) = match i.dst {
            Some(IpAddr::V6(_)) => (IPPROTO_IPV6, libc::IPV6_HOPLIMIT),
            _ => (IPPROTO_IP, libc::IP_TTL),
        };
        b.extend(cmsg_msg(level, kind, &i.ttl.to_ne_bytes()));
    }
    if let Some(s) = i.gro_segment {
        b.extend(cmsg_msg(SOL_UDP, libc::UDP_GRO, &(s as i32).to_ne_bytes()));
    }
    b
}

/// `data` as msg_control: no panic; an interface only with a destination;
/// no GRO size 0; what was parsed, written again as the kernel would, parses
/// to the same.
pub fn cmsg(data: &[u8]) {
    let info = crate::cmsg::parse(data);
    assert!(info.gro_segment != Some(0), "GRO size 0: {info:?}");
    assert!(info.dst.is_some() || info.ifindex == 0, "{info:?}");
    let again = cmsg_encode(&info);
    assert_eq!(crate::cmsg::parse(&again), info, "re-encoded {again:?}");
}

// ---------------------------------------------------------------------------
// netlink::parse_events, parse_route_reply, route_request

/// A netlink message (nlmsghdr, body, padding to 4).
pub fn nl_message(kind: u16, seq: u32, body: &[u8]) -> Vec<u8> {
    let len = 16 + body.len();
    let mut m = (len as u32).to_ne_bytes().to_vec();
    m.extend_from_slice(&kind.to_ne_bytes());
    m.extend_from_slice(&0u16.to_ne_bytes()); // flags
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes()); // pid
    m.extend_from_slice(body);
    m.resize(len.div_ceil(4) * 4, 0);
    m
}

/// A route attribute (rtattr, data, padding to 4).
pub fn nl_attr(kind: u16, data: &[u8]) -> Vec<u8> {
    let mut a = ((4 + data.len()) as u16).to_ne_bytes().to_vec();
    a.extend_from_slice(&kind.to_ne_bytes());
    a.extend_from_slice(data);
    a.resize(a.len().div_ceil(4) * 4, 0);
    a
}

/// The messages the kernel would send for `events` (None: a name too long
/// for an attribute).
pub fn nl_encode(events: &[crate::netlink::Event]) -> Option<Vec<u8>> {
    use crate::netlink::Event;
    let link = |kind, index: u32, flags: u32, name: &Option<String>| {
        let mut b = vec![0u8, 0, 1, 0]; // family, pad, type ARPHRD_ETHER
        b.extend_from_slice(&index.to_ne_bytes());
        b.extend_from_slice(&flags.to_ne_bytes());
        b.extend_from_slice(&0u32.to_ne_bytes()); // change
        if let Some(n) = name {
            if n.len() + 5 > u16::MAX as usize {
                return None;
            }
            b.extend(nl_attr(libc::IFLA_IFNAME, format!("{n}\0").as_bytes()));
        }
        Some(nl_message(kind, 0, &b))
    };
    let mut out = Vec::new();
    for e in events {
        out.extend(match e {
            Event::Link {
                index,
                name,
                up,
                multicast,
            } => {
                let flags = (*up as u32 * libc::IFF_UP as u32)
                    | (*multicast as u32 * libc::IFF_MULTICAST as u32);
                link(libc::RTM_NEWLINK, *index, flags, name)?
            }
            Event::LinkGone { index, name } => link(libc::RTM_DELLINK, *index, 0, name)?,
            Event::Address { index } => {
                let mut b = vec![libc::AF_INET as u8, 24, 0, 0];
                b.extend_from_slice(&index.to_ne_bytes());
                nl_message(libc::RTM_NEWADDR, 0, &b)
            }
            Event::Route => nl_message(libc::RTM_NEWROUTE, 0, &[0; 12]),
            Event::Lost => nl_message(libc::NLMSG_OVERRUN as u16, 0, &[]),
        });
    }
    Some(out)
}

/// A route reply for `seq`: RTM_NEWROUTE with RTA_OIF `oif`.
pub fn nl_route_reply(seq: u32, oif: u32) -> Vec<u8> {
    let mut body = vec![libc::AF_INET as u8, 32, 0, 0, 254, 0, 0, 5, 0, 0, 0, 0];
    body.extend(nl_attr(libc::RTA_OIF, &oif.to_ne_bytes()));
    nl_message(libc::RTM_NEWROUTE, seq, &body)
}

/// `data` is a sequence number (4 bytes) and what one read of a netlink
/// socket returned. Events: no panic, at most one per header's worth of
/// bytes, names without NUL, and written again as the kernel would, the
/// same events. The route reply: no panic, an errno is positive, and an
/// answer written again reads the same. The request for an address taken
/// from the bytes is well formed.
pub fn netlink(data: &[u8]) {
    use crate::netlink::{parse_events, parse_route_reply, route_request, Event};
    let (seq, buf) = match data.split_first_chunk::<4>() {
        Some((s, rest)) => (u32::from_ne_bytes(*s), rest),
        None => (0, data),
    };
    let events = parse_events(buf);
    assert!(events.len() <= buf.len() / 16, "{events:?}");
    for e in &events {
        if let Event::Link { name: Some(n), .. } | Event::LinkGone { name: Some(n), .. } = e {
            assert!(!n.contains('\0'), "{e:?}");
        }
    }
    if let Some(again) = nl_encode(&events) {
        assert_eq!(parse_events(&again), events, "re-encoded {again:?}");
    }
    let reply = parse_route_reply(buf, seq);
    match reply {
        Err(e) => {
            assert!(e > 0, "errno {e}");
            let m = nl_message(libc::NLMSG_ERROR as u16, seq, &(-e).to_ne_bytes());
            assert_eq!(parse_route_reply(&m, seq), reply);
        }
        Ok(Some(oif)) => assert_eq!(parse_route_reply(&nl_route_reply(seq, oif), seq), reply),
        Ok(None) => {}
    }
    let dst: IpAddr = match buf.first_chunk::<16>() {
        Some(a) if a[0] & 1 == 1 => Ipv6Addr::from(*a).into(),
        _ => Ipv4Addr::from(seq).into(),
    };
    let req = route_request(seq, dst);
    assert_eq!(
        u32::from_ne_bytes(req[..4].try_into().unwrap()) as usize,
        req.len()
    );
    assert_eq!(u16::from_ne_bytes([req[4], req[5]]), libc::RTM_GETROUTE);
    assert_eq!(u32::from_ne_bytes(req[8..12].try_into().unwrap()), seq);
    assert_eq!(
        parse_route_reply(&req, seq),
        Ok(None),
        "a request is no answer"
    );
}

// ---------------------------------------------------------------------------
// mc_opts_set_group, mc_opts_set_source, mc_opts_set_interface

/// What tests/netns-run's namespace (lo only, index 1, 127.0.0.1) makes
/// of an interface string: Some(None) is a refusal, None either answer
/// (::1 is lo's if IPv6 is on). A name must match exactly: "lo:LABEL" (an
/// IPv4 alias label, which SIOCGIFINDEX alone takes as "lo") is refused.
fn interface_answer(s: &str) -> Option<Option<Interface>> {
    if s.parse::<Ipv6Addr>() == Ok(Ipv6Addr::LOCALHOST) {
        return None;
    }
    if s == "*" {
        return Some(Some(Interface::All));
    }
    let one = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.parse() == Ok(1u64);
    let lo = s == "lo" || s.parse::<Ipv4Addr>() == Ok(Ipv4Addr::LOCALHOST);
    Some((one || lo).then_some(Interface::Index(1)))
}

/// `data` up to its first NUL is the string a C program passes to the
/// setters of group, source and interface: never a crash or MC_EPANIC;
/// group and source are 0 or MC_EADDRESS, the interface 0 or a negative
/// code; a failure's mc_last_error quotes the input; what is accepted is
/// what Rust's address literal parser (surrounding white space forgiven)
/// says is a multicast group or a unicast source, and the interface what
/// the namespace holds. Needs tests/netns-run.
pub fn strings(data: &[u8]) {
    use crate::ffi::error::mc_last_error;
    use crate::ffi::opts::*;
    let raw = &data[..data.iter().position(|&b| b == 0).unwrap_or(data.len())];
    let c = CString::new(raw).expect("no NUL");
    let shown = String::from_utf8_lossy(raw);
    let text = std::str::from_utf8(raw).ok();
    let lit = text.and_then(|s| s.trim().parse::<IpAddr>().ok());
    let source = lit.filter(|ip| {
        !ip.is_multicast() && !ip.is_unspecified() && *ip != IpAddr::V4(Ipv4Addr::BROADCAST)
    });
    let iface = match text {
        Some(s) => interface_answer(s),
        None => Some(None),
    };
    let o = mc_opts_new();
    assert!(!o.is_null());
    type Setter = unsafe extern "C" fn(*mut mc_opts, *const c_char) -> i32;
    let setters: [(&str, Setter); 3] = [
        ("group", mc_opts_set_group),
        ("source", mc_opts_set_source),
        ("interface", mc_opts_set_interface),
    ];
    for (what, set) in setters {
        // SAFETY: o is live options, c a NUL-terminated string.
        let rc = unsafe { set(o, c.as_ptr()) };
        assert!(
            rc == 0 || (rc < 0 && rc != MC_EPANIC),
            "{what} {shown:?}: {rc}"
        );
        if what != "interface" {
            assert!(rc == 0 || rc == MC_EADDRESS, "{what} {shown:?}: {rc}");
        }
        if rc != 0 {
            // SAFETY: mc_last_error returns this thread's NUL-terminated message.
            let msg = unsafe { CStr::from_ptr(mc_last_error()) }.to_string_lossy();
            assert!(
                msg.contains(&format!("\"{shown}\"")),
                "{what} {shown:?}: mc_last_error {msg:?} does not quote the input"
            );
        }
        let opts = opts_mut(o, "fuzzing").expect("live options");
        match what {
            "group" => {
                let want = lit.filter(IpAddr::is_multicast);
                assert_eq!(want.is_some(), rc == 0, "group {shown:?}: {rc}");
                if let Some(g) = want {
                    assert_eq!(opts.group, g, "group {shown:?}");
                }
            }
            "source" => {
                assert_eq!(source.is_some(), rc == 0, "source {shown:?}: {rc}");
                assert_eq!(opts.source, source, "source {shown:?}");
            }
            _ => {
                if let Some(want) = &iface {
                    assert_eq!(want.is_some(), rc == 0, "interface {shown:?}: {rc}");
                    if let Some(i) = want {
                        assert_eq!(&opts.interface, i, "interface {shown:?}");
                    }
                }
            }
        }
    }
    // SAFETY: o came from mc_opts_new.
    unsafe { mc_opts_free(o) };
}

// ---------------------------------------------------------------------------
// filter::compile

/// Splits filter input: 4 header bytes give the listener's group (IPv4 or
/// IPv6), port and mtu; then the pattern (lossy UTF-8) up to a NUL; the
/// rest is a packet.
pub fn filter_input(data: &[u8]) -> (String, String, u16, usize, &[u8]) {
    let h = |i: usize| data.get(i).copied().unwrap_or(0);
    let ip = if h(0) & 1 == 0 {
        format!("239.{}.{}.{}", h(1), h(2), h(0))
    } else {
        format!("ff{:02x}::{:x}:{:x}", h(1), h(2), h(0))
    };
    let port = u16::from_le_bytes([h(2), h(3)]);
    let mtu = u16::from_le_bytes([h(3), h(1)]) as usize;
    let rest = data.get(4..).unwrap_or(&[]);
    let (pattern, packet) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    (
        String::from_utf8_lossy(pattern).into_owned(),
        ip,
        port,
        mtu,
        packet,
    )
}

/// The pattern with the values substituted as the user means them.
fn expand(pattern: &str, ip: &str, port: u16, mtu: usize) -> String {
    pattern
        .replace("${ip}", &regex::escape(ip))
        .replace("${port}", &port.to_string())
        .replace("${mtu}", &mtu.to_string())
}

/// Checks filter::compile against the pattern as the user wrote it (the
/// values substituted), compiled by the regex crate: it compiles exactly
/// when the filter does (short of the compiled-size limit, which either
/// may reach first), and the filter accepts exactly the packets it matches
/// at their start. A refusal is an MC_EREGEX naming the pattern.
pub fn check_filter(pattern: &str, ip: &str, port: u16, mtu: usize, packets: &[&[u8]]) {
    let got = crate::filter::compile(pattern, ip, port, mtu);
    let plain = regex::bytes::Regex::new(&expand(pattern, ip, port, mtu));
    let too_big = |m: &str| m.contains("size limit");
    match (got, plain) {
        (Ok(re), Ok(plain)) => {
            for d in packets {
                let at_start = plain.find(d).is_some_and(|m| m.start() == 0);
                assert_eq!(
                    re.is_match(d),
                    at_start,
                    "pattern {pattern:?} ({ip}, {port}, {mtu}) on {:?}",
                    String::from_utf8_lossy(d)
                );
            }
        }
        (Err(e), plain) => {
            assert_eq!(e.kind(), crate::Kind::Regex, "{pattern:?}: {e}");
            assert!(
                e.message().contains(&format!("\"{pattern}\"")),
                "{pattern:?}: the message does not name the pattern: {}",
                e.message()
            );
            if !pattern.contains("^(?:") {
                let m = e.message();
                assert!(
                    !m.contains("^(?:"),
                    "{pattern:?}: the message shows the anchoring: {m}"
                );
            }
            if plain.is_ok() {
                assert!(too_big(e.message()), "{pattern:?} is a pattern, but: {e}");
            }
        }
        (Ok(_), Err(e)) => assert!(
            too_big(&e.to_string()),
            "{pattern:?} compiled as a filter, but is not a pattern: {e}"
        ),
    }
}

/// `data` as a filter pattern, its listener's values and a packet (see
/// [`filter_input`]): [`check_filter`] on the packet, on the values as
/// text followed by it, and on the pattern's own bytes.
pub fn filter(data: &[u8]) {
    let (pattern, ip, port, mtu, packet) = filter_input(data);
    let text = [format!("{ip}:{port}/{mtu}").as_bytes(), packet].concat();
    check_filter(
        &pattern,
        &ip,
        port,
        mtu,
        &[packet, &text, pattern.as_bytes()],
    );
}

// ---------------------------------------------------------------------------
// Seeds
