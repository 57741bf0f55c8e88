//! Pull mode: datagrams queue (up to QUEUE_LIMIT, the rest dropped and
//! counted) for `next`, which polls the listener's poller while it waits.

use std::cell::Ref;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use super::pulled::{Pulled, QUEUE_LIMIT};
use super::state::ListenerInner;
use super::stats::add;
use crate::error::{Error, Kind, Result};
use crate::packet::Packet;
use crate::poller::check_timeout;

impl ListenerInner {
    /// Pull mode: the next packet, waiting up to `timeout_ms` (-1: forever)
    /// while polling this listener's poller. None on timeout or mc_stop.
    pub fn next(&self, timeout_ms: i32) -> Result<Option<Ref<'_, Pulled>>> {
        self.life.check_open()?;
        if !self.pull {
            return Err(Error::invalid(
                "this listener has an on_packet callback (pull mode needs on_packet NULL)",
            ));
        }
        check_timeout(timeout_ms)?;
        let poller = self.poller()?;
        if poller.is_polling() {
            // Also from its own filter: a nested read would run without it.
            return Err(Error::new(
                Kind::Busy,
                "called from inside a callback of the listener's poller",
            ));
        }
        let deadline =
            (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
        if self.queue.borrow().is_empty() {
            // The filter may run here: as in a dispatch, it may close this
            // listener (freed only when the dispatch ends) but not poll.
            let fds: Vec<RawFd> = self.socks.borrow().iter().map(|s| s.fd).collect();
            poller.as_dispatch(|| {
                for fd in fds {
                    self.drain(&poller, fd);
                }
            });
            self.life.check_open()?;
        }
        while self.queue.borrow().is_empty() {
            let wait = match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() && timeout_ms != 0 {
                        return Ok(None);
                    }
                    // Rounded up: rounding down would spin on poll(0) in the last ms.
                    left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
                }
            };
            poller.poll(wait)?;
            self.life.check_open()?;
            if poller.take_stopped() || timeout_ms == 0 {
                break;
            }
        }
        let Some(p) = self.queue.borrow_mut().pop_front() else {
            return Ok(None);
        };
        if let Some(old) = self.current.replace(Some(p)) {
            self.spare.borrow_mut().push(old);
        }
        Ok(Some(Ref::map(self.current.borrow(), |c| {
            c.as_ref().expect("just set")
        })))
    }

    pub(super) fn enqueue(&self, p: &Packet<'_>) {
        let mut q = self.queue.borrow_mut();
        if q.len() >= QUEUE_LIMIT {
            add(&self.counts.queue_drops, 1);
            return;
        }
        add(&self.counts.delivered, 1);
        let mut slot = self.spare.borrow_mut().pop().unwrap_or_default();
        slot.buf.clear();
        slot.buf.extend_from_slice(p.data());
        let mut meta = Packet::new(&[], p.size, p.from, p.group);
        meta.ifindex = p.ifindex;
        meta.timestamp_ns = p.timestamp_ns;
        meta.ttl = p.ttl;
        slot.meta = Some(meta);
        q.push_back(slot);
    }
}
