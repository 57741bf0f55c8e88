//! C handles of listeners, multicasters and timers: keys into one process-wide
//! table, never the objects' addresses. This is the C side's state of each
//! object: the table holds a reference to it, the poller it belongs to, and
//! the packet `mc_listener_next` handed out.
//!
//! A handle is `(generation << 32) | (slot + 1)`, cast to the opaque pointer
//! type. A handle is valid while its object is open: once the object is
//! closed, however that happened (the program, a callback's answer,
//! `MC_NEXT_DONE`, `mc_poller_free`), every use of it finds the object
//! closed: close is a no-op and every other call is `MC_ECLOSED`. The slot
//! is then emptied (at once when the program closes, on the next use
//! otherwise, or when a new object of the same poller needs room) and its
//! generation bumped, so a stale handle never reaches a newer object; one
//! whose generation would wrap is retired for good. 100,000 create/close
//! cycles reuse the same few slots: the table does not grow.

use std::any::Any;
use std::rc::Rc;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::ffi::types::mc_packet;

/// What a handle names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum HandleKind {
    /// An `mc_listener`.
    Listener,
    /// An `mc_multicaster`.
    Multicaster,
    /// An `mc_timer`.
    Timer,
}

impl HandleKind {
    fn name(self) -> &'static str {
        match self {
            HandleKind::Listener => "listener",
            HandleKind::Multicaster => "multicaster",
            HandleKind::Timer => "timer",
        }
    }

    /// What can close an object of this kind, for the MC_ECLOSED message.
    fn closed_by(self) -> &'static str {
        match self {
            HandleKind::Listener => "by the program, by on_packet's answer or by mc_poller_free",
            HandleKind::Multicaster => "by the program, by MC_NEXT_DONE or by mc_poller_free",
            HandleKind::Timer => "by the program or by mc_poller_free",
        }
    }
}

/// A library object behind a C handle (a listener, a multicaster, a timer).
pub trait Object: Any + Sized {
    /// Which handles name it.
    const KIND: HandleKind;
    /// True once closed (by any path).
    fn is_closed(&self) -> bool;
    /// Closes it (idempotent).
    fn close(&self);
}

/// Implements [`Object`] for a core type with `is_closed` and `close` methods
/// of its own: `handle_object!(ListenerInner, Listener)`.
macro_rules! handle_object {
    ($ty:ty, $kind:ident) => {
        impl $crate::ffi::handles::Object for $ty {
            const KIND: $crate::ffi::handles::HandleKind = $crate::ffi::handles::HandleKind::$kind;
            fn is_closed(&self) -> bool {
                <$ty>::is_closed(self)
            }
            fn close(&self) {
                <$ty>::close(self)
            }
        }
    };
}
pub(crate) use handle_object;

/// An open slot: the object and what the C side keeps for it.
struct Entry {
    kind: HandleKind,
    object: Rc<dyn Any>,
    /// `Object::is_closed` of the object's type.
    closed: fn(&dyn Any) -> bool,
    /// The poller that owns the object (`Poller::id`).
    poller: usize,
    /// The packet mc_listener_next handed out last (valid until the next
    /// call or the close).
    pulled: Option<Box<mc_packet>>,
}

// SAFETY: an entry is created, read and dropped only by calls about its own
// object, which the API allows from one thread at a time (the one using the
// object's poller); the sweep of `insert` touches only entries of the poller
// the call is about. The Rc's counts are therefore never touched by two
// threads at once.
unsafe impl Send for Entry {}

struct Slot {
    generation: u32,
    open: Option<Entry>,
}

struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Slots at which `insert` looks for closed objects of its poller.
    sweep_at: usize,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    slots: Vec::new(),
    free: Vec::new(),
    sweep_at: 16,
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

fn is_closed_as<T: Object>(o: &dyn Any) -> bool {
    o.downcast_ref::<T>().is_none_or(T::is_closed)
}

impl Table {
    /// Empties slot `index` (bumping its generation) and returns its entry.
    fn vacate(&mut self, index: usize) -> Option<Entry> {
        let slot = self.slots.get_mut(index)?;
        let entry = slot.open.take()?;
        if let Some(g) = slot.generation.checked_add(1) {
            slot.generation = g;
            self.free.push(index as u32);
        }
        Some(entry)
    }

    /// Empties the slots of `poller`'s closed objects.
    fn sweep(&mut self, poller: usize) -> Vec<Entry> {
        let closed: Vec<usize> = (0..self.slots.len())
            .filter(|&i| {
                self.slots[i]
                    .open
                    .as_ref()
                    .is_some_and(|e| e.poller == poller && (e.closed)(&*e.object))
            })
            .collect();
        closed.into_iter().filter_map(|i| self.vacate(i)).collect()
    }
}

/// A new handle for `object`, owned by the poller `poller` (`Poller::id`).
pub fn insert<T: Object>(object: Rc<T>, poller: usize) -> usize {
    let mut t = table();
    let mut swept = Vec::new();
    if t.free.is_empty() && t.slots.len() >= t.sweep_at {
        // Objects closed by a callback's answer or MC_NEXT_DONE and never
        // used since: their slots are free again.
        swept = t.sweep(poller);
        t.sweep_at = (2 * (t.slots.len() - t.free.len())).max(16);
    }
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
    slot.open = Some(Entry {
        kind: T::KIND,
        object,
        closed: is_closed_as::<T>,
        poller,
        pulled: None,
    });
    let handle = (((slot.generation as u64) << 32) | (index as u64 + 1)) as usize;
    drop(t);
    drop(swept); // outside the lock
    handle
}

/// Empties the slot of `handle` (its object was closed). Idempotent.
pub fn retire(handle: usize) {
    let (index, generation) = decode(handle);
    let mut t = table();
    let entry = match t.slots.get(index) {
        Some(s) if s.generation == generation => t.vacate(index),
        _ => None,
    };
    drop(t);
    drop(entry);
}

/// Empties the slots of every object of `poller` (it is being freed).
pub fn retire_poller(poller: usize) {
    let mut t = table();
    let mine: Vec<usize> = (0..t.slots.len())
        .filter(|&i| t.slots[i].open.as_ref().is_some_and(|e| e.poller == poller))
        .collect();
    let gone: Vec<Entry> = mine.into_iter().filter_map(|i| t.vacate(i)).collect();
    drop(t);
    drop(gone);
}

/// The open object `handle` names, as an owning reference (it stays
/// allocated while held, even if a callback closes it). `MC_EINVAL` for
/// NULL, for a value that was never a handle, or for a handle of another
/// kind; `MC_ECLOSED` for a handle whose object was closed.
pub fn lookup<T: Object>(handle: usize, what: &str) -> Result<Rc<T>> {
    let kind = T::KIND;
    if handle == 0 {
        return Err(Error::invalid(format!("{what}: {}: NULL", kind.name())));
    }
    let (index, generation) = decode(handle);
    let mut t = table();
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
    let closed = || {
        Error::closed(format!(
            "{what}: the {} is closed ({})",
            kind.name(),
            kind.closed_by()
        ))
    };
    let entry = match &slot.open {
        Some(e) if slot.generation == generation => e,
        _ => return Err(closed()),
    };
    if entry.kind != kind {
        return Err(Error::invalid(format!(
            "{what}: {handle:#x} is a {} handle, not a {} one",
            entry.kind.name(),
            kind.name()
        )));
    }
    if (entry.closed)(&*entry.object) {
        let gone = t.vacate(index);
        drop(t);
        drop(gone);
        return Err(closed());
    }
    let object = entry.object.clone();
    drop(t);
    Ok(object
        .downcast::<T>()
        .expect("the slot's kind names its type"))
}

/// Keeps `packet` as the one `mc_listener_next` handed out for `handle`
/// (replacing the last) and returns where it lives: valid until the next
/// call for the handle or its close. Null if the handle is not open.
pub fn keep_pulled(handle: usize, packet: mc_packet) -> *const mc_packet {
    let (index, generation) = decode(handle);
    let mut t = table();
    match t.slots.get_mut(index) {
        Some(Slot {
            generation: g,
            open: Some(e),
        }) if *g == generation => {
            let kept = e.pulled.get_or_insert_with(|| Box::new(packet));
            **kept = packet;
            &**kept as *const mc_packet
        }
        _ => std::ptr::null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[derive(Debug)]
    struct Thing(Cell<bool>);

    impl Object for Thing {
        const KIND: HandleKind = HandleKind::Listener;
        fn is_closed(&self) -> bool {
            self.0.get()
        }
        fn close(&self) {
            self.0.set(true)
        }
    }

    #[derive(Debug)]
    struct Other;

    impl Object for Other {
        const KIND: HandleKind = HandleKind::Multicaster;
        fn is_closed(&self) -> bool {
            false
        }
        fn close(&self) {}
    }

    fn thing() -> Rc<Thing> {
        Rc::new(Thing(Cell::new(false)))
    }

    #[test]
    fn stale_handles_never_reach_a_new_object() {
        let obj = thing();
        let a = insert(obj.clone(), 1);
        assert!(Rc::ptr_eq(&lookup::<Thing>(a, "t").unwrap(), &obj));
        assert_eq!(
            lookup::<Other>(a, "t").unwrap_err().kind(),
            crate::Kind::Invalid
        );
        retire(a);
        retire(a);
        let b = insert(obj.clone(), 1);
        assert_ne!(a, b);
        assert_eq!(
            lookup::<Thing>(a, "t").unwrap_err().kind(),
            crate::Kind::Closed
        );
        assert!(lookup::<Thing>(b, "t").is_ok());
        retire(b);
        assert_eq!(
            lookup::<Thing>(0x5555_dead_beef, "t").unwrap_err().kind(),
            crate::Kind::Invalid
        );
    }

    #[test]
    fn an_object_closed_by_any_path_makes_its_handle_closed() {
        let obj = thing();
        let h = insert(obj.clone(), 2);
        obj.close(); // as a callback's answer would
        assert_eq!(
            lookup::<Thing>(h, "t").unwrap_err().kind(),
            crate::Kind::Closed
        );
        assert_eq!(Rc::strong_count(&obj), 1, "the table let go of it");
    }

    #[test]
    fn cycles_reuse_slots() {
        let first = insert(thing(), 3);
        retire(first);
        let before = table().slots.len();
        for _ in 0..100_000 {
            let h = insert(thing(), 3);
            retire(h);
        }
        // Objects closed without their handle's use are swept too.
        for _ in 0..100_000 {
            let obj = thing();
            insert(obj.clone(), 3);
            obj.close();
        }
        // Other tests of this binary may hold a few slots at the same time.
        assert!(
            table().slots.len() <= before + 64,
            "{}",
            table().slots.len()
        );
    }
}
