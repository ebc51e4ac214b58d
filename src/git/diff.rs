//! The one tree diff: the paths that differ between two trees, walked in name order, with a
//! budget, so a few hundred bytes of trees that name one subtree again and again (billions of
//! paths) cost at most `budget` steps.

use std::collections::BTreeMap;

use gix::ObjectId;

use crate::git::repo::{Entry, ReadError, Repo};

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
    let mut spent = 0;
    let mut prefix = Vec::new();
    walk_into(
        repo,
        old,
        new,
        expand,
        budget,
        &mut spent,
        &mut prefix,
        visit,
    )
}

#[allow(clippy::too_many_arguments)]
fn walk_into(
    repo: &Repo,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    expand: Expand,
    budget: usize,
    spent: &mut usize,
    prefix: &mut Vec<u8>,
    visit: &mut Visit<'_>,
) -> Result<bool, ReadError> {
    let entries = |id: Option<ObjectId>| -> Result<BTreeMap<Vec<u8>, Entry>, ReadError> {
        Ok(match id {
            Some(id) => repo
                .tree(&id)?
                .into_iter()
                .map(|e| (e.name.clone(), e))
                .collect(),
            None => BTreeMap::new(),
        })
    };
    let mut old_entries = entries(old)?;
    let mut new_entries = entries(new)?;
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
        *spent += 1;
        if *spent > budget {
            return Ok(false);
        }
        let len = prefix.len();
        prefix.extend_from_slice(&name);
        let o_tree = o.as_ref().filter(|e| e.is_tree()).map(|e| e.id);
        let n_tree = n.as_ref().filter(|e| e.is_tree()).map(|e| e.id);
        let one_sided = o_tree.is_some() != n_tree.is_some() && o.is_some() && n.is_some();
        let recurse = match expand {
            Expand::Files => o_tree.is_some() || n_tree.is_some(),
            Expand::Kinds => (o_tree.is_some() || n_tree.is_some()) && !one_sided,
        };
        if recurse {
            prefix.push(b'/');
            let complete = walk_into(repo, o_tree, n_tree, expand, budget, spent, prefix, visit)?;
            prefix.truncate(len + name.len());
            if !complete {
                prefix.truncate(len);
                return Ok(false);
            }
        }
        let (o_leaf, n_leaf) = match expand {
            Expand::Files => (
                o.as_ref().filter(|e| !e.is_tree()),
                n.as_ref().filter(|e| !e.is_tree()),
            ),
            Expand::Kinds if one_sided => (o.as_ref(), n.as_ref()),
            Expand::Kinds => (
                o.as_ref().filter(|e| !e.is_tree()),
                n.as_ref().filter(|e| !e.is_tree()),
            ),
        };
        if o_leaf.is_some() || n_leaf.is_some() {
            visit(prefix, o_leaf, n_leaf);
        }
        prefix.truncate(len);
    }
    Ok(true)
}
