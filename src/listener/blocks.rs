//! Blocked sources of any-source groups (MCAST_BLOCK_SOURCE): a block is set
//! on every membership of its group (each interface, each socket the group
//! is spread over) or on none, kept in the listener's list, and set again on
//! each re-join (`reblock`, called where a membership is placed). Dropping
//! the group forgets its blocks; leaving a membership clears the kernel's
//! list of it.

use std::net::IpAddr;
use std::os::fd::RawFd;

use super::membership::{limit_hint, Member, Pair};
use super::state::ListenerInner;
use crate::error::{Error, Kind, Result};
use crate::sys;

impl ListenerInner {
    /// Blocks `source` of the any-source group `group` on all its memberships.
    pub fn block_source(&self, group: &str, source: &str) -> Result<()> {
        let (g, s, what) = self.blockable("block", group, source)?;
        if self.blocked.borrow().contains(&(g, s)) {
            return Err(Error::new(Kind::Exists, format!("{what}: already blocked")));
        }
        block_all(&self.any_source_members(g), &[s])?;
        self.blocked.borrow_mut().push((g, s));
        Ok(())
    }

    /// Takes `source` off the blocks of `group`: its datagrams come again.
    pub fn unblock_source(&self, group: &str, source: &str) -> Result<()> {
        let (g, s, what) = self.blockable("unblock", group, source)?;
        if !self.blocked.borrow().contains(&(g, s)) {
            return Err(Error::new(Kind::NotFound, format!("{what}: not blocked")));
        }
        self.blocked.borrow_mut().retain(|b| *b != (g, s));
        let mut first = None;
        for (fd, m) in self.any_source_members(g) {
            match sys::unblock_source(fd, g, s, m.ifindex) {
                // Not on that membership's list, or its device is gone.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EADDRNOTAVAIL | libc::ENODEV)) => {}
                Err(e) => {
                    first.get_or_insert_with(|| Error::os(label("unblock", &m, s), e));
                }
                Ok(()) => {}
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Sets the blocked sources of `m`'s group on `m`, just joined on `fd`:
    /// all or none.
    pub(super) fn reblock(&self, fd: RawFd, m: &Member) -> Result<()> {
        if m.pair.source.is_some() {
            return Ok(());
        }
        let sources: Vec<IpAddr> = self
            .blocked
            .borrow()
            .iter()
            .filter(|b| b.0 == m.pair.group)
            .map(|b| b.1)
            .collect();
        block_all(&[(fd, *m)], &sources)
    }

    /// Forgets the blocks of `group` (dropped).
    pub(super) fn forget_blocks(&self, group: IpAddr) {
        self.blocked.borrow_mut().retain(|b| b.0 != group);
    }

    /// (group, source, "VERB source S of group G") if the listener holds
    /// `group` any-source: else MC_EINVAL (held source-specific) or
    /// MC_ENOTFOUND; MC_EADDRESS for bad strings.
    fn blockable(&self, verb: &str, group: &str, source: &str) -> Result<(IpAddr, IpAddr, String)> {
        self.life.check_open()?;
        let pair = self.parse_pair(group, Some(source))?;
        let g = pair.group;
        let Some(s) = pair.source else {
            return Err(Error::address(format!(
                "{verb} source \"{source}\": no source"
            )));
        };
        let what = format!("{verb} source {s} of group {g}");
        let pairs = self.pairs.borrow();
        if pairs.contains(&Pair {
            group: g,
            source: None,
        }) {
            return Ok((g, s, what));
        }
        if pairs.iter().any(|p| p.group == g) {
            return Err(Error::invalid(format!(
                "{what}: the listener holds {g} source-specific; only an any-source group has sources to block"
            )));
        }
        Err(Error::new(
            Kind::NotFound,
            format!("{what}: the listener does not hold group {g}"),
        ))
    }

    /// The any-source memberships of `group`, with their sockets' fds.
    fn any_source_members(&self, group: IpAddr) -> Vec<(RawFd, Member)> {
        let pair = Pair {
            group,
            source: None,
        };
        self.socks
            .borrow()
            .iter()
            .flat_map(|s| s.members.iter().map(move |m| (s.fd, *m)))
            .filter(|(_, m)| m.pair == pair)
            .collect()
    }
}

/// Blocks each of `sources` on each membership, all or nothing (what was
/// set is taken off again on a failure). A membership whose device is gone
/// (ENODEV: left at the next resync) is passed over.
fn block_all(members: &[(RawFd, Member)], sources: &[IpAddr]) -> Result<()> {
    let mut done: Vec<(RawFd, &Member, IpAddr)> = Vec::new();
    for (fd, m) in members {
        for &s in sources {
            match sys::block_source(*fd, m.pair.group, s, m.ifindex) {
                Ok(()) => done.push((*fd, m, s)),
                Err(e) if e.raw_os_error() == Some(libc::ENODEV) => {}
                Err(e) => {
                    for (fd, m, s) in done {
                        let _ = sys::unblock_source(fd, m.pair.group, s, m.ifindex);
                    }
                    return Err(block_error(m, s, e));
                }
            }
        }
    }
    Ok(())
}

/// "block source 10.0.0.1 of 239.1.2.3 on interface lo (1)".
fn label(verb: &str, m: &Member, source: IpAddr) -> String {
    let on = crate::socket::iface_label(m.ifindex);
    format!("{verb} source {source} of {} on {on}", m.pair.group)
}

/// The OS's refusal; ENOBUFS is the limit of sources per group and socket,
/// named with its value.
fn block_error(m: &Member, source: IpAddr, e: std::io::Error) -> Error {
    let err = Error::os(label("block", m, source), e);
    if err.errno() != Some(libc::ENOBUFS) {
        return err;
    }
    let name = if m.pair.group.is_ipv4() {
        "net.ipv4.igmp_max_msf"
    } else {
        "net.ipv6.mld_max_msf"
    };
    Error::new(
        err.kind(),
        format!(
            "{}: the kernel refuses: {}",
            err.message(),
            limit_hint(name, "sources per group and socket", "block fewer")
        ),
    )
}
