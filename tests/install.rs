//! Installing as distributions do: `make install DESTDIR=<scratch> PREFIX=/usr
//! LIBDIR=/usr/lib/<multiarch>` puts the versioned library, its soname and
//! development links, the static library, the header, multicast.pc, the tools
//! and their man pages in place; an out-of-tree C program (tests/install/app.c)
//! builds against the result with nothing but `pkg-config` (shared, and
//! `--static` with `cc -static`) and runs; `make uninstall` leaves no file
//! behind. Also: the version has one source (Cargo.toml) that mc_version(), the
//! file name, the soname, multicast.pc and debian/changelog all agree with.
//!
//! `make install` runs `cargo build --release` (a no-op when target/release is
//! up to date): the one release build of `make test`.

mod support;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");

/// The tools `make install` builds from examples-c/ (each only if its source exists).
fn tools() -> Vec<&'static str> {
    ["mcsend", "mclisten"]
        .into_iter()
        .filter(|t| root().join(format!("examples-c/{t}.c")).exists())
        .collect()
}

/// `make ARGS` in the repository, without the environment of the surrounding
/// cargo/make (jobserver, the test's LD_LIBRARY_PATH); offline: the test runs
/// in a namespace without a network.
fn make(args: &[&str]) -> String {
    let mut cmd = Command::new("make");
    cmd.current_dir(root()).args(args);
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
    ] {
        cmd.env_remove(var);
    }
    cmd.env("CARGO_NET_OFFLINE", "true");
    let o = run_ok(&mut cmd);
    String::from_utf8_lossy(&o.stdout).into_owned()
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
fn make_install_pkg_config_build_run_uninstall() {
    require_netns();
    let arch = multiarch();
    let libdir = if arch.is_empty() {
        "/usr/lib".to_string()
    } else {
        format!("/usr/lib/{arch}")
    };
    let destdir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("install-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&destdir);
    std::fs::create_dir_all(&destdir).unwrap();
    let d = destdir.display().to_string();
    let vars = [
        format!("DESTDIR={d}"),
        "PREFIX=/usr".to_string(),
        format!("LIBDIR={libdir}"),
    ];
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();

    let mut args = vec!["install"];
    args.extend(&vars);
    make(&args);

    // What install put there: exactly these files.
    let rel = libdir.trim_start_matches('/');
    let realname = format!("libmulticast.so.{VERSION}");
    let mut expected = vec![
        format!("{rel}/{realname}"),
        format!("{rel}/libmulticast.so.{MAJOR}"),
        format!("{rel}/libmulticast.so"),
        format!("{rel}/libmulticast.a"),
        format!("{rel}/pkgconfig/multicast.pc"),
        "usr/include/multicast.h".to_string(),
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
    assert_eq!(
        std::fs::read(destdir.join("usr/include/multicast.h")).unwrap(),
        std::fs::read(root().join("include/multicast.h")).unwrap(),
        "installed header differs from include/multicast.h"
    );
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
    let pc = std::fs::read_to_string(destdir.join(rel).join("pkgconfig/multicast.pc")).unwrap();
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

    // The installed tools run (their --help needs no network).
    for t in tools() {
        let o = run_ok(
            Command::new(destdir.join(format!("usr/bin/{t}")))
                .arg("--help")
                .env("LD_LIBRARY_PATH", &lib),
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("usage: {t}")));
    }

    // Uninstall: nothing left but (empty) directories.
    let mut args = vec!["uninstall"];
    args.extend(&vars);
    make(&args);
    assert_eq!(
        files_below(&destdir),
        Vec::<String>::new(),
        "left after make uninstall"
    );
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
    let control = std::fs::read_to_string(root().join("debian/control")).unwrap();
    assert!(
        control.contains(&format!("Package: libmulticast{MAJOR}\n")),
        "debian/control: the runtime package must be libmulticast{MAJOR} (the soname's major)"
    );
}
