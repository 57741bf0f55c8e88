//! ABI hygiene: the shared library exports exactly the functions the header
//! declares (all mc_*), carries the soname libmulticast.so.0, and the header
//! has every constant, type and function of the contract (docs/API.md).
//! Also the crate's layering: scripts/modgraph finds no cycle and no upward import.

mod support;
use std::collections::BTreeSet;
use std::process::Command;
use support::*;

fn header() -> String {
    std::fs::read_to_string(root().join("include/multicast.h")).unwrap()
}

/// Function names declared by the header.
fn declared() -> BTreeSet<String> {
    let h = header();
    let mut out = BTreeSet::new();
    for line in h.lines() {
        if line.starts_with(' ') || line.starts_with('#') || line.starts_with("typedef") {
            continue;
        }
        if let Some(j) = line.find('(') {
            let head = &line[..j];
            let name = head
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            if name.starts_with("mc_") {
                out.insert(name.to_string());
            }
        }
    }
    out
}

fn exported() -> BTreeSet<String> {
    let so = target_dir().join("libmulticast.so");
    let o = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&so)
        .output()
        .expect("nm (binutils)");
    assert!(o.status.success());
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(String::from))
        .collect()
}

#[test]
fn only_the_declared_mc_functions_are_exported() {
    let exp = exported();
    let bad: Vec<_> = exp.iter().filter(|s| !s.starts_with("mc_")).collect();
    assert!(
        bad.is_empty(),
        "exported symbols that are not mc_*: {bad:?}"
    );
    let decl = declared();
    assert!(decl.len() >= 39, "header parse found only {decl:?}");
    assert_eq!(exp, decl, "exported symbols and header declarations differ");
}

#[test]
fn soname_is_libmulticast_so_0() {
    let so = target_dir().join("libmulticast.so");
    let o = Command::new("objdump")
        .arg("-p")
        .arg(&so)
        .output()
        .expect("objdump");
    let text = String::from_utf8_lossy(&o.stdout);
    let soname = text
        .lines()
        .find(|l| l.trim_start().starts_with("SONAME"))
        .expect("no SONAME");
    assert_eq!(soname.split_whitespace().nth(1), Some("libmulticast.so.0"));
}

#[test]
fn header_has_everything_api_md_names() {
    let api = std::fs::read_to_string(root().join("docs/API.md")).unwrap();
    let h = header();
    let mut names = BTreeSet::new();
    for word in api.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if (word.starts_with("mc_") || word.starts_with("MC_")) && word.len() > 3 {
            names.insert(word.to_string());
        }
    }
    // Spelled in prose only, not identifiers.
    names.remove("MC_E");
    let missing: Vec<_> = names.iter().filter(|n| !h.contains(n.as_str())).collect();
    assert!(
        missing.is_empty(),
        "in docs/API.md but not in the header: {missing:?}"
    );
    for (name, value) in [
        ("MC_DEFAULT_GROUP", "\"224.0.42.42\""),
        ("MC_DEFAULT_PORT", "4242"),
        ("MC_DEFAULT_TTL", "1"),
        ("MC_DEFAULT_MTU", "4096"),
        ("MC_TTL_HOST", "0"),
        ("MC_TTL_SUBNET", "1"),
        ("MC_TTL_SITE", "32"),
        ("MC_TTL_REGION", "64"),
        ("MC_TTL_CONTINENT", "128"),
        ("MC_TTL_UNRESTRICTED", "255"),
        ("MC_READ", "1"),
        ("MC_WRITE", "4"),
        ("MC_NEXT_DONE", "0"),
        ("MC_NEXT_PACKET", "1"),
        ("MC_NEXT_WAIT", "2"),
    ] {
        let line = format!("#define {name} {value}\n");
        assert!(h.contains(&line), "header lacks `{}`", line.trim());
    }
    // Signatures, as the contract spells them (modulo `struct` keywords).
    let flat = h
        .replace("struct ", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for sig in [
        "int mc_register(mc_poller *poller, int fd, uint32_t flags, mc_io_fn on_read, mc_io_fn on_write, void *user_data);",
        "int mc_listener_next(mc_listener *l, const mc_packet **out, int timeout_ms);",
        "int mc_listen(mc_packet_fn handler, void *user_data, const char *group, uint16_t port, size_t mtu, size_t limit);",
        "int mc_sendto_many(const mc_buf *packets, size_t count, const char *group, uint16_t port, int ttl);",
        "typedef int (*mc_next_fn)(void *user_data, const uint8_t **data, size_t *len);",
        "int mc_listener_get_stats(const mc_listener *l, mc_listener_stats *out);",
    ] {
        assert!(flat.contains(sig), "header lacks `{sig}`");
    }
}

#[test]
fn debian_symbols_file_lists_every_export() {
    let text = std::fs::read_to_string(root().join("debian/libmulticast0.symbols")).unwrap();
    let listed: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.trim().split('@').next())
        .filter(|s| s.starts_with("mc_"))
        .map(String::from)
        .collect();
    assert_eq!(
        listed,
        exported(),
        "debian/libmulticast0.symbols and the library's exports differ"
    );
}

/// The identifiers (letters, digits, `_`) of a text.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn every_export_is_documented_in_api_md_or_extensions_md() {
    let api = std::fs::read_to_string(root().join("docs/API.md")).unwrap();
    let ext = std::fs::read_to_string(root().join("docs/EXTENSIONS.md")).unwrap();
    let (api_words, ext_words) = (words(&api), words(&ext));
    let exported = exported();
    let undocumented: Vec<_> = exported
        .iter()
        .filter(|f| !api_words.contains(*f) && !ext_words.contains(*f))
        .collect();
    assert!(
        undocumented.is_empty(),
        "exported but documented neither in docs/API.md (the contract) nor in \
         docs/EXTENSIONS.md: {undocumented:?}"
    );
    // Each of EXTENSIONS.md's entries (### `mc_...`) is an export beyond the contract.
    let entries: Vec<String> = ext
        .lines()
        .filter_map(|l| l.strip_prefix("### `"))
        .filter_map(|l| l.strip_suffix('`'))
        .map(String::from)
        .collect();
    assert!(
        !entries.is_empty(),
        "docs/EXTENSIONS.md has no ### `mc_...` entries"
    );
    for e in &entries {
        assert!(
            exported.contains(e),
            "docs/EXTENSIONS.md documents {e}, which the library does not export"
        );
        assert!(
            !api_words.contains(e),
            "{e} is in docs/API.md (the contract) now: remove its docs/EXTENSIONS.md entry"
        );
    }
    // Every export beyond the contract has an entry of its own, not just a mention.
    let beyond: Vec<_> = exported
        .iter()
        .filter(|f| !api_words.contains(*f) && !entries.contains(f))
        .collect();
    assert!(
        beyond.is_empty(),
        "not in docs/API.md and without a ### entry in docs/EXTENSIONS.md: {beyond:?}"
    );
}

/// Every name the header defines is the library's: macros MC_*, types and
/// functions mc_* (the include guard aside). An internal constant that
/// cbindgen picked up would pollute every program's namespace.
#[test]
fn header_defines_only_prefixed_names() {
    let h = header();
    let mut bad = Vec::new();
    for line in h.lines() {
        let l = line.trim_start();
        let name = if let Some(rest) = l.strip_prefix("#define ") {
            rest.split_whitespace().next()
        } else if let Some(rest) = l.strip_prefix("typedef struct ") {
            rest.split_whitespace().next()
        } else {
            None
        };
        if let Some(n) = name {
            if n != "MULTICAST_H" && !n.starts_with("MC_") && !n.starts_with("mc_") {
                bad.push(n.to_string());
            }
        }
    }
    assert!(bad.is_empty(), "header names without the prefix: {bad:?}");
}

/// The layers point down, ffi/ → core → sys/, and no modules form a cycle:
/// scripts/modgraph prints the `use crate::...`/`super::` graph of src/ and
/// fails on a cycle outside ffi/, on sys/ importing the core, on the core
/// importing ffi/, and on a glob re-export in sys/.
#[test]
fn module_layers_point_down_without_cycles() {
    let out = Command::new("python3")
        .arg(root().join("scripts/modgraph"))
        .arg(root().join("src"))
        .output()
        .expect("run python3 scripts/modgraph");
    assert!(
        out.status.success(),
        "scripts/modgraph failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The functions the header declares, each with its return type and doc comment (the
/// lines of the `/** ... */` right above it, without the ` * `).
fn documented_functions() -> Vec<(String, String, Vec<String>)> {
    let h = header();
    let lines: Vec<&str> = h.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] != "/**" {
            i += 1;
            continue;
        }
        let mut doc = Vec::new();
        i += 1;
        while lines[i] != " */" {
            doc.push(lines[i].trim_start_matches(" *").trim().to_string());
            i += 1;
        }
        let decl = lines[i + 1];
        i += 2;
        if decl.starts_with("typedef") || decl.starts_with('#') {
            continue;
        }
        let Some(paren) = decl.find('(') else {
            continue;
        };
        let head = &decl[..paren];
        let name = head
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        let ret = head[..head.len() - name.len()].trim().to_string();
        out.push((name.to_string(), ret, doc));
    }
    out
}

#[test]
fn every_function_says_what_it_returns_and_how_it_fails() {
    // The header's convention (cbindgen.toml): a comment ends with what the function
    // returns, from a line beginning "Returns", and, for an int, the codes it fails with
    // ("Errors: ..."); MC_EPANIC is said once, in the conventions. scripts/man3 splits the
    // comments there into the pages' DESCRIPTION, RETURN VALUE and ERRORS.
    let h = header();
    let funcs = documented_functions();
    assert_eq!(
        funcs.iter().map(|f| f.0.clone()).collect::<BTreeSet<_>>(),
        declared(),
        "a declared function without a doc comment right above it"
    );
    let mut bad = Vec::new();
    for (name, ret, doc) in &funcs {
        let Some(at) = doc.iter().position(|l| l.starts_with("Returns")) else {
            bad.push(format!("{name}: no line begins with \"Returns\""));
            continue;
        };
        let tail = doc[at..].join(" ");
        let ok = match ret.as_str() {
            "int" => {
                let errors = tail.find("Errors:").or_else(|| tail.find("Errors ("));
                errors.is_some_and(|e| tail[e..].contains("MC_E") || tail[e..].contains("-errno"))
            }
            "void" => tail.starts_with("Returns nothing"),
            _ => tail.contains("NULL"),
        };
        if !ok {
            bad.push(format!(
                "{name} ({ret}): \"{tail}\" (int: \"Errors: \" and its codes; void: \
                 \"Returns nothing\"; a pointer: when it is NULL)"
            ));
        }
        // Every code named is one the header defines.
        for word in doc
            .join(" ")
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        {
            if word.starts_with("MC_E")
                && word != "MC_E"
                && !h.contains(&format!("#define {word} "))
            {
                bad.push(format!("{name}: names {word}, which is no code"));
            }
        }
    }
    assert!(bad.is_empty(), "doc comments:\n{}", bad.join("\n"));
    assert!(
        h.contains("any function that returns int may return it"),
        "the conventions no longer say MC_EPANIC once for all"
    );
}
