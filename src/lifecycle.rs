//! The life of a library object that its poller owns (a listener, a
//! multicaster): open, then closed for good. Closing happens once, however
//! it comes (the program, a callback's answer, the poller's end); every
//! later call is refused with [`Kind::Closed`](crate::Kind::Closed). A C
//! handle to the object reads this state (`ffi/handles.rs`): a handle is
//! invalid from the moment its object is closed.

use std::cell::Cell;

use crate::error::{Error, Result};

/// Open or closed, and the object's name for messages.
#[derive(Debug)]
pub struct Lifecycle {
    closed: Cell<bool>,
    noun: &'static str,
    closed_by: &'static str,
}

impl Lifecycle {
    /// An open object, called `noun` in messages ("listener"); `closed_by` says what
    /// can close it ("by the program or with its poller").
    pub fn new(noun: &'static str, closed_by: &'static str) -> Lifecycle {
        Lifecycle {
            closed: Cell::new(false),
            noun,
            closed_by,
        }
    }

    /// True once closed.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// `Ok` while open; the closed error afterwards.
    #[inline]
    pub fn check_open(&self) -> Result<()> {
        if self.closed.get() {
            return Err(Error::closed(format!(
                "the {} is closed ({})",
                self.noun, self.closed_by
            )));
        }
        Ok(())
    }

    /// Marks it closed. True the first time: the caller then lets go of
    /// what the object holds; false if it was closed already.
    pub fn close(&self) -> bool {
        !self.closed.replace(true)
    }
}
