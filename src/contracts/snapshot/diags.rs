//! The snapshot contract's messages, written once for both readers: git trees (every mode but
//! `pre-commit --worktree`) and files on disk (`pre-commit --worktree`). `what` words name a
//! path's kind as the reader sees it (`directory`, `file`, `symlink`, ...).

use crate::contracts::snapshot::cfg::SnapshotPolicy;
use crate::finding::Finding;
use crate::rules::Rule;

/// Records are read only up to this size.
pub const MAX_RECORD_BYTES: u64 = 64 * 1024;

pub fn record_missing(path: &str) -> Finding {
    Finding::new(Rule::RecordInvalid, format!("`{path}` is missing")).at(path)
}

pub fn record_not_a_file(path: &str, what: &str) -> Finding {
    Finding::new(
        Rule::RecordInvalid,
        format!("`{path}` is a {what}, not a regular file"),
    )
    .at(path)
}

pub fn record_oversized(path: &str, size: u64) -> Finding {
    Finding::new(
        Rule::RecordInvalid,
        format!("`{path}` is {size} bytes; records are at most {MAX_RECORD_BYTES} bytes"),
    )
    .at(path)
}

/// A release-named entry that is not a directory.
pub fn release_not_a_directory(name: &str, what: &str, policy: &SnapshotPolicy) -> Finding {
    Finding::new(
        Rule::RecordInvalid,
        format!(
            "`{name}` is named like a release directory but is a {what}; it has no `{}`",
            policy.record
        ),
    )
    .at(name)
}

pub fn current_missing(policy: &SnapshotPolicy) -> Finding {
    let (cur, record_path) = (&policy.current, current_record(policy));
    Finding::new(
        Rule::RecordInvalid,
        format!("`{cur}/` is missing, so there is no `{record_path}` for Kargo to promote from"),
    )
    .at(record_path)
}

pub fn current_is_a_symlink(policy: &SnapshotPolicy, target: &str) -> Finding {
    let cur = &policy.current;
    Finding::new(
        Rule::MirrorMismatch,
        format!(
            "`{cur}` is a symlink (to `{target}`), not a directory: it must be an exact copy of its release directory"
        ),
    )
    .at(cur.as_str())
}

pub fn current_not_a_directory(policy: &SnapshotPolicy, what: &str) -> Finding {
    let cur = &policy.current;
    Finding::new(
        Rule::MirrorMismatch,
        format!("`{cur}` is a {what}, not a directory"),
    )
    .at(cur.as_str())
}

/// `current/freight.yaml` names a revision whose release directory is not there (`what`:
/// `None`), or is there as something other than a directory.
pub fn release_missing(policy: &SnapshotPolicy, rev: &str, what: Option<&str>) -> Finding {
    let record_path = current_record(policy);
    let release_name = policy.release_dir(rev);
    let (message, at) = match what {
        None => (
            format!(
                "`{record_path}` names revision {rev}, but the release directory `{release_name}/` is not there"
            ),
            record_path,
        ),
        Some(what) => (
            format!("`{record_path}` names `{release_name}/`, but it is a {what}, not a directory"),
            release_name,
        ),
    };
    Finding::new(Rule::ReleaseMissing, message).at(at)
}

/// `current/` is not an exact copy of its release: `total` differing paths, `listed` of them.
pub fn mirror_differs(
    policy: &SnapshotPolicy,
    rev: &str,
    total: usize,
    listed: Vec<String>,
) -> Finding {
    let cur = &policy.current;
    let release_name = policy.release_dir(rev);
    Finding::new(
        Rule::MirrorMismatch,
        format!(
            "`{cur}/` differs from `{release_name}/` {}; it must be an exact copy",
            in_paths(total)
        ),
    )
    .at(cur.as_str())
    .with_details(listed)
}

pub fn unexpected_entry(name: &str, policy: &SnapshotPolicy) -> Finding {
    Finding::new(
        Rule::UnexpectedEntry,
        format!(
            "`{name}` is neither `{}/` nor a release directory (`{}`)",
            policy.current, policy.release
        ),
    )
    .at(name)
}

/// A submodule inside a snapshot directory: `path` relative to the root. In a tree it is a
/// gitlink; on disk, a nested repository, which git would record as one.
pub fn submodule(path: &str, on_disk: bool) -> Finding {
    let what = if on_disk {
        "a nested git repository (a submodule, which git records as a gitlink)"
    } else {
        "a gitlink (submodule)"
    };
    Finding::new(
        Rule::SubmoduleInSnapshot,
        format!("`{path}` is {what}; its content is not in this repository"),
    )
    .at(path)
}

pub use crate::git::diff::{end_listing, in_paths, list};

/// A symlink at `dir/path` whose target leaves `dir/`.
pub fn link_escapes(dir: &str, path: &str, target: &str) -> Finding {
    let at = format!("{dir}/{path}");
    Finding::new(
        Rule::SymlinkEscapes,
        format!(
            "`{at}` is a symlink to `{target}`, outside `{dir}/`: what it holds changes with its target while the release stays the same"
        ),
    )
    .at(at)
}

/// A symlink on the path of a freight-root glob (`warehouses`, a warehouse, `freight`).
pub fn freight_path_symlink(path: &str, target: &str, roots: &[String]) -> Finding {
    Finding::new(
        Rule::FreightPathSymlink,
        format!(
            "`{path}` is a symlink (to `{target}`) on the path of the freight roots ({}): the releases behind it are outside the snapshot contract, yet checkout follows it",
            roots.join(", ")
        ),
    )
    .at(path)
}

/// The most findings of one rule about one freight root; the rest are counted in one more,
/// so one root's findings and their count fit in what a report shows of a rule.
pub const MAX_PER_ROOT: usize = crate::report::MAX_PER_RULE - 1;

/// Keep the first [`MAX_PER_ROOT`] findings of `rule` and count the rest in one finding, so
/// 100,000 stray entries give a page, not 40 MB, to the pusher.
pub fn bound(findings: &mut Vec<Finding>, rule: Rule) {
    let total = findings.iter().filter(|f| f.rule == rule).count();
    if total <= MAX_PER_ROOT {
        return;
    }
    let mut seen = 0;
    findings.retain(|f| {
        if f.rule != rule {
            return true;
        }
        seen += 1;
        seen <= MAX_PER_ROOT
    });
    findings.push(Finding::new(
        rule,
        format!(
            "... and {} more finding(s) of this kind in this freight root",
            total - MAX_PER_ROOT
        ),
    ));
}

fn current_record(policy: &SnapshotPolicy) -> String {
    format!("{}/{}", policy.current, policy.record)
}
