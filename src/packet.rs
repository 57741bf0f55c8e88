//! A received datagram as handlers, filters and the pull queue see it.

use std::net::SocketAddr;

/// One received datagram, borrowed for the duration of a callback.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// The bytes read (at most the mtu).
    pub data: &'a [u8],
    /// The datagram's real size; larger than `data.len()` when truncated.
    pub size: usize,
    /// The sender.
    pub from: Option<SocketAddr>,
    /// The destination group and port.
    pub group: SocketAddr,
    /// The arrival interface; 0 if unknown.
    pub ifindex: u32,
    /// The kernel's receive time, ns since the Unix epoch; 0 unless enabled.
    pub timestamp_ns: u64,
    /// The received TTL / hop limit; -1 unless enabled.
    pub ttl: i32,
}
