//! mc_timer: a key to a core timer (held by the handle table, and by its
//! poller while armed).

use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::ffi::boundary::{close_object, guard, new_handle, non_null, object};
use crate::ffi::poller::{mc_poller, poller_of};
use crate::ffi::types::UserData;
use crate::timer::{Timer, TimerFn, TimerInner};

/// A timer (opaque): a function run from its poller's dispatch.
pub struct mc_timer {
    _private: [u8; 0],
}

/// Timer function: runs from the poller's dispatch at each expiry, with the timer's
/// handle; it may call anything a callback may, mc_timer_set/stop/close of this timer
/// included.
pub type mc_timer_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, t: *mut mc_timer)>;

crate::ffi::handles::handle_object!(TimerInner, Timer);

/// The timer behind `t` (see [`object`]).
fn timer(t: *const mc_timer, what: &str) -> Result<Rc<TimerInner>> {
    object::<TimerInner, _>(t, what)
}

/// Arms a timer on poller (NULL: the default poller): fn runs from the poller's dispatch
/// delay_ms after this call (0: at the next poll), then every interval_ms. interval_ms 0:
/// fn runs once and the timer is then disarmed (it stays open until closed). Monotonic
/// clock; fn never runs early; periods missed while the poller was not polled are not made
/// up (fn runs once for all of them), and the next period counts from the expiry that was
/// due. An armed timer keeps mc_loop running like a registered fd; a disarmed one does
/// not. On failure *out is NULL.
/// Returns 0. Errors: MC_EINVAL (NULL fn or out, a delay or interval above 2147483647
/// ms); -errno if the system refuses the timerfd (e.g. -EMFILE) or its registration.
#[no_mangle]
pub unsafe extern "C" fn mc_timer_new(
    poller: *mut mc_poller,
    delay_ms: u32,
    interval_ms: u32,
    f: mc_timer_fn,
    user_data: *mut c_void,
    out: *mut *mut mc_timer,
) -> c_int {
    guard(|| {
        let out = non_null(out, "mc_timer_new: out")? as *mut *mut mc_timer;
        // SAFETY: out is the caller's pointer to fill.
        unsafe { *out = std::ptr::null_mut() };
        let Some(f) = f else {
            return Err(Error::invalid("mc_timer_new: fn: NULL"));
        };
        let p = poller_of(poller)?;
        // The function gets the timer's handle, known once the handle exists.
        let handle = Rc::new(Cell::new(0usize));
        let h = handle.clone();
        let ud = UserData(user_data);
        let call: TimerFn = Box::new(move || {
            let ud = ud;
            // SAFETY: the program gave f with this user_data.
            unsafe { f(ud.0, h.get() as *mut mc_timer) }
        });
        let t =
            Timer::new(p, delay_ms, interval_ms, call).map_err(|e| e.context("mc_timer_new"))?;
        let key: *mut mc_timer = new_handle(&t.0, p);
        handle.set(key as usize);
        // SAFETY: as above.
        unsafe { *out = key };
        Ok(0)
    })
}

/// Re-arms the timer from now with new values (as mc_timer_new takes them), also from
/// inside its own fn and on a disarmed timer.
/// Returns 0. Errors: MC_EINVAL (NULL or not a timer handle, a delay or interval above
/// 2147483647 ms); MC_ECLOSED; -errno if the system refuses (timerfd_settime, or the
/// registration with epoll of a disarmed timer).
#[no_mangle]
pub unsafe extern "C" fn mc_timer_set(t: *mut mc_timer, delay_ms: u32, interval_ms: u32) -> c_int {
    guard(|| {
        timer(t, "mc_timer_set")?
            .set(delay_ms, interval_ms)
            .map(|_| 0)
            .map_err(|e| e.context("mc_timer_set"))
    })
}

/// Disarms the timer: fn does not run until mc_timer_set (an expiry already fetched in
/// the same wait included). Disarmed, it no longer keeps mc_loop running.
/// Returns 0. Errors: MC_EINVAL (NULL or not a timer handle), MC_ECLOSED.
#[no_mangle]
pub unsafe extern "C" fn mc_timer_stop(t: *mut mc_timer) -> c_int {
    guard(|| timer(t, "mc_timer_stop")?.stop().map(|_| 0))
}

/// Closes and frees the timer: fn never runs after this returns, even for an expiry
/// already fetched in the same wait. Safe inside any callback, its own fn included. NULL,
/// already closed (by the program or by mc_poller_free) or not a timer handle: no-op;
/// every other call with a closed handle returns MC_ECLOSED, forever.
/// Returns nothing; cannot fail.
#[no_mangle]
pub unsafe extern "C" fn mc_timer_close(t: *mut mc_timer) {
    guard(|| {
        close_object::<TimerInner, _>(t);
        Ok(())
    })
}
