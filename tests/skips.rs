//! What `make test` says at the end: a test that lacks a kernel feature is
//! skipped visibly and passes, even under MC_REQUIRE_ALL=1 (nothing can be
//! installed to get a kernel feature), and the summary names it with how it
//! was probed; the failed tests of a run are named, every one of them.
//!
//! Kernel features are made absent with MC_PRETEND_KERNEL_LACKS (the probes
//! of tests/support/kernel.rs answer "absent" for the names it lists).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// The test binary `name` built with this one (target/debug/deps/name-HASH).
fn sibling(name: &str) -> PathBuf {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::read_dir(&deps)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let f = p.file_name().unwrap().to_string_lossy().into_owned();
            f.starts_with(&format!("{name}-")) && p.extension().is_none()
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| panic!("no {name} test binary in {}", deps.display()))
}

fn prereqs(args: &[&Path]) -> (String, String) {
    let o = Command::new(root().join("tests/prereqs"))
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "tests/prereqs {args:?}: {o:?}");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// gro_runs_split with UDP GRO "absent" and MC_REQUIRE_ALL=1: passes, says
/// "SKIPPED: receive::gro_runs_split: kernel lacks UDP GRO (UDP_GRO)
/// (MC_PRETEND_KERNEL_LACKS=udp_gro)", records it; tests/prereqs summary
/// names the feature, how it was probed and the test.
#[test]
fn kernel_feature_skips_pass_under_require_all() {
    require_netns();
    let skips = scratch().join("skips-kernel.txt");
    let _ = std::fs::remove_file(&skips);
    let o = Command::new(sibling("receive"))
        .args(["--exact", "gro_runs_split"])
        .env("MC_PRETEND_KERNEL_LACKS", "udp_gro")
        .env("MC_REQUIRE_ALL", "1")
        .env("MC_SKIP_FILE", &skips)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("1 passed"), "{out}");
    assert!(
        err.contains(
            "SKIPPED: receive::gro_runs_split: kernel lacks UDP GRO (UDP_GRO) \
             (MC_PRETEND_KERNEL_LACKS=udp_gro)"
        ),
        "{err}"
    );
    let recorded = std::fs::read_to_string(&skips).unwrap();
    assert_eq!(
        recorded,
        "kernel\tUDP GRO (UDP_GRO)\tMC_PRETEND_KERNEL_LACKS=udp_gro\treceive::gro_runs_split\n"
    );
    let (_, summary) = prereqs(&["summary".as_ref(), skips.as_path()]);
    assert_eq!(
        summary.trim(),
        "make test: SKIPPED 1 test, the kernel lacks UDP GRO (UDP_GRO) \
         (MC_PRETEND_KERNEL_LACKS=udp_gro): receive::gro_runs_split"
    );
}

/// A missing tool and two kernel features in one skip file: one line for the
/// tools, one per feature, each test named once.
#[test]
fn summary_of_tools_and_kernel_features() {
    let skips = scratch().join("skips-mixed.txt");
    std::fs::write(
        &skips,
        "tool\tsocat\tsocat\tinterop::a\n\
         tool\tsocat\tsocat\tinterop::b\n\
         kernel\tIPv4 multicast routing\tMRT_INIT: ENOPROTOOPT\trouted_ttl::x\n\
         kernel\tUDP GSO (UDP_SEGMENT)\tUDP_SEGMENT: ENOPROTOOPT\tveth::y\n\
         kernel\tIPv4 multicast routing\tMRT_INIT: ENOPROTOOPT\trouted_ttl::z\n",
    )
    .unwrap();
    let (_, summary) = prereqs(&["summary".as_ref(), skips.as_path()]);
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 3, "{summary}");
    assert!(
        lines[0].starts_with("make test: SKIPPED 2 tests, missing socat (socat, 2 tests)"),
        "{summary}"
    );
    assert_eq!(
        lines[1],
        "make test: SKIPPED 2 tests, the kernel lacks IPv4 multicast routing \
         (MRT_INIT: ENOPROTOOPT): routed_ttl::x, routed_ttl::z"
    );
    assert_eq!(
        lines[2],
        "make test: SKIPPED 1 test, the kernel lacks UDP GSO (UDP_SEGMENT) \
         (UDP_SEGMENT: ENOPROTOOPT): veth::y"
    );
}

/// The failures of a cargo test log, every binary's: per test, and, for a
/// binary that died without a report, cargo's closing list.
#[test]
fn failures_of_a_run_are_all_named() {
    let log = scratch().join("cargo-test.log");
    std::fs::write(
        &log,
        "     Running unittests src/lib.rs (target/debug/deps/multicast-1)\n\
         test poller::tests::x ... FAILED\n\
         \x20    Running tests/routed_ttl.rs (target/debug/deps/routed_ttl-2)\n\
         test routed_ipv4_ttl_scope ... FAILED\n\
         test routed_ipv6_hop_limit_scope ... ok\n\
         \x20    Running tests/tools_mcsend.rs (target/debug/deps/tools_mcsend-3)\n\
         test mcsend_rate ... FAILED\n\
         error: 3 targets failed:\n    `--lib`\n    `--test routed_ttl`\n    `--test tools_mcsend`\n",
    )
    .unwrap();
    let (out, _) = prereqs(&["failures".as_ref(), log.as_path()]);
    assert_eq!(
        out.trim(),
        "lib::poller::tests::x, routed_ttl::routed_ipv4_ttl_scope, tools_mcsend::mcsend_rate"
    );
    std::fs::write(
        &log,
        "     Running tests/stress.rs (target/debug/deps/stress-4)\n\
         error: test failed, to rerun pass `--test stress`\n\
         Caused by:\n  process didn't exit successfully (signal: 11, SIGSEGV)\n\
         error: 1 target failed:\n    `--test stress`\n",
    )
    .unwrap();
    let (out, _) = prereqs(&["failures".as_ref(), log.as_path()]);
    assert_eq!(out.trim(), "stress (the whole binary)");
}

/// tests/netns-run without user namespaces works as root alone (a private
/// network namespace all the same); without network namespaces it skips the
/// whole binary under make test (MC_SKIP_FILE set) and fails anywhere else.
#[test]
fn netns_run_without_user_or_network_namespaces() {
    require_netns();
    let run = root().join("tests/netns-run");
    let o = Command::new(&run)
        .args(["sh", "-c", "echo $MC_NETNS; readlink /proc/self/ns/net"])
        .env("MC_PRETEND_KERNEL_LACKS", "userns")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{o:?}");
    let mine = std::fs::read_link("/proc/self/ns/net").unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1", "{out}");
    assert_ne!(
        lines[1],
        mine.to_string_lossy(),
        "not a new namespace: {out}"
    );

    let skips = scratch().join("skips-netns.txt");
    let _ = std::fs::remove_file(&skips);
    let o = Command::new(&run)
        .arg("/nowhere/abi-0123")
        .env("MC_PRETEND_KERNEL_LACKS", "userns,netns")
        .env("MC_SKIP_FILE", &skips)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{o:?}");
    assert!(
        err.contains("SKIPPED: abi (the whole binary): kernel lacks a private network namespace"),
        "{err}"
    );
    let (_, summary) = prereqs(&["summary".as_ref(), skips.as_path()]);
    assert!(
        summary.contains("the kernel lacks private network namespaces")
            && summary.contains("abi (the whole binary)"),
        "{summary}"
    );

    let o = Command::new(&run)
        .arg("true")
        .env("MC_PRETEND_KERNEL_LACKS", "userns,netns")
        .env_remove("MC_SKIP_FILE")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(90), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot create a private network namespace")
    );
}
