//! The raw system calls that socket2 does not cover: epoll, eventfd, poll,
//! interface enumeration, index-based multicast joins, and batched
//! `recvmmsg`/`sendmmsg` with control-message parsing. Every `unsafe` block of
//! the core lives here, each with its SAFETY line.

use std::ffi::{CStr, CString};
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

// ---------------------------------------------------------------- epoll --

/// An epoll instance.
#[derive(Debug)]
pub struct Epoll(OwnedFd);

/// Room for the events one `epoll_wait` returns (left uninitialized: the
/// kernel writes the first n, and only those are read).
pub struct EventBuf([std::mem::MaybeUninit<libc::epoll_event>; 128], usize);

impl Default for EventBuf {
    fn default() -> EventBuf {
        EventBuf([std::mem::MaybeUninit::uninit(); 128], 0)
    }
}

impl EventBuf {
    /// Event `i` of the last wait: (token, event bits).
    pub fn get(&self, i: usize) -> (u64, u32) {
        assert!(i < self.1, "event {i} of {}", self.1);
        // SAFETY: the kernel wrote the first self.1 entries in wait().
        let e = unsafe { self.0[i].assume_init() };
        (e.u64, e.events)
    }
}

impl Epoll {
    /// A new close-on-exec epoll fd.
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: plain syscall; the fd it returns is owned by nobody else.
        let fd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: fd is a fresh, valid descriptor we own.
        Ok(Epoll(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// The epoll fd itself.
    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: token };
        // SAFETY: ev is a valid epoll_event for the duration of the call.
        cvt(unsafe { libc::epoll_ctl(self.fd(), op, fd, &mut ev) }).map(|_| ())
    }

    /// EPOLL_CTL_ADD.
    pub fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, events, token)
    }

    /// EPOLL_CTL_MOD.
    pub fn modify(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, events, token)
    }

    /// EPOLL_CTL_DEL.
    pub fn delete(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// epoll_wait into `buf`; returns how many events are ready.
    pub fn wait(&self, buf: &mut EventBuf, timeout_ms: i32) -> io::Result<usize> {
        buf.1 = 0;
        // SAFETY: buf.0 has room for buf.0.len() events; MaybeUninit has the
        // layout of epoll_event.
        let n = unsafe {
            libc::epoll_wait(
                self.fd(),
                buf.0.as_mut_ptr() as *mut libc::epoll_event,
                buf.0.len() as libc::c_int,
                timeout_ms,
            )
        };
        let n = cvt(n)? as usize;
        buf.1 = n;
        Ok(n)
    }
}

// -------------------------------------------------------------- eventfd --

/// A non-blocking eventfd used to wake a poller (`mc_stop`).
#[derive(Debug)]
pub struct EventFd(OwnedFd);

impl EventFd {
    /// A new non-blocking, close-on-exec eventfd.
    pub fn new() -> io::Result<EventFd> {
        // SAFETY: plain syscall.
        let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
        // SAFETY: fd is a fresh descriptor we own.
        Ok(EventFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Its fd.
    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    /// Reads and resets the counter; true if it was signalled.
    pub fn drain(&self) -> bool {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into v.
        let n = unsafe { libc::read(self.fd(), &mut v as *mut u64 as *mut libc::c_void, 8) };
        n == 8 && v > 0
    }
}

/// Adds 1 to the eventfd `fd`. Async-signal-safe: one write(2), no allocation.
pub fn eventfd_signal(fd: RawFd) {
    let v: u64 = 1;
    // SAFETY: writes 8 bytes from v; a bad fd only makes write fail.
    unsafe { libc::write(fd, &v as *const u64 as *const libc::c_void, 8) };
}

/// Waits up to `timeout_ms` for `fd` to become readable; true if it did.
pub fn wait_readable(fd: RawFd, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, timeout_ms) > 0 }
}

/// Waits up to `d` (µs precision) for `fd` to become readable.
pub fn wait_readable_for(fd: RawFd, d: std::time::Duration) -> bool {
    if d.is_zero() {
        return false;
    }
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ts = libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    };
    // SAFETY: one valid pollfd and a valid timespec; no signal mask change.
    unsafe { libc::ppoll(&mut p, 1, &ts, std::ptr::null()) > 0 }
}

// ----------------------------------------------------------- interfaces --

/// One network interface as getifaddrs(3) reports it.
#[derive(Debug, Clone)]
pub struct Interface {
    /// if_nametoindex of the name.
    pub index: u32,
    /// Its name.
    pub name: String,
    /// IFF_UP.
    pub up: bool,
    /// IFF_MULTICAST.
    pub multicast: bool,
    /// Its IPv4 and IPv6 addresses.
    pub addrs: Vec<IpAddr>,
}

/// Every interface of this network namespace, in index order.
pub fn interfaces() -> io::Result<Vec<Interface>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills head with a list we free below.
    cvt(unsafe { libc::getifaddrs(&mut head) })?;
    let mut out: Vec<Interface> = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: cur is a node of the list getifaddrs returned.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        let addr = if ifa.ifa_addr.is_null() {
            None
        } else {
            // SAFETY: ifa_addr points to a sockaddr of the family it names.
            unsafe { sockaddr_to_ip(ifa.ifa_addr) }
        };
        let entry = match out.iter_mut().position(|i| i.name == name) {
            Some(p) => &mut out[p],
            None => {
                let index = name_to_index(&name).unwrap_or(0);
                out.push(Interface {
                    index,
                    name,
                    up: ifa.ifa_flags & libc::IFF_UP as u32 != 0,
                    multicast: ifa.ifa_flags & libc::IFF_MULTICAST as u32 != 0,
                    addrs: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        if let Some(a) = addr {
            entry.addrs.push(a);
        }
    }
    // SAFETY: head came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out.retain(|i| i.index != 0);
    out.sort_by_key(|i| i.index);
    Ok(out)
}

/// # Safety
/// `sa` must point to a valid sockaddr of the family in its sa_family.
unsafe fn sockaddr_to_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    match (*sa).sa_family as i32 {
        libc::AF_INET => {
            let sin = &*(sa as *const libc::sockaddr_in);
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 => {
            let sin6 = &*(sa as *const libc::sockaddr_in6);
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

/// if_nametoindex(3).
pub fn name_to_index(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: c is NUL-terminated.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i)
}

/// if_indextoname(3).
pub fn index_to_name(index: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: buf has IF_NAMESIZE bytes as the call requires.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success buf holds a NUL-terminated name.
    Some(
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned(),
    )
}

// ------------------------------------------------------- socket options --

const MCAST_JOIN_GROUP: libc::c_int = 42;
const MCAST_JOIN_SOURCE_GROUP: libc::c_int = 46;
const SO_RXQ_OVFL: libc::c_int = 40;
const IP_PKTINFO: libc::c_int = 8;
const IPV6_RECVPKTINFO: libc::c_int = 49;
const IPV6_PKTINFO: libc::c_int = 50;

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

// ------------------------------------------------------------- recvmmsg --

/// Control-message room per datagram: pktinfo + ovfl, generously aligned.
const CMSG_ROOM: usize = 128;

/// One datagram of a received batch.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The bytes read (at most the mtu asked for).
    pub data: &'a [u8],
    /// The datagram's real size.
    pub size: usize,
    /// The sender.
    pub from: Option<SocketAddr>,
    /// The destination address from IP_PKTINFO / IPV6_PKTINFO.
    pub dst: Option<IpAddr>,
    /// The arrival interface; 0 if unknown.
    pub ifindex: u32,
    /// SO_RXQ_OVFL: the socket's cumulative kernel drop count, when reported.
    pub drops: Option<u32>,
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

    /// Reads up to `max` datagrams of up to `mtu` bytes each without waiting.
    /// Returns how many were read (0 when the socket is empty).
    pub fn recv(&mut self, fd: RawFd, mtu: usize, max: usize) -> io::Result<usize> {
        let n = max.clamp(1, self.hdrs.len());
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
    pub fn get(&self, i: usize) -> Received<'_> {
        debug_assert!(i < self.count);
        let h = &self.hdrs[i];
        let size = h.msg_len as usize;
        let len = size.min(self.iov_len);
        let data = &self.bufs[i * self.slot..i * self.slot + len];
        // SAFETY: the kernel filled names[i] with msg_namelen bytes of a sockaddr.
        let from = unsafe { storage_to_socketaddr(&self.names[i], h.msg_hdr.msg_namelen) };
        let mut out = Received {
            data,
            size,
            from,
            dst: None,
            ifindex: 0,
            drops: None,
        };
        // SAFETY: msg_control/msg_controllen describe the control data the
        // kernel wrote for this message; CMSG_* walk it within those bounds.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&h.msg_hdr);
            while !c.is_null() {
                let cm = &*c;
                let p = libc::CMSG_DATA(c);
                match (cm.cmsg_level, cm.cmsg_type) {
                    (libc::IPPROTO_IP, IP_PKTINFO) => {
                        let pi = std::ptr::read_unaligned(p as *const libc::in_pktinfo);
                        out.ifindex = pi.ipi_ifindex as u32;
                        out.dst =
                            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(pi.ipi_addr.s_addr))));
                    }
                    (libc::IPPROTO_IPV6, IPV6_PKTINFO) => {
                        let pi = std::ptr::read_unaligned(p as *const libc::in6_pktinfo);
                        out.ifindex = pi.ipi6_ifindex;
                        out.dst = Some(IpAddr::V6(Ipv6Addr::from(pi.ipi6_addr.s6_addr)));
                    }
                    (libc::SOL_SOCKET, SO_RXQ_OVFL) => {
                        out.drops = Some(std::ptr::read_unaligned(p as *const u32));
                    }
                    _ => {}
                }
                c = libc::CMSG_NXTHDR(&h.msg_hdr, c);
            }
        }
        out
    }
}

/// # Safety
/// `st` must hold a sockaddr of `len` bytes as the kernel wrote it.
unsafe fn storage_to_socketaddr(
    st: &libc::sockaddr_storage,
    len: libc::socklen_t,
) -> Option<SocketAddr> {
    match st.ss_family as i32 {
        libc::AF_INET if len as usize >= size_of::<libc::sockaddr_in>() => {
            let s = &*(st as *const _ as *const libc::sockaddr_in);
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(s.sin_addr.s_addr)),
                u16::from_be(s.sin_port),
            )))
        }
        libc::AF_INET6 if len as usize >= size_of::<libc::sockaddr_in6>() => {
            let s = &*(st as *const _ as *const libc::sockaddr_in6);
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(s.sin6_addr.s6_addr),
                u16::from_be(s.sin6_port),
                s.sin6_flowinfo,
                s.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

// ------------------------------------------------------------- sendmmsg --

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
