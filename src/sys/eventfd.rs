//! eventfd (the stop fd) and waiting for readability.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::cvt;

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

/// Waits up to `timeout_ms` for `fd` to have one of poll(2)'s `events`;
/// true if it did.
pub fn wait_for(fd: RawFd, events: libc::c_short, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, timeout_ms) > 0 }
}

/// Waits up to `timeout_ms` for `fd` to become readable; true if it did.
pub fn wait_readable(fd: RawFd, timeout_ms: i32) -> bool {
    wait_for(fd, libc::POLLIN, timeout_ms)
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
