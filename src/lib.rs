//! libmulticast: asynchronous multicast UDP for Linux.
//!
//! The core (this crate's public Rust API) is safe Rust: a [`Poller`] over
//! epoll, [`Listener`]s that join a group and deliver packets, and
//! [`Multicaster`]s and [`send`] functions that send. The C ABI in `ffi`
//! is a thin layer over it; `include/multicast.h` is generated from it.
#![deny(missing_docs)]

pub mod addr;
pub mod cmsg;
pub mod error;
pub mod filter;
pub mod gso;
pub mod lifecycle;
pub mod listener;
pub mod multicaster;
pub mod netlink;
pub mod opts;
pub mod packet;
pub mod poller;
pub mod send;
pub mod socket;
pub mod sys;
pub mod timer;

#[doc(hidden)]
pub mod ffi;
#[doc(hidden)]
pub mod fuzzing;

pub use error::{Error, Kind, Result};
pub use listener::{Listener, Stats};
pub use multicaster::{Multicaster, Next, PacketSource};
pub use opts::Options;
pub use packet::Packet;
pub use poller::Poller;
pub use timer::Timer;
