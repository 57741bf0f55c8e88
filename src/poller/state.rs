//! The poller's state: the poller itself, the kinds of its registrations
//! (user fds with callbacks, the library's objects, the interface watcher)
//! and the slots that hold them, and the receive batch its listeners share.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::os::fd::{OwnedFd, RawFd};
use std::rc::{Rc, Weak};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::netlink::Event;
use crate::sys::{self, Epoll, EventFd, RecvBatch};

/// Interest in readability (EPOLLIN | EPOLLPRI).
pub const READ: u32 = 1;
/// Interest in writability (EPOLLOUT).
pub const WRITE: u32 = 4;

pub(super) const STOP_TOKEN: u64 = u64::MAX;
pub(super) const READ_EVENTS: u32 =
    (libc::EPOLLIN | libc::EPOLLPRI | libc::EPOLLERR | libc::EPOLLHUP | libc::EPOLLRDHUP) as u32;

/// A callback for a user fd: called with the fd.
pub type IoFn = Box<dyn Fn(RawFd)>;

/// An object owned by a poller (a listener or a multicaster).
pub(crate) trait Source {
    /// Its registration of `fd` is ready with these epoll events.
    fn ready(&self, poller: &Poller, fd: RawFd, events: u32);
    /// The poller is being freed: close without touching the poller.
    fn shutdown(&self);
}

pub(crate) struct IoHandlers {
    pub(super) on_read: Option<IoFn>,
    pub(super) on_write: Option<IoFn>,
}

#[derive(Clone)]
pub(crate) enum Handler {
    Io(Rc<IoHandlers>),
    Object(Rc<dyn Source>),
    /// The rtnetlink socket of the interface watcher.
    Watcher,
}

pub(crate) struct Registration {
    pub(super) fd: RawFd,
    pub(super) interest: u32,
    pub(super) handler: Handler,
}

#[derive(Default)]
pub(crate) struct Slot {
    pub(super) generation: u32,
    pub(super) reg: Option<Registration>,
}

pub(super) fn epoll_bits(interest: u32) -> u32 {
    let mut e = 0;
    if interest & READ != 0 {
        e |= (libc::EPOLLIN | libc::EPOLLPRI) as u32;
    }
    if interest & WRITE != 0 {
        e |= libc::EPOLLOUT as u32;
    }
    e
}

pub(super) fn token(index: u32, generation: u32) -> u64 {
    ((index as u64) << 32) | generation as u64
}

/// An object that follows the system's interfaces (a listener).
pub(crate) trait Follower {
    /// Interfaces, addresses or routes changed (`events`; `now` is every
    /// interface as it is now).
    fn interfaces_changed(&self, poller: &Poller, events: &[Event], now: &[sys::Interface]);
}

pub(crate) struct Inner {
    pub(super) epoll: Epoll,
    pub(super) stop: EventFd,
    pub(super) slots: RefCell<Vec<Slot>>,
    pub(super) free: RefCell<Vec<u32>>,
    pub(super) by_fd: RefCell<HashMap<RawFd, u64>>,
    pub(super) polling: Cell<bool>,
    pub(super) stopped: Cell<bool>,
    pub(super) batch: Cell<Option<Box<RecvBatch>>>,
    pub(super) batch_slot: Cell<usize>,
    /// Opt-in: read at most every this many µs (0: off).
    pub(super) coalesce_us: Cell<u32>,
    /// Opt-in: before blocking, poll without waiting for this many µs.
    pub(super) spin_us: Cell<u32>,
    /// With coalescing: no wait starts before this.
    pub(super) next_read: Cell<Option<Instant>>,
    /// The default poller: the fork generation it was made in. In a child
    /// it is the parent's, and never touches the epoll set they share.
    pub(super) fork_gen: Cell<Option<u64>>,
    /// Listeners following the interfaces, and the rtnetlink socket that
    /// tells of changes (open only while there is a follower).
    pub(super) followers: RefCell<Vec<Weak<dyn Follower>>>,
    pub(super) watcher: RefCell<Option<(OwnedFd, u64)>>,
    /// rtnetlink messages the watcher dropped because the kernel did not
    /// send them.
    pub(super) refused_netlink: Cell<u64>,
    /// Registrations removed so far (to tell a just-removed registration's
    /// fetched events from events nobody here can dispatch).
    pub(super) removed: Cell<u64>,
}

/// An epoll-based event loop. Cloning gives another handle to the same poller.
#[derive(Clone)]
pub struct Poller {
    pub(super) inner: Rc<Inner>,
}

/// `MC_EINVAL` for a timeout below -1 (-1 is forever, not any negative).
pub(crate) fn check_timeout(timeout_ms: i32) -> Result<()> {
    if timeout_ms < -1 {
        return Err(Error::invalid(format!(
            "timeout_ms {timeout_ms}: must be -1 (forever), 0 (don't wait) or a number of ms"
        )));
    }
    Ok(())
}

impl Poller {
    /// A new poller with its own epoll fd and stop eventfd.
    pub fn new() -> Result<Poller> {
        let epoll = Epoll::new().map_err(|e| Error::os("epoll_create1", e))?;
        let stop = EventFd::new().map_err(|e| Error::os("eventfd", e))?;
        epoll
            .add(stop.fd(), libc::EPOLLIN as u32, STOP_TOKEN)
            .map_err(|e| Error::os("epoll_ctl(ADD stop eventfd)", e))?;
        Ok(Poller {
            inner: Rc::new(Inner {
                epoll,
                stop,
                slots: RefCell::new(Vec::new()),
                free: RefCell::new(Vec::new()),
                by_fd: RefCell::new(HashMap::new()),
                polling: Cell::new(false),
                stopped: Cell::new(false),
                batch: Cell::new(None),
                batch_slot: Cell::new(0),
                coalesce_us: Cell::new(0),
                spin_us: Cell::new(0),
                next_read: Cell::new(None),
                fork_gen: Cell::new(None),
                followers: RefCell::new(Vec::new()),
                watcher: RefCell::new(None),
                removed: Cell::new(0),
                refused_netlink: Cell::new(0),
            }),
        })
    }

    /// A number naming this poller while it exists (the C side files its
    /// objects' handles under it).
    pub fn id(&self) -> usize {
        Rc::as_ptr(&self.inner) as usize
    }

    pub(crate) fn downgrade(&self) -> Weak<Inner> {
        Rc::downgrade(&self.inner)
    }

    pub(crate) fn upgrade(w: &Weak<Inner>) -> Option<Poller> {
        w.upgrade().map(|inner| Poller { inner })
    }

    /// The epoll fd, to nest this poller in another event loop.
    pub fn fd(&self) -> RawFd {
        self.inner.epoll.fd()
    }

    /// The stop eventfd; writing 1 to it is what [`Poller::stop`] does.
    pub fn stop_fd(&self) -> RawFd {
        self.inner.stop.fd()
    }

    /// Wakes a blocked poll or loop, which then returns. Async-signal-safe.
    pub fn stop(&self) {
        sys::eventfd_signal(self.stop_fd());
    }

    /// True while this poller is polling (its callbacks are running).
    pub fn is_polling(&self) -> bool {
        self.inner.polling.get()
    }

    /// How many fds and objects are registered.
    pub fn registered(&self) -> usize {
        self.inner.by_fd.borrow().len()
    }

    /// True once if a stop arrived since the last call.
    pub fn take_stopped(&self) -> bool {
        self.inner.stopped.replace(false)
    }

    /// Lends the poller's receive batch (slots of at least `slot` bytes),
    /// shared by all its listeners; [`Poller::return_batch`] gives it back.
    /// A read nested in another gets a batch of its own.
    pub(crate) fn take_batch(&self, slot: usize) -> Box<RecvBatch> {
        let batch = match self.inner.batch.take() {
            Some(b) if b.slot_size() >= slot => b,
            _ => Box::new(RecvBatch::new(
                batch_slots(slot),
                slot.max(self.inner.batch_slot.get()),
            )),
        };
        self.inner.batch_slot.set(batch.slot_size());
        batch
    }

    /// Gives back the batch [`Poller::take_batch`] lent.
    pub(crate) fn return_batch(&self, batch: Box<RecvBatch>) {
        self.inner.batch.set(Some(batch));
    }
}

/// Datagrams per recvmmsg: 64, fewer for big mtus (about 1 MiB of buffers:
/// 16 slots of 64 KiB for a GRO socket, which reads whole runs).
fn batch_slots(slot: usize) -> usize {
    ((1 << 20) / slot.max(1)).clamp(8, 64)
}
