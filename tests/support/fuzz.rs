//! The generator and the driver of the property tests of the parsers
//! (tests/fuzz_*.rs): a small deterministic generator (xorshift64*), the
//! number of cases (MC_FUZZ_CASES) and the seed (MC_FUZZ_SEED), a driver
//! that names a failing case and its seed, and a guard that shows the input
//! a parser panicked on.

use std::fmt::Debug;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// xorshift64* (Vigna): small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that neighbouring seeds differ at once.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn u8(&mut self) -> u8 {
        self.next() as u8
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }

    /// Mostly boundary values, sometimes anything.
    pub fn interesting_u32(&mut self) -> u32 {
        const V: [u32; 18] = [
            0,
            1,
            2,
            3,
            4,
            7,
            8,
            15,
            16,
            17,
            255,
            256,
            0xffff,
            0x1_0000,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_fffe,
            0xffff_ffff,
        ];
        if self.one_in(3) {
            self.next() as u32
        } else {
            *self.pick(&V)
        }
    }
}

/// Cases per parser: MC_FUZZ_CASES, else 20,000.
pub fn cases() -> u64 {
    std::env::var("MC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

/// The seed of the sequence: MC_FUZZ_SEED, else a fixed one.
pub fn seed() -> u64 {
    std::env::var("MC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x006d_6361_7374)
}

/// Runs `case` `n` times, each with its own generator (so that a failing
/// case can be named), and prints the figures past the harness's capture.
pub fn run(name: &str, n: u64, mut case: impl FnMut(&mut Rng)) {
    let s = seed();
    let t = Instant::now();
    for i in 0..n {
        let mut rng = Rng::new(s.wrapping_mul(1_000_003).wrapping_add(i));
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| case(&mut rng))) {
            let what = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("fuzz {name}: case {i} of seed {s} (MC_FUZZ_SEED={s}) failed: {what}");
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "fuzz {name}: {n} cases in {:.2} s",
        t.elapsed().as_secs_f64()
    );
}

/// Calls `f` on `input`: a panic inside it fails with the input shown.
pub fn no_panic<I: Debug + ?Sized, T>(what: &str, input: &I, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let shown = format!("{input:?}");
            let shown: String = shown.chars().take(2000).collect();
            panic!("{what} panicked ({msg}) on input {shown}")
        }
    }
}
