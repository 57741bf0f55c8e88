//! The raw system calls that socket2 does not cover, one file per concern:
//! epoll, eventfd, timerfd, fork detection, interface enumeration, rtnetlink, socket options (joins, pktinfo),
//! batched receive and send. Every `unsafe` block of the core lives here,
//! each with its SAFETY line.
//!
//! A leaf: nothing here imports from the rest of the crate; calls take and
//! return plain values (fds, sizes, raw control-message bytes).

use std::io;

mod epoll;
mod eventfd;
mod fork;
mod ifaces;
pub mod netlink;
mod recv;
mod send;
mod sockopt;
mod timerfd;

pub use epoll::{Epoll, EventBuf};
pub use eventfd::{eventfd_signal, wait_for, wait_readable, wait_readable_for, EventFd};
pub use fork::{fork_generation, watch_forks};
pub use ifaces::{index_to_name, interfaces, name_to_index, Interface};
pub use recv::{RawAddr, Received, RecvBatch};
pub use send::{
    gso_supported, interface_mtu, send_batch, send_runs, socket_drops, wait_writable, GsoBuf,
    MAX_SEGMENTS, SEND_BATCH,
};
pub use sockopt::{
    block_source, enable_recv, join_group, join_source_group, leave_group, leave_source_group,
    set_int, set_multicast_if_v4_index, set_tos, unblock_source, RecvInfo, UDP_GRO, UDP_SEGMENT,
};
pub use timerfd::TimerFd;

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}
