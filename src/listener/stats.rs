//! A listener's counters: bumped in place by the receive loop, read whole
//! by `ListenerInner::stats`.

use std::cell::Cell;

/// Counters of a listener.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams read from the socket.
    pub received: u64,
    /// Handed to the handler or queued for `next`.
    pub delivered: u64,
    /// Rejected by the filter.
    pub filtered: u64,
    /// Longer than the mtu.
    pub truncated: u64,
    /// Dropped by the kernel for want of buffer space.
    pub kernel_drops: u64,
    /// Pull mode: dropped because the queue was full.
    pub queue_drops: u64,
    /// GRO runs read (their datagrams count one by one in `received`).
    pub coalesced: u64,
    /// Memberships made since creation, re-joins included.
    pub joins: u64,
    /// Memberships lost or dropped.
    pub leaves: u64,
    /// UDP sockets held now.
    pub sockets: u64,
}

/// The counters a listener keeps, each in its own cell: the receive loop
/// bumps them in place (a callback may read them at any time), with no copy
/// of the whole set around each callback.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) received: Cell<u64>,
    pub(super) delivered: Cell<u64>,
    pub(super) filtered: Cell<u64>,
    pub(super) truncated: Cell<u64>,
    pub(super) queue_drops: Cell<u64>,
    pub(super) coalesced: Cell<u64>,
    pub(super) joins: Cell<u64>,
    pub(super) leaves: Cell<u64>,
}

pub(super) fn add(c: &Cell<u64>, n: u64) {
    c.set(c.get() + n);
}
