//! The raw system calls that socket2 does not cover, one file per concern:
//! epoll, eventfd, fork detection, interface enumeration, rtnetlink, socket options (joins, pktinfo),
//! batched receive and send. Every `unsafe` block of the core lives here,
//! each with its SAFETY line.

use std::io;

mod epoll;
mod eventfd;
mod fork;
mod ifaces;
pub mod netlink;
mod recv;
mod send;
mod sockopt;

pub use epoll::*;
pub use eventfd::*;
pub use fork::*;
pub use ifaces::*;
pub use recv::*;
pub use send::*;
pub use sockopt::*;

fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}
