//! Shared helpers of the integration tests: where the built library is, how
//! to compile a C program against it, and a guard that every test runs in a
//! private network namespace. The C test programs of tests/c/ run through one
//! runner, [`ctest::CTest`] (compile, namespace, valgrind, ASan, checks);
//! kernel features are probed by [`kernel`], programs with output read line by
//! line run through [`process`]; the command-line tools' tests share [`tools`]
//! (peers, waits, re-runs in nested namespaces) and [`json`] (mclisten -j);
//! the parsers' property tests (tests/fuzz_*.rs) share [`fuzz`] (the generator);
//! the install tests (tests/install_*.rs) share [`install`] (DESTDIR installs),
//! the routed tests (tests/routed_*.rs) [`routed`] (the re-run in
//! tests/netns-routed, its hosts).
#![allow(dead_code)]

pub mod ctest;
pub mod fuzz;
pub mod install;
pub mod json;
pub mod kernel;
pub mod process;
pub mod routed;
pub mod tools;

#[allow(unused_imports)]
pub use ctest::CTest;
#[allow(unused_imports)]
pub use kernel::{require_kernel, Feature};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Panics unless this process runs inside tests/netns-run's namespace.
pub fn require_netns() {
    assert_eq!(
        std::env::var("MC_NETNS").as_deref(),
        Ok("1"),
        "tests must run inside tests/netns-run (cargo's runner, see .cargo/config.toml)"
    );
    let names = std::fs::read_dir("/sys/class/net")
        .expect("/sys/class/net")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect::<Vec<_>>();
    for n in names {
        assert!(
            n == "lo" || n.starts_with("mc"),
            "interface {n} exists: refusing to run outside a private namespace"
        );
    }
}

/// Asserts that `script` (tests/netns-veth, tests/netns-routed) refuses to run
/// outside tests/netns-run (MC_NETNS unset) before it touches anything: exit 90,
/// "refusing" on stderr, its command not run.
pub fn assert_refuses_outside_runner(script: &str) {
    require_netns();
    let o = Command::new(root().join(script))
        .args(["sh", "-c", "echo ran"])
        .env_remove("MC_NETNS")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(90), "{o:?}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("ran"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("refusing"));
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the libmulticast.so built with this test binary:
/// target/<profile>/deps (cargo test does not copy it up to target/<profile>).
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap().to_path_buf();
    if deps.join("libmulticast.so").exists() {
        deps
    } else {
        deps.parent().unwrap().to_path_buf()
    }
}

/// A directory with libmulticast.so and its soname link libmulticast.so.0.
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("clib-{}", std::process::id()));
        link_lib_dir(&target_dir().join("libmulticast.so"), &dir)
    })
}

/// Makes `dir` hold libmulticast.so and libmulticast.so.0, links to `so`; returns `dir`.
pub fn link_lib_dir(so: &Path, dir: &Path) -> PathBuf {
    assert!(so.exists(), "{} not built", so.display());
    std::fs::create_dir_all(dir).unwrap();
    for name in ["libmulticast.so", "libmulticast.so.0"] {
        let link = dir.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(so, &link).unwrap();
    }
    dir.to_path_buf()
}

/// Scratch directory for build products, one per test process (the pid is
/// 1 in every namespace, so a clock reading tells runs apart).
pub fn scratch() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let exe = std::env::current_exe().unwrap();
        let name = exe.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        // Earlier runs' directories of this binary, an hour old or more, go.
        if let Ok(entries) = std::fs::read_dir(&tmp) {
            for e in entries.flatten() {
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|m| m.elapsed().ok());
                let mine = e
                    .file_name()
                    .to_string_lossy()
                    .starts_with(&format!("run-{name}-"));
                if mine && old.is_some_and(|o| o.as_secs() > 3600) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let d = tmp.join(format!("run-{name}-{t}"));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
    .clone()
}

/// Compiles C (or C++ for .cpp) sources into `name`, warning-free, linked to
/// the built libmulticast.so. Panics with the compiler's output on failure.
/// (The C test programs of tests/c/ run through [`CTest`].)
pub fn compile(name: &str, sources: &[&str]) -> PathBuf {
    compile_with(name, sources, lib_dir(), &[])
}

/// As [`compile`], linked to the libmulticast.so in `lib` (the ASan build:
/// ctest::asan_lib), with `flags` added (-fsanitize=address).
pub fn compile_with(name: &str, sources: &[&str], lib: &Path, flags: &[&str]) -> PathBuf {
    let out = scratch().join(name);
    let cxx = sources.iter().any(|s| s.ends_with(".cpp"));
    let mut cmd = Command::new(if cxx { "c++" } else { "cc" });
    if cxx {
        cmd.args(["-std=c++17", "-Wall", "-Wextra", "-Werror"]);
    } else {
        cmd.args(["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]);
    }
    cmd.arg("-g").arg("-O1").arg("-pthread").args(flags);
    cmd.arg("-I").arg(root().join("include"));
    cmd.arg("-I").arg(root().join("tests/c"));
    for s in sources {
        cmd.arg(root().join(s));
    }
    cmd.arg("-o")
        .arg(&out)
        .arg("-L")
        .arg(lib)
        .arg("-lmulticast");
    cmd.arg(format!("-Wl,-rpath,{}", lib.display()));
    let o = cmd.output().expect("running the C compiler");
    assert!(
        o.status.success(),
        "compiling {sources:?} {flags:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// A `cargo build` of this crate from inside a test: in the source root, offline, into its
/// own target directory `target/<dir>` (beside this build's), with nothing of the outer
/// cargo's or make's environment that would redirect or reconfigure it.
pub fn nested_cargo_build(dir: &str) -> (Command, PathBuf) {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join(dir);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root())
        .args(["build", "--locked", "--target-dir"])
        .arg(&target)
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
    (cmd, target)
}

/// The command, its exit status and both of its streams, for a failure message.
pub fn describe(cmd: &Command, o: &Output) -> String {
    format!(
        "{:?} exited {:?}\n--- stdout\n{}--- stderr\n{}",
        cmd,
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs a program; panics with its output unless it exits 0; prints its standard output.
pub fn run_ok(cmd: &mut Command) -> Output {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
    assert!(o.status.success(), "{}", describe(cmd, &o));
    print!("{}", String::from_utf8_lossy(&o.stdout));
    o
}

/// True if `tool` is on PATH.
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool} >/dev/null"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Prints past the test harness's capture (figures belong in the output).
pub fn say(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Where skips are recorded for `make test`'s summary line (tests/prereqs):
/// $MC_SKIP_FILE, or target/mc-skips.txt.
pub fn skip_file() -> PathBuf {
    match std::env::var_os("MC_SKIP_FILE") {
        Some(f) if !f.is_empty() => PathBuf::from(f),
        _ => PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("mc-skips.txt"),
    }
}

/// Skips the calling test for want of `tool` (installed by `package`): prints
/// "SKIPPED: ..." straight to stderr (the harness hides a passing test's
/// println!/eprintln!, a skip must be seen), records it in skip_file() for the
/// summary at the end of `make test`, and returns false. Under
/// MC_REQUIRE_ALL=1 (CI) a missing tool is a failure: it panics instead.
pub fn skip(tool: &str, package: &str, why: &str) -> bool {
    let msg = format!("{why} (install {package}, or run `sudo .ci/run`)");
    assert!(
        std::env::var("MC_REQUIRE_ALL").as_deref() != Ok("1"),
        "SKIPPED: {}: {msg}; MC_REQUIRE_ALL=1 makes a missing tool a failure",
        current_test()
    );
    record_skip(&msg, &format!("tool\t{tool}\t{package}"));
    false
}

/// "binary::test" of the calling test (its thread's name, the test binary's stem).
pub fn current_test() -> String {
    let test = std::thread::current()
        .name()
        .unwrap_or("?")
        .rsplit("::")
        .next()
        .unwrap_or("?")
        .to_string();
    let exe = std::env::current_exe().unwrap();
    let binary = exe
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .split('-')
        .next()
        .unwrap_or("")
        .to_string();
    format!("{binary}::{test}")
}

/// Prints "SKIPPED: binary::test: `why`" to stderr and appends the line
/// "`fields`<TAB>binary::test" to skip_file() (tests/prereqs summary reads it:
/// "tool<TAB>TOOL<TAB>PACKAGE" or "kernel<TAB>FEATURE<TAB>HOW").
pub fn record_skip(why: &str, fields: &str) {
    use std::io::Write;
    let test = current_test();
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}");
    let file = skip_file();
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
    {
        // One write per line: concurrent tests append whole lines.
        let _ = f.write_all(format!("{fields}\t{test}\n").as_bytes());
    }
}

/// True if `tool` is on PATH; otherwise skips the calling test (see skip):
/// prints "SKIPPED: ...", records it for the summary, returns false, or
/// panics under MC_REQUIRE_ALL=1.
///
/// ```ignore
/// if !require_tool("socat", "socat") { return; }
/// ```
pub fn require_tool(tool: &str, package: &str) -> bool {
    have(tool) || skip(tool, package, &format!("{tool} not found"))
}

/// `make ARGS` in the repository, without the environment of the surrounding
/// cargo/make (jobserver, the test's LD_LIBRARY_PATH, install variables);
/// offline: tests run in a namespace without a network. Panics with make's
/// output unless it succeeds; returns its stdout.
pub fn make(args: &[&str]) -> String {
    let mut cmd = make_command(args);
    let o = run_ok(&mut cmd);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The Command of make(): for callers that expect a failure.
pub fn make_command(args: &[&str]) -> Command {
    let mut cmd = Command::new("make");
    cmd.current_dir(root())
        .arg("--no-print-directory")
        .args(args);
    for var in [
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "CARGO_MAKEFLAGS",
        "LD_LIBRARY_PATH",
        "DESTDIR",
        "PREFIX",
        "LIBDIR",
        "INCLUDEDIR",
        "BINDIR",
        "MANDIR",
        "PKGCONFIGDIR",
        "CMAKEDIR",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("CARGO_NET_OFFLINE", "true");
    cmd
}

/// `make` (the release build, the tools and what install needs) once per test process.
pub fn make_built() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        make(&[]);
    });
}

/// An installed libmulticast: `make` then `make install PREFIX=<scratch>/prefix`
/// (no DESTDIR, so multicast.pc and the CMake package hold real paths; LDCONFIG=true:
/// the system's loader cache is not touched), once per test process.
pub struct Installed {
    pub prefix: PathBuf,
    pub lib: PathBuf,
    pub include: PathBuf,
    pub pkgconfig: PathBuf,
}

pub fn installed() -> &'static Installed {
    static INST: OnceLock<Installed> = OnceLock::new();
    INST.get_or_init(|| {
        make_built();
        let prefix = scratch().join("prefix");
        let p = prefix.display().to_string();
        assert!(
            !p.contains(char::is_whitespace),
            "scratch path with spaces: {p}"
        );
        make(&[
            "install",
            &format!("PREFIX={p}"),
            "LIBDIR=lib",
            "LDCONFIG=true",
        ]);
        Installed {
            lib: prefix.join("lib"),
            include: prefix.join("include"),
            pkgconfig: prefix.join("lib/pkgconfig"),
            prefix,
        }
    })
}
