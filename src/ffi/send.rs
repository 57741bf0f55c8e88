//! mc_sendto, mc_sendto_many, mc_sendto_opts.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::ffi::boundary::{bytes, guard, non_null, opt_str, set_last_error, to_int};
use crate::ffi::opts::{mc_opts, opts_or_default};
use crate::ffi::types::mc_buf;
use crate::opts::Options;
use crate::send;

thread_local! {
    // The last group string this thread sent to and what it parsed to:
    // repeated sends skip the parsing (a strlen and a memcmp instead).
    static LAST_GROUP: RefCell<(Vec<u8>, Option<IpAddr>)> = const { RefCell::new((Vec::new(), None)) };
    // mc_sendto's last destination as the program wrote it, prepared: a
    // repeated call is a strlen, a memcmp and one sendto.
    static LAST_SEND: RefCell<Option<LastSend>> = const { RefCell::new(None) };
}

/// mc_sendto's arguments (group NULL: None) and the prepared destination.
struct LastSend {
    group: Option<Vec<u8>>,
    port: u16,
    ttl: c_int,
    sender: send::GroupSender,
}

/// The group argument's bytes (None for NULL).
fn group_bytes<'a>(group: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: a NUL-terminated string by the API's contract.
    (!group.is_null()).then(|| unsafe { CStr::from_ptr(group) }.to_bytes())
}

fn group_of(group: *const c_char) -> Result<Option<IpAddr>> {
    if group.is_null() {
        return Ok(None);
    }
    // SAFETY: a NUL-terminated string by the API's contract.
    let bytes = unsafe { CStr::from_ptr(group) }.to_bytes();
    let hit = LAST_GROUP.with(|l| {
        let l = l.borrow();
        (l.0 == bytes).then_some(l.1).flatten()
    });
    if hit.is_some() {
        return Ok(hit);
    }
    let g = opt_str(group, "group")?.unwrap_or_default();
    let ip = crate::addr::parse_group(g)?;
    LAST_GROUP.with(|l| {
        let mut l = l.borrow_mut();
        l.0.clear();
        l.0.extend_from_slice(bytes);
        l.1 = Some(ip);
    });
    Ok(Some(ip))
}

fn simple_opts(group: *const c_char, port: u16, ttl: c_int) -> Result<Options> {
    let mut o = Options::default();
    if let Some(g) = group_of(group)? {
        o.group = g;
    }
    if port != 0 {
        o.port = port;
    }
    if ttl >= 0 {
        o.set_ttl(ttl as i64)?;
    }
    Ok(o)
}

/// Sends one packet now to group:port with ttl: group NULL = MC_DEFAULT_GROUP, port 0 =
/// MC_DEFAULT_PORT, ttl < 0 = MC_DEFAULT_TTL. Thread-safe; fast when called repeatedly
/// (configured sockets are cached per ttl).
/// Returns the bytes sent. Errors: MC_EINVAL (NULL packet with len > 0, ttl above 255);
/// MC_EADDRESS (group not a multicast literal, or a link-local IPv6 group, which needs an
/// interface: use mc_sendto_opts); -EMSGSIZE above what a UDP datagram carries (65507 bytes
/// over IPv4, 65527 over IPv6); other -errno if the system refuses the send (e.g.
/// -ENETUNREACH without a route).
#[no_mangle]
pub unsafe extern "C" fn mc_sendto(
    packet: *const c_void,
    len: usize,
    group: *const c_char,
    port: u16,
    ttl: c_int,
) -> c_int {
    guard(|| {
        let data = bytes(packet, len, "mc_sendto: packet")?;
        let sent = LAST_SEND.with(|last| match &*last.borrow() {
            Some(l)
                if l.port == port && l.ttl == ttl && l.group.as_deref() == group_bytes(group) =>
            {
                l.sender.send(data).ok()
            }
            _ => None,
        });
        if let Some(n) = sent {
            return Ok(to_int(n));
        }
        let g = group_of(group)?.unwrap_or(IpAddr::V4(crate::opts::DEFAULT_GROUP));
        let port_or_default = if port == 0 {
            crate::opts::DEFAULT_PORT
        } else {
            port
        };
        let hops = match ttl {
            t if t < 0 => crate::opts::DEFAULT_TTL,
            t if t <= 255 => t as u32,
            t => return Err(Error::invalid(format!("ttl {t}: must be 0..255"))),
        };
        let (n, prepared) = send::sendto_group(g, port_or_default, hops, data)?;
        if let Some(sender) = prepared {
            let l = LastSend {
                group: group_bytes(group).map(<[u8]>::to_vec),
                port,
                ttl,
                sender,
            };
            LAST_SEND.with(|last| *last.borrow_mut() = Some(l));
        }
        Ok(to_int(n))
    })
}

/// Sends all count packets, in order (batched with sendmmsg). Every packet is checked
/// before any is sent; a bad one means nothing is sent. Thread-safe.
/// Returns the number sent: less than count only if the OS refused midway (then
/// mc_last_error() says why and at which packet); 0 at once for count 0.
/// Errors (nothing sent): MC_EINVAL (NULL packets, count above INT_MAX, a buffer NULL with
/// a length or of a length above SIZE_MAX/2, ttl above 255); MC_EADDRESS (group as for
/// mc_sendto); -EMSGSIZE for a packet larger than a UDP datagram carries (65507 bytes over
/// IPv4, 65527 over IPv6), naming its index, size and the limit; -errno if the system
/// refuses the first send.
#[no_mangle]
pub unsafe extern "C" fn mc_sendto_many(
    packets: *const mc_buf,
    count: usize,
    group: *const c_char,
    port: u16,
    ttl: c_int,
) -> c_int {
    guard(|| {
        if count == 0 {
            return Ok(0);
        }
        if count > c_int::MAX as usize {
            return Err(Error::invalid(format!(
                "mc_sendto_many: count {count} out of range"
            )));
        }
        let packets = non_null(packets, "mc_sendto_many: packets")?;
        // SAFETY: the caller passes count mc_bufs at packets.
        let bufs = unsafe { std::slice::from_raw_parts(packets, count) };
        for (i, b) in bufs.iter().enumerate() {
            if (b.data.is_null() && b.len > 0) || b.len > isize::MAX as usize {
                bytes(b.data, b.len, &format!("mc_sendto_many: packets[{i}]"))?;
            }
        }
        // Checked above: every buffer is readable and of a sane length.
        let slice = |b: &mc_buf| bytes(b.data, b.len, "packet").unwrap_or(&[]);
        let o = simple_opts(group, port, ttl)?;
        let r = send::sendto_many(&o, count, |i| slice(&bufs[i]))?;
        if let Some(e) = r.error {
            set_last_error(&crate::ffi::boundary::c_message(&e));
        }
        Ok(to_int(r.sent))
    })
}

/// Sends one packet now as opts says (group, port, ttl, interface, loopback, tos,
/// send-from; NULL: defaults). Thread-safe.
/// Returns the bytes sent. Errors: MC_EINVAL (NULL packet with len > 0, interface "*");
/// MC_EADDRESS (a link-local IPv6 group such as ff02::... without an interface, or a source
/// or send-from address in opts of the other family than the group); -EMSGSIZE above what a
/// UDP datagram carries (65507 bytes over IPv4, 65527 over IPv6); -ENODEV if the interface
/// is gone; -EADDRNOTAVAIL for a send-from address this host does not have; other -errno
/// if the system refuses the send.
#[no_mangle]
pub unsafe extern "C" fn mc_sendto_opts(
    opts: *const mc_opts,
    packet: *const c_void,
    len: usize,
) -> c_int {
    guard(|| {
        let data = bytes(packet, len, "mc_sendto_opts: packet")?;
        let o = opts_or_default(opts);
        send::sendto_opts(&o, data).map(to_int)
    })
}
