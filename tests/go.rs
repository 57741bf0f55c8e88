//! The Go binding (bindings/go) checked with Go's own tools against the
//! libmulticast.so this `cargo test` built: `go vet`, then `go test`, whose
//! tests send and receive real multicast, so they run here, inside the
//! runner's private network namespace (tests/netns-run), never elsewhere.
//! A second test builds the package the pkg-config way
//! (-tags multicast_pkgconfig, `#cgo pkg-config: multicast`) and runs a few
//! of its tests.
//!
//! Nothing is downloaded: the module has no dependencies, GOPROXY=off, and
//! GOCACHE/GOPATH live in a scratch directory under CARGO_TARGET_TMPDIR.
//! Without `go` the tests print "SKIPPED: go not found (install golang-go)"
//! and pass, unless MC_REQUIRE_ALL=1 (CI sets it): then they fail.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// True if `tool` may be used; prints the SKIPPED line (or, with
/// MC_REQUIRE_ALL=1, fails) when it is missing.
fn available(tool: &str, package: &str) -> bool {
    if have(tool) {
        return true;
    }
    assert!(
        std::env::var("MC_REQUIRE_ALL").as_deref() != Ok("1"),
        "{tool} not found (install {package}); MC_REQUIRE_ALL=1 makes a missing tool a failure"
    );
    // Straight to fd 2: the test harness captures println!/eprintln! of a
    // passing test, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {tool} not found (install {package})"
    );
    false
}

/// Scratch space for Go's caches, kept between runs (Go's cache is safe
/// for concurrent use), so only the first run compiles the standard library.
fn go_scratch() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go");
    for sub in ["cache", "path", "tmp"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    d
}

/// One CGO_* flag, quoted if the path holds spaces (cmd/go splits these
/// variables like a shell).
fn flag(prefix: &str, path: &Path) -> String {
    let p = path.display().to_string();
    if p.contains(char::is_whitespace) {
        format!("'{prefix}{p}'")
    } else {
        format!("{prefix}{p}")
    }
}

/// `go ARGS` in bindings/go with a hermetic environment: no network, no user
/// configuration, caches in the scratch directory, no CGO flags (callers add
/// them).
fn go(args: &[&str]) -> Command {
    let s = go_scratch();
    let mut cmd = Command::new("go");
    cmd.args(args)
        .current_dir(root().join("bindings/go"))
        .env("CGO_ENABLED", "1")
        .env("GOFLAGS", "-mod=mod")
        .env("GOCACHE", s.join("cache"))
        .env("GOPATH", s.join("path"))
        .env("GOTMPDIR", s.join("tmp"))
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOTELEMETRY", "off")
        .env("GOWORK", "off")
        .env("GOENV", "off")
        .env_remove("CGO_CFLAGS")
        .env_remove("CGO_LDFLAGS")
        .env_remove("PKG_CONFIG_PATH");
    cmd
}

/// `go ARGS` with the CGO flags pointing at include/ and the built library.
fn go_cgo(args: &[&str]) -> Command {
    let lib = lib_dir();
    let mut cmd = go(args);
    cmd.env("CGO_CFLAGS", flag("-I", &root().join("include")))
        .env(
            "CGO_LDFLAGS",
            format!(
                "{} -lmulticast {}",
                flag("-L", lib),
                flag("-Wl,-rpath,", lib)
            ),
        );
    cmd
}

#[test]
fn go_vet_and_go_test() {
    require_netns();
    if !available("go", "golang-go") {
        return;
    }
    run_ok(&mut go_cgo(&["version"]));
    run_ok(&mut go_cgo(&["vet", "./..."]));
    run_ok(&mut go_cgo(&[
        "test",
        "-count=1",
        "-timeout=300s",
        "-v",
        "./...",
    ]));
}

#[test]
fn go_builds_with_pkg_config() {
    require_netns();
    if !available("go", "golang-go") || !available("pkg-config", "pkg-config") {
        return;
    }
    let lib = lib_dir();
    let dir = go_scratch().join(format!("pc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("multicast.pc"),
        format!(
            "libdir={}\nincludedir={}\n\nName: multicast\nDescription: libmulticast (test)\n\
             Version: {}\nLibs: -L${{libdir}} -lmulticast\nCflags: -I${{includedir}}\n",
            lib.display(),
            root().join("include").display(),
            env!("CARGO_PKG_VERSION")
        ),
    )
    .unwrap();
    let bin = dir.join("multicast.test");
    // No CGO_CFLAGS/CGO_LDFLAGS: everything must come from pkg-config.
    run_ok(
        go(&["test", "-c", "-tags", "multicast_pkgconfig", "-o"])
            .arg(&bin)
            .arg(".")
            .env("PKG_CONFIG_PATH", &dir),
    );
    run_ok(
        Command::new(&bin)
            .args([
                "-test.count=1",
                "-test.v",
                "-test.run",
                "^(TestVersion|TestSendListen|TestErrors)$",
            ])
            .current_dir(root().join("bindings/go"))
            .env("LD_LIBRARY_PATH", lib),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
