//! The staged index as a tree: `pre-commit` judges the commit about to be made.
//!
//! Tree objects for the index are built in gix's in-memory object overlay, so the repository
//! is never written to; blobs are already in the object database because `git add` wrote them.

use std::path::Path;

use gix::ObjectId;
use gix::objs::tree::{Entry as TreeEntry, EntryKind};

use crate::git::repo::{ReadError, Repo, display_path};

/// Build the tree of the index at `path` and return its id.
pub fn staged_tree(repo: &Repo, path: &Path) -> Result<ObjectId, ReadError> {
    let file =
        gix::index::File::at(path, repo.object_hash(), false, Default::default()).map_err(|e| {
            ReadError::Index {
                what: format!("cannot read the index {}", path.display()),
                source: e.into(),
            }
        })?;
    let mut items: Vec<(Vec<u8>, EntryKind, ObjectId)> = Vec::with_capacity(file.entries().len());
    for entry in file.entries() {
        let p = entry.path(&file).to_vec();
        if entry.stage_raw() != 0 {
            return Err(ReadError::IndexState(format!(
                "the index has unresolved conflicts (at `{}`); resolve them before committing",
                display_path(&p)
            )));
        }
        let mode = entry.mode.to_tree_entry_mode().ok_or_else(|| {
            ReadError::IndexState(format!(
                "the index entry `{}` has an unknown mode",
                display_path(&p)
            ))
        })?;
        items.push((p, mode.kind(), entry.id));
    }
    build(repo, &items)
}

/// Build a tree from entries sorted by path (the index's order), recursively.
fn build(repo: &Repo, items: &[(Vec<u8>, EntryKind, ObjectId)]) -> Result<ObjectId, ReadError> {
    let mut entries: Vec<TreeEntry> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let (path, kind, id) = &items[i];
        match path.iter().position(|b| *b == b'/') {
            None => {
                entries.push(TreeEntry {
                    mode: (*kind).into(),
                    filename: path.clone().into(),
                    oid: *id,
                });
                i += 1;
            }
            Some(slash) => {
                let dir = &path[..slash];
                let mut j = i;
                let mut children = Vec::new();
                while j < items.len()
                    && items[j].0.len() > slash
                    && items[j].0[..slash] == *dir
                    && items[j].0[slash] == b'/'
                {
                    children.push((items[j].0[slash + 1..].to_vec(), items[j].1, items[j].2));
                    j += 1;
                }
                let sub = build(repo, &children)?;
                entries.push(TreeEntry {
                    mode: EntryKind::Tree.into(),
                    filename: dir.to_vec().into(),
                    oid: sub,
                });
                i = j;
            }
        }
    }
    entries.sort();
    let tree = gix::objs::Tree { entries };
    repo.repo
        .write_object(&tree)
        .map(|id| id.detach())
        .map_err(|e| ReadError::Index {
            what: "cannot build the staged tree".into(),
            source: e.into(),
        })
}
