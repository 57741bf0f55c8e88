//! The listener's state, its construction and its lifecycle (open until
//! closed; closing leaves its groups and releases its sockets).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};

use super::membership::{self, Pair, Sock, SockSpec};
use super::pulled::Pulled;
use super::stats::{Counters, Stats};
use crate::addr::Interface;
use crate::error::{Error, Result};
use crate::filter::{self, Filter, FilterFn};
use crate::lifecycle::Lifecycle;
use crate::netlink::Event;
use crate::opts::Options;
use crate::packet::Packet;
use crate::poller::{self, Follower, Handler, Poller, Source};
use crate::sys::{self, RecvInfo};

/// The handler: true closes the listener.
pub type PacketFn = Box<dyn FnMut(&Packet<'_>) -> bool>;

/// Told when the listener gains (true) or loses (false) its memberships on
/// an interface: (ifindex, name, joined).
pub type IfaceFn = Box<dyn FnMut(u32, &str, bool)>;

/// What the program asked for as the interface, kept so that the listener
/// can join again when interfaces come and go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Want {
    /// The system's choice: the route to the group, asked at each join.
    Default,
    /// One interface, by the name it had (index 0: it had none).
    Named(String, u32),
    /// Every interface up with MULTICAST.
    All,
}

/// The interface indices `want` names now (`now`: the system's list).
pub(super) fn wanted(want: &Want, group: IpAddr, now: &[sys::Interface]) -> Vec<u32> {
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

/// A listener. Its poller owns it; this handle is another reference.
#[derive(Clone)]
pub struct Listener(pub(crate) Rc<ListenerInner>);

#[doc(hidden)]
pub struct ListenerInner {
    pub(super) poller: Weak<poller::Inner>,
    /// Itself, for registering the sockets it opens later.
    pub(super) me: Weak<ListenerInner>,
    pub(super) life: Lifecycle,
    pub(super) spec: SockSpec,
    /// The first group (the filter's ${ip}).
    pub(super) group: IpAddr,
    pub(super) port: u16,
    pub(super) mtu: usize,
    /// Reads whole GRO runs (the first socket has UDP_GRO on).
    pub(super) gro: bool,
    pub(super) recv_buffer: usize,
    pub(super) want: Want,
    /// The first socket's fd (mc_listener_fd), for the listener's life.
    pub(super) first_fd: RawFd,
    pub(super) socks: RefCell<Vec<Sock>>,
    pub(super) pairs: RefCell<Vec<Pair>>,
    /// Blocked (group, source) of its any-source groups (`blocks.rs`).
    pub(super) blocked: RefCell<Vec<(IpAddr, IpAddr)>>,
    /// Bumped whenever memberships change (a read in progress looks again).
    pub(super) members_gen: Cell<u64>,
    /// Kernel drops of sockets closed since.
    pub(super) old_drops: Cell<u64>,
    pub(super) handler: Cell<Option<PacketFn>>,
    pub(super) pull: bool,
    pub(super) filter: Cell<Option<Filter>>,
    pub(super) filter_gen: Cell<u64>,
    pub(super) iface_fn: Cell<Option<IfaceFn>>,
    pub(super) counts: Counters,
    pub(super) queue: RefCell<VecDeque<Pulled>>,
    pub(super) spare: RefCell<Vec<Pulled>>,
    pub(super) current: RefCell<Option<Pulled>>,
}

impl Listener {
    /// Joins and binds as `opts` says and registers on `poller`. A `None`
    /// handler is pull mode: packets queue for [`ListenerInner::next`].
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
        // The first socket is bound to the group. A scoped IPv6 group is
        // bound to the wildcard: bound with a scope, the socket would be
        // tied to that device (sk_bound_dev_if) and stay deaf once the
        // interface is re-created; IPV6_MULTICAST_ALL off and pktinfo keep
        // other groups and unicast out.
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
            life: Lifecycle::new(
                "listener",
                "by the program, by its callback's answer or with its poller",
            ),
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
            blocked: RefCell::new(Vec::new()),
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
    /// True once closed.
    pub fn is_closed(&self) -> bool {
        self.life.is_closed()
    }

    /// The first socket's fd (the one that holds the first membership; it
    /// stays while the listener is open).
    pub fn fd(&self) -> Result<RawFd> {
        self.life.check_open()?;
        Ok(self.first_fd)
    }

    /// The SO_RCVBUF the kernel granted.
    pub fn recv_buffer(&self) -> Result<usize> {
        self.life.check_open()?;
        Ok(self.recv_buffer)
    }

    /// The counters.
    pub fn stats(&self) -> Result<Stats> {
        self.life.check_open()?;
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
        self.life.check_open()?;
        Ok(self.pairs.borrow().len())
    }

    /// Sets what is told of interfaces gained and lost (None: nothing).
    pub fn set_iface_fn(&self, f: Option<IfaceFn>) -> Result<()> {
        self.life.check_open()?;
        self.iface_fn.set(f);
        Ok(())
    }

    /// Replaces the filter with a callback (None removes it).
    pub fn set_filter(&self, f: Option<FilterFn>) -> Result<()> {
        self.life.check_open()?;
        self.replace_filter(f.map(Filter::Func));
        Ok(())
    }

    /// Replaces the filter with a pattern (None removes it). On a bad
    /// pattern the old filter stays.
    pub fn set_filter_regex(&self, pattern: Option<&str>) -> Result<()> {
        self.life.check_open()?;
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

    pub(super) fn replace_filter(&self, f: Option<Filter>) {
        let old = self.filter.replace(f);
        self.filter_gen.set(self.filter_gen.get() + 1);
        drop(old);
    }

    /// This listener as its poller holds it.
    pub(super) fn rc(&self) -> Result<Rc<ListenerInner>> {
        self.me
            .upgrade()
            .ok_or_else(|| Error::closed("the listener is gone"))
    }

    /// Its poller, if it still exists.
    pub(super) fn poller(&self) -> Result<Poller> {
        Poller::upgrade(&self.poller).ok_or_else(|| Error::closed("the poller is gone"))
    }

    /// Leaves every group, unregisters and releases the sockets (at the end
    /// of the running dispatch if called from a callback). Idempotent.
    pub fn close(&self) {
        if !self.life.close() {
            return;
        }
        if let Some(p) = Poller::upgrade(&self.poller) {
            p.unfollow(self as *const ListenerInner as *const ());
            for s in self.socks.borrow().iter() {
                p.remove(s.token);
            }
        }
        // Nothing reads a fd once closed (the receive loop checks first);
        // closing the sockets makes the kernel send the leaves.
        self.socks.borrow_mut().clear();
    }
}

impl Source for ListenerInner {
    fn ready(&self, poller: &Poller, fd: RawFd, _events: u32) {
        if !self.life.is_closed() {
            self.drain(poller, fd);
        }
    }

    fn shutdown(&self) {
        self.life.close();
        self.socks.borrow_mut().clear();
    }
}

impl Follower for ListenerInner {
    fn interfaces_changed(&self, poller: &Poller, events: &[Event], now: &[sys::Interface]) {
        if !self.life.is_closed() {
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
