//! What checkout makes of rendered files: a commit on a rendered branch that changes a
//! `.gitattributes` file must not change how the files under `rendered.paths` that it keeps
//! are checked out (line endings, encoding, `$Id$` expansion, a filter other than Git LFS's).
//! The reviewed diff shows blobs; Argo CD applies what checkout writes.

use std::collections::{BTreeSet, HashMap, HashSet};

use gix::ObjectId;

use crate::contracts::rendered::cfg::RenderedPolicy;
use crate::deadline::{Deadline, Stop};
use crate::finding::Finding;
use crate::git::attributes::{self, Attributes, Setting, describe, texts};
use crate::git::diff::{self, Expand, MAX_LISTED_PATHS};
use crate::git::repo::{ReadError, Repo, display_path, join_path};
use crate::rules::Rule;

/// The most files below a changed attributes file that are compared; past it the commit
/// cannot be verified.
const MAX_FILES: usize = 200_000;

/// The directory of a repository path (empty: the top).
fn parent_dir(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|b| *b == b'/') {
        Some(k) => &path[..k],
        None => b"",
    }
}

/// The files below `dir` in `top` (repository paths).
fn files_below(repo: &Repo, top: ObjectId, dir: &[u8]) -> Result<HashSet<Vec<u8>>, ReadError> {
    let tree = if dir.is_empty() {
        Some(top)
    } else {
        repo.lookup(&top, dir)?
            .filter(|e| e.is_tree())
            .map(|e| e.id)
    };
    let mut out = HashSet::new();
    let complete = diff::walk(
        repo,
        None,
        tree,
        Expand::Files,
        MAX_FILES,
        &mut |path, _, n| {
            if n.is_some_and(|e| !e.is_tree() && e.kind != gix::objs::tree::EntryKind::Link) {
                out.insert(join_path(dir, path));
            }
        },
    )?;
    if !complete {
        return Err(ReadError::TooLarge(format!(
            "more than {MAX_FILES} files below a changed `.gitattributes`"
        )));
    }
    Ok(out)
}

/// The settings of `path` in the tree `top`, with the attributes of each directory built once.
fn settings_in(
    repo: &Repo,
    top: ObjectId,
    cache: &mut HashMap<Vec<u8>, Attributes>,
    path: &[u8],
) -> Result<Vec<Setting>, ReadError> {
    let dir = parent_dir(path).to_vec();
    if !cache.contains_key(&dir) {
        let files = attributes::along(repo, &top, &dir)?;
        cache.insert(dir.clone(), Attributes::of(repo, &files)?);
    }
    Ok(cache
        .get_mut(&dir)
        .map(|a| a.settings(path))
        .unwrap_or_default())
}

/// The finding for a commit (tree `new`) whose parent has tree `old`, given the paths of the
/// attributes files that differ between them.
pub fn changed(
    repo: &Repo,
    policy: &RenderedPolicy,
    old: ObjectId,
    new: ObjectId,
    changed_files: &BTreeSet<Vec<u8>>,
    deadline: Deadline,
) -> Result<Option<Finding>, Stop> {
    // The directories below which settings may have changed, without nested repeats.
    let mut dirs: Vec<&[u8]> = changed_files.iter().map(|f| parent_dir(f)).collect();
    dirs.sort();
    dirs.dedup();
    let mut top_dirs: Vec<&[u8]> = Vec::new();
    for d in dirs {
        let inside = top_dirs
            .iter()
            .any(|t| t.is_empty() || d == *t || d.starts_with(&[*t, b"/"].concat()));
        if !inside {
            top_dirs.push(d);
        }
    }
    let (mut was, mut is) = (HashMap::new(), HashMap::new());
    let mut total = 0usize;
    let mut listed = Vec::new();
    for dir in top_dirs {
        let before = files_below(repo, old, dir)?;
        let mut kept: Vec<Vec<u8>> = files_below(repo, new, dir)?
            .into_iter()
            .filter(|p| before.contains(p))
            .filter(|p| policy.paths.is_match(&String::from_utf8_lossy(p)))
            .collect();
        kept.sort();
        for path in kept {
            deadline.check()?;
            let a = settings_in(repo, old, &mut was, &path)?;
            let b = settings_in(repo, new, &mut is, &path)?;
            if texts(&a, false) != texts(&b, false) {
                total += 1;
                if listed.len() < MAX_LISTED_PATHS {
                    listed.push(format!(
                        "{}: was {}, now {}",
                        display_path(&path),
                        describe(&a, false),
                        describe(&b, false)
                    ));
                }
            }
        }
    }
    if total == 0 {
        return Ok(None);
    }
    if total > listed.len() {
        listed.push(format!("... and {} more", total - listed.len()));
    }
    let files: Vec<String> = changed_files.iter().map(|f| display_path(f)).collect();
    Ok(Some(
        Finding::new(
            Rule::CheckoutAttributes,
            format!(
                "the change to {} changes how {total} rendered file(s) the commit keeps are checked out, so Argo CD applies bytes the reviewed diff does not show",
                files.join(", ")
            ),
        )
        .with_details(listed),
    ))
}
