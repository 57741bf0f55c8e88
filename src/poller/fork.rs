//! Fork handling: the default poller stands aside in a forked child, where
//! its epoll set is the parent's.

use super::state::Poller;
use crate::error::{Error, Kind, Result};
use crate::sys;

impl Poller {
    /// Makes this poller stand aside in a forked child: there it is the
    /// parent's (the process-wide default poller is made anew in a child), so
    /// it must not change the epoll set the two processes share.
    pub(crate) fn stand_aside_after_fork(&self) {
        sys::watch_forks();
        self.inner.fork_gen.set(Some(sys::fork_generation()));
    }

    /// True in a forked child for a poller that stands aside there.
    pub(super) fn inherited(&self) -> bool {
        self.inner
            .fork_gen
            .get()
            .is_some_and(|g| g != sys::fork_generation())
    }

    pub(super) fn check_not_inherited(&self) -> Result<()> {
        if self.inherited() {
            return Err(Error::new(
                Kind::Closed,
                "this default poller belongs to the parent process (after fork(), the child has a new default poller)",
            ));
        }
        Ok(())
    }
}
