//! mc_poller: a boxed core [`Poller`] plus its stop fd, and the process-wide
//! default poller that every NULL poller argument means.

use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::Result;
use crate::ffi::boundary::{guard, non_null, set_last_error};
use crate::ffi::types::{mc_io_fn, UserData};
use crate::poller::{IoFn, Poller};
use crate::sys;

/// An epoll-based event loop (opaque).
pub struct mc_poller {
    _private: [u8; 0],
}

pub(crate) struct FfiPoller {
    pub(crate) core: Poller,
    /// Immutable after creation: mc_stop reads it from any thread.
    stop_fd: c_int,
}

// The process-wide default poller, made on first use and again in a forked
// child (the parent's stays behind, untouched: its epoll set is the
// parent's). API.md makes it usable from one thread at a time, like any
// poller; only mc_stop (which touches nothing but DEFAULT_STOP) may come from
// other threads or signal handlers concurrently.
static DEFAULT: AtomicPtr<FfiPoller> = AtomicPtr::new(std::ptr::null_mut());
/// The fork generation DEFAULT was made in.
static DEFAULT_GEN: AtomicU64 = AtomicU64::new(0);
/// (fork generation << 32) | stop fd of the default poller; NO_STOP before
/// it exists. mc_stop(NULL) reads it, async-signal-safe.
static DEFAULT_STOP: AtomicU64 = AtomicU64::new(NO_STOP);
const NO_STOP: u64 = u64::MAX;
/// Default pollers inherited from parents, kept (never used) so that their
/// objects' memory stays valid for handles the child still holds.
static DEFAULT_INIT: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static DEFAULT_STOP_EARLY: AtomicBool = AtomicBool::new(false);

fn new_ffi_poller() -> Result<FfiPoller> {
    let core = Poller::new()?;
    let stop_fd = core.stop_fd();
    Ok(FfiPoller { core, stop_fd })
}

fn current_default() -> Option<&'static FfiPoller> {
    let p = DEFAULT.load(Ordering::Acquire);
    if p.is_null() || DEFAULT_GEN.load(Ordering::Acquire) != sys::fork_generation() {
        return None;
    }
    // SAFETY: a default poller is leaked on creation: it is never freed.
    Some(unsafe { &*p })
}

fn default_poller() -> Result<&'static FfiPoller> {
    if let Some(d) = current_default() {
        return Ok(d);
    }
    let mut inherited = DEFAULT_INIT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(d) = current_default() {
        return Ok(d);
    }
    let old = DEFAULT.load(Ordering::Acquire);
    if !old.is_null() {
        inherited.push(old as usize);
    }
    let p = new_ffi_poller()?;
    p.core.stand_aside_after_fork();
    let generation = sys::fork_generation();
    let stop_fd = p.stop_fd;
    let leaked: &'static FfiPoller = Box::leak(Box::new(p));
    DEFAULT_GEN.store(generation, Ordering::Release);
    DEFAULT.store(
        leaked as *const FfiPoller as *mut FfiPoller,
        Ordering::Release,
    );
    DEFAULT_STOP.store((generation << 32) | stop_fd as u32 as u64, Ordering::SeqCst);
    if DEFAULT_STOP_EARLY.swap(false, Ordering::SeqCst) {
        leaked.core.stop();
    }
    Ok(leaked)
}

/// The default poller's stop fd, if this process (not a parent before a
/// fork) has made it. Async-signal-safe.
fn default_stop_fd() -> Option<c_int> {
    let v = DEFAULT_STOP.load(Ordering::SeqCst);
    (v != NO_STOP && (v >> 32) as u32 == sys::fork_generation() as u32).then_some(v as u32 as c_int)
}

/// The core poller `p` names; NULL is the default poller (created on first use).
pub(crate) fn poller_of<'a>(p: *mut mc_poller) -> Result<&'a Poller> {
    if p.is_null() {
        return Ok(&default_poller()?.core);
    }
    // SAFETY: a non-NULL mc_poller* came from mc_poller_new and is not freed.
    Ok(unsafe { &(*(p as *const FfiPoller)).core })
}

/// Creates a poller (an epoll fd and a stop eventfd). On success *out is the poller (the
/// caller owns it: free with mc_poller_free); on failure *out is NULL.
/// Returns 0. Errors: MC_EINVAL (NULL out); -errno if the system refuses the fds (e.g.
/// -EMFILE).
#[no_mangle]
pub unsafe extern "C" fn mc_poller_new(out: *mut *mut mc_poller) -> c_int {
    guard(|| {
        let out = non_null(out, "mc_poller_new: out")? as *mut *mut mc_poller;
        // SAFETY: out is a valid pointer the caller gave us to fill.
        unsafe { *out = std::ptr::null_mut() };
        let p = Box::new(new_ffi_poller()?);
        // SAFETY: as above.
        unsafe { *out = Box::into_raw(p) as *mut mc_poller };
        Ok(0)
    })
}

/// Frees a poller: closes and frees its listeners and multicasters (their handles are
/// closed handles from then on: close is a no-op, other calls MC_ECLOSED); user fds are
/// unregistered, never closed. NULL: no-op (the default poller lives until the process
/// exits). Called from inside this poller's own callback it does nothing and sets
/// mc_last_error().
/// Returns nothing.
#[no_mangle]
pub unsafe extern "C" fn mc_poller_free(poller: *mut mc_poller) {
    guard(|| {
        if poller.is_null() {
            return Ok(());
        }
        // SAFETY: a non-NULL mc_poller* came from mc_poller_new.
        let p = unsafe { &*(poller as *const FfiPoller) };
        if let Err(e) = p.core.close_all() {
            set_last_error(&e.context("mc_poller_free").to_string());
            return Ok(());
        }
        crate::ffi::handles::retire_poller(p.core.id());
        // SAFETY: not polling, so nothing on the stack uses it; freed once.
        drop(unsafe { Box::from_raw(poller as *mut FfiPoller) });
        Ok(())
    })
}

/// The poller's epoll fd (readable when mc_poll would dispatch), to nest it in another
/// event loop; NULL: the default poller's.
/// Returns the fd. Errors: -errno only if the default poller cannot be created.
#[no_mangle]
pub unsafe extern "C" fn mc_poller_fd(poller: *mut mc_poller) -> c_int {
    guard(|| Ok(poller_of(poller)?.fd()))
}

fn io_fn(f: mc_io_fn, ud: UserData) -> Option<IoFn> {
    let f = f?;
    Some(Box::new(move |fd| {
        let ud = ud;
        // SAFETY: the program registered f with this user_data.
        unsafe { f(ud.0, fd) }
    }))
}

/// Registers fd with read/write callbacks. interest = flags | (on_read ? MC_READ : 0) |
/// (on_write ? MC_WRITE : 0). Errors and hang-ups on fd are delivered to on_read (or
/// on_write if there is no on_read). The fd stays the caller's: the poller never closes it.
/// Returns 0. Errors: MC_EINVAL (fd < 0, flags with bits other than MC_READ and MC_WRITE);
/// MC_EEXIST if fd is already registered on this poller (a fd the program closed without
/// unregistering does not count); -errno from epoll for a fd it cannot watch (-EPERM for a
/// regular file, -EBADF for a closed fd) or past its limits (-ENOSPC, -ENOMEM).
#[no_mangle]
pub unsafe extern "C" fn mc_register(
    poller: *mut mc_poller,
    fd: c_int,
    flags: u32,
    on_read: mc_io_fn,
    on_write: mc_io_fn,
    user_data: *mut std::ffi::c_void,
) -> c_int {
    guard(|| {
        let p = poller_of(poller)?;
        let ud = UserData(user_data);
        p.register(fd, flags, io_fn(on_read, ud), io_fn(on_write, ud))
            .map(|_| 0)
    })
}

/// Replaces the interest set of a registered fd (the handlers stay).
/// Returns 0. Errors: MC_EINVAL (flags with other bits than MC_READ and MC_WRITE; a
/// listener's or multicaster's own fd); MC_ENOTFOUND if fd is not registered (or was closed
/// by the program since); -errno from epoll.
#[no_mangle]
pub unsafe extern "C" fn mc_modify(poller: *mut mc_poller, fd: c_int, flags: u32) -> c_int {
    guard(|| poller_of(poller)?.modify(fd, flags).map(|_| 0))
}

/// Unregisters fd (never closes it). Safe inside callbacks: events already fetched for this
/// registration are not delivered.
/// Returns 0. Errors: MC_ENOTFOUND if fd is not registered; MC_EINVAL for a listener's or
/// multicaster's own fd (close the object instead); -errno if the default poller cannot be
/// created (NULL poller).
#[no_mangle]
pub unsafe extern "C" fn mc_unregister(poller: *mut mc_poller, fd: c_int) -> c_int {
    guard(|| poller_of(poller)?.unregister(fd).map(|_| 0))
}

/// One wait (timeout_ms: 0 = don't wait, -1 = forever) and dispatch; a mc_stop() makes it
/// return at once.
/// Returns the number of ready registrations dispatched (a listener that read ten packets
/// counts once; 0 on timeout, EINTR or mc_stop). Errors: MC_EINVAL (timeout_ms below -1);
/// MC_EBUSY if called from inside this poller's own callback; -errno if epoll fails.
#[no_mangle]
pub unsafe extern "C" fn mc_poll(poller: *mut mc_poller, timeout_ms: c_int) -> c_int {
    guard(|| {
        let p = poller_of(poller)?;
        let n = p.poll(timeout_ms).map_err(|e| e.context("mc_poll"))?;
        p.take_stopped();
        Ok(crate::ffi::boundary::to_int(n))
    })
}

/// Polls repeatedly (each poll waits up to timeout_ms; -1 = until an event), sleeping
/// interval_ms between polls, until mc_stop() or until nothing is registered. A registered
/// fd counts until mc_unregister: unregister a fd before closing it (as with epoll), or a
/// loop waiting forever keeps waiting. A mc_stop() made while no loop runs ends the next
/// loop at once.
/// Returns 0. Errors: MC_EINVAL (timeout_ms below -1, interval_ms below 0); MC_EBUSY if
/// called from inside this poller's own callback; the -errno of a poll that failed.
#[no_mangle]
pub unsafe extern "C" fn mc_loop(
    poller: *mut mc_poller,
    timeout_ms: c_int,
    interval_ms: c_int,
) -> c_int {
    guard(|| {
        poller_of(poller)?
            .run(timeout_ms, interval_ms)
            .map_err(|e| e.context("mc_loop"))?;
        Ok(0)
    })
}

/// Wakes a blocked mc_poll/mc_loop of this poller, which returns promptly (mc_loop returns
/// 0). Safe from any thread and from a signal handler (one write(2) to an eventfd). NULL
/// stops the default poller. A stop made while nothing polls is kept for the next
/// mc_poll/mc_loop.
/// Returns nothing; cannot fail.
#[no_mangle]
pub unsafe extern "C" fn mc_stop(poller: *mut mc_poller) {
    if poller.is_null() {
        if let Some(fd) = default_stop_fd() {
            sys::eventfd_signal(fd);
            return;
        }
        DEFAULT_STOP_EARLY.store(true, Ordering::SeqCst);
        // The default poller may have been created between the load and the
        // store (and already looked at the flag): look again.
        if let Some(fd) = default_stop_fd() {
            if DEFAULT_STOP_EARLY.swap(false, Ordering::SeqCst) {
                sys::eventfd_signal(fd);
            }
        }
        return;
    }
    // SAFETY: a non-NULL mc_poller* came from mc_poller_new; stop_fd is
    // immutable, so reading it from another thread is not a data race.
    let fd = unsafe { (*(poller as *const FfiPoller)).stop_fd };
    sys::eventfd_signal(fd);
}

/// Opt-in receive coalescing (the default is 0, off): after a poll that found events, the
/// next mc_poll/mc_loop of this poller waits until `us` microseconds have passed before it
/// looks again (mc_stop still ends the wait at once), so one wakeup reads many packets:
/// much less CPU per packet at high rates, in exchange for up to `us` more latency. NULL:
/// the default poller.
/// Returns 0. Errors: MC_EINVAL (`us` above 1000000); -errno if the default poller cannot
/// be created (NULL poller).
#[no_mangle]
pub unsafe extern "C" fn mc_poller_set_coalesce_us(poller: *mut mc_poller, us: u32) -> c_int {
    guard(|| poller_of(poller)?.set_coalesce_us(us).map(|_| 0))
}

/// Opt-in busy polling (the default is 0, off): a mc_poll/mc_loop that would block first
/// polls without waiting for up to `us` microseconds: lower latency and no sleep/wake cost
/// for packets that come within that time, in exchange for a busy CPU. NULL: the default
/// poller.
/// Returns 0. Errors: MC_EINVAL (`us` above 1000000); -errno if the default poller cannot
/// be created (NULL poller).
#[no_mangle]
pub unsafe extern "C" fn mc_poller_set_spin_us(poller: *mut mc_poller, us: u32) -> c_int {
    guard(|| poller_of(poller)?.set_spin_us(us).map(|_| 0))
}

/// Stores in `*out` how many rtnetlink messages the poller's interface watcher dropped
/// because the kernel did not send them: any process may write to the watcher's socket,
/// and only the kernel's word on interfaces is taken. NULL poller: the default poller.
/// Returns 0. Errors: MC_EINVAL (NULL out); -errno if the default poller cannot be created
/// (NULL poller).
#[no_mangle]
pub unsafe extern "C" fn mc_poller_refused_netlink(poller: *mut mc_poller, out: *mut u64) -> c_int {
    guard(|| {
        let p = poller_of(poller)?;
        let out = non_null(out, "mc_poller_refused_netlink: out")? as *mut u64;
        // SAFETY: out is the caller's to fill.
        unsafe { *out = p.refused_netlink_messages() };
        Ok(0)
    })
}
