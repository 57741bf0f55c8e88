//! The Python binding (bindings/python) as its users meet it, inside the private network
//! namespace the runner made (tests/netns-run): the module's tests, doctest and example
//! from the source tree; the package installed with pip into a new venv against a `make
//! install` in a scratch prefix; and the wheel that bundles the library (build-wheel),
//! installed into an empty venv on a machine without libmulticast. A missing python3 or
//! venv prints "SKIPPED: ..." (support::skip) and passes, unless MC_REQUIRE_ALL=1 (CI).

mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// The freshly built library, as MULTICAST_LIB names it.
fn lib_file() -> PathBuf {
    lib_dir().join("libmulticast.so.0")
}

/// The arguments of `python -m unittest discover` that runs the tests in `dir` (the files
/// test_*.py of bindings/python/tests, or of a copy).
fn unittest(dir: &str) -> [&str; 6] {
    ["-m", "unittest", "discover", "-v", "-s", dir]
}

/// The output of a unittest run passed, and it ran tests (Python before 3.12 says OK
/// after "Ran 0 tests" when discover finds none).
fn assert_unittest_ok(o: &std::process::Output) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("\nOK") && !err.contains("Ran 0 tests"),
        "{err}"
    );
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
    let o = run_ok(&mut py(&unittest("bindings/python/tests")));
    assert_unittest_ok(&o);
    let o = run_ok(&mut py(&["bindings/python/example.py"]));
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
    run_ok(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--no-index",
                "--no-build-isolation",
                "--disable-pip-version-check",
            ])
            .arg(&src)
            .env("PIP_NO_CACHE_DIR", "1"),
    );

    // The tests and the example, away from the sources: `import multicast` is the installed
    // module, which finds libmulticast.so.0 through the system's loader (LD_LIBRARY_PATH)...
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    copy_python_sources(&root().join("bindings/python/tests"), &work.join("tests"));
    std::fs::copy(
        root().join("bindings/python/example.py"),
        work.join("example.py"),
    )
    .unwrap();
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
    let o = run_ok(&mut py(&[
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
    let o = run_ok(&mut py(&unittest("tests")));
    assert_unittest_ok(&o);
    // ...and MULTICAST_LIB overrides the loader: a directory holding libmulticast.so.0.
    let o = run_ok(
        py(&["example.py"])
            .env_remove("LD_LIBRARY_PATH")
            .env("MULTICAST_LIB", &inst.lib),
    );
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

/// The directory called `name` under `dir` (depth first), if any.
fn find_dir(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            if e.file_name() == name {
                return Some(e.path());
            }
            if let Some(found) = find_dir(&e.path(), name) {
                return Some(found);
            }
        }
    }
    None
}

/// THIRD_PARTY.txt, which the wheel carries, names the crates of `cargo tree -e normal`
/// with their versions and MIT licenses: bindings/python/third-party --check.
#[test]
fn python_third_party_notice_is_cargo_tree() {
    require_netns();
    if !require_tool("python3", "python3") {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = run_ok(
        Command::new("python3")
            .arg(root().join("bindings/python/third-party"))
            .arg("--check")
            .env("CARGO", cargo),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("THIRD_PARTY.txt: up to date"), "{out}");
    let notice = std::fs::read_to_string(root().join("bindings/python/THIRD_PARTY.txt")).unwrap();
    for krate in ["libc ", "socket2 ", "regex "] {
        assert!(
            notice.contains(&format!("\n- {krate}")),
            "{krate}not in:\n{notice}"
        );
    }
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
    let o = run_ok(
        Command::new(&builder)
            .arg(src.join("build-wheel"))
            .arg("--lib")
            .arg(root().join("target/release/libmulticast.so"))
            .arg("--out")
            .arg(&wheels),
    );
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
    run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run_ok(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--no-index", "--no-deps"])
            .arg("--disable-pip-version-check")
            .arg(&wheel)
            .env("PIP_NO_CACHE_DIR", "1"),
    );
    // The installed dist-info holds the license and the notice of the crates linked in
    // (in it, or in its licenses/ with setuptools >= 77).
    let dist_info = find_dir(&venv, &format!("libmulticast-{version}.dist-info"))
        .expect("no libmulticast dist-info in the venv");
    for (file, want) in [
        ("LICENSE", root().join("LICENSE")),
        (
            "THIRD_PARTY.txt",
            root().join("bindings/python/THIRD_PARTY.txt"),
        ),
    ] {
        let got = [dist_info.join(file), dist_info.join("licenses").join(file)]
            .into_iter()
            .find(|f| f.is_file())
            .unwrap_or_else(|| panic!("no {file} in {}", dist_info.display()));
        assert_eq!(
            std::fs::read_to_string(&got).unwrap(),
            std::fs::read_to_string(&want).unwrap(),
            "{} is not {}",
            got.display(),
            want.display()
        );
    }
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    copy_python_sources(&root().join("bindings/python/tests"), &work.join("tests"));
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
    let o = run_ok(&mut py(&["-c", show]));
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
    let o = run_ok(&mut py(&["-c", doctest]));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with(&venv.display().to_string()) && out.contains("b'test'"),
        "{out}"
    );
    // ...and the whole suite against it.
    let o = run_ok(&mut py(&unittest("tests")));
    assert_unittest_ok(&o);
    // The system's library only when asked: MULTICAST_LIB=system (with LD_LIBRARY_PATH),
    // or a path.
    let system = lib_file();
    for (var, ld) in [("system", true), (system.to_str().unwrap(), false)] {
        let mut c = py(&["-c", show]);
        c.env("MULTICAST_LIB", var);
        if ld {
            c.env("LD_LIBRARY_PATH", lib_dir());
        }
        let o = run_ok(&mut c);
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
