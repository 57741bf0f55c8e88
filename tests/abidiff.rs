//! The C ABI only grows: checked against the released 0.2.0 with the
//! distributions' own tool, libabigail's `abidiff` (Debian's abigail-tools,
//! as Debian and Fedora check their libraries). The baselines in abi/ (how they
//! were made: abi/README.md) are compared with this build:
//!
//! - the library's own ABI (`scripts/abi-dump lib`): its exported functions
//!   with the parameter and return types its DWARF gives, down to the layouts
//!   of the structs they reach;
//! - the header's ABI (`scripts/abi-dump header`): a C unit over
//!   include/multicast.h compiled with -g, which also has what Rust's DWARF
//!   lacks (`const`, the typedef names, the exact C types).
//!
//! `abidiff --harmless --no-added-syms BASELINE NOW` must exit 0: additions are
//! left out, anything else fails: a removed function (exit 12), a changed
//! parameter, return type or struct layout (exit 4), even what abidiff calls
//! harmless (a `const` dropped from a parameter's target, a renamed typedef).
//! Nothing is suppressed. A second run lists the additions; the library's must
//! be exactly the symbols debian/libmulticast0.symbols dates after 0.2.0. The
//! MC_* constants of 0.2.0 keep their values. And the check can fail: copies of
//! the header with a widened field, a dropped `const`, a removed function fail
//! it against the header itself; one with an added function passes.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Instant;
use support::*;

/// The release whose ABI the baselines hold.
const BASE: &str = "0.2.0";

fn tools() -> bool {
    require_tool("abidiff", "abigail-tools") && require_tool("abidw", "abigail-tools")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `scripts/abi-dump KIND INPUT` into `out`; the failed Output if it fails.
fn try_dump(kind: &str, input: &Path, out: &Path) -> Result<(), Output> {
    let o = Command::new(root().join("scripts/abi-dump"))
        .arg(kind)
        .arg(input)
        .output()
        .expect("running scripts/abi-dump");
    if !o.status.success() {
        return Err(o);
    }
    std::fs::write(out, &o.stdout).unwrap();
    Ok(())
}

/// The dump of `input` as `name` in the scratch directory.
fn dump(kind: &str, input: &Path, name: &str) -> PathBuf {
    let out = scratch().join(name);
    if let Err(o) = try_dump(kind, input, &out) {
        panic!("scripts/abi-dump {kind} {}:\n{}", input.display(), text(&o));
    }
    out
}

/// The library's ABI now. The test build (cargo's dev profile) has full debug
/// information; a build without types (the release profile's `debug = 1`, as
/// under `cargo test --release`) is replaced by a release build with
/// CARGO_PROFILE_RELEASE_DEBUG=2 in target/abi, made once.
fn library_abi() -> &'static Path {
    static ABI: OnceLock<PathBuf> = OnceLock::new();
    ABI.get_or_init(|| {
        let out = scratch().join("libmulticast.abi");
        let so = target_dir().join("libmulticast.so");
        match try_dump("lib", &so, &out) {
            Ok(()) => out,
            Err(o) if text(&o).contains("no type information") => {
                say(&format!(
                    "abidiff: {} has no types; building one with full debug info",
                    so.display()
                ));
                dump("lib", &release_with_types(), "libmulticast.abi")
            }
            Err(o) => panic!("scripts/abi-dump lib {}:\n{}", so.display(), text(&o)),
        }
    })
}

/// `cargo build --release` with full debug info, in target/abi.
fn release_with_types() -> PathBuf {
    let (mut cmd, target) = nested_cargo_build("abi");
    cmd.args(["--release", "--lib"])
        .env("CARGO_PROFILE_RELEASE_DEBUG", "2");
    let t = Instant::now();
    let o = cmd.output().expect("running cargo");
    assert!(o.status.success(), "{cmd:?} failed:\n{}", text(&o));
    say(&format!(
        "abidiff: release library with full debug info built in {:.1} s ({})",
        t.elapsed().as_secs_f64(),
        target.display()
    ));
    target.join("release/libmulticast.so")
}

/// `abidiff ARGS BASELINE NOW`.
fn abidiff(args: &[&str], baseline: &Path, now: &Path) -> Output {
    Command::new("abidiff")
        .args(args)
        .arg(baseline)
        .arg(now)
        .output()
        .expect("running abidiff")
}

/// The check: `abidiff --harmless --no-added-syms` exits 0.
fn only_adds(baseline: &Path, now: &Path) -> Result<(), (Option<i32>, String)> {
    let o = abidiff(&["--harmless", "--no-added-syms"], baseline, now);
    match o.status.code() {
        Some(0) => Ok(()),
        code => Err((code, text(&o))),
    }
}

/// Asserts the check passes; returns the names of the added symbols
/// (abidiff's `{name}` after each `[A]` line) and says how many there are.
fn assert_only_adds(what: &str, baseline: &Path, now: &Path) -> BTreeSet<String> {
    let t = Instant::now();
    if let Err((code, report)) = only_adds(baseline, now) {
        panic!(
            "{what}: abidiff --harmless --no-added-syms {} {} exited {code:?} \
             (4: a change, 8: an incompatible one, 12: both): the ABI of {BASE} changed, \
             not only grew (docs/ABI.md)\n{report}",
            baseline.display(),
            now.display()
        );
    }
    let o = abidiff(&["--harmless"], baseline, now);
    let report = text(&o);
    let added: BTreeSet<String> = report
        .lines()
        .filter(|l| l.trim_start().starts_with("[A]"))
        .filter_map(|l| l.rsplit('{').next()?.strip_suffix('}').map(String::from))
        .collect();
    say(&format!(
        "abidiff: {what}: {BASE} -> now: nothing changed or removed, {} added ({:.1} s)",
        added.len(),
        t.elapsed().as_secs_f64()
    ));
    added
}

fn baseline(name: &str) -> PathBuf {
    root().join("abi").join(name)
}

/// "MAJOR.MINOR.PATCH" as numbers.
fn version(v: &str) -> Vec<u32> {
    v.split('.').map(|n| n.parse().unwrap()).collect()
}

#[test]
fn library_abi_only_adds_to_0_2_0() {
    if !tools() {
        return;
    }
    let base = baseline("libmulticast-0.2.0.abi");
    let added = assert_only_adds("library", &base, library_abi());
    // What the library added since 0.2.0 is what Debian's symbols file dates later.
    let symbols = std::fs::read_to_string(root().join("debian/libmulticast0.symbols")).unwrap();
    let later: BTreeSet<String> = symbols
        .lines()
        .filter_map(|l| {
            let (sym, ver) = l.trim().split_once("@Base ")?;
            (version(ver) > version(BASE)).then(|| sym.to_string())
        })
        .collect();
    assert_eq!(
        added, later,
        "the functions abidiff finds added since {BASE} (left) and those \
         debian/libmulticast0.symbols dates after {BASE} (right) differ"
    );
}

#[test]
fn header_abi_only_adds_to_0_2_0() {
    if !tools() {
        return;
    }
    let now = dump(
        "header",
        &root().join("include/multicast.h"),
        "multicast-header.abi",
    );
    let added = assert_only_adds("header", &baseline("multicast-0.2.0-header.abi"), &now);
    assert!(
        added
            .iter()
            .all(|a| a.starts_with("abi_fn_mc_") || a.starts_with("abi_type_mc_")),
        "{added:?}"
    );
}

#[test]
fn constants_of_0_2_0_keep_their_values() {
    let old = std::fs::read_to_string(baseline("multicast-0.2.0.constants")).unwrap();
    let h = std::fs::read_to_string(root().join("include/multicast.h")).unwrap();
    let now: BTreeSet<&str> = h.lines().filter(|l| l.starts_with("#define MC_")).collect();
    assert!(old.lines().count() >= 20, "{old}");
    let changed: Vec<&str> = old.lines().filter(|l| !now.contains(l)).collect();
    assert!(
        changed.is_empty(),
        "constants of {BASE} missing or changed in include/multicast.h: {changed:?}"
    );
}

/// One edit of the header and what abidiff must make of it.
struct Case {
    name: &'static str,
    from: &'static str,
    to: &'static str,
    /// abidiff's exit status; None: the check passes.
    exit: Option<i32>,
    /// What its report must say.
    says: &'static [&'static str],
}

/// The check fails where it must: copies of this header with one change each,
/// against this header (not the baseline: whether the check can fail does not
/// depend on whether the tree passes it).
#[test]
fn the_check_fails_a_changed_layout_or_signature_and_passes_an_addition() {
    if !tools() {
        return;
    }
    let path = root().join("include/multicast.h");
    let header = std::fs::read_to_string(&path).unwrap();
    let base = dump("header", &path, "multicast-now.abi");
    let cases = [
        Case {
            name: "widened",
            from: "  uint16_t port;\n",
            to: "  uint32_t port;\n",
            exit: Some(4),
            says: &[
                "struct mc_addr",
                "type size changed from 192 to 224",
                "'uint32_t scope_id' offset changed",
            ],
        },
        Case {
            name: "unconst",
            from: "int mc_listener_set_filter_regex(struct mc_listener *l, const char *pattern);",
            to: "int mc_listener_set_filter_regex(struct mc_listener *l, char *pattern);",
            exit: Some(4),
            says: &["abi_fn_mc_listener_set_filter_regex", "const char*"],
        },
        Case {
            name: "removed",
            from: "const char *mc_version(void);\n",
            to: "",
            exit: Some(12),
            says: &["1 Removed", "abi_fn_mc_version"],
        },
        Case {
            name: "added",
            from: "const char *mc_version(void);\n",
            to: "const char *mc_version(void);\n\nint mc_abi_test_addition(struct mc_packet *p);\n",
            exit: None,
            says: &[],
        },
    ];
    for c in cases {
        let name = c.name;
        assert_eq!(
            header.matches(c.from).count(),
            1,
            "{name}: `{}` in the header",
            c.from
        );
        let path = scratch().join(format!("multicast-{name}.h"));
        std::fs::write(&path, header.replace(c.from, c.to)).unwrap();
        let now = dump("header", &path, &format!("multicast-{name}.abi"));
        match (only_adds(&base, &now), c.exit) {
            (Ok(()), None) => {}
            (Err((got, report)), Some(want)) => {
                assert_eq!(got, Some(want), "{name}: abidiff's exit status\n{report}");
                for s in c.says {
                    assert!(report.contains(s), "{name}: `{s}` not in\n{report}");
                }
            }
            (result, want) => panic!("{name}: expected exit {want:?}, got {result:?}"),
        }
    }
}
