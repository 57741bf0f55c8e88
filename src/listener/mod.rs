//! The Listener: one or more (group, source) pairs on one port and
//! interface choice, joined on as many sockets as the kernel's per-socket
//! limits need, all read on one poller into its shared buffers, following
//! the system's interfaces.
//!
//! - `state.rs`: the object, its construction and its lifecycle;
//! - `membership.rs`: its sockets and the memberships each holds;
//! - `groups.rs`: adding and dropping (group, source) pairs;
//! - `blocks.rs`: blocked sources of any-source groups;
//! - `recv.rs`: the receive loop (read, GRO split, filter, deliver);
//! - `pull.rs`, `pulled.rs`: the pull queue (`next`) and its packets;
//! - `follow.rs`: following interfaces as they come and go;
//! - `stats.rs`: its counters.

mod blocks;
mod follow;
mod groups;
pub mod membership;
mod pull;
mod pulled;
mod recv;
mod state;
mod stats;

pub use crate::packet::Packet;
pub use pulled::{Pulled, QUEUE_LIMIT};
pub use state::{IfaceFn, Listener, ListenerInner, PacketFn};
pub use stats::Stats;
