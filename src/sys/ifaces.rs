//! The interfaces of this network namespace (getifaddrs, if_nametoindex).

use std::ffi::{CStr, CString};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::cvt;

/// One network interface as getifaddrs(3) reports it.
#[derive(Debug, Clone)]
pub struct Interface {
    /// if_nametoindex of the name.
    pub index: u32,
    /// Its name.
    pub name: String,
    /// IFF_UP.
    pub up: bool,
    /// IFF_MULTICAST.
    pub multicast: bool,
    /// Its IPv4 and IPv6 addresses.
    pub addrs: Vec<IpAddr>,
}

/// Every interface of this network namespace, in index order.
pub fn interfaces() -> io::Result<Vec<Interface>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills head with a list we free below.
    cvt(unsafe { libc::getifaddrs(&mut head) })?;
    let mut out: Vec<Interface> = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        // SAFETY: cur is a node of the list getifaddrs returned.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let name = unsafe { CStr::from_ptr(ifa.ifa_name) }
            .to_string_lossy()
            .into_owned();
        let addr = if ifa.ifa_addr.is_null() {
            None
        } else {
            // SAFETY: ifa_addr points to a sockaddr of the family it names.
            unsafe { sockaddr_to_ip(ifa.ifa_addr) }
        };
        let entry = match out.iter_mut().position(|i| i.name == name) {
            Some(p) => &mut out[p],
            None => {
                let index = name_to_index(&name).unwrap_or(0);
                out.push(Interface {
                    index,
                    name,
                    up: ifa.ifa_flags & libc::IFF_UP as u32 != 0,
                    multicast: ifa.ifa_flags & libc::IFF_MULTICAST as u32 != 0,
                    addrs: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        if let Some(a) = addr {
            entry.addrs.push(a);
        }
    }
    // SAFETY: head came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    out.retain(|i| i.index != 0);
    out.sort_by_key(|i| i.index);
    Ok(out)
}

/// # Safety
/// `sa` must point to a valid sockaddr of the family in its sa_family.
unsafe fn sockaddr_to_ip(sa: *const libc::sockaddr) -> Option<IpAddr> {
    match (*sa).sa_family as i32 {
        libc::AF_INET => {
            let sin = &*(sa as *const libc::sockaddr_in);
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 => {
            let sin6 = &*(sa as *const libc::sockaddr_in6);
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

/// The index of the interface called exactly `name`, if there is one.
///
/// if_nametoindex(3) alone is not enough: the kernel cuts an alias label
/// off (SIOCGIFINDEX of "lo:x" answers lo's index), so the index found must
/// carry `name` back.
pub fn name_to_index(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    // SAFETY: c is NUL-terminated.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0 && index_to_name(i).as_deref() == Some(name)).then_some(i)
}

/// if_indextoname(3).
pub fn index_to_name(index: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: buf has IF_NAMESIZE bytes as the call requires.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success buf holds a NUL-terminated name.
    Some(
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned(),
    )
}
