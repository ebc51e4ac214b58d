//! Which commits a ref update adds: `git rev-list <new> --not <hidden>...`.
//!
//! The walk goes newest-first by committer time, painting commits reachable from the hidden
//! tips as uninteresting, and stops once only uninteresting commits are queued (plus a few
//! extra steps to tolerate clock skew, as git does). A commit is only ever dropped when it is
//! proven reachable from a hidden tip, so skew can at worst add commits to judge, never lose one.

use std::collections::{BinaryHeap, HashMap, HashSet};

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
    parents_first(repo, result)
}

/// Put parents before children where clock skew broke the committer-time order (a child
/// dated before its parent); an order that already holds is returned as it is.
fn parents_first(repo: &Repo, commits: Vec<ObjectId>) -> Result<Vec<ObjectId>, ReadError> {
    let index: HashMap<ObjectId, usize> =
        commits.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let mut in_order = true;
    'check: for (i, c) in commits.iter().enumerate() {
        for p in &repo.commit(c)?.parents {
            if index.get(p).is_some_and(|&j| j > i) {
                in_order = false;
                break 'check;
            }
        }
    }
    if in_order {
        return Ok(commits);
    }
    // Depth-first, parents before the commit, starting from each commit in time order.
    let mut done: HashSet<ObjectId> = HashSet::with_capacity(commits.len());
    let mut out = Vec::with_capacity(commits.len());
    for &start in &commits {
        let mut stack = vec![(start, false)];
        while let Some((c, expanded)) = stack.pop() {
            if done.contains(&c) {
                continue;
            }
            if expanded {
                done.insert(c);
                out.push(c);
                continue;
            }
            stack.push((c, true));
            for p in repo.commit(&c)?.parents.iter().rev() {
                if index.contains_key(p) && !done.contains(p) {
                    stack.push((*p, false));
                }
            }
        }
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testing::{Scratch, id};

    #[test]
    fn added_commits_are_what_rev_list_says_oldest_first() {
        let s = Scratch::new();
        let t = s.tree(&[]);
        // A - B - C and B - D (committed earlier than C: clock skew), M merges C and D.
        let a = s.commit(&t, &[], 1000);
        let b = s.commit(&t, &[&a], 2000);
        let c = s.commit(&t, &[&b], 3000);
        let d = s.commit(&t, &[&b], 500);
        let m = s.commit(&t, &[&c, &d], 4000);
        let repo = s.open();
        let walk = |tip: &str, hidden: &[&str]| -> Vec<ObjectId> {
            let hidden: Vec<ObjectId> = hidden.iter().map(|h| id(h)).collect();
            added_commits(&repo, id(tip), &hidden).expect("walk")
        };
        let rev_list = |tip: &str, hidden: &[&str]| -> Vec<ObjectId> {
            let mut args = vec!["rev-list", "--reverse", "--topo-order", tip];
            let nots: Vec<String> = hidden.iter().map(|h| format!("^{h}")).collect();
            args.extend(nots.iter().map(String::as_str));
            let out = s.git(&args, None);
            out.lines().map(id).collect()
        };
        for (tip, hidden) in [
            (&m, vec![&c]),
            (&m, vec![&d]),
            (&m, vec![]),
            (&c, vec![&m]),
            (&m, vec![&a]),
            (&d, vec![&c]),
        ] {
            let hidden: Vec<&str> = hidden.iter().map(|h| h.as_str()).collect();
            let mut ours = walk(tip, &hidden);
            let mut gits = rev_list(tip, &hidden);
            // Parents come before children in ours; the set is git's.
            for (i, c) in ours.iter().enumerate() {
                for p in &repo.commit(c).expect("commit").parents {
                    if let Some(j) = ours.iter().position(|x| x == p) {
                        assert!(j < i, "parent after child");
                    }
                }
            }
            ours.sort();
            gits.sort();
            assert_eq!(ours, gits, "{tip} --not {hidden:?}");
        }
        // A hidden tip that is not in the repository hides nothing.
        let missing = "1".repeat(40);
        assert_eq!(walk(&b, &[&missing]).len(), 2);
    }
}
