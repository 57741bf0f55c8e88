//! Installing as distributions do: `make` builds, then `make install
//! DESTDIR=<scratch> PREFIX=/usr LIBDIR=/usr/lib/<multiarch>` only copies (with
//! sudo's PATH and CARGO=false: no cargo, no rustc) the versioned library, its
//! soname and development links, the static library, the header and the C++
//! wrapper, multicast.pc, the CMake package, the tools and their man pages (mcnetns too,
//! which runs the installed tools in a private namespace), the library's section-3
//! pages (man/man3, tests/man_pages.rs);
//! without a build it says "run make first". `make install-strip` strips;
//! `make uninstall` leaves no file behind. (Consumers of the install:
//! tests/install_consumers.rs; the version and the packaging:
//! tests/install_packaging.rs.)

mod support;
use std::path::Path;
use std::process::Command;
use support::install::*;
use support::*;

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
    for t in tools().into_iter().chain(["mcnetns"]) {
        expected.push(format!("usr/bin/{t}"));
        expected.push(format!("usr/share/man/man1/{t}.1"));
    }
    let man3 = man3_pages();
    assert!(man3.len() > 40, "man/man3 has only {man3:?}");
    for p in &man3 {
        expected.push(format!("usr/share/man/man3/{p}"));
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
    for p in &man3 {
        assert_eq!(
            std::fs::read(destdir.join("usr/share/man/man3").join(p)).unwrap(),
            std::fs::read(root().join("man/man3").join(p)).unwrap(),
            "installed man3/{p} differs from man/man3/{p}"
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

    // The installed mcnetns runs a program of the user's in a private namespace of its
    // own (not this test's), without the checkout: there the installed tools talk over lo.
    // The sender repeats (bounded) until the listener, joined at some point, has one.
    let mcnetns = destdir.join("usr/bin/mcnetns");
    let bin = destdir.join("usr/bin");
    let script = format!(
        "echo $MC_NETNS; readlink /proc/self/ns/net; ip -o link | wc -l
         {b}/mclisten -n 1 -w 5000 239.1.2.3 5000 & l=$!
         for i in $(seq 2000); do kill -0 $l 2>/dev/null || break
             {b}/mcsend 239.1.2.3 5000 installed-hello >/dev/null; done
         wait $l",
        b = bin.display()
    );
    let o = run_ok(
        Command::new(&mcnetns)
            .args(["sh", "-c", &script])
            .env("LD_LIBRARY_PATH", &lib)
            .current_dir("/"),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    let mine = std::fs::read_link("/proc/self/ns/net").unwrap();
    assert_eq!(lines[0], "1", "MC_NETNS: {out}");
    assert_ne!(
        lines[1],
        mine.to_string_lossy(),
        "not a new namespace: {out}"
    );
    assert_eq!(lines[2].trim(), "1", "only lo: {out}");
    assert!(out.contains("installed-hello"), "{out}");
    let o = Command::new(&mcnetns).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("usage: mcnetns CMD"));
    let o = Command::new(&mcnetns).arg("--bogus").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown option '--bogus'"));

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

/// The section-3 pages of the tree (man/man3/*.3), sorted.
fn man3_pages() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("man/man3"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".3"))
        .collect();
    v.sort();
    v
}
