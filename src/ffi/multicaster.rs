//! mc_multicaster: a pointer to a core multicaster owned by its poller.

use std::ffi::{c_int, c_void};

use crate::error::{Error, Result};
use std::rc::Rc;

use crate::ffi::boundary::{bytes, close_object, guard, new_handle, non_null, object, to_int};
use crate::ffi::opts::{mc_opts, opts_or_default};
use crate::ffi::poller::{mc_poller, poller_of};
use crate::ffi::types::*;
use crate::multicaster::{Multicaster, MulticasterInner, Next, PacketSource};

/// A multicaster (opaque); owned by its poller.
pub struct mc_multicaster {
    _private: [u8; 0],
}

crate::ffi::handles::handle_object!(MulticasterInner, Multicaster);

/// The multicaster behind `p` (see [`object`]).
fn multicaster(p: *const mc_multicaster, what: &str) -> Result<Rc<MulticasterInner>> {
    object::<MulticasterInner, _>(p, what)
}

struct CSource {
    next: unsafe extern "C" fn(*mut c_void, *mut *const u8, *mut usize) -> c_int,
    user_data: UserData,
}

impl PacketSource for CSource {
    fn next(&mut self) -> Next<'_> {
        let mut data: *const u8 = std::ptr::null();
        let mut len: usize = 0;
        // SAFETY: the program gave next with this user_data.
        let answer = unsafe { (self.next)(self.user_data.0, &mut data, &mut len) };
        match answer {
            MC_NEXT_DONE => Next::Done,
            MC_NEXT_PACKET if !data.is_null() => {
                // SAFETY: the program promises len bytes at data, valid until
                // next is called again.
                Next::Packet(unsafe { std::slice::from_raw_parts(data, len) })
            }
            MC_NEXT_PACKET if len == 0 => Next::Packet(&[]),
            _ => Next::Wait,
        }
    }
}

/// Creates a multicaster on poller (NULL: the default poller): whenever its socket is
/// writable the poller asks next() for packets and sends them to the group of opts (NULL:
/// defaults) with its ttl, interface and loopback. next returns MC_NEXT_PACKET (with *data
/// and *len set; the data must stay valid until next is called again), MC_NEXT_DONE (the
/// multicaster closes and frees itself), or MC_NEXT_WAIT (nothing now: no more asking until
/// mc_multicaster_resume); any other answer, or MC_NEXT_PACKET with NULL data and len > 0,
/// counts as MC_NEXT_WAIT. next is called only from the poller's dispatch, never from
/// inside mc_multicaster_new; if next closes its own multicaster, its answer is ignored.
/// When the socket is full the packet in hand is kept and sent first at the next writable
/// event (never lost). On failure *out is NULL.
/// Returns 0. Errors: MC_EINVAL (NULL out or next, interface "*"); MC_EADDRESS (a
/// link-local IPv6 group without an interface, or a source or send-from address in opts of
/// the other family than the group); -errno if the system refuses the socket, one of its
/// options, its bind (-EADDRNOTAVAIL for a send-from address this host does not have) or
/// its registration with epoll.
#[no_mangle]
pub unsafe extern "C" fn mc_multicaster_new(
    poller: *mut mc_poller,
    opts: *const mc_opts,
    next: mc_next_fn,
    user_data: *mut c_void,
    out: *mut *mut mc_multicaster,
) -> c_int {
    guard(|| {
        let out = non_null(out, "mc_multicaster_new: out")? as *mut *mut mc_multicaster;
        // SAFETY: out is the caller's pointer to fill.
        unsafe { *out = std::ptr::null_mut() };
        let Some(next) = next else {
            return Err(Error::invalid("mc_multicaster_new: next: NULL"));
        };
        let p = poller_of(poller)?;
        let o = opts_or_default(opts);
        let src = Box::new(CSource {
            next,
            user_data: UserData(user_data),
        });
        let m: Multicaster = Multicaster::new(p, &o, src)?;
        // SAFETY: as above; the poller holds the owning reference.
        unsafe { *out = new_handle(&m.0, p) };
        Ok(0)
    })
}

/// After next answered MC_NEXT_WAIT: ask it again whenever the socket is writable. No-op if
/// it was not waiting.
/// Returns 0. Errors: MC_EINVAL (NULL or not a multicaster handle), MC_ECLOSED; -errno if
/// epoll refuses the change.
#[no_mangle]
pub unsafe extern "C" fn mc_multicaster_resume(m: *mut mc_multicaster) -> c_int {
    guard(|| {
        multicaster(m, "mc_multicaster_resume")?
            .resume()
            .map(|_| 0)
            .map_err(|e| e.context("mc_multicaster_resume"))
    })
}

/// Sends one packet now on the multicaster's socket, waiting for room when it is full.
/// Returns the bytes sent. Errors: MC_EINVAL (NULL or not a multicaster handle, NULL packet
/// with len > 0); MC_ECLOSED; -EMSGSIZE above what a UDP datagram carries (65507 bytes over
/// IPv4, 65527 over IPv6); -EAGAIN if the socket stays full; other -errno if the system
/// refuses the send (e.g. -ENETUNREACH).
#[no_mangle]
pub unsafe extern "C" fn mc_multicaster_send(
    m: *mut mc_multicaster,
    packet: *const c_void,
    len: usize,
) -> c_int {
    guard(|| {
        let m = multicaster(m, "mc_multicaster_send")?;
        let data = bytes(packet, len, "mc_multicaster_send: packet")?;
        m.send(data).map(to_int)
    })
}

/// Sends the packets next() already handed out as far as the socket takes them without
/// waiting (an explicit close while the socket is full drops the rest; to lose none, answer
/// MC_NEXT_DONE instead, which closes only once all are sent), then unregisters, closes and
/// frees the multicaster. Safe inside any callback, next() included (next's answer is then
/// ignored). NULL, already closed (by the program, by MC_NEXT_DONE, by mc_poller_free) or
/// not a multicaster handle: no-op; every other call with a closed handle returns
/// MC_ECLOSED, forever.
/// Returns nothing; cannot fail.
#[no_mangle]
pub unsafe extern "C" fn mc_multicaster_close(m: *mut mc_multicaster) {
    guard(|| {
        close_object::<MulticasterInner, _>(m);
        Ok(())
    })
}

/// Counts of the multicaster's dispatch: packets sent, and packets the OS refused (for
/// example EMSGSIZE: larger than 65507 bytes), which are dropped and counted, never
/// retried. Either pointer may be NULL.
/// Returns 0. Errors: MC_EINVAL (NULL or not a multicaster handle), MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_multicaster_get_counts(
    m: *const mc_multicaster,
    sent: *mut u64,
    failed: *mut u64,
) -> c_int {
    guard(|| {
        let m = multicaster(m, "mc_multicaster_get_counts")?;
        let (s, f) = m.counts();
        // SAFETY: non-NULL pointers are the caller's to fill.
        unsafe {
            if !sent.is_null() {
                *sent = s;
            }
            if !failed.is_null() {
                *failed = f;
            }
        }
        Ok(0)
    })
}
