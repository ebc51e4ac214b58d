//! `freeze`: write a release snapshot the way the snapshot contract wants it, so CI needs no
//! ad-hoc shell. Writes `<root>/git-<revision>/` (the package copied byte for byte, modes and
//! symlinks kept, plus a `freight.yaml` with every required field) and replaces `<root>/current/`
//! with an exact copy, then judges the work tree as `pre-commit --worktree` does.
//!
//! Everything is checked before anything is written, and each directory is written beside
//! its final place and renamed into it: a refusal changes nothing. Run again with the same
//! input, it changes nothing; with a different package for a revision already frozen, it
//! refuses.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::cli::Cli;
use crate::contracts::snapshot::disk::{self, Node};
use crate::contracts::snapshot::{self, identity, validate_record};
use crate::engine::Engine;
use crate::git::repo::display_path;
use crate::outcome::Outcome;

use super::session::{self, Failure};

/// What `freeze` is asked to write.
pub struct Request<'a> {
    pub root: &'a Path,
    pub revision: &'a str,
    pub image: &'a str,
    pub digest: &'a str,
    pub package: &'a str,
    pub created_at: Option<&'a str>,
}

fn refuse(message: impl Into<String>) -> Failure {
    Failure::input(format!(
        "freeze refused, nothing changed: {}",
        message.into()
    ))
}

pub fn run(cli: &Cli, request: &Request<'_>) -> Result<Outcome, Failure> {
    let repo = session::open_repo(cli)?;
    let workdir = repo
        .workdir()
        .map(Path::to_path_buf)
        .ok_or_else(|| Failure::input("freeze needs a repository with a work tree"))?;
    let head = repo.resolve("HEAD");
    let policy = session::policy(cli, Some(&repo), head.map(|h| (h, "HEAD")))?;
    let snapshot_policy = &policy.snapshot;

    // The freight root: relative to the work tree, one of the policy's roots.
    let rel_root = request
        .root
        .strip_prefix(&workdir)
        .unwrap_or(request.root)
        .to_path_buf();
    let rel_text = display_path(rel_root.as_os_str().as_bytes());
    let segments: Vec<&str> = rel_text.split('/').filter(|s| !s.is_empty()).collect();
    let is_root = snapshot_policy.root_matchers().iter().any(|matchers| {
        matchers.len() == segments.len()
            && matchers.iter().zip(&segments).all(|(m, s)| m.is_match(s))
    });
    if rel_root.is_absolute() || segments.contains(&"..") || !is_root {
        return Err(refuse(format!(
            "`{rel_text}` is not a freight root of the policy ({}), relative to the work tree",
            snapshot_policy.roots.join(", ")
        )));
    }
    let root = workdir.join(&rel_root);
    // Written through a symlink, the release would land outside the judged tree.
    let mut at = workdir.clone();
    for segment in &segments {
        at.push(segment);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(refuse(format!(
                "`{}` is a symlink: a freight root and the directories above it must be directories (freight-path-symlink)",
                display_path(
                    at.strip_prefix(&workdir)
                        .unwrap_or(&at)
                        .as_os_str()
                        .as_bytes()
                )
            )));
        }
    }
    for name in [
        snapshot_policy.current.clone(),
        snapshot_policy.release_dir(request.revision),
    ] {
        if std::fs::symlink_metadata(root.join(&name)).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(refuse(format!(
                "`{rel_text}/{name}` is a symlink: it must be a directory"
            )));
        }
    }

    // The record's fields.
    let revision = request.revision;
    if !snapshot::is_full_hex(revision) {
        return Err(refuse(format!(
            "--revision `{revision}` is not a full lowercase commit id (40 or 64 hex digits)"
        )));
    }
    let digest = request.digest;
    if !snapshot::is_sha256_digest(digest) {
        return Err(refuse(format!(
            "--digest `{digest}` is not `sha256:` followed by 64 lowercase hex digits"
        )));
    }
    let tag = format!("git-{revision}");
    let image = match crate::image_ref::image_tag(request.image) {
        Some(t) if t == tag => request.image.to_string(),
        Some(t) => {
            return Err(refuse(format!(
                "--image `{}` is tagged `{t}`, not `{tag}`",
                request.image
            )));
        }
        None if request.image.contains('@') || request.image.trim().is_empty() => {
            return Err(refuse(format!(
                "--image `{}` is not an image repository (the digest goes in --digest)",
                request.image
            )));
        }
        None => format!("{}:{tag}", request.image),
    };
    let Some((package_type, package_dir)) = request.package.split_once('=') else {
        return Err(refuse(format!(
            "--package `{}` is not TYPE=DIRECTORY",
            request.package
        )));
    };
    let Some(payload) = snapshot_policy.packages.get(package_type) else {
        return Err(refuse(format!(
            "package type `{package_type}` is not in `snapshot.packages` ({})",
            snapshot_policy
                .packages
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let package = PathBuf::from(package_dir);
    let package_listing = check_package(&package)?;

    let created_at = match request.created_at {
        Some(t) => t.to_string(),
        None => now(),
    };
    // Values are written into YAML as plain scalars: nothing that could end or change one.
    for (option, value) in [
        ("--image", image.as_str()),
        ("--created-at", created_at.as_str()),
    ] {
        let plain = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_graphic() && !"#'\"{}[],&*!|>%@`".contains(c) || c == '@')
            && !value.starts_with(['-', '?', ':']);
        if !plain {
            return Err(refuse(format!(
                "{option} `{}` holds characters a record value cannot hold",
                value.escape_default()
            )));
        }
    }
    let record = format!(
        "schemaVersion: v1\nrevision: {revision}\ntag: {tag}\nimage:\n  ref: {image}\n  digest: {digest}\npackageType: {package_type}\ncreatedAt: {created_at}\n"
    );
    let release_name = snapshot_policy.release_dir(revision);
    let (parsed, mut problems) = validate_record(
        snapshot_policy,
        record.as_bytes(),
        &format!("{release_name}/{}", snapshot_policy.record),
    );
    problems.extend(identity(
        snapshot_policy,
        &parsed,
        &release_name,
        Some(&release_name),
    ));
    if let Some(problem) = problems.first() {
        return Err(refuse(format!(
            "the record would be invalid: {}",
            problem.message
        )));
    }

    // The release: written once; the same content again is no change.
    let release = root.join(&release_name);
    let mut wrote = Vec::new();
    if std::fs::symlink_metadata(&release).is_ok() {
        same_release(
            &release,
            &snapshot_policy.record,
            payload,
            &package_listing,
            &record,
        )?;
    } else {
        let staging = root.join(format!(".freeze-{release_name}.tmp"));
        let written = (|| -> Result<(), String> {
            let _ = std::fs::remove_dir_all(&staging);
            std::fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
            copy_tree(&package, &staging.join(payload))?;
            std::fs::write(staging.join(&snapshot_policy.record), &record)
                .map_err(|e| e.to_string())?;
            std::fs::rename(&staging, &release).map_err(|e| e.to_string())
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(Failure::input(format!(
                "freeze failed writing {}: {e}",
                release.display()
            )));
        }
        wrote.push(release_name.clone());
    }

    // current/: an exact copy of the release, unless it is one already.
    let current = root.join(&snapshot_policy.current);
    let release_listing = disk::snapshot(&release).map_err(Failure::input)?;
    let current_same = std::fs::symlink_metadata(&current).is_ok_and(|m| m.is_dir())
        && disk::snapshot(&current).is_ok_and(|c| c == release_listing);
    if !current_same {
        let staging = root.join(".freeze-current.tmp");
        let old = root.join(".freeze-current.old");
        let replaced = (|| -> Result<(), String> {
            let _ = std::fs::remove_dir_all(&staging);
            copy_tree(&release, &staging)?;
            if std::fs::symlink_metadata(&current).is_ok() {
                let _ = std::fs::remove_dir_all(&old);
                std::fs::rename(&current, &old).map_err(|e| e.to_string())?;
            }
            std::fs::rename(&staging, &current).map_err(|e| e.to_string())?;
            let _ = std::fs::remove_dir_all(&old).or_else(|_| std::fs::remove_file(&old));
            Ok(())
        })();
        if let Err(e) = replaced {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(Failure::input(format!(
                "freeze failed replacing {}: {e}",
                current.display()
            )));
        }
        wrote.push(snapshot_policy.current.clone());
    }

    // The result, judged as `pre-commit --worktree` judges it.
    let (roots, findings) = disk::check(&workdir, snapshot_policy);
    let engine = Engine::new(&repo, &policy);
    let subject = if wrote.is_empty() {
        format!(
            "{rel_text}/{release_name} already frozen with this content; nothing changed; {roots} freight root(s) on disk"
        )
    } else {
        format!(
            "froze {rel_text}/{release_name} (wrote {}); {roots} freight root(s) on disk",
            wrote.join(", ")
        )
    };
    Ok(session::finish(&policy, engine, findings, subject))
}

/// The package as it will be copied, after refusing what the contract forbids in it: a
/// symlink leaving the package, a nested repository (a submodule), special files.
fn check_package(package: &Path) -> Result<BTreeMap<Vec<u8>, Node>, Failure> {
    let shown = package.display();
    match std::fs::symlink_metadata(package) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(refuse(format!("the package `{shown}` is not a directory"))),
        Err(e) => return Err(refuse(format!("cannot read the package `{shown}`: {e}"))),
    }
    if package.join(".git").exists() {
        return Err(refuse(format!(
            "the package `{shown}` is a git repository: a release holds files, not a submodule"
        )));
    }
    let listing =
        disk::snapshot(package).map_err(|e| refuse(format!("cannot read the package: {e}")))?;
    for (path, node) in &listing {
        let name = display_path(path);
        match node {
            Node::Gitlink => {
                return Err(refuse(format!(
                    "`{name}` in the package is a git repository: a release holds files, not a submodule"
                )));
            }
            Node::Other => {
                return Err(refuse(format!(
                    "`{name}` in the package is neither a file, a directory nor a symlink"
                )));
            }
            Node::Link(target) => {
                let depth = path.iter().filter(|b| **b == b'/').count();
                if snapshot::leaves(target, depth) {
                    return Err(refuse(format!(
                        "`{name}` in the package is a symlink to `{}`, outside the package: a release must not change when something else does",
                        display_path(target)
                    )));
                }
            }
            Node::File { .. } => {}
        }
    }
    Ok(listing)
}

/// An existing release is the one asked for: the same package and the same record, but for
/// `createdAt`.
fn same_release(
    release: &Path,
    record_name: &str,
    payload: &str,
    package: &BTreeMap<Vec<u8>, Node>,
    record: &str,
) -> Result<(), Failure> {
    let existing = disk::snapshot(release).map_err(Failure::input)?;
    let prefix = format!("{payload}/");
    let mut differences = Vec::new();
    let in_payload: BTreeMap<Vec<u8>, &Node> = existing
        .iter()
        .filter_map(|(p, n)| p.strip_prefix(prefix.as_bytes()).map(|r| (r.to_vec(), n)))
        .collect();
    let keys: std::collections::BTreeSet<&Vec<u8>> =
        in_payload.keys().chain(package.keys()).collect();
    for key in keys {
        if in_payload.get(key).copied() != package.get(key) {
            differences.push(format!("{payload}/{}", display_path(key)));
        }
    }
    for path in existing.keys() {
        if !path.starts_with(prefix.as_bytes()) && path.as_slice() != record_name.as_bytes() {
            differences.push(display_path(path));
        }
    }
    let without_date = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.starts_with("createdAt:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match std::fs::read_to_string(release.join(record_name)) {
        Ok(text) if without_date(&text) == without_date(record) => {}
        _ => differences.push(record_name.to_string()),
    }
    if differences.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = differences.iter().take(10).cloned().collect();
    Err(refuse(format!(
        "`{}` exists with other content ({}{}); a release is written once",
        release.display(),
        shown.join(", "),
        if differences.len() > shown.len() {
            format!(" and {} more", differences.len() - shown.len())
        } else {
            String::new()
        }
    )))
}

/// Copy `from` to `to` (which must not exist): directories, files with their executable
/// bit, symlinks as symlinks.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in walkdir::WalkDir::new(from).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|e| e.to_string())?;
        let rel = entry.path().strip_prefix(from).map_err(|e| e.to_string())?;
        let target = to.join(rel);
        let ft = entry.file_type();
        if ft.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        } else if ft.is_symlink() {
            let link = std::fs::read_link(entry.path()).map_err(|e| e.to_string())?;
            std::os::unix::fs::symlink(&link, &target)
                .map_err(|e| format!("{}: {e}", target.display()))?;
        } else {
            // `fs::copy` keeps the permission bits, so the executable bit survives.
            std::fs::copy(entry.path(), &target)
                .map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(())
}

/// `createdAt` when none is given: `SOURCE_DATE_EPOCH` (reproducible builds), else now, as
/// RFC 3339 in UTC.
fn now() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    gix::date::Time::new(seconds, 0).format_or_unix(gix::date::time::format::ISO8601_STRICT)
}
