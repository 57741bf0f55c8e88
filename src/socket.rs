//! Building configured sockets with socket2: a receive socket for a
//! listener and a send socket for multicasters and `sendto`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::addr;
use crate::error::{Error, Result};
use crate::opts::Options;
use crate::sys;

fn new_udp(v6: bool, what: &str) -> Result<Socket> {
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| Error::os(format!("{what}: socket"), e))
}

/// A receive socket as a listener needs it, joined and bound.
pub struct Receiver {
    /// The socket.
    pub socket: Socket,
    /// The SO_RCVBUF the kernel granted.
    pub granted: usize,
    /// The interfaces joined on; empty for the default interface.
    pub ifaces: Vec<u32>,
}

/// Builds, binds and joins the receive socket `opts` describes.
pub fn receiver(opts: &Options) -> Result<Receiver> {
    let g = opts.group;
    let what = format!("listen on {}:{}", g, opts.port);
    opts.check(&what)?;
    let v6 = g.is_ipv6();
    let ifaces = addr::join_indices(&opts.interface)?;
    let s = new_udp(v6, &what)?;
    let os = |step: &str| {
        let what = what.clone();
        let step = step.to_string();
        move |e| Error::os(format!("{what}: {step}"), e)
    };
    s.set_reuse_address(true).map_err(os("SO_REUSEADDR"))?;
    // SO_REUSEADDR only: with SO_REUSEPORT the kernel may hand a datagram
    // meant for one listener of a group:port to another (seen with SSM and
    // per-interface joins), since it load-balances within the reuseport group.
    s.set_nonblocking(true).map_err(os("O_NONBLOCK"))?;
    if v6 {
        s.set_only_v6(true).map_err(os("IPV6_V6ONLY"))?;
        // IPV6_MULTICAST_ALL exists since Linux 4.20; older kernels lack it.
        if let Err(e) = s.set_multicast_all_v6(false) {
            if e.raw_os_error() != Some(libc::ENOPROTOOPT) {
                return Err(os("IPV6_MULTICAST_ALL")(e));
            }
        }
    } else {
        s.set_multicast_all_v4(false)
            .map_err(os("IP_MULTICAST_ALL"))?;
    }
    if opts.recv_buffer > 0 {
        s.set_recv_buffer_size(opts.recv_buffer)
            .map_err(os(&format!("SO_RCVBUF {}", opts.recv_buffer)))?;
    }
    let granted = s.recv_buffer_size().map_err(os("getsockopt(SO_RCVBUF)"))?;
    // An IPv4 listener joined on one interface knows each packet's group
    // (it is bound to it) and interface (IP_MULTICAST_ALL=0 admits only the
    // joined one): the kernel need not build a pktinfo message per packet.
    // IPv6 (no per-interface check in the kernel) and the default or "*"
    // interfaces need it.
    let pktinfo = v6 || ifaces.len() != 1 || ifaces[0] == 0;
    sys::enable_recv_info(s.as_raw_fd(), v6, pktinfo).map_err(os("IP_PKTINFO/SO_RXQ_OVFL"))?;
    // A scoped IPv6 group can be bound only with one interface; with "*"
    // bind the wildcard and let IPV6_MULTICAST_ALL=0 keep other groups out.
    let bind: SocketAddr = if addr::needs_scope(g) && ifaces.len() > 1 {
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), opts.port)
    } else {
        addr::group_addr(g, opts.port, ifaces[0])
    };
    s.bind(&bind.into())
        .map_err(|e| Error::os(format!("{what}: bind {bind}"), e))?;
    for &ix in &ifaces {
        let on = iface_label(ix);
        let r = match opts.source {
            Some(src) => sys::join_source_group(s.as_raw_fd(), g, src, ix)
                .map_err(|e| Error::os(format!("{what}: join {g} from source {src} on {on}"), e)),
            None => sys::join_group(s.as_raw_fd(), g, ix)
                .map_err(|e| Error::os(format!("{what}: join {g} on {on}"), e)),
        };
        r.map_err(|e| match (e.errno(), ix) {
            // The kernel picks the default interface from the routing table.
            (Some(libc::ENODEV), 0) => Error::new(
                e.kind(),
                format!(
                    "{}; no route for {g} chooses an interface: add one or set the interface",
                    e.message()
                ),
            ),
            _ => e,
        })?;
    }
    let ifaces = if ifaces == [0] { Vec::new() } else { ifaces };
    Ok(Receiver {
        socket: s,
        granted,
        ifaces,
    })
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
}

/// A send socket configured for `key` (blocking unless `nonblocking`).
pub fn sender(key: SendKey, nonblocking: bool) -> Result<Socket> {
    let what = format!(
        "send socket (ttl {}, {}, loopback {})",
        key.ttl,
        iface_label(key.ifindex),
        if key.loopback { "on" } else { "off" }
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
    if nonblocking {
        s.set_nonblocking(true).map_err(os("O_NONBLOCK"))?;
    }
    Ok(s)
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
