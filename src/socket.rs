//! Building configured sockets with socket2: a receive socket for a
//! listener and a send socket for multicasters and `sendto`.

use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::addr;
use crate::error::{Error, Result};
use crate::sys;

/// A UDP socket of the family.
pub fn new_udp(v6: bool, what: &str) -> Result<Socket> {
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| Error::os(format!("{what}: socket"), e))
}

/// "interface lo (1)" or "the default interface".
pub fn iface_label(ix: u32) -> String {
    if ix == 0 {
        return "the default interface".into();
    }
    match sys::index_to_name(ix) {
        Some(n) => format!("interface {n} ({ix})"),
        None => format!("interface #{ix}"),
    }
}

/// Send-side settings a socket is configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendKey {
    /// IPv6 socket.
    pub v6: bool,
    /// TTL / hop limit.
    pub ttl: u32,
    /// Outgoing interface index (0: the system's choice).
    pub ifindex: u32,
    /// IP_MULTICAST_LOOP.
    pub loopback: bool,
    /// IP_TOS / IPV6_TCLASS.
    pub tos: u8,
}

/// A send socket configured for `key` (blocking unless `nonblocking`).
pub fn sender(key: SendKey, nonblocking: bool) -> Result<Socket> {
    let what = format!(
        "send socket (ttl {}, {}, loopback {}, tos {})",
        key.ttl,
        iface_label(key.ifindex),
        if key.loopback { "on" } else { "off" },
        key.tos
    );
    let s = new_udp(key.v6, &what)?;
    let os = |step: &'static str| {
        let what = what.clone();
        move |e| Error::os(format!("{what}: {step}"), e)
    };
    if key.v6 {
        s.set_multicast_hops_v6(key.ttl)
            .map_err(os("IPV6_MULTICAST_HOPS"))?;
        s.set_multicast_loop_v6(key.loopback)
            .map_err(os("IPV6_MULTICAST_LOOP"))?;
        if key.ifindex != 0 {
            s.set_multicast_if_v6(key.ifindex)
                .map_err(os("IPV6_MULTICAST_IF"))?;
        }
    } else {
        s.set_multicast_ttl_v4(key.ttl)
            .map_err(os("IP_MULTICAST_TTL"))?;
        s.set_multicast_loop_v4(key.loopback)
            .map_err(os("IP_MULTICAST_LOOP"))?;
        if key.ifindex != 0 {
            sys::set_multicast_if_v4_index(s.as_raw_fd(), key.ifindex, first_v4(key.ifindex))
                .map_err(os("IP_MULTICAST_IF"))?;
        }
    }
    if key.tos != 0 {
        sys::set_tos(s.as_raw_fd(), key.v6, key.tos).map_err(os("IP_TOS/IPV6_TCLASS"))?;
    }
    if nonblocking {
        s.set_nonblocking(true).map_err(os("O_NONBLOCK"))?;
    }
    Ok(s)
}

/// Points a send socket at interface `ifindex`, as [`sender`] does
/// (IP_MULTICAST_IF with the interface's first IPv4 address, or
/// IPV6_MULTICAST_IF).
pub fn point_at(fd: std::os::fd::RawFd, v6: bool, ifindex: u32) -> std::io::Result<()> {
    if v6 {
        sys::set_int(
            fd,
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_IF,
            ifindex as i32,
        )
    } else {
        sys::set_multicast_if_v4_index(fd, ifindex, first_v4(ifindex))
    }
}

/// The first IPv4 address of interface `ifindex`, if it has one.
fn first_v4(ifindex: u32) -> Option<Ipv4Addr> {
    let list = sys::interfaces().ok()?;
    let iface = list.iter().find(|i| i.index == ifindex)?;
    iface.addrs.iter().find_map(|a| match a {
        IpAddr::V4(v4) => Some(*v4),
        IpAddr::V6(_) => None,
    })
}

/// The destination for `group:port` sent on `ifindex`.
pub fn dest(group: IpAddr, port: u16, ifindex: u32) -> SockAddr {
    addr::group_addr(group, port, ifindex).into()
}
