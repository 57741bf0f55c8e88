//! Socket options socket2 does not cover: index-based multicast joins,
//! IP_MULTICAST_IF by index, pktinfo and drop-count control messages.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::RawFd;

use super::cvt;

const MCAST_JOIN_GROUP: libc::c_int = 42;
const MCAST_JOIN_SOURCE_GROUP: libc::c_int = 46;
pub(super) const SO_RXQ_OVFL: libc::c_int = 40;
pub(super) const IP_PKTINFO: libc::c_int = 8;
pub(super) const IPV6_RECVPKTINFO: libc::c_int = 49;
pub(super) const IPV6_PKTINFO: libc::c_int = 50;

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

/// MCAST_JOIN_SOURCE_GROUP: source-specific join.
pub fn join_source_group(fd: RawFd, group: IpAddr, source: IpAddr, ifindex: u32) -> io::Result<()> {
    // SAFETY: plain C struct; zeroing also clears the padding the kernel reads.
    let mut req: GroupSourceReq = unsafe { zeroed() };
    req.interface = ifindex;
    req.group = storage_of(group);
    req.source = storage_of(source);
    setsockopt(fd, level_of(group), MCAST_JOIN_SOURCE_GROUP, &req)
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

/// Asks for SO_RXQ_OVFL control messages and, if `pktinfo`, for
/// IP_PKTINFO/IPV6_PKTINFO.
pub fn enable_recv_info(fd: RawFd, v6: bool, pktinfo: bool) -> io::Result<()> {
    let one: libc::c_int = 1;
    if pktinfo && v6 {
        setsockopt(fd, libc::IPPROTO_IPV6, IPV6_RECVPKTINFO, &one)?;
    } else if pktinfo {
        setsockopt(fd, libc::IPPROTO_IP, IP_PKTINFO, &one)?;
    }
    setsockopt(fd, libc::SOL_SOCKET, SO_RXQ_OVFL, &one)
}
