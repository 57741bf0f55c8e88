//! `sendto` and friends: one process-wide cache of configured send sockets,
//! so repeated calls cost one syscall, never socket()+setsockopt()+close().

use std::cell::Cell;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Mutex;

use socket2::{SockAddr, Socket};

use crate::error::{Error, Result};
use crate::multicaster::send_key;
use crate::opts::Options;
use crate::socket::{self, SendKey};
use crate::sys;

/// Sockets kept at most; beyond that a call uses a socket of its own.
const CACHE_MAX: usize = 64;

static CACHE: Mutex<Vec<(SendKey, Socket)>> = Mutex::new(Vec::new());

thread_local! {
    // The last key this thread used: the common case takes no lock.
    static LAST: Cell<Option<(SendKey, RawFd)>> = const { Cell::new(None) };
}

/// Runs `f` with a socket configured for `key`. Cached sockets are never
/// closed, so a fd handed out stays valid.
fn with_socket<R>(key: SendKey, f: impl FnOnce(RawFd) -> R) -> Result<R> {
    if let Some((k, fd)) = LAST.with(|l| l.get()) {
        if k == key {
            return Ok(f(fd));
        }
    }
    let fd = {
        let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        match cache.iter().find(|(k, _)| *k == key) {
            Some((_, s)) => Some(s.as_raw_fd()),
            None if cache.len() < CACHE_MAX => {
                let s = socket::sender(key, false)?;
                let fd = s.as_raw_fd();
                cache.push((key, s));
                Some(fd)
            }
            None => None,
        }
    };
    match fd {
        Some(fd) => {
            LAST.with(|l| l.set(Some((key, fd))));
            Ok(f(fd))
        }
        None => {
            let s = socket::sender(key, false)?;
            Ok(f(s.as_raw_fd()))
        }
    }
}

fn describe(group: IpAddr, port: u16, key: &SendKey) -> String {
    format!(
        "send to {group}:{port} (ttl {}, {})",
        key.ttl,
        socket::iface_label(key.ifindex)
    )
}

/// The largest UDP payload one datagram carries: 65,535 bytes less the
/// IPv4 (20) and UDP (8) headers, or less the UDP header alone for IPv6.
pub fn max_payload(v6: bool) -> usize {
    if v6 {
        65_527
    } else {
        65_507
    }
}

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
    let key = send_key(opts, "send")?;
    check_size(data.len(), key.v6, || describe(opts.group, opts.port, &key))?;
    let dest = socket::dest(opts.group, opts.port, key.ifindex);
    let r = with_socket(key, |fd| send_one(fd, &dest, data))?;
    r.map_err(|e| Error::os(describe(opts.group, opts.port, &key), e))
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

/// Sends `packets` in order, batched with sendmmsg. Every packet is
/// checked before any is sent (a packet too large for a datagram is
/// `EMSGSIZE` naming its index, size and limit); an error is returned only
/// if none went, else [`SentMany::error`] tells why the rest did not.
pub fn sendto_many<'a>(
    opts: &Options,
    count: usize,
    packet: impl Fn(usize) -> &'a [u8],
) -> Result<SentMany> {
    let key = send_key(opts, "send")?;
    for i in 0..count {
        check_size(packet(i).len(), key.v6, || {
            format!("{}: packets[{i}]", describe(opts.group, opts.port, &key))
        })?;
    }
    let dest = socket::dest(opts.group, opts.port, key.ifindex);
    let mut stopped = None;
    let r = with_socket(key, |fd| {
        let mut sent = 0;
        let mut batch: [&[u8]; sys::SEND_BATCH] = [&[]; sys::SEND_BATCH];
        while sent < count {
            let n = (count - sent).min(sys::SEND_BATCH);
            for (i, b) in batch.iter_mut().take(n).enumerate() {
                *b = packet(sent + i);
            }
            match sys::send_batch(fd, Some(&dest), &batch[..n]) {
                Ok(k) => sent += k,
                Err(e) if sent == 0 => return Err(e),
                Err(e) => {
                    stopped = Some((sent, e));
                    break;
                }
            }
        }
        Ok(sent)
    })?;
    let sent = r.map_err(|e| Error::os(describe(opts.group, opts.port, &key), e))?;
    let error = stopped.map(|(at, e)| {
        Error::os(
            format!(
                "{}: stopped at packets[{at}] of {count}",
                describe(opts.group, opts.port, &key)
            ),
            e,
        )
    });
    Ok(SentMany { sent, error })
}
