//! The receive loop: a readable socket's datagrams are read in batches
//! into the poller's shared buffers, GRO runs are split at their segment
//! size, and each datagram goes through the filter to the handler (or the
//! pull queue) as a [`Packet`] built straight from its receive slot.

use std::os::fd::RawFd;

use super::state::{ListenerInner, PacketFn};
use super::stats::add;
use crate::cmsg;
use crate::filter::Filter;
use crate::packet::{Packet, RawAddr};
use crate::poller::Poller;
use crate::sys::RecvBatch;

/// Datagrams (slots) one wakeup reads from a socket at most before other
/// registrations get a turn: 16 batches of 64, or 64 batches of 16 with GRO.
const READ_PER_WAKEUP: usize = 1024;

/// The largest datagram (or GRO run): a GRO socket reads whole runs.
const GRO_SLOT: usize = 65535;

/// The datagrams of a read of `size` bytes, as (offset, size): a GRO run
/// (`gro_segment` below `size`) is cut at its segment size, the last
/// segment possibly shorter; anything else, a zero-length datagram too, is
/// one datagram.
pub(super) fn segments(size: usize, gro_segment: Option<u16>) -> Segments {
    let seg = match gro_segment {
        Some(s) if s > 0 && (s as usize) < size => s as usize,
        _ => size.max(1),
    };
    Segments {
        off: 0,
        size,
        seg,
        first: true,
    }
}

/// The iterator of [`segments`].
pub(super) struct Segments {
    off: usize,
    size: usize,
    seg: usize,
    first: bool,
}

impl Segments {
    /// True if the read was a GRO run of more than one datagram.
    pub(super) fn coalesced(&self) -> bool {
        self.seg < self.size
    }
}

impl Iterator for Segments {
    type Item = (usize, usize);

    #[inline]
    fn next(&mut self) -> Option<(usize, usize)> {
        if self.off >= self.size {
            let zero = self.first && self.size == 0;
            self.first = false;
            return zero.then_some((0, 0));
        }
        self.first = false;
        let at = self.off;
        let n = self.seg.min(self.size - at);
        self.off += n;
        Some((at, n))
    }
}

impl ListenerInner {
    /// Whose datagram (read from `fd`, from `from`, with control messages
    /// `info`) is: its group and interface. None for one not asked for, or
    /// if `fd` is no longer ours.
    fn whose(&self, fd: RawFd, info: &cmsg::Info, from: &RawAddr) -> Option<(RawAddr, u32)> {
        let socks = self.socks.borrow();
        let s = socks.iter().find(|s| s.fd == fd)?;
        let (g, ix) = s.whose(info, from)?;
        Some((crate::addr::group_addr(g, self.port, ix).into(), ix))
    }

    /// For a socket that needs no per-datagram check (bound to its group,
    /// one membership, no pktinfo): its group address and interface, the
    /// same for every datagram it reads.
    fn same_for_all(&self, fd: RawFd) -> Option<(RawAddr, u32)> {
        let socks = self.socks.borrow();
        let s = socks.iter().find(|s| s.fd == fd)?;
        if s.pktinfo || s.members.len() != 1 {
            return None;
        }
        let m = s.members[0];
        let group = crate::addr::group_addr(m.pair.group, self.port, m.ifindex);
        Some((group.into(), m.ifindex))
    }

    fn note_drops(&self, fd: RawFd, d: u32) {
        if let Some(s) = self.socks.borrow().iter().find(|s| s.fd == fd) {
            s.ovfl.set(s.ovfl.get().max(d));
        }
    }

    fn has_fd(&self, fd: RawFd) -> bool {
        self.socks.borrow().iter().any(|s| s.fd == fd)
    }

    /// Reads what socket `fd` holds (up to READ_PER_WAKEUP datagrams) and
    /// delivers it. The handler and filter are taken out for the read (a
    /// callback may replace them or close the listener).
    pub(super) fn drain(&self, poller: &Poller, fd: RawFd) {
        let mut handler = self.handler.take();
        let mut filter = Held {
            filter: self.filter.take(),
            generation: self.filter_gen.get(),
        };
        let slot = if self.gro { GRO_SLOT } else { self.mtu };
        let mut batch = poller.take_batch(slot);
        self.read(&mut batch, fd, slot, &mut handler, &mut filter);
        poller.return_batch(batch);
        if self.filter_gen.get() == filter.generation {
            self.filter.set(filter.filter);
        }
        if !self.life.is_closed() {
            self.handler.set(handler);
        }
    }

    fn read(
        &self,
        batch: &mut RecvBatch,
        fd: RawFd,
        slot: usize,
        handler: &mut Option<PacketFn>,
        filter: &mut Held,
    ) {
        let c = &self.counts;
        let rounds = (READ_PER_WAKEUP / batch.slots()).max(1);
        let gen0 = self.members_gen.get();
        let mut gen = gen0;
        let mut fast = self.same_for_all(fd);
        for _round in 0..rounds {
            // A socket goes only with a membership change (or the close).
            if self.life.is_closed() || (self.members_gen.get() != gen0 && !self.has_fd(fd)) {
                return;
            }
            let Ok(n) = batch.recv(fd, slot, batch.slots()) else {
                return;
            };
            let mut drops = None;
            for i in 0..n {
                let r = batch.get(i);
                if let (Some((group, ifindex)), true) = (fast, r.control.is_empty()) {
                    if self.members_gen.get() == gen {
                        // The common case: one datagram, nothing from the kernel
                        // beside it, on a socket that needs no check per datagram.
                        let at = Arrival {
                            from: r.from,
                            group,
                            ifindex,
                            info: &cmsg::Info::NONE,
                        };
                        if !self.hand_over(r.data, 0, r.size, &at, handler, filter) {
                            return; // closed
                        }
                        continue;
                    }
                }
                let parsed;
                let info = if r.control.is_empty() {
                    &cmsg::Info::NONE // the common case: the kernel had nothing to tell
                } else {
                    parsed = cmsg::parse(r.control);
                    &parsed
                };
                if info.drops.is_some() {
                    drops = info.drops;
                }
                if self.members_gen.get() != gen {
                    // A callback changed the memberships: look again.
                    gen = self.members_gen.get();
                    fast = self.same_for_all(fd);
                }
                let Some((group, ifindex)) = fast.or_else(|| self.whose(fd, info, &r.from)) else {
                    continue;
                };
                let parts = segments(r.size, info.gro_segment);
                if parts.coalesced() {
                    add(&c.coalesced, 1);
                }
                let at = Arrival {
                    from: r.from,
                    group,
                    ifindex,
                    info,
                };
                for (off, size) in parts {
                    if !self.hand_over(r.data, off, size, &at, handler, filter) {
                        return; // closed
                    }
                    // A callback dropped a group: the rest of a run of it is not ours.
                    if self.members_gen.get() != gen && self.whose(fd, info, &r.from).is_none() {
                        break;
                    }
                }
            }
            if let Some(d) = drops {
                self.note_drops(fd, d);
            }
            if n < batch.slots() {
                return;
            }
        }
    }

    /// Builds the packet of the `size`-byte datagram at `off` of `data` (cut
    /// at the mtu: truncated if longer), counts it, and delivers it. False
    /// once the listener is closed.
    #[inline(always)]
    fn hand_over(
        &self,
        data: &[u8],
        off: usize,
        size: usize,
        at: &Arrival<'_>,
        handler: &mut Option<PacketFn>,
        filter: &mut Held,
    ) -> bool {
        let end = (off + size.min(self.mtu)).min(data.len());
        let start = off.min(end);
        let mut packet = Packet::new(&data[start..end], size, at.from, at.group);
        packet.ifindex = at.ifindex;
        packet.timestamp_ns = at.info.timestamp_ns;
        packet.ttl = at.info.ttl;
        add(&self.counts.received, 1);
        if size > end - start {
            add(&self.counts.truncated, 1);
        }
        self.deliver(&packet, handler, filter)
    }

    /// Filters and hands over one datagram. False once the listener is
    /// closed (by the handler's answer or by a callback).
    #[inline]
    fn deliver(&self, packet: &Packet<'_>, handler: &mut Option<PacketFn>, f: &mut Held) -> bool {
        let c = &self.counts;
        if self.filter_gen.get() != f.generation {
            f.filter = self.filter.take();
            f.generation = self.filter_gen.get();
        }
        if let Some(filter) = f.filter.as_mut() {
            let ok = filter.accepts(packet);
            if self.life.is_closed() {
                return false;
            }
            if !ok {
                add(&c.filtered, 1);
                return true;
            }
        }
        match handler.as_mut() {
            Some(h) => {
                add(&c.delivered, 1);
                if h(packet) {
                    self.close();
                }
                !self.life.is_closed()
            }
            None => {
                self.enqueue(packet);
                true
            }
        }
    }
}

/// What every datagram of one read shares: sender, group, interface and
/// control messages.
struct Arrival<'a> {
    from: RawAddr,
    group: RawAddr,
    ifindex: u32,
    info: &'a cmsg::Info,
}

/// The filter as the receive loop holds it, and the generation it was
/// taken at (a callback that sets another bumps the listener's).
struct Held {
    filter: Option<Filter>,
    generation: u64,
}

#[cfg(test)]
mod tests {
    use super::segments;

    fn cut(size: usize, gro: Option<u16>) -> Vec<(usize, usize)> {
        segments(size, gro).collect()
    }

    #[test]
    fn gro_runs_split_at_their_segment_size() {
        assert_eq!(
            cut(3000, Some(1400)),
            [(0, 1400), (1400, 1400), (2800, 200)]
        );
        assert_eq!(cut(2800, Some(1400)), [(0, 1400), (1400, 1400)]);
        assert!(segments(2800, Some(1400)).coalesced());
    }

    #[test]
    fn anything_else_is_one_datagram() {
        assert_eq!(cut(64, None), [(0, 64)]);
        assert_eq!(cut(1400, Some(1400)), [(0, 1400)]); // a segment as large as the read
        assert_eq!(cut(100, Some(1400)), [(0, 100)]);
        assert_eq!(cut(0, None), [(0, 0)]); // a zero-length datagram is delivered
        assert_eq!(cut(0, Some(0)), [(0, 0)]);
        assert!(!segments(64, None).coalesced());
    }
}
