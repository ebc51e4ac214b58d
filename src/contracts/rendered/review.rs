//! Review branches: how each commit an update of a review branch adds got there (a proposal
//! commit, a merge or squash of a proposal by the forge, Kargo's `Initial commit`), or
//! `review-bypassed` and `merge-altered`.

use std::collections::HashSet;

use gix::ObjectId;

use super::RenderedChecker;
use crate::contracts::signing::cfg::SigningClass;
use crate::deadline::Stop;
use crate::finding::Finding;
use crate::git::diff::{self, diff_trees};
use crate::git::repo::Repo;
use crate::rules::Rule;

/// What a review-branch update is judged against.
pub struct Review<'r> {
    pub ref_name: &'r str,
    pub old: Option<ObjectId>,
    pub new: ObjectId,
    /// What the update adds, oldest first.
    pub added: &'r [ObjectId],
    /// Commits reachable from a proposal branch tip but not from `old`.
    pub proposed: &'r HashSet<ObjectId>,
    /// The proposal branch tips.
    pub proposal_tips: &'r [ObjectId],
    /// History mode (`audit`): proposal branches deleted after their merge cannot be seen, so
    /// a merged commit is judged by the renderer rules instead of by where it came from.
    pub history: bool,
    /// A server hook: the platform's word that the forge merged a pull request, if it said
    /// so (`Some(None)`: it did not). `None` outside a server hook, where nobody can tell.
    pub forge_merge: Option<Option<&'r str>>,
}

impl RenderedChecker<'_> {
    /// How each commit a review-branch update adds got there: (a) a renderer commit already on
    /// a proposal branch; (b) a merge of a proposal commit with its tree; (c) a squash by the
    /// forge with the tree of a proposal branch tip. Anything else bypassed review.
    pub fn check_review(&mut self, repo: &Repo, review: &Review<'_>) -> Result<Vec<Finding>, Stop> {
        let p = self.policy;
        let added: HashSet<ObjectId> = review.added.iter().copied().collect();
        // The first-parent chain from the new tip down to what was there before.
        let mut chain = HashSet::new();
        let mut cursor = Some(review.new);
        while let Some(c) = cursor.filter(|c| added.contains(c)) {
            chain.insert(c);
            cursor = repo.commit(&c)?.parents.first().copied();
        }
        let mut tip_trees = HashSet::new();
        for tip in review.proposal_tips {
            tip_trees.insert(repo.commit(tip)?.tree);
        }
        let mut out = Vec::new();
        // A fast-forward to a proposal commit makes no commit of its own: anyone who can push
        // could make it. Only the platform can say that the forge merged the pull request.
        if let Some(None) = review.forge_merge
            && !p.fast_forward
            && !review.history
            && review.added.contains(&review.new)
            && review.proposed.contains(&review.new)
            && p.renderer
                .is_match(&repo.commit_meta(&review.new)?.committer)
        {
            out.push(
                Finding::new(
                    Rule::ReviewBypassed,
                    format!(
                        "{} is fast-forwarded to the proposal commit {}, and the platform does not say that the forge merged it (GITHUB_VIA={}, GL_PROTOCOL=web or GITEA_PR_ID); set `rendered.fast_forward: true` if the forge merges by fast-forward and its hooks cannot say so",
                        review.ref_name,
                        review.new,
                        crate::push::GITHUB_MERGES.join(" / ")
                    ),
                )
                .in_commit(review.new),
            );
        }
        for &id in review.added {
            let on_chain = chain.contains(&id);
            let info = repo.commit(&id)?;
            let meta = repo.commit_meta(&id)?;
            let by_renderer = p.renderer.is_match(&meta.committer);
            let by_forge = p.forge.is_match(&meta.committer);
            if review.old.is_none() && on_chain && self.is_initial_commit(repo, id)? {
                // The empty root commit Kargo makes when it creates the branch.
                out.extend(self.check_signature(repo, id, SigningClass::Proposal)?);
                continue;
            }
            // A proposal is created from the review branch's tip, so its history holds the
            // forge's earlier merges and squashes: on the branch's own first-parent chain,
            // those are judged as merges, not as the renderer's proposal commits.
            let earlier_merge = on_chain && !by_renderer;
            if (review.proposed.contains(&id) && !earlier_merge) || (review.history && !on_chain) {
                out.extend(self.check_commit(repo, id)?);
                out.extend(self.check_signature(repo, id, SigningClass::Proposal)?);
                continue;
            }
            // The engine puts the ref on every finding of the update.
            let found = |rule: Rule, message: String| Finding::new(rule, message).in_commit(id);
            let bypassed = |message: String| found(Rule::ReviewBypassed, message);
            if !on_chain {
                out.push(bypassed(format!(
                    "brought into {} by a merge, but it is on no proposal branch ({})",
                    review.ref_name,
                    p.proposals.texts.join(", ")
                )));
                continue;
            }
            match info.parents.as_slice() {
                [_, other] => {
                    if !by_renderer && !by_forge {
                        out.push(bypassed(format!(
                            "a merge committed by `{}`, which is neither the renderer ({}) nor the forge ({})",
                            meta.committer,
                            p.renderer.texts.join(", "),
                            p.forge.texts.join(", ")
                        )));
                        continue;
                    }
                    let proposed = review.history
                        || review.proposed.contains(other)
                        || review.proposal_tips.contains(other);
                    if !proposed {
                        out.push(bypassed(format!(
                            "merges {other}, which is on no proposal branch ({})",
                            p.proposals.texts.join(", ")
                        )));
                        continue;
                    }
                    out.extend(self.check_signature(repo, id, SigningClass::Review)?);
                    let merged_tree = repo.commit(other)?.tree;
                    if merged_tree != info.tree {
                        let (count, details) =
                            diff_trees(repo, Some(merged_tree), Some(info.tree))?;
                        out.push(
                            found(
                                Rule::MergeAltered,
                                format!(
                                    "the merge's tree differs from the tree of the proposal commit {other} it merges, {}",
                                    diff::in_paths(count)
                                ),
                            )
                            .with_details(details),
                        );
                    }
                }
                [_] if by_forge => {
                    out.extend(self.check_signature(repo, id, SigningClass::Review)?);
                    if !review.history && !tip_trees.contains(&info.tree) {
                        out.push(found(
                            Rule::MergeAltered,
                            format!(
                                "a squash committed by the forge (`{}`) whose tree is the tree of no proposal branch tip",
                                meta.committer
                            ),
                        ));
                    }
                }
                [_] if review.history && by_renderer => {
                    out.extend(self.check_commit(repo, id)?);
                    out.extend(self.check_signature(repo, id, SigningClass::Proposal)?);
                }
                _ => out.push(bypassed(format!(
                    "committed by `{}`: neither a commit of a proposal branch, nor a merge of one, nor a squash by the forge",
                    meta.committer
                ))),
            }
        }
        Ok(out)
    }
}
