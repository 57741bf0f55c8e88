//! Replays the fuzz corpus (fuzz/corpus/TARGET/), every crash found
//! (fuzz/artifacts/TARGET/) and the seeds through the fuzz targets' own
//! harnesses (multicast::fuzzing): each input found once is a regression
//! test from then on. A failure names the file. Runs in tests/netns-run
//! (cargo's runner): the strings harness resolves interfaces.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use multicast::fuzzing::{self, Harness};

/// The message of a panic payload.
fn message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Runs `harness` on every file of `dir` (none if it does not exist) and
/// returns how many there were and the failures, each naming its file.
fn replay_dir(harness: Harness, dir: &Path) -> (usize, Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("reading a corpus directory").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| harness(&data))) {
            failed.push(format!("{}: {}", f.display(), message(p)));
        }
    }
    (files.len(), failed)
}

#[test]
fn corpus_and_crashes_replay() {
    fuzzing::require_netns();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut failed = Vec::new();
    for (name, harness) in fuzzing::TARGETS {
        let (corpus, mut f) = replay_dir(harness, &root.join("corpus").join(name));
        failed.append(&mut f);
        let (crashes, mut f) = replay_dir(harness, &root.join("artifacts").join(name));
        failed.append(&mut f);
        assert!(corpus > 0, "fuzz/corpus/{name}/ is empty: run make fuzz");
        eprintln!("fuzz_corpus {name}: {corpus} corpus inputs, {crashes} crash inputs replayed");
    }
    assert!(
        failed.is_empty(),
        "{} inputs fail:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn seeds_replay() {
    fuzzing::require_netns();
    for (name, harness) in fuzzing::TARGETS {
        let seeds = fuzzing::seeds(name);
        assert!(!seeds.is_empty(), "{name}: no seeds");
        for (i, s) in seeds.iter().enumerate() {
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| harness(s))) {
                panic!("seed {i} of {name} ({s:?}) fails: {}", message(p));
            }
        }
    }
}
