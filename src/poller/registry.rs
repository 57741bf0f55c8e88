//! Registrations: a slab of slots whose epoll token is
//! `(slot index << 32) | generation`, so that an event fetched for a slot
//! emptied (or reused) since is recognized as stale; adding, changing and
//! removing them; and the fresh epoll set that replaces one holding strays.

use std::os::fd::RawFd;
use std::rc::Rc;

use super::dispatch::release;
use super::state::{
    epoll_bits, token, Handler, IoFn, IoHandlers, Poller, Registration, Slot, READ, STOP_TOKEN,
    WRITE,
};
use crate::error::{Error, Kind, Result};
use crate::sys::Epoll;

impl Poller {
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
        self.check_not_inherited()
            .map_err(|e| e.context(&format!("register fd {fd}")))?;
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
    pub(super) fn forget_if_stale(&self, fd: RawFd) {
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

    pub(super) fn interest_of(&self, tok: u64) -> Option<u32> {
        let slots = self.inner.slots.borrow();
        let slot = slots.get((tok >> 32) as usize)?;
        match &slot.reg {
            Some(r) if slot.generation == tok as u32 => Some(r.interest),
            _ => None,
        }
    }

    /// Empties the slot of `tok` (bumping its generation); returns its fd
    /// and handler.
    pub(super) fn vacate(&self, tok: u64) -> Option<(RawFd, Handler)> {
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

    pub(super) fn token_of(&self, fd: RawFd, what: &str) -> Result<u64> {
        self.inner.by_fd.borrow().get(&fd).copied().ok_or_else(|| {
            Error::new(
                Kind::NotFound,
                format!("{what} fd {fd}: not registered on this poller"),
            )
        })
    }

    pub(super) fn is_object(&self, tok: u64) -> bool {
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
                "called from inside this poller's own callback; ignored",
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

    /// Replaces the epoll set (same fd number) by one holding exactly our
    /// registrations. Those whose fd the program closed are dropped.
    pub(super) fn rebuild(&self) -> Result<()> {
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
}
