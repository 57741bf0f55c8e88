//! The Go binding (bindings/go) checked with Go's own tools, inside the runner's
//! private network namespace (tests/netns-run), never elsewhere: its tests send
//! and receive real multicast.
//!
//! - `go vet` and `go test` the default way, `#cgo pkg-config: multicast`,
//!   against a `make install` in a scratch prefix (PKG_CONFIG_PATH);
//! - the package from the checkout with `-tags multicast_nopkgconfig` and
//!   CGO_CFLAGS/CGO_LDFLAGS pointing at include/ and the built library;
//! - a new module in a temporary directory outside the repository that depends
//!   on the binding exactly as bindings/go/README.md says ("From your module":
//!   its commands, its example program as main.go), built and run.
//!
//! Nothing is downloaded: the module has no dependencies, GOPROXY=off, and
//! GOCACHE/GOPATH live in a scratch directory under CARGO_TARGET_TMPDIR.
//! Without `go` the tests print "SKIPPED: ..." and pass, unless
//! MC_REQUIRE_ALL=1 (CI sets it): then they fail.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// The module path of bindings/go (its go.mod).
const MODULE: &str = "github.com/libmulticast/libmulticast/bindings/go";

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

/// The hermetic environment of every go command: no network, no user
/// configuration, caches in the scratch directory, no CGO or pkg-config
/// flags (callers add what they use).
fn hermetic(cmd: &mut Command) -> &mut Command {
    let s = go_scratch();
    cmd.env("CGO_ENABLED", "1")
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
        .env_remove("PKG_CONFIG_PATH")
        .env_remove("LD_LIBRARY_PATH")
}

/// `go ARGS` in bindings/go.
fn go(args: &[&str]) -> Command {
    let mut cmd = Command::new("go");
    cmd.args(args).current_dir(root().join("bindings/go"));
    hermetic(&mut cmd);
    cmd
}

/// `go ARGS` the default way: pkg-config finds the scratch install.
fn go_installed(args: &[&str]) -> Command {
    let inst = installed();
    let mut cmd = go(args);
    cmd.env("PKG_CONFIG_PATH", &inst.pkgconfig)
        .env("LD_LIBRARY_PATH", &inst.lib);
    cmd
}

fn go_available() -> bool {
    require_tool("go", "golang-go") && require_tool("pkg-config", "pkg-config")
}

#[test]
fn go_vet_and_go_test_with_pkg_config() {
    require_netns();
    if !go_available() {
        return;
    }
    run_ok(&mut go_installed(&["version"]));
    run_ok(&mut go_installed(&["vet", "./..."]));
    run_ok(&mut go_installed(&[
        "test",
        "-count=1",
        "-timeout=300s",
        "-v",
        "./...",
    ]));
}

#[test]
fn go_builds_from_the_checkout_without_pkg_config() {
    require_netns();
    if !require_tool("go", "golang-go") {
        return;
    }
    let lib = lib_dir();
    let dir = go_scratch().join(format!("nopc-{}", scratch_tag()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("multicast.test");
    // No pkg-config: the flags come from CGO_CFLAGS/CGO_LDFLAGS only.
    run_ok(
        go(&["test", "-c", "-tags", "multicast_nopkgconfig", "-o"])
            .arg(&bin)
            .arg(".")
            .env("CGO_CFLAGS", flag("-I", &root().join("include")))
            .env(
                "CGO_LDFLAGS",
                format!(
                    "{} -lmulticast {}",
                    flag("-L", lib),
                    flag("-Wl,-rpath,", lib)
                ),
            )
            .env("PKG_CONFIG", "false"),
    );
    run_ok(
        Command::new(&bin)
            .args([
                "-test.count=1",
                "-test.v",
                "-test.run",
                "^(TestVersion|TestSendListen|TestErrors)$",
            ])
            .current_dir(root().join("bindings/go")),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A unique name part for this test process (the pid is 1 in every namespace).
fn scratch_tag() -> String {
    scratch()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// The first fenced block of `lang` after the line `heading` in `text`.
fn block_after(text: &str, heading: &str, lang: &str) -> String {
    let rest = &text[text
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"))..];
    let fence = format!("```{lang}\n");
    let start = rest
        .find(&fence)
        .unwrap_or_else(|| panic!("no ```{lang} block after {heading:?}"))
        + fence.len();
    let len = rest[start..].find("```").expect("unterminated block");
    rest[start..start + len].to_string()
}

#[test]
fn a_go_module_outside_the_repository_depends_on_it_as_the_readme_says() {
    require_netns();
    if !go_available() {
        return;
    }
    let go_mod = std::fs::read_to_string(root().join("bindings/go/go.mod")).unwrap();
    assert_eq!(
        go_mod.lines().next(),
        Some(format!("module {MODULE}").as_str()),
        "bindings/go/go.mod: the module path must be where it lives in this repository"
    );
    let readme = std::fs::read_to_string(root().join("bindings/go/README.md")).unwrap();
    let commands = block_after(&readme, "### From your module", "sh");
    let program = block_after(&readme, "## Using it", "go");
    assert!(commands.contains(MODULE) && program.contains(MODULE));

    let inst = installed();
    // Outside the repository: a new module in the system's temporary directory.
    let dir = std::env::temp_dir().join(format!("mc-go-module-{}", scratch_tag()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.go"), &program).unwrap();
    let mut init = Command::new("go");
    init.args(["mod", "init", "example.com/mcapp"])
        .current_dir(&dir);
    hermetic(&mut init);
    run_ok(&mut init);
    // The README's commands, as written, with its two names set.
    let mut sh = Command::new("sh");
    sh.args(["-ex", "-c", &commands]).current_dir(&dir);
    hermetic(&mut sh);
    sh.env("LIBMULTICAST", root()).env("PREFIX", &inst.prefix);
    run_ok(&mut sh);

    // Run it: the loader finds the installed library through LD_LIBRARY_PATH, as the
    // README says for a prefix it does not search.
    let o = run_ok(Command::new(dir.join("mcapp")).env("LD_LIBRARY_PATH", &inst.lib));
    let out = String::from_utf8_lossy(&o.stdout);
    for i in 0..3 {
        assert!(
            out.contains(&format!("\"hello {i}\" from 127.0.0.1:")),
            "{out}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
