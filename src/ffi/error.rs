//! mc_strerror, mc_last_error, mc_version.

use std::ffi::{c_char, c_int, CStr, CString};
use std::sync::OnceLock;

use crate::ffi::boundary;
use crate::ffi::types::*;

/// The library's version: "MAJOR.MINOR.PATCH".
static VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("version"),
    };

fn errno_texts() -> &'static [CString] {
    static TEXTS: OnceLock<Vec<CString>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        (0..4096)
            .map(|e| CString::new(crate::error::os_reason(e)).unwrap_or_default())
            .collect()
    })
}

/// Describes any code: the MC_E* codes, negative errno values (-EADDRINUSE...), and 0
/// ("success"). Safe from any thread.
/// Returns a static string, never NULL; cannot fail.
#[no_mangle]
pub extern "C" fn mc_strerror(code: c_int) -> *const c_char {
    let s: &'static CStr = match code {
        0 => c"success",
        MC_EINVAL => c"invalid argument (NULL handle or pointer, or number out of range)",
        MC_EADDRESS => c"not a usable address (not a multicast group, not a unicast source, or unknown interface)",
        MC_EREGEX => c"bad filter pattern",
        MC_ENOTFOUND => c"not found (a fd not registered on this poller, or a group/source pair the listener does not hold)",
        MC_EEXIST => c"already there (a fd already registered on this poller, or a group/source pair the listener already holds)",
        MC_EBUSY => c"reentrant call not allowed (from inside this poller's own callback)",
        MC_ECLOSED => c"the object is closed (its handle is no longer valid)",
        MC_EPANIC => c"internal error (caught panic); details in mc_last_error()",
        c if c < 0 && c > -4096 => return errno_texts()[(-c) as usize].as_ptr(),
        _ => c"unknown error code",
    };
    s.as_ptr()
}

/// A human-readable message for the last failure on the calling thread, with detail: what
/// was attempted, on which value, and the OS reason. It stays until the next failure on this
/// thread (successful calls do not clear it); "" before any failure.
/// Returns the message, never NULL; cannot fail.
#[no_mangle]
pub extern "C" fn mc_last_error() -> *const c_char {
    boundary::last_error_ptr()
}

/// The library's version, "MAJOR.MINOR.PATCH".
/// Returns a static string, never NULL; cannot fail.
#[no_mangle]
pub extern "C" fn mc_version() -> *const c_char {
    VERSION.as_ptr()
}
