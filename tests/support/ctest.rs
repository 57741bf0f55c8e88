//! The one runner of the C test programs of tests/c/ (and tests/soak/):
//! compile against the library built with this test binary, run in the
//! network namespace the test asks for, optionally under valgrind or with
//! AddressSanitizer, and assert.
//!
//! ```ignore
//! CTest::new("listener").valgrind().run();             // tests/c/listener.c on lo
//! CTest::new("veth").case("loop").veth().run();         // under tests/netns-veth
//! CTest::new("groups_limits").case("star").fresh_netns(STAR).valgrind().run();
//! CTest::new("handles").asan().env("MC_TEST_CYCLES", "20000").run();
//! let bin = CTest::new("routed_hold").build();          // compiled only
//! ```
//!
//! What `run` does, in order:
//!
//! - checks the network namespace: every C program runs inside tests/netns-run's
//!   private namespace (cargo's runner), never in this machine's own
//!   ([`require_netns`](super::require_netns)); the tools a place needs are asserted;
//! - compiles the sources once per test process (`-std=c99 -Wall -Wextra -Wpedantic
//!   -Werror`, see [`compile`](super::compile)), against the built libmulticast.so, or
//!   with `-fsanitize=address` against an ASan build of the library ([`CTest::asan`]);
//! - runs the program where [`Place`] says (the runner's namespace on lo, a veth pair to
//!   a peer namespace, a fresh namespace of the test's own), bounded by `timeout` when a
//!   limit is set and the tool is there;
//! - asserts exit 0 and, for a case, the program's line "PROGRAM CASE: all checks passed"
//!   (check.h's `check_done`); under ASan also that no sanitizer report was printed;
//! - with [`CTest::valgrind`], runs it again under valgrind (`-q --leak-check=full
//!   --errors-for-leak-kinds=definite --error-exitcode=1`), with the same checks.
//!
//! [`CTest::command`] runs a command line in a place instead of a program (a
//! script that checks the place); [`CTest::output`] runs once and checks
//! nothing (for programs that must fail, the ASan canaries). Programs are
//! compiled one at a time per test process (a lock), each once.
//!
//! Kernel features are not probed here: a test that needs one calls
//! [`require_kernel`](super::require_kernel) (or [`kernel::gso_and_gro`](super::kernel))
//! first and returns when it skipped.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use super::{
    compile_with, have, nested_cargo_build, require_netns, root, run_ok, say, scratch, skip,
};

/// valgrind's flags for every C test: leaks of definitely lost memory and
/// any error fail the run.
pub const VALGRIND: [&str; 4] = [
    "-q",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite",
    "--error-exitcode=1",
];

/// ASan and LeakSanitizer, stopping at the first error.
pub const ASAN_OPTIONS: &str =
    "detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1";

/// Where a C test program runs.
#[derive(Clone, Debug)]
pub enum Place {
    /// The runner's private namespace (tests/netns-run): lo, IPv4 multicast.
    Lo,
    /// Under tests/netns-veth: a fresh namespace with mc0 and its veth peer
    /// mc1 in a peer namespace (`two`: also mc2 and mc3 in a second peer).
    Veth { two: bool },
    /// `unshare --net`: a namespace of the test's own, nested in the runner's,
    /// set up by the bash script given first (for per-namespace sysctls and
    /// many links).
    Fresh(String),
}

/// One run of a C test program: see the module's doc.
#[derive(Clone, Debug)]
pub struct CTest {
    name: String,
    sources: Vec<String>,
    args: Vec<OsString>,
    case: Option<String>,
    env: Vec<(String, String)>,
    valgrind_env: Vec<(String, String)>,
    valgrind: bool,
    asan: bool,
    place: Place,
    timeout: Option<u32>,
    /// A command line to run instead of a compiled program (CTest::command).
    command: Option<Vec<OsString>>,
}

impl CTest {
    /// The program `name`, from tests/c/NAME.c, run on lo, natively only.
    pub fn new(name: &str) -> CTest {
        CTest {
            name: name.to_string(),
            sources: vec![format!("tests/c/{name}.c")],
            args: Vec::new(),
            case: None,
            env: Vec::new(),
            valgrind_env: Vec::new(),
            valgrind: false,
            asan: false,
            place: Place::Lo,
            timeout: None,
            command: None,
        }
    }

    /// A command line (`argv[0]` looked up on PATH) run in the place like a
    /// program: nothing is compiled (a script that checks a place itself).
    pub fn command(argv: &[&str]) -> CTest {
        let mut t = CTest::new(argv[0]);
        t.sources.clear();
        t.command = Some(argv.iter().map(OsString::from).collect());
        t
    }

    /// Other sources (paths from the repository root; .cpp: compiled as C++17).
    pub fn sources(mut self, sources: &[&str]) -> CTest {
        self.sources = sources.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Command-line arguments.
    pub fn args<S: AsRef<OsStr>>(mut self, args: &[S]) -> CTest {
        self.args
            .extend(args.iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// Runs the case `case` (`PROGRAM CASE`) and asserts its pass line.
    pub fn case(mut self, case: &str) -> CTest {
        self.case = Some(case.to_string());
        self
    }

    /// An environment variable of every run.
    pub fn env(mut self, key: &str, value: &str) -> CTest {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Also runs it under valgrind, after the native run passed.
    pub fn valgrind(mut self) -> CTest {
        self.valgrind = true;
        self
    }

    /// An environment variable of the valgrind run only (fewer cycles).
    pub fn valgrind_env(mut self, key: &str, value: &str) -> CTest {
        self.valgrind_env.push((key.to_string(), value.to_string()));
        self
    }

    /// Compiled with -fsanitize=address against the ASan build of the library
    /// ([`asan_lib`]) and run in a namespace of its own (tests/netns-run
    /// inside the runner's) with LeakSanitizer on, instead of natively. A
    /// compiler without libasan skips the test (see [`have_libasan`]).
    pub fn asan(mut self) -> CTest {
        self.asan = true;
        self
    }

    /// Runs under tests/netns-veth (mc0 <-> mc1 in a peer namespace).
    pub fn veth(mut self) -> CTest {
        self.place = Place::Veth { two: false };
        self
    }

    /// Runs under tests/netns-veth --two (also mc2 <-> mc3 in a second peer).
    pub fn veth_two(mut self) -> CTest {
        self.place = Place::Veth { two: true };
        self
    }

    /// Runs in a fresh network namespace (`unshare --net`) set up by `setup`.
    pub fn fresh_netns(mut self, setup: &str) -> CTest {
        self.place = Place::Fresh(setup.to_string());
        self
    }

    /// Bounds the native run to `secs` (`timeout -k 5`); valgrind gets 2.5 times that.
    pub fn timeout(mut self, secs: u32) -> CTest {
        self.timeout = Some(secs);
        self
    }

    /// The program, compiled once per test process and build (plain, ASan);
    /// for a [`CTest::command`], its argv[0].
    pub fn build(&self) -> PathBuf {
        if let Some(command) = &self.command {
            return PathBuf::from(&command[0]);
        }
        static BUILT: Mutex<Option<HashMap<(String, bool), PathBuf>>> = Mutex::new(None);
        let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
        built
            .get_or_insert_with(HashMap::new)
            .entry((self.name.clone(), self.asan))
            .or_insert_with(|| {
                let sources: Vec<&str> = self.sources.iter().map(String::as_str).collect();
                if self.asan {
                    let name = format!("{}-asan", self.name);
                    compile_with(
                        &name,
                        &sources,
                        asan_lib(),
                        &["-fsanitize=address", "-fno-omit-frame-pointer"],
                    )
                } else {
                    compile_with(&self.name, &sources, super::lib_dir(), &[])
                }
            })
            .clone()
    }

    /// The pass line a case prints.
    fn pass_line(&self) -> Option<String> {
        self.case
            .as_ref()
            .map(|c| format!("{} {c}: all checks passed", self.name))
    }

    /// The command of one run: the place's wrapper, valgrind if asked, the
    /// program and its arguments.
    fn cmd(&self, bin: &Path, valgrind: bool) -> Command {
        let mut argv: Vec<OsString> = Vec::new();
        let secs = self.timeout.map(|s| if valgrind { s * 5 / 2 } else { s });
        if let Some(secs) = secs.filter(|_| have("timeout")) {
            argv.extend(["timeout", "-k", "5"].map(OsString::from));
            argv.push(secs.to_string().into());
        }
        if self.asan {
            argv.push(root().join("tests/netns-run").into());
        }
        match &self.place {
            Place::Lo => {}
            Place::Veth { two } => {
                argv.push(root().join("tests/netns-veth").into());
                if *two {
                    argv.push("--two".into());
                }
            }
            Place::Fresh(setup) => {
                let script = format!("set -e\n{setup}\nexec \"$@\"");
                argv.extend(
                    ["unshare", "--net", "--", "bash", "-c", &script, "bash"].map(OsString::from),
                );
            }
        }
        if valgrind {
            argv.push("valgrind".into());
            argv.extend(VALGRIND.map(OsString::from));
        }
        match &self.command {
            Some(command) => argv.extend(command.iter().cloned()),
            None => argv.push(bin.into()),
        }
        argv.extend(self.args.iter().cloned());
        argv.extend(self.case.iter().map(OsString::from));
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..]);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if valgrind {
            for (k, v) in &self.valgrind_env {
                cmd.env(k, v);
            }
        }
        if matches!(self.place, Place::Veth { .. }) {
            cmd.env("MC_MCAST_PY", root().join("tests/peers/mcast.py"));
        }
        if self.asan {
            // cargo's LD_LIBRARY_PATH holds the uninstrumented library.
            cmd.env("ASAN_OPTIONS", ASAN_OPTIONS)
                .env("LD_LIBRARY_PATH", asan_lib());
        }
        cmd
    }

    /// Asserts the namespace and the tools of the place.
    fn check_place(&self) {
        require_netns();
        let tools: &[&str] = match self.place {
            Place::Lo => &[],
            Place::Veth { .. } => &["python3", "nsenter", "unshare", "setpriv", "ip"],
            Place::Fresh(_) => &["unshare", "bash", "ip"],
        };
        for t in tools {
            assert!(
                have(t),
                "{t} is required by the C tests (apt-get install -y python3 util-linux iproute2)"
            );
        }
        if self.valgrind {
            assert!(
                have("valgrind"),
                "valgrind is required by make test (.ci/run installs it)"
            );
        }
    }

    /// The output of one run (native, or ASan with [`CTest::asan`]) without
    /// any check: for the tests that expect a failure.
    pub fn output(&self) -> Output {
        self.check_place();
        let mut cmd = self.cmd(&self.build(), false);
        let t = Instant::now();
        let o = cmd.output().expect("starting the C test program");
        if self.asan {
            say(&format!(
                "asan: {} {} ran in {:.1} s",
                self.name,
                self.case.as_deref().unwrap_or(""),
                t.elapsed().as_secs_f64()
            ));
        }
        o
    }

    /// Runs it (see the module's doc) and returns the output of the first
    /// run; returns None, the test skipped, when ASan was asked for and the
    /// compiler cannot link it.
    pub fn run(&self) -> Option<Output> {
        if self.asan && !have_libasan() {
            return None;
        }
        self.check_place();
        let bin = self.build();
        let mut first = None;
        for valgrind in [false, true] {
            if valgrind && !self.valgrind {
                break;
            }
            let o = if self.asan {
                let o = self.output();
                let text = context(&format!("{:?}", self.cmd(&bin, false)), &o);
                assert!(!asan_reported(&o), "AddressSanitizer report:\n{text}");
                assert!(o.status.success(), "{text}");
                o
            } else {
                run_ok(&mut self.cmd(&bin, valgrind))
            };
            if let Some(want) = self.pass_line() {
                let out = String::from_utf8_lossy(&o.stdout);
                assert!(
                    out.contains(&want),
                    "no line {want:?} (valgrind: {valgrind}) in:\n{out}"
                );
            }
            first.get_or_insert(o);
        }
        first
    }
}

/// What ran (`what`) and its output, for a failed assertion.
pub fn context(what: &str, o: &Output) -> String {
    format!(
        "{what} exited {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

// ---------------------------------------------------------------------------
// AddressSanitizer
//
// The library is built with the stable toolchain's unstable sanitizer flag
// (std stays uninstrumented; no nightly, no -Zbuild-std):
//
//     RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zsanitizer=address \
//         cargo build --target x86_64-unknown-linux-gnu --target-dir target/asan
//
// (--target keeps the flag off build scripts; target/asan is reused, so only
// the first build is slow). A cdylib does not carry the ASan runtime: the
// programs, compiled with -fsanitize=address, bring the C compiler's (gcc's
// libasan, the same compiler-rt ABI). No suppressions are needed.

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
pub fn asan_lib() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // target/asan next to the target directory of this build.
        let triple = host();
        let (mut cmd, target) = nested_cargo_build("asan");
        cmd.args(["--target", &triple])
            .env("RUSTC_BOOTSTRAP", "1")
            .env("RUSTFLAGS", "-Zsanitizer=address");
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
        super::link_lib_dir(
            &target.join(&triple).join("debug/libmulticast.so"),
            &scratch().join("asan-lib"),
        )
    })
}

/// True if the output holds a sanitizer report.
pub fn asan_reported(o: &Output) -> bool {
    let err = String::from_utf8_lossy(&o.stderr);
    err.contains("ERROR: AddressSanitizer")
        || err.contains("ERROR: LeakSanitizer")
        || err.contains("SUMMARY: AddressSanitizer")
}

/// True if the C compiler links -fsanitize=address programs (gcc needs
/// libasan); otherwise the calling test is skipped (support::skip).
pub fn have_libasan() -> bool {
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
