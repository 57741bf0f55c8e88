//! The seed's Multicaster: whenever its socket is writable it asks its
//! source for the next packet and sends it, keeping the packet in hand when
//! the socket is full.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};

use socket2::Socket;

use crate::addr::Interface;
use crate::error::{Error, Result};
use crate::opts::Options;
use crate::poller::{self, Handler, Poller, Source};
use crate::socket::{self, SendKey};
use crate::sys;

/// A source's answer.
pub enum Next<'a> {
    /// Finished: the multicaster closes itself.
    Done,
    /// Send these bytes (valid until `next` is called again).
    Packet(&'a [u8]),
    /// Nothing now: stop asking until [`MulticasterInner::resume`].
    Wait,
}

/// Where a multicaster's packets come from.
pub trait PacketSource {
    /// The next packet.
    fn next(&mut self) -> Next<'_>;
}

/// Packets sent per writable event before other registrations get a turn.
const PER_DISPATCH: usize = 256;

/// A multicaster. Its poller owns it; this handle is another reference.
#[derive(Clone)]
pub struct Multicaster(pub(crate) Rc<MulticasterInner>);

#[doc(hidden)]
pub struct MulticasterInner {
    poller: Weak<poller::Inner>,
    socket: Cell<Option<Socket>>,
    fd: RawFd,
    dest: SocketAddr,
    token: Cell<u64>,
    closed: Cell<bool>,
    waiting: Cell<bool>,
    source: Cell<Option<Box<dyn PacketSource>>>,
    pending: RefCell<Vec<u8>>,
    has_pending: Cell<bool>,
    sent: Cell<u64>,
    failed: Cell<u64>,
}

/// Checks that `opts` names one outgoing interface and returns the send key.
pub fn send_key(opts: &Options, what: &str) -> Result<SendKey> {
    opts.check(what)?;
    let ifindex = match opts.interface {
        Interface::Default => 0,
        Interface::Index(i) => i,
        Interface::All => {
            return Err(Error::invalid(format!(
                "{what}: interface \"*\" is for listeners; a send goes out on one interface"
            )))
        }
    };
    Ok(SendKey {
        v6: opts.group.is_ipv6(),
        ttl: opts.ttl,
        ifindex,
        loopback: opts.loopback,
    })
}

impl Multicaster {
    /// A non-blocking socket connected to the group, registered for write.
    /// `source` is asked for packets only from the poller's dispatch.
    pub fn new(
        poller: &Poller,
        opts: &Options,
        source: Box<dyn PacketSource>,
    ) -> Result<Multicaster> {
        let what = format!("multicaster to {}:{}", opts.group, opts.port);
        let key = send_key(opts, &what)?;
        let s = socket::sender(key, true)?;
        let dest = crate::addr::group_addr(opts.group, opts.port, key.ifindex);
        s.connect(&dest.into())
            .map_err(|e| Error::os(format!("{what}: connect"), e))?;
        let fd = s.as_raw_fd();
        let inner = Rc::new(MulticasterInner {
            poller: poller.downgrade(),
            socket: Cell::new(Some(s)),
            fd,
            dest,
            token: Cell::new(0),
            closed: Cell::new(false),
            waiting: Cell::new(false),
            source: Cell::new(Some(source)),
            pending: RefCell::new(Vec::new()),
            has_pending: Cell::new(false),
            sent: Cell::new(0),
            failed: Cell::new(0),
        });
        let src: Rc<dyn Source> = inner.clone();
        let tok = poller.add(fd, poller::WRITE, Handler::Object(src))?;
        inner.token.set(tok);
        Ok(Multicaster(inner))
    }
}

impl std::ops::Deref for Multicaster {
    type Target = MulticasterInner;
    fn deref(&self) -> &MulticasterInner {
        &self.0
    }
}

impl MulticasterInner {
    fn check_open(&self, what: &str) -> Result<()> {
        if self.closed.get() {
            Err(Error::closed(what))
        } else {
            Ok(())
        }
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Packets sent so far by the dispatch, and packets the OS refused.
    pub fn counts(&self) -> (u64, u64) {
        (self.sent.get(), self.failed.get())
    }

    /// After [`Next::Wait`]: ask for packets again when writable.
    pub fn resume(&self) -> Result<()> {
        self.check_open("mc_multicaster_resume")?;
        if self.waiting.replace(false) {
            if let Some(p) = Poller::upgrade(&self.poller) {
                p.set_interest(self.token.get(), poller::WRITE)?;
            }
        }
        Ok(())
    }

    /// Sends `data` now, waiting up to a second for room in the socket.
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        self.check_open("mc_multicaster_send")?;
        let fd = self.fd;
        for _ in 0..2 {
            match sys::send(fd, data) {
                Ok(n) => return Ok(n),
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                    sys::wait_writable(fd, 1000);
                }
                Err(e) => return Err(self.send_error(data.len(), e)),
            }
        }
        Err(self.send_error(data.len(), std::io::Error::from_raw_os_error(libc::EAGAIN)))
    }

    fn send_error(&self, len: usize, e: std::io::Error) -> Error {
        Error::os(
            format!("multicaster send of {len} bytes to {}", self.dest),
            e,
        )
    }

    /// Unregisters and releases the socket. Idempotent; safe inside `next`.
    pub fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        if let Some(p) = Poller::upgrade(&self.poller) {
            p.remove(self.token.get());
        }
        // Nothing uses the fd once closed is set (pump checks it first).
        drop(self.socket.take());
    }

    fn fd(&self) -> RawFd {
        self.fd
    }

    /// Sends the packet kept from an EAGAIN; false if the socket is still full.
    fn flush_pending(&self) -> bool {
        if !self.has_pending.get() {
            return true;
        }
        let r = sys::send(self.fd(), &self.pending.borrow());
        match r {
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => false,
            Ok(_) => {
                self.sent.set(self.sent.get() + 1);
                self.has_pending.set(false);
                true
            }
            Err(_) => {
                self.failed.set(self.failed.get() + 1);
                self.has_pending.set(false);
                true
            }
        }
    }

    fn pump(&self, poller: &Poller) {
        if !self.flush_pending() {
            return;
        }
        let Some(mut src) = self.source.take() else {
            return;
        };
        for _ in 0..PER_DISPATCH {
            let answer = src.next();
            if self.closed.get() {
                return; // closed inside next: its answer is ignored
            }
            match answer {
                Next::Done => {
                    self.close();
                    return;
                }
                Next::Wait => {
                    self.waiting.set(true);
                    let _ = poller.set_interest(self.token.get(), 0);
                    break;
                }
                Next::Packet(d) => match sys::send(self.fd(), d) {
                    Ok(_) => self.sent.set(self.sent.get() + 1),
                    Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                        let mut p = self.pending.borrow_mut();
                        p.clear();
                        p.extend_from_slice(d);
                        self.has_pending.set(true);
                        break;
                    }
                    Err(_) => self.failed.set(self.failed.get() + 1),
                },
            }
        }
        self.source.set(Some(src));
    }
}

impl Source for MulticasterInner {
    fn ready(&self, poller: &Poller, _events: u32) {
        if !self.closed.get() && !self.waiting.get() {
            self.pump(poller);
        }
    }

    fn shutdown(&self) {
        self.closed.set(true);
        drop(self.socket.take());
    }
}
