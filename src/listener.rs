//! The seed's MulticastListener, grown: one or more (group, source) pairs
//! on one port and interface choice, joined on as many sockets as the
//! kernel's per-socket limits need (see `membership`), all read on one
//! poller into its shared buffers, following the system's interfaces.

use std::cell::{Cell, Ref, RefCell};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use crate::addr::Interface;
use crate::cmsg;
use crate::error::{Error, Kind, Result};
use crate::filter::{self, Filter, FilterFn};
use crate::membership::{self, Member, Pair, Sock, SockSpec};
use crate::netlink::Event;
use crate::opts::Options;
pub use crate::packet::Packet;
use crate::poller::{self, Follower, Handler, Poller, Source};
use crate::sys::{self, RecvInfo};

/// The handler: true closes the listener.
pub type PacketFn = Box<dyn FnMut(&Packet<'_>) -> bool>;

/// Told when the listener gains (true) or loses (false) its memberships on
/// an interface: (ifindex, name, joined).
pub type IfaceFn = Box<dyn FnMut(u32, &str, bool)>;

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
    /// GRO runs read (their datagrams count one by one in `received`).
    pub coalesced: u64,
    /// Memberships made since creation, re-joins included.
    pub joins: u64,
    /// Memberships lost or dropped.
    pub leaves: u64,
    /// UDP sockets held now.
    pub sockets: u64,
}

/// The counters a listener keeps, each in its own cell: the receive loop
/// bumps them in place (a callback may read them at any time), with no copy
/// of the whole set around each callback.
#[derive(Default)]
struct Counters {
    received: Cell<u64>,
    delivered: Cell<u64>,
    filtered: Cell<u64>,
    truncated: Cell<u64>,
    queue_drops: Cell<u64>,
    coalesced: Cell<u64>,
    joins: Cell<u64>,
    leaves: Cell<u64>,
}

fn add(c: &Cell<u64>, n: u64) {
    c.set(c.get() + n);
}

/// Datagrams (slots) one wakeup reads from a socket at most before other
/// registrations get a turn: 16 batches of 64, or 64 batches of 16 with GRO.
const READ_PER_WAKEUP: usize = 1024;

/// Packets queued in pull mode before new ones are dropped (and counted).
pub const QUEUE_LIMIT: usize = 4096;

/// The largest datagram (or GRO run): a GRO socket reads whole runs.
const GRO_SLOT: usize = 65535;

/// A packet held by the library in pull mode.
#[derive(Debug, Default)]
pub struct Pulled {
    buf: Vec<u8>,
    size: usize,
    from: Option<SocketAddr>,
    group: Option<SocketAddr>,
    ifindex: u32,
    timestamp_ns: u64,
    ttl: i32,
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
            timestamp_ns: self.timestamp_ns,
            ttl: self.ttl,
        }
    }
}

/// What the program asked for as the interface, kept so that the listener
/// can join again when interfaces come and go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Want {
    /// The system's choice: the route to the group, asked at each join.
    Default,
    /// One interface, by the name it had (index 0: it had none).
    Named(String, u32),
    /// Every interface up with MULTICAST.
    All,
}

/// A listener. Its poller owns it; this handle is another reference.
#[derive(Clone)]
pub struct Listener(pub(crate) Rc<ListenerInner>);

#[doc(hidden)]
pub struct ListenerInner {
    poller: Weak<poller::Inner>,
    /// Itself, for registering the sockets it opens later.
    me: Weak<ListenerInner>,
    closed: Cell<bool>,
    /// Run once when it closes (the C layer retires the handle).
    close_hook: Cell<Option<Box<dyn FnOnce()>>>,
    spec: SockSpec,
    /// The first group (the filter's ${ip}).
    group: IpAddr,
    port: u16,
    mtu: usize,
    /// Reads whole GRO runs (the first socket has UDP_GRO on).
    gro: bool,
    recv_buffer: usize,
    want: Want,
    /// The first socket's fd: mc_listener_fd, for the listener's life.
    first_fd: RawFd,
    socks: RefCell<Vec<Sock>>,
    pairs: RefCell<Vec<Pair>>,
    /// Bumped whenever memberships change (a read in progress looks again).
    members_gen: Cell<u64>,
    /// Kernel drops of sockets closed since.
    old_drops: Cell<u64>,
    handler: Cell<Option<PacketFn>>,
    pull: bool,
    filter: Cell<Option<Filter>>,
    filter_gen: Cell<u64>,
    iface_fn: Cell<Option<IfaceFn>>,
    counts: Counters,
    queue: RefCell<VecDeque<Pulled>>,
    spare: RefCell<Vec<Pulled>>,
    current: RefCell<Option<Pulled>>,
    /// Storage for a binding layer (the C ABI keeps its view of the current
    /// pulled packet here, so that it lives exactly as long as the listener).
    pub ext: RefCell<Option<Box<dyn std::any::Any>>>,
}

/// The interface indices `want` names now (`now`: the system's list).
fn wanted(want: &Want, group: IpAddr, now: &[sys::Interface]) -> Vec<u32> {
    match want {
        Want::Default => vec![crate::addr::route_ifindex(group).unwrap_or(0)],
        Want::Named(name, _) => now
            .iter()
            .filter(|i| &i.name == name)
            .map(|i| i.index)
            .collect(),
        Want::All => now
            .iter()
            .filter(|i| i.up && i.multicast)
            .map(|i| i.index)
            .collect(),
    }
}

impl Listener {
    /// Joins and binds as `opts` says and registers on `poller`. A `None`
    /// handler is pull mode: packets queue for [`Listener::next`].
    pub fn new(poller: &Poller, opts: &Options, handler: Option<PacketFn>) -> Result<Listener> {
        let g = opts.group;
        let what = format!(
            "listen on {}",
            crate::addr::display(SocketAddr::new(g, opts.port))
        );
        opts.check(&what)?;
        let v6 = g.is_ipv6();
        let want = match &opts.interface {
            Interface::Default => Want::Default,
            Interface::All => Want::All,
            Interface::Index(i) => Want::Named(
                opts.interface_name
                    .clone()
                    .or_else(|| sys::index_to_name(*i))
                    .unwrap_or_default(),
                *i,
            ),
        };
        let ifaces = match &want {
            Want::Named(_, i) => vec![*i],
            Want::All => crate::addr::join_indices(&Interface::All)?,
            Want::Default => vec![crate::addr::route_ifindex(g).unwrap_or(0)],
        };
        let spec = SockSpec {
            v6,
            port: opts.port,
            recv_buffer: opts.recv_buffer,
            info: RecvInfo {
                pktinfo: false,
                timestamps: opts.timestamps,
                ttl: opts.recv_ttl,
                gro: opts.gro,
            },
        };
        // The first socket is bound to the group (0.1's promise). A scoped
        // IPv6 group is bound to the wildcard: bound with a scope, the socket
        // would be tied to that device (sk_bound_dev_if) and stay deaf once
        // the interface is re-created; IPV6_MULTICAST_ALL off and pktinfo
        // keep other groups and unicast out.
        let (bind, bound) = if crate::addr::needs_scope(g) {
            (membership::wildcard(v6, opts.port), None)
        } else {
            (crate::addr::group_addr(g, opts.port, ifaces[0]), Some(g))
        };
        // An IPv4 socket bound to its group with one membership on a known
        // interface knows each packet's group and interface without pktinfo.
        let pktinfo = v6 || bound.is_none() || ifaces.len() != 1 || ifaces[0] == 0;
        let (socket, granted, gro) = membership::open(&spec, bind, pktinfo, &what)?;
        let first_fd = socket.as_raw_fd();
        let inner = Rc::new_cyclic(|me| ListenerInner {
            poller: poller.downgrade(),
            me: me.clone(),
            closed: Cell::new(false),
            close_hook: Cell::new(None),
            spec,
            group: g,
            port: opts.port,
            mtu: opts.mtu,
            gro,
            recv_buffer: granted,
            want,
            first_fd,
            socks: RefCell::new(vec![Sock {
                socket,
                fd: first_fd,
                token: 0,
                bound,
                pktinfo,
                members: Vec::new(),
                ovfl: Cell::new(0),
            }]),
            pairs: RefCell::new(Vec::new()),
            members_gen: Cell::new(0),
            old_drops: Cell::new(0),
            pull: handler.is_none(),
            handler: Cell::new(handler),
            filter: Cell::new(None),
            filter_gen: Cell::new(0),
            iface_fn: Cell::new(None),
            counts: Counters::default(),
            queue: RefCell::new(VecDeque::new()),
            spare: RefCell::new(Vec::new()),
            current: RefCell::new(None),
            ext: RefCell::new(None),
        });
        let source: Rc<dyn Source> = inner.clone();
        let tok = poller.add(first_fd, poller::READ, Handler::Object(source))?;
        inner.socks.borrow_mut()[0].token = tok;
        let pair = Pair {
            group: g,
            source: opts.source,
        };
        // On failure the listener is dropped whole: sockets closed, nothing joined.
        if let Err(e) = inner.join_pair(poller, pair, &ifaces, &what) {
            inner.close();
            return Err(e);
        }
        inner.pairs.borrow_mut().push(pair);
        let follower: Rc<dyn Follower> = inner.clone();
        poller.follow(Rc::downgrade(&follower));
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
    /// the handler's answer, the poller's shutdown).
    pub fn set_close_hook(&self, f: Box<dyn FnOnce()>) {
        self.close_hook.set(Some(f));
    }

    fn run_close_hook(&self) {
        if let Some(f) = self.close_hook.take() {
            f();
        }
    }

    /// The first socket's fd (the one that holds the first membership; it
    /// stays while the listener is open).
    pub fn fd(&self) -> Result<RawFd> {
        self.check_open("mc_listener_fd")?;
        Ok(self.first_fd)
    }

    /// The SO_RCVBUF the kernel granted.
    pub fn recv_buffer(&self) -> Result<usize> {
        self.check_open("mc_listener_recv_buffer")?;
        Ok(self.recv_buffer)
    }

    /// The counters.
    pub fn stats(&self) -> Result<Stats> {
        self.check_open("mc_listener_get_stats")?;
        let c = &self.counts;
        let mut s = Stats {
            received: c.received.get(),
            delivered: c.delivered.get(),
            filtered: c.filtered.get(),
            truncated: c.truncated.get(),
            kernel_drops: 0,
            queue_drops: c.queue_drops.get(),
            coalesced: c.coalesced.get(),
            joins: c.joins.get(),
            leaves: c.leaves.get(),
            sockets: 0,
        };
        // SO_RXQ_OVFL tells the count as of the last packet read; SO_MEMINFO
        // tells it now (drops after the last packet included).
        let socks = self.socks.borrow();
        s.kernel_drops = self.old_drops.get()
            + socks
                .iter()
                .map(|k| (k.ovfl.get().max(sys::socket_drops(k.fd).unwrap_or(0))) as u64)
                .sum::<u64>();
        s.sockets = socks.len() as u64;
        Ok(s)
    }

    /// The (group, source) pairs joined now.
    pub fn group_count(&self) -> Result<usize> {
        self.check_open("mc_listener_group_count")?;
        Ok(self.pairs.borrow().len())
    }

    /// Sets what is told of interfaces gained and lost (None: nothing).
    pub fn set_iface_fn(&self, f: Option<IfaceFn>) -> Result<()> {
        self.check_open("mc_listener_set_iface_fn")?;
        self.iface_fn.set(f);
        Ok(())
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

    /// A new wildcard socket for more memberships, registered on `poller`.
    fn open_extra(&self, poller: &Poller, what: &str) -> Result<Sock> {
        let bind = membership::wildcard(self.spec.v6, self.port);
        let (socket, _, _) = membership::open(&self.spec, bind, true, what)?;
        let fd = socket.as_raw_fd();
        let me: Rc<dyn Source> = self.rc()?;
        let token = poller.add(fd, poller::READ, Handler::Object(me))?;
        Ok(Sock {
            socket,
            fd,
            token,
            bound: None,
            pktinfo: true,
            members: Vec::new(),
            ovfl: Cell::new(0),
        })
    }

    /// This listener as its poller holds it.
    fn rc(&self) -> Result<Rc<ListenerInner>> {
        self.me.upgrade().ok_or_else(|| Error::closed("listener"))
    }

    /// Joins `pair` on each of `ifaces`; all or nothing.
    fn join_pair(&self, poller: &Poller, pair: Pair, ifaces: &[u32], what: &str) -> Result<()> {
        let mut done: Vec<Member> = Vec::new();
        for &ifindex in ifaces {
            let m = Member { pair, ifindex };
            let r = {
                let mut socks = self.socks.borrow_mut();
                membership::place(&mut socks, &m, || self.open_extra(poller, what))
            };
            match r {
                Ok(placed) => {
                    done.push(m);
                    if !placed.new {
                        self.need_pktinfo(placed.sock);
                    }
                }
                Err(e) => {
                    for m in &done {
                        self.forget(poller, m, true);
                    }
                    return Err(Error::new(e.kind(), format!("{what}: {}", e.message())));
                }
            }
        }
        add(&self.counts.joins, done.len() as u64);
        self.members_gen.set(self.members_gen.get() + 1);
        Ok(())
    }

    /// A socket that gained a second membership (or one on the kernel's
    /// choice) needs pktinfo to tell them apart.
    fn need_pktinfo(&self, i: usize) {
        let mut socks = self.socks.borrow_mut();
        let s = &mut socks[i];
        if !s.pktinfo && (s.members.len() > 1 || s.members.iter().any(|m| m.ifindex == 0)) {
            let info = RecvInfo {
                pktinfo: true,
                ..Default::default()
            };
            if sys::enable_recv(s.fd, self.spec.v6, info).is_ok() {
                s.pktinfo = true;
            }
        }
    }

    /// Leaves membership `m` (if `leave`: the kernel is told; a deleted
    /// device's entry goes too) and closes an extra socket left empty.
    fn forget(&self, poller: &Poller, m: &Member, leave: bool) {
        let mut socks = self.socks.borrow_mut();
        let Some(i) = socks.iter().position(|s| s.members.contains(m)) else {
            return;
        };
        if leave {
            let _ = membership::leave(socks[i].fd, m);
        }
        socks[i].members.retain(|x| x != m);
        if i > 0 && socks[i].members.is_empty() {
            let s = socks.remove(i);
            let d = s.ovfl.get().max(sys::socket_drops(s.fd).unwrap_or(0));
            self.old_drops.set(self.old_drops.get() + d as u64);
            poller.remove(s.token);
            drop(s); // closing it here is safe: a read checks its fd is still ours
        }
        self.members_gen.set(self.members_gen.get() + 1);
    }

    fn parse_pair(&self, group: &str, source: Option<&str>, what: &str) -> Result<Pair> {
        let g = crate::addr::parse_group(group)?;
        let src = source.map(crate::addr::parse_source).transpose()?;
        if g.is_ipv6() != self.spec.v6 {
            return Err(Error::address(format!(
                "{what}: group {g} is of the other family than the listener's {}",
                self.group
            )));
        }
        if let Some(s) = src {
            if s.is_ipv6() != self.spec.v6 {
                return Err(Error::address(format!(
                    "{what}: source {s} is of the other family than group {g}"
                )));
            }
        }
        Ok(Pair {
            group: g,
            source: src,
        })
    }

    /// Joins one more (group, source) pair on the listener's interfaces.
    pub fn add_group(&self, group: &str, source: Option<&str>) -> Result<()> {
        let what = "mc_listener_add_group";
        self.check_open(what)?;
        let pair = self.parse_pair(group, source, what)?;
        let what = match pair.source {
            Some(s) => format!("{what} {} from {s} (port {})", pair.group, self.port),
            None => format!("{what} {} (port {})", pair.group, self.port),
        };
        {
            let pairs = self.pairs.borrow();
            if pairs.contains(&pair) {
                return Err(Error::new(Kind::Exists, format!("{what}: already joined")));
            }
            if pairs
                .iter()
                .any(|p| p.group == pair.group && p.source.is_some() != pair.source.is_some())
            {
                return Err(Error::invalid(format!(
                    "{what}: the listener holds {} {}; one group cannot be both any-source and source-specific",
                    pair.group,
                    if pair.source.is_some() { "any-source" } else { "source-specific" }
                )));
            }
        }
        if crate::addr::needs_scope(pair.group) && self.want == Want::Default {
            return Err(Error::address(format!(
                "{what}: group {} has link-local scope and needs an interface",
                pair.group
            )));
        }
        let poller = Poller::upgrade(&self.poller)
            .ok_or_else(|| Error::closed("mc_listener_add_group: the poller is gone"))?;
        let now = sys::interfaces().unwrap_or_default();
        let mut ifaces = wanted(&self.want, pair.group, &now);
        if let Want::Named(_, i) = self.want {
            // Joined by index while the interface exists under that index.
            if ifaces.is_empty() && self.joined_on(i) {
                ifaces.push(i);
            }
        }
        if ifaces.is_empty() {
            return Err(Error::new(
                Kind::Os(libc::ENODEV),
                format!("{what}: the listener's interface is not there now"),
            ));
        }
        self.join_pair(&poller, pair, &ifaces, &what)?;
        self.pairs.borrow_mut().push(pair);
        Ok(())
    }

    fn joined_on(&self, ifindex: u32) -> bool {
        self.socks
            .borrow()
            .iter()
            .any(|s| s.members.iter().any(|m| m.ifindex == ifindex))
    }

    /// Leaves a (group, source) pair at once.
    pub fn drop_group(&self, group: &str, source: Option<&str>) -> Result<()> {
        let what = "mc_listener_drop_group";
        self.check_open(what)?;
        let pair = self.parse_pair(group, source, what)?;
        if !self.pairs.borrow().contains(&pair) {
            return Err(Error::new(
                Kind::NotFound,
                format!(
                    "{what}: {}{} is not joined by this listener",
                    pair.group,
                    pair.source
                        .map(|s| format!(" from {s}"))
                        .unwrap_or_default()
                ),
            ));
        }
        let poller = Poller::upgrade(&self.poller)
            .ok_or_else(|| Error::closed("mc_listener_drop_group: the poller is gone"))?;
        let members: Vec<Member> = self
            .socks
            .borrow()
            .iter()
            .flat_map(|s| s.members.iter().copied())
            .filter(|m| m.pair == pair)
            .collect();
        for m in &members {
            self.forget(&poller, m, true);
        }
        add(&self.counts.leaves, members.len() as u64);
        self.pairs.borrow_mut().retain(|p| *p != pair);
        Ok(())
    }

    /// Leaves every group, unregisters and releases the sockets (at the end
    /// of the running dispatch if called from a callback). Idempotent.
    pub fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        self.run_close_hook();
        if let Some(p) = Poller::upgrade(&self.poller) {
            p.unfollow(self as *const ListenerInner as *const ());
            for s in self.socks.borrow().iter() {
                p.remove(s.token);
            }
        }
        // Nothing reads a fd once closed is set (drain checks it first);
        // closing the sockets makes the kernel send the leaves.
        self.socks.borrow_mut().clear();
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
                Kind::Busy,
                "mc_listener_next: called from inside a callback of the listener's poller",
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

    /// Whose datagram (read from `fd`, from `from`, with control messages
    /// `info`) is: its group and interface. None for one not asked for, or
    /// if `fd` is no longer ours.
    fn whose(
        &self,
        fd: RawFd,
        info: &cmsg::Info,
        from: Option<SocketAddr>,
    ) -> Option<(IpAddr, u32)> {
        let socks = self.socks.borrow();
        let s = socks.iter().find(|s| s.fd == fd)?;
        s.whose(info, from)
    }

    /// For a socket that needs no per-datagram check (bound to its group,
    /// one membership, no pktinfo): its group address and interface, the
    /// same for every datagram it reads.
    fn same_for_all(&self, fd: RawFd) -> Option<(SocketAddr, u32)> {
        let socks = self.socks.borrow();
        let s = socks.iter().find(|s| s.fd == fd)?;
        if s.pktinfo || s.members.len() != 1 {
            return None;
        }
        let m = s.members[0];
        Some((
            crate::addr::group_addr(m.pair.group, self.port, m.ifindex),
            m.ifindex,
        ))
    }

    fn note_drops(&self, fd: RawFd, d: u32) {
        if let Some(s) = self.socks.borrow().iter().find(|s| s.fd == fd) {
            s.ovfl.set(s.ovfl.get().max(d));
        }
    }

    fn has_fd(&self, fd: RawFd) -> bool {
        self.socks.borrow().iter().any(|s| s.fd == fd)
    }

    /// Reads what socket `fd` holds (up to READ_PER_WAKEUP datagrams), splits
    /// GRO runs, filters and delivers each datagram.
    fn drain(&self, poller: &Poller, fd: RawFd) {
        let mut handler = self.handler.take();
        let mut filter = self.filter.take();
        let mut fgen = self.filter_gen.get();
        let slot = if self.gro { GRO_SLOT } else { self.mtu };
        let mtu = self.mtu;
        let c = &self.counts;
        poller.with_batch(slot, |batch| {
            let rounds = (READ_PER_WAKEUP / batch.slots()).max(1);
            let gen0 = self.members_gen.get();
            let mut gen = gen0;
            let mut fast = self.same_for_all(fd);
            for _round in 0..rounds {
                // A socket goes only with a membership change (or the close).
                if self.closed.get() || (self.members_gen.get() != gen0 && !self.has_fd(fd)) {
                    return;
                }
                let n = match batch.recv(fd, slot, batch.slots()) {
                    Ok(n) => n,
                    Err(_) => return,
                };
                let mut drops = None;
                for i in 0..n {
                    let r = batch.get(i);
                    let info = cmsg::parse(r.control);
                    if info.drops.is_some() {
                        drops = info.drops;
                    }
                    if self.members_gen.get() != gen {
                        // A callback changed the memberships: look again.
                        gen = self.members_gen.get();
                        fast = self.same_for_all(fd);
                    }
                    let (group, ifindex) = match fast {
                        Some(f) => f,
                        None => match self.whose(fd, &info, r.from) {
                            Some((g, ix)) => (crate::addr::group_addr(g, self.port, ix), ix),
                            None => continue,
                        },
                    };
                    // A GRO run is split at its segment size (the last segment may
                    // be shorter); anything else is one datagram.
                    let seg = match info.gro_segment {
                        Some(s) if (s as usize) < r.size => {
                            add(&c.coalesced, 1);
                            s as usize
                        }
                        _ => r.size.max(1),
                    };
                    let mut off = 0;
                    while off < r.size || (off == 0 && r.size == 0) {
                        let size = seg.min(r.size - off);
                        let end = (off + size.min(mtu)).min(r.data.len());
                        let data = &r.data[off.min(end)..end];
                        off += size.max(1);
                        add(&c.received, 1);
                        if size > data.len() {
                            add(&c.truncated, 1);
                        }
                        let packet = Packet {
                            data,
                            size,
                            from: r.from,
                            group,
                            ifindex,
                            timestamp_ns: info.timestamp_ns,
                            ttl: info.ttl,
                        };
                        if self.filter_gen.get() != fgen {
                            filter = self.filter.take();
                            fgen = self.filter_gen.get();
                        }
                        if let Some(f) = filter.as_mut() {
                            let ok = f.accepts(&packet);
                            if self.closed.get() {
                                return;
                            }
                            if !ok {
                                add(&c.filtered, 1);
                                continue;
                            }
                        }
                        match handler.as_mut() {
                            Some(h) => {
                                add(&c.delivered, 1);
                                if h(&packet) {
                                    self.close();
                                }
                                if self.closed.get() {
                                    return;
                                }
                            }
                            None => self.enqueue(&packet),
                        }
                        // A callback dropped a group: the rest of a run of it is not ours.
                        if self.members_gen.get() != gen && self.whose(fd, &info, r.from).is_none()
                        {
                            break;
                        }
                    }
                }
                if let Some(d) = drops {
                    self.note_drops(fd, d);
                }
                if n < batch.slots() {
                    return;
                }
            }
        });
        if self.filter_gen.get() == fgen {
            self.filter.set(filter);
        }
        if !self.closed.get() {
            self.handler.set(handler);
        }
    }

    fn enqueue(&self, p: &Packet<'_>) {
        let mut q = self.queue.borrow_mut();
        if q.len() >= QUEUE_LIMIT {
            add(&self.counts.queue_drops, 1);
            return;
        }
        add(&self.counts.delivered, 1);
        let mut slot = self.spare.borrow_mut().pop().unwrap_or_default();
        slot.buf.clear();
        slot.buf.extend_from_slice(p.data);
        slot.size = p.size;
        slot.from = p.from;
        slot.group = Some(p.group);
        slot.ifindex = p.ifindex;
        slot.timestamp_ns = p.timestamp_ns;
        slot.ttl = p.ttl;
        q.push_back(slot);
    }

    fn tell(&self, ifindex: u32, name: &str, joined: bool) {
        if let Some(mut f) = self.iface_fn.take() {
            f(ifindex, name, joined);
            if !self.closed.get() && self.iface_fn_is_empty() {
                self.iface_fn.set(Some(f));
            }
        }
    }

    fn iface_fn_is_empty(&self) -> bool {
        let f = self.iface_fn.take();
        let empty = f.is_none();
        self.iface_fn.set(f);
        empty
    }

    /// Follows the system's interfaces: memberships on deleted interfaces
    /// are dropped (by their old index: the kernel keeps a stale per-socket
    /// entry otherwise), and the pairs are joined again where the
    /// interface choice names an interface that has none.
    fn resync(&self, poller: &Poller, events: &[Event], now: &[sys::Interface]) {
        let name_of = |ix: u32| {
            now.iter()
                .find(|i| i.index == ix)
                .map(|i| i.name.clone())
                .or_else(|| {
                    events.iter().find_map(|e| match e {
                        Event::LinkGone { index, name } if *index == ix => name.clone(),
                        _ => None,
                    })
                })
                .unwrap_or_default()
        };
        let deleted: Vec<u32> = events
            .iter()
            .filter_map(|e| match e {
                Event::LinkGone { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        // 1. Memberships on interfaces that are gone (or were re-created).
        let lost: Vec<Member> = self
            .socks
            .borrow()
            .iter()
            .flat_map(|s| s.members.iter().copied())
            .filter(|m| {
                m.ifindex != 0
                    && (deleted.contains(&m.ifindex) || !now.iter().any(|i| i.index == m.ifindex))
            })
            .collect();
        let mut lost_on: Vec<u32> = Vec::new();
        for m in &lost {
            self.forget(poller, m, true);
            if !lost_on.contains(&m.ifindex) {
                lost_on.push(m.ifindex);
            }
        }
        add(&self.counts.leaves, lost.len() as u64);
        for ix in lost_on {
            self.tell(ix, &name_of(ix), false);
            if self.closed.get() {
                return;
            }
        }
        // 2. Pairs not joined where the interface choice says they should be.
        let pairs: Vec<Pair> = self.pairs.borrow().clone();
        let mut gained: Vec<u32> = Vec::new();
        for pair in pairs {
            let have: Vec<u32> = self
                .socks
                .borrow()
                .iter()
                .flat_map(|s| s.members.iter())
                .filter(|m| m.pair == pair)
                .map(|m| m.ifindex)
                .collect();
            if self.want == Want::Default && !have.is_empty() {
                continue; // the kernel's choice still stands
            }
            for ix in wanted(&self.want, pair.group, now) {
                if ix == 0 || have.contains(&ix) {
                    continue;
                }
                let what = format!("re-join {} on {}", pair.group, name_of(ix));
                if self.join_pair(poller, pair, &[ix], &what).is_ok() && !gained.contains(&ix) {
                    gained.push(ix);
                }
            }
        }
        for ix in gained {
            self.tell(ix, &name_of(ix), true);
            if self.closed.get() {
                return;
            }
        }
    }
}

impl Drop for ListenerInner {
    fn drop(&mut self) {
        self.run_close_hook();
    }
}

impl Source for ListenerInner {
    fn ready(&self, poller: &Poller, fd: RawFd, _events: u32) {
        if !self.closed.get() {
            self.drain(poller, fd);
        }
    }

    fn shutdown(&self) {
        self.closed.set(true);
        self.run_close_hook();
        self.socks.borrow_mut().clear();
    }
}

impl Follower for ListenerInner {
    fn interfaces_changed(&self, poller: &Poller, events: &[Event], now: &[sys::Interface]) {
        if !self.closed.get() {
            self.resync(poller, events, now);
        }
    }
}

impl std::fmt::Debug for ListenerInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Listener({}:{}, fd {})",
            self.group, self.port, self.first_fd
        )
    }
}
