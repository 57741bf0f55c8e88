//! The Multicaster: whenever its socket is writable it asks its
//! source for the next packet and sends it, keeping the packet in hand when
//! the socket is full.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};

use socket2::Socket;

use crate::error::{Error, Result};
use crate::gso;
use crate::lifecycle::Lifecycle;
use crate::opts::Options;
use crate::poller::{self, Handler, Poller, Source};
use crate::send::send_key;
use crate::socket;
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

/// Packets asked for per writable event before other registrations get a turn.
const PER_DISPATCH: usize = 4096;
/// Bytes gathered before a batch is sent even if it has room for more packets.
const BATCH_BYTES: usize = 1 << 20;
/// Packets gathered for one send with GSO: 64 runs of up to 64 segments.
const BATCH_GSO: usize = sys::SEND_BATCH * gso::MAX_SEGMENTS;

/// Packets copied out of `next` (their data is valid only until the next
/// call) and not yet sent: sent with one sendmmsg; kept on EAGAIN.
struct Batch {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    first: usize,
    /// Packets gathered before a send.
    limit: usize,
}

impl Batch {
    fn unsent(&self) -> usize {
        self.ends.len() - self.first
    }

    fn push(&mut self, d: &[u8]) {
        self.bytes.extend_from_slice(d);
        self.ends.push(self.bytes.len());
    }

    fn full(&self) -> bool {
        self.ends.len() >= self.limit || self.bytes.len() >= BATCH_BYTES
    }

    /// Unsent packet `i` (0: the first unsent).
    fn packet(&self, i: usize) -> &[u8] {
        let k = self.first + i;
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.bytes[start..self.ends[k]]
    }

    fn advance(&mut self, n: usize) {
        self.first += n;
        if self.first >= self.ends.len() {
            self.bytes.clear();
            self.ends.clear();
            self.first = 0;
        }
    }
}

/// A multicaster. Its poller owns it; this handle is another reference.
#[derive(Clone)]
pub struct Multicaster(pub(crate) Rc<MulticasterInner>);

#[doc(hidden)]
pub struct MulticasterInner {
    poller: Weak<poller::Inner>,
    socket: Cell<Option<Socket>>,
    fd: RawFd,
    opts: Options,
    ifindex: Cell<u32>,
    dest: Cell<SocketAddr>,
    dest_sa: RefCell<socket2::SockAddr>,
    gso: gso::State,
    gso_buf: RefCell<sys::GsoBuf>,
    token: Cell<u64>,
    life: Lifecycle,
    waiting: Cell<bool>,
    source: Cell<Option<Box<dyn PacketSource>>>,
    batch: RefCell<Batch>,
    finishing: Cell<bool>,
    sent: Cell<u64>,
    failed: Cell<u64>,
}

impl Multicaster {
    /// A non-blocking send socket, registered for write. It is not
    /// connected: a connected multicast socket without IP_MULTICAST_IF costs
    /// the kernel a route lookup per packet (measured: ~17% fewer packets/s).
    /// `source` is asked for packets only from the poller's dispatch.
    pub fn new(
        poller: &Poller,
        opts: &Options,
        source: Box<dyn PacketSource>,
    ) -> Result<Multicaster> {
        let what = format!(
            "multicaster to {}",
            crate::addr::display(std::net::SocketAddr::new(opts.group, opts.port))
        );
        let key = send_key(opts, &what)?;
        let s = socket::sender(key, true)?;
        let dest = crate::addr::group_addr(opts.group, opts.port, key.ifindex);
        let fd = s.as_raw_fd();
        let gso = gso::State::probe(fd, key.v6, key.ifindex, opts.group, opts.gso);
        let inner = Rc::new(MulticasterInner {
            poller: poller.downgrade(),
            socket: Cell::new(Some(s)),
            fd,
            opts: opts.clone(),
            ifindex: Cell::new(key.ifindex),
            dest: Cell::new(dest),
            dest_sa: RefCell::new(dest.into()),
            gso,
            gso_buf: RefCell::new(sys::GsoBuf::default()),
            token: Cell::new(0),
            life: Lifecycle::new(
                "multicaster",
                "by the program, by its source's answer or with its poller",
            ),
            waiting: Cell::new(false),
            source: Cell::new(Some(source)),
            batch: RefCell::new(Batch {
                bytes: Vec::with_capacity(16 << 10),
                ends: Vec::with_capacity(if opts.gso { BATCH_GSO } else { sys::SEND_BATCH }),
                first: 0,
                limit: if opts.gso { BATCH_GSO } else { sys::SEND_BATCH },
            }),
            finishing: Cell::new(false),
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
    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.life.is_closed()
    }

    /// Packets sent so far by the dispatch, and packets the OS refused.
    pub fn counts(&self) -> (u64, u64) {
        (self.sent.get(), self.failed.get())
    }

    /// After [`Next::Wait`]: ask for packets again when writable.
    pub fn resume(&self) -> Result<()> {
        self.life.check_open()?;
        if self.waiting.replace(false) {
            if let Some(p) = Poller::upgrade(&self.poller) {
                p.set_interest(self.token.get(), poller::WRITE)?;
            }
        }
        Ok(())
    }

    /// Sends `data` now, waiting up to a second for room in the socket.
    pub fn send(&self, data: &[u8]) -> Result<usize> {
        self.life.check_open()?;
        let fd = self.fd;
        crate::send::check_size(data.len(), self.opts.group.is_ipv6(), || {
            format!(
                "multicaster send to {}",
                crate::addr::display(self.dest.get())
            )
        })?;
        for _ in 0..3 {
            let r = sys::send_batch(fd, Some(&self.dest_sa.borrow()), &[data]);
            match r {
                Ok(_) => return Ok(data.len()),
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                    sys::wait_writable(fd, 1000);
                }
                Err(e) => {
                    if !self.refind_interface(&e) {
                        return Err(self.send_error(data.len(), e));
                    }
                }
            }
        }
        Err(self.send_error(data.len(), std::io::Error::from_raw_os_error(libc::EAGAIN)))
    }

    fn send_error(&self, len: usize, e: std::io::Error) -> Error {
        Error::os(
            format!(
                "multicaster send of {len} byte{} to {}",
                if len == 1 { "" } else { "s" },
                crate::addr::display(self.dest.get())
            ),
            e,
        )
    }

    /// After a send failed as on a vanished interface given by name: points
    /// the socket at the interface of that name now. True if it did.
    fn refind_interface(&self, e: &std::io::Error) -> bool {
        let Some(new) = crate::send::refind_interface(&self.opts, e, self.ifindex.get()) else {
            return false;
        };
        let v6 = self.opts.group.is_ipv6();
        let ok = if v6 {
            sys::set_int(
                self.fd,
                libc::IPPROTO_IPV6,
                libc::IPV6_MULTICAST_IF,
                new as i32,
            )
            .is_ok()
        } else {
            sys::set_multicast_if_v4_index(self.fd, new, None).is_ok()
        };
        if ok {
            self.ifindex.set(new);
            let dest = crate::addr::group_addr(self.opts.group, self.opts.port, new);
            self.dest.set(dest);
            *self.dest_sa.borrow_mut() = dest.into();
            self.gso.reprobe_mtu(self.fd, new, self.opts.group);
        }
        ok
    }

    /// Sends the packets in hand (without waiting), unregisters and
    /// releases the socket. Idempotent; safe inside `next`.
    pub fn close(&self) {
        if !self.life.close() {
            return;
        }
        if let Some(p) = Poller::upgrade(&self.poller) {
            p.remove(self.token.get());
        }
        // Packets next() already handed out still go, as far as the socket
        // takes them without waiting.
        if self.socket_open() {
            self.flush();
        }
        // Nothing uses the fd once closed is set (pump checks it first).
        drop(self.socket.take());
    }

    fn socket_open(&self) -> bool {
        let s = self.socket.take();
        let open = s.is_some();
        self.socket.set(s);
        open
    }

    /// Sends what the batch holds; false if the socket filled up first
    /// (the rest stays, in order, for the next writable event). A packet
    /// the OS refuses is counted as failed and dropped.
    fn flush(&self) -> bool {
        let mut batch = self.batch.borrow_mut();
        let mut buf = self.gso_buf.borrow_mut();
        let mut refinds = 0;
        while batch.unsent() > 0 {
            let (k, err) = {
                let b = &*batch;
                let dest = self.dest_sa.borrow();
                let reprobe =
                    |s: &gso::State| s.reprobe_mtu(self.fd, self.ifindex.get(), self.opts.group);
                crate::send::send_all(
                    self.fd,
                    &dest,
                    b.unsent(),
                    |i| b.packet(i),
                    &self.gso,
                    reprobe,
                    &mut buf,
                )
            };
            self.sent.set(self.sent.get() + k as u64);
            batch.advance(k);
            match err {
                None => {}
                Some(e) if e.raw_os_error() == Some(libc::EAGAIN) => return false,
                Some(e) if refinds < 2 && self.refind_interface(&e) => refinds += 1,
                Some(_) => {
                    // Refused by the OS (EMSGSIZE...): counted and dropped, never retried.
                    self.failed.set(self.failed.get() + 1);
                    batch.advance(1);
                }
            }
        }
        true
    }

    /// Asks the source for packets while the socket takes them, batching
    /// up to SEND_BATCH per sendmmsg.
    fn pump(&self, poller: &Poller) {
        let Some(mut src) = self.source.take() else {
            return;
        };
        for _ in 0..PER_DISPATCH {
            let answer = src.next();
            if self.life.is_closed() {
                return; // closed inside next: its answer is ignored
            }
            match answer {
                Next::Packet(d) => {
                    let full = {
                        let mut b = self.batch.borrow_mut();
                        b.push(d);
                        b.full()
                    };
                    if full && !self.flush() {
                        break;
                    }
                }
                Next::Wait => {
                    self.waiting.set(true);
                    break;
                }
                Next::Done => {
                    self.finishing.set(true);
                    break;
                }
            }
        }
        self.source.set(Some(src));
        self.settle(poller);
    }

    /// After gathering: send what is left, then close (after Done) or stop
    /// asking (after Wait) once nothing is in hand.
    fn settle(&self, poller: &Poller) {
        if !self.flush() {
            return; // stay registered for write: the rest goes next time
        }
        if self.finishing.get() {
            self.close();
        } else if self.waiting.get() {
            let _ = poller.set_interest(self.token.get(), 0);
        }
    }
}

impl Source for MulticasterInner {
    fn ready(&self, poller: &Poller, _fd: RawFd, _events: u32) {
        if self.life.is_closed() {
            return;
        }
        if self.waiting.get() || self.finishing.get() || self.batch.borrow().unsent() > 0 {
            // Packets in hand go first; no asking while waiting or finishing.
            self.settle(poller);
            if self.waiting.get() || self.finishing.get() || self.life.is_closed() {
                return;
            }
        }
        self.pump(poller);
    }

    fn shutdown(&self) {
        self.life.close();
        drop(self.socket.take());
    }
}
