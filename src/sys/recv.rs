//! recvmmsg into buffers allocated once; each datagram's control messages
//! are handed back as raw bytes (the core parses them: `cmsg::parse`).

use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::RawFd;

/// Control-message room per datagram: pktinfo, drop count, timestamp, TTL
/// and GRO segment size, each CMSG_SPACE-aligned (40 + 24 + 32 + 24 + 24).
const CMSG_ROOM: usize = 192;

/// An address and port in the layout of the C API's `mc_addr`: family
/// `AF_INET`/`AF_INET6` (0: none), port in host order, IPv6 scope, the
/// address in network byte order (IPv4 in the first 4 bytes). The receive
/// fills it straight from the kernel's sockaddr.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawAddr {
    /// AF_INET, AF_INET6, or 0 for no address.
    pub family: u16,
    /// Host byte order.
    pub port: u16,
    /// IPv6 interface index for link-local scope; 0 otherwise.
    pub scope_id: u32,
    /// Network byte order; IPv4 uses the first 4 bytes.
    pub ip: [u8; 16],
}

/// One datagram (or, on a UDP_GRO socket, one coalesced run) of a batch.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The bytes read (at most the length asked for).
    pub data: &'a [u8],
    /// The datagram's (or run's) real size.
    pub size: usize,
    /// The sender (family 0 if the kernel gave none).
    pub from: RawAddr,
    /// Its control messages, as the kernel wrote them.
    pub control: &'a [u8],
}

/// Buffers for one `recvmmsg` call, allocated once and reused. The headers
/// point into the buffers once and for all (the Vecs never grow); a call only
/// resets the fields the kernel wrote back in the slots the last call used.
pub struct RecvBatch {
    slot: usize,
    bufs: Vec<u8>,
    names: Vec<libc::sockaddr_storage>,
    cmsgs: Vec<[u64; CMSG_ROOM / 8]>,
    iovs: Vec<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
    /// Datagrams the last call read (slots whose header fields changed).
    count: usize,
    /// The iov_len every slot has now.
    iov_len: usize,
}

impl RecvBatch {
    /// Room for `slots` datagrams of up to `slot` bytes each.
    pub fn new(slots: usize, slot: usize) -> RecvBatch {
        let slots = slots.max(1);
        // SAFETY: these are plain C structs for which all-zero is valid.
        let (name, iov, hdr) = unsafe { (zeroed(), zeroed(), zeroed()) };
        let mut b = RecvBatch {
            slot,
            bufs: vec![0; slots * slot],
            names: vec![name; slots],
            cmsgs: vec![[0; CMSG_ROOM / 8]; slots],
            iovs: vec![iov; slots],
            hdrs: vec![hdr; slots],
            count: 0,
            iov_len: slot,
        };
        let base = b.bufs.as_mut_ptr();
        for i in 0..slots {
            b.iovs[i] = libc::iovec {
                // SAFETY: i * slot + slot <= bufs.len().
                iov_base: unsafe { base.add(i * slot) } as *mut libc::c_void,
                iov_len: slot,
            };
            let h = &mut b.hdrs[i].msg_hdr;
            h.msg_name = &mut b.names[i] as *mut _ as *mut libc::c_void;
            h.msg_iov = &mut b.iovs[i];
            h.msg_iovlen = 1;
            h.msg_control = b.cmsgs[i].as_mut_ptr() as *mut libc::c_void;
            b.reset(i);
        }
        b
    }

    fn reset(&mut self, i: usize) {
        let h = &mut self.hdrs[i].msg_hdr;
        h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        h.msg_controllen = CMSG_ROOM;
        h.msg_flags = 0;
    }

    /// Bytes each slot holds.
    pub fn slot_size(&self) -> usize {
        self.slot
    }

    /// Datagrams one call can read.
    pub fn slots(&self) -> usize {
        self.hdrs.len()
    }

    /// Before a read: every slot takes `mtu` bytes (at most its size), and
    /// the slots the last read used are reset for the kernel to fill.
    fn prepare(&mut self, mtu: usize) {
        let len = mtu.min(self.slot);
        if len != self.iov_len {
            for iov in &mut self.iovs {
                iov.iov_len = len;
            }
            self.iov_len = len;
        }
        for i in 0..self.count {
            self.reset(i);
        }
    }

    /// Reads up to `max` datagrams of up to `mtu` bytes each without waiting.
    /// Returns how many were read (0 when the socket is empty).
    pub fn recv(&mut self, fd: RawFd, mtu: usize, max: usize) -> io::Result<usize> {
        let n = max.clamp(1, self.hdrs.len());
        self.prepare(mtu);
        self.count = 0;
        // SAFETY: every header points into buffers owned by self, sized as
        // declared; the Vecs are never resized, so the pointers stay valid.
        let r = unsafe {
            libc::recvmmsg(
                fd,
                self.hdrs.as_mut_ptr(),
                n as libc::c_uint,
                libc::MSG_DONTWAIT | libc::MSG_TRUNC,
                std::ptr::null_mut(),
            )
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EAGAIN) => Ok(0),
                _ => {
                    self.count = n; // the kernel may have written any of them
                    Err(e)
                }
            };
        }
        self.count = r as usize;
        Ok(self.count)
    }

    /// Datagram `i` of the last `recv` (i < its result).
    #[inline]
    pub fn get(&self, i: usize) -> Received<'_> {
        debug_assert!(i < self.count);
        let h = &self.hdrs[i];
        let size = h.msg_len as usize;
        let len = size.min(self.iov_len);
        let data = &self.bufs[i * self.slot..i * self.slot + len];
        // SAFETY: the kernel filled names[i] with msg_namelen bytes of a sockaddr.
        let from = unsafe { storage_to_raw(&self.names[i], h.msg_hdr.msg_namelen) };
        let clen = h.msg_hdr.msg_controllen.min(CMSG_ROOM);
        // SAFETY: cmsgs[i] is CMSG_ROOM bytes of plain integers; the kernel
        // wrote the first msg_controllen of them.
        let control =
            unsafe { std::slice::from_raw_parts(self.cmsgs[i].as_ptr() as *const u8, clen) };
        Received {
            data,
            size,
            from,
            control,
        }
    }
}

/// # Safety
/// `st` must hold a sockaddr of `len` bytes as the kernel wrote it.
#[inline]
unsafe fn storage_to_raw(st: &libc::sockaddr_storage, len: libc::socklen_t) -> RawAddr {
    let mut a = RawAddr::default();
    match st.ss_family as i32 {
        libc::AF_INET if len as usize >= size_of::<libc::sockaddr_in>() => {
            let s = &*(st as *const _ as *const libc::sockaddr_in);
            a.family = libc::AF_INET as u16;
            a.port = u16::from_be(s.sin_port);
            a.ip[..4].copy_from_slice(&s.sin_addr.s_addr.to_ne_bytes());
        }
        libc::AF_INET6 if len as usize >= size_of::<libc::sockaddr_in6>() => {
            let s = &*(st as *const _ as *const libc::sockaddr_in6);
            a.family = libc::AF_INET6 as u16;
            a.port = u16::from_be(s.sin6_port);
            a.scope_id = s.sin6_scope_id;
            a.ip = s.sin6_addr.s6_addr;
        }
        _ => {}
    }
    a
}
