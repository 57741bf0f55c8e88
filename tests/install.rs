//! Installing as distributions do: `make` builds, then `make install
//! DESTDIR=<scratch> PREFIX=/usr LIBDIR=/usr/lib/<multiarch>` only copies (with
//! sudo's PATH and CARGO=false: no cargo, no rustc) the versioned library, its
//! soname and development links, the static library, the header and the C++
//! wrapper, multicast.pc, the CMake package, the tools and their man pages;
//! without a build it says "run make first". Out-of-tree consumers build
//! against the result and run: a C program (tests/install/app.c) with nothing
//! but `pkg-config` (shared, and `--static` with `cc -static`), and a CMake
//! project (tests/install/cmake: C and C++, find_package(multicast MAJOR.MINOR),
//! shared and MULTICAST_USE_STATIC_LIBS=ON). `make install-strip` strips;
//! `make uninstall` leaves no file behind. Also: the version has one source
//! (Cargo.toml) that mc_version(), the file name, the soname, multicast.pc, the
//! CMake package, the Python package and debian/changelog all agree with, and the minimum Rust
//! version is said the same way everywhere.
//!
//! Without pkg-config or cmake their tests print "SKIPPED: ..." and pass (a
//! failure under MC_REQUIRE_ALL=1).

mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");
const MINOR: &str = env!("CARGO_PKG_VERSION_MINOR");

/// sudo's secure_path (Debian): what `sudo make install` runs with.
const SUDO_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The tools `make` builds from tools/ (each only if its source exists).
fn tools() -> Vec<&'static str> {
    ["mcsend", "mclisten", "mcping"]
        .into_iter()
        .filter(|t| root().join(format!("tools/{t}.c")).exists())
        .collect()
}

/// Debian's LIBDIR: /usr/lib/<multiarch>.
fn deb_libdir() -> String {
    let arch = multiarch();
    if arch.is_empty() {
        "/usr/lib".to_string()
    } else {
        format!("/usr/lib/{arch}")
    }
}

/// A fresh, empty DESTDIR for one test.
fn fresh_destdir(tag: &str) -> PathBuf {
    let d = scratch().join(format!("destdir-{tag}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `make TARGET DESTDIR=destdir PREFIX=/usr LIBDIR=libdir` after `make`, the way
/// `sudo make install` runs it: sudo's PATH, and CARGO/RUSTC that fail if called.
fn install(target: &str, destdir: &Path, libdir: &str) -> String {
    make_built();
    let vars = [
        target.to_string(),
        format!("DESTDIR={}", destdir.display()),
        "PREFIX=/usr".to_string(),
        format!("LIBDIR={libdir}"),
        "CARGO=false".to_string(),
        "RUSTC=false".to_string(),
    ];
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
    let mut cmd = make_command(&vars);
    cmd.env("PATH", SUDO_PATH);
    let o = run_ok(&mut cmd);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        !out.contains("cargo") && !out.contains("rustc"),
        "make {target} ran cargo or rustc:\n{out}"
    );
    out
}

/// `cc -print-multiarch` (x86_64-linux-gnu), as Debian's LIBDIR uses it.
fn multiarch() -> String {
    let o = Command::new("cc")
        .arg("-print-multiarch")
        .output()
        .expect("cc");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Every non-directory below `dir` (files and symlinks), relative to it.
fn files_below(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

fn tool_output(cmd: &str, args: &[&str], file: &Path) -> String {
    let o = Command::new(cmd)
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn needed(bin: &Path) -> Vec<String> {
    tool_output("readelf", &["-d"], bin)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| {
            l.split('[')
                .nth(1)
                .map(|s| s.trim_end_matches(']').to_string())
        })
        .collect()
}

/// `pkg-config ARGS multicast` against the installed tree only.
fn pkg_config(destdir: &Path, libdir: &str, args: &[&str]) -> Vec<String> {
    let o = Command::new("pkg-config")
        .args(args)
        .arg("multicast")
        .env_remove("PKG_CONFIG_PATH")
        .env("PKG_CONFIG_SYSROOT_DIR", destdir)
        .env(
            "PKG_CONFIG_LIBDIR",
            format!("{}{libdir}/pkgconfig", destdir.display()),
        )
        // keep -L/-I even for the system directories: they point into DESTDIR here
        .env("PKG_CONFIG_ALLOW_SYSTEM_LIBS", "1")
        .env("PKG_CONFIG_ALLOW_SYSTEM_CFLAGS", "1")
        .output()
        .expect("pkg-config (.ci/run installs it)");
    assert!(
        o.status.success(),
        "pkg-config {args:?} multicast failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Compiles tests/install/app.c, warning-free, with `pre` and then `flags` (pkg-config's).
fn build_app(out: &Path, pre: &[&str], flags: &[String]) {
    let mut cmd = Command::new("cc");
    cmd.args([
        "-std=c99",
        "-Wall",
        "-Wextra",
        "-Wpedantic",
        "-Werror",
        "-O1",
    ])
    .args(pre)
    .arg(root().join("tests/install/app.c"))
    .arg("-o")
    .arg(out)
    .args(flags);
    let o = cmd.output().expect("cc");
    assert!(
        o.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn make_install_copies_what_make_built_and_uninstall_removes_it() {
    require_netns();
    let libdir = deb_libdir();
    let destdir = fresh_destdir("install");
    install("install", &destdir, &libdir);

    // What install put there: exactly these files.
    let rel = libdir.trim_start_matches('/');
    let realname = format!("libmulticast.so.{VERSION}");
    let mut expected = vec![
        format!("{rel}/{realname}"),
        format!("{rel}/libmulticast.so.{MAJOR}"),
        format!("{rel}/libmulticast.so"),
        format!("{rel}/libmulticast.a"),
        format!("{rel}/pkgconfig/multicast.pc"),
        format!("{rel}/cmake/multicast/multicastConfig.cmake"),
        format!("{rel}/cmake/multicast/multicastConfigVersion.cmake"),
        "usr/include/multicast.h".to_string(),
        "usr/include/multicast.hpp".to_string(),
    ];
    for t in tools() {
        expected.push(format!("usr/bin/{t}"));
        expected.push(format!("usr/share/man/man1/{t}.1"));
    }
    expected.sort();
    assert_eq!(files_below(&destdir), expected, "files installed");

    let lib = destdir.join(rel);
    let link = |name: &str| {
        std::fs::read_link(lib.join(name))
            .unwrap()
            .display()
            .to_string()
    };
    assert!(
        !lib.join(&realname).is_symlink(),
        "{realname} is the real file"
    );
    assert_eq!(link(&format!("libmulticast.so.{MAJOR}")), realname);
    assert_eq!(link("libmulticast.so"), format!("libmulticast.so.{MAJOR}"));
    let soname = tool_output("objdump", &["-p"], &lib.join(&realname));
    let soname = soname
        .lines()
        .find(|l| l.trim_start().starts_with("SONAME"))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("no SONAME");
    assert_eq!(soname, format!("libmulticast.so.{MAJOR}"));
    for (installed, source) in [
        ("multicast.h", "include/multicast.h"),
        ("multicast.hpp", "bindings/cpp/multicast.hpp"),
    ] {
        assert_eq!(
            std::fs::read(destdir.join("usr/include").join(installed)).unwrap(),
            std::fs::read(root().join(source)).unwrap(),
            "installed {installed} differs from {source}"
        );
    }
    for t in tools() {
        let bin = destdir.join(format!("usr/bin/{t}"));
        assert!(
            needed(&bin).contains(&format!("libmulticast.so.{MAJOR}")),
            "{t} is not linked to libmulticast.so.{MAJOR}"
        );
        let rpath = tool_output("readelf", &["-d"], &bin);
        assert!(
            !rpath.contains("RPATH") && !rpath.contains("RUNPATH"),
            "{t} has an rpath"
        );
    }

    // multicast.pc: the prefix given, the version of Cargo.toml, Libs.private from
    // rustc --print native-static-libs minus -lgcc_s (it breaks `cc -static`).
    let pc = std::fs::read_to_string(lib.join("pkgconfig/multicast.pc")).unwrap();
    assert!(pc.lines().any(|l| l == "prefix=/usr"), "{pc}");
    assert!(
        pc.lines()
            .any(|l| l == format!("libdir=${{prefix}}/{}", rel.trim_start_matches("usr/"))),
        "{pc}"
    );
    assert!(
        pc.lines().any(|l| l == format!("Version: {VERSION}")),
        "{pc}"
    );
    let private = pc
        .lines()
        .find_map(|l| l.strip_prefix("Libs.private:"))
        .expect("Libs.private");
    assert!(
        private.contains("-lpthread") && !private.contains("-lgcc_s"),
        "{pc}"
    );
    // The CMake package: Cargo.toml's version, paths relative to itself.
    let cm = lib.join("cmake/multicast");
    let version = std::fs::read_to_string(cm.join("multicastConfigVersion.cmake")).unwrap();
    assert!(
        version.contains(&format!("set(PACKAGE_VERSION \"{VERSION}\")")),
        "{version}"
    );
    let config = std::fs::read_to_string(cm.join("multicastConfig.cmake")).unwrap();
    assert!(
        config.contains("${CMAKE_CURRENT_LIST_DIR}/")
            && config.contains("add_library(multicast::multicast INTERFACE IMPORTED)")
            && !config.contains('@'),
        "{config}"
    );

    // The installed tools run (their --help needs no network) with LD_LIBRARY_PATH, the
    // way README.md says for a prefix the loader does not search; without it they fail
    // with the loader's message, which README.md quotes.
    for t in tools() {
        let bin = destdir.join(format!("usr/bin/{t}"));
        let o = run_ok(
            Command::new(&bin)
                .arg("--help")
                .env("LD_LIBRARY_PATH", &lib),
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("usage: {t}")));
    }

    // Uninstall: nothing left but (empty) directories.
    let vars = [
        "uninstall".to_string(),
        format!("DESTDIR={}", destdir.display()),
        "PREFIX=/usr".to_string(),
        format!("LIBDIR={libdir}"),
    ];
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
    make(&vars);
    assert_eq!(
        files_below(&destdir),
        Vec::<String>::new(),
        "left after make uninstall"
    );
    let _ = std::fs::remove_dir_all(&destdir);
}

#[test]
fn install_without_a_build_says_run_make_first() {
    require_netns();
    let destdir = fresh_destdir("unbuilt");
    let empty = scratch().join("no-build");
    std::fs::create_dir_all(&empty).unwrap();
    // REL and BUILD point at an empty directory: as if `make` had never run.
    let mut cmd = make_command(&[
        "install",
        &format!("DESTDIR={}", destdir.display()),
        &format!("REL={}", empty.display()),
        &format!("BUILD={}", empty.display()),
        "CARGO=false",
        "RUSTC=false",
    ]);
    cmd.env("PATH", SUDO_PATH);
    let o = cmd.output().expect("make");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "make install without a build succeeded"
    );
    assert!(err.contains("run make first"), "{err}");
    assert_eq!(files_below(&destdir), Vec::<String>::new());
}

#[test]
fn install_strip_leaves_no_debug_symbols() {
    require_netns();
    let libdir = deb_libdir();
    let rel = libdir.trim_start_matches('/');
    let plain = fresh_destdir("plain");
    let stripped = fresh_destdir("strip");
    install("install", &plain, &libdir);
    install("install-strip", &stripped, &libdir);
    assert_eq!(files_below(&plain), files_below(&stripped));
    let debug = |f: &Path| tool_output("readelf", &["-S", "-W"], f).contains(" .debug_info ");
    let so = format!("{rel}/libmulticast.so.{VERSION}");
    assert!(
        debug(&plain.join(&so)),
        "the release build has debug info (profile.release debug = 1)"
    );
    let mut files = vec![so, format!("{rel}/libmulticast.a")];
    files.extend(tools().iter().map(|t| format!("usr/bin/{t}")));
    for f in files {
        assert!(
            !debug(&stripped.join(&f)),
            "{f}: debug info after install-strip"
        );
    }
    // Still a working library: the soname and every mc_ export are there.
    let exports = tool_output(
        "nm",
        &["-D", "--defined-only"],
        &stripped.join(format!("{rel}/libmulticast.so.{VERSION}")),
    );
    assert!(exports.contains(" mc_version"), "{exports}");
    let o = run_ok(
        Command::new(stripped.join("usr/bin/mcsend"))
            .arg("--help")
            .env("LD_LIBRARY_PATH", stripped.join(rel)),
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("usage: mcsend"));
    let _ = std::fs::remove_dir_all(&plain);
    let _ = std::fs::remove_dir_all(&stripped);
}

#[test]
fn pkg_config_consumer_shared_and_static() {
    require_netns();
    if !require_tool("pkg-config", "pkg-config") {
        return;
    }
    let libdir = deb_libdir();
    let rel = libdir.trim_start_matches('/');
    let destdir = fresh_destdir("pkg-config");
    let d = destdir.display().to_string();
    install("install", &destdir, &libdir);
    let lib = destdir.join(rel);
    assert_eq!(pkg_config(&destdir, &libdir, &["--modversion"]), [VERSION]);

    // Shared: linked to libmulticast.so.MAJOR, runs against the installed copy.
    let scratch = scratch();
    let shared = scratch.join("install-app-shared");
    let flags = pkg_config(&destdir, &libdir, &["--cflags", "--libs"]);
    assert!(flags.contains(&format!("-I{d}/usr/include")), "{flags:?}");
    build_app(&shared, &[], &flags);
    assert!(
        needed(&shared).contains(&format!("libmulticast.so.{MAJOR}")),
        "app is not linked to libmulticast.so.{MAJOR}: {:?}",
        needed(&shared)
    );
    let o = run_ok(
        Command::new(&shared)
            .arg(VERSION)
            .env("LD_LIBRARY_PATH", &lib),
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("version {VERSION} ok")));

    // Static: `cc -static` with `pkg-config --static`: no dynamic section at all.
    let fixed = scratch.join("install-app-static");
    let flags = pkg_config(&destdir, &libdir, &["--static", "--cflags", "--libs"]);
    build_app(&fixed, &["-static"], &flags);
    let dynamic = tool_output("readelf", &["-d"], &fixed);
    assert!(
        dynamic.contains("no dynamic section"),
        "the -static app is not static:\n{dynamic}"
    );
    let o = run_ok(
        Command::new(&fixed)
            .arg(VERSION)
            .env_remove("LD_LIBRARY_PATH"),
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("version {VERSION} ok")));
    let _ = std::fs::remove_dir_all(&destdir);
}

/// `cmake -S tests/install/cmake -B build ARGS`: Ok(output) or Err(output).
fn cmake_configure(build: &Path, args: &[String]) -> Result<String, String> {
    let _ = std::fs::remove_dir_all(build);
    let mut cmd = Command::new("cmake");
    cmd.arg("-S")
        .arg(root().join("tests/install/cmake"))
        .arg("-B")
        .arg(build)
        .args(args)
        .env_remove("CMAKE_PREFIX_PATH")
        .env_remove("PKG_CONFIG_PATH");
    let o = cmd.output().expect("cmake");
    let text = format!(
        "{cmd:?} exited {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    if o.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

#[test]
fn cmake_consumer_shared_and_static() {
    require_netns();
    if !require_tool("cmake", "cmake") {
        return;
    }
    let libdir = deb_libdir();
    let rel = libdir.trim_start_matches('/');
    let destdir = fresh_destdir("cmake");
    install("install", &destdir, &libdir);
    let prefix = format!("-DCMAKE_PREFIX_PATH={}", destdir.join("usr").display());
    let this = format!("{MAJOR}.{MINOR}");
    let next_minor = format!("{MAJOR}.{}", MINOR.parse::<u32>().unwrap() + 1);
    let next_major = format!("{}.0", MAJOR.parse::<u32>().unwrap() + 1);

    // find_package(multicast VERSION): same major and at least that version.
    for (want, ok) in [(&this, true), (&next_minor, false), (&next_major, false)] {
        let build = scratch().join(format!("cmake-version-{want}"));
        let r = cmake_configure(
            &build,
            &[prefix.clone(), format!("-DMULTICAST_MIN_VERSION={want}")],
        );
        match (r, ok) {
            (Ok(out), true) => assert!(out.contains(&format!("multicast {VERSION} in ")), "{out}"),
            (Err(out), false) => assert!(out.contains("multicast"), "{out}"),
            (Ok(out), false) => panic!("find_package(multicast {want}) accepted {VERSION}:\n{out}"),
            (Err(out), true) => panic!("find_package(multicast {want}) failed:\n{out}"),
        }
        let _ = std::fs::remove_dir_all(&build);
    }

    for (kind, flag) in [("shared", "OFF"), ("static", "ON")] {
        let build = scratch().join(format!("cmake-{kind}"));
        let out = cmake_configure(
            &build,
            &[
                prefix.clone(),
                format!("-DMULTICAST_MIN_VERSION={this}"),
                format!("-DMULTICAST_USE_STATIC_LIBS={flag}"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.contains(&format!(
                "multicast {VERSION} in {}",
                destdir.join(rel).join("cmake/multicast").display()
            )),
            "{out}"
        );
        run_ok(Command::new("cmake").arg("--build").arg(&build));
        for app in ["app_c", "app_cpp"] {
            let bin = build.join(app);
            let linked = needed(&bin).contains(&format!("libmulticast.so.{MAJOR}"));
            assert_eq!(
                linked,
                kind == "shared",
                "{kind} {app}: NEEDED {:?}",
                needed(&bin)
            );
            let o = run_ok(
                Command::new(&bin)
                    .arg(VERSION)
                    .env_remove("LD_LIBRARY_PATH"),
            );
            let out = String::from_utf8_lossy(&o.stdout);
            let want = if app == "app_c" {
                format!("version {VERSION} ok")
            } else {
                format!("cpp ok: {VERSION}, got 13 bytes")
            };
            assert!(out.contains(&want), "{kind} {app}: {out}");
        }
        let _ = std::fs::remove_dir_all(&build);
    }
    let _ = std::fs::remove_dir_all(&destdir);
}

#[test]
fn the_version_has_one_source() {
    // The Makefile reads Cargo.toml's [package] version (and names the files after it);
    // mc_version() is CARGO_PKG_VERSION (checked by the app above); Debian's changelog
    // must name the same upstream version, or the packages would lie.
    let changelog = std::fs::read_to_string(root().join("debian/changelog")).unwrap();
    let first = changelog.lines().next().unwrap_or("");
    let version = first
        .split('(')
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or("");
    let upstream = version.split(':').next_back().unwrap();
    let upstream = upstream.rsplit_once('-').map_or(upstream, |(u, _)| u);
    assert_eq!(
        upstream, VERSION,
        "debian/changelog's newest entry ({first}) does not match Cargo.toml's version"
    );
    // The Python package is versioned as the library it binds.
    let pyproject = std::fs::read_to_string(root().join("bindings/python/pyproject.toml")).unwrap();
    assert!(
        pyproject
            .lines()
            .any(|l| l == format!("version = \"{VERSION}\"")),
        "bindings/python/pyproject.toml's version is not Cargo.toml's ({VERSION})"
    );
    let control = std::fs::read_to_string(root().join("debian/control")).unwrap();
    assert!(
        control.contains(&format!("Package: libmulticast{MAJOR}\n")),
        "debian/control: the runtime package must be libmulticast{MAJOR} (the soname's major)"
    );
}

#[test]
fn the_minimum_rust_version_is_said_the_same_everywhere() {
    // Cargo.toml's rust-version (what the locked dependencies need) is what debian/control
    // build-depends on and what README.md tells users.
    let msrv = env!("CARGO_PKG_RUST_VERSION");
    assert!(!msrv.is_empty(), "Cargo.toml has no rust-version");
    let control = std::fs::read_to_string(root().join("debian/control")).unwrap();
    for tool in ["cargo", "rustc"] {
        assert!(
            control.contains(&format!("{tool} (>= {msrv})")),
            "debian/control does not build-depend on {tool} (>= {msrv})"
        );
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("Rust {msrv}")),
        "README.md does not say \"Rust {msrv}\""
    );
    for (file, text) in [("README.md", &readme), ("debian/control", &control)] {
        for line in text.lines() {
            let lower = line.to_lowercase();
            if lower.contains("rust") && (lower.contains(">= 1.") || lower.contains("rust 1.")) {
                assert!(
                    line.contains(msrv),
                    "{file} names another minimum Rust version than {msrv}: {line}"
                );
            }
        }
    }
}

#[test]
fn license_file_matches_cargo_toml_and_debian_copyright() {
    // LICENSE is the MIT license Cargo.toml names, word for word the text of
    // debian/copyright's "License: MIT" paragraph, with the same copyright holder.
    assert_eq!(env!("CARGO_PKG_LICENSE"), "MIT");
    let license = std::fs::read_to_string(root().join("LICENSE")).unwrap();
    let copyright = std::fs::read_to_string(root().join("debian/copyright")).unwrap();
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let paragraph = copyright
        .split("\nLicense: MIT\n")
        .nth(1)
        .expect("debian/copyright has no License: MIT paragraph");
    let text: String = paragraph
        .lines()
        .take_while(|l| l.starts_with(' '))
        .map(|l| if l.trim() == "." { "" } else { l.trim() })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        words(&license).contains(&words(&text)),
        "LICENSE does not hold debian/copyright's MIT text"
    );
    let holder = copyright
        .lines()
        .find_map(|l| l.strip_prefix("Copyright: "))
        .expect("debian/copyright has no Copyright:");
    assert!(
        license.contains(&format!("Copyright (c) {holder}")),
        "LICENSE's copyright line is not debian/copyright's ({holder})"
    );
}
