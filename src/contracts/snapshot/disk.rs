//! `pre-commit --worktree`: the snapshot directories as they are on disk, before anything is
//! staged, so a CI job can check a snapshot it just wrote before committing it.
//!
//! Files are walked with walkdir and hashed with SHA-256 in parallel (rayon); names, bytes,
//! executable bits and symlink targets are compared. Immutability needs history and is judged
//! by the other modes.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::contracts::snapshot::cfg::SnapshotPolicy;
use crate::contracts::snapshot::{
    self, MAX_LISTED_PATHS, MAX_RECORD_BYTES, Record, diags, identity, is_full_hex, validate_record,
};
use crate::finding::Finding;
use crate::git::repo::display_path;
use crate::rules::Rule;

/// What one path inside a snapshot directory is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File {
        executable: bool,
        sha256: [u8; 32],
    },
    Link(Vec<u8>),
    /// A nested git repository (a submodule checkout).
    Gitlink,
    Other,
}

/// Judge every freight root under `workdir`: how many there are, and the findings (paths
/// relative to `workdir`).
pub fn check(workdir: &Path, policy: &SnapshotPolicy) -> (usize, Vec<Finding>) {
    let mut findings = Vec::new();
    let (roots, links) = find_roots(workdir, policy);
    for link in links {
        let rel = display_path(
            link.strip_prefix(workdir)
                .unwrap_or(&link)
                .as_os_str()
                .as_bytes(),
        );
        let target = std::fs::read_link(&link)
            .map(|t| display_path(t.as_os_str().as_bytes()))
            .unwrap_or_default();
        findings.push(diags::freight_path_symlink(&rel, &target, &policy.roots));
    }
    for root in &roots {
        let rel = display_path(
            root.strip_prefix(workdir)
                .unwrap_or(root)
                .as_os_str()
                .as_bytes(),
        );
        match check_root(policy, root) {
            Ok(local) => findings.extend(local.into_iter().map(|mut f| {
                let p = f.path.take().unwrap_or_default();
                f.path = Some(if p.is_empty() {
                    rel.clone()
                } else {
                    format!("{rel}/{p}")
                });
                f
            })),
            Err(e) => findings.push(Finding::new(Rule::ReadError, e).at(rel.clone())),
        }
    }
    (roots.len(), findings)
}

/// The freight-root directories under `workdir`, and the symlinks met on the way to them.
fn find_roots(workdir: &Path, policy: &SnapshotPolicy) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut found = Vec::new();
    let mut links = Vec::new();
    for segments in policy.root_matchers() {
        let mut frontier = vec![workdir.to_path_buf()];
        for matcher in &segments {
            let mut next = Vec::new();
            for dir in &frontier {
                let Ok(entries) = std::fs::read_dir(dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    let file_type = entry.file_type().ok();
                    if !name.to_str().is_some_and(|n| matcher.is_match(n)) {
                        continue;
                    }
                    if file_type.is_some_and(|t| t.is_dir()) {
                        next.push(entry.path());
                    } else if file_type.is_some_and(|t| t.is_symlink()) {
                        links.push(entry.path());
                    }
                }
            }
            frontier = next;
        }
        found.extend(frontier);
    }
    found.sort();
    found.dedup();
    links.sort();
    links.dedup();
    (found, links)
}

fn read_record(policy: &SnapshotPolicy, dir: &Path, label: &str) -> (Record, Vec<Finding>) {
    let path = dir.join(&policy.record);
    let shown = format!("{label}/{}", policy.record);
    let only = |finding: Finding| (Record::default(), vec![finding]);
    match std::fs::symlink_metadata(&path) {
        Err(_) => only(diags::record_missing(&shown)),
        Ok(m) if !m.file_type().is_file() => {
            only(diags::record_not_a_file(&shown, kind_word(&m.file_type())))
        }
        Ok(m) if m.len() > MAX_RECORD_BYTES => only(diags::record_oversized(&shown, m.len())),
        Ok(_) => match std::fs::read(&path) {
            Ok(bytes) => validate_record(policy, &bytes, &shown),
            Err(e) => only(
                Finding::new(Rule::ReadError, format!("cannot read `{shown}`: {e}"))
                    .at(shown.clone()),
            ),
        },
    }
}

fn package(policy: &SnapshotPolicy, record: &Record, dir: &Path, label: &str) -> Vec<Finding> {
    let found: Result<Vec<Finding>, std::convert::Infallible> =
        snapshot::package(policy, record, label, |payload| {
            Ok(dir.join(payload).is_dir())
        });
    match found {
        Ok(findings) => findings,
        Err(never) => match never {},
    }
}

fn check_root(policy: &SnapshotPolicy, root: &Path) -> Result<Vec<Finding>, String> {
    let mut out = Vec::new();
    let cur = policy.current.clone();
    let current = root.join(&cur);
    let mut releases = Vec::new();
    for entry in std::fs::read_dir(root)
        .map_err(|e| format!("cannot list {}: {e}", root.display()))?
        .flatten()
    {
        let name = entry.file_name();
        let bytes = name.as_bytes().to_vec();
        if bytes == cur.as_bytes() {
            continue;
        }
        if !policy.is_release_name(&bytes) {
            out.push(diags::unexpected_entry(&display_path(&bytes), policy));
        } else if entry.file_type().is_ok_and(|t| t.is_dir()) {
            releases.push(entry.path());
        } else {
            let what = entry.file_type().map_or("special file", |t| kind_word(&t));
            out.push(diags::release_not_a_directory(
                &display_path(&bytes),
                what,
                policy,
            ));
        }
    }
    diags::bound(&mut out, Rule::UnexpectedEntry);
    // Every release directory on disk: record, identity, package (in parallel).
    let per_release: Vec<Vec<Finding>> = releases
        .par_iter()
        .map(|dir| {
            let name = display_path(dir.file_name().map(|n| n.as_bytes()).unwrap_or_default());
            let (record, mut f) = read_record(policy, dir, &name);
            f.extend(identity(policy, &record, &name, Some(&name)));
            f.extend(package(policy, &record, dir, &name));
            f
        })
        .collect();
    out.extend(per_release.into_iter().flatten());

    match std::fs::symlink_metadata(&current) {
        Err(_) => {
            if !releases.is_empty() {
                out.push(diags::current_missing(policy));
            }
            return Ok(out);
        }
        Ok(m) if m.file_type().is_symlink() => {
            let target = std::fs::read_link(&current)
                .map(|t| display_path(t.as_os_str().as_bytes()))
                .unwrap_or_default();
            out.push(diags::current_is_a_symlink(policy, &target));
            return Ok(out);
        }
        Ok(m) if !m.is_dir() => {
            out.push(diags::current_not_a_directory(
                policy,
                kind_word(&m.file_type()),
            ));
            return Ok(out);
        }
        Ok(_) => {}
    }
    let (record, f) = read_record(policy, &current, &cur);
    out.extend(f);
    out.extend(identity(policy, &record, &cur, None));
    out.extend(package(policy, &record, &current, &cur));
    let current_tree = snapshot(&current)?;
    if let Some(p) = current_tree
        .iter()
        .find(|(_, n)| **n == Node::Gitlink)
        .map(|(p, _)| p)
    {
        out.push(diags::submodule(
            &format!("{cur}/{}", display_path(p)),
            true,
        ));
    }
    out.extend(escaping_links(&cur, &current_tree));
    let Some(rev) = record.revision.as_deref().filter(|r| is_full_hex(r)) else {
        return Ok(out);
    };
    let release = root.join(policy.release_dir(rev));
    match std::fs::symlink_metadata(&release) {
        Err(_) => {
            out.push(diags::release_missing(policy, rev, None));
            return Ok(out);
        }
        Ok(m) if !m.is_dir() => {
            out.push(diags::release_missing(
                policy,
                rev,
                Some(kind_word(&m.file_type())),
            ));
            return Ok(out);
        }
        Ok(_) => {}
    }
    let release_tree = snapshot(&release)?;
    let mut lines = Vec::new();
    let mut total = 0;
    let keys: std::collections::BTreeSet<&Vec<u8>> =
        current_tree.keys().chain(release_tree.keys()).collect();
    for key in keys {
        let what = match (release_tree.get(key), current_tree.get(key)) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(Node::File { sha256: a, .. }), Some(Node::File { sha256: b, .. })) if a == b => {
                "mode changed"
            }
            (Some(Node::File { .. }), Some(Node::File { .. }))
            | (Some(Node::Link(_)), Some(Node::Link(_))) => "changed",
            (Some(_), Some(_)) => "type changed",
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (None, None) => continue,
        };
        total += 1;
        diags::list(&mut lines, MAX_LISTED_PATHS, what, &display_path(key));
    }
    if total > 0 {
        diags::end_listing(&mut lines, total);
        out.push(diags::mirror_differs(policy, rev, total, lines));
    }
    Ok(out)
}

/// Every path below `dir` (relative, as bytes) with what it is; file contents hashed in parallel.
pub fn snapshot(dir: &Path) -> Result<BTreeMap<Vec<u8>, Node>, String> {
    let mut files = Vec::new();
    let mut out = BTreeMap::new();
    let mut walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .min_depth(1)
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = entry.map_err(|e| format!("cannot walk {}: {e}", dir.display()))?;
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .as_os_str()
            .as_bytes()
            .to_vec();
        let ft = entry.file_type();
        if ft.is_dir() {
            if entry.path().join(".git").exists() {
                out.insert(rel, Node::Gitlink);
                walker.skip_current_dir();
                continue;
            }
            // Directories are implied by their contents in git: empty ones do not exist there.
            continue;
        } else if ft.is_symlink() {
            let target = std::fs::read_link(entry.path())
                .map_err(|e| format!("cannot read link {}: {e}", entry.path().display()))?;
            out.insert(rel, Node::Link(target.as_os_str().as_bytes().to_vec()));
        } else if ft.is_file() {
            let meta = entry.metadata().map_err(|e| e.to_string())?;
            files.push((
                rel,
                entry.path().to_path_buf(),
                meta.permissions().mode() & 0o111 != 0,
            ));
        } else {
            out.insert(rel, Node::Other);
        }
    }
    let hashed: Result<Vec<(Vec<u8>, Node)>, String> = files
        .into_par_iter()
        .map(|(rel, path, executable)| {
            let mut file = std::fs::File::open(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut hasher = Sha256::new();
            std::io::copy(&mut file, &mut hasher)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Ok((
                rel,
                Node::File {
                    executable,
                    sha256: hasher.finalize().into(),
                },
            ))
        })
        .collect();
    out.extend(hashed?);
    Ok(out)
}

/// The first symlink of a snapshot directory `dir` whose target leaves it.
fn escaping_links(dir: &str, tree: &BTreeMap<Vec<u8>, Node>) -> Option<Finding> {
    tree.iter().find_map(|(path, node)| match node {
        Node::Link(target) => {
            let depth = path.iter().filter(|b| **b == b'/').count();
            snapshot::leaves(target, depth)
                .then(|| diags::link_escapes(dir, &display_path(path), &display_path(target)))
        }
        _ => None,
    })
}

/// A path's kind on disk, in the words the snapshot messages use for tree entries.
fn kind_word(file_type: &std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "directory"
    } else if file_type.is_symlink() {
        "symlink"
    } else if file_type.is_file() {
        "file"
    } else {
        "special file"
    }
}
