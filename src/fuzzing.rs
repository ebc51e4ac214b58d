//! Entry points of the fuzz targets (`fuzz/fuzz_targets/`) and of the corpus replay test
//! (`tests/fuzz_corpus.rs`): one function per target, each feeding arbitrary bytes to a parser
//! that reads untrusted input. The fuzz targets and the replay test call these same functions,
//! so an input saved from a fuzzing run replays identically on stable Rust.
//!
//! Each function returns normally for every input; a panic is a bug in the parser it drives.
//! Text parsers only see valid UTF-8, as in production, where input that is not UTF-8 is
//! rejected before it is parsed. The invariants checked here are `debug_assert!`s: fuzz builds
//! and tests check them, release builds compile them out.

use gix::hash::Kind;

use crate::contracts::objects::commit_header as check_commit_header;
use crate::contracts::rendered::images::scan as scan_images;
use crate::contracts::signing::{self, Keys, SignedCommit};
use crate::contracts::snapshot::cfg::SnapshotPolicy;
use crate::contracts::snapshot::validate_record;
use crate::git::repo::{RawEntry, split_raw_tree};
use crate::image_ref;
use crate::modes::hook_input::{parse_pre_push, parse_pre_receive, valid_ref_name};
use crate::policy::Policy;

/// Both hash kinds a repository can use.
const HASHES: [Kind; 2] = [Kind::Sha1, Kind::Sha256];

/// The names of the fuzz targets, each the name of its function here.
pub const TARGETS: [&str; 9] = [
    "hook_input",
    "raw_tree",
    "freight_record",
    "policy",
    "images",
    "allowed_signers",
    "pgp_keys",
    "commit_signature",
    "commit_header",
];

/// Run the entry point of the fuzz target named `target` on `data`; `false` if no target has
/// that name.
pub fn run(target: &str, data: &[u8]) -> bool {
    let entry: fn(&[u8]) = match target {
        "hook_input" => hook_input,
        "raw_tree" => raw_tree,
        "freight_record" => freight_record,
        "policy" => policy,
        "images" => images,
        "allowed_signers" => allowed_signers,
        "pgp_keys" => pgp_keys,
        "commit_signature" => commit_signature,
        "commit_header" => commit_header,
        _ => return false,
    };
    entry(data);
    true
}

/// Hook input: pre-receive lines (`<old> SP <new> SP <ref>`) and pre-push lines, read with
/// either hash kind's ids.
pub fn hook_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for hash in HASHES {
        if let Ok(updates) = parse_pre_receive(hash, text) {
            for u in &updates {
                debug_assert!(valid_ref_name(&u.name), "accepted ref {:?}", u.name);
                debug_assert!(u.old.is_some() || u.new.is_some(), "both ids absent");
            }
        }
        if let Ok(updates) = parse_pre_push(hash, text) {
            for u in &updates {
                debug_assert!(valid_ref_name(&u.name), "accepted ref {:?}", u.name);
            }
        }
    }
}

/// Raw tree objects cut into entries (`<mode> SP <name> NUL <id>`) with either hash kind's id
/// length, then ordered as git orders tree entries.
pub fn raw_tree(data: &[u8]) {
    for hash in HASHES {
        let id_len = hash.len_in_bytes();
        let mut entries: Vec<RawEntry<'_>> = Vec::new();
        let mut cut = 0;
        let mut truncated = false;
        for entry in split_raw_tree(data, id_len) {
            let Ok(entry) = entry else {
                truncated = true;
                continue;
            };
            debug_assert!(
                data[cut..].starts_with(entry.bytes),
                "entries follow each other"
            );
            debug_assert!(entry.bytes.len() >= entry.name.len() + 2 + id_len);
            cut += entry.bytes.len();
            let _ = entry.is_tree();
            entries.push(entry);
        }
        debug_assert!(truncated || cut == data.len(), "the whole tree is cut");
        entries.sort_by(RawEntry::git_cmp);
    }
}

/// A release record (`freight.yaml`) validated under the default snapshot settings.
pub fn freight_record(data: &[u8]) {
    let _ = validate_record(&SnapshotPolicy::default(), data, "freight.yaml");
}

/// The policy file (`.freight-guard.yaml`); a policy that validates is then used the way the
/// checks use it (freight-root globs, branch classes, release names).
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::from_yaml(text) else {
        return;
    };
    let _ = policy.warnings();
    let _ = policy.snapshot.root_matchers();
    let _ = policy.snapshot.first_branch();
    let release = policy.snapshot.release_dir(&"0".repeat(40));
    let _ = policy.snapshot.is_release_name(release.as_bytes());
    for branch in ["stage/production", "kargo/promotion/x", "main"] {
        let _ = crate::contracts::rendered::Class::of(&policy.rendered, branch);
    }
}

/// Rendered manifests scanned for `image:` values; every value found is then split into
/// repository and tag as the image pairing rule does.
pub fn images(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(found) = scan_images(text) else {
        return;
    };
    for image in &found {
        let _ = image_ref::split_reference(&image.reference);
        let _ = image_ref::image_tag(&image.reference);
        let repository = image_ref::repository(&image.reference);
        let _ = image_ref::canonical_repository(repository);
    }
}

/// git's `allowed_signers` file.
pub fn allowed_signers(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = signing::parse_allowed_signers(text, "allowed_signers");
    }
}

/// Armored OpenPGP public key files.
pub fn pgp_keys(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = signing::parse_pgp_keys(text, "keys.asc");
    }
}

/// Commit signatures: a raw commit object split into payload and signature header (`gpgsig`,
/// `gpgsig-sha256`) and the armored signature verified. Input holding two NUL bytes is
/// `<allowed_signers> NUL <armored OpenPGP keys> NUL <commit>`, and the commit is verified
/// against the keys of the first two parts that parse; otherwise it is a commit verified
/// against no keys (the signature is still read, and found untrusted or bad).
pub fn commit_signature(data: &[u8]) {
    let mut keys = Keys::default();
    let mut parts = data.splitn(3, |b| *b == 0);
    let (first, second, third) = (parts.next(), parts.next(), parts.next());
    let commit = match (first, second, third) {
        (Some(ssh), Some(pgp), Some(commit)) => {
            if let Ok(text) = std::str::from_utf8(ssh)
                && let Ok(signers) = signing::parse_allowed_signers(text, "allowed_signers")
            {
                keys.ssh = signers;
            }
            if let Ok(text) = std::str::from_utf8(pgp)
                && let Ok(certs) = signing::parse_pgp_keys(text, "keys.asc")
            {
                keys.pgp = certs;
            }
            commit
        }
        _ => data,
    };
    for hash in HASHES {
        let split = signing::split(commit, hash);
        let _ = signing::verify(&split, &keys);
    }
    // The same bytes as a signature over an empty payload: the armor readers see them whole.
    let whole = SignedCommit {
        payload: Vec::new(),
        signature: Some(commit.to_vec()),
    };
    let _ = signing::verify(&whole, &keys);
}

/// Commit headers checked as git's fsck checks them, with either hash kind's ids.
pub fn commit_header(data: &[u8]) {
    for hash in HASHES {
        let _ = check_commit_header(data, hash);
    }
}
