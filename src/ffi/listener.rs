//! mc_listener: a pointer to a core listener owned by its poller.

use std::ffi::{c_char, c_int, c_void};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::ffi::boundary::{close_object, guard, new_handle, non_null, object, opt_str, to_int};
use crate::ffi::handles;
use crate::ffi::opts::{mc_opts, opts_or_default};
use crate::ffi::poller::{mc_poller, poller_of};
use crate::ffi::types::*;
use crate::filter::FilterFn;
use crate::listener::{Listener, ListenerInner, Packet, PacketFn};

/// A multicast listener (opaque); owned by its poller.
pub struct mc_listener {
    _private: [u8; 0],
}

/// Interface callback of a listener: joined 1, the listener now has its memberships on
/// ifindex (named ifname); 0, it lost them there (the interface was deleted).
pub type mc_iface_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        l: *mut mc_listener,
        ifindex: u32,
        ifname: *const std::ffi::c_char,
        joined: c_int,
    ),
>;
crate::ffi::handles::handle_object!(ListenerInner, Listener);

/// The listener behind `p` (see [`object`]).
fn listener(p: *const mc_listener, what: &str) -> Result<Rc<ListenerInner>> {
    object::<ListenerInner, _>(p, what)
}

/// The core's packet handler (or filter) calling the C function `f`: the
/// core's [`Packet`] has `mc_packet`'s layout, so it is handed over as is.
fn c_callback(
    f: unsafe extern "C" fn(*mut c_void, *const mc_packet) -> c_int,
    ud: UserData,
) -> impl FnMut(&Packet<'_>) -> bool {
    move |p: &Packet<'_>| {
        let ud = ud;
        // SAFETY: the program gave f with this user_data; the packet lives
        // for the call and has mc_packet's layout (checked in types.rs).
        unsafe { f(ud.0, mc_packet::view(p)) != 0 }
    }
}

/// Creates a listener on poller (NULL: the default poller): joins the group (on each
/// interface for "*"; source-specific when a source is set), binds group:port with
/// SO_REUSEADDR (several listeners of one group, in one process or many, each get every
/// packet), receives only its own group's packets (never another group's that shares the
/// port: IP_MULTICAST_ALL off), and registers on the poller. on_packet returning non-zero
/// closes and frees the listener. on_packet NULL = pull mode: packets queue for
/// mc_listener_next. opts NULL: defaults; copied, may be freed at once. On failure *out is
/// NULL and nothing stays open. The poller owns the listener: it lives until
/// mc_listener_close, on_packet's non-zero answer, or mc_poller_free.
/// Returns 0. Errors: MC_EINVAL (NULL out); MC_EADDRESS (a source of the other family than
/// the group, a link-local IPv6 group without an interface, "*" with no interface up with
/// MULTICAST); -errno if the system refuses a step (socket, SO_RCVBUF, bind, the join: e.g.
/// -ENODEV when no route chooses an interface, -ENOBUFS past a membership limit, -EMFILE).
#[no_mangle]
pub unsafe extern "C" fn mc_listener_new(
    poller: *mut mc_poller,
    opts: *const mc_opts,
    on_packet: mc_packet_fn,
    user_data: *mut c_void,
    out: *mut *mut mc_listener,
) -> c_int {
    guard(|| {
        let out = non_null(out, "mc_listener_new: out")? as *mut *mut mc_listener;
        // SAFETY: out is the caller's pointer to fill.
        unsafe { *out = std::ptr::null_mut() };
        let p = poller_of(poller)?;
        let o = opts_or_default(opts);
        let handler = on_packet.map(|f| Box::new(c_callback(f, UserData(user_data))) as PacketFn);
        let l: Listener = Listener::new(p, &o, handler)?;
        // The poller owns the listener; the C handle is a key of handles.rs.
        // SAFETY: as above.
        unsafe { *out = new_handle(&l.0, p) };
        Ok(0)
    })
}

/// Sets a filter callback: packets for which it returns zero are dropped (counted as
/// filtered). Replaces a regex filter; NULL removes the filter.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle), MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_set_filter(
    l: *mut mc_listener,
    filter: mc_filter_fn,
    user_data: *mut c_void,
) -> c_int {
    guard(|| {
        let l = listener(l, "mc_listener_set_filter")?;
        let f = filter.map(|f| Box::new(c_callback(f, UserData(user_data))) as FilterFn);
        l.set_filter(f)
            .map(|_| 0)
            .map_err(|e| e.context("mc_listener_set_filter"))
    })
}

/// Sets a regex filter: packets whose bytes match the pattern at their start are accepted
/// (Rust `regex` syntax, matched on bytes; use (?-u) for raw bytes like \xff). ${ip},
/// ${port} and ${mtu} in the pattern are replaced by the listener's values, as escaped
/// literals, first. Replaces a callback filter; NULL removes the filter.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle), MC_ECLOSED, MC_EREGEX (a
/// pattern that does not compile or is not UTF-8; the reason is in mc_last_error(), and the
/// old filter stays).
#[no_mangle]
pub unsafe extern "C" fn mc_listener_set_filter_regex(
    l: *mut mc_listener,
    pattern: *const c_char,
) -> c_int {
    guard(|| {
        let l = listener(l, "mc_listener_set_filter_regex")?;
        let pat = if pattern.is_null() {
            None
        } else {
            // SAFETY: a NUL-terminated string by the API's contract.
            let c = unsafe { std::ffi::CStr::from_ptr(pattern) };
            Some(c.to_str().map_err(|_| {
                Error::new(
                    crate::Kind::Regex,
                    format!(
                        "filter pattern \"{}\": not valid UTF-8",
                        c.to_string_lossy()
                    ),
                )
            })?)
        };
        l.set_filter_regex(pat).map(|_| 0)
    })
}

/// Pull mode: takes the next queued packet, waiting up to timeout_ms (0 = don't wait, -1 =
/// forever) for one. It polls the listener's poller while it waits, so other registrations
/// are served too.
/// Returns 1 with *out set to a packet the library owns (valid until the next
/// mc_listener_next or mc_listener_close on this listener); 0 with *out NULL if none
/// arrived within timeout_ms or mc_stop() was called. Errors: MC_EINVAL (NULL or not a
/// listener handle, NULL out, timeout_ms below -1, a listener that has an on_packet
/// callback); MC_EBUSY from inside any callback of the listener's poller (its own filter
/// included: a read from there would bypass the filter), whether or not packets are queued;
/// MC_ECLOSED (closed, also by a callback run while it waits); -errno if the wait fails
/// (epoll_wait).
#[no_mangle]
pub unsafe extern "C" fn mc_listener_next(
    l: *mut mc_listener,
    out: *mut *const mc_packet,
    timeout_ms: c_int,
) -> c_int {
    guard(|| {
        // Held: callbacks run while it waits may close it.
        let handle = l as usize;
        let l = listener(l, "mc_listener_next")?;
        let out = non_null(out, "mc_listener_next: out")? as *mut *const mc_packet;
        // SAFETY: out is the caller's pointer to fill.
        unsafe { *out = std::ptr::null() };
        let Some(pulled) = l
            .next(timeout_ms)
            .map_err(|e| e.context("mc_listener_next"))?
        else {
            return Ok(0);
        };
        // SAFETY: Packet has mc_packet's layout; its bytes live in the
        // listener until the next call or the close.
        let cp = unsafe { *mc_packet::view(&pulled.packet()) };
        drop(pulled);
        let kept = handles::keep_pulled(handle, cp);
        if kept.is_null() {
            return Err(Error::closed(
                "mc_listener_next: the listener was closed while it waited",
            ));
        }
        // SAFETY: as above; the copy lives in the handle's slot until the
        // next call or the close.
        unsafe { *out = kept };
        Ok(1)
    })
}

/// Joins one more (group, source) pair on the listener's port, interface choice and poller
/// (source NULL: any-source; else source-specific). Every group has the family of the
/// listener's first. Past the kernel's per-socket limits (net.ipv4.igmp_max_memberships,
/// igmp_max_msf) the listener opens more sockets by itself
/// (mc_listener_get_counts().sockets). A failed add leaves the listener as it was. Safe
/// inside callbacks.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle, NULL group, a group held
/// with the other kind: any-source vs source-specific); MC_ECLOSED; MC_EADDRESS (a
/// group/source that is not one, of the other family, or a link-local IPv6 group on a
/// listener without an interface); MC_EEXIST (the pair is already joined); -errno if the
/// system refuses, the message naming the group, the interface and the reason: -ENOBUFS
/// past a limit even on a new socket (naming the sysctl and its value), -ENODEV if the
/// listener's interface is not there now, others such as -EMFILE.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_add_group(
    l: *mut mc_listener,
    group: *const c_char,
    source: *const c_char,
) -> c_int {
    on_pair(l, group, source, "mc_listener_add_group", |l, g, s| {
        l.add_group(g, s)
    })
}

/// Leaves a (group, source) pair at once (the kernel sends the leave). The pair of the
/// listener's opts can be dropped too: a listener may have none (it stays open and
/// registered; mc_listener_fd keeps returning its first socket). Safe inside callbacks:
/// datagrams of the pair already read are not delivered.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle, NULL group); MC_ECLOSED;
/// MC_EADDRESS (group/source not an address of the kind, or of the other family);
/// MC_ENOTFOUND (that pair is not joined).
#[no_mangle]
pub unsafe extern "C" fn mc_listener_drop_group(
    l: *mut mc_listener,
    group: *const c_char,
    source: *const c_char,
) -> c_int {
    on_pair(l, group, source, "mc_listener_drop_group", |l, g, s| {
        l.drop_group(g, s)
    })
}

/// The kernel stops delivering group's datagrams from source to l (MCAST_BLOCK_SOURCE), on
/// every interface where l holds group (on each socket it is spread over), and again after
/// every re-join (an interface re-created, a new one for "*"); all or nothing. group must
/// be joined by l any-source. mc_listener_drop_group forgets the group's blocked sources.
/// Safe inside callbacks.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle, NULL group or source; l
/// holds group source-specific); MC_ECLOSED; MC_EADDRESS (group or source not an address
/// of the kind, or of the other family); MC_ENOTFOUND (l does not hold group); MC_EEXIST
/// (source already blocked for group); -ENOBUFS past the kernel's limit of sources per
/// group and socket (net.ipv4.igmp_max_msf, net.ipv6.mld_max_msf: mc_last_error names the
/// sysctl and its value); -errno if the system refuses otherwise.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_block_source(
    l: *mut mc_listener,
    group: *const c_char,
    source: *const c_char,
) -> c_int {
    on_pair(l, group, source, "mc_listener_block_source", |l, g, s| {
        l.block_source(g, required(s)?)
    })
}

/// Takes source off group's blocked sources (MCAST_UNBLOCK_SOURCE): its datagrams are
/// delivered to l again. Safe inside callbacks.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle, NULL group or source; l
/// holds group source-specific); MC_ECLOSED; MC_EADDRESS (as mc_listener_block_source);
/// MC_ENOTFOUND (l does not hold group, or source was not blocked); -errno if the system
/// refuses the unblock.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_unblock_source(
    l: *mut mc_listener,
    group: *const c_char,
    source: *const c_char,
) -> c_int {
    on_pair(l, group, source, "mc_listener_unblock_source", |l, g, s| {
        l.unblock_source(g, required(s)?)
    })
}

/// A source a call needs: NULL is MC_EINVAL.
fn required(source: Option<&str>) -> Result<&str> {
    source.ok_or_else(|| Error::invalid("source: NULL"))
}

/// `f` on the listener, group (required) and source of export `what`: 0 or its error code.
fn on_pair(
    l: *mut mc_listener,
    group: *const c_char,
    source: *const c_char,
    what: &str,
    f: impl FnOnce(&ListenerInner, &str, Option<&str>) -> Result<()>,
) -> c_int {
    guard(|| {
        let l = listener(l, what)?;
        let g = non_null(group, &format!("{what}: group"))?;
        let g = opt_str(g, "group")?.unwrap_or_default();
        f(&l, g, opt_str(source, "source")?)
            .map(|_| 0)
            .map_err(|e| e.context(what))
    })
}

/// Counts the (group, source) pairs the listener has joined now.
/// Returns the number of pairs (>= 0). Errors: MC_EINVAL (NULL or not a listener handle),
/// MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_group_count(l: *const mc_listener) -> c_int {
    guard(|| {
        Ok(to_int(
            listener(l, "mc_listener_group_count")?
                .group_count()
                .map_err(|e| e.context("mc_listener_group_count"))?,
        ))
    })
}

/// Sets the function told when the listener gains (joined 1) or loses (joined 0) its
/// memberships on an interface as interfaces come and go (called from the poller's
/// dispatch, with the interface's index and name; ifname is valid during the call). NULL
/// fn: none. The function may close the listener or call anything a callback may.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle), MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_set_iface_fn(
    l: *mut mc_listener,
    f: mc_iface_fn,
    user_data: *mut c_void,
) -> c_int {
    guard(|| {
        let handle = l;
        let li = listener(l, "mc_listener_set_iface_fn")?;
        let ud = UserData(user_data);
        let cb = f.map(|f| {
            Box::new(move |ifindex: u32, name: &str, joined: bool| {
                let ud = ud;
                let cname = std::ffi::CString::new(name).unwrap_or_default();
                // SAFETY: the program gave f with this user_data; cname lives for the call.
                unsafe { f(ud.0, handle, ifindex, cname.as_ptr(), joined as c_int) }
            }) as crate::listener::IfaceFn
        });
        li.set_iface_fn(cb)
            .map(|_| 0)
            .map_err(|e| e.context("mc_listener_set_iface_fn"))
    })
}

/// Copies the listener's further counters into *out: queue_drops, GRO runs (coalesced),
/// joins and leaves of memberships (one membership = one group, source and interface), and
/// the sockets it holds now.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle, NULL out), MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_get_counts(
    l: *const mc_listener,
    out: *mut mc_listener_counts,
) -> c_int {
    guard(|| {
        let l = listener(l, "mc_listener_get_counts")?;
        let out = non_null(out, "mc_listener_get_counts: out")? as *mut mc_listener_counts;
        // SAFETY: out is the caller's struct to fill.
        unsafe {
            *out = l
                .stats()
                .map_err(|e| e.context("mc_listener_get_counts"))?
                .into()
        };
        Ok(0)
    })
}

/// The listener's first socket (owned by the listener: do not close it): the one that holds
/// its first membership; it stays the same while the listener is open, even with no
/// membership left. A listener with several groups may hold more sockets.
/// Returns the fd. Errors: MC_EINVAL (NULL or not a listener handle), MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_fd(l: *mut mc_listener) -> c_int {
    guard(|| {
        listener(l, "mc_listener_fd")?
            .fd()
            .map_err(|e| e.context("mc_listener_fd"))
    })
}

/// Copies the listener's counters into *out.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle, NULL out), MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_get_stats(
    l: *const mc_listener,
    out: *mut mc_listener_stats,
) -> c_int {
    guard(|| {
        let l = listener(l, "mc_listener_get_stats")?;
        let out = non_null(out, "mc_listener_get_stats: out")? as *mut mc_listener_stats;
        // SAFETY: out is the caller's struct to fill.
        unsafe {
            *out = l
                .stats()
                .map_err(|e| e.context("mc_listener_get_stats"))?
                .into()
        };
        Ok(0)
    })
}

/// Pull mode: packets dropped because the queue (4096 packets) was full; they are not
/// counted as delivered. Stores the count in *out.
/// Returns 0. Errors: MC_EINVAL (NULL or not a listener handle, NULL out), MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_queue_drops(l: *const mc_listener, out: *mut u64) -> c_int {
    guard(|| {
        let l = listener(l, "mc_listener_queue_drops")?;
        let out = non_null(out, "mc_listener_queue_drops: out")? as *mut u64;
        // SAFETY: out is the caller's to fill.
        unsafe {
            *out = l
                .stats()
                .map_err(|e| e.context("mc_listener_queue_drops"))?
                .queue_drops
        };
        Ok(0)
    })
}

/// The receive buffer the kernel granted, as getsockopt(SO_RCVBUF) reports it (the kernel
/// doubles the request for its bookkeeping and clamps it to net.core.rmem_max).
/// Returns the size in bytes. Errors: MC_EINVAL (NULL or not a listener handle),
/// MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_recv_buffer(l: *const mc_listener) -> c_int {
    guard(|| {
        Ok(to_int(
            listener(l, "mc_listener_recv_buffer")?
                .recv_buffer()
                .map_err(|e| e.context("mc_listener_recv_buffer"))?,
        ))
    })
}

/// Leaves its groups, unregisters, closes and frees the listener. Safe inside any callback
/// (its own too): no callback of it runs again. NULL, already closed (by the program, by
/// on_packet's answer, by mc_poller_free) or not a listener handle: no-op; every other call
/// with a closed handle returns MC_ECLOSED, forever.
/// Returns nothing; cannot fail.
#[no_mangle]
pub unsafe extern "C" fn mc_listener_close(l: *mut mc_listener) {
    guard(|| {
        close_object::<ListenerInner, _>(l);
        Ok(())
    })
}

/// Listens on the default poller and runs it until handler returns non-zero, `limit`
/// packets were handled (0 = no limit), or mc_stop(NULL). group NULL/port 0/mtu 0 =
/// defaults.
/// Returns the number of packets handled, counting the one on which the handler returned
/// non-zero. Errors: MC_EINVAL (NULL handler, mtu above 65535); MC_EADDRESS (group not a
/// multicast literal, or a link-local IPv6 group, which needs an interface: use
/// mc_listener_new); MC_EBUSY if called from inside a default-poller callback; -errno as
/// mc_listener_new, or of a failed poll.
#[no_mangle]
pub unsafe extern "C" fn mc_listen(
    handler: mc_packet_fn,
    user_data: *mut c_void,
    group: *const c_char,
    port: u16,
    mtu: usize,
    limit: usize,
) -> c_int {
    guard(|| {
        let Some(f) = handler else {
            return Err(Error::invalid("mc_listen: handler: NULL"));
        };
        let mut o = crate::opts::Options::default();
        if let Some(g) = opt_str(group, "group")? {
            o.set_group(g)?;
        }
        if port != 0 {
            o.set_port(port)?;
        }
        if mtu != 0 {
            o.set_mtu(mtu)?;
        }
        let p = poller_of(std::ptr::null_mut())?;
        if p.is_polling() {
            return Err(Error::new(
                crate::Kind::Busy,
                "mc_listen: called from inside a callback of the default poller",
            ));
        }
        let handled = Rc::new(std::cell::Cell::new(0usize));
        let count = handled.clone();
        let mut call = c_callback(f, UserData(user_data));
        let h: PacketFn = Box::new(move |pkt| {
            count.set(count.get() + 1);
            call(pkt) || (limit != 0 && count.get() >= limit)
        });
        let l = Listener::new(p, &o, Some(h))?;
        let result = loop {
            if l.is_closed() {
                break Ok(());
            }
            if let Err(e) = p.poll(-1) {
                break Err(e.context("mc_listen"));
            }
            if p.take_stopped() {
                break Ok(());
            }
        };
        l.close();
        result.map(|_| to_int(handled.get()))
    })
}
