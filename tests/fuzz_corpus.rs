//! Replays the fuzz corpora on stable Rust: every file of `fuzz/corpus/<target>/` and
//! `fuzz/artifacts/<target>/` goes through the entry point its fuzz target calls
//! (`freight_guard::fuzzing`), which must return for every one of them.

use std::path::{Path, PathBuf};

use freight_guard::fuzzing;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The regular files of `dir`, sorted; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = read
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// Replay every saved input of `target`; the inputs that panicked, with their messages.
fn replay(target: &str) -> (usize, Vec<String>) {
    let mut inputs = files(&fuzz_dir().join("corpus").join(target));
    assert!(
        !inputs.is_empty(),
        "fuzz/corpus/{target}/ holds no seed inputs"
    );
    inputs.extend(files(&fuzz_dir().join("artifacts").join(target)));
    let mut failed = Vec::new();
    for path in &inputs {
        let data = std::fs::read(path).expect("a readable corpus file");
        let outcome = std::panic::catch_unwind(|| fuzzing::run(target, &data));
        match outcome {
            Ok(known) => assert!(known, "no fuzzing entry point is named {target}"),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failed.push(format!("{}: {message}", path.display()));
            }
        }
    }
    (inputs.len(), failed)
}

#[test]
fn every_saved_input_replays_without_a_panic() {
    let mut failed = Vec::new();
    for target in fuzzing::TARGETS {
        let (count, panics) = replay(target);
        assert!(count > 0);
        failed.extend(panics);
    }
    assert!(
        failed.is_empty(),
        "inputs that panic:\n{}",
        failed.join("\n")
    );
}

#[test]
fn every_fuzz_target_has_an_entry_point() {
    let targets: Vec<String> = files(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .collect();
    let mut expected: Vec<String> = fuzzing::TARGETS.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(targets, expected, "fuzz/fuzz_targets/ and fuzzing::TARGETS");
    assert!(!fuzzing::run("no-such-target", b""));
}
