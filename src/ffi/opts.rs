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

/// The options `p` names (borrowed: nothing is copied), or the defaults
/// for NULL.
pub(crate) fn opts_or_default<'a>(p: *const mc_opts) -> std::borrow::Cow<'a, Options> {
    if p.is_null() {
        std::borrow::Cow::Owned(Options::default())
    } else {
        // SAFETY: a non-NULL mc_opts* came from mc_opts_new and outlives the call.
        std::borrow::Cow::Borrowed(unsafe { &*(p as *const Options) })
    }
}

/// Creates options with the defaults: group 224.0.42.42, port 4242, ttl 1, mtu 4096,
/// interface: the system's choice, loopback delivery on, any source, receive buffer request
/// 4 MiB. The caller owns the result; free it with mc_opts_free. Constructors copy what
/// they need, so the options may be freed right after use.
/// Returns the options; NULL only for a caught internal bug (mc_last_error() says which).
#[no_mangle]
pub extern "C" fn mc_opts_new() -> *mut mc_opts {
    guard(|| Ok(Box::into_raw(Box::<Options>::default()) as *mut mc_opts))
}

/// Frees options made by mc_opts_new. NULL: no-op.
/// Returns nothing; cannot fail.
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

/// Sets the group: an IPv4 224.0.0.0/4 or IPv6 ff00::/8 literal. On failure the old group
/// stays.
/// Returns 0. Errors: MC_EINVAL (NULL opts or group); MC_EADDRESS (not a multicast
/// literal).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_group(opts: *mut mc_opts, group: *const c_char) -> c_int {
    guard(|| {
        let o = opts_mut(opts, "mc_opts_set_group")?;
        let g = non_null(group, "mc_opts_set_group: group")?;
        let g = opt_str(g, "group")?.unwrap_or_default();
        o.set_group(g).map(|_| 0)
    })
}

/// Sets the port, 1..65535.
/// Returns 0. Errors: MC_EINVAL (NULL opts, port 0).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_port(opts: *mut mc_opts, port: u16) -> c_int {
    guard(|| {
        opts_mut(opts, "mc_opts_set_port")?
            .set_port(port)
            .map(|_| 0)
    })
}

/// Sets the TTL, 0..255 (IPv6: the hop limit). See MC_TTL_* for suggested values.
/// Returns 0. Errors: MC_EINVAL (NULL opts, a ttl out of range).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_ttl(opts: *mut mc_opts, ttl: c_int) -> c_int {
    guard(|| {
        opts_mut(opts, "mc_opts_set_ttl")?
            .set_ttl(ttl as i64)
            .map(|_| 0)
    })
}

/// Sets the bytes read per packet, 1..65535; longer datagrams are truncated (and reported).
/// Returns 0. Errors: MC_EINVAL (NULL opts, an mtu out of range).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_mtu(opts: *mut mc_opts, mtu: usize) -> c_int {
    guard(|| opts_mut(opts, "mc_opts_set_mtu")?.set_mtu(mtu).map(|_| 0))
}

/// Sets the interface: a name ("eth0"), an index ("3"), or an address of the interface; "*"
/// = every interface that is up with the MULTICAST flag, lo included (a listener joins on
/// each; senders refuse "*" with MC_EINVAL). Resolved now. NULL resets to the system's
/// choice.
/// Returns 0. Errors: MC_EINVAL (NULL opts); MC_EADDRESS (no such interface, an empty
/// name); -errno if the interface list cannot be read (getifaddrs, for an address).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_interface(opts: *mut mc_opts, iface: *const c_char) -> c_int {
    guard(|| {
        let o = opts_mut(opts, "mc_opts_set_interface")?;
        o.set_interface(opt_str(iface, "interface")?).map(|_| 0)
    })
}

/// Sets loopback delivery of sent packets to this host's listeners (IP_MULTICAST_LOOP /
/// IPV6_MULTICAST_LOOP); non-zero is on. On lo the kernel always loops.
/// Returns 0. Errors: MC_EINVAL (NULL opts).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_loopback(opts: *mut mc_opts, enabled: c_int) -> c_int {
    guard(|| {
        opts_mut(opts, "mc_opts_set_loopback")?.loopback = enabled != 0;
        Ok(0)
    })
}

/// Sets the source for source-specific multicast (SSM): a unicast address of the group's
/// family; the listener then receives that source's packets only. NULL resets to any
/// source.
/// Returns 0. Errors: MC_EINVAL (NULL opts); MC_EADDRESS (not a unicast literal). A source
/// of the other family than the group is MC_EADDRESS when the opts are used
/// (mc_listener_new, mc_multicaster_new, mc_sendto_opts).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_source(opts: *mut mc_opts, source: *const c_char) -> c_int {
    guard(|| {
        let o = opts_mut(opts, "mc_opts_set_source")?;
        o.set_source(opt_str(source, "source")?).map(|_| 0)
    })
}

/// Sets the SO_RCVBUF request of listeners (default 4 MiB; 0 keeps the kernel default). The
/// kernel may clamp it: mc_listener_recv_buffer() tells what it granted.
/// Returns 0. Errors: MC_EINVAL (NULL opts, more than INT_MAX/2).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_recv_buffer(opts: *mut mc_opts, bytes: usize) -> c_int {
    guard(|| {
        opts_mut(opts, "mc_opts_set_recv_buffer")?
            .set_recv_buffer(bytes)
            .map(|_| 0)
    })
}

/// Sets the 0/1 flag `enabled` of `what` with `set` (else MC_EINVAL, nothing set).
fn set_flag(
    opts: *mut mc_opts,
    enabled: c_int,
    what: &str,
    set: impl FnOnce(&mut Options, bool),
) -> c_int {
    guard(|| {
        let o = opts_mut(opts, what)?;
        let v = match enabled {
            0 => false,
            1 => true,
            n => {
                return Err(Error::invalid(format!(
                    "{what}: enabled {n}: must be 0 or 1"
                )))
            }
        };
        set(o, v);
        Ok(0)
    })
}

/// Senders given these opts (multicasters; mc_sendto_opts sends one packet, so GSO does not
/// apply): send each run of equal-size packets (the last of a run may be shorter) as one
/// UDP segmentation-offload (UDP_SEGMENT) send, several runs in one sendmmsg, order kept; a
/// multicaster groups what next() hands over in one dispatch. mc_sendto_many, which takes
/// no opts, always does it. Default 1. Receivers see ordinary datagrams either way; where
/// the kernel or the device refuses it (or a segment would exceed the interface MTU) the
/// library sends ordinary datagrams by itself, losing and duplicating nothing.
/// Returns 0. Errors: MC_EINVAL (NULL opts, enabled not 0 or 1).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_gso(opts: *mut mc_opts, enabled: c_int) -> c_int {
    set_flag(opts, enabled, "mc_opts_set_gso", |o, v| o.gso = v)
}

/// Listeners: let the kernel hand over coalesced runs of datagrams (UDP_GRO), which the
/// library splits again: on_packet, filters, mc_listener_next and every counter still see
/// one datagram at a time, each with its own len/size/truncation, from, group, ifindex and
/// timestamp. Default 1. With GRO a listener reads with fewer, larger buffers (16 of 64 KiB
/// per poller), and the kernel counts the drop of a coalesced run once (kernel_drops).
/// The kernel coalesces only if the first socket it finds for a datagram (bound to its
/// group or to the wildcard, on its port) has GRO on. So while sockets on one port with
/// GRO on and off are created or closed, by this program or another, a datagram the
/// kernel held can arrive after later ones from the same sender. Listeners that share a
/// port and one setting avoid this.
/// Returns 0. Errors: MC_EINVAL (NULL opts, enabled not 0 or 1).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_gro(opts: *mut mc_opts, enabled: c_int) -> c_int {
    set_flag(opts, enabled, "mc_opts_set_gro", |o, v| o.gro = v)
}

/// Listeners: fill mc_packet.timestamp_ns with the kernel's receive time (SO_TIMESTAMPNS,
/// CLOCK_REALTIME, ns since the Unix epoch; with GRO every datagram of a run carries the
/// run's time). Default 0 (timestamp_ns 0): turning it on makes the kernel read the clock
/// for every packet the host receives. The kernel turns receive stamping on lazily when the
/// first socket of the host asks for it: the first packets after that may be stamped when
/// read rather than on arrival.
/// Returns 0. Errors: MC_EINVAL (NULL opts, enabled not 0 or 1).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_timestamps(opts: *mut mc_opts, enabled: c_int) -> c_int {
    set_flag(opts, enabled, "mc_opts_set_timestamps", |o, v| {
        o.timestamps = v
    })
}

/// Listeners: fill mc_packet.ttl with the received IPv4 TTL / IPv6 hop limit (IP_RECVTTL /
/// IPV6_RECVHOPLIMIT). Default 0 (ttl -1).
/// Returns 0. Errors: MC_EINVAL (NULL opts, enabled not 0 or 1).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_recv_ttl(opts: *mut mc_opts, enabled: c_int) -> c_int {
    set_flag(opts, enabled, "mc_opts_set_recv_ttl", |o, v| o.recv_ttl = v)
}

/// Senders (multicasters, mc_sendto_opts): the IPv4 TOS / IPv6 traffic-class byte of every
/// packet (DSCP << 2 | ECN). Default 0.
/// Returns 0. Errors: MC_EINVAL (NULL opts, a tos outside 0..255).
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_tos(opts: *mut mc_opts, tos: c_int) -> c_int {
    guard(|| {
        opts_mut(opts, "mc_opts_set_tos")?
            .set_tos(tos as i64)
            .map(|_| 0)
    })
}

/// Senders given these opts (mc_sendto_opts, multicasters) bind their socket to
/// address:port: address a unicast address of this host of the group's family (IPv6
/// link-local with its scope: "fe80::1%eth0", or "fe80::1%3" by index), NULL for any (the
/// default); port 0 for an ephemeral port (the default). Receivers see that address and
/// port as mc_packet.from. With an address and no interface set, datagrams leave by the
/// interface that holds the address. SO_REUSEADDR is set, so listeners and other senders
/// may share the port; the socket never receives the group's traffic
/// (IP_MULTICAST_ALL / IPV6_MULTICAST_ALL off). Sends with different send-from settings
/// never share a socket.
/// Returns 0. Errors: MC_EINVAL (NULL opts); MC_EADDRESS (a string that is not a unicast
/// address, a link-local one without its scope, or a scope that names no interface; the
/// opts are unchanged). When the opts are used: MC_EADDRESS for an address of the other
/// family than the group, naming both; -EADDRNOTAVAIL (mc_multicaster_new, mc_sendto_opts)
/// for an address this host does not have, naming it.
#[no_mangle]
pub unsafe extern "C" fn mc_opts_set_send_from(
    opts: *mut mc_opts,
    address: *const c_char,
    port: u16,
) -> c_int {
    guard(|| {
        let o = opts_mut(opts, "mc_opts_set_send_from")?;
        o.set_send_from(opt_str(address, "send-from address")?, port)
            .map(|_| 0)
    })
}
