//! The C ABI: thin glue from `include/multicast.h` to the safe core.
//! One file per C type; `boundary` is the only place that knows how a call
//! crosses the border (pointer checks, error codes, panics).
// The pointer helpers of `boundary` read what C passes: that is the C
// contract of every export (documented in the header), not a Rust one.
#![allow(
    non_camel_case_types,
    clippy::missing_safety_doc,
    clippy::not_unsafe_ptr_arg_deref
)]

pub mod addr;
pub mod boundary;
pub mod error;
pub mod handles;
pub mod listener;
pub mod multicaster;
pub mod opts;
pub mod poller;
pub mod send;
pub mod timer;
pub mod types;
