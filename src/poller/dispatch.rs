//! One poll: the wait, then each event to its registration's handler.
//!
//! No borrow of the poller's state is held while a callback runs: dispatch
//! copies out an `Rc` of the handler, releases the borrow and calls it.
//! Handlers removed while any dispatch is running on this thread are kept
//! alive until the outermost dispatch ends (so a closed object's memory stays
//! valid for the rest of the callback that closed it).

use std::cell::{Cell, RefCell};
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use super::state::{check_timeout, Handler, Poller, READ_EVENTS, STOP_TOKEN};
use crate::error::{Error, Kind, Result};
use crate::sys::{self, EventBuf};

thread_local! {
    static DISPATCH_DEPTH: Cell<u32> = const { Cell::new(0) };
    static DEFERRED: RefCell<Vec<Handler>> = const { RefCell::new(Vec::new()) };
}

/// True while any poller's dispatch is running on this thread.
pub(crate) fn in_dispatch() -> bool {
    DISPATCH_DEPTH.with(|d| d.get() > 0)
}

/// Drops `h` now, or at the end of the outermost dispatch if one is running.
pub(super) fn release(h: Handler) {
    if in_dispatch() {
        DEFERRED.with(|d| d.borrow_mut().push(h));
    } else {
        drop(h);
    }
}

pub(super) struct DispatchGuard;

impl DispatchGuard {
    pub(super) fn enter() -> DispatchGuard {
        DISPATCH_DEPTH.with(|d| d.set(d.get() + 1));
        DispatchGuard
    }
}

impl Drop for DispatchGuard {
    fn drop(&mut self) {
        let depth = DISPATCH_DEPTH.with(|d| {
            d.set(d.get() - 1);
            d.get()
        });
        if depth == 0 {
            // One at a time, outside the borrow (dropping closes sockets);
            // popping keeps the list's capacity, so closing allocates nothing.
            while let Some(dead) = DEFERRED.with(|d| d.borrow_mut().pop()) {
                drop(dead);
            }
        }
    }
}

pub(super) struct RestorePolling<'a>(&'a Cell<bool>, bool);

impl Drop for RestorePolling<'_> {
    fn drop(&mut self) {
        self.0.set(self.1);
    }
}

pub(super) struct ResetPolling<'a>(&'a Cell<bool>);

impl Drop for ResetPolling<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl Poller {
    /// One wait of up to `timeout_ms` (0: none, -1: forever) and dispatch.
    /// Returns the number of registrations dispatched; EINTR gives 0.
    pub fn poll(&self, timeout_ms: i32) -> Result<usize> {
        check_timeout(timeout_ms)?;
        if self.is_polling() {
            return Err(Error::new(
                Kind::Busy,
                "called from inside this poller's own callback",
            ));
        }
        self.check_not_inherited()?;
        let mut events = EventBuf::default();
        let n = match self.wait(&mut events, timeout_ms) {
            Ok(n) => n,
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => return Ok(0),
            Err(e) => return Err(Error::os("epoll_wait", e)),
        };
        if n > 0 && self.inner.coalesce_us.get() > 0 {
            let gap = Duration::from_micros(self.inner.coalesce_us.get() as u64);
            self.inner.next_read.set(Some(Instant::now() + gap));
        }
        self.inner.polling.set(true);
        let _guard = DispatchGuard::enter();
        let _reset = ResetPolling(&self.inner.polling);
        let mut dispatched = 0;
        let mut strays = 0;
        let removed_before = self.inner.removed.get();
        for i in 0..n {
            let (tok, ev) = events.get(i);
            if tok == STOP_TOKEN {
                if self.inner.stop.drain() {
                    self.inner.stopped.set(true);
                }
                continue;
            }
            match self.dispatch(tok, ev) {
                Some(true) => dispatched += 1,
                Some(false) => {}
                None => strays += 1,
            }
        }
        // An event for no registration of ours that was not removed during
        // this dispatch comes back at every wait (level-triggered): a file
        // the program closed while a copy of it lives on (a dup, a forked
        // child), or registrations another process added to the epoll set
        // it shares with us after a fork. Only a fresh set gets rid of them.
        if strays as u64 > self.inner.removed.get() - removed_before {
            self.rebuild()?;
        }
        Ok(dispatched)
    }

    pub(super) fn current(&self, tok: u64) -> Option<(RawFd, Handler)> {
        let slots = self.inner.slots.borrow();
        let slot = slots.get((tok >> 32) as usize)?;
        if slot.generation != tok as u32 {
            return None;
        }
        slot.reg.as_ref().map(|r| (r.fd, r.handler.clone()))
    }

    /// Runs the handler of `tok`: None if no registration of ours has it
    /// (a stray event), Some(counted) otherwise.
    pub(super) fn dispatch(&self, tok: u64, ev: u32) -> Option<bool> {
        let (fd, handler) = self.current(tok)?;
        match handler {
            Handler::Object(o) => o.ready(self, fd, ev),
            Handler::Watcher => {
                self.interfaces_changed(fd);
                return Some(false); // the library's own: not counted
            }
            Handler::Io(h) => {
                let err = ev & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0;
                if ev & READ_EVENTS != 0 {
                    if let Some(f) = &h.on_read {
                        f(fd);
                    }
                }
                let to_write = ev & libc::EPOLLOUT as u32 != 0 || (err && h.on_read.is_none());
                if to_write && self.current(tok).is_some() {
                    if let Some(f) = &h.on_write {
                        f(fd);
                    }
                }
            }
        }
        Some(true)
    }

    /// Runs `f` as a dispatch of this poller: callbacks it runs cannot poll
    /// or free this poller (MC_EBUSY / ignored), and objects they close stay
    /// allocated until the outermost dispatch ends. For work that runs user
    /// callbacks outside `poll` (a pull-mode listener's first read).
    pub(crate) fn as_dispatch<R>(&self, f: impl FnOnce() -> R) -> R {
        let was = self.inner.polling.replace(true);
        let _guard = DispatchGuard::enter();
        let _restore = RestorePolling(&self.inner.polling, was);
        f()
    }

    /// Polls until [`Poller::stop`] or until nothing is registered, waiting
    /// up to `timeout_ms` per poll and sleeping `interval_ms` between polls
    /// (a stop also cuts the sleep short).
    pub fn run(&self, timeout_ms: i32, interval_ms: i32) -> Result<()> {
        check_timeout(timeout_ms)?;
        self.check_not_inherited()?;
        if interval_ms < 0 {
            return Err(Error::invalid(format!(
                "interval_ms {interval_ms}: must be 0 or more"
            )));
        }
        if self.is_polling() {
            return Err(Error::new(
                Kind::Busy,
                "called from inside this poller's own callback",
            ));
        }
        loop {
            if self.take_stopped() || self.registered() == 0 {
                return Ok(());
            }
            self.poll(timeout_ms)?;
            if self.take_stopped() {
                return Ok(());
            }
            if interval_ms > 0 && self.registered() > 0 {
                sys::wait_readable(self.stop_fd(), interval_ms);
            }
        }
    }
}
