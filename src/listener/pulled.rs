//! A datagram held by the library in pull mode, and the queue's limit.

use crate::packet::Packet;

/// Packets queued in pull mode before new ones are dropped (and counted).
pub const QUEUE_LIMIT: usize = 4096;

/// A packet held by the library in pull mode: its bytes, and its other
/// fields as they were delivered.
#[derive(Debug, Default)]
pub struct Pulled {
    pub(super) buf: Vec<u8>,
    pub(super) meta: Option<Packet<'static>>,
}

impl Pulled {
    /// The packet, borrowed.
    pub fn packet(&self) -> Packet<'_> {
        let meta = self.meta.expect("set when queued");
        let mut p = Packet::new(&self.buf, meta.size, meta.from, meta.group);
        p.ifindex = meta.ifindex;
        p.timestamp_ns = meta.timestamp_ns;
        p.ttl = meta.ttl;
        p
    }
}
