//! rtnetlink sockets: the poller's event socket and the route query
//! (message bytes are built and parsed by `crate::netlink`).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::cvt;

/// A non-blocking NETLINK_ROUTE socket bound to `groups` (0: none, for
/// requests).
pub fn route_socket(groups: u32, nonblocking: bool) -> io::Result<OwnedFd> {
    let mut flags = libc::SOCK_RAW | libc::SOCK_CLOEXEC;
    if nonblocking {
        flags |= libc::SOCK_NONBLOCK;
    }
    // SAFETY: plain syscall; we own the fd it returns.
    let fd = cvt(unsafe { libc::socket(libc::AF_NETLINK, flags, libc::NETLINK_ROUTE) })?;
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: all-zero is a valid sockaddr_nl.
    let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    sa.nl_groups = groups;
    // SAFETY: sa is a valid sockaddr_nl of the size given.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &sa as *const libc::sockaddr_nl as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    })?;
    Ok(fd)
}

/// One read of a netlink socket into `buf` (without waiting on a
/// non-blocking socket): the bytes read (0 when nothing is there) and the
/// port id of the sender, 0 for the kernel. Any process may send to a
/// netlink socket, and only the kernel's messages are true, so callers drop
/// the others. ENOBUFS (the kernel dropped messages) is returned as an
/// error for the caller to resync.
pub fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<(usize, u32)> {
    // SAFETY: all-zero is a valid sockaddr_nl.
    let mut from: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    let mut from_len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    // SAFETY: buf is writable for its length; from and from_len are valid
    // for a sockaddr_nl.
    let r = unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr() as *mut libc::c_void,
            buf.len(),
            0,
            &mut from as *mut libc::sockaddr_nl as *mut libc::sockaddr,
            &mut from_len,
        )
    };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EAGAIN) {
            return Ok((0, 0));
        }
        return Err(e);
    }
    Ok((r as usize, from.nl_pid))
}

/// Sends `msg` to the kernel on `fd`, then reads answers until `done`
/// says it has one (or 1 s passed in all).
pub fn request<T>(
    fd: RawFd,
    msg: &[u8],
    mut done: impl FnMut(&[u8]) -> Option<T>,
) -> io::Result<Option<T>> {
    // SAFETY: all-zero is a valid sockaddr_nl: the kernel (pid 0).
    let mut to: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    to.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: msg and to are valid for the call.
    let r = unsafe {
        libc::sendto(
            fd,
            msg.as_ptr() as *const libc::c_void,
            msg.len(),
            0,
            &to as *const libc::sockaddr_nl as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut buf = vec![0u8; 8192];
    let end = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() || !super::eventfd::wait_readable(fd, left.as_millis().max(1) as i32) {
            return Ok(None);
        }
        let (n, sender) = recv(fd, &mut buf)?;
        if sender != 0 {
            continue; // not the kernel's answer
        }
        if let Some(t) = done(&buf[..n]) {
            return Ok(Some(t));
        }
    }
}
