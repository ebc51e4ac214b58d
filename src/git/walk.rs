//! Which commits a ref update adds: `git rev-list <new> --not <hidden>...`.
//!
//! The walk goes newest-first by committer time, painting commits reachable from the hidden
//! tips as uninteresting, and stops once only uninteresting commits are queued (plus a few
//! extra steps to tolerate clock skew, as git does). A commit is only ever dropped when it is
//! proven reachable from a hidden tip, so skew can at worst add commits to judge, never lose one.

use std::collections::{BinaryHeap, HashMap};

use gix::ObjectId;

use crate::git::repo::{ReadError, Repo};

/// How many extra uninteresting commits to walk after the queue turned all-uninteresting.
const SLOP: usize = 8;

/// Commits reachable from `tip` but not from any of `hidden`, oldest first (parents before
/// children), so reports read in history order.
pub fn added_commits(
    repo: &Repo,
    tip: ObjectId,
    hidden: &[ObjectId],
) -> Result<Vec<ObjectId>, ReadError> {
    added_commits_from(repo, &[tip], hidden)
}

/// Commits reachable from any of `tips` but not from any of `hidden`, in one walk.
pub fn added_commits_from(
    repo: &Repo,
    tips: &[ObjectId],
    hidden: &[ObjectId],
) -> Result<Vec<ObjectId>, ReadError> {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct Item(i64, ObjectId);

    // true = uninteresting (reachable from a hidden tip)
    let mut state: HashMap<ObjectId, bool> = HashMap::new();
    let mut queue = BinaryHeap::new();
    let mut order = Vec::new();

    for h in hidden {
        if repo.has_object(h) && state.insert(*h, true).is_none() {
            let c = repo.commit(h)?;
            queue.push(Item(c.time, *h));
        }
    }
    for tip in tips {
        if !state.contains_key(tip) {
            let c = repo.commit(tip)?;
            state.insert(*tip, false);
            queue.push(Item(c.time, *tip));
        }
    }

    let mut slop = SLOP;
    while let Some(Item(_, id)) = queue.pop() {
        let uninteresting = state.get(&id).copied().unwrap_or(false);
        if !uninteresting {
            order.push(id);
        }
        let commit = repo.commit(&id)?;
        for parent in &commit.parents {
            match state.get(parent).copied() {
                None => {
                    state.insert(*parent, uninteresting);
                    let pc = repo.commit(parent)?;
                    queue.push(Item(pc.time, *parent));
                }
                Some(false) if uninteresting => {
                    // Reached from a hidden tip as well: mark it, and let the mark travel on
                    // to its ancestors (re-queue so its parents get painted too).
                    mark_uninteresting(repo, &mut state, *parent)?;
                }
                _ => {}
            }
        }
        let all_uninteresting = queue
            .iter()
            .all(|Item(_, q)| state.get(q).copied().unwrap_or(false));
        if all_uninteresting {
            if slop == 0 {
                break;
            }
            slop -= 1;
        } else {
            slop = SLOP;
        }
    }
    let mut result: Vec<ObjectId> = order
        .into_iter()
        .filter(|id| state.get(id).copied() == Some(false))
        .collect();
    result.reverse();
    Ok(result)
}

/// Paint `start` and its already-visited interesting ancestors as uninteresting.
fn mark_uninteresting(
    repo: &Repo,
    state: &mut HashMap<ObjectId, bool>,
    start: ObjectId,
) -> Result<(), ReadError> {
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        match state.get(&id).copied() {
            Some(false) => {
                state.insert(id, true);
                for p in repo.commit(&id)?.parents {
                    if state.get(&p).copied() == Some(false) {
                        stack.push(p);
                    }
                }
            }
            _ => continue,
        }
    }
    Ok(())
}
