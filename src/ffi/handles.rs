//! C handles of listeners and multicasters: keys into one process-wide
//! table, never the objects' addresses.
//!
//! A handle is `(generation << 32) | (slot + 1)`, cast to the opaque pointer
//! type. The slot holds the object's address while it is open; closing the
//! object (however it happens: the program, a handler's answer,
//! `MC_NEXT_DONE`, `mc_poller_free`) empties the slot and bumps its
//! generation, so every later use of the handle finds nothing: close is a
//! no-op and every other call is `MC_ECLOSED`. A slot is reused with a new
//! generation, so a stale handle never reaches a newer object, and one whose
//! generation would wrap is retired for good. 100,000 create/close cycles
//! reuse the same few slots: the table does not grow.

use std::sync::Mutex;

use crate::error::{Error, Result};

/// What a handle names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HandleKind {
    /// An `mc_listener`.
    Listener,
    /// An `mc_multicaster`.
    Multicaster,
}

impl HandleKind {
    fn name(self) -> &'static str {
        match self {
            HandleKind::Listener => "listener",
            HandleKind::Multicaster => "multicaster",
        }
    }
}

struct Slot {
    generation: u32,
    /// The object's address and kind while it is open.
    open: Option<(usize, HandleKind)>,
}

struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    slots: Vec::new(),
    free: Vec::new(),
});

fn table() -> std::sync::MutexGuard<'static, Table> {
    // The table is consistent after every statement: a panic elsewhere
    // while it was held leaves nothing half-done.
    TABLE.lock().unwrap_or_else(|p| p.into_inner())
}

fn decode(handle: usize) -> (usize, u32) {
    let h = handle as u64;
    ((h as u32 as usize).wrapping_sub(1), (h >> 32) as u32)
}

/// A new handle for the object at `addr`.
pub fn insert(kind: HandleKind, addr: usize) -> usize {
    let mut t = table();
    let index = match t.free.pop() {
        Some(i) => i as usize,
        None => {
            t.slots.push(Slot {
                generation: 1,
                open: None,
            });
            t.slots.len() - 1
        }
    };
    let slot = &mut t.slots[index];
    slot.open = Some((addr, kind));
    (((slot.generation as u64) << 32) | (index as u64 + 1)) as usize
}

/// Empties the slot of `handle` (its object was closed). Idempotent.
pub fn retire(handle: usize) {
    let (index, generation) = decode(handle);
    let mut t = table();
    let Some(slot) = t.slots.get_mut(index) else {
        return;
    };
    if slot.generation != generation || slot.open.is_none() {
        return;
    }
    slot.open = None;
    if let Some(g) = slot.generation.checked_add(1) {
        slot.generation = g;
        t.free.push(index as u32);
    }
}

/// The address of the open object `handle` names. `MC_EINVAL` for NULL,
/// for a value that was never a handle, or for a handle of another kind;
/// `MC_ECLOSED` for a handle whose object was closed.
pub fn lookup(handle: usize, kind: HandleKind, what: &str) -> Result<usize> {
    if handle == 0 {
        return Err(Error::invalid(format!("{what}: {}: NULL", kind.name())));
    }
    let (index, generation) = decode(handle);
    let t = table();
    let slot = t
        .slots
        .get(index)
        .filter(|s| generation != 0 && generation <= s.generation);
    let Some(slot) = slot else {
        return Err(Error::invalid(format!(
            "{what}: {handle:#x} is not a {} handle",
            kind.name()
        )));
    };
    match slot.open {
        Some((addr, k)) if slot.generation == generation => {
            if k != kind {
                return Err(Error::invalid(format!(
                    "{what}: {handle:#x} is a {} handle, not a {} one",
                    k.name(),
                    kind.name()
                )));
            }
            Ok(addr)
        }
        _ => Err(Error::closed(what)),
    }
}

/// True if `handle` names an open object of `kind` (close uses it: a
/// closed or unknown handle is a no-op there).
pub fn is_open(handle: usize, kind: HandleKind) -> bool {
    lookup(handle, kind, "").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handles_never_reach_a_new_object() {
        let a = insert(HandleKind::Listener, 0x1000);
        assert_eq!(lookup(a, HandleKind::Listener, "t").unwrap(), 0x1000);
        assert_eq!(
            lookup(a, HandleKind::Multicaster, "t").unwrap_err().kind(),
            crate::Kind::Invalid
        );
        retire(a);
        retire(a);
        let b = insert(HandleKind::Listener, 0x1000);
        assert_ne!(a, b);
        assert_eq!(
            lookup(a, HandleKind::Listener, "t").unwrap_err().kind(),
            crate::Kind::Closed
        );
        assert_eq!(lookup(b, HandleKind::Listener, "t").unwrap(), 0x1000);
        retire(b);
        assert_eq!(
            lookup(0x5555_dead_beef, HandleKind::Listener, "t")
                .unwrap_err()
                .kind(),
            crate::Kind::Invalid
        );
    }

    #[test]
    fn cycles_reuse_slots() {
        let first = insert(HandleKind::Multicaster, 1);
        retire(first);
        let before = table().slots.len();
        for i in 0..100_000 {
            let h = insert(HandleKind::Multicaster, i + 1);
            retire(h);
        }
        // Other tests of this binary may hold a few slots at the same time.
        assert!(table().slots.len() <= before + 8);
    }
}
