//! The C constants and plain structs of `multicast.h`, and conversions from
//! the core's types.

use std::ffi::{c_int, c_void};

use crate::listener::{Packet, Stats};
use crate::packet::RawAddr;

/// The default group (mc_opts_new, mc_sendto, mc_listen).
pub const MC_DEFAULT_GROUP: &str = "224.0.42.42";
/// The default port (mc_opts_new, mc_sendto, mc_listen).
pub const MC_DEFAULT_PORT: c_int = 4242;
/// TTL 1: the local subnet.
pub const MC_DEFAULT_TTL: c_int = 1;
/// Bytes read per packet.
pub const MC_DEFAULT_MTU: c_int = 4096;
/// Suggested TTL: same host.
pub const MC_TTL_HOST: c_int = 0;
/// Suggested TTL: same subnet.
pub const MC_TTL_SUBNET: c_int = 1;
/// Suggested TTL: same site.
pub const MC_TTL_SITE: c_int = 32;
/// Suggested TTL: same region.
pub const MC_TTL_REGION: c_int = 64;
/// Suggested TTL: same continent.
pub const MC_TTL_CONTINENT: c_int = 128;
/// Suggested TTL: unrestricted.
pub const MC_TTL_UNRESTRICTED: c_int = 255;
/// Interest flag for mc_register / mc_modify: readable (EPOLLIN | EPOLLPRI).
pub const MC_READ: c_int = 1;
/// Interest flag for mc_register / mc_modify: writable (EPOLLOUT).
pub const MC_WRITE: c_int = 4;
/// Answer of an mc_next_fn: finished; the multicaster closes and frees itself.
pub const MC_NEXT_DONE: c_int = 0;
/// Answer of an mc_next_fn: *data and *len hold the next packet.
pub const MC_NEXT_PACKET: c_int = 1;
/// Answer of an mc_next_fn: nothing now; no more asking until mc_multicaster_resume.
pub const MC_NEXT_WAIT: c_int = 2;

/// A NULL handle or required pointer, a value that is no handle of its kind, a number or
/// flag out of range, or a call the object does not take (mc_listener_next on a listener
/// with on_packet; a group a listener holds with the other kind of source; interface "*"
/// for a sender; mc_modify/mc_unregister of a listener's or multicaster's own fd).
pub const MC_EINVAL: c_int = -1001;
/// A string that is not an address of the required kind: not a multicast group, not a
/// unicast source, of the other family, an unknown interface, or a link-local IPv6 group
/// with no interface to scope it.
pub const MC_EADDRESS: c_int = -1002;
/// A filter pattern that does not compile or is not UTF-8 (mc_listener_set_filter_regex;
/// the reason is in mc_last_error()).
pub const MC_EREGEX: c_int = -1003;
/// Not there: a fd not registered on this poller (mc_modify, mc_unregister), or a (group,
/// source) pair the listener has not joined (mc_listener_drop_group).
pub const MC_ENOTFOUND: c_int = -1004;
/// Already there: a fd already registered on this poller (mc_register), or a (group,
/// source) pair the listener has joined already (mc_listener_add_group).
pub const MC_EEXIST: c_int = -1005;
/// A reentrant call that is not allowed: mc_poll/mc_loop of the poller whose callback is
/// running, mc_listener_next from inside any callback of its listener's poller, mc_listen
/// from inside a callback of the default poller.
pub const MC_EBUSY: c_int = -1006;
/// The object is closed (by the program, by on_packet's non-zero answer, by MC_NEXT_DONE or
/// by mc_poller_free): every call with its handle returns this, forever (close is a no-op);
/// a handle is never given to another object. In a forked child, also a call that would
/// wait or register on the parent's default poller (e.g. mc_listener_next of a listener
/// made on it before the fork).
pub const MC_ECLOSED: c_int = -1007;
/// An internal bug, caught at the boundary (details in mc_last_error()); any function that
/// returns int may return it.
pub const MC_EPANIC: c_int = -1008;

/// An address and port.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mc_addr {
    /// AF_INET or AF_INET6.
    pub family: u16,
    /// Host byte order.
    pub port: u16,
    /// IPv6 interface index for link-local scope (fe80::/10, ff02::/16); 0 otherwise.
    pub scope_id: u32,
    /// Network byte order; IPv4 uses the first 4 bytes.
    pub ip: [u8; 16],
}

/// A received packet. The library owns it; fields may be appended later.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_packet {
    /// Valid only until the callback returns (pull mode: until the next
    /// mc_listener_next or mc_listener_close).
    pub data: *const u8,
    /// Bytes in data (at most the mtu).
    pub len: usize,
    /// The datagram's real size; size > len means truncated.
    pub size: usize,
    /// The sender.
    pub from: mc_addr,
    /// The destination group and port (IP_PKTINFO / IPV6_PKTINFO).
    pub group: mc_addr,
    /// The interface it arrived on; 0 if unknown.
    pub ifindex: u32,
    /// The kernel's receive time, ns since the Unix epoch (CLOCK_REALTIME, SO_TIMESTAMPNS);
    /// 0 unless mc_opts_set_timestamps(opts, 1).
    pub timestamp_ns: u64,
    /// The received IPv4 TTL / IPv6 hop limit; -1 unless mc_opts_set_recv_ttl(opts, 1).
    pub ttl: i32,
}

/// More counters of a listener; fixed for the major version, like mc_listener_stats.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mc_listener_counts {
    /// Pull mode: dropped because the queue was full.
    pub queue_drops: u64,
    /// GRO runs read (their datagrams count one by one in received).
    pub coalesced: u64,
    /// Memberships made since creation, re-joins included; a membership is one (group,
    /// source, interface).
    pub joins: u64,
    /// Memberships lost (interface gone) or dropped (mc_listener_drop_group).
    pub leaves: u64,
    /// UDP sockets the listener holds now.
    pub sockets: u64,
}

/// Counters of a listener. Fixed for the major version: new counters get a new function.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mc_listener_stats {
    /// Datagrams of its group read from the socket.
    pub received: u64,
    /// Handed to on_packet or queued for mc_listener_next.
    pub delivered: u64,
    /// Rejected by the filter.
    pub filtered: u64,
    /// Longer than the mtu (still delivered, with size > len).
    pub truncated: u64,
    /// Dropped by the kernel for want of buffer space (SO_RXQ_OVFL).
    pub kernel_drops: u64,
}

/// A packet to send: `len` bytes at `data`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mc_buf {
    /// The bytes (may be NULL only when len is 0).
    pub data: *const c_void,
    /// How many.
    pub len: usize,
}

/// Packet handler: return non-zero to stop (the listener closes and frees itself).
pub type mc_packet_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, packet: *const mc_packet) -> c_int>;
/// Packet filter: return non-zero to accept the packet.
pub type mc_filter_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, packet: *const mc_packet) -> c_int>;
/// Multicaster source: return MC_NEXT_PACKET with *data and *len set (the data must stay
/// valid until next is called again), MC_NEXT_DONE or MC_NEXT_WAIT.
pub type mc_next_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, data: *mut *const u8, len: *mut usize) -> c_int,
>;
/// Readiness callback for a registered fd.
pub type mc_io_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, fd: c_int)>;

impl mc_packet {
    /// The C view of a core packet, which has this struct's layout.
    #[inline]
    pub fn view(p: &Packet<'_>) -> *const mc_packet {
        p as *const Packet<'_> as *const mc_packet
    }
}

// The core's Packet and RawAddr are mc_packet and mc_addr, field for field:
// the receive loop builds the C view directly.
const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<Packet<'static>>() == size_of::<mc_packet>());
    assert!(align_of::<Packet<'static>>() == align_of::<mc_packet>());
    assert!(offset_of!(Packet<'static>, size) == offset_of!(mc_packet, size));
    assert!(offset_of!(Packet<'static>, from) == offset_of!(mc_packet, from));
    assert!(offset_of!(Packet<'static>, group) == offset_of!(mc_packet, group));
    assert!(offset_of!(Packet<'static>, ifindex) == offset_of!(mc_packet, ifindex));
    assert!(offset_of!(Packet<'static>, timestamp_ns) == offset_of!(mc_packet, timestamp_ns));
    assert!(offset_of!(Packet<'static>, ttl) == offset_of!(mc_packet, ttl));
    assert!(size_of::<RawAddr>() == size_of::<mc_addr>());
    assert!(offset_of!(RawAddr, port) == offset_of!(mc_addr, port));
    assert!(offset_of!(RawAddr, scope_id) == offset_of!(mc_addr, scope_id));
    assert!(offset_of!(RawAddr, ip) == offset_of!(mc_addr, ip));
};

impl From<Stats> for mc_listener_counts {
    fn from(s: Stats) -> mc_listener_counts {
        mc_listener_counts {
            queue_drops: s.queue_drops,
            coalesced: s.coalesced,
            joins: s.joins,
            leaves: s.leaves,
            sockets: s.sockets,
        }
    }
}

impl From<Stats> for mc_listener_stats {
    fn from(s: Stats) -> mc_listener_stats {
        mc_listener_stats {
            received: s.received,
            delivered: s.delivered,
            filtered: s.filtered,
            truncated: s.truncated,
            kernel_drops: s.kernel_drops,
        }
    }
}

/// Converts a C user_data pointer into something a `'static` closure may hold.
#[derive(Clone, Copy)]
pub struct UserData(pub *mut c_void);
