//! The C test programs against an AddressSanitizer build of the library.
//!
//! The library is built with the stable toolchain's unstable sanitizer flag
//! (std stays uninstrumented; no nightly, no -Zbuild-std):
//!
//!     RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zsanitizer=address \
//!         cargo build --target x86_64-unknown-linux-gnu --target-dir target/asan
//!
//! (--target keeps the flag off build scripts; target/asan is reused, so
//! only the first build is slow). A cdylib does not carry the ASan runtime:
//! the programs, compiled with -fsanitize=address, bring the C compiler's
//! (gcc's libasan, the same compiler-rt ABI). Each program runs in a
//! private namespace of its own (tests/netns-run inside this one) with
//! LeakSanitizer on; any report, or a non-zero exit, fails the test. Two
//! canaries prove the set-up sees a use after free inside the library's
//! Rust code and a leak of its allocations. No suppressions are needed.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;

use support::*;

const ASAN_OPTIONS: &str =
    "detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1";

/// Prints past the harness's capture (figures belong in the output).
fn say(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// The rustc host triple (x86_64-unknown-linux-gnu here).
fn host() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let o = Command::new(rustc).arg("-vV").output().expect("rustc -vV");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

/// Builds the ASan library once per test process; returns a directory
/// holding libmulticast.so and libmulticast.so.0 links to it.
fn asan_lib() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // target/asan next to the target directory of this build.
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("asan");
        let triple = host();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(root())
            .args(["build", "--locked", "--target", &triple, "--target-dir"])
            .arg(&target)
            .env("RUSTC_BOOTSTRAP", "1")
            .env("RUSTFLAGS", "-Zsanitizer=address")
            .env("CARGO_NET_OFFLINE", "true");
        for var in [
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET",
            "CARGO_MAKEFLAGS",
            "MAKEFLAGS",
            "MFLAGS",
            "LD_LIBRARY_PATH",
        ] {
            cmd.env_remove(var);
        }
        let t = Instant::now();
        let o = cmd.output().expect("running cargo");
        assert!(
            o.status.success(),
            "the AddressSanitizer build failed: {cmd:?}\n{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        say(&format!(
            "asan: library built in {:.1} s ({})",
            t.elapsed().as_secs_f64(),
            target.display()
        ));
        let so = target.join(&triple).join("debug/libmulticast.so");
        assert!(so.exists(), "{} not built", so.display());
        let dir = scratch().join("asan-lib");
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["libmulticast.so", "libmulticast.so.0"] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&so, &link).unwrap();
        }
        dir
    })
}

/// Compiles a C program with -fsanitize=address against the ASan library,
/// warning-free.
fn compile_asan(source: &str) -> PathBuf {
    let lib = asan_lib();
    let name = Path::new(source).file_stem().unwrap().to_string_lossy();
    let out = scratch().join(format!("{name}-asan"));
    let mut cmd = Command::new("cc");
    cmd.args(["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"])
        .args(["-g", "-O1", "-pthread", "-fsanitize=address"])
        .arg("-fno-omit-frame-pointer")
        .arg("-I")
        .arg(root().join("include"))
        .arg("-I")
        .arg(root().join("tests/c"))
        .arg(root().join(source))
        .arg("-o")
        .arg(&out)
        .arg("-L")
        .arg(lib)
        .arg("-lmulticast")
        .arg(format!("-Wl,-rpath,{}", lib.display()));
    let o = cmd.output().expect("running the C compiler");
    assert!(
        o.status.success(),
        "compiling {source} with -fsanitize=address failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Runs `bin ARGS` in a namespace of its own with ASan/LSan on, the ASan
/// library first on the loader's path (cargo's LD_LIBRARY_PATH holds the
/// uninstrumented one).
fn run_asan(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let mut cmd = Command::new(root().join("tests/netns-run"));
    cmd.arg(bin)
        .args(args)
        .env("ASAN_OPTIONS", ASAN_OPTIONS)
        .env("LD_LIBRARY_PATH", asan_lib());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let t = Instant::now();
    let o = cmd.output().expect("starting the program");
    let name = bin.file_name().unwrap().to_string_lossy().into_owned();
    say(&format!(
        "asan: {name} {} ran in {:.1} s",
        args.join(" "),
        t.elapsed().as_secs_f64()
    ));
    let text = format!(
        "{cmd:?} exited {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o, text)
}

/// True if the output holds a sanitizer report.
fn reported(o: &Output) -> bool {
    let err = String::from_utf8_lossy(&o.stderr);
    err.contains("ERROR: AddressSanitizer")
        || err.contains("ERROR: LeakSanitizer")
        || err.contains("SUMMARY: AddressSanitizer")
}

/// True if the C compiler links -fsanitize=address programs (gcc needs
/// libasan); otherwise the calling test is skipped (support::skip).
fn have_libasan() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    let ok = *OK.get_or_init(|| {
        let dir = scratch();
        let src = dir.join("asan-probe.c");
        std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
        Command::new("cc")
            .arg("-fsanitize=address")
            .arg(&src)
            .arg("-o")
            .arg(dir.join("asan-probe"))
            .output()
            .is_ok_and(|o| o.status.success())
    });
    ok || skip(
        "libasan",
        "libasan8",
        "cc -fsanitize=address cannot link (no libasan)",
    )
}

/// Compiles and runs one of tests/c/: exit 0 and no report.
fn clean(source: &str, args: &[&str], env: &[(&str, &str)]) {
    require_netns();
    if !have_libasan() {
        return;
    }
    let bin = compile_asan(source);
    let (o, text) = run_asan(&bin, args, env);
    assert!(!reported(&o), "AddressSanitizer report:\n{text}");
    assert!(o.status.success(), "{text}");
}

/// tests/c/asan_canary.c, compiled once for both canaries.
fn canary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| compile_asan("tests/c/asan_canary.c"))
}

#[test]
fn asan_canary_use_after_free_in_the_library() {
    require_netns();
    if !have_libasan() {
        return;
    }
    let (o, text) = run_asan(canary(), &["uaf"], &[]);
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
    require_netns();
    if !have_libasan() {
        return;
    }
    let (o, text) = run_asan(canary(), &["leak"], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{text}");
    assert!(err.contains("ERROR: LeakSanitizer"), "{text}");
    assert!(err.contains("mc_opts_new"), "{text}");
    let (o, text) = run_asan(canary(), &[], &[]);
    assert!(o.status.success() && !reported(&o), "{text}");
}

#[test]
fn asan_handles() {
    // Fewer cycles than natively; the RSS check is off (MC_UNDER_VALGRIND):
    // ASan's quarantine holds freed memory by design.
    clean(
        "tests/c/test_handles.c",
        &[],
        &[("MC_TEST_CYCLES", "20000"), ("MC_UNDER_VALGRIND", "1")],
    );
}

#[test]
fn asan_poller() {
    clean("tests/c/test_poller.c", &[], &[]);
}

#[test]
fn asan_listener() {
    clean("tests/c/test_listener.c", &[], &[]);
}

#[test]
fn asan_multicaster() {
    clean("tests/c/test_multicaster.c", &[], &[]);
}

#[test]
fn asan_send() {
    clean("tests/c/test_send.c", &[], &[]);
}

#[test]
fn asan_pull_close() {
    clean("tests/c/test_pull_close.c", &[], &[]);
}

#[test]
fn asan_opts() {
    clean("tests/c/test_opts.c", &[], &[]);
}

#[test]
fn asan_counts() {
    clean("tests/c/test_counts.c", &[], &[]);
}

#[test]
fn asan_gso_gro() {
    if !kernel::gso_and_gro() {
        return;
    }
    clean("tests/c/test_gso.c", &["lo"], &[]);
}

#[test]
fn asan_groups() {
    let cases: &[&str] = if kernel::gso_and_gro() {
        &["three", "many", "callbacks", "errors", "split"]
    } else {
        &["callbacks", "errors"] // the others send GSO runs and count coalesced ones
    };
    for case in cases {
        clean("tests/c/test_groups.c", &[case], &[]);
    }
}
