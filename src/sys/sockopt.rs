//! Socket options socket2 does not cover: index-based multicast joins and
//! source blocks, IP_MULTICAST_IF by index, pktinfo and drop-count control
//! messages.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::RawFd;

use super::cvt;

const MCAST_JOIN_GROUP: libc::c_int = 42;
const MCAST_JOIN_SOURCE_GROUP: libc::c_int = 46;
const MCAST_LEAVE_GROUP: libc::c_int = 45;
const MCAST_LEAVE_SOURCE_GROUP: libc::c_int = 47;
const MCAST_BLOCK_SOURCE: libc::c_int = 43;
const MCAST_UNBLOCK_SOURCE: libc::c_int = 44;
const SO_TIMESTAMPNS: libc::c_int = 35;
const IP_RECVTTL: libc::c_int = 12;
const IPV6_RECVHOPLIMIT: libc::c_int = 51;
const IPV6_TCLASS: libc::c_int = 67;
/// UDP_GRO (Linux 5.0): coalesced receive.
pub const UDP_GRO: libc::c_int = 104;
/// UDP_SEGMENT (Linux 4.18): segmentation offload on send.
pub const UDP_SEGMENT: libc::c_int = 103;
const SO_RXQ_OVFL: libc::c_int = 40;
const IP_PKTINFO: libc::c_int = 8;
const IPV6_RECVPKTINFO: libc::c_int = 49;

#[repr(C)]
struct GroupReq {
    interface: u32,
    group: libc::sockaddr_storage,
}

#[repr(C)]
struct GroupSourceReq {
    interface: u32,
    group: libc::sockaddr_storage,
    source: libc::sockaddr_storage,
}

fn setsockopt<T>(fd: RawFd, level: libc::c_int, name: libc::c_int, val: &T) -> io::Result<()> {
    // SAFETY: val points to a T of size_of::<T>() bytes for the call.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            val as *const T as *const libc::c_void,
            size_of::<T>() as libc::socklen_t,
        )
    })
    .map(|_| ())
}

fn storage_of(ip: IpAddr) -> libc::sockaddr_storage {
    let sa: socket2::SockAddr = SocketAddr::new(ip, 0).into();
    // SAFETY: sockaddr_storage is plain data; zero is a valid value.
    let mut st: libc::sockaddr_storage = unsafe { zeroed() };
    // SAFETY: sa.len() <= size_of::<sockaddr_storage>() and both are plain bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(
            sa.as_ptr() as *const u8,
            &mut st as *mut _ as *mut u8,
            sa.len() as usize,
        )
    };
    st
}

fn level_of(ip: IpAddr) -> libc::c_int {
    if ip.is_ipv4() {
        libc::IPPROTO_IP
    } else {
        libc::IPPROTO_IPV6
    }
}

/// MCAST_JOIN_GROUP: join `group` on interface `ifindex` (0: the kernel's choice).
pub fn join_group(fd: RawFd, group: IpAddr, ifindex: u32) -> io::Result<()> {
    // SAFETY: plain C struct; zeroing also clears the padding the kernel reads.
    let mut req: GroupReq = unsafe { zeroed() };
    req.interface = ifindex;
    req.group = storage_of(group);
    setsockopt(fd, level_of(group), MCAST_JOIN_GROUP, &req)
}

/// MCAST_LEAVE_GROUP: leave `group` on interface `ifindex`. It works by the
/// index even after the device is gone (the socket's stale entry goes).
pub fn leave_group(fd: RawFd, group: IpAddr, ifindex: u32) -> io::Result<()> {
    // SAFETY: plain C struct; zeroing also clears the padding the kernel reads.
    let mut req: GroupReq = unsafe { zeroed() };
    req.interface = ifindex;
    req.group = storage_of(group);
    setsockopt(fd, level_of(group), MCAST_LEAVE_GROUP, &req)
}

/// A `struct group_source_req` option (`name`) of `group` and `source` on `ifindex`.
fn group_source(
    fd: RawFd,
    name: libc::c_int,
    group: IpAddr,
    source: IpAddr,
    ifindex: u32,
) -> io::Result<()> {
    // SAFETY: plain C struct; zeroing also clears the padding the kernel reads.
    let mut req: GroupSourceReq = unsafe { zeroed() };
    req.interface = ifindex;
    req.group = storage_of(group);
    req.source = storage_of(source);
    setsockopt(fd, level_of(group), name, &req)
}

/// MCAST_LEAVE_SOURCE_GROUP: leave one source of a source-specific join.
pub fn leave_source_group(
    fd: RawFd,
    group: IpAddr,
    source: IpAddr,
    ifindex: u32,
) -> io::Result<()> {
    group_source(fd, MCAST_LEAVE_SOURCE_GROUP, group, source, ifindex)
}

/// MCAST_BLOCK_SOURCE: the any-source membership of `group` on `ifindex`
/// stops taking datagrams from `source` (ENOBUFS past the kernel's limit of
/// sources per membership: igmp_max_msf / mld_max_msf).
pub fn block_source(fd: RawFd, group: IpAddr, source: IpAddr, ifindex: u32) -> io::Result<()> {
    group_source(fd, MCAST_BLOCK_SOURCE, group, source, ifindex)
}

/// MCAST_UNBLOCK_SOURCE: takes `source` off the membership's blocked list
/// (EADDRNOTAVAIL if it is not on it).
pub fn unblock_source(fd: RawFd, group: IpAddr, source: IpAddr, ifindex: u32) -> io::Result<()> {
    group_source(fd, MCAST_UNBLOCK_SOURCE, group, source, ifindex)
}

/// An `int` socket option.
pub fn set_int(fd: RawFd, level: libc::c_int, name: libc::c_int, value: i32) -> io::Result<()> {
    setsockopt(fd, level, name, &(value as libc::c_int))
}

/// Per-datagram receive information a listener asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecvInfo {
    /// IP_PKTINFO / IPV6_RECVPKTINFO (destination and interface).
    pub pktinfo: bool,
    /// SO_TIMESTAMPNS.
    pub timestamps: bool,
    /// IP_RECVTTL / IPV6_RECVHOPLIMIT.
    pub ttl: bool,
    /// UDP_GRO.
    pub gro: bool,
}

/// Turns on what `want` asks for (SO_RXQ_OVFL always). UDP_GRO that the
/// kernel does not know (ENOPROTOOPT) is left off: false is returned for it.
pub fn enable_recv(fd: RawFd, v6: bool, want: RecvInfo) -> io::Result<bool> {
    if want.pktinfo {
        if v6 {
            set_int(fd, libc::IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)?;
        } else {
            set_int(fd, libc::IPPROTO_IP, IP_PKTINFO, 1)?;
        }
    }
    if want.timestamps {
        set_int(fd, libc::SOL_SOCKET, SO_TIMESTAMPNS, 1)?;
    }
    if want.ttl {
        if v6 {
            set_int(fd, libc::IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)?;
        } else {
            set_int(fd, libc::IPPROTO_IP, IP_RECVTTL, 1)?;
        }
    }
    set_int(fd, libc::SOL_SOCKET, SO_RXQ_OVFL, 1)?;
    if want.gro {
        return match set_int(fd, libc::SOL_UDP, UDP_GRO, 1) {
            Ok(()) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ENOPROTOOPT) => Ok(false),
            Err(e) => Err(e),
        };
    }
    Ok(false)
}

/// IP_TOS / IPV6_TCLASS: the traffic-class byte of every packet sent.
pub fn set_tos(fd: RawFd, v6: bool, tos: u8) -> io::Result<()> {
    if v6 {
        set_int(fd, libc::IPPROTO_IPV6, IPV6_TCLASS, tos as i32)
    } else {
        set_int(fd, libc::IPPROTO_IP, libc::IP_TOS, tos as i32)
    }
}

/// MCAST_JOIN_SOURCE_GROUP: source-specific join.
pub fn join_source_group(fd: RawFd, group: IpAddr, source: IpAddr, ifindex: u32) -> io::Result<()> {
    group_source(fd, MCAST_JOIN_SOURCE_GROUP, group, source, ifindex)
}

/// IP_MULTICAST_IF by interface index (struct ip_mreqn); `source` becomes
/// the packets' source address (else the kernel may pick 0.0.0.0 on lo).
pub fn set_multicast_if_v4_index(
    fd: RawFd,
    ifindex: u32,
    source: Option<Ipv4Addr>,
) -> io::Result<()> {
    let req = libc::ip_mreqn {
        imr_multiaddr: libc::in_addr { s_addr: 0 },
        imr_address: libc::in_addr {
            s_addr: source.map_or(0, |a| u32::from(a).to_be()),
        },
        imr_ifindex: ifindex as libc::c_int,
    };
    setsockopt(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &req)
}
