//! The AddressSanitizer set-up catches what it must. Every C test program
//! also runs built with -fsanitize=address against an ASan build of the
//! library, next to its native run (`CTest::asan`, tests/support/ctest.rs:
//! the build, and a namespace of its own per run with LeakSanitizer on; any
//! report, or a non-zero exit, fails the test). Two canaries
//! (tests/c/asan_canary.c) prove that set-up sees a use after free inside the
//! library's Rust code and a leak of its allocations. No suppressions are
//! needed.

mod support;

use support::ctest::{asan_reported, context, have_libasan};
use support::*;

/// `asan_canary ARGS` built with ASan: its output and a text for assertions.
fn canary(args: &[&str]) -> Option<(std::process::Output, String)> {
    if !have_libasan() {
        return None;
    }
    let t = CTest::new("asan_canary").args(args).asan();
    let o = t.output();
    let text = context(&format!("asan_canary {args:?}"), &o);
    Some((o, text))
}

#[test]
fn asan_canary_use_after_free_in_the_library() {
    let Some((o, text)) = canary(&["uaf"]) else {
        return;
    };
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{text}");
    assert!(err.contains("heap-use-after-free"), "{text}");
    // Caught in the library's own (instrumented) Rust code.
    assert!(err.contains("src/opts.rs"), "{text}");
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("returned"),
        "{text}"
    );
}

#[test]
fn asan_canary_leak_of_the_library() {
    let Some((o, text)) = canary(&["leak"]) else {
        return;
    };
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{text}");
    assert!(err.contains("ERROR: LeakSanitizer"), "{text}");
    assert!(err.contains("mc_opts_new"), "{text}");
    let (o, text) = canary(&[]).unwrap();
    assert!(o.status.success() && !asan_reported(&o), "{text}");
}
