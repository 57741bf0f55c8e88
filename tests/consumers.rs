//! The consumers in bindings/ built and run against the freshly built libmulticast.so,
//! inside the private network namespace the runner made (tests/netns-run):
//! the C++ wrapper's example and tests (also under valgrind when it is installed), the
//! Zig example, and the Python (ctypes) module's tests and example. A missing toolchain
//! prints "SKIPPED: ..." and passes, unless MC_REQUIRE_ALL=1 (CI), where it fails.

mod support;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::*;

/// Reports a consumer that cannot be tested here: a failure under MC_REQUIRE_ALL=1.
fn missing(consumer: &str, why: &str, install: &str) {
    let msg = format!("SKIPPED: {consumer}: {why} (install with: {install})");
    if std::env::var("MC_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("{msg}; MC_REQUIRE_ALL=1 requires every consumer");
    }
    println!("{msg}");
}

fn describe(cmd: &Command, o: &Output) -> String {
    format!(
        "{:?} exited {:?}\n--- stdout\n{}--- stderr\n{}",
        cmd,
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs cmd; panics with its output unless it exits 0; prints both streams.
fn run(cmd: &mut Command) -> Output {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
    let text = describe(cmd, &o);
    assert!(o.status.success(), "{text}");
    println!("{text}");
    o
}

fn tmp(sub: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(sub);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn lib_file() -> PathBuf {
    lib_dir().join("libmulticast.so.0")
}

#[test]
fn cpp_wrapper() {
    require_netns();
    if !have("c++") {
        return missing("c++", "no C++ compiler (c++)", "apt-get install g++");
    }
    // -std=c++17 -Wall -Wextra -Werror, linked to the built library (support::compile).
    for (name, source, done) in [
        (
            "cpp_example",
            "bindings/cpp/example.cpp",
            "OK: all packets arrived as expected",
        ),
        (
            "cpp_test_wrapper",
            "bindings/cpp/test_wrapper.cpp",
            "OK: multicast.hpp wrapper checks passed",
        ),
    ] {
        let bin = compile(name, &[source]);
        let o = run(&mut Command::new(&bin));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(done), "{out}");
        if have("valgrind") {
            // The wrapper's ownership (objects closed by the library, closes and a poller
            // freed inside callbacks, a listener outliving its poller): no invalid access,
            // no definite leak.
            run(Command::new("valgrind")
                .args([
                    "-q",
                    "--leak-check=full",
                    "--errors-for-leak-kinds=definite",
                    "--error-exitcode=1",
                ])
                .arg(&bin));
        }
    }
}

/// How to run zig here: $ZIG, `zig` on PATH, or the PyPI package (python3 -m ziglang).
fn zig_command() -> Option<Command> {
    if let Ok(z) = std::env::var("ZIG") {
        if !z.is_empty() {
            return Some(Command::new(z));
        }
    }
    if have("zig") {
        return Some(Command::new("zig"));
    }
    if have("python3")
        && Command::new("python3")
            .args(["-c", "import ziglang"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    {
        let mut c = Command::new("python3");
        c.args(["-m", "ziglang"]);
        return Some(c);
    }
    None
}

fn zig(args: &[&std::ffi::OsStr]) -> Command {
    let mut c = zig_command().expect("zig");
    // No network in the namespace and maybe a read-only HOME: caches under the target dir.
    let cache = tmp("zig-cache");
    c.env("ZIG_GLOBAL_CACHE_DIR", cache.join("global"))
        .env("ZIG_LOCAL_CACHE_DIR", cache.join("local"))
        .args(args);
    c
}

fn zig_build(source: &Path, out: &Path) -> Output {
    let lib = lib_dir();
    let include = root().join("include");
    let emit = format!("-femit-bin={}", out.display());
    zig(&[
        "build-exe".as_ref(),
        source.as_os_str(),
        "-I".as_ref(),
        include.as_os_str(),
        "-L".as_ref(),
        lib.as_os_str(),
        "-lmulticast".as_ref(),
        "-lc".as_ref(),
        "-rpath".as_ref(),
        lib.as_os_str(),
        emit.as_ref(),
    ])
    .output()
    .expect("running zig build-exe")
}

#[test]
fn zig_example() {
    require_netns();
    let Some(mut version) = zig_command() else {
        return missing(
            "zig",
            "no zig compiler ($ZIG, zig on PATH, or python3 -m ziglang)",
            "pip install ziglang==0.15.2",
        );
    };
    let v = version.arg("version").output().expect("zig version");
    println!("zig {}", String::from_utf8_lossy(&v.stdout).trim());
    // Inside the namespace the pid is always 1: a unique directory per run instead.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = tmp(&format!("zig-{nanos}"));
    let bin = dir.join("zig_example");
    let source = root().join("bindings/zig/example.zig");
    let mut o = zig_build(&source, &bin);
    if !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("'@cImport'") {
        // Zig 0.16+ dropped @cImport: translate the header and import the result instead.
        println!("this zig has no @cImport: using zig translate-c");
        let t = zig(&[
            "translate-c".as_ref(),
            "-I".as_ref(),
            root().join("include").as_os_str(),
            "-lc".as_ref(),
            root().join("include/multicast.h").as_os_str(),
        ])
        .output()
        .expect("running zig translate-c");
        assert!(
            t.status.success(),
            "zig translate-c failed:\n{}",
            String::from_utf8_lossy(&t.stderr)
        );
        std::fs::write(dir.join("multicast_c.zig"), &t.stdout).unwrap();
        let text = std::fs::read_to_string(&source).unwrap();
        let import = "@cImport(@cInclude(\"multicast.h\"))";
        assert!(text.contains(import), "example.zig no longer has {import}");
        let copy = dir.join("example.zig");
        std::fs::write(&copy, text.replace(import, "@import(\"multicast_c.zig\")")).unwrap();
        o = zig_build(&copy, &bin);
    }
    assert!(
        o.status.success(),
        "zig build-exe bindings/zig/example.zig failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&mut Command::new(&bin));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("OK: 4 packets arrived as expected"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn python_module() {
    require_netns();
    if !have("python3") {
        return missing("python", "no python3", "apt-get install python3");
    }
    let py = |args: &[&str]| {
        let mut c = Command::new("python3");
        c.args(args)
            .current_dir(root())
            .env("MULTICAST_LIB", lib_file())
            .env("PYTHONDONTWRITEBYTECODE", "1");
        c
    };
    // The unittest suite (real multicast), then the example.
    let o = run(&mut py(&[
        "-m",
        "unittest",
        "-v",
        "bindings/python/test_multicast.py",
    ]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("\nOK"), "{err}");
    let o = run(&mut py(&["bindings/python/example.py"]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("OK: all packets arrived as expected"), "{out}");
}
