//! A received datagram as handlers, filters and the pull queue see it.
//!
//! Laid out as the C API's `mc_packet` and `mc_addr` (`repr(C)`, the same
//! fields in the same order; `ffi/types.rs` checks it at compile time), so
//! the receive loop builds the one value the C callback reads, straight from
//! the receive slot, with no conversion on the way. [`RawAddr`] is defined
//! beside the receive (`sys/recv.rs`), which fills it from the kernel's
//! sockaddr; its conversions live here.

use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

pub use crate::sys::RawAddr;

impl RawAddr {
    /// An IPv4 address and port.
    #[inline]
    pub fn v4(octets: [u8; 4], port: u16) -> RawAddr {
        let mut ip = [0; 16];
        ip[..4].copy_from_slice(&octets);
        RawAddr {
            family: libc::AF_INET as u16,
            port,
            scope_id: 0,
            ip,
        }
    }

    /// An IPv6 address, port and scope.
    #[inline]
    pub fn v6(ip: [u8; 16], port: u16, scope_id: u32) -> RawAddr {
        RawAddr {
            family: libc::AF_INET6 as u16,
            port,
            scope_id,
            ip,
        }
    }

    /// As a `SocketAddr`; None for no address (family 0).
    pub fn to_socket_addr(&self) -> Option<SocketAddr> {
        match self.family as i32 {
            libc::AF_INET => {
                let o: [u8; 4] = self.ip[..4].try_into().ok()?;
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(o),
                    self.port,
                )))
            }
            libc::AF_INET6 => Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(self.ip),
                self.port,
                0,
                self.scope_id,
            ))),
            _ => None,
        }
    }

    /// The IP address alone; None for no address.
    pub fn ip(&self) -> Option<IpAddr> {
        self.to_socket_addr().map(|a| a.ip())
    }
}

impl From<SocketAddr> for RawAddr {
    fn from(a: SocketAddr) -> RawAddr {
        match a {
            SocketAddr::V4(v4) => RawAddr::v4(v4.ip().octets(), v4.port()),
            SocketAddr::V6(v6) => RawAddr::v6(v6.ip().octets(), v6.port(), v6.scope_id()),
        }
    }
}

impl From<Option<SocketAddr>> for RawAddr {
    fn from(a: Option<SocketAddr>) -> RawAddr {
        a.map(RawAddr::from).unwrap_or_default()
    }
}

/// One received datagram, borrowed for the duration of a callback.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    data: *const u8,
    len: usize,
    /// The datagram's real size; larger than `data().len()` when truncated.
    pub size: usize,
    /// The sender (family 0 if the kernel did not say).
    pub from: RawAddr,
    /// The destination group and port.
    pub group: RawAddr,
    /// The arrival interface; 0 if unknown.
    pub ifindex: u32,
    /// The kernel's receive time, ns since the Unix epoch; 0 unless enabled.
    pub timestamp_ns: u64,
    /// The received TTL / hop limit; -1 unless enabled.
    pub ttl: i32,
    bytes: PhantomData<&'a [u8]>,
}

impl<'a> Packet<'a> {
    /// A packet of `data` (`size`: the datagram's real size).
    #[inline]
    pub fn new(data: &'a [u8], size: usize, from: RawAddr, group: RawAddr) -> Packet<'a> {
        Packet {
            data: data.as_ptr(),
            len: data.len(),
            size,
            from,
            group,
            ifindex: 0,
            timestamp_ns: 0,
            ttl: -1,
            bytes: PhantomData,
        }
    }

    /// The bytes read (at most the mtu).
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        // SAFETY: data/len come from a slice that lives for 'a (new()).
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }

    /// The sender as a `SocketAddr`.
    pub fn sender(&self) -> Option<SocketAddr> {
        self.from.to_socket_addr()
    }

    /// The destination group and port as a `SocketAddr`.
    pub fn destination(&self) -> Option<SocketAddr> {
        self.group.to_socket_addr()
    }
}
