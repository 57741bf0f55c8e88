//! A listener's (group, source) pairs: joining each on the interfaces its
//! choice names (all or nothing), spreading memberships over sockets past
//! the kernel's per-socket limits (`membership.rs`), and leaving them.

use std::cell::Cell;
use std::os::fd::AsRawFd;
use std::rc::Rc;

use super::membership::{self, Member, Pair, Sock};
use super::state::{wanted, ListenerInner, Want};
use super::stats::add;
use crate::error::{Error, Kind, Result};
use crate::poller::{self, Handler, Poller, Source};
use crate::sys::{self, RecvInfo};

impl ListenerInner {
    /// A new wildcard socket for more memberships, registered on `poller`.
    pub(super) fn open_extra(&self, poller: &Poller, what: &str) -> Result<Sock> {
        let bind = membership::wildcard(self.spec.v6, self.port);
        let (socket, _, _) = membership::open(&self.spec, bind, true, what)?;
        let fd = socket.as_raw_fd();
        let me: Rc<dyn Source> = self.rc()?;
        let token = poller.add(fd, poller::READ, Handler::Object(me))?;
        Ok(Sock {
            socket,
            fd,
            token,
            bound: None,
            pktinfo: true,
            members: Vec::new(),
            ovfl: Cell::new(0),
        })
    }

    /// Joins `pair` on each of `ifaces`; all or nothing.
    pub(super) fn join_pair(
        &self,
        poller: &Poller,
        pair: Pair,
        ifaces: &[u32],
        what: &str,
    ) -> Result<()> {
        let mut done: Vec<Member> = Vec::new();
        for &ifindex in ifaces {
            let m = Member { pair, ifindex };
            let r = {
                let mut socks = self.socks.borrow_mut();
                membership::place(&mut socks, &m, || self.open_extra(poller, what))
            };
            // The group's blocked sources go with each membership (a re-join).
            let r = r.and_then(|placed| {
                let fd = self.socks.borrow()[placed.sock].fd;
                self.reblock(fd, &m)
                    .inspect_err(|_| self.forget(poller, &m, true))
                    .map(|_| placed)
            });
            match r {
                Ok(placed) => {
                    done.push(m);
                    if !placed.new {
                        self.need_pktinfo(placed.sock);
                    }
                }
                Err(e) => {
                    for m in &done {
                        self.forget(poller, m, true);
                    }
                    return Err(Error::new(e.kind(), format!("{what}: {}", e.message())));
                }
            }
        }
        add(&self.counts.joins, done.len() as u64);
        self.members_gen.set(self.members_gen.get() + 1);
        Ok(())
    }

    /// A socket that gained a second membership (or one on the kernel's
    /// choice) needs pktinfo to tell them apart.
    pub(super) fn need_pktinfo(&self, i: usize) {
        let mut socks = self.socks.borrow_mut();
        let s = &mut socks[i];
        if !s.pktinfo && (s.members.len() > 1 || s.members.iter().any(|m| m.ifindex == 0)) {
            let info = RecvInfo {
                pktinfo: true,
                ..Default::default()
            };
            if sys::enable_recv(s.fd, self.spec.v6, info).is_ok() {
                s.pktinfo = true;
            }
        }
    }

    /// Leaves membership `m` (if `leave`: the kernel is told; a deleted
    /// device's entry goes too) and closes an extra socket left empty.
    pub(super) fn forget(&self, poller: &Poller, m: &Member, leave: bool) {
        let mut socks = self.socks.borrow_mut();
        let Some(i) = socks.iter().position(|s| s.members.contains(m)) else {
            return;
        };
        if leave {
            let _ = membership::leave(socks[i].fd, m);
        }
        socks[i].members.retain(|x| x != m);
        if i > 0 && socks[i].members.is_empty() {
            let s = socks.remove(i);
            let d = s.ovfl.get().max(sys::socket_drops(s.fd).unwrap_or(0));
            self.old_drops.set(self.old_drops.get() + d as u64);
            poller.remove(s.token);
            drop(s); // closing it here is safe: a read checks its fd is still ours
        }
        self.members_gen.set(self.members_gen.get() + 1);
    }

    pub(super) fn parse_pair(&self, group: &str, source: Option<&str>) -> Result<Pair> {
        let g = crate::addr::parse_group(group)?;
        let src = source.map(crate::addr::parse_source).transpose()?;
        if g.is_ipv6() != self.spec.v6 {
            return Err(Error::address(format!(
                "group {g} is of the other family than the listener's {}",
                self.group
            )));
        }
        if let Some(s) = src {
            if s.is_ipv6() != self.spec.v6 {
                return Err(Error::address(format!(
                    "source {s} is of the other family than group {g}"
                )));
            }
        }
        Ok(Pair {
            group: g,
            source: src,
        })
    }

    /// Joins one more (group, source) pair on the listener's interfaces.
    pub fn add_group(&self, group: &str, source: Option<&str>) -> Result<()> {
        self.life.check_open()?;
        let pair = self.parse_pair(group, source)?;
        let what = match pair.source {
            Some(s) => format!("add group {} from {s} (port {})", pair.group, self.port),
            None => format!("add group {} (port {})", pair.group, self.port),
        };
        {
            let pairs = self.pairs.borrow();
            if pairs.contains(&pair) {
                return Err(Error::new(Kind::Exists, format!("{what}: already joined")));
            }
            if pairs
                .iter()
                .any(|p| p.group == pair.group && p.source.is_some() != pair.source.is_some())
            {
                return Err(Error::invalid(format!(
                    "{what}: the listener holds {} {}; one group cannot be both any-source and source-specific",
                    pair.group,
                    if pair.source.is_some() { "any-source" } else { "source-specific" }
                )));
            }
        }
        if crate::addr::needs_scope(pair.group) && self.want == Want::Default {
            return Err(Error::address(format!(
                "{what}: group {} has link-local scope and needs an interface",
                pair.group
            )));
        }
        let poller = self.poller()?;
        let now = sys::interfaces().unwrap_or_default();
        let mut ifaces = wanted(&self.want, pair.group, &now);
        if let Want::Named(_, i) = self.want {
            // Joined by index while the interface exists under that index.
            if ifaces.is_empty() && self.joined_on(i) {
                ifaces.push(i);
            }
        }
        if ifaces.is_empty() {
            return Err(Error::new(
                Kind::Os(libc::ENODEV),
                format!("{what}: the listener's interface is not there now"),
            ));
        }
        self.join_pair(&poller, pair, &ifaces, &what)?;
        self.pairs.borrow_mut().push(pair);
        Ok(())
    }

    pub(super) fn joined_on(&self, ifindex: u32) -> bool {
        self.socks
            .borrow()
            .iter()
            .any(|s| s.members.iter().any(|m| m.ifindex == ifindex))
    }

    /// Leaves a (group, source) pair at once.
    pub fn drop_group(&self, group: &str, source: Option<&str>) -> Result<()> {
        self.life.check_open()?;
        let pair = self.parse_pair(group, source)?;
        if !self.pairs.borrow().contains(&pair) {
            return Err(Error::new(
                Kind::NotFound,
                format!(
                    "drop group {}{}: not joined by this listener",
                    pair.group,
                    pair.source
                        .map(|s| format!(" from {s}"))
                        .unwrap_or_default()
                ),
            ));
        }
        let poller = self.poller()?;
        let members: Vec<Member> = self
            .socks
            .borrow()
            .iter()
            .flat_map(|s| s.members.iter().copied())
            .filter(|m| m.pair == pair)
            .collect();
        for m in &members {
            self.forget(&poller, m, true);
        }
        add(&self.counts.leaves, members.len() as u64);
        self.pairs.borrow_mut().retain(|p| *p != pair);
        if pair.source.is_none() {
            self.forget_blocks(pair.group);
        }
        Ok(())
    }
}
