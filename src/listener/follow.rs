//! Following the system's interfaces: memberships on a deleted interface
//! are dropped, and the pairs are joined again where the interface choice
//! names an interface that has none (a re-created or new one); the
//! program's interface function is told of both.

use super::membership::{Member, Pair};
use super::state::{wanted, ListenerInner, Want};
use super::stats::add;
use crate::netlink::Event;
use crate::poller::Poller;
use crate::sys;

impl ListenerInner {
    pub(super) fn tell(&self, ifindex: u32, name: &str, joined: bool) {
        if let Some(mut f) = self.iface_fn.take() {
            f(ifindex, name, joined);
            if !self.life.is_closed() && self.iface_fn_is_empty() {
                self.iface_fn.set(Some(f));
            }
        }
    }

    pub(super) fn iface_fn_is_empty(&self) -> bool {
        let f = self.iface_fn.take();
        let empty = f.is_none();
        self.iface_fn.set(f);
        empty
    }

    /// Follows the system's interfaces: memberships on deleted interfaces
    /// are dropped (by their old index: the kernel keeps a stale per-socket
    /// entry otherwise), and the pairs are joined again where the
    /// interface choice names an interface that has none.
    pub(super) fn resync(&self, poller: &Poller, events: &[Event], now: &[sys::Interface]) {
        let name_of = |ix: u32| {
            now.iter()
                .find(|i| i.index == ix)
                .map(|i| i.name.clone())
                .or_else(|| {
                    events.iter().find_map(|e| match e {
                        Event::LinkGone { index, name } if *index == ix => name.clone(),
                        _ => None,
                    })
                })
                .unwrap_or_default()
        };
        let deleted: Vec<u32> = events
            .iter()
            .filter_map(|e| match e {
                Event::LinkGone { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        // 1. Memberships on interfaces that are gone (or were re-created).
        let lost: Vec<Member> = self
            .socks
            .borrow()
            .iter()
            .flat_map(|s| s.members.iter().copied())
            .filter(|m| {
                m.ifindex != 0
                    && (deleted.contains(&m.ifindex) || !now.iter().any(|i| i.index == m.ifindex))
            })
            .collect();
        let mut lost_on: Vec<u32> = Vec::new();
        for m in &lost {
            self.forget(poller, m, true);
            if !lost_on.contains(&m.ifindex) {
                lost_on.push(m.ifindex);
            }
        }
        add(&self.counts.leaves, lost.len() as u64);
        for ix in lost_on {
            self.tell(ix, &name_of(ix), false);
            if self.life.is_closed() {
                return;
            }
        }
        // 2. Pairs not joined where the interface choice says they should be.
        let pairs: Vec<Pair> = self.pairs.borrow().clone();
        let mut gained: Vec<u32> = Vec::new();
        for pair in pairs {
            let have: Vec<u32> = self
                .socks
                .borrow()
                .iter()
                .flat_map(|s| s.members.iter())
                .filter(|m| m.pair == pair)
                .map(|m| m.ifindex)
                .collect();
            if self.want == Want::Default && !have.is_empty() {
                continue; // the kernel's choice still stands
            }
            for ix in wanted(&self.want, pair.group, now) {
                if ix == 0 || have.contains(&ix) {
                    continue;
                }
                let what = format!("re-join {} on {}", pair.group, name_of(ix));
                if self.join_pair(poller, pair, &[ix], &what).is_ok() && !gained.contains(&ix) {
                    gained.push(ix);
                }
            }
        }
        for ix in gained {
            self.tell(ix, &name_of(ix), true);
            if self.life.is_closed() {
                return;
            }
        }
    }
}
