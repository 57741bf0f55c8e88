//! The soak (tests/soak/*.c, `make soak MINUTES=N`) for a few seconds, so that `cargo test`
//! covers the soak itself: it compiles warning-free against the library built with this test,
//! runs its faults inside tests/netns-veth's namespaces (nested in the runner's), and every
//! one of its checks passes. The real soak is `make soak` (minutes; CI runs one).
//!
//! It runs a fixed number of epochs, not a time: 24 epochs (each one fault, then a clean,
//! accounted window) are every fault at least twice, and the fd/RSS checks cover the 15
//! after the warm-up (9), the same ones on a fast or a loaded machine; 120 s only bounds it.

mod support;
use support::*;

#[test]
fn soak_24_epochs() {
    let o = CTest::new("soak")
        .sources(&[
            "tests/soak/soak.c",
            "tests/soak/soak_common.c",
            "tests/soak/soak_sender.c",
            "tests/soak/soak_listeners.c",
            "tests/soak/soak_account.c",
            "tests/soak/soak_faults.c",
        ])
        .args(&["--epochs", "24", "--seconds", "120"])
        .veth()
        .timeout(180)
        .run()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let last = out.lines().last().unwrap_or("");
    assert!(
        last.starts_with("soak: ") && last.ends_with(": PASS"),
        "no PASS summary line in:\n{out}"
    );
}
