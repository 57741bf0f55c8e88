//! Building configured sockets with socket2: a receive socket for a
//! listener and a send socket for multicasters and `sendto`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
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
    /// The local address the socket is bound to (None: not bound).
    pub bind: Option<SocketAddr>,
}

/// A send socket configured for `key` (blocking unless `nonblocking`).
pub fn sender(key: SendKey, nonblocking: bool) -> Result<Socket> {
    let what = format!(
        "send socket (ttl {}, {}, loopback {}, tos {}{})",
        key.ttl,
        iface_label(key.ifindex),
        if key.loopback { "on" } else { "off" },
        key.tos,
        from_label(key.bind)
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
    if let Some(local) = key.bind {
        bind_sender(&s, local).map_err(|(step, e)| Error::os(format!("{what}: {step}"), e))?;
        if let Some(ix) = v6_holder(local).filter(|_| key.ifindex == 0) {
            s.set_multicast_if_v6(ix).map_err(os("IPV6_MULTICAST_IF"))?;
        }
    }
    Ok(s)
}

/// ", from 192.0.2.1:5000" for a bound send socket; "" otherwise.
pub fn from_label(bind: Option<SocketAddr>) -> String {
    bind.map(|b| format!(", from {}", addr::display(b)))
        .unwrap_or_default()
}

/// The interface holding `local`, an IPv6 address that is neither link-local (its
/// scope already binds the socket to its interface) nor unspecified: IPv6, unlike
/// IPv4, does not send a bound socket's multicast out of the interface that holds
/// its address; IPV6_MULTICAST_IF does.
fn v6_holder(local: SocketAddr) -> Option<u32> {
    match local {
        SocketAddr::V6(a) if a.scope_id() == 0 && !a.ip().is_unspecified() => {
            let ip = IpAddr::V6(*a.ip());
            let list = sys::interfaces().ok()?;
            list.iter().find(|i| i.addrs.contains(&ip)).map(|i| i.index)
        }
        _ => None,
    }
}

/// Makes a bound UDP socket get only the groups it joined itself, never those
/// another socket joined on its port (IP_MULTICAST_ALL / IPV6_MULTICAST_ALL
/// off; IPv6 sockets IPV6_V6ONLY). The failing option and why.
pub fn only_own_groups(
    s: &Socket,
    v6: bool,
) -> std::result::Result<(), (&'static str, std::io::Error)> {
    if v6 {
        s.set_only_v6(true).map_err(|e| ("IPV6_V6ONLY", e))?;
        // IPV6_MULTICAST_ALL exists since Linux 4.20; older kernels lack it.
        if let Err(e) = s.set_multicast_all_v6(false) {
            if e.raw_os_error() != Some(libc::ENOPROTOOPT) {
                return Err(("IPV6_MULTICAST_ALL", e));
            }
        }
    } else {
        s.set_multicast_all_v4(false)
            .map_err(|e| ("IP_MULTICAST_ALL", e))?;
    }
    Ok(())
}

/// Binds a send socket to `local` so that the port can be shared (SO_REUSEADDR)
/// and the socket never queues the traffic of groups others joined on that port
/// (IP_MULTICAST_ALL / IPV6_MULTICAST_ALL off, as listeners do). No
/// IP_MULTICAST_IF is set for an IPv4 address: a bound socket without one leaves
/// by the interface that holds its address (IPv6: [`v6_holder`]). The failing
/// step and why.
fn bind_sender(s: &Socket, local: SocketAddr) -> std::result::Result<(), (String, std::io::Error)> {
    let step = |name: &str| {
        let name = name.to_string();
        move |e| (name, e)
    };
    s.set_reuse_address(true).map_err(step("SO_REUSEADDR"))?;
    only_own_groups(s, local.is_ipv6()).map_err(|(name, e)| (name.to_string(), e))?;
    s.bind(&local.into())
        .map_err(step(&format!("bind {}", addr::display(local))))
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
