//! The consumers in bindings/ built and run inside the private network namespace the
//! runner made (tests/netns-run): the C++ wrapper's example and tests against the
//! freshly built libmulticast.so (also under valgrind when it is installed); the Zig
//! example with its build.zig (translate-c of multicast.h, pkg-config) and the Python
//! package installed with pip into a new venv, both against a `make install` in a
//! scratch prefix; the Python wheel that bundles the library (build-wheel), installed
//! into an empty venv on a machine without libmulticast; and the Python module's tests,
//! doctest and example from the source tree. A missing toolchain prints "SKIPPED: ..."
//! (support::skip) and passes, unless MC_REQUIRE_ALL=1 (CI), where it fails.

mod support;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::*;

/// The Zig that .ci/run installs (PyPI's ziglang); bindings/zig/build.zig is written for it.
const ZIG_PIN: &str = "ziglang==0.17.1";

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
    run(&mut build);
    let bin = out.join("bin/zig-example");
    assert!(
        !root().join("bindings/zig/.zig-cache").exists()
            && !root().join("bindings/zig/zig-out").exists(),
        "zig build wrote into bindings/zig"
    );
    let o = run(Command::new(&bin).env("LD_LIBRARY_PATH", &inst.lib));
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
fn python_module() {
    require_netns();
    if !require_tool("python3", "python3") {
        return;
    }
    let py = |args: &[&str]| {
        let mut c = Command::new("python3");
        c.args(args)
            .current_dir(root())
            .env("MULTICAST_LIB", lib_file())
            .env("PYTHONDONTWRITEBYTECODE", "1");
        c
    };
    // The unittest suite (real multicast; it runs the module's doctest too), then the example.
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

/// Python code run with `python` that exits 0 if its setuptools can build a wheel
/// offline (setuptools >= 70.1, or the wheel package beside it).
const CAN_BUILD_WHEEL: &str = "import importlib.util, sys, setuptools\n\
v = tuple(int(x) for x in setuptools.__version__.split('.')[:2])\n\
sys.exit(0 if v >= (70, 1) or importlib.util.find_spec('wheel') else 1)";

fn succeeds(cmd: &mut Command) -> bool {
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

/// Copies bindings/python as it is in git into `to` (not what builds leave there).
fn copy_python_sources(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name == "build"
            || name == "__pycache__"
            || name.ends_with(".egg-info")
            || name.starts_with("libmulticast.so")
        {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_python_sources(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

/// A new venv at `venv` that can build the package offline: plain, or if its setuptools
/// cannot, one that also sees the system's site packages (their setuptools and wheel).
/// Its python, or None after a skip.
fn building_venv(venv: &Path) -> Option<PathBuf> {
    let python = venv.join("bin/python");
    for args in [
        &["-m", "venv"][..],
        &["-m", "venv", "--system-site-packages"][..],
    ] {
        let _ = std::fs::remove_dir_all(venv);
        let mut make_venv = Command::new("python3");
        make_venv.args(args).arg(venv);
        if !succeeds(&mut make_venv) {
            skip(
                "python3 -m venv",
                "python3-venv",
                "python3 -m venv cannot make a virtual environment",
            );
            return None;
        }
        if succeeds(Command::new(&python).args(["-c", CAN_BUILD_WHEEL])) {
            return Some(python);
        }
    }
    skip(
        "setuptools+wheel",
        "python3-setuptools python3-wheel",
        "neither the venv nor the system has setuptools >= 70.1 or wheel, which pip needs offline",
    );
    None
}

#[test]
fn python_package_in_a_venv() {
    require_netns();
    if !require_tool("python3", "python3") {
        return;
    }
    let dir = scratch().join("python");
    let venv = dir.join("venv");
    let Some(python) = building_venv(&venv) else {
        return;
    };
    let inst = installed();
    // pip builds in the source directory: give it a copy of bindings/python, as it is in git.
    let src = dir.join("src");
    copy_python_sources(&root().join("bindings/python"), &src);
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-build-isolation",
            "--disable-pip-version-check",
        ])
        .arg(&src)
        .env("PIP_NO_CACHE_DIR", "1"));

    // The tests and the example, away from the sources: `import multicast` is the installed
    // module, which finds libmulticast.so.0 through the system's loader (LD_LIBRARY_PATH)...
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    for f in ["test_multicast.py", "example.py"] {
        std::fs::copy(root().join("bindings/python").join(f), work.join(f)).unwrap();
    }
    let py = |args: &[&str]| {
        let mut c = Command::new(&python);
        c.args(args)
            .current_dir(&work)
            .env_remove("MULTICAST_LIB")
            .env_remove("PYTHONPATH")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("LD_LIBRARY_PATH", &inst.lib);
        c
    };
    let o = run(&mut py(&[
        "-c",
        "import multicast; print(multicast.__file__); print(multicast.version())",
    ]));
    let out = String::from_utf8_lossy(&o.stdout);
    let mut lines = out.lines();
    let file = lines.next().unwrap_or("");
    assert!(
        file.starts_with(&venv.display().to_string()) && file.contains("site-packages"),
        "multicast is not the venv's installed module: {file}"
    );
    assert!(
        !Path::new(file).with_file_name("libmulticast.so.0").exists(),
        "pip install ./bindings/python bundled a library"
    );
    assert_eq!(lines.next(), Some(env!("CARGO_PKG_VERSION")), "{out}");
    let o = run(&mut py(&["-m", "unittest", "-v", "test_multicast"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("\nOK"), "{err}");
    // ...and MULTICAST_LIB overrides the loader: a directory holding libmulticast.so.0.
    let o = run(py(&["example.py"])
        .env_remove("LD_LIBRARY_PATH")
        .env("MULTICAST_LIB", &inst.lib));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("OK: all packets arrived as expected"), "{out}");
    // Without either, the loader does not find a library in a scratch prefix: a clear error.
    let o = py(&["-c", "import multicast"])
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        assert!(
            err.contains("libmulticast.so.0 not found: no copy bundled")
                && err.contains("set MULTICAST_LIB to its path"),
            "{err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn python_wheel_in_an_empty_venv() {
    require_netns();
    if !require_tool("python3", "python3") {
        return;
    }
    let dir = scratch().join("python-wheel");
    let Some(builder) = building_venv(&dir.join("build-venv")) else {
        return;
    };
    make_built();
    // build-wheel from a copy of bindings/python: the release build, bundled.
    let src = dir.join("src");
    copy_python_sources(&root().join("bindings/python"), &src);
    let wheels = dir.join("wheels");
    let o = run(Command::new(&builder)
        .arg(src.join("build-wheel"))
        .arg("--lib")
        .arg(root().join("target/release/libmulticast.so"))
        .arg("--out")
        .arg(&wheels));
    let wheel = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("-py3-none-linux_{}.whl", std::env::consts::ARCH);
    assert!(
        name.starts_with(&format!("libmulticast-{version}-")) && name.ends_with(&tag),
        "{name}: not a py3-none-linux wheel of {version}"
    );
    println!("{name}: {} bytes", std::fs::metadata(&wheel).unwrap().len());

    // An empty venv (pip only, no system site packages), the wheel and nothing else.
    let venv = dir.join("venv");
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run(Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "--no-index", "--no-deps"])
        .arg("--disable-pip-version-check")
        .arg(&wheel)
        .env("PIP_NO_CACHE_DIR", "1"));
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::copy(
        root().join("bindings/python/test_multicast.py"),
        work.join("test_multicast.py"),
    )
    .unwrap();
    // No library but the bundled one to be found: no MULTICAST_LIB, no LD_LIBRARY_PATH
    // (the scratch prefix of make install is not in the loader's cache).
    let py = |args: &[&str]| {
        let mut c = Command::new(venv.join("bin/python"));
        c.args(args)
            .current_dir(&work)
            .env_remove("MULTICAST_LIB")
            .env_remove("LD_LIBRARY_PATH")
            .env_remove("PYTHONPATH")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        c
    };
    let show = "import multicast; print(multicast.library_path); print(multicast.version())";
    let o = run(&mut py(&["-c", show]));
    let out = String::from_utf8_lossy(&o.stdout);
    let mut lines = out.lines();
    let loaded = lines.next().unwrap_or("");
    assert!(
        loaded.starts_with(&venv.display().to_string())
            && loaded.ends_with("site-packages/multicast/libmulticast.so.0"),
        "not the bundled library: {loaded}"
    );
    assert_eq!(lines.next(), Some(version), "{out}");
    // The module's doctest from the installed package (listen, sendto, poll, next)...
    let doctest = "import doctest, sys, multicast\n\
                   print(multicast.__file__)\n\
                   r = doctest.testmod(multicast, verbose=True)\n\
                   sys.exit(1 if r.failed or r.attempted < 5 else 0)";
    let o = run(&mut py(&["-c", doctest]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with(&venv.display().to_string()) && out.contains("b'test'"),
        "{out}"
    );
    // ...and the whole suite against it.
    let o = run(&mut py(&["-m", "unittest", "-v", "test_multicast"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("\nOK"), "{err}");
    // The system's library only when asked: MULTICAST_LIB=system (with LD_LIBRARY_PATH),
    // or a path.
    let system = lib_file();
    for (var, ld) in [("system", true), (system.to_str().unwrap(), false)] {
        let mut c = py(&["-c", show]);
        c.env("MULTICAST_LIB", var);
        if ld {
            c.env("LD_LIBRARY_PATH", lib_dir());
        }
        let o = run(&mut c);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(out.lines().next(), Some(system.to_str().unwrap()), "{out}");
    }
    // MULTICAST_LIB=system with nothing for the loader to find: an error, never the copy.
    let o = py(&["-c", show])
        .env("MULTICAST_LIB", "system")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout) + String::from_utf8_lossy(&o.stderr);
    if o.status.success() {
        assert!(!text.contains("site-packages/multicast/"), "{text}");
    } else {
        assert!(text.contains("libmulticast.so.0 not found"), "{text}");
    }
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
