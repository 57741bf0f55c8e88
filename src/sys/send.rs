//! sendmmsg (and sendto for one packet), waiting for writability, drop counts.

use std::io;
use std::mem::{size_of, zeroed};
use std::ops::Range;
use std::os::fd::RawFd;

use super::cvt;
use super::eventfd::wait_for;
use super::sockopt::UDP_SEGMENT;

/// Most datagrams handed to one sendmmsg call.
pub const SEND_BATCH: usize = 64;

/// Most segments one UDP_SEGMENT send may carry (the kernel's
/// UDP_MAX_SEGMENTS: 64; newer kernels allow 128, 64 works everywhere).
pub const MAX_SEGMENTS: usize = 64;

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
    wait_for(fd, libc::POLLOUT, timeout_ms)
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

/// True if the kernel knows UDP_SEGMENT on this socket (Linux 4.18+).
pub fn gso_supported(fd: RawFd) -> bool {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: v has len bytes of room.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_UDP,
            UDP_SEGMENT,
            &mut v as *mut libc::c_int as *mut libc::c_void,
            &mut len,
        )
    };
    r == 0
}

/// The MTU of interface `name` (SIOCGIFMTU on any socket `fd`).
pub fn interface_mtu(fd: RawFd, name: &str) -> Option<usize> {
    #[repr(C)]
    struct IfreqMtu {
        name: [u8; libc::IFNAMSIZ],
        mtu: libc::c_int,
        _pad: [u8; 20],
    }
    let b = name.as_bytes();
    if b.len() >= libc::IFNAMSIZ {
        return None;
    }
    // SAFETY: plain C struct for which all-zero is valid.
    let mut req: IfreqMtu = unsafe { zeroed() };
    req.name[..b.len()].copy_from_slice(b);
    // SAFETY: req is a valid struct ifreq (name, then the union's int).
    let r = unsafe { libc::ioctl(fd, libc::SIOCGIFMTU, &mut req) };
    (r == 0 && req.mtu > 0).then_some(req.mtu as usize)
}

/// Room for one sendmmsg of up to [`SEND_BATCH`] runs of up to
/// [`MAX_SEGMENTS`] packets: allocated once per sender, reused.
pub struct GsoBuf {
    iovs: Vec<libc::iovec>,
    /// Per run: its first iovec, how many, and its segment size if it is
    /// sent segmented (two packets or more).
    spans: Vec<(usize, usize, Option<usize>)>,
    hdrs: Vec<libc::mmsghdr>,
    cmsgs: Vec<[u64; 3]>,
    /// Small packets of a run copied end to end (allocated on first use,
    /// never grown): the kernel copies one iovec per run much faster than
    /// one per packet.
    flat: Vec<u8>,
}

/// Segments up to this size are gathered into `flat` when not contiguous.
const FLAT_SEGMENT: usize = 512;
/// Room of `flat`.
const FLAT_BYTES: usize = 256 << 10;

impl Default for GsoBuf {
    fn default() -> GsoBuf {
        GsoBuf {
            iovs: Vec::with_capacity(SEND_BATCH * MAX_SEGMENTS),
            spans: Vec::with_capacity(SEND_BATCH),
            hdrs: Vec::with_capacity(SEND_BATCH),
            cmsgs: vec![[0; 3]; SEND_BATCH],
            flat: Vec::new(),
        }
    }
}

// SAFETY: the raw pointers inside point only into the GsoBuf's own Vecs
// during a send, which takes &mut self; between sends they are stale and
// never read.
unsafe impl Send for GsoBuf {}

/// One sendmmsg of `runs` (the first [`SEND_BATCH`] of them), each the
/// packets `start..end` (`packet(i)`) and their segment size: a run of one
/// packet is an ordinary datagram, a longer one a single send with a
/// UDP_SEGMENT control message (the segment size) that the kernel splits.
/// Returns how many runs the kernel took.
pub fn send_runs<'a>(
    fd: RawFd,
    dest: &socket2::SockAddr,
    packet: impl Fn(usize) -> &'a [u8],
    runs: impl IntoIterator<Item = (Range<usize>, usize)>,
    buf: &mut GsoBuf,
) -> io::Result<usize> {
    buf.iovs.clear();
    buf.spans.clear();
    buf.hdrs.clear();
    buf.flat.clear();
    for (packets, seg) in runs.into_iter().take(SEND_BATCH) {
        let segmented = (packets.len() > 1).then_some(seg);
        let first = buf.iovs.len();
        for p in packets.clone().map(&packet) {
            // Packets that follow each other in memory (a multicaster's batch,
            // an array of records) share one iovec.
            if buf.iovs.len() > first {
                let last = buf.iovs.last_mut().expect("len > first");
                if (last.iov_base as *const u8).wrapping_add(last.iov_len) == p.as_ptr() {
                    last.iov_len += p.len();
                    continue;
                }
            }
            buf.iovs.push(libc::iovec {
                iov_base: p.as_ptr() as *mut libc::c_void,
                iov_len: p.len(),
            });
        }
        let mut count = buf.iovs.len() - first;
        let bytes: usize = buf.iovs[first..].iter().map(|v| v.iov_len).sum();
        if count > 1 && seg <= FLAT_SEGMENT {
            if buf.flat.capacity() == 0 {
                buf.flat.reserve_exact(FLAT_BYTES);
            }
            if buf.flat.len() + bytes <= buf.flat.capacity() {
                // Within capacity: flat never reallocates, so the pointers of
                // runs gathered before stay valid.
                let at = buf.flat.len();
                for p in packets.map(&packet) {
                    buf.flat.extend_from_slice(p);
                }
                buf.iovs.truncate(first);
                buf.iovs.push(libc::iovec {
                    // SAFETY: at <= flat.len(): an offset into flat's buffer.
                    iov_base: unsafe { buf.flat.as_mut_ptr().add(at) } as *mut libc::c_void,
                    iov_len: bytes,
                });
                count = 1;
            }
        }
        buf.spans.push((first, count, segmented));
    }
    let n = buf.spans.len();
    if n == 0 {
        return Ok(0);
    }
    for (i, &(first_iov, iov_count, segmented)) in buf.spans.iter().enumerate() {
        // SAFETY: plain C struct for which all-zero is valid.
        let mut h: libc::mmsghdr = unsafe { zeroed() };
        h.msg_hdr.msg_name = dest.as_ptr() as *mut libc::c_void;
        h.msg_hdr.msg_namelen = dest.len();
        // SAFETY: first_iov + iov_count <= iovs.len(): pushed above, not moved since.
        h.msg_hdr.msg_iov = unsafe { buf.iovs.as_mut_ptr().add(first_iov) };
        h.msg_hdr.msg_iovlen = iov_count;
        if let Some(seg) = segmented {
            let c = buf.cmsgs[i].as_mut_ptr() as *mut u8;
            // SAFETY: cmsgs[i] is 24 bytes (CMSG_SPACE of a u16), 8-aligned;
            // the header and the u16 are written within it.
            unsafe {
                let hdr = c as *mut libc::cmsghdr;
                (*hdr).cmsg_len = libc::CMSG_LEN(size_of::<u16>() as u32) as usize;
                (*hdr).cmsg_level = libc::SOL_UDP;
                (*hdr).cmsg_type = UDP_SEGMENT;
                std::ptr::write_unaligned(libc::CMSG_DATA(hdr) as *mut u16, seg as u16);
            }
            h.msg_hdr.msg_control = c as *mut libc::c_void;
            // SAFETY: plain arithmetic macro.
            h.msg_hdr.msg_controllen =
                unsafe { libc::CMSG_SPACE(size_of::<u16>() as u32) } as usize;
        }
        buf.hdrs.push(h);
    }
    // SAFETY: n headers, each pointing at iovecs, buffers and control data
    // that stay valid for the call.
    let r = unsafe { libc::sendmmsg(fd, buf.hdrs.as_mut_ptr(), n as libc::c_uint, 0) };
    cvt(r).map(|r| r as usize)
}
