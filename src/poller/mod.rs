//! The Poller: an epoll event loop whose registrations are user fds and the
//! library's own objects (listeners, multicasters, the interface watcher).
//!
//! - `registry.rs`: the slab of registrations and their generation-checked
//!   tokens (add, modify, remove, close all, rebuild the epoll set);
//! - `dispatch.rs`: one poll (the wait, then each event to its handler) and
//!   the loop of polls, with
//!   the deferred release that keeps a closed object alive to the end of the
//!   callback that closed it;
//! - `pacing.rs`: opt-in coalescing and spinning around the wait;
//! - `watcher.rs`: the rtnetlink interface watcher and its followers;
//! - `fork.rs`: the default poller standing aside in a forked child.
//!
//! - `state.rs`: the poller, its registration types and the receive batch
//!   its listeners share.

mod dispatch;
mod fork;
mod pacing;
mod registry;
mod state;
mod watcher;

pub(crate) use state::{check_timeout, Follower, Handler, Inner, Source};
pub use state::{IoFn, Poller, READ, WRITE};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;
    use std::cell::Cell;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::rc::Rc;

    fn pair() -> (UnixStream, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        (a, b)
    }

    #[test]
    fn dispatch_counts_and_errors() {
        let p = Poller::new().unwrap();
        let (r, mut w) = pair();
        let hits = Rc::new(Cell::new(0));
        let h = hits.clone();
        p.register(
            r.as_raw_fd(),
            0,
            Some(Box::new(move |_| h.set(h.get() + 1))),
            None,
        )
        .unwrap();
        let again = p.register(r.as_raw_fd(), 0, Some(Box::new(|_| {})), None);
        assert_eq!(again.unwrap_err().kind(), Kind::Exists);
        assert_eq!(p.poll(0).unwrap(), 0);
        w.write_all(b"x").unwrap();
        assert_eq!(p.poll(1000).unwrap(), 1);
        assert_eq!(hits.get(), 1);
        assert_eq!(p.unregister(999).unwrap_err().kind(), Kind::NotFound);
        assert_eq!(
            p.modify(r.as_raw_fd(), 8).unwrap_err().kind(),
            Kind::Invalid
        );
        p.unregister(r.as_raw_fd()).unwrap();
        assert_eq!(p.registered(), 0);
    }

    #[test]
    fn removal_inside_dispatch_drops_fetched_events() {
        let p = Poller::new().unwrap();
        let (ra, mut wa) = pair();
        let (rb, mut wb) = pair();
        let b_calls = Rc::new(Cell::new(0));
        let (pc, bfd) = (p.clone(), rb.as_raw_fd());
        p.register(
            ra.as_raw_fd(),
            0,
            Some(Box::new(move |_| pc.unregister(bfd).unwrap())),
            None,
        )
        .unwrap();
        let bc = b_calls.clone();
        p.register(bfd, 0, Some(Box::new(move |_| bc.set(bc.get() + 1))), None)
            .unwrap();
        wa.write_all(b"a").unwrap();
        wb.write_all(b"b").unwrap();
        assert_eq!(p.poll(1000).unwrap(), 1);
        assert_eq!(b_calls.get(), 0);
    }

    #[test]
    fn reentrant_poll_is_busy_and_stop_ends_run() {
        let p = Poller::new().unwrap();
        let (r, mut w) = pair();
        let seen = Rc::new(Cell::new(None));
        let (pc, s) = (p.clone(), seen.clone());
        p.register(
            r.as_raw_fd(),
            0,
            Some(Box::new(move |_| {
                s.set(Some(pc.poll(0).unwrap_err().kind()));
                pc.stop();
            })),
            None,
        )
        .unwrap();
        w.write_all(b"x").unwrap();
        p.run(-1, 0).unwrap();
        assert_eq!(seen.get(), Some(Kind::Busy));
        assert!(p.close_all().is_ok());
    }
}
