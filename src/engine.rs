//! Judging ref updates: which commits an update adds, and which contracts apply to them.
//!
//! Every mode reduces its input to a list of [`RefUpdate`]s and hands them to one [`Engine`],
//! which opens nothing itself and never prints: it returns findings.

use std::collections::HashSet;
use std::time::Instant;

use gix::ObjectId;

use crate::finding::Finding;
use crate::policy::Policy;
use crate::repo::{ReadError, Repo};
use crate::rules::Rule;
use crate::snapshot::SnapshotChecker;
use crate::walk;

/// The name of the policy file inside the repository.
pub const POLICY_FILE: &str = ".freight-guard.yaml";

/// One ref moving from `old` to `new` (`None`: created / deleted).
#[derive(Debug, Clone)]
pub struct RefUpdate {
    pub name: String,
    pub old: Option<ObjectId>,
    pub new: Option<ObjectId>,
}

/// Why judging stopped before it finished.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the deadline of {0:.1} s passed before every commit was judged")]
    Deadline(f64),
}

/// Judges ref updates under one policy, sharing memoized verdicts across updates and commits.
pub struct Engine<'a> {
    repo: &'a Repo,
    policy: &'a Policy,
    snapshot: SnapshotChecker<'a>,
    deadline: Option<(Instant, f64)>,
    /// The default branch (full name), whose policy file changes are validated.
    default_branch: Option<String>,
    /// Commits already judged on a snapshot branch in this run (audit shares them).
    judged: HashSet<ObjectId>,
    /// Refs judged as snapshot branches whatever their name (`audit --ref`).
    extra_snapshot_refs: HashSet<String>,
    pub findings: Vec<Finding>,
    pub commits_judged: usize,
}

impl<'a> Engine<'a> {
    pub fn new(repo: &'a Repo, policy: &'a Policy) -> Engine<'a> {
        Engine {
            repo,
            policy,
            snapshot: SnapshotChecker::new(&policy.snapshot),
            deadline: None,
            default_branch: None,
            judged: HashSet::new(),
            extra_snapshot_refs: HashSet::new(),
            findings: Vec::new(),
            commits_judged: 0,
        }
    }

    pub fn with_deadline(mut self, start: Instant, seconds: f64) -> Self {
        self.deadline = Some((start, seconds));
        self
    }

    pub fn with_default_branch(mut self, name: Option<String>) -> Self {
        self.default_branch = name;
        self
    }

    /// Judge these refs under the snapshot contract even if `snapshot.branches` does not
    /// name them.
    pub fn with_snapshot_refs(mut self, names: impl IntoIterator<Item = String>) -> Self {
        self.extra_snapshot_refs.extend(names);
        self
    }

    fn check_deadline(&self) -> Result<(), Stop> {
        if let Some((start, seconds)) = self.deadline
            && start.elapsed().as_secs_f64() > seconds
        {
            return Err(Stop::Deadline(seconds));
        }
        Ok(())
    }

    /// Is `full_ref` a branch on which the snapshot contract holds?
    pub fn is_snapshot_branch(&self, full_ref: &str) -> bool {
        self.extra_snapshot_refs.contains(full_ref)
            || full_ref
                .strip_prefix("refs/heads/")
                .is_some_and(|b| self.policy.snapshot.branches.is_match(b))
    }

    /// Judge one ref update. `hidden` are extra tips whose history is not judged.
    pub fn judge(&mut self, update: &RefUpdate, hidden: &[ObjectId]) -> Result<(), Stop> {
        let Some(new) = update.new else {
            return Ok(()); // deletions: no commit is added
        };
        if self.default_branch.as_deref() == Some(update.name.as_str()) {
            self.check_policy_change(update, new)?;
        }
        if !self.is_snapshot_branch(&update.name) {
            return Ok(());
        }
        let mut hide: Vec<ObjectId> = hidden.to_vec();
        hide.extend(update.old);
        let commits = walk::added_commits(self.repo, new, &hide)?;
        for id in commits {
            self.check_deadline()?;
            if !self.judged.insert(id) {
                continue;
            }
            let commit = self.repo.commit(&id)?;
            let found = self.snapshot.check_commit(self.repo, &commit)?;
            self.commits_judged += 1;
            self.findings
                .extend(found.into_iter().map(|f| f.on_ref(update.name.clone())));
        }
        Ok(())
    }

    /// Judge a tree as the commit about to be made on `branch` with `parents` (pre-commit).
    pub fn judge_tree(
        &mut self,
        branch: &str,
        tree: ObjectId,
        parents: &[ObjectId],
    ) -> Result<(), Stop> {
        if !self.is_snapshot_branch(branch) {
            return Ok(());
        }
        let found = self.snapshot.check_tree(self.repo, tree, parents)?;
        self.commits_judged += 1;
        self.findings
            .extend(found.into_iter().map(|f| f.on_ref(branch.to_string())));
        Ok(())
    }

    /// A push that edits the policy file on the default branch is judged by the old policy,
    /// but the new file must still be valid.
    fn check_policy_change(&mut self, update: &RefUpdate, new: ObjectId) -> Result<(), Stop> {
        let blob_at = |commit: Option<ObjectId>| -> Result<Option<ObjectId>, ReadError> {
            let Some(commit) = commit else {
                return Ok(None);
            };
            let tree = self.repo.commit(&commit)?.tree;
            Ok(self
                .repo
                .lookup(&tree, POLICY_FILE.as_bytes())?
                .map(|e| e.id))
        };
        let new_blob = blob_at(Some(new))?;
        let Some(new_blob) = new_blob else {
            return Ok(());
        };
        if blob_at(update.old)? == Some(new_blob) {
            return Ok(());
        }
        let bytes = self.repo.blob(&new_blob)?;
        let problems = match std::str::from_utf8(&bytes) {
            Ok(text) => Policy::from_yaml(text).err().unwrap_or_default(),
            Err(_) => vec![crate::policy::Problem {
                line: 0,
                message: "the policy file is not UTF-8 text".into(),
            }],
        };
        if !problems.is_empty() {
            let details = problems
                .iter()
                .map(|p| format!("{POLICY_FILE}:{}: {}", p.line, p.message))
                .collect();
            self.findings.push(
                Finding::new(
                    Rule::PolicyInvalid,
                    format!(
                        "this push leaves `{POLICY_FILE}` invalid ({} problem(s)); the default branch must keep a valid policy",
                        problems.len()
                    ),
                )
                .at(POLICY_FILE)
                .in_commit(new)
                .on_ref(update.name.clone())
                .with_details(details),
            );
        }
        Ok(())
    }
}
