//! Parsing and checking of groups, sources and interfaces.

use std::net::{IpAddr, SocketAddr, SocketAddrV6};

use crate::error::{Error, Result};
use crate::sys;

/// Where to join or send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interface {
    /// The system's choice (index 0).
    Default,
    /// One interface, by index.
    Index(u32),
    /// Every interface that is up with the MULTICAST flag, lo included.
    All,
}

/// A multicast group literal: IPv4 224.0.0.0/4 or IPv6 ff00::/8.
pub fn parse_group(s: &str) -> Result<IpAddr> {
    let ip: IpAddr = s.trim().parse().map_err(|_| {
        Error::address(format!(
            "group \"{s}\": not an IPv4 or IPv6 address literal"
        ))
    })?;
    if !ip.is_multicast() {
        return Err(Error::address(format!(
            "group \"{s}\": not a multicast address (IPv4 224.0.0.0/4 or IPv6 ff00::/8)"
        )));
    }
    Ok(ip)
}

/// An SSM source: a unicast address literal.
pub fn parse_source(s: &str) -> Result<IpAddr> {
    let ip: IpAddr = s.trim().parse().map_err(|_| {
        Error::address(format!(
            "source \"{s}\": not an IPv4 or IPv6 address literal"
        ))
    })?;
    if ip.is_multicast() || ip.is_unspecified() {
        return Err(Error::address(format!(
            "source \"{s}\": a source must be a unicast address"
        )));
    }
    if let IpAddr::V4(v4) = ip {
        if v4.is_broadcast() {
            return Err(Error::address(format!(
                "source \"{s}\": a source must be a unicast address"
            )));
        }
    }
    Ok(ip)
}

/// An interface given as a name ("eth0"), an index ("3"), one of its
/// addresses, or "*".
pub fn parse_interface(s: &str) -> Result<Interface> {
    if s == "*" {
        return Ok(Interface::All);
    }
    if s.is_empty() {
        return Err(Error::address("interface \"\": empty name"));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let index: u32 = s
            .parse()
            .map_err(|_| Error::address(format!("interface \"{s}\": index out of range")))?;
        return match sys::index_to_name(index) {
            Some(_) if index > 0 => Ok(Interface::Index(index)),
            _ => Err(Error::address(format!(
                "interface \"{s}\": no interface has index {index}"
            ))),
        };
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        let list = sys::interfaces().map_err(|e| Error::os("getifaddrs", e))?;
        return list
            .iter()
            .find(|i| i.addrs.contains(&ip))
            .map(|i| Interface::Index(i.index))
            .ok_or_else(|| {
                Error::address(format!("interface \"{s}\": no interface has this address"))
            });
    }
    sys::name_to_index(s).map(Interface::Index).ok_or_else(|| {
        let why = if s.contains(':') {
            " (\"name:label\" is an address label, not an interface name)"
        } else {
            ""
        };
        Error::address(format!("interface \"{s}\": no such interface{why}"))
    })
}

/// The indices a listener joins on: `[0]` for the default, every up
/// multicast interface for `All`.
pub fn join_indices(iface: &Interface) -> Result<Vec<u32>> {
    match iface {
        Interface::Default => Ok(vec![0]),
        Interface::Index(i) => Ok(vec![*i]),
        Interface::All => {
            let list = sys::interfaces().map_err(|e| Error::os("getifaddrs", e))?;
            let v: Vec<u32> = list
                .iter()
                .filter(|i| i.up && i.multicast)
                .map(|i| i.index)
                .collect();
            if v.is_empty() {
                return Err(Error::address(
                    "interface \"*\": no interface is up with the MULTICAST flag",
                ));
            }
            Ok(v)
        }
    }
}

/// True for IPv6 groups that need an interface (interface- and link-local
/// scope, ff01::/16 and ff02::/16 and their flag variants).
pub fn needs_scope(group: IpAddr) -> bool {
    match group {
        IpAddr::V6(g) => matches!(g.octets()[1] & 0x0f, 1 | 2),
        IpAddr::V4(_) => false,
    }
}

/// The socket address for `group:port`, scoped to `ifindex` when the group
/// needs it.
pub fn group_addr(group: IpAddr, port: u16, ifindex: u32) -> SocketAddr {
    match group {
        IpAddr::V4(_) => SocketAddr::new(group, port),
        IpAddr::V6(g) => {
            let scope = if needs_scope(group) { ifindex } else { 0 };
            SocketAddr::V6(SocketAddrV6::new(g, port, 0, scope))
        }
    }
}

/// "239.1.2.3:5000", "[ff02::1%mc0]:5000": IPv6 in brackets, with the
/// scope as the interface's name when it has one.
pub fn display(a: SocketAddr) -> String {
    match a {
        SocketAddr::V4(v4) => v4.to_string(),
        SocketAddr::V6(v6) => {
            let scope = match v6.scope_id() {
                0 => String::new(),
                s => format!(
                    "%{}",
                    sys::index_to_name(s).unwrap_or_else(|| s.to_string())
                ),
            };
            format!("[{}{scope}]:{}", v6.ip(), v6.port())
        }
    }
}

/// The interface the route to `dst` goes out on (what a join on "the
/// system's choice" uses), asked of the kernel (RTM_GETROUTE); None if there
/// is no route or no answer.
pub fn route_ifindex(dst: IpAddr) -> Option<u32> {
    use std::os::fd::AsRawFd;
    let fd = sys::netlink::route_socket(0, false).ok()?;
    let req = crate::netlink::route_request(1, dst);
    let r =
        sys::netlink::request(
            fd.as_raw_fd(),
            &req,
            |buf| match crate::netlink::parse_route_reply(buf, 1) {
                Ok(None) => None,
                r => Some(r),
            },
        );
    match r {
        Ok(Some(Ok(Some(ix)))) if ix > 0 => Some(ix),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        assert!(parse_group("224.0.42.42").is_ok());
        assert!(parse_group("239.255.255.255").is_ok());
        assert!(parse_group("ff02::1").is_ok());
        for bad in [
            "10.0.0.1",
            "223.255.255.255",
            "240.0.0.1",
            "::1",
            "fe80::1",
            "x",
            "",
        ] {
            let e = parse_group(bad).unwrap_err();
            assert_eq!(e.kind(), crate::Kind::Address, "{bad}");
            assert!(e.message().contains(bad), "{}", e.message());
        }
    }

    #[test]
    fn sources() {
        assert!(parse_source("10.0.0.1").is_ok());
        assert!(parse_source("fd42::2").is_ok());
        for bad in [
            "224.0.0.1",
            "0.0.0.0",
            "::",
            "255.255.255.255",
            "ff02::1",
            "nope",
        ] {
            assert_eq!(
                parse_source(bad).unwrap_err().kind(),
                crate::Kind::Address,
                "{bad}"
            );
        }
    }

    #[test]
    fn scopes() {
        assert!(needs_scope("ff02::1".parse().unwrap()));
        assert!(needs_scope("ff12::1".parse().unwrap()));
        assert!(needs_scope("ff01::1".parse().unwrap()));
        assert!(!needs_scope("ff05::1".parse().unwrap()));
        assert!(!needs_scope("224.0.0.1".parse().unwrap()));
    }

    #[test]
    fn interfaces_by_name_index_address() {
        assert_eq!(parse_interface("*").unwrap(), Interface::All);
        assert_eq!(parse_interface("lo").unwrap(), Interface::Index(1));
        assert_eq!(parse_interface("1").unwrap(), Interface::Index(1));
        assert_eq!(parse_interface("127.0.0.1").unwrap(), Interface::Index(1));
        for bad in ["", "nosuch0", "999999", "0", "192.0.2.200", "99999999999"] {
            assert_eq!(
                parse_interface(bad).unwrap_err().kind(),
                crate::Kind::Address,
                "{bad:?}"
            );
        }
    }
}
