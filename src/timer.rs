//! The Timer: a function run from a poller's dispatch after a delay, then
//! periodically. One monotonic timerfd each, registered on the poller only
//! while armed, so that an armed timer keeps a loop running and a disarmed
//! one does not.
//!
//! Expirations the poller did not read in time are not made up: the
//! function runs once for all of them, and the timerfd counts the next
//! period from the expiry that was due. A timer stopped, re-armed or closed
//! while its expiry was already fetched in the same wait does not run for
//! it: removing the registration makes the poller skip the stale event, and
//! re-arming resets the timerfd's count.

use std::cell::Cell;
use std::os::fd::RawFd;
use std::rc::{Rc, Weak};

use crate::error::{Error, Result};
use crate::lifecycle::Lifecycle;
use crate::poller::{self, Handler, Poller, Source};
use crate::sys::TimerFd;

/// What a timer runs at each expiry.
pub type TimerFn = Box<dyn FnMut()>;

/// The largest delay or interval, in ms (a C `int`'s range).
pub const MAX_MS: u32 = i32::MAX as u32;

/// A timer. While armed its poller holds it too.
#[derive(Clone)]
pub struct Timer(pub(crate) Rc<TimerInner>);

#[doc(hidden)]
pub struct TimerInner {
    poller: Weak<poller::Inner>,
    me: Weak<TimerInner>,
    life: Lifecycle,
    fd: TimerFd,
    /// The poller registration while armed.
    token: Cell<Option<u64>>,
    /// The period of the armed timer (0: once).
    interval_ms: Cell<u32>,
    /// Bumped by every set and stop: an expiry handled while it changed
    /// belongs to the old arming.
    arming: Cell<u64>,
    callback: Cell<Option<TimerFn>>,
}

fn check_ms(what: &str, ms: u32) -> Result<()> {
    if ms > MAX_MS {
        return Err(Error::invalid(format!(
            "{what} {ms} ms: must be at most {MAX_MS}"
        )));
    }
    Ok(())
}

impl Timer {
    /// A timer on `poller` running `f` `delay_ms` from now (0: at the next
    /// poll), then every `interval_ms` (0: once, then disarmed).
    pub fn new(poller: &Poller, delay_ms: u32, interval_ms: u32, f: TimerFn) -> Result<Timer> {
        check_ms("delay", delay_ms)?;
        check_ms("interval", interval_ms)?;
        let fd = TimerFd::new().map_err(|e| Error::os("timer: timerfd_create", e))?;
        let inner = Rc::new_cyclic(|me| TimerInner {
            poller: poller.downgrade(),
            me: me.clone(),
            life: Lifecycle::new("timer", "by the program or with its poller"),
            fd,
            token: Cell::new(None),
            interval_ms: Cell::new(0),
            arming: Cell::new(0),
            callback: Cell::new(Some(f)),
        });
        inner.set(delay_ms, interval_ms)?;
        Ok(Timer(inner))
    }
}

impl std::ops::Deref for Timer {
    type Target = TimerInner;
    fn deref(&self) -> &TimerInner {
        &self.0
    }
}

impl TimerInner {
    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.life.is_closed()
    }

    /// True while armed.
    pub fn is_armed(&self) -> bool {
        self.token.get().is_some()
    }

    /// Re-arms it from now: `delay_ms` (0: at the next poll), then every
    /// `interval_ms` (0: once). Also from inside its own function.
    pub fn set(&self, delay_ms: u32, interval_ms: u32) -> Result<()> {
        self.life.check_open()?;
        check_ms("delay", delay_ms)?;
        check_ms("interval", interval_ms)?;
        let poller = Poller::upgrade(&self.poller)
            .ok_or_else(|| Error::closed("the timer's poller is gone"))?;
        if self.token.get().is_none() {
            let me: Rc<dyn Source> = self
                .me
                .upgrade()
                .ok_or_else(|| Error::closed("the timer is gone"))?;
            let tok = poller.add(self.fd.fd(), poller::READ, Handler::Object(me))?;
            self.token.set(Some(tok));
        }
        // A delay of 0 would disarm a timerfd: 1 ns is "at the next poll".
        let first_ns = (delay_ms as u64 * 1_000_000).max(1);
        if let Err(e) = self.fd.set(first_ns, interval_ms as u64 * 1_000_000) {
            self.unregister(&poller);
            return Err(Error::os("timer: timerfd_settime", e));
        }
        self.interval_ms.set(interval_ms);
        self.arming.set(self.arming.get() + 1);
        Ok(())
    }

    /// Disarms it: its function does not run until [`TimerInner::set`].
    pub fn stop(&self) -> Result<()> {
        self.life.check_open()?;
        self.disarm();
        Ok(())
    }

    fn disarm(&self) {
        let _ = self.fd.set(0, 0);
        self.arming.set(self.arming.get() + 1);
        if let Some(p) = Poller::upgrade(&self.poller) {
            self.unregister(&p);
        }
    }

    fn unregister(&self, poller: &Poller) {
        if let Some(tok) = self.token.take() {
            poller.remove(tok);
        }
    }

    /// Disarms and closes it: its function never runs again. Idempotent.
    pub fn close(&self) {
        if !self.life.close() {
            return;
        }
        self.disarm();
        drop(self.callback.take());
    }
}

impl Source for TimerInner {
    fn ready(&self, _poller: &Poller, _fd: RawFd, _events: u32) {
        if self.life.is_closed() || self.fd.expirations() == 0 {
            return; // re-armed since the event was fetched
        }
        let arming = self.arming.get();
        if let Some(mut f) = self.callback.take() {
            f();
            if !self.life.is_closed() {
                self.callback.set(Some(f));
            }
        }
        // A one-shot timer that its function did not re-arm is now disarmed.
        if !self.life.is_closed() && self.arming.get() == arming && self.interval_ms.get() == 0 {
            self.disarm();
        }
    }

    fn shutdown(&self) {
        self.life.close();
        self.token.set(None);
        drop(self.callback.take());
    }
}

impl std::fmt::Debug for TimerInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Timer(fd {}, armed {}, interval {} ms)",
            self.fd.fd(),
            self.is_armed(),
            self.interval_ms.get()
        )
    }
}
