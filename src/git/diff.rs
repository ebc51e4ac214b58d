//! The one tree diff: the paths that differ between two trees, walked in name order, with a
//! budget, so a few hundred bytes of trees that name one subtree again and again (billions of
//! paths) cost at most `budget` steps.

use std::collections::BTreeMap;

use gix::ObjectId;

use gix::objs::tree::EntryKind;

use crate::git::repo::{Entry, ReadError, Repo, display_path};

/// How a path that is a tree on one side and not on the other is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expand {
    /// As one change of the path (its kinds differ).
    Kinds,
    /// As every file of the tree side, and the path itself for the other side.
    Files,
}

/// Called with each differing path and its entry on each side (`None`: absent).
pub type Visit<'v> = dyn FnMut(&[u8], Option<&Entry>, Option<&Entry>) + 'v;

/// One differing path with its entry in the new tree (`None`: removed).
pub type Changed = (Vec<u8>, Option<Entry>);

/// Walk the differences between `old` and `new` (`None`: an empty tree), calling `visit` with
/// each differing path (relative, `/`-separated) and its entry on each side. Subtrees with
/// equal ids are skipped; an added or removed directory is walked file by file. Every
/// differing entry, trees included, spends one of `budget`: returns `false` when it ran out
/// before the walk was complete.
pub fn walk(
    repo: &Repo,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    expand: Expand,
    budget: usize,
    visit: &mut Visit<'_>,
) -> Result<bool, ReadError> {
    let mut walk = Walk {
        repo,
        expand,
        budget,
        spent: 0,
        prefix: Vec::new(),
        visit,
    };
    walk.trees(old, new)
}

/// One walk in progress.
struct Walk<'a, 'v> {
    repo: &'a Repo,
    expand: Expand,
    budget: usize,
    spent: usize,
    /// The path of the trees being compared, with its trailing `/`.
    prefix: Vec<u8>,
    visit: &'a mut Visit<'v>,
}

impl Walk<'_, '_> {
    fn entries(&self, id: Option<ObjectId>) -> Result<BTreeMap<Vec<u8>, Entry>, ReadError> {
        Ok(match id {
            Some(id) => self
                .repo
                .tree(&id)?
                .into_iter()
                .map(|e| (e.name.clone(), e))
                .collect(),
            None => BTreeMap::new(),
        })
    }

    fn trees(&mut self, old: Option<ObjectId>, new: Option<ObjectId>) -> Result<bool, ReadError> {
        let mut old_entries = self.entries(old)?;
        let mut new_entries = self.entries(new)?;
        let mut names: Vec<Vec<u8>> = old_entries
            .keys()
            .chain(new_entries.keys())
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            let (o, n) = (old_entries.remove(&name), new_entries.remove(&name));
            if let (Some(o), Some(n)) = (&o, &n)
                && o.id == n.id
                && o.kind == n.kind
            {
                continue;
            }
            self.spent += 1;
            if self.spent > self.budget {
                return Ok(false);
            }
            let len = self.prefix.len();
            self.prefix.extend_from_slice(&name);
            let complete = self.path(o, n)?;
            self.prefix.truncate(len);
            if !complete {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// One differing name (its path in `prefix`): its subtrees, then the path itself.
    fn path(&mut self, o: Option<Entry>, n: Option<Entry>) -> Result<bool, ReadError> {
        let o_tree = o.as_ref().filter(|e| e.is_tree()).map(|e| e.id);
        let n_tree = n.as_ref().filter(|e| e.is_tree()).map(|e| e.id);
        let one_sided = o_tree.is_some() != n_tree.is_some() && o.is_some() && n.is_some();
        let recurse = match self.expand {
            Expand::Files => o_tree.is_some() || n_tree.is_some(),
            Expand::Kinds => (o_tree.is_some() || n_tree.is_some()) && !one_sided,
        };
        if recurse {
            let len = self.prefix.len();
            self.prefix.push(b'/');
            let complete = self.trees(o_tree, n_tree)?;
            self.prefix.truncate(len);
            if !complete {
                return Ok(false);
            }
        }
        let leaf = |e: &Option<Entry>| e.as_ref().filter(|e| !e.is_tree()).cloned();
        let (o_leaf, n_leaf) = if self.expand == Expand::Kinds && one_sided {
            (o, n)
        } else {
            (leaf(&o), leaf(&n))
        };
        if o_leaf.is_some() || n_leaf.is_some() {
            (self.visit)(&self.prefix, o_leaf.as_ref(), n_leaf.as_ref());
        }
        Ok(true)
    }
}

/// The most differing paths one finding lists.
pub const MAX_LISTED_PATHS: usize = 20;

/// Diff two trees; returns the number of differing paths and up to [`MAX_LISTED_PATHS`] lines
/// describing them (`added`, `removed`, `changed`, `mode changed`, `type changed`).
pub fn diff_trees(
    repo: &Repo,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
) -> Result<(usize, Vec<String>), ReadError> {
    let mut lines = Vec::new();
    let mut total = 0;
    let complete = walk(
        repo,
        old,
        new,
        Expand::Kinds,
        MAX_DIFF_ENTRIES,
        &mut |path, o, n| {
            let what = match (o, n) {
                (Some(o), Some(n)) if o.id == n.id => {
                    format!("mode changed ({} -> {})", mode(o.kind), mode(n.kind))
                }
                (Some(o), Some(n)) if o.kind != n.kind => format!(
                    "type changed ({} -> {})",
                    kind_word(o.kind),
                    kind_word(n.kind)
                ),
                (Some(_), Some(_)) => "changed".to_string(),
                (None, Some(_)) => "added".to_string(),
                (Some(_), None) => "removed".to_string(),
                (None, None) => return,
            };
            total += 1;
            list(&mut lines, MAX_LISTED_PATHS, &what, &display_path(path));
        },
    )?;
    if !complete {
        total = total.max(MAX_DIFF_ENTRIES + 1);
        lines.push(format!(
            "... and more (counting stopped after {MAX_DIFF_ENTRIES} entries)"
        ));
    } else {
        end_listing(&mut lines, total);
    }
    Ok((total, lines))
}

/// Where [`diff_trees`] stops counting: the verdict never depends on the count, and a few
/// hundred bytes of trees naming one subtree again and again can stand for billions of paths.
const MAX_DIFF_ENTRIES: usize = 10_000;

/// One line of a listing of differing paths, kept while fewer than `max` are listed.
pub fn list(lines: &mut Vec<String>, max: usize, what: &str, path: &str) {
    if lines.len() < max {
        lines.push(format!("{what}: {path}"));
    }
}

/// The line that ends a listing cut at `lines.len()` of `total`.
pub fn end_listing(lines: &mut Vec<String>, total: usize) {
    if total > lines.len() {
        lines.push(format!("... and {} more", total - lines.len()));
    }
}

/// "in N path(s)", or, when two different trees hold the same paths with the same contents
/// and kinds, that they differ only in how the tree objects are written.
pub fn in_paths(total: usize) -> String {
    if total == 0 {
        "in how its tree objects are written only (the same paths and contents, but e.g. a mode recorded as 100664 or 040000 instead of git's canonical 100644 or 40000)".to_string()
    } else {
        format!("in {total} path(s)")
    }
}

/// A tree entry's kind in words.
pub fn kind_word(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Tree => "directory",
        EntryKind::Blob => "file",
        EntryKind::BlobExecutable => "executable file",
        EntryKind::Link => "symlink",
        EntryKind::Commit => "gitlink (submodule)",
    }
}

fn mode(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Tree => "040000",
        EntryKind::Blob => "100644",
        EntryKind::BlobExecutable => "100755",
        EntryKind::Link => "120000",
        EntryKind::Commit => "160000",
    }
}
