//! The Poller: epoll with generation-checked registrations.
//!
//! Every registration lives in a slot of a slab; the epoll token is
//! `(slot index << 32) | generation`. Dispatch checks that the slot still
//! holds the same generation before each callback, which is all it takes for
//! the reentrancy promises: a registration removed (or removed and added
//! again) during a dispatch never sees the old events.
//!
//! No borrow of the poller's state is held while a callback runs: dispatch
//! copies out an `Rc` of the handler, releases the borrow and calls it.
//! Handlers removed while any dispatch is running on this thread are kept
//! alive until the outermost dispatch ends (so a closed object's memory stays
//! valid for the rest of the callback that closed it).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use crate::error::{Error, Kind, Result};
use crate::netlink::{self, Event};
use crate::sys::{self, Epoll, EventBuf, EventFd, RecvBatch};

/// Interest in readability (EPOLLIN | EPOLLPRI).
pub const READ: u32 = 1;
/// Interest in writability (EPOLLOUT).
pub const WRITE: u32 = 4;

const STOP_TOKEN: u64 = u64::MAX;
const READ_EVENTS: u32 =
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
    on_read: Option<IoFn>,
    on_write: Option<IoFn>,
}

/// An object that follows the system's interfaces (a listener).
pub(crate) trait Follower {
    /// Interfaces, addresses or routes changed (`events`; `now` is every
    /// interface as it is now).
    fn interfaces_changed(&self, poller: &Poller, events: &[Event], now: &[sys::Interface]);
}

#[derive(Clone)]
pub(crate) enum Handler {
    Io(Rc<IoHandlers>),
    Object(Rc<dyn Source>),
    /// The rtnetlink socket of the interface watcher.
    Watcher,
}

struct Registration {
    fd: RawFd,
    interest: u32,
    handler: Handler,
}

#[derive(Default)]
struct Slot {
    generation: u32,
    reg: Option<Registration>,
}

pub(crate) struct Inner {
    epoll: Epoll,
    stop: EventFd,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<u32>>,
    by_fd: RefCell<HashMap<RawFd, u64>>,
    polling: Cell<bool>,
    stopped: Cell<bool>,
    batch: Cell<Option<Box<RecvBatch>>>,
    batch_slot: Cell<usize>,
    /// Opt-in: read at most every this many µs (0: off).
    coalesce_us: Cell<u32>,
    /// Opt-in: before blocking, poll without waiting for this many µs.
    spin_us: Cell<u32>,
    /// With coalescing: no wait starts before this.
    next_read: Cell<Option<Instant>>,
    /// The default poller: the fork generation it was made in. In a child
    /// it is the parent's, and never touches the epoll set they share.
    fork_gen: Cell<Option<u64>>,
    /// Listeners following the interfaces, and the rtnetlink socket that
    /// tells of changes (open only while there is a follower).
    followers: RefCell<Vec<Weak<dyn Follower>>>,
    watcher: RefCell<Option<(OwnedFd, u64)>>,
    /// rtnetlink messages the watcher dropped because the kernel did not
    /// send them.
    refused_netlink: Cell<u64>,
    /// Registrations removed so far (to tell a just-removed registration's
    /// fetched events from events nobody here can dispatch).
    removed: Cell<u64>,
}

/// An epoll-based event loop. Cloning gives another handle to the same poller.
#[derive(Clone)]
pub struct Poller {
    inner: Rc<Inner>,
}

thread_local! {
    static DISPATCH_DEPTH: Cell<u32> = const { Cell::new(0) };
    static DEFERRED: RefCell<Vec<Handler>> = const { RefCell::new(Vec::new()) };
}

/// True while any poller's dispatch is running on this thread.
pub(crate) fn in_dispatch() -> bool {
    DISPATCH_DEPTH.with(|d| d.get() > 0)
}

/// Drops `h` now, or at the end of the outermost dispatch if one is running.
fn release(h: Handler) {
    if in_dispatch() {
        DEFERRED.with(|d| d.borrow_mut().push(h));
    } else {
        drop(h);
    }
}

struct DispatchGuard;

impl DispatchGuard {
    fn enter() -> DispatchGuard {
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

fn epoll_bits(interest: u32) -> u32 {
    let mut e = 0;
    if interest & READ != 0 {
        e |= (libc::EPOLLIN | libc::EPOLLPRI) as u32;
    }
    if interest & WRITE != 0 {
        e |= libc::EPOLLOUT as u32;
    }
    e
}

/// `MC_EINVAL` for a timeout below -1 (-1 is forever, not any negative).
pub(crate) fn check_timeout(what: &str, timeout_ms: i32) -> Result<()> {
    if timeout_ms < -1 {
        return Err(Error::invalid(format!(
            "{what}: timeout_ms {timeout_ms}: must be -1 (forever), 0 (don't wait) or a number of ms"
        )));
    }
    Ok(())
}

fn token(index: u32, generation: u32) -> u64 {
    ((index as u64) << 32) | generation as u64
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

    /// Makes this poller stand aside in a forked child: there it is the
    /// parent's (the process-wide default poller is made anew in a child), so
    /// it must not change the epoll set the two processes share.
    pub(crate) fn stand_aside_after_fork(&self) {
        sys::watch_forks();
        self.inner.fork_gen.set(Some(sys::fork_generation()));
    }

    /// True in a forked child for a poller that stands aside there.
    fn inherited(&self) -> bool {
        self.inner
            .fork_gen
            .get()
            .is_some_and(|g| g != sys::fork_generation())
    }

    fn check_not_inherited(&self, what: &str) -> Result<()> {
        if self.inherited() {
            return Err(Error::new(
                Kind::Closed,
                format!("{what}: this default poller belongs to the parent process (after fork(), the child has a new default poller)"),
            ));
        }
        Ok(())
    }

    /// True while this poller is polling (its callbacks are running).
    pub fn is_polling(&self) -> bool {
        self.inner.polling.get()
    }

    /// How many fds and objects are registered.
    pub fn registered(&self) -> usize {
        self.inner.by_fd.borrow().len()
    }

    /// Registers a user fd. Interest is `flags` plus READ/WRITE for each
    /// handler given. Errors and hang-ups go to `on_read`, or `on_write`
    /// when there is no `on_read`.
    pub fn register(
        &self,
        fd: RawFd,
        flags: u32,
        on_read: Option<IoFn>,
        on_write: Option<IoFn>,
    ) -> Result<()> {
        if fd < 0 {
            return Err(Error::invalid(format!(
                "register fd {fd}: not a file descriptor"
            )));
        }
        if flags & !(READ | WRITE) != 0 {
            return Err(Error::invalid(format!(
                "register fd {fd}: flags {flags:#x} has bits other than MC_READ (1) and MC_WRITE (4)"
            )));
        }
        let interest = flags
            | if on_read.is_some() { READ } else { 0 }
            | if on_write.is_some() { WRITE } else { 0 };
        let handler = Handler::Io(Rc::new(IoHandlers { on_read, on_write }));
        self.add(fd, interest, handler).map(|_| ())
    }

    /// Adds a registration; returns its token.
    pub(crate) fn add(&self, fd: RawFd, interest: u32, handler: Handler) -> Result<u64> {
        self.check_not_inherited("register")?;
        self.forget_if_stale(fd);
        if self.inner.by_fd.borrow().contains_key(&fd) {
            return Err(Error::new(
                Kind::Exists,
                format!("register fd {fd}: already registered on this poller"),
            ));
        }
        let tok = {
            let mut slots = self.inner.slots.borrow_mut();
            let index = match self.inner.free.borrow_mut().pop() {
                Some(i) => i,
                None => {
                    slots.push(Slot::default());
                    (slots.len() - 1) as u32
                }
            };
            let slot = &mut slots[index as usize];
            slot.reg = Some(Registration {
                fd,
                interest,
                handler,
            });
            token(index, slot.generation)
        };
        if let Err(e) = self.inner.epoll.add(fd, epoll_bits(interest), tok) {
            let h = self.vacate(tok);
            drop(h);
            return Err(Error::os(format!("register fd {fd}: epoll_ctl(ADD)"), e));
        }
        self.inner.by_fd.borrow_mut().insert(fd, tok);
        Ok(tok)
    }

    /// A fd the program closed without unregistering leaves our entry
    /// behind while epoll already dropped it; a new fd with that number must
    /// still register. epoll answers ENOENT/EBADF for such a fd.
    fn forget_if_stale(&self, fd: RawFd) {
        let Some(tok) = self.inner.by_fd.borrow().get(&fd).copied() else {
            return;
        };
        let interest = self.interest_of(tok).unwrap_or(0);
        if let Err(e) = self.inner.epoll.modify(fd, epoll_bits(interest), tok) {
            if matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::EBADF)) {
                self.inner.by_fd.borrow_mut().remove(&fd);
                if let Some((_, h)) = self.vacate(tok) {
                    release(h);
                }
            }
        }
    }

    fn interest_of(&self, tok: u64) -> Option<u32> {
        let slots = self.inner.slots.borrow();
        let slot = slots.get((tok >> 32) as usize)?;
        match &slot.reg {
            Some(r) if slot.generation == tok as u32 => Some(r.interest),
            _ => None,
        }
    }

    /// Empties the slot of `tok` (bumping its generation); returns its fd
    /// and handler.
    fn vacate(&self, tok: u64) -> Option<(RawFd, Handler)> {
        let index = (tok >> 32) as u32;
        let mut slots = self.inner.slots.borrow_mut();
        let slot = slots.get_mut(index as usize)?;
        if slot.generation != tok as u32 {
            return None;
        }
        let reg = slot.reg.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.inner.removed.set(self.inner.removed.get() + 1);
        self.inner.free.borrow_mut().push(index);
        Some((reg.fd, reg.handler))
    }

    fn token_of(&self, fd: RawFd, what: &str) -> Result<u64> {
        self.inner.by_fd.borrow().get(&fd).copied().ok_or_else(|| {
            Error::new(
                Kind::NotFound,
                format!("{what} fd {fd}: not registered on this poller"),
            )
        })
    }

    fn is_object(&self, tok: u64) -> bool {
        let slots = self.inner.slots.borrow();
        matches!(
            slots.get((tok >> 32) as usize).and_then(|s| s.reg.as_ref()),
            Some(Registration {
                handler: Handler::Object(_) | Handler::Watcher,
                ..
            })
        )
    }

    /// Replaces the interest set of a user fd (its handlers stay).
    pub fn modify(&self, fd: RawFd, flags: u32) -> Result<()> {
        if flags & !(READ | WRITE) != 0 {
            return Err(Error::invalid(format!(
                "modify fd {fd}: flags {flags:#x} has bits other than MC_READ (1) and MC_WRITE (4)"
            )));
        }
        self.forget_if_stale(fd);
        let tok = self.token_of(fd, "modify")?;
        if self.is_object(tok) {
            return Err(Error::invalid(format!(
                "modify fd {fd}: it belongs to a listener or multicaster of this poller"
            )));
        }
        self.set_interest(tok, flags)
            .map_err(|e| Error::new(e.kind(), format!("modify fd {fd}: {}", e.message())))
    }

    /// Changes the interest of registration `tok`.
    pub(crate) fn set_interest(&self, tok: u64, interest: u32) -> Result<()> {
        let fd = {
            let mut slots = self.inner.slots.borrow_mut();
            let slot = slots
                .get_mut((tok >> 32) as usize)
                .filter(|s| s.generation == tok as u32);
            let Some(reg) = slot.and_then(|s| s.reg.as_mut()) else {
                return Err(Error::new(Kind::NotFound, "registration is gone"));
            };
            reg.interest = interest;
            reg.fd
        };
        if self.inherited() {
            return Ok(());
        }
        self.inner
            .epoll
            .modify(fd, epoll_bits(interest), tok)
            .map_err(|e| Error::os("epoll_ctl(MOD)", e))
    }

    /// Unregisters a user fd; never closes it.
    pub fn unregister(&self, fd: RawFd) -> Result<()> {
        let tok = self.token_of(fd, "unregister")?;
        if self.is_object(tok) {
            return Err(Error::invalid(format!(
                "unregister fd {fd}: it belongs to a listener or multicaster; close that object instead"
            )));
        }
        self.remove(tok);
        Ok(())
    }

    /// Removes registration `tok` (any kind). Its handler is dropped now, or
    /// when the running dispatch ends.
    pub(crate) fn remove(&self, tok: u64) {
        let Some((fd, h)) = self.vacate(tok) else {
            return;
        };
        self.inner.by_fd.borrow_mut().remove(&fd);
        if !self.inherited() {
            // EBADF/ENOENT: the program already closed the fd; nothing to undo.
            let _ = self.inner.epoll.delete(fd);
        }
        release(h);
    }

    /// Closes every object and drops every registration; user fds are
    /// unregistered, never closed. Refused while this poller is polling.
    pub fn close_all(&self) -> Result<()> {
        if self.is_polling() {
            return Err(Error::new(
                Kind::Busy,
                "mc_poller_free: called from inside this poller's own callback; ignored",
            ));
        }
        let regs: Vec<Registration> = {
            let mut slots = self.inner.slots.borrow_mut();
            slots.iter_mut().filter_map(|s| s.reg.take()).collect()
        };
        self.inner.by_fd.borrow_mut().clear();
        self.inner.followers.borrow_mut().clear();
        let watcher = self.inner.watcher.borrow_mut().take();
        let inherited = self.inherited();
        for r in &regs {
            if !inherited {
                let _ = self.inner.epoll.delete(r.fd);
            }
            if let Handler::Object(o) = &r.handler {
                o.shutdown();
            }
        }
        for r in regs {
            release(r.handler);
        }
        drop(watcher);
        Ok(())
    }

    /// One wait of up to `timeout_ms` (0: none, -1: forever) and dispatch.
    /// Returns the number of registrations dispatched; EINTR gives 0.
    pub fn poll(&self, timeout_ms: i32) -> Result<usize> {
        check_timeout("mc_poll", timeout_ms)?;
        if self.is_polling() {
            return Err(Error::new(
                Kind::Busy,
                "mc_poll: called from inside this poller's own callback",
            ));
        }
        self.check_not_inherited("mc_poll")?;
        let mut events = EventBuf::default();
        let n = match self.wait(&mut events, timeout_ms) {
            Ok(n) => n,
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => return Ok(0),
            Err(e) => return Err(Error::os("mc_poll: epoll_wait", e)),
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

    /// Replaces the epoll set (same fd number) by one holding exactly our
    /// registrations. Those whose fd the program closed are dropped.
    fn rebuild(&self) -> Result<()> {
        let fresh = Epoll::new().map_err(|e| Error::os("epoll_create1", e))?;
        fresh
            .add(self.stop_fd(), libc::EPOLLIN as u32, STOP_TOKEN)
            .map_err(|e| Error::os("epoll_ctl(ADD stop eventfd)", e))?;
        let regs: Vec<(RawFd, u32, u64)> = {
            let slots = self.inner.slots.borrow();
            slots
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let r = s.reg.as_ref()?;
                    Some((r.fd, r.interest, token(i as u32, s.generation)))
                })
                .collect()
        };
        let mut gone = Vec::new();
        for (fd, interest, tok) in regs {
            if fresh.add(fd, epoll_bits(interest), tok).is_err() {
                gone.push((fd, tok));
            }
        }
        self.inner
            .epoll
            .replace_with(fresh)
            .map_err(|e| Error::os("dup3(epoll)", e))?;
        for (fd, tok) in gone {
            self.inner.by_fd.borrow_mut().remove(&fd);
            if let Some((_, h)) = self.vacate(tok) {
                release(h);
            }
        }
        Ok(())
    }

    /// epoll_wait, with the opt-in coalescing pause before it and the
    /// opt-in spin (waitless polls) before a blocking wait.
    fn wait(&self, events: &mut EventBuf, timeout_ms: i32) -> std::io::Result<usize> {
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

    /// rtnetlink messages the interface watcher dropped because they did
    /// not come from the kernel (another process wrote to its socket).
    pub fn refused_netlink_messages(&self) -> u64 {
        self.inner.refused_netlink.get()
    }

    fn current(&self, tok: u64) -> Option<(RawFd, Handler)> {
        let slots = self.inner.slots.borrow();
        let slot = slots.get((tok >> 32) as usize)?;
        if slot.generation != tok as u32 {
            return None;
        }
        slot.reg.as_ref().map(|r| (r.fd, r.handler.clone()))
    }

    /// Runs the handler of `tok`: None if no registration of ours has it
    /// (a stray event), Some(counted) otherwise.
    fn dispatch(&self, tok: u64, ev: u32) -> Option<bool> {
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

    /// True once if a stop arrived since the last call.
    pub fn take_stopped(&self) -> bool {
        self.inner.stopped.replace(false)
    }

    /// Polls until [`Poller::stop`] or until nothing is registered, waiting
    /// up to `timeout_ms` per poll and sleeping `interval_ms` between polls
    /// (a stop also cuts the sleep short).
    pub fn run(&self, timeout_ms: i32, interval_ms: i32) -> Result<()> {
        check_timeout("mc_loop", timeout_ms)?;
        self.check_not_inherited("mc_loop")?;
        if interval_ms < 0 {
            return Err(Error::invalid(format!(
                "mc_loop: interval_ms {interval_ms}: must be 0 or more"
            )));
        }
        if self.is_polling() {
            return Err(Error::new(
                Kind::Busy,
                "mc_loop: called from inside this poller's own callback",
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
    fn interfaces_changed(&self, fd: RawFd) {
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

    /// Lends the poller's receive batch (at least `slot` bytes per
    /// datagram) to `f`. Batches are shared by all listeners of a poller.
    pub(crate) fn with_batch<R>(&self, slot: usize, f: impl FnOnce(&mut RecvBatch) -> R) -> R {
        let mut batch = match self.inner.batch.take() {
            Some(b) if b.slot_size() >= slot => b,
            _ => Box::new(RecvBatch::new(
                batch_slots(slot),
                slot.max(self.inner.batch_slot.get()),
            )),
        };
        self.inner.batch_slot.set(batch.slot_size());
        let r = f(&mut batch);
        self.inner.batch.set(Some(batch));
        r
    }
}

/// Datagrams per recvmmsg: 64, fewer for big mtus (about 1 MiB of buffers).
fn batch_slots(slot: usize) -> usize {
    ((1 << 20) / slot.max(1)).clamp(8, 64)
}

struct RestorePolling<'a>(&'a Cell<bool>, bool);

impl Drop for RestorePolling<'_> {
    fn drop(&mut self) {
        self.0.set(self.1);
    }
}

struct ResetPolling<'a>(&'a Cell<bool>);

impl Drop for ResetPolling<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

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
