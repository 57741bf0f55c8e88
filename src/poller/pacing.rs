//! Opt-in pacing of the wait: coalescing (a poll after one with events
//! waits until some µs have passed, so one wakeup reads many packets) and
//! spinning (waitless polls before a blocking one).

use std::time::{Duration, Instant};

use super::state::Poller;
use crate::error::{Error, Result};
use crate::sys::{self, EventBuf};

impl Poller {
    /// epoll_wait, with the opt-in coalescing pause before it and the
    /// opt-in spin (waitless polls) before a blocking wait.
    pub(super) fn wait(&self, events: &mut EventBuf, timeout_ms: i32) -> std::io::Result<usize> {
        if self.inner.spin_us.get() == 0 && self.inner.coalesce_us.get() == 0 {
            return self.inner.epoll.wait(events, timeout_ms); // the default: no clock reads
        }
        let deadline =
            (timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
        let left_ms = |deadline: Option<Instant>| match deadline {
            None => timeout_ms,
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .as_micros()
                .div_ceil(1000) as i32,
        };
        if timeout_ms != 0 {
            if let Some(t) = self.inner.next_read.take() {
                let mut pause = t.saturating_duration_since(Instant::now());
                if let Some(d) = deadline {
                    pause = pause.min(d.saturating_duration_since(Instant::now()));
                }
                // Interrupted by mc_stop: the stop fd is what it waits on.
                sys::wait_readable_for(self.stop_fd(), pause);
            }
            let spin = self.inner.spin_us.get();
            if spin > 0 {
                let end = Instant::now() + Duration::from_micros(spin as u64);
                loop {
                    let n = self.inner.epoll.wait(events, 0)?;
                    if n > 0 || Instant::now() >= end {
                        if n > 0 {
                            return Ok(n);
                        }
                        break;
                    }
                    std::hint::spin_loop();
                }
            }
        }
        self.inner.epoll.wait(events, left_ms(deadline))
    }

    /// Opt-in coalescing: after a poll that found events, the next one waits
    /// until `us` µs have passed before it looks, so that one wakeup reads
    /// many packets (less CPU per packet, up to `us` more latency). 0: off.
    pub fn set_coalesce_us(&self, us: u32) -> Result<()> {
        if us > 1_000_000 {
            return Err(Error::invalid(format!(
                "coalesce {us} us: must be 0..1000000"
            )));
        }
        self.inner.coalesce_us.set(us);
        self.inner.next_read.set(None);
        Ok(())
    }

    /// Opt-in busy polling: a poll that would block first polls without
    /// waiting for up to `us` µs (lower latency, a busy CPU). 0: off.
    pub fn set_spin_us(&self, us: u32) -> Result<()> {
        if us > 1_000_000 {
            return Err(Error::invalid(format!("spin {us} us: must be 0..1000000")));
        }
        self.inner.spin_us.set(us);
        Ok(())
    }
}
