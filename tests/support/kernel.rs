//! Kernel features some tests need, probed in the test's own namespace,
//! never assumed: kernels differ between machines (one here is built
//! without multicast routing). A test that lacks one is skipped visibly:
//!
//! ```ignore
//! if !require_kernel(Feature::MulticastRouting) { return; }
//! ```
//!
//! prints `SKIPPED: <binary>::<test>: kernel lacks <feature> (<how it was
//! probed>)`, records it for `make test`'s summary line, and passes, also
//! under MC_REQUIRE_ALL=1: nothing can be installed to get a kernel feature.
//!
//! MC_PRETEND_KERNEL_LACKS=name,name (the names of [`Feature::name`]) makes
//! the probes answer "absent", to try the skip path on a kernel that has it.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::OnceLock;

/// A kernel feature a test may need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// IPv4 multicast routing (CONFIG_IP_MROUTE): what smcrouted needs.
    MulticastRouting,
    /// IPv6 multicast routing (CONFIG_IPV6_MROUTE).
    MulticastRouting6,
    /// UDP segmentation offload on send (UDP_SEGMENT, Linux 4.18).
    UdpGso,
    /// UDP receive coalescing (UDP_GRO, Linux 5.0).
    UdpGro,
}

impl Feature {
    /// The short name (MC_PRETEND_KERNEL_LACKS).
    pub fn name(self) -> &'static str {
        match self {
            Feature::MulticastRouting => "mroute",
            Feature::MulticastRouting6 => "mroute6",
            Feature::UdpGso => "udp_gso",
            Feature::UdpGro => "udp_gro",
        }
    }

    /// What the summary calls it.
    pub fn describe(self) -> &'static str {
        match self {
            Feature::MulticastRouting => "IPv4 multicast routing",
            Feature::MulticastRouting6 => "IPv6 multicast routing",
            Feature::UdpGso => "UDP GSO (UDP_SEGMENT)",
            Feature::UdpGro => "UDP GRO (UDP_GRO)",
        }
    }
}

/// Ok if the kernel has `f`, else how the probe found it absent.
pub fn probe(f: Feature) -> Result<(), String> {
    let pretend = std::env::var("MC_PRETEND_KERNEL_LACKS").unwrap_or_default();
    if pretend.split(',').any(|n| n.trim() == f.name()) {
        return Err(format!("MC_PRETEND_KERNEL_LACKS={pretend}"));
    }
    // One probe per process and feature: the answer does not change.
    static CACHE: [OnceLock<Result<(), String>>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    CACHE[f as usize].get_or_init(|| run_probe(f)).clone()
}

fn run_probe(f: Feature) -> Result<(), String> {
    // 200 is MRT_INIT and MRT6_INIT (linux/mroute.h, mroute6.h); 103 UDP_SEGMENT, 104 UDP_GRO.
    let (domain, kind, proto, level, opt, what) = match f {
        Feature::MulticastRouting => (
            libc::AF_INET,
            libc::SOCK_RAW,
            libc::IPPROTO_IGMP,
            libc::IPPROTO_IP,
            200,
            "setsockopt(IPPROTO_IP, MRT_INIT) on a raw IGMP socket",
        ),
        Feature::MulticastRouting6 => (
            libc::AF_INET6,
            libc::SOCK_RAW,
            libc::IPPROTO_ICMPV6,
            libc::IPPROTO_IPV6,
            200,
            "setsockopt(IPPROTO_IPV6, MRT6_INIT) on a raw ICMPv6 socket",
        ),
        Feature::UdpGso => (
            libc::AF_INET,
            libc::SOCK_DGRAM,
            0,
            libc::SOL_UDP,
            103,
            "setsockopt(SOL_UDP, UDP_SEGMENT, 1400) on a UDP socket",
        ),
        Feature::UdpGro => (
            libc::AF_INET,
            libc::SOCK_DGRAM,
            0,
            libc::SOL_UDP,
            104,
            "setsockopt(SOL_UDP, UDP_GRO, 1) on a UDP socket",
        ),
    };
    // SAFETY: plain syscall; the fd is owned below.
    let fd = unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC, proto) };
    if fd < 0 {
        return Err(format!(
            "socket() for {what}: {}",
            io::Error::last_os_error()
        ));
    }
    // SAFETY: fd is a fresh descriptor nobody else owns; closing it ends a
    // multicast routing instance the probe started.
    let _fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let value: libc::c_int = if f == Feature::UdpGso { 1400 } else { 1 };
    // SAFETY: value is a c_int of the size given.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            opt,
            &value as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    // EADDRINUSE: another routing daemon of this namespace holds it: the
    // kernel has the feature.
    if e.raw_os_error() == Some(libc::EADDRINUSE) {
        return Ok(());
    }
    Err(format!("{what}: {e}"))
}

/// True if the kernel has `f`; otherwise skips the calling test (see the
/// module's doc) and returns false.
pub fn require_kernel(f: Feature) -> bool {
    match probe(f) {
        Ok(()) => true,
        Err(how) => {
            super::record_skip(
                &format!("kernel lacks {} ({how})", f.describe()),
                &format!("kernel\t{}\t{how}", f.describe()),
            );
            false
        }
    }
}

/// UDP GSO and GRO both (the tests that count coalesced runs, or send with
/// UDP_SEGMENT themselves); skips the calling test without them.
pub fn gso_and_gro() -> bool {
    require_kernel(Feature::UdpGso) && require_kernel(Feature::UdpGro)
}
