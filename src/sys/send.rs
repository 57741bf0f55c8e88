//! sendmmsg (and sendto for one packet), waiting for writability, drop counts.

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::RawFd;

use super::cvt;

/// Most datagrams handed to one sendmmsg call.
pub const SEND_BATCH: usize = 64;

/// sendmmsg of `packets` (at most [`SEND_BATCH`]) to `dest` (None: the
/// socket is connected). Returns how many the kernel took. One packet goes
/// with sendto(2), which costs less than a one-entry sendmmsg.
pub fn send_batch(
    fd: RawFd,
    dest: Option<&socket2::SockAddr>,
    packets: &[&[u8]],
) -> io::Result<usize> {
    let n = packets.len().min(SEND_BATCH);
    if n == 0 {
        return Ok(0);
    }
    let (name, namelen) = match dest {
        Some(d) => (d.as_ptr() as *const libc::sockaddr, d.len()),
        None => (std::ptr::null(), 0),
    };
    if n == 1 {
        let p = packets[0];
        // SAFETY: p and the destination are valid for the call.
        let r = unsafe {
            libc::sendto(
                fd,
                p.as_ptr() as *const libc::c_void,
                p.len(),
                0,
                name,
                namelen,
            )
        };
        return if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(1)
        };
    }
    let mut iovs = [std::mem::MaybeUninit::<libc::iovec>::uninit(); SEND_BATCH];
    let mut hdrs = [std::mem::MaybeUninit::<libc::mmsghdr>::uninit(); SEND_BATCH];
    for i in 0..n {
        let iov = iovs[i].write(libc::iovec {
            iov_base: packets[i].as_ptr() as *mut libc::c_void,
            iov_len: packets[i].len(),
        });
        // SAFETY: plain C struct for which all-zero is valid.
        let mut h: libc::mmsghdr = unsafe { zeroed() };
        h.msg_hdr.msg_name = name as *mut libc::c_void;
        h.msg_hdr.msg_namelen = namelen;
        h.msg_hdr.msg_iov = iov;
        h.msg_hdr.msg_iovlen = 1;
        hdrs[i].write(h);
    }
    // SAFETY: hdrs[..n] are initialized and point to iovecs and packet bytes
    // alive for the call; the kernel only reads through msg_name and the iovecs.
    let r = unsafe {
        libc::sendmmsg(
            fd,
            hdrs.as_mut_ptr() as *mut libc::mmsghdr,
            n as libc::c_uint,
            0,
        )
    };
    cvt(r).map(|r| r as usize)
}

/// Waits up to `timeout_ms` for `fd` to become writable; true if it did.
pub fn wait_writable(fd: RawFd, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, timeout_ms) > 0 }
}

/// The socket's kernel drop counter (SO_MEMINFO's SK_MEMINFO_DROPS): exact
/// at the time of the call, where SO_RXQ_OVFL only reports it per packet.
pub fn socket_drops(fd: RawFd) -> Option<u32> {
    const SO_MEMINFO: libc::c_int = 55;
    const SK_MEMINFO_DROPS: usize = 8;
    let mut info = [0u32; 16];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: info has len bytes of room; the kernel writes at most that.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            SO_MEMINFO,
            info.as_mut_ptr() as *mut libc::c_void,
            &mut len,
        )
    };
    let have = len as usize / size_of::<u32>();
    (r == 0 && have > SK_MEMINFO_DROPS).then_some(info[SK_MEMINFO_DROPS])
}
