//! Options shared by listeners, multicasters and `sendto`: validated on set.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};

use crate::addr::{self, Interface};
use crate::error::{Error, Result};

/// 224.0.42.42, the seed's group.
pub const DEFAULT_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 42, 42);
/// The seed's port.
pub const DEFAULT_PORT: u16 = 4242;
/// TTL 1: the local subnet.
pub const DEFAULT_TTL: u32 = 1;
/// Bytes read per packet.
pub const DEFAULT_MTU: usize = 4096;
/// SO_RCVBUF request of a listener.
pub const DEFAULT_RECV_BUFFER: usize = 4 << 20;

/// Listener, multicaster and send options; every setter validates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Multicast group.
    pub group: IpAddr,
    /// UDP port.
    pub port: u16,
    /// TTL or hop limit.
    pub ttl: u32,
    /// Bytes read per packet.
    pub mtu: usize,
    /// Interface to join or send on.
    pub interface: Interface,
    /// Deliver own packets to local listeners.
    pub loopback: bool,
    /// SSM source.
    pub source: Option<IpAddr>,
    /// SO_RCVBUF request (0: the kernel default).
    pub recv_buffer: usize,
    /// The interface's name when it was given by name, index or address
    /// (so that it is found again after it is re-created).
    pub interface_name: Option<String>,
    /// Senders: UDP segmentation offload for runs of equal-size packets.
    pub gso: bool,
    /// Listeners: UDP_GRO (coalesced runs, split again by the library).
    pub gro: bool,
    /// Listeners: SO_TIMESTAMPNS receive times.
    pub timestamps: bool,
    /// Listeners: the received TTL / hop limit.
    pub recv_ttl: bool,
    /// Senders: the IPv4 TOS / IPv6 traffic-class byte.
    pub tos: u8,
    /// Senders: the local address and port their socket is bound to.
    pub send_from: SendFrom,
}

/// Where senders send from: an address of this host (None: any) and a port
/// (0: ephemeral). The default, any and 0, binds nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendFrom {
    /// A unicast address of this host; None: any.
    pub ip: Option<IpAddr>,
    /// The scope (interface index) of an IPv6 link-local address; else 0.
    pub scope: u32,
    /// The local port; 0: ephemeral.
    pub port: u16,
}

impl SendFrom {
    /// The address to bind a socket of the family (`v6`) to; None: bind nothing.
    pub fn bind_addr(&self, v6: bool) -> Option<SocketAddr> {
        let ip = match self.ip {
            Some(ip) => ip,
            None if self.port == 0 => return None,
            None if v6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        Some(match ip {
            IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, self.port, 0, self.scope)),
            IpAddr::V4(_) => SocketAddr::new(ip, self.port),
        })
    }
}

/// A send-from address: a unicast literal, an IPv6 link-local one with its
/// scope ("fe80::1%eth0", or "%3" by index).
pub fn parse_send_from(s: &str) -> Result<(IpAddr, u32)> {
    let bad = |why: &str| Error::address(format!("send-from address \"{s}\": {why}"));
    let (text, scope) = match s.split_once('%') {
        Some((a, sc)) => (a, Some(sc)),
        None => (s, None),
    };
    let ip: IpAddr = text
        .parse()
        .map_err(|_| bad("not an IPv4 or IPv6 address literal"))?;
    let broadcast = matches!(ip, IpAddr::V4(v4) if v4.is_broadcast());
    if ip.is_multicast() || broadcast {
        return Err(bad("not a unicast address"));
    }
    if ip.is_unspecified() {
        return Err(bad("not a unicast address (NULL sends from any address)"));
    }
    let link_local = matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80);
    let index = match scope {
        None if link_local => {
            return Err(bad(
                "a link-local address needs its scope (\"fe80::1%eth0\")",
            ))
        }
        None => 0,
        Some(_) if !link_local => return Err(bad("a scope is for IPv6 link-local addresses")),
        Some(sc) if sc.is_empty() || sc == "*" || sc.parse::<IpAddr>().is_ok() => {
            return Err(bad("the scope must be an interface name or index"))
        }
        Some(sc) => match addr::parse_interface(sc) {
            Ok(Interface::Index(i)) => i,
            _ => return Err(bad(&format!("no interface \"{sc}\""))),
        },
    };
    Ok((ip, index))
}

impl Default for Options {
    fn default() -> Self {
        Options {
            group: IpAddr::V4(DEFAULT_GROUP),
            port: DEFAULT_PORT,
            ttl: DEFAULT_TTL,
            mtu: DEFAULT_MTU,
            interface: Interface::Default,
            loopback: true,
            source: None,
            recv_buffer: DEFAULT_RECV_BUFFER,
            interface_name: None,
            gso: true,
            gro: true,
            timestamps: false,
            recv_ttl: false,
            tos: 0,
            send_from: SendFrom::default(),
        }
    }
}

impl Options {
    /// Sets the group (an IPv4 224/4 or IPv6 ff00::/8 literal).
    pub fn set_group(&mut self, group: &str) -> Result<()> {
        self.group = addr::parse_group(group)?;
        Ok(())
    }

    /// Sets the port, 1..65535.
    pub fn set_port(&mut self, port: u16) -> Result<()> {
        if port == 0 {
            return Err(Error::invalid("port 0: must be 1..65535"));
        }
        self.port = port;
        Ok(())
    }

    /// Sets the TTL / hop limit, 0..255.
    pub fn set_ttl(&mut self, ttl: i64) -> Result<()> {
        if !(0..=255).contains(&ttl) {
            return Err(Error::invalid(format!("ttl {ttl}: must be 0..255")));
        }
        self.ttl = ttl as u32;
        Ok(())
    }

    /// Sets the bytes read per packet, 1..65535.
    pub fn set_mtu(&mut self, mtu: usize) -> Result<()> {
        if !(1..=65535).contains(&mtu) {
            return Err(Error::invalid(format!("mtu {mtu}: must be 1..65535")));
        }
        self.mtu = mtu;
        Ok(())
    }

    /// Sets the interface (name, index, address or "*"); None: the default.
    pub fn set_interface(&mut self, iface: Option<&str>) -> Result<()> {
        self.interface = match iface {
            None => Interface::Default,
            Some(s) => addr::parse_interface(s)?,
        };
        self.interface_name = match self.interface {
            Interface::Index(i) => crate::sys::index_to_name(i),
            _ => None,
        };
        Ok(())
    }

    /// Sets the SSM source; None: any source.
    pub fn set_source(&mut self, source: Option<&str>) -> Result<()> {
        self.source = match source {
            None => None,
            Some(s) => Some(addr::parse_source(s)?),
        };
        Ok(())
    }

    /// Sets the SO_RCVBUF request (0: leave the kernel default).
    pub fn set_recv_buffer(&mut self, bytes: usize) -> Result<()> {
        if bytes > (i32::MAX / 2) as usize {
            return Err(Error::invalid(format!(
                "recv buffer {bytes}: must be at most {} bytes",
                i32::MAX / 2
            )));
        }
        self.recv_buffer = bytes;
        Ok(())
    }

    /// Sets the TOS / traffic-class byte, 0..255.
    pub fn set_tos(&mut self, tos: i64) -> Result<()> {
        if !(0..=255).contains(&tos) {
            return Err(Error::invalid(format!(
                "tos {tos}: must be 0..255 (DSCP << 2 | ECN)"
            )));
        }
        self.tos = tos as u8;
        Ok(())
    }

    /// Sets where senders send from: `address` (None: any; see
    /// [`parse_send_from`]) and `port` (0: ephemeral).
    pub fn set_send_from(&mut self, address: Option<&str>, port: u16) -> Result<()> {
        let (ip, scope) = match address {
            None => (None, 0),
            Some(s) => {
                let (ip, scope) = parse_send_from(s)?;
                (Some(ip), scope)
            }
        };
        self.send_from = SendFrom { ip, scope, port };
        Ok(())
    }

    /// Checks the combination: source family = group family, scoped IPv6
    /// groups have an interface.
    pub fn check(&self, what: &str) -> Result<()> {
        if let Some(src) = self.source {
            if src.is_ipv4() != self.group.is_ipv4() {
                return Err(Error::address(format!(
                    "{what}: source {src} and group {} are of different families",
                    self.group
                )));
            }
        }
        if addr::needs_scope(self.group) && self.interface == Interface::Default {
            return Err(Error::address(format!(
                "{what}: group {} has link-local scope and needs an interface",
                self.group
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;

    #[test]
    fn ranges_and_state_kept_on_failure() {
        let mut o = Options::default();
        assert_eq!(o.set_ttl(256).unwrap_err().kind(), Kind::Invalid);
        assert_eq!(o.set_ttl(-1).unwrap_err().kind(), Kind::Invalid);
        o.set_ttl(255).unwrap();
        assert_eq!(o.set_mtu(0).unwrap_err().kind(), Kind::Invalid);
        assert_eq!(o.set_mtu(65536).unwrap_err().kind(), Kind::Invalid);
        assert_eq!(o.set_port(0).unwrap_err().kind(), Kind::Invalid);
        assert_eq!(o.set_group("1.2.3.4").unwrap_err().kind(), Kind::Address);
        assert_eq!(o.ttl, 255);
        assert_eq!(o.group, IpAddr::V4(DEFAULT_GROUP));
        assert_eq!(o.mtu, DEFAULT_MTU);
    }

    #[test]
    fn send_from() {
        let mut o = Options::default();
        assert_eq!(o.send_from.bind_addr(false), None);
        o.set_send_from(Some("192.0.2.1"), 5000).unwrap();
        assert_eq!(
            o.send_from.bind_addr(false),
            Some("192.0.2.1:5000".parse().unwrap())
        );
        o.set_send_from(Some("fe80::1%1"), 0).unwrap();
        assert_eq!(o.send_from.scope, 1);
        o.set_send_from(Some("fe80::1%lo"), 0).unwrap();
        assert_eq!(o.send_from.scope, 1);
        let kept = o.send_from;
        for bad in [
            "",
            "x",
            "224.0.0.1",
            "ff05::1",
            "0.0.0.0",
            "::",
            "255.255.255.255",
            "fe80::1",
            "fe80::1%",
            "fe80::1%*",
            "fe80::1%nosuch0",
            "fd42::1%lo",
            "192.0.2.1%lo",
        ] {
            let e = o.set_send_from(Some(bad), 1).unwrap_err();
            assert_eq!(e.kind(), Kind::Address, "{bad}");
            assert!(e.message().contains(bad), "{}", e.message());
        }
        assert_eq!(o.send_from, kept);
        o.set_send_from(None, 4242).unwrap();
        assert_eq!(
            o.send_from.bind_addr(true),
            Some("[::]:4242".parse().unwrap())
        );
    }
}
