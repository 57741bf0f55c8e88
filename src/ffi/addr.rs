//! mc_addr_format: an mc_addr as text.

use std::ffi::{c_char, c_int};

use crate::error::{Error, Kind};
use crate::ffi::boundary::{guard, non_null};
use crate::ffi::types::mc_addr;
use crate::packet::RawAddr;

/// Bytes enough for any address mc_addr_format writes, its terminating NUL included.
pub const MC_ADDR_STRLEN: c_int = 64;

/// Writes addr as text with its port and a terminating NUL into buf (len bytes):
/// "192.0.2.1:5000", "[ff05::1]:5000", "[fe80::1%eth0]:5000" (a scope by its interface's
/// name, or by its index if no interface has it now). MC_ADDR_STRLEN bytes are always
/// enough.
/// Returns the length written, without the NUL. Errors: MC_EINVAL (NULL addr or buf, a
/// family that is neither AF_INET nor AF_INET6); -ENOSPC if len is too small (buf then
/// holds "" if len > 0).
#[no_mangle]
pub unsafe extern "C" fn mc_addr_format(
    addr: *const mc_addr,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    guard(|| {
        let addr = non_null(addr, "mc_addr_format: addr")?;
        let buf = non_null(buf, "mc_addr_format: buf")? as *mut u8;
        // SAFETY: a readable mc_addr (the API's contract); RawAddr is its layout
        // (checked at compile time in ffi/types.rs).
        let raw = unsafe { *(addr as *const RawAddr) };
        let sa = raw.to_socket_addr().ok_or_else(|| {
            Error::invalid(format!(
                "mc_addr_format: family {}: neither AF_INET nor AF_INET6",
                raw.family
            ))
        })?;
        let text = crate::addr::display(sa);
        if text.len() >= len {
            if len > 0 {
                // SAFETY: buf holds len > 0 writable bytes (the API's contract).
                unsafe { *buf = 0 };
            }
            return Err(Error::new(
                Kind::Os(libc::ENOSPC),
                format!(
                    "mc_addr_format: \"{text}\" needs {} bytes with its NUL; buf has {len}",
                    text.len() + 1
                ),
            ));
        }
        // SAFETY: len > text.len() writable bytes at buf (the API's contract).
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf, text.len());
            *buf.add(text.len()) = 0;
        }
        Ok(text.len() as c_int)
    })
}
