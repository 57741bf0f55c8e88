//! mc_opts: a boxed core [`Options`].

use std::ffi::{c_char, c_int};

use crate::error::{Error, Result};
use crate::ffi::boundary::{guard, non_null, opt_str};
use crate::opts::Options;

/// Options for listeners, multicasters and mc_sendto_opts (opaque, ABI-stable).
pub struct mc_opts {
    _private: [u8; 0],
}

/// The core options behind `p`, or MC_EINVAL naming `what`.
pub(crate) fn opts_mut<'a>(p: *mut mc_opts, what: &str) -> Result<&'a mut Options> {
    if p.is_null() {
        return Err(Error::invalid(format!("{what}: opts: NULL")));
    }
    let p = p as *mut Options;
    // SAFETY: a non-NULL mc_opts* came from mc_opts_new (a Box<Options>).
    Ok(unsafe { &mut *p })
}

/// The options `p` names, or the defaults for NULL.
pub(crate) fn opts_or_default(p: *const mc_opts) -> Options {
    if p.is_null() {
        Options::default()
    } else {
        // SAFETY: a non-NULL mc_opts* came from mc_opts_new.
        unsafe { (*(p as *const Options)).clone() }
    }
}

/// Creates options with the defaults: group 224.0.42.42, port 4242, ttl 1, mtu 4096,
/// interface: the system's choice, loopback delivery on, any source, receive buffer request
/// 4 MiB. The caller owns the result; free it with mc_opts_free. Constructors copy what they
/// need, so the options may be freed right after use.
#[no_mangle]
pub extern "C" fn mc_opts_new() -> *mut mc_opts {
    guard(|| Ok(Box::into_raw(Box::<Options>::default()) as *mut mc_opts))
}

/// Frees options made by mc_opts_new. NULL: no-op.
#[no_mangle]
pub unsafe extern "C" fn mc_opts_free(opts: *mut mc_opts) {
    guard(|| {
        if !opts.is_null() {
            // SAFETY: opts came from mc_opts_new and is freed once.
            drop(unsafe { Box::from_raw(opts as *mut Options) });
        }
        Ok(())
    })
}

/// Sets the group: an IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal. NULL: MC_EINVAL; anything
/// else that is not a multicast literal: MC_EADDRESS. On failure the old group stays.
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_group(opts: *mut mc_opts, group: *const c_char) -> c_int {
    guard(|| {
        let o = opts_mut(opts, "mc_opts_set_group")?;
        let g = non_null(group, "mc_opts_set_group: group")?;
        let g = opt_str(g, "group")?.unwrap_or_default();
        o.set_group(g).map(|_| 0)
    })
}

/// Sets the port, 1..65535 (0: MC_EINVAL).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_port(opts: *mut mc_opts, port: u16) -> c_int {
    guard(|| {
        opts_mut(opts, "mc_opts_set_port")?
            .set_port(port)
            .map(|_| 0)
    })
}

/// Sets the TTL, 0..255 (IPv6: the hop limit). See MC_TTL_* for suggested values.
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_ttl(opts: *mut mc_opts, ttl: c_int) -> c_int {
    guard(|| {
        opts_mut(opts, "mc_opts_set_ttl")?
            .set_ttl(ttl as i64)
            .map(|_| 0)
    })
}

/// Sets the bytes read per packet, 1..65535; longer datagrams are truncated (and reported).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_mtu(opts: *mut mc_opts, mtu: usize) -> c_int {
    guard(|| opts_mut(opts, "mc_opts_set_mtu")?.set_mtu(mtu).map(|_| 0))
}

/// Sets the interface: a name ("eth0"), an index ("3"), or an address of the interface;
/// "*" = every interface that is up with the MULTICAST flag, lo included (a listener joins
/// on each; senders refuse "*" with MC_EINVAL). Resolved now: unknown is MC_EADDRESS.
/// NULL resets to the system's choice.
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_interface(opts: *mut mc_opts, iface: *const c_char) -> c_int {
    guard(|| {
        let o = opts_mut(opts, "mc_opts_set_interface")?;
        o.set_interface(opt_str(iface, "interface")?).map(|_| 0)
    })
}

/// Sets loopback delivery of sent packets to this host's listeners
/// (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP); non-zero is on. On lo the kernel always loops.
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_loopback(opts: *mut mc_opts, enabled: c_int) -> c_int {
    guard(|| {
        opts_mut(opts, "mc_opts_set_loopback")?.loopback = enabled != 0;
        Ok(0)
    })
}

/// Sets the source for source-specific multicast (SSM): a unicast address of the group's
/// family; the listener then receives that source's packets only. NULL resets to any source.
/// Not a unicast literal: MC_EADDRESS (a family mismatch is reported by mc_listener_new).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_source(opts: *mut mc_opts, source: *const c_char) -> c_int {
    guard(|| {
        let o = opts_mut(opts, "mc_opts_set_source")?;
        o.set_source(opt_str(source, "source")?).map(|_| 0)
    })
}

/// Sets the SO_RCVBUF request of listeners (default 4 MiB; 0 keeps the kernel default; at
/// most INT_MAX/2). The kernel may clamp it: mc_listener_recv_buffer() tells what it granted.
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_recv_buffer(opts: *mut mc_opts, bytes: usize) -> c_int {
    guard(|| {
        opts_mut(opts, "mc_opts_set_recv_buffer")?
            .set_recv_buffer(bytes)
            .map(|_| 0)
    })
}
