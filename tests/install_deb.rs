//! `make deb` in a copy of the tree (its files as git knows them): dpkg-buildpackage,
//! then lintian with nothing at warning level or above, none of lintian's tags about
//! manual pages at any level, and libmulticast-dev carrying the section-3 pages (a
//! page per family, a symlink per function: dh_installman turns the ".so" link pages
//! into symlinks). Needs dpkg-dev, debhelper and lintian (skipped without them), and
//! the crates of Cargo.lock in ~/.cargo (the build is offline). The copy keeps its
//! target/ between runs (target/tmp/deb-tree): the first run builds everything, about
//! 3 minutes; later ones rebuild only this crate.

mod support;
use std::path::Path;
use std::process::Command;
use support::install::*;
use support::*;

/// Copies the files git knows (committed or added; untracked ones left out) into `dst`,
/// emptied first except for its target/.
fn copy_tree(dst: &Path) -> bool {
    let o = Command::new("git")
        .args(["ls-files", "-z", "--cached"])
        .current_dir(root())
        .output();
    let Some(o) = o.ok().filter(|o| o.status.success()) else {
        return false;
    };
    if dst.exists() {
        for e in std::fs::read_dir(dst).unwrap() {
            let e = e.unwrap();
            if e.file_name() != "target" {
                let p = e.path();
                if p.is_dir() && !p.is_symlink() {
                    std::fs::remove_dir_all(&p).unwrap();
                } else {
                    std::fs::remove_file(&p).unwrap();
                }
            }
        }
    }
    for name in o.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let rel = std::str::from_utf8(name).unwrap();
        let (from, to) = (root().join(rel), dst.join(rel));
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue; // deleted in the work tree, not yet committed
        };
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&from).unwrap(), &to).unwrap();
        } else {
            std::fs::copy(&from, &to).unwrap();
        }
    }
    true
}

#[test]
fn make_deb_builds_lintian_clean_packages_with_the_man_pages() {
    require_netns();
    if !require_tool("dpkg-buildpackage", "dpkg-dev")
        || !require_tool("dh", "debhelper")
        || !require_tool("lintian", "lintian")
        || !require_tool("git", "git")
    {
        return;
    }
    // dpkg-buildpackage writes into the parent directory: a directory of its own.
    let tree = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("deb-tree/src");
    if !copy_tree(&tree) {
        eprintln!("not a git checkout: make deb is checked from git's list of files only");
        return;
    }
    let mut cmd = make_command(&["deb"]);
    cmd.current_dir(&tree);
    let o = run_ok(&mut cmd);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("make deb: the CMake consumer builds and runs against the packages")
            || out.contains("SKIPPED the CMake consumer check"),
        "{out}"
    );

    let arch =
        String::from_utf8_lossy(&run_ok(Command::new("dpkg").arg("--print-architecture")).stdout)
            .trim()
            .to_string();
    let deb = tree.join("build/deb");
    // make deb failed on lintian errors already; here: no warning either, and no tag of
    // any level about manual pages (manpage-has-errors-from-man, bad-so-link-within-
    // manual-page, ...).
    let o = Command::new("lintian")
        .args(["--fail-on", "error,warning", "-I", "--pedantic"])
        .arg(deb.join(format!("libmulticast_{VERSION}_{arch}.changes")))
        .output()
        .expect("lintian");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "lintian:\n{text}");
    let man_tags: Vec<&str> = text.lines().filter(|l| l.contains("manpage")).collect();
    assert!(man_tags.is_empty(), "lintian about the man pages:\n{text}");

    // What libmulticast-dev carries in man3.
    let o = run_ok(
        Command::new("dpkg-deb")
            .arg("-c")
            .arg(deb.join(format!("libmulticast-dev_{VERSION}_{arch}.deb"))),
    );
    let list = String::from_utf8_lossy(&o.stdout);
    let man3 = |name: &str| {
        list.lines()
            .find(|l| l.contains(&format!("./usr/share/man/man3/{name}.3.gz")))
            .unwrap_or_else(|| panic!("libmulticast-dev lacks man3/{name}.3.gz:\n{list}"))
            .to_string()
    };
    for page in ["libmulticast", "mc_listener", "mc_poller", "mc_strerror"] {
        assert!(man3(page).starts_with('-'), "{page}.3.gz is not a file");
    }
    assert!(
        man3("mc_listener_new").ends_with("-> mc_listener.3.gz"),
        "{}",
        man3("mc_listener_new")
    );
}
