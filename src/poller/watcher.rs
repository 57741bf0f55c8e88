//! The interface watcher: one rtnetlink socket per poller, open while a
//! listener follows the system's interfaces, read in the poller's dispatch;
//! what changed is told to every follower.

use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};

use super::state::{Follower, Handler, Poller, READ};
use crate::netlink::{self, Event};
use crate::sys;

impl Poller {
    /// rtnetlink messages the interface watcher dropped because they did
    /// not come from the kernel (another process wrote to its socket).
    pub fn refused_netlink_messages(&self) -> u64 {
        self.inner.refused_netlink.get()
    }

    /// Adds a follower of the interfaces; the first opens the rtnetlink
    /// watcher. Without a watcher (no netlink here) following is off.
    pub(crate) fn follow(&self, f: Weak<dyn Follower>) {
        if self.inherited() {
            return;
        }
        self.inner.followers.borrow_mut().push(f);
        if self.inner.watcher.borrow().is_some() {
            return;
        }
        let Ok(fd) = sys::netlink::route_socket(netlink::WATCH_GROUPS, true) else {
            return;
        };
        if let Ok(tok) = self.add(fd.as_raw_fd(), READ, Handler::Watcher) {
            *self.inner.watcher.borrow_mut() = Some((fd, tok));
        }
    }

    /// Removes a follower (and those gone); the last one closes the watcher.
    pub(crate) fn unfollow(&self, f: *const ()) {
        let empty = {
            let mut v = self.inner.followers.borrow_mut();
            v.retain(|w| w.strong_count() > 0 && w.as_ptr() as *const () != f);
            v.is_empty()
        };
        if empty {
            let w = self.inner.watcher.borrow_mut().take();
            if let Some((fd, tok)) = w {
                self.remove(tok);
                drop(fd);
            }
        }
    }

    /// The watcher's socket is readable: read what changed and tell every
    /// follower (no borrow held while they run: they may close listeners).
    pub(super) fn interfaces_changed(&self, fd: RawFd) {
        let mut events = Vec::new();
        let mut buf = vec![0u8; 16 << 10];
        for _ in 0..64 {
            match sys::netlink::recv(fd, &mut buf) {
                Ok((0, _)) => break,
                Ok((_, sender)) if sender != 0 => {
                    // Another process wrote to our socket: only the kernel
                    // tells the truth about interfaces.
                    let n = self.inner.refused_netlink.get();
                    self.inner.refused_netlink.set(n + 1);
                }
                Ok((n, _)) => events.extend(netlink::parse_events(&buf[..n])),
                Err(_) => {
                    // ENOBUFS: messages were lost; everything is looked at anew.
                    events.push(Event::Lost);
                }
            }
        }
        if events.is_empty() {
            return;
        }
        let now = sys::interfaces().unwrap_or_default();
        let followers: Vec<Rc<dyn Follower>> = self
            .inner
            .followers
            .borrow()
            .iter()
            .filter_map(|w| w.upgrade())
            .collect();
        for f in followers {
            f.interfaces_changed(self, &events, &now);
        }
    }
}
