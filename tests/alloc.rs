//! Zero heap allocations per packet on the receive and send paths, counted
//! by a global allocator over 10,000 packets (after one warm-up round).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::rc::Rc;

use multicast::multicaster::{Next, PacketSource};
use multicast::{send, Listener, Multicaster, Options, Poller};

mod support;

struct Counting;
thread_local! {
    // Per thread: the test harness runs other tests on other threads.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn allocs() -> usize {
    ALLOCS.with(|a| a.get())
}

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn opts(port: u16) -> Options {
    let mut o = Options::default();
    o.set_group("239.9.9.9").unwrap();
    o.set_port(port).unwrap();
    o
}

/// Polls until `got` reaches `want` (bounded).
fn poll_until(p: &Poller, got: &Cell<u64>, want: u64) {
    for _ in 0..1000 {
        if got.get() >= want {
            return;
        }
        p.poll(100).unwrap();
    }
    panic!("received {} of {want}", got.get());
}

#[test]
fn receive_and_sendto_allocate_nothing_per_packet() {
    support::require_netns();
    let p = Poller::new().unwrap();
    let o = opts(5001);
    let got = Rc::new(Cell::new(0u64));
    let bytes = Rc::new(Cell::new(0u64));
    let (g, b) = (got.clone(), bytes.clone());
    let _l = Listener::new(
        &p,
        &o,
        Some(Box::new(move |pkt| {
            g.set(g.get() + 1);
            b.set(b.get() + pkt.data().len() as u64);
            false
        })),
    )
    .unwrap();
    let payload = [7u8; 64];
    // warm-up: socket cache, receive batch, thread-locals
    for _ in 0..100 {
        send::sendto_opts(&o, &payload).unwrap();
    }
    poll_until(&p, &got, 100);
    let before = allocs();
    for round in 1..=100u64 {
        for _ in 0..100 {
            send::sendto_opts(&o, &payload).unwrap();
        }
        poll_until(&p, &got, 100 + round * 100);
    }
    let allocs = allocs() - before;
    assert_eq!(got.get(), 10_100);
    assert_eq!(bytes.get(), 10_100 * 64);
    assert_eq!(
        allocs, 0,
        "{allocs} allocations for 10,000 packets sent and received"
    );
}

struct Feed {
    left: usize,
    data: [u8; 64],
}

impl PacketSource for Feed {
    fn next(&mut self) -> Next<'_> {
        if self.left == 0 {
            return Next::Done;
        }
        self.left -= 1;
        Next::Packet(&self.data)
    }
}

#[test]
fn multicaster_and_sendto_many_allocate_nothing_per_packet() {
    support::require_netns();
    let p = Poller::new().unwrap();
    let o = opts(5002);
    let got = Rc::new(Cell::new(0u64));
    let g = got.clone();
    let _l = Listener::new(
        &p,
        &o,
        Some(Box::new(move |_| {
            g.set(g.get() + 1);
            false
        })),
    )
    .unwrap();
    let packets: Vec<[u8; 32]> = vec![[1; 32]; 100];
    send::sendto_many(&o, packets.len(), |i| &packets[i]).unwrap();
    poll_until(&p, &got, 100);
    let before = allocs();
    for round in 1..=50u64 {
        assert_eq!(
            send::sendto_many(&o, packets.len(), |i| &packets[i])
                .unwrap()
                .sent,
            100
        );
        poll_until(&p, &got, 100 + round * 100);
    }
    assert_eq!(allocs() - before, 0, "sendto_many allocated");
    // Multicasters: a first one warms up (the deferred-release list); the
    // second, created before counting, sends its 20,000 packets in GSO
    // batches gathered in a buffer that grows (doubling) to the size of one
    // batch and then stays: a few allocations in all, none per packet.
    let warm = Multicaster::new(
        &p,
        &o,
        Box::new(Feed {
            left: 1000,
            data: [2; 64],
        }),
    )
    .unwrap();
    let start = got.get();
    poll_until(&p, &got, start + 1000);
    assert!(warm.is_closed());
    let m = Multicaster::new(
        &p,
        &o,
        Box::new(Feed {
            left: 20_000,
            data: [2; 64],
        }),
    )
    .unwrap();
    let start = got.get();
    let before = allocs();
    poll_until(&p, &got, start + 20_000);
    assert!(m.is_closed());
    let n = allocs() - before;
    assert!(
        n <= 8,
        "a multicaster sending 20,000 packets allocated {n} times"
    );
}
