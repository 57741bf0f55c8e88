//! epoll: the poller's wait set and its event buffer.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::cvt;

/// An epoll instance.
#[derive(Debug)]
pub struct Epoll(OwnedFd);

/// Room for the events one `epoll_wait` returns (left uninitialized: the
/// kernel writes the first n, and only those are read).
pub struct EventBuf([std::mem::MaybeUninit<libc::epoll_event>; 128], usize);

impl Default for EventBuf {
    fn default() -> EventBuf {
        // An array literal of uninit() is written out (a 1.5 KiB memset per
        // poll, measured); an uninit array of MaybeUninit is not.
        // SAFETY: an array of MaybeUninit needs no initialization.
        let events = unsafe {
            std::mem::MaybeUninit::<[std::mem::MaybeUninit<libc::epoll_event>; 128]>::uninit()
                .assume_init()
        };
        EventBuf(events, 0)
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

    /// Makes this fd (its number stays) name `fresh`'s epoll instance, and
    /// closes `fresh`'s own fd: whatever the old instance held (another
    /// process's registrations after a fork) is no longer seen here.
    pub fn replace_with(&self, fresh: Epoll) -> io::Result<()> {
        // SAFETY: both are valid fds we own; dup3 atomically closes the old
        // file behind self's number and makes it refer to fresh's.
        cvt(unsafe { libc::dup3(fresh.fd(), self.fd(), libc::O_CLOEXEC) }).map(|_| ())
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
