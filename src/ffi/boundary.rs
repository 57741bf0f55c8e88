//! How a call crosses the C boundary: every export runs its body through
//! [`guard`], which turns a core [`Error`] into its code (and stores the
//! message for `mc_last_error`), and a panic into `MC_EPANIC`. The pointer
//! helpers turn NULL into `MC_EINVAL` with a message naming the argument.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Kind, Result};
use std::rc::Rc;

use crate::ffi::handles::{self, Object};
use crate::ffi::types::*;
use crate::poller::Poller;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Stores `msg` as this thread's `mc_last_error`.
pub fn set_last_error(msg: &str) {
    let c = CString::new(msg.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = c);
}

/// This thread's last message (valid until the next failure on the thread).
pub fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|l| l.borrow().as_ptr())
}

/// The C code of an error.
pub fn code_of(e: &Error) -> c_int {
    match e.kind() {
        Kind::Invalid => MC_EINVAL,
        Kind::Address => MC_EADDRESS,
        Kind::Regex => MC_EREGEX,
        Kind::NotFound => MC_ENOTFOUND,
        Kind::Exists => MC_EEXIST,
        Kind::Busy => MC_EBUSY,
        Kind::Closed => MC_ECLOSED,
        Kind::Panic => MC_EPANIC,
        Kind::Os(errno) => -errno,
    }
}

/// What an export returns on failure.
pub trait FailValue {
    /// The value for error `code`.
    fn fail(code: c_int) -> Self;
}

impl FailValue for c_int {
    fn fail(code: c_int) -> c_int {
        code
    }
}

impl FailValue for () {
    fn fail(_: c_int) {}
}

impl<T> FailValue for *mut T {
    fn fail(_: c_int) -> *mut T {
        std::ptr::null_mut()
    }
}

/// What a C program calls to fix what a core message describes: the hint
/// is added to the message where the phrase appears.
const C_HINTS: &[(&str, &str)] = &[("needs an interface", "mc_opts_set_interface")];

/// The message of `e` as C callers read it: with the C function that fixes
/// it, where one does.
pub fn c_message(e: &Error) -> String {
    let mut m = e.message().to_string();
    for (phrase, hint) in C_HINTS {
        if let Some(at) = m.find(phrase) {
            m.insert_str(at + phrase.len(), &format!(" ({hint})"));
        }
    }
    m
}

/// Runs an export's body: errors become codes (message kept), panics
/// become `MC_EPANIC`. Nothing unwinds into C.
pub fn guard<T: FailValue>(f: impl FnOnce() -> Result<T>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            set_last_error(&c_message(&e));
            T::fail(code_of(&e))
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(&format!("internal error (caught panic): {what}"));
            T::fail(MC_EPANIC)
        }
    }
}

/// A required pointer argument, or `MC_EINVAL` naming it.
pub fn non_null<T>(p: *const T, what: &str) -> Result<*const T> {
    if p.is_null() {
        Err(Error::invalid(format!("{what}: NULL")))
    } else {
        Ok(p)
    }
}

/// An optional C string: NULL is None; bytes that are not UTF-8 are
/// `MC_EADDRESS` (no address or name has them).
pub fn opt_str<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller passes a NUL-terminated string (the API's contract).
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map(Some).map_err(|_| {
        Error::address(format!(
            "{what} \"{}\": not valid UTF-8",
            c.to_string_lossy()
        ))
    })
}

/// A byte buffer argument: NULL is allowed only with length 0.
pub fn bytes<'a>(p: *const std::ffi::c_void, len: usize, what: &str) -> Result<&'a [u8]> {
    if p.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Error::invalid(format!("{what}: NULL with length {len}")));
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid(format!("{what}: length {len} out of range")));
    }
    // SAFETY: the caller passes len readable bytes at p (the API's contract).
    Ok(unsafe { std::slice::from_raw_parts(p as *const u8, len) })
}

/// A count for an `int` result.
pub fn to_int(n: usize) -> c_int {
    n.min(c_int::MAX as usize) as c_int
}

/// A new handle for `object`, which `poller` owns.
pub fn new_handle<T: Object, H>(object: &Rc<T>, poller: &Poller) -> *mut H {
    handles::insert(object.clone(), poller.id()) as *mut H
}

/// The object behind a handle, held (it stays allocated while held, even
/// if a callback closes it): `MC_EINVAL` for NULL or a value that is no
/// handle of this kind, `MC_ECLOSED` for a closed one (checked before
/// anything else).
pub fn object<T: Object, H>(p: *const H, what: &str) -> Result<Rc<T>> {
    handles::lookup::<T>(p as usize, what)
}

/// Closes the object behind a handle and retires the handle (NULL, closed,
/// or no handle at all: no-op). The reference held keeps the object alive
/// through `close`, which may release the poller's; it is freed when that
/// reference goes, outside any method of it.
pub fn close_object<T: Object, H>(p: *const H) {
    if let Ok(owned) = handles::lookup::<T>(p as usize, "close") {
        owned.close();
        handles::retire(p as usize);
    }
}
