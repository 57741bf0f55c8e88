//! Helpers of the install tests (tests/install_*.rs): Cargo.toml's version,
//! the tools `make` builds, Debian's LIBDIR, a fresh DESTDIR per test, `make
//! install` run the way `sudo make install` runs it (sudo's PATH, no cargo,
//! no rustc), and what is below a directory, in an ELF file's dynamic
//! section, or printed by binutils about a file.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{make_built, make_command, root, run_ok, scratch};

/// Cargo.toml's version, and its major and minor parts.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");
pub const MINOR: &str = env!("CARGO_PKG_VERSION_MINOR");

/// sudo's secure_path (Debian): what `sudo make install` runs with.
pub const SUDO_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The tools `make` builds from tools/ (each only if its source exists).
pub fn tools() -> Vec<&'static str> {
    ["mcsend", "mclisten", "mcping"]
        .into_iter()
        .filter(|t| root().join(format!("tools/{t}.c")).exists())
        .collect()
}

/// Debian's LIBDIR: /usr/lib/<multiarch>.
pub fn deb_libdir() -> String {
    let arch = multiarch();
    if arch.is_empty() {
        "/usr/lib".to_string()
    } else {
        format!("/usr/lib/{arch}")
    }
}

/// A fresh, empty DESTDIR for one test.
pub fn fresh_destdir(tag: &str) -> PathBuf {
    let d = scratch().join(format!("destdir-{tag}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `make TARGET DESTDIR=destdir PREFIX=/usr LIBDIR=libdir` after `make`, the way
/// `sudo make install` runs it: sudo's PATH, and CARGO/RUSTC that fail if called.
pub fn install(target: &str, destdir: &Path, libdir: &str) -> String {
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
pub fn multiarch() -> String {
    let o = Command::new("cc")
        .arg("-print-multiarch")
        .output()
        .expect("cc");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Every non-directory below `dir` (files and symlinks), relative to it.
pub fn files_below(dir: &Path) -> Vec<String> {
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

/// What `cmd ARGS FILE` printed (stdout then stderr), whatever its exit status
/// (readelf, objdump, nm).
pub fn tool_output(cmd: &str, args: &[&str], file: &Path) -> String {
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

/// The NEEDED entries of `bin`'s dynamic section (`readelf -d`): the sonames
/// it is linked to.
pub fn needed(bin: &Path) -> Vec<String> {
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
