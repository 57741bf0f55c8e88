//! Noticing fork(): a counter the child side of pthread_atfork bumps, so
//! that process-wide state (the default poller) can tell it was inherited.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static WATCH: Once = Once::new();

extern "C" fn in_child() {
    // Async-signal-safe: one atomic add, no allocation, no lock.
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Starts counting forks (once per process; later calls do nothing).
pub fn watch_forks() {
    WATCH.call_once(|| {
        // SAFETY: registers a plain extern "C" function that only touches an
        // atomic; pthread_atfork keeps the pointer for the process's life.
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
}

/// How many forks separate this process from the one that first called
/// [`watch_forks`] (0 there; 1 in its child, and so on).
pub fn fork_generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}
