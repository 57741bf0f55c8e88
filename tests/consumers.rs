//! The C++ and Zig consumers in bindings/ built and run inside the private network
//! namespace the runner made (tests/netns-run): the C++ wrapper's example and tests against
//! the freshly built libmulticast.so (also under valgrind when it is installed), and what
//! it says before C++17; the Zig example with its build.zig (translate-c of multicast.h,
//! pkg-config) against a `make install` in a scratch prefix. (Python: tests/python.rs.) A
//! missing toolchain prints "SKIPPED: ..." (support::skip) and passes, unless
//! MC_REQUIRE_ALL=1 (CI), where it fails.

mod support;
use std::path::PathBuf;
use std::process::Command;
use support::*;

/// The Zig that .ci/run installs (PyPI's ziglang); bindings/zig/build.zig is written for it.
const ZIG_PIN: &str = "ziglang==0.17.1";

fn tmp(sub: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(sub);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn cpp_wrapper() {
    require_netns();
    if !require_tool("c++", "g++") {
        return;
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
        let o = run_ok(&mut Command::new(&bin));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(done), "{out}");
        if have("valgrind") {
            // The wrapper's ownership (objects closed by the library, closes and a poller
            // freed inside callbacks, a listener outliving its poller): no invalid access,
            // no definite leak.
            run_ok(
                Command::new("valgrind")
                    .args([
                        "-q",
                        "--leak-check=full",
                        "--errors-for-leak-kinds=definite",
                        "--error-exitcode=1",
                    ])
                    .arg(&bin),
            );
        }
    }
}

/// Before C++17 the wrapper stops the compiler with one message naming the requirement,
/// not a page of errors about std::string_view; C++17 compiles the same program.
#[test]
fn cpp_wrapper_before_cpp17_stops_with_one_error() {
    if !require_tool("c++", "g++") {
        return;
    }
    let dir = scratch().join("cpp14");
    std::fs::create_dir_all(&dir).unwrap();
    let app = dir.join("app.cpp");
    std::fs::write(
        &app,
        "#include \"multicast.hpp\"\nint main() { multicast::Poller p; return p.poll(0) < 0; }\n",
    )
    .unwrap();
    let compile = |std: &str| {
        Command::new("c++")
            .arg(format!("-std={std}"))
            .arg("-I")
            .arg(root().join("include"))
            .arg("-I")
            .arg(root().join("bindings/cpp"))
            .args(["-fsyntax-only"])
            .arg(&app)
            .output()
            .unwrap()
    };
    for std in ["c++11", "c++14"] {
        let o = compile(std);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "-std={std} compiled:\n{err}");
        let errors: Vec<&str> = err
            .lines()
            .filter(|l| l.contains(": error:") || l.contains(": fatal error:"))
            .collect();
        assert!(
            errors[0].contains("multicast.hpp needs C++17 or later (-std=c++17)"),
            "-std={std}: the first error does not name the requirement:\n{err}"
        );
        // The #error, then the fatal stop that points back at it: nothing else.
        assert!(
            errors.len() == 2 && errors[1].contains("see the error above"),
            "-std={std}: more than the one error:\n{err}"
        );
    }
    let o = compile("c++17");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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

fn zig(args: &[&str]) -> Command {
    let mut c = zig_command().expect("zig");
    // No network in the namespace and maybe a read-only HOME: caches under the target dir.
    let cache = tmp("zig-cache");
    c.env("ZIG_GLOBAL_CACHE_DIR", cache.join("global"))
        .env("ZIG_LOCAL_CACHE_DIR", cache.join("local"))
        .args(args);
    c
}

#[test]
fn zig_example() {
    require_netns();
    let Some(mut version) = zig_command() else {
        skip(
            "zig",
            &format!("pip {ZIG_PIN}"),
            "no zig compiler ($ZIG, zig on PATH, or python3 -m ziglang)",
        );
        return;
    };
    if !require_tool("pkg-config", "pkg-config") {
        return;
    }
    let v = version.arg("version").output().expect("zig version");
    println!("zig {}", String::from_utf8_lossy(&v.stdout).trim());
    let inst = installed();
    let dir = scratch().join("zig");
    // Kept between runs (Zig's cache is safe for concurrent use): the build runner and
    // the standard library are compiled once.
    let cache = tmp("zig-cache").join("local");
    let out = dir.join("out");
    // build.zig: the build system's translate-c of multicast.h (no @cImport), include
    // directory and library from pkg-config; its cache and output outside the source tree.
    let mut build = zig(&["build", "--prefix"]);
    build
        .arg(&out)
        .arg("--cache-dir")
        .arg(&cache)
        .current_dir(root().join("bindings/zig"))
        .env("PKG_CONFIG_PATH", &inst.pkgconfig);
    run_ok(&mut build);
    let bin = out.join("bin/zig-example");
    assert!(
        !root().join("bindings/zig/.zig-cache").exists()
            && !root().join("bindings/zig/zig-out").exists(),
        "zig build wrote into bindings/zig"
    );
    let o = run_ok(Command::new(&bin).env("LD_LIBRARY_PATH", &inst.lib));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("OK: 4 packets arrived as expected"), "{err}");
    // Senders printed by mc_addr_format; the timer's five ticks, then it stopped the loop.
    assert!(
        err.contains("received \"zig-one\" (7 bytes from 127.0.0.1:"),
        "{err}"
    );
    assert!(
        err.contains("\ntick 5\n") && !err.contains("tick 6"),
        "{err}"
    );
    assert!(
        err.contains("OK: the timer ticked 5 times and stopped the loop"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ci_installs_the_zig_that_build_zig_is_written_for() {
    // .ci/run pins PyPI's ziglang to the version bindings/zig/build.zig uses.
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    let pin = ZIG_PIN.trim_start_matches("ziglang==");
    assert!(
        ci.lines().any(|l| l == format!("zig_pin={pin}")),
        ".ci/run does not pin ziglang {pin} (zig_pin={pin})"
    );
    let readme = std::fs::read_to_string(root().join("bindings/README.md")).unwrap();
    assert!(
        readme.contains(ZIG_PIN),
        "bindings/README.md does not say {ZIG_PIN}"
    );
}
