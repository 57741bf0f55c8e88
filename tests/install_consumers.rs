//! Out-of-tree consumers build against a DESTDIR install (`make install
//! DESTDIR=<scratch> PREFIX=/usr LIBDIR=/usr/lib/<multiarch>`, as
//! tests/install_files.rs checks it) and run: a C program
//! (tests/install/app.c) with nothing but `pkg-config` (shared, and `--static`
//! with `cc -static`), and a CMake project (tests/install/cmake: C and C++,
//! find_package(multicast MAJOR.MINOR), shared and
//! MULTICAST_USE_STATIC_LIBS=ON).
//!
//! Without pkg-config or cmake their tests print "SKIPPED: ..." and pass (a
//! failure under MC_REQUIRE_ALL=1).

mod support;
use std::path::Path;
use std::process::Command;
use support::install::*;
use support::*;

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
