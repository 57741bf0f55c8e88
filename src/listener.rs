//! The seed's MulticastListener: a joined, bound socket registered on a
//! poller, reading batches with recvmmsg into the poller's shared buffers.

use std::cell::{Cell, Ref, RefCell};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use socket2::Socket;

use crate::error::{Error, Result};
use crate::filter::{self, Filter, FilterFn};
use crate::opts::Options;
pub use crate::packet::Packet;
use crate::poller::{self, Handler, Poller, Source};
use crate::socket;
use crate::sys::Received;

/// The handler: true closes the listener.
pub type PacketFn = Box<dyn FnMut(&Packet<'_>) -> bool>;

/// Counters of a listener.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams read from the socket.
    pub received: u64,
    /// Handed to the handler or queued for `next`.
    pub delivered: u64,
    /// Rejected by the filter.
    pub filtered: u64,
    /// Longer than the mtu.
    pub truncated: u64,
    /// Dropped by the kernel for want of buffer space.
    pub kernel_drops: u64,
    /// Pull mode: dropped because the queue was full.
    pub queue_drops: u64,
}

/// Packets queued in pull mode before new ones are dropped (and counted).
pub const QUEUE_LIMIT: usize = 4096;

/// A packet held by the library in pull mode.
#[derive(Debug, Default)]
pub struct Pulled {
    buf: Vec<u8>,
    size: usize,
    from: Option<SocketAddr>,
    group: Option<SocketAddr>,
    ifindex: u32,
}

impl Pulled {
    /// The packet, borrowed.
    pub fn packet(&self) -> Packet<'_> {
        Packet {
            data: &self.buf,
            size: self.size,
            from: self.from,
            group: self.group.expect("set when queued"),
            ifindex: self.ifindex,
        }
    }
}

/// A listener. Its poller owns it; this handle is another reference.
#[derive(Clone)]
pub struct Listener(pub(crate) Rc<ListenerInner>);

#[doc(hidden)]
pub struct ListenerInner {
    poller: Weak<poller::Inner>,
    /// Dropped (closed: the kernel sends the leave) by `close`.
    socket: Cell<Option<Socket>>,
    fd: RawFd,
    token: Cell<u64>,
    closed: Cell<bool>,
    /// Run once when it closes (the C layer retires the handle).
    close_hook: Cell<Option<Box<dyn FnOnce()>>>,
    group: IpAddr,
    port: u16,
    mtu: usize,
    recv_buffer: usize,
    /// Interfaces joined on (empty: the default one). IPv6 delivers a group
    /// joined on one interface to every socket of the group, whatever the
    /// interface; these keep the others out.
    ifaces: Vec<u32>,
    handler: Cell<Option<PacketFn>>,
    pull: bool,
    filter: Cell<Option<Filter>>,
    filter_gen: Cell<u64>,
    stats: Cell<Stats>,
    queue: RefCell<VecDeque<Pulled>>,
    spare: RefCell<Vec<Pulled>>,
    current: RefCell<Option<Pulled>>,
    /// Storage for a binding layer (the C ABI keeps its view of the current
    /// pulled packet here, so that it lives exactly as long as the listener).
    pub ext: RefCell<Option<Box<dyn std::any::Any>>>,
}

impl Listener {
    /// Joins and binds as `opts` says and registers on `poller`. A `None`
    /// handler is pull mode: packets queue for [`Listener::next`].
    pub fn new(poller: &Poller, opts: &Options, handler: Option<PacketFn>) -> Result<Listener> {
        let socket::Receiver {
            socket: sock,
            granted,
            ifaces,
        } = socket::receiver(opts)?;
        let fd = sock.as_raw_fd();
        let inner = Rc::new(ListenerInner {
            poller: poller.downgrade(),
            socket: Cell::new(Some(sock)),
            fd,
            token: Cell::new(0),
            closed: Cell::new(false),
            close_hook: Cell::new(None),
            group: opts.group,
            port: opts.port,
            mtu: opts.mtu,
            recv_buffer: granted,
            ifaces,
            pull: handler.is_none(),
            handler: Cell::new(handler),
            filter: Cell::new(None),
            filter_gen: Cell::new(0),
            stats: Cell::new(Stats::default()),
            queue: RefCell::new(VecDeque::new()),
            spare: RefCell::new(Vec::new()),
            current: RefCell::new(None),
            ext: RefCell::new(None),
        });
        let source: Rc<dyn Source> = inner.clone();
        let tok = poller.add(fd, poller::READ, Handler::Object(source))?;
        inner.token.set(tok);
        Ok(Listener(inner))
    }
}

impl std::ops::Deref for Listener {
    type Target = ListenerInner;
    fn deref(&self) -> &ListenerInner {
        &self.0
    }
}

impl ListenerInner {
    fn check_open(&self, what: &str) -> Result<()> {
        Error::check_open(self.closed.get(), what)
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Sets what runs once when it closes, however that happens (close,
    /// the handler's or the source's answer, the poller's shutdown).
    pub fn set_close_hook(&self, f: Box<dyn FnOnce()>) {
        self.close_hook.set(Some(f));
    }

    fn run_close_hook(&self) {
        if let Some(f) = self.close_hook.take() {
            f();
        }
    }

    /// The socket's fd.
    pub fn fd(&self) -> Result<RawFd> {
        self.check_open("mc_listener_fd")?;
        Ok(self.fd)
    }

    /// The SO_RCVBUF the kernel granted.
    pub fn recv_buffer(&self) -> Result<usize> {
        self.check_open("mc_listener_recv_buffer")?;
        Ok(self.recv_buffer)
    }

    /// The counters.
    pub fn stats(&self) -> Result<Stats> {
        self.check_open("mc_listener_get_stats")?;
        let mut s = self.stats.get();
        // SO_RXQ_OVFL tells the count as of the last packet read; SO_MEMINFO
        // tells it now (drops after the last packet included).
        if let Some(d) = crate::sys::socket_drops(self.fd) {
            s.kernel_drops = s.kernel_drops.max(d as u64);
        }
        Ok(s)
    }

    /// Replaces the filter with a callback (None removes it).
    pub fn set_filter(&self, f: Option<FilterFn>) -> Result<()> {
        self.check_open("mc_listener_set_filter")?;
        self.replace_filter(f.map(Filter::Func));
        Ok(())
    }

    /// Replaces the filter with a pattern (None removes it). On a bad
    /// pattern the old filter stays.
    pub fn set_filter_regex(&self, pattern: Option<&str>) -> Result<()> {
        self.check_open("mc_listener_set_filter_regex")?;
        let f = match pattern {
            None => None,
            Some(p) => Some(Filter::Regex(filter::compile(
                p,
                &self.group.to_string(),
                self.port,
                self.mtu,
            )?)),
        };
        self.replace_filter(f);
        Ok(())
    }

    fn replace_filter(&self, f: Option<Filter>) {
        let old = self.filter.replace(f);
        self.filter_gen.set(self.filter_gen.get() + 1);
        drop(old);
    }

    /// Leaves the group, unregisters and releases the socket (at the end of
    /// the running dispatch if called from a callback). Idempotent.
    pub fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.run_close_hook();
        if let Some(p) = Poller::upgrade(&self.poller) {
            p.remove(self.token.get());
        }
        // Nothing reads the fd once closed is set (drain checks it first).
        drop(self.socket.take());
    }

    /// Pull mode: the next packet, waiting up to `timeout_ms` (-1: forever)
    /// while polling this listener's poller. None on timeout or mc_stop.
    pub fn next(&self, timeout_ms: i32) -> Result<Option<Ref<'_, Pulled>>> {
        self.check_open("mc_listener_next")?;
        if !self.pull {
            return Err(Error::invalid(
                "mc_listener_next: this listener has an on_packet callback (pull mode needs on_packet NULL)",
            ));
        }
        poller::check_timeout("mc_listener_next", timeout_ms)?;
        let poller = Poller::upgrade(&self.poller)
            .ok_or_else(|| Error::closed("mc_listener_next: the poller is gone"))?;
        if poller.is_polling() {
            // Also from its own filter: a nested read would run without it.
            return Err(Error::new(
                crate::Kind::Busy,
                "mc_listener_next: called from inside a callback of the listener's poller",
            ));
        }
        let deadline =
            (timeout_ms >= 0).then(|| Instant::now() + Duration::from_millis(timeout_ms as u64));
        if self.queue.borrow().is_empty() {
            // The filter may run here: as in a dispatch, it may close this
            // listener (freed only when the dispatch ends) but not poll.
            poller.as_dispatch(|| self.drain(&poller));
            self.check_open("mc_listener_next")?;
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
            self.check_open("mc_listener_next")?;
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

    /// Reads everything the socket holds (bounded for fairness), filters
    /// and delivers it.
    fn drain(&self, poller: &Poller) {
        let mut handler = self.handler.take();
        let mut filter = self.filter.take();
        let mut fgen = self.filter_gen.get();
        let mut stats = self.stats.get();
        poller.with_batch(self.mtu, |batch| {
            for _round in 0..16 {
                if self.closed.get() {
                    return;
                }
                let n = match batch.recv(self.fd, self.mtu, batch.slots()) {
                    Ok(n) => n,
                    Err(_) => return,
                };
                for i in 0..n {
                    let r = batch.get(i);
                    if !self.is_ours(&r) {
                        continue;
                    }
                    stats.received += 1;
                    if r.size > r.data.len() {
                        stats.truncated += 1;
                    }
                    if let Some(d) = r.drops {
                        stats.kernel_drops = stats.kernel_drops.max(d as u64);
                    }
                    let packet = self.packet_of(&r);
                    if self.filter_gen.get() != fgen {
                        filter = self.filter.take();
                        fgen = self.filter_gen.get();
                    }
                    if let Some(f) = filter.as_mut() {
                        self.stats.set(stats);
                        let ok = f.accepts(&packet);
                        stats = self.stats.get();
                        if self.closed.get() {
                            return;
                        }
                        if !ok {
                            stats.filtered += 1;
                            continue;
                        }
                    }
                    match handler.as_mut() {
                        Some(h) => {
                            stats.delivered += 1;
                            self.stats.set(stats);
                            let stop = h(&packet);
                            stats = self.stats.get();
                            if stop {
                                self.close();
                            }
                            if self.closed.get() {
                                return;
                            }
                        }
                        None => self.enqueue(&packet, &mut stats),
                    }
                }
                if n < batch.slots() {
                    return;
                }
            }
        });
        self.stats.set(stats);
        if self.filter_gen.get() == fgen {
            self.filter.set(filter);
        }
        if !self.closed.get() {
            self.handler.set(handler);
        }
    }

    /// False for datagrams the socket gets that are not this listener's:
    /// another destination (a unicast one to the port, when bound to the
    /// wildcard) or, for IPv6, the group arriving on an interface it did not
    /// join on.
    fn is_ours(&self, r: &Received<'_>) -> bool {
        if r.dst.is_some_and(|d| d != self.group) {
            return false;
        }
        self.ifaces.is_empty() || r.ifindex == 0 || self.ifaces.contains(&r.ifindex)
    }

    fn packet_of<'a>(&self, r: &Received<'a>) -> Packet<'a> {
        let dst = r.dst.unwrap_or(self.group);
        // Without pktinfo (an IPv4 listener on one interface) the interface
        // is the one it joined on.
        let ifindex = match (r.ifindex, self.ifaces.as_slice()) {
            (0, [only]) => *only,
            (i, _) => i,
        };
        Packet {
            data: r.data,
            size: r.size,
            from: r.from,
            group: crate::addr::group_addr(dst, self.port, ifindex),
            ifindex,
        }
    }

    fn enqueue(&self, p: &Packet<'_>, stats: &mut Stats) {
        let mut q = self.queue.borrow_mut();
        if q.len() >= QUEUE_LIMIT {
            stats.queue_drops += 1;
            return;
        }
        stats.delivered += 1;
        let mut slot = self.spare.borrow_mut().pop().unwrap_or_default();
        slot.buf.clear();
        slot.buf.extend_from_slice(p.data);
        slot.size = p.size;
        slot.from = p.from;
        slot.group = Some(p.group);
        slot.ifindex = p.ifindex;
        q.push_back(slot);
    }
}

impl Drop for ListenerInner {
    fn drop(&mut self) {
        self.run_close_hook();
    }
}

impl Source for ListenerInner {
    fn ready(&self, poller: &Poller, _events: u32) {
        if !self.closed.get() {
            self.drain(poller);
        }
    }

    fn shutdown(&self) {
        self.closed.set(true);
        self.run_close_hook();
        drop(self.socket.take());
    }
}

impl std::fmt::Debug for ListenerInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Listener({}:{}, fd {})", self.group, self.port, self.fd)
    }
}
