//! Timers from C (tests/c/timer.c) through the built library: never early,
//! lateness bounded, missed periods run once, one-shot and re-armed timers,
//! closing or stopping one whose expiry was fetched in the same wait, mc_loop
//! with only timers, mc_poller_free closing timers, and bad input. Each case
//! natively and under valgrind (no leak, no invalid access), and the whole
//! program with AddressSanitizer.

mod support;
use support::*;

const CASES: [&str; 8] = [
    "never-early",
    "missed",
    "one-shot",
    "loop",
    "close-other",
    "stop-other",
    "poller-free",
    "bad-input",
];

#[test]
fn timers() {
    for case in CASES {
        CTest::new("timer").case(case).run();
    }
}

#[test]
fn timers_under_valgrind() {
    // Under valgrind a poll may come late, never early: the lateness bound is loose.
    for case in [
        "one-shot",
        "loop",
        "close-other",
        "stop-other",
        "poller-free",
        "bad-input",
    ] {
        CTest::new("timer").case(case).valgrind().run();
    }
}

#[test]
fn timers_under_asan() {
    for case in CASES {
        CTest::new("timer").case(case).asan().run();
    }
}
