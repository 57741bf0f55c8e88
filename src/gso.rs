//! UDP segmentation offload for senders: packets are grouped into runs of
//! equal size (the last of a run may be shorter), and each run goes to the
//! kernel as one UDP_SEGMENT send that it splits into ordinary datagrams.
//! The state of each send socket (probed once, dropped on the first
//! refusal) and the planning of runs live here; the syscall is in sys.

use std::net::IpAddr;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::sys;

/// Most segments one UDP_SEGMENT send may carry (UDP_MAX_SEGMENTS: 64; newer
/// kernels allow 128, 64 works everywhere).
pub const MAX_SEGMENTS: usize = sys::MAX_SEGMENTS;

/// The largest UDP payload one datagram carries: 65,535 bytes less the
/// IPv4 (20) and UDP (8) headers, or less the UDP header alone for IPv6.
pub fn max_payload(v6: bool) -> usize {
    if v6 {
        65_527
    } else {
        65_507
    }
}

/// A run of consecutive packets: `count` of them from `start`, each of
/// `seg` bytes except perhaps the last. `count` 1 is an ordinary datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// The first packet's index.
    pub start: usize,
    /// How many packets.
    pub count: usize,
    /// The segment size (the first packet's length).
    pub seg: usize,
}

/// What bounds a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Segments per send (1: no GSO).
    pub max_segments: usize,
    /// Bytes of payload per send (65,507 over IPv4, 65,527 over IPv6).
    pub max_payload: usize,
    /// The largest segment: the interface MTU less the IP and UDP headers
    /// (GSO does not fragment, so a larger packet goes alone).
    pub max_segment: usize,
}

/// The run that starts at packet `start` (< `end`); `len(i)` is packet i's
/// length.
pub fn next_run(len: impl Fn(usize) -> usize, start: usize, end: usize, l: &Limits) -> Run {
    let seg = len(start);
    let mut run = Run {
        start,
        count: 1,
        seg,
    };
    if l.max_segments < 2 || seg == 0 || seg > l.max_segment {
        return run;
    }
    let mut total = seg;
    let mut i = start + 1;
    while i < end && run.count < l.max_segments {
        let n = len(i);
        if n == 0 || n > seg || total + n > l.max_payload {
            break;
        }
        total += n;
        run.count += 1;
        i += 1;
        if n < seg {
            break; // a shorter packet ends its run
        }
    }
    run
}

/// GSO state of one send socket, shared by the threads that use it.
#[derive(Debug)]
pub struct State {
    enabled: AtomicBool,
    max_segment: AtomicUsize,
    v6: bool,
}

impl State {
    /// Probes `fd` (does the kernel take UDP_SEGMENT?) and the MTU of the
    /// interface packets to `group` leave by (`ifindex`, or the route's).
    pub fn probe(fd: RawFd, v6: bool, ifindex: u32, group: IpAddr, wanted: bool) -> State {
        let s = State {
            enabled: AtomicBool::new(wanted && sys::gso_supported(fd)),
            max_segment: AtomicUsize::new(0),
            v6,
        };
        s.reprobe_mtu(fd, ifindex, group);
        s
    }

    /// Off: every send is an ordinary one.
    pub fn off(v6: bool) -> State {
        State {
            enabled: AtomicBool::new(false),
            max_segment: AtomicUsize::new(0),
            v6,
        }
    }

    /// Asks the interface's MTU again (after EMSGSIZE: it may have shrunk).
    pub fn reprobe_mtu(&self, fd: RawFd, ifindex: u32, group: IpAddr) {
        let ix = match ifindex {
            0 => crate::addr::route_ifindex(group).unwrap_or(0),
            i => i,
        };
        let headers = if self.v6 { 48 } else { 28 };
        let mtu = sys::index_to_name(ix)
            .and_then(|n| sys::interface_mtu(fd, &n))
            .unwrap_or(0);
        self.max_segment
            .store(mtu.saturating_sub(headers), Ordering::Relaxed);
    }

    /// Stops using GSO on this socket (after a refusal).
    pub fn disable(&self) {
        self.enabled.store(false, Ordering::Relaxed);
    }

    /// True while GSO is in use.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed) && self.max_segment.load(Ordering::Relaxed) > 0
    }

    /// The limits a plan follows now.
    pub fn limits(&self) -> Limits {
        Limits {
            max_segments: if self.enabled() { MAX_SEGMENTS } else { 1 },
            max_payload: max_payload(self.v6),
            max_segment: self.max_segment.load(Ordering::Relaxed),
        }
    }
}

/// True for the errors after which a GSO send is retried as ordinary
/// sends: the kernel or the device refused segmentation (EIO, EINVAL,
/// EOPNOTSUPP), or a segment outgrew a shrunken MTU (EMSGSIZE).
pub fn is_refusal(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EIO) | Some(libc::EINVAL) | Some(libc::EOPNOTSUPP) | Some(libc::EMSGSIZE)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(lens: &[usize], l: &Limits) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < lens.len() {
            let r = next_run(|k| lens[k], i, lens.len(), l);
            out.push((r.start, r.count, r.seg));
            i += r.count;
        }
        out
    }

    const L: Limits = Limits {
        max_segments: 64,
        max_payload: 65_507,
        max_segment: 1472,
    };

    #[test]
    fn runs_of_equal_sizes_short_last() {
        assert_eq!(
            plan(&[100, 100, 100, 40, 100, 100], &L),
            vec![(0, 4, 100), (4, 2, 100)]
        );
        assert_eq!(plan(&[100, 200, 200], &L), vec![(0, 1, 100), (1, 2, 200)]);
        assert_eq!(plan(&[0, 0, 5], &L), vec![(0, 1, 0), (1, 1, 0), (2, 1, 5)]);
    }

    #[test]
    fn limits_bound_runs() {
        let many = vec![64; 130];
        assert_eq!(
            plan(&many, &L),
            vec![(0, 64, 64), (64, 64, 64), (128, 2, 64)]
        );
        // a packet above the segment limit goes alone
        assert_eq!(
            plan(&[1400, 1500, 1500], &L),
            vec![(0, 1, 1400), (1, 1, 1500), (2, 1, 1500)]
        );
        // the payload limit: 1400 * 46 = 64,400; a 47th would pass 65,507
        let big = vec![1400; 50];
        assert_eq!(plan(&big, &L)[0], (0, 46, 1400));
        let off = Limits {
            max_segments: 1,
            ..L
        };
        assert_eq!(plan(&[8, 8], &off), vec![(0, 1, 8), (1, 1, 8)]);
    }
}
