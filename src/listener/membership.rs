//! The sockets of one listener and the memberships they hold.
//!
//! A listener asks for (group, source) pairs on an interface choice; each
//! pair is joined on each interface that choice names now: one membership
//! per (group, source, interface). The kernel limits memberships per socket
//! (net.ipv4.igmp_max_memberships, default 20; net.ipv4.igmp_max_msf, default
//! 10 sources per group): a join refused with ENOBUFS goes to the next
//! socket, and when every socket is full to a new one. The first socket is
//! bound to its group (group:port) and lives as long as the listener; the
//! others are bound to the wildcard address, with pktinfo to tell groups
//! apart, and close when their last membership goes.

use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};

use socket2::Socket;

use crate::error::{Error, Result};
use crate::packet::RawAddr;
use crate::sys::{self, RecvInfo};

/// A (group, source) pair a listener was asked for; source None is
/// any-source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// The group.
    pub group: IpAddr,
    /// The SSM source.
    pub source: Option<IpAddr>,
}

/// One membership: a pair joined on one interface (0: the kernel's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The pair.
    pub pair: Pair,
    /// The interface index.
    pub ifindex: u32,
}

/// One UDP socket of a listener.
pub struct Sock {
    /// The socket.
    pub socket: Socket,
    /// Its fd.
    pub fd: RawFd,
    /// Its poller registration.
    pub token: u64,
    /// The group it is bound to; None: the wildcard address.
    pub bound: Option<IpAddr>,
    /// Whether the kernel tells each datagram's destination and interface.
    pub pktinfo: bool,
    /// What it holds.
    pub members: Vec<Member>,
    /// SO_RXQ_OVFL's last value: the socket's cumulative drop count.
    pub ovfl: Cell<u32>,
}

impl Sock {
    /// Whose datagram this is: the group and interface it belongs to, or
    /// None for one this socket gets but the listener did not ask for
    /// (unicast to the port on a wildcard socket; for IPv6, the group on
    /// an interface it did not join on; another source than a member's).
    pub fn whose(&self, info: &crate::cmsg::Info, from: &RawAddr) -> Option<(IpAddr, u32)> {
        if !self.pktinfo {
            // Bound to its group, one membership: the kernel checked both.
            let m = self.members.first()?;
            return Some((m.pair.group, m.ifindex));
        }
        // A socket bound to its group knows the destination even for a
        // datagram queued before pktinfo was turned on.
        let dst = info.dst.or(self.bound)?;
        let m = self.members.iter().find(|m| {
            m.pair.group == dst
                && (m.ifindex == 0 || info.ifindex == 0 || m.ifindex == info.ifindex)
                && (m.pair.source.is_none() || m.pair.source == from.ip())
        })?;
        let ifindex = if info.ifindex != 0 {
            info.ifindex
        } else {
            m.ifindex
        };
        Some((dst, ifindex))
    }

    fn holds(&self, m: &Member) -> bool {
        self.members.contains(m)
    }

    fn takes(&self, group: IpAddr) -> bool {
        self.bound.is_none_or(|b| b == group)
    }
}

/// How a listener's sockets are made.
#[derive(Debug, Clone)]
pub struct SockSpec {
    /// IPv6.
    pub v6: bool,
    /// The port.
    pub port: u16,
    /// SO_RCVBUF request (0: the kernel's default).
    pub recv_buffer: usize,
    /// Timestamps, TTL, GRO.
    pub info: RecvInfo,
}

/// A new socket of `spec`, bound to `bind`, nothing joined yet. Returns it
/// with the SO_RCVBUF granted and whether GRO is on.
pub fn open(
    spec: &SockSpec,
    bind: SocketAddr,
    pktinfo: bool,
    what: &str,
) -> Result<(Socket, usize, bool)> {
    let os = |step: &str| {
        let m = format!("{what}: {step}");
        move |e| Error::os(m, e)
    };
    let s = crate::socket::new_udp(spec.v6, what)?;
    s.set_reuse_address(true).map_err(os("SO_REUSEADDR"))?;
    // SO_REUSEADDR only: with SO_REUSEPORT the kernel may hand a datagram
    // meant for one listener of a group:port to another (seen with SSM and
    // per-interface joins), since it load-balances within the reuseport group.
    s.set_nonblocking(true).map_err(os("O_NONBLOCK"))?;
    crate::socket::only_own_groups(&s, spec.v6).map_err(|(name, e)| os(name)(e))?;
    if spec.recv_buffer > 0 {
        s.set_recv_buffer_size(spec.recv_buffer)
            .map_err(os(&format!("SO_RCVBUF {}", spec.recv_buffer)))?;
    }
    let granted = s.recv_buffer_size().map_err(os("getsockopt(SO_RCVBUF)"))?;
    let want = RecvInfo {
        pktinfo,
        ..spec.info
    };
    let gro = sys::enable_recv(s.as_raw_fd(), spec.v6, want).map_err(os(
        "IP_PKTINFO/SO_RXQ_OVFL/SO_TIMESTAMPNS/IP_RECVTTL/UDP_GRO",
    ))?;
    s.bind(&bind.into())
        .map_err(|e| Error::os(format!("{what}: bind {}", crate::addr::display(bind)), e))?;
    Ok((s, granted, gro))
}

/// The wildcard address of the family, port `port`.
pub fn wildcard(v6: bool, port: u16) -> SocketAddr {
    if v6 {
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port)
    } else {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)
    }
}

/// The kernel's join of `m` on `fd`.
pub fn join(fd: RawFd, m: &Member) -> std::io::Result<()> {
    match m.pair.source {
        Some(src) => sys::join_source_group(fd, m.pair.group, src, m.ifindex),
        None => sys::join_group(fd, m.pair.group, m.ifindex),
    }
}

/// The kernel's leave of `m` on `fd` (by index: works for a deleted
/// device's stale entry too).
pub fn leave(fd: RawFd, m: &Member) -> std::io::Result<()> {
    match m.pair.source {
        Some(src) => sys::leave_source_group(fd, m.pair.group, src, m.ifindex),
        None => sys::leave_group(fd, m.pair.group, m.ifindex),
    }
}

/// Where a join went: the index of the socket in the listener's list, and
/// whether that socket was opened for it.
pub struct Placed {
    /// Index in the list.
    pub sock: usize,
    /// Opened for this membership.
    pub new: bool,
}

/// Joins `m` on the first socket of `socks` that takes it, or on a new
/// wildcard socket made by `open_new` when all refuse for their limits
/// (ENOBUFS). A fresh socket refusing too is the limit error.
pub fn place(
    socks: &mut Vec<Sock>,
    m: &Member,
    open_new: impl FnOnce() -> Result<Sock>,
) -> Result<Placed> {
    debug_assert!(!socks.iter().any(|s| s.holds(m)));
    let mut refused = None;
    for (i, s) in socks.iter_mut().enumerate() {
        if !s.takes(m.pair.group) {
            continue;
        }
        match join(s.fd, m) {
            Ok(()) => {
                s.members.push(*m);
                return Ok(Placed {
                    sock: i,
                    new: false,
                });
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => refused = Some(e),
            Err(e) => return Err(join_error(m, e)),
        }
    }
    let mut s = open_new()?;
    match join(s.fd, m) {
        Ok(()) => {
            s.members.push(*m);
            socks.push(s);
            Ok(Placed {
                sock: socks.len() - 1,
                new: true,
            })
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => Err(limit_error(m, e)),
        Err(e) => Err(join_error(m, refused.unwrap_or(e))),
    }
}

/// "join 239.1.2.3 from 10.0.0.1 on interface lo (1)".
pub fn describe(m: &Member) -> String {
    let on = crate::socket::iface_label(m.ifindex);
    match m.pair.source {
        Some(src) => format!("join {} from source {src} on {on}", m.pair.group),
        None => format!("join {} on {on}", m.pair.group),
    }
}

fn join_error(m: &Member, e: std::io::Error) -> Error {
    let err = Error::os(describe(m), e);
    match (err.errno(), m.ifindex) {
        // The kernel picks the default interface from the routing table.
        (Some(libc::ENODEV), 0) => Error::new(
            err.kind(),
            format!(
                "{}; no route for {} chooses an interface: add one or set the interface",
                err.message(),
                m.pair.group
            ),
        ),
        _ => err,
    }
}

/// "its limit of WHAT, NAME, is VALUE here; raise it (sysctl -w NAME=N) or
/// INSTEAD": a kernel limit named with its value, read now (a sysctl that
/// only the initial network namespace has cannot be read in another).
pub fn limit_hint(name: &str, what: &str, instead: &str) -> String {
    let path = format!("/proc/sys/{}", name.replace('.', "/"));
    let value = match std::fs::read_to_string(path) {
        Ok(v) => format!("is {} here", v.trim()),
        Err(_) => "cannot be read in this network namespace (the initial one holds it)".into(),
    };
    format!("its limit of {what}, {name}, {value}; raise it (sysctl -w {name}=N) or {instead}")
}

/// ENOBUFS from a fresh socket: a kernel limit, named with its value. A
/// fresh socket holds no source list, and the kernel takes any first source
/// (igmp_max_msf / mld_max_msf only bound a list that exists): a
/// source-specific join it refuses hit the membership limit too.
fn limit_error(m: &Member, e: std::io::Error) -> Error {
    let (name, what) = if m.pair.group.is_ipv4() {
        (
            "net.ipv4.igmp_max_memberships",
            "group memberships per socket",
        )
    } else {
        (
            "net.core.optmem_max",
            "socket option memory (IPv6 memberships)",
        )
    };
    let err = Error::os(describe(m), e);
    Error::new(
        err.kind(),
        format!(
            "{}: the kernel refuses even a new socket: {}",
            err.message(),
            limit_hint(name, what, "join fewer")
        ),
    )
}
