//! The library's section-3 pages (man/man3): what scripts/man3 makes of the committed
//! header (they are committed, so packagers need no Python), a page or a link for every
//! function the header declares, rendered by groff and man without a warning, and,
//! installed by `make install`, found by `man 3 FUNCTION` through the link pages.
//! (The header's comments say what each function returns and how it fails:
//! tests/abi.rs; the list of installed files: tests/install_files.rs.)

mod support;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::install::*;
use support::*;

fn man3() -> PathBuf {
    root().join("man/man3")
}

/// The pages of a directory: file name -> content.
fn pages_in(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".3"))
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

/// The page a link page points to (".so man3/PAGE.3"), or None for a page.
fn link_target(text: &str) -> Option<&str> {
    text.strip_prefix(".so man3/")
        .and_then(|t| t.strip_suffix(".3\n"))
}

/// The functions include/multicast.h declares.
fn declared() -> Vec<String> {
    let h = std::fs::read_to_string(root().join("include/multicast.h")).unwrap();
    let mut out = Vec::new();
    for line in h.lines() {
        if line.starts_with(' ') || line.starts_with('#') || line.starts_with("typedef") {
            continue;
        }
        if let Some(j) = line.find('(') {
            let name = line[..j]
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            if name.starts_with("mc_") {
                out.push(name.to_string());
            }
        }
    }
    out
}

#[test]
fn pages_are_what_scripts_man3_makes_of_the_header() {
    require_netns();
    let out = scratch().join("man3");
    let _ = std::fs::remove_dir_all(&out);
    run_ok(
        Command::new("python3")
            .arg(root().join("scripts/man3"))
            .arg(&out),
    );
    let made = pages_in(&out);
    let committed = pages_in(&man3());
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&committed),
        names(&made),
        "man/man3 is not what scripts/man3 makes of include/multicast.h: run scripts/man3 \
         and commit man/man3"
    );
    for (name, text) in &made {
        assert!(
            committed[name] == *text,
            "man/man3/{name} is not what scripts/man3 makes of include/multicast.h: run \
             scripts/man3 and commit man/man3"
        );
    }
}

#[test]
fn every_function_has_a_page_or_a_link_to_the_page_that_names_it() {
    require_netns();
    let pages = pages_in(&man3());
    let funcs = declared();
    assert!(funcs.len() >= 39, "header parse found only {funcs:?}");
    for f in &funcs {
        let file = format!("{f}.3");
        let text = pages
            .get(&file)
            .unwrap_or_else(|| panic!("no man/man3/{file}"));
        let page = link_target(text).unwrap_or(f);
        let page_text = pages
            .get(&format!("{page}.3"))
            .unwrap_or_else(|| panic!("{file} links to man3/{page}.3, which is missing"));
        assert!(
            link_target(page_text).is_none(),
            "{file} links to {page}.3, itself a link"
        );
        // NAME lists it (what apropos and `man -k` find), SYNOPSIS declares it, and the
        // page describes and tells what it returns.
        let name = page_text
            .split(".SH NAME\n")
            .nth(1)
            .and_then(|s| s.lines().next())
            .unwrap_or("");
        assert!(
            name.split(" \\- ")
                .next()
                .unwrap_or("")
                .split(", ")
                .any(|n| n == f),
            "{page}.3: NAME does not list {f}: {name}"
        );
        for (what, needle) in [
            ("SYNOPSIS", format!("\\fB{f}\\fP(")),
            ("DESCRIPTION", format!(".SS {f}()")),
            ("RETURN VALUE", format!("\\fB{f}\\fP()")),
        ] {
            assert!(
                page_text.contains(&needle),
                "{page}.3: {what} lacks {f} ({needle})"
            );
        }
    }
    // Every page is a page or a link to one; libmulticast(3) names every family page.
    let overview = &pages["libmulticast.3"];
    for (name, text) in &pages {
        match link_target(text) {
            Some(t) => assert!(pages.contains_key(&format!("{t}.3")), "{name} -> {t}"),
            None => {
                assert!(text.contains(".TH "), "{name} has no .TH");
                let page = name.trim_end_matches(".3");
                assert!(
                    page == "libmulticast" || overview.contains(&format!(".BR {page} (3)")),
                    "libmulticast.3 does not name {page}(3)"
                );
            }
        }
    }
}

#[test]
fn pages_render_without_warnings() {
    require_netns();
    if !require_tool("groff", "groff-base") || !require_tool("man", "man-db") {
        return;
    }
    for name in pages_in(&man3()).keys() {
        // From man/, as man does it: ".so man3/PAGE.3" is relative to the manual's root.
        let o = run_ok(
            Command::new("groff")
                .args(["-man", "-ww", "-z", "-Tutf8"])
                .arg(format!("man3/{name}"))
                .current_dir(root().join("man")),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.is_empty(), "groff -ww on man3/{name}:\n{err}");
        let o = run_ok(
            Command::new("man")
                .args(["--warnings", "-l"])
                .arg(format!("man3/{name}"))
                .current_dir(root().join("man"))
                .env("MANWIDTH", "80")
                .env("LC_ALL", "C.UTF-8")
                .env("MAN_DISABLE_SECCOMP", "1"),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.is_empty(), "man --warnings -l man3/{name}:\n{err}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("SEE ALSO"),
            "man -l man3/{name} rendered no SEE ALSO"
        );
    }
}

#[test]
fn make_install_puts_them_where_man_finds_every_function() {
    require_netns();
    if !require_tool("man", "man-db") {
        return;
    }
    let destdir = fresh_destdir("man3");
    install("install", &destdir, &deb_libdir());
    let mandir = destdir.join("usr/share/man");
    for f in declared() {
        let o = run_ok(
            Command::new("man")
                .arg("-M")
                .arg(&mandir)
                .args(["3", &f])
                .env("MANWIDTH", "80")
                .env("MANPAGER", "cat")
                .env("PAGER", "cat")
                .env("LC_ALL", "C.UTF-8")
                .env("MAN_DISABLE_SECCOMP", "1"),
        );
        let text = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            text.contains(&f) && text.contains("(3)") && err.is_empty(),
            "man -M {} 3 {f}:\n{err}{text}",
            mandir.display()
        );
    }
    let _ = std::fs::remove_dir_all(&destdir);
}
