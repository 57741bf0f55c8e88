//! `sendto` and friends: one process-wide cache of configured send sockets,
//! so repeated calls cost one syscall, never socket()+setsockopt()+close();
//! runs of equal-size packets go out as UDP GSO sends. Also what every
//! sender shares: the send key of an `Options`, packet size checks, and
//! finding an interface given by name again after it was re-created.

use std::cell::{Cell, RefCell};
use std::net::IpAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use socket2::{SockAddr, Socket};

use crate::addr::Interface;
use crate::error::{Error, Result};
use crate::gso;
use crate::opts::Options;
use crate::socket::{self, SendKey};
use crate::sys;

/// Sockets kept at most; beyond that a call uses a socket of its own.
const CACHE_MAX: usize = 64;

/// A cached socket and its GSO state (leaked: cached sockets live for the
/// process, so both may be handed out as `'static`).
struct Cached {
    key: SendKey,
    socket: Socket,
    gso: &'static gso::State,
}

static CACHE: Mutex<Vec<Cached>> = Mutex::new(Vec::new());

thread_local! {
    // The last key this thread used: the common case takes no lock.
    static LAST: Cell<Option<(SendKey, RawFd, &'static gso::State)>> = const { Cell::new(None) };

    static GSO_BUF: RefCell<sys::GsoBuf> = RefCell::new(sys::GsoBuf::default());
}

/// Interfaces given by name that were re-created: (old index, new index).
static REMAP: Mutex<Vec<(u32, u32)>> = Mutex::new(Vec::new());
static HAVE_REMAP: AtomicBool = AtomicBool::new(false);

fn remapped(ifindex: u32) -> u32 {
    if ifindex == 0 || !HAVE_REMAP.load(Ordering::Relaxed) {
        return ifindex;
    }
    let map = REMAP.lock().unwrap_or_else(|p| p.into_inner());
    map.iter()
        .rev()
        .find(|(old, _)| *old == ifindex)
        .map_or(ifindex, |(_, new)| *new)
}

/// After a send failed as on a vanished interface: if `opts` named its
/// interface by name and one of that name exists now (with another index),
/// remembers the new index for every later send and returns it.
pub fn refind_interface(opts: &Options, e: &std::io::Error, ifindex: u32) -> Option<u32> {
    if !matches!(
        e.raw_os_error(),
        Some(libc::ENODEV)
            | Some(libc::ENXIO)
            | Some(libc::EADDRNOTAVAIL)
            | Some(libc::ENETUNREACH)
    ) {
        return None;
    }
    let name = opts.interface_name.as_deref()?;
    let new = sys::name_to_index(name)?;
    if new == ifindex {
        return None;
    }
    if let Interface::Index(old) = opts.interface {
        let mut map = REMAP.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|(o, _)| *o != old && *o != ifindex);
        map.push((old, new));
        if ifindex != old {
            map.push((ifindex, new));
        }
        HAVE_REMAP.store(true, Ordering::Relaxed);
    }
    Some(new)
}

/// Checks that `opts` names one outgoing interface and returns the send key.
pub fn send_key(opts: &Options, what: &str) -> Result<SendKey> {
    opts.check(what)?;
    let ifindex = match opts.interface {
        Interface::Default => 0,
        Interface::Index(i) => remapped(i),
        Interface::All => {
            return Err(Error::invalid(format!(
                "{what}: interface \"*\" is for listeners; a send goes out on one interface"
            )))
        }
    };
    let v6 = opts.group.is_ipv6();
    if let Some(ip) = opts.send_from.ip.filter(|ip| ip.is_ipv6() != v6) {
        return Err(Error::address(format!(
            "{what}: send-from address {ip} and group {} are of different families",
            opts.group
        )));
    }
    Ok(SendKey {
        v6,
        ttl: opts.ttl,
        ifindex,
        loopback: opts.loopback,
        tos: opts.tos,
        bind: opts.send_from.bind_addr(v6),
    })
}

/// Runs `f` with a socket configured for `key` (and its GSO state, probed
/// for `group`). Cached sockets are never closed, so a fd handed out stays
/// valid.
fn with_socket<R>(
    key: SendKey,
    group: IpAddr,
    f: impl FnOnce(RawFd, &gso::State) -> R,
) -> Result<R> {
    if let Some((k, fd, g)) = LAST.with(|l| l.get()) {
        if k == key {
            return Ok(f(fd, g));
        }
    }
    let hit = {
        let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        let found = match cache.iter().find(|c| c.key == key) {
            Some(c) => Some((c.socket.as_raw_fd(), c.gso)),
            None => repoint_dead(&mut cache, key, group),
        };
        match found {
            Some(hit) => Some(hit),
            None if cache.len() < CACHE_MAX => {
                let socket = socket::sender(key, false)?;
                let fd = socket.as_raw_fd();
                let state = gso::State::probe(fd, key.v6, key.ifindex, group, true);
                let gso: &'static gso::State = Box::leak(Box::new(state));
                cache.push(Cached { key, socket, gso });
                Some((fd, gso))
            }
            None => None,
        }
    };
    match hit {
        Some((fd, g)) => {
            LAST.with(|l| l.set(Some((key, fd, g))));
            Ok(f(fd, g))
        }
        None => {
            let s = socket::sender(key, false)?;
            let state = gso::State::probe(s.as_raw_fd(), key.v6, key.ifindex, group, true);
            Ok(f(s.as_raw_fd(), &state))
        }
    }
}

/// An interface given by name was re-created (`key.ifindex` is its new
/// index): points the cached socket of its old index at the new one, rather
/// than opening one more. Without this, every re-creation of a churning
/// interface left one socket of a dead index in the cache (never closed: a
/// thread may still hold its fd), up to CACHE_MAX. The re-pointed socket,
/// if it did.
fn repoint_dead(
    cache: &mut [Cached],
    key: SendKey,
    group: IpAddr,
) -> Option<(RawFd, &'static gso::State)> {
    let c = cache.iter_mut().find(|c| {
        c.key.ifindex != key.ifindex
            && SendKey {
                ifindex: key.ifindex,
                ..c.key
            } == key
            && remapped(c.key.ifindex) == key.ifindex
    })?;
    let fd = c.socket.as_raw_fd();
    socket::point_at(fd, key.v6, key.ifindex).ok()?;
    c.gso.reprobe_mtu(fd, key.ifindex, group);
    c.key = key;
    Some((fd, c.gso))
}

fn describe(group: IpAddr, port: u16, key: &SendKey) -> String {
    format!(
        "send to {} (ttl {}, {}{})",
        crate::addr::display(crate::addr::group_addr(group, port, key.ifindex)),
        key.ttl,
        socket::iface_label(key.ifindex),
        socket::from_label(key.bind)
    )
}

// The payload limit lives with the run planning that bounds runs by it;
// re-exported here, where the size checks use it.
pub use crate::gso::max_payload;

/// `EMSGSIZE`, naming the size and the limit, for a packet no datagram
/// can carry.
pub fn check_size(len: usize, v6: bool, what: impl FnOnce() -> String) -> Result<()> {
    let max = max_payload(v6);
    if len <= max {
        return Ok(());
    }
    Err(Error::new(
        crate::Kind::Os(libc::EMSGSIZE),
        format!(
            "{}: {len} bytes is more than the {max} bytes a UDP datagram over {} can carry (Message too long)",
            what(),
            if v6 { "IPv6" } else { "IPv4" }
        ),
    ))
}

/// Sends one packet as `opts` says; returns the bytes sent.
pub fn sendto_opts(opts: &Options, data: &[u8]) -> Result<usize> {
    let mut key = send_key(opts, "send")?;
    check_size(data.len(), key.v6, || describe(opts.group, opts.port, &key))?;
    for _ in 0..2 {
        let dest = socket::dest(opts.group, opts.port, key.ifindex);
        let r = with_socket(key, opts.group, |fd, _| send_one(fd, &dest, data))?;
        match r {
            Ok(n) => return Ok(n),
            Err(e) => match refind_interface(opts, &e, key.ifindex) {
                Some(new) => key.ifindex = new,
                None => return Err(Error::os(describe(opts.group, opts.port, &key), e)),
            },
        }
    }
    Err(Error::new(
        crate::Kind::Os(libc::ENODEV),
        format!(
            "{}: the interface is gone",
            describe(opts.group, opts.port, &key)
        ),
    ))
}

/// A destination of [`sendto_group`] prepared for repeated sends: its
/// cached socket (never closed) and its address, built once.
pub struct GroupSender {
    fd: RawFd,
    dest: SockAddr,
}

impl GroupSender {
    /// Sends `data` with one sendto. An error means nothing was sent
    /// ([`sendto_group`] then says why, in full).
    #[inline]
    pub fn send(&self, data: &[u8]) -> std::io::Result<usize> {
        send_one(self.fd, &self.dest, data)
    }
}

/// Sends one packet to `group:port` with `ttl` on the system's choice of
/// interface, loopback on: what `mc_sendto` does, without an `Options`.
/// Also returns the destination prepared for the next sends, when its
/// socket is a cached one.
pub fn sendto_group(
    group: IpAddr,
    port: u16,
    ttl: u32,
    data: &[u8],
) -> Result<(usize, Option<GroupSender>)> {
    let key = SendKey {
        v6: group.is_ipv6(),
        ttl,
        ifindex: 0,
        loopback: true,
        tos: 0,
        bind: None,
    };
    if crate::addr::needs_scope(group) {
        return Err(Error::address(format!(
            "send: group {group} has link-local scope and needs an interface"
        )));
    }
    check_size(data.len(), key.v6, || describe(group, port, &key))?;
    let dest = socket::dest(group, port, 0);
    let n = with_socket(key, group, |fd, _| send_one(fd, &dest, data))?
        .map_err(|e| Error::os(describe(group, port, &key), e))?;
    // Only a cached socket outlives the call (LAST holds those alone).
    let prepared = match LAST.with(|l| l.get()) {
        Some((k, fd, _)) if k == key => Some(GroupSender { fd, dest }),
        _ => None,
    };
    Ok((n, prepared))
}

fn send_one(fd: RawFd, dest: &SockAddr, data: &[u8]) -> std::io::Result<usize> {
    sys::send_batch(fd, Some(dest), &[data]).map(|_| data.len())
}

/// What [`sendto_many`] did: how many went, and why the rest did not.
#[derive(Debug)]
pub struct SentMany {
    /// Packets sent, in order from the first.
    pub sent: usize,
    /// Set when fewer than all went: the OS's reason.
    pub error: Option<Error>,
}

/// Sends packets `0..count` (`packet(i)`) to `dest` on `fd`, in order: runs
/// of equal size as GSO sends while `state` allows, up to SEND_BATCH runs
/// per sendmmsg. A GSO refusal turns GSO off for the socket (or, for
/// EMSGSIZE, asks the MTU again) and the same packets go again as ordinary
/// sends: nothing is lost or sent twice. Returns how many went, and the
/// error that stopped it.
pub fn send_all<'a>(
    fd: RawFd,
    dest: &SockAddr,
    count: usize,
    packet: impl Fn(usize) -> &'a [u8] + Copy,
    state: &gso::State,
    reprobe: impl Fn(&gso::State),
    buf: &mut sys::GsoBuf,
) -> (usize, Option<std::io::Error>) {
    let mut sent = 0;
    let mut runs = [gso::Run {
        start: 0,
        count: 0,
        seg: 0,
    }; sys::SEND_BATCH];
    while sent < count {
        let limits = state.limits();
        let mut n = 0;
        let mut at = sent;
        while n < runs.len() && at < count {
            let r = gso::next_run(|i| packet(i).len(), at, count, &limits);
            at += r.count;
            runs[n] = r;
            n += 1;
        }
        let planned = runs[..n]
            .iter()
            .map(|r| (r.start..r.start + r.count, r.seg));
        match sys::send_runs(fd, dest, packet, planned, buf) {
            Ok(k) => sent += runs[..k].iter().map(|r| r.count).sum::<usize>(),
            Err(e) if runs[0].count > 1 && gso::is_refusal(&e) => {
                // The first run (a GSO one) was refused: nothing of it went.
                if e.raw_os_error() == Some(libc::EMSGSIZE) {
                    let before = state.limits();
                    reprobe(state);
                    if state.limits() == before {
                        state.disable();
                    }
                } else {
                    state.disable();
                }
            }
            Err(e) => return (sent, Some(e)),
        }
    }
    (sent, None)
}

/// Sends `packets` in order: runs of equal-size packets as GSO sends,
/// several runs per sendmmsg. Every packet is checked before any is sent
/// (a packet too large for a datagram is `EMSGSIZE` naming its index, size
/// and limit); an error is returned only if none went, else
/// [`SentMany::error`] tells why the rest did not.
pub fn sendto_many<'a>(
    opts: &Options,
    count: usize,
    packet: impl Fn(usize) -> &'a [u8] + Copy,
) -> Result<SentMany> {
    let key = send_key(opts, "send")?;
    for i in 0..count {
        check_size(packet(i).len(), key.v6, || {
            format!("{}: packets[{i}]", describe(opts.group, opts.port, &key))
        })?;
    }
    let dest = socket::dest(opts.group, opts.port, key.ifindex);
    let (sent, err) = with_socket(key, opts.group, |fd, state| {
        GSO_BUF.with(|b| {
            let mut b = b.borrow_mut();
            let reprobe = |s: &gso::State| s.reprobe_mtu(fd, key.ifindex, opts.group);
            send_all(fd, &dest, count, packet, state, reprobe, &mut b)
        })
    })?;
    let what = || describe(opts.group, opts.port, &key);
    match err {
        Some(e) if sent == 0 => Err(Error::os(what(), e)),
        Some(e) => Ok(SentMany {
            sent,
            error: Some(Error::os(
                format!("{}: stopped at packets[{sent}] of {count}", what()),
                e,
            )),
        }),
        None => Ok(SentMany { sent, error: None }),
    }
}
