//! The version has one source (Cargo.toml) that mc_version(), the file name,
//! the soname, multicast.pc, the CMake package, the Python package and
//! debian/changelog all agree with; the minimum Rust version is said the same
//! way everywhere; LICENSE is the license Cargo.toml and debian/copyright name.

mod support;
use support::install::*;
use support::*;

#[test]
fn the_version_has_one_source() {
    // The Makefile reads Cargo.toml's [package] version (and names the files after it);
    // mc_version() is CARGO_PKG_VERSION (checked by the app of tests/install_consumers.rs);
    // Debian's changelog must name the same upstream version, or the packages would lie.
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
