//! timerfd: a monotonic timer as a file descriptor, readable when it expired.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::cvt;

/// A non-blocking, close-on-exec CLOCK_MONOTONIC timerfd, disarmed.
#[derive(Debug)]
pub struct TimerFd(OwnedFd);

fn timespec(ns: u64) -> libc::timespec {
    libc::timespec {
        tv_sec: (ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (ns % 1_000_000_000) as libc::c_long,
    }
}

impl TimerFd {
    /// A new disarmed timer.
    pub fn new() -> io::Result<TimerFd> {
        // SAFETY: plain syscall.
        let fd = cvt(unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        })?;
        // SAFETY: fd is a fresh descriptor we own.
        Ok(TimerFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Its fd.
    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    /// Arms it to expire `first_ns` from now (0: disarms it), then every
    /// `interval_ns` (0: once). Resets the count of expirations not read.
    pub fn set(&self, first_ns: u64, interval_ns: u64) -> io::Result<()> {
        let spec = libc::itimerspec {
            it_interval: timespec(interval_ns),
            it_value: timespec(first_ns),
        };
        // SAFETY: spec is a valid itimerspec; the old value is not asked for.
        cvt(unsafe { libc::timerfd_settime(self.fd(), 0, &spec, std::ptr::null_mut()) })?;
        Ok(())
    }

    /// Expirations since the last read or set; 0 if none (the read would block).
    pub fn expirations(&self) -> u64 {
        let mut n: u64 = 0;
        // SAFETY: reads 8 bytes into n.
        let r = unsafe { libc::read(self.fd(), &mut n as *mut u64 as *mut libc::c_void, 8) };
        if r == 8 {
            n
        } else {
            0
        }
    }
}
