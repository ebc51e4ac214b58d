//! Judging ref updates: which commits an update adds, and which contracts apply to them.
//!
//! Every mode reduces its input to a list of [`RefUpdate`]s and hands them to one [`Engine`],
//! which opens nothing itself and never prints: it returns findings.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use gix::ObjectId;

use crate::contracts::objects::ObjectChecker;
use crate::contracts::refs;
use crate::contracts::rendered::{Class, RenderedChecker, Review};
use crate::contracts::snapshot::SnapshotChecker;
use crate::deadline::Deadline;
use crate::finding::Finding;
use crate::git::repo::{ReadError, Repo, display_path, join_path};
use crate::git::walk;
use crate::policy::load;
use crate::policy::{POLICY_FILE, Policy, SigningClass};
use crate::push::{PusherCheck, RefUpdate, RefView};
use crate::rules::Rule;

/// Commits judged on one thread before a push's commits are spread over more.
const MIN_COMMITS_PER_THREAD: usize = 16;
/// At most this many threads judge one push unless told otherwise.
const MAX_THREADS: usize = 8;

fn deadline_check(deadline: Option<(Instant, f64)>) -> Result<(), Stop> {
    Deadline(deadline).check()
}

/// Judge `commits` one after the other with one checker.
/// Judge `commits` one after the other with one checker of each kind: the snapshot contract
/// and object integrity read the same trees, so they run together while the trees are fresh.
fn judge_run(
    repo: &Repo,
    checker: &mut SnapshotChecker<'_>,
    objects: &mut ObjectChecker,
    commits: &[ObjectId],
    deadline: Option<(Instant, f64)>,
) -> Result<Vec<Vec<Finding>>, Stop> {
    let mut out = Vec::with_capacity(commits.len());
    for id in commits {
        deadline_check(deadline)?;
        let commit = repo.commit(id)?;
        let mut found = objects.check_commit(repo, *id, Deadline(deadline))?;
        // A tree git would not write is rejected as such; judging what one reader makes of it
        // is meaningless, and a tree naming one warehouse 100,000 times would take minutes.
        if !found.iter().any(|f| f.rule.is_object_rule()) {
            found.extend(checker.check_commit(repo, &commit, Deadline(deadline))?);
        }
        out.push(found);
    }
    Ok(out)
}

pub use crate::deadline::Stop;

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
    rendered: RenderedChecker<'a>,
    /// Object integrity of every commit and tree a judged update adds.
    objects: ObjectChecker,
    view: RefView,
    /// Branch tips by short name, as `view` sees them before the updates (read once).
    branches: Option<Vec<(String, ObjectId)>>,
    /// Updates of the same run: snapshot branch tips are taken after them.
    pending: HashMap<String, Option<ObjectId>>,
    pusher: PusherCheck,
    /// A server hook: the platform's word that the forge merged a pull request (see
    /// [`crate::push::forge_merge_from_env`]); `None` outside a server hook.
    forge_merge: Option<Option<String>>,
    /// History mode (`audit`): proposal branches of past merges may be gone.
    history: bool,
    /// Threads for long commit lists (`None`: one per core).
    threads: Option<usize>,
    pub findings: Vec<Finding>,
    /// Distinct commits judged, under any contract, on any ref.
    pub commits_judged: usize,
    counted: HashSet<ObjectId>,
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
            rendered: RenderedChecker::new(&policy.rendered, &policy.trust),
            objects: ObjectChecker::default(),
            view: RefView::Heads,
            branches: None,
            pending: HashMap::new(),
            pusher: PusherCheck::Off,
            forge_merge: None,
            history: false,
            threads: None,
            findings: Vec::new(),
            commits_judged: 0,
            counted: HashSet::new(),
        }
    }

    /// Judge long commit lists on this many threads (`None`: one per core).
    pub fn with_threads(mut self, threads: Option<u16>) -> Self {
        self.threads = threads.map(usize::from);
        self
    }

    pub fn with_deadline(mut self, start: Instant, seconds: f64) -> Self {
        self.deadline = Some((start, seconds));
        self.rendered.set_deadline(Deadline(self.deadline));
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

    /// Read review, proposal and snapshot branch tips through `view`; `updates` are the other
    /// updates of the same push (the snapshot branch tip a rendered commit is checked against
    /// is the one after the push: the push is accepted or rejected whole).
    pub fn with_view(mut self, view: RefView, updates: &[RefUpdate]) -> Self {
        self.view = view;
        self.pending = updates
            .iter()
            .filter_map(|u| {
                u.name
                    .strip_prefix("refs/heads/")
                    .map(|b| (b.to_string(), u.new))
            })
            .collect();
        self
    }

    pub fn with_forge_merge(mut self, evidence: Option<Option<String>>) -> Self {
        self.forge_merge = evidence;
        self
    }

    pub fn with_pusher(mut self, pusher: PusherCheck) -> Self {
        self.pusher = pusher;
        self
    }

    /// Judge whole histories (`audit`) rather than updates made while proposals exist.
    pub fn with_history(mut self, history: bool) -> Self {
        self.history = history;
        self
    }

    /// Keep findings of the update of `ref_name`, each marked with the ref.
    fn record(&mut self, ref_name: &str, found: Vec<Finding>) {
        self.findings
            .extend(found.into_iter().map(|f| f.on_ref(ref_name.to_string())));
    }

    /// Count `id` as judged (once, however many refs or contracts judge it).
    fn count(&mut self, id: ObjectId) {
        self.counted.insert(id);
        self.commits_judged = self.counted.len();
    }

    fn check_deadline(&self) -> Result<(), Stop> {
        deadline_check(self.deadline)
    }

    /// The object-integrity findings of `commits` (each checked once per run); returns the
    /// commits that are not as git writes them, which no other contract reads: what one
    /// reader makes of them is meaningless, and a tree nested 100,000 levels deep must not
    /// be walked.
    fn check_objects(
        &mut self,
        ref_name: &str,
        commits: &[ObjectId],
    ) -> Result<HashSet<ObjectId>, Stop> {
        let mut malformed = HashSet::new();
        for id in commits {
            self.check_deadline()?;
            let found = self
                .objects
                .check_commit(self.repo, *id, Deadline(self.deadline))?;
            if found.iter().any(|f| f.rule.is_object_rule()) {
                malformed.insert(*id);
            }
            self.record(ref_name, found);
        }
        Ok(malformed)
    }

    /// The snapshot verdicts of `commits`, in order. A long list is cut into contiguous runs
    /// (a commit next to its parent, so each run reads every freight root about once), judged
    /// on all cores: each run on its own repository handle and checker. Verdicts are functions
    /// of the commit alone, so the result is the same as judging one by one.
    fn snapshot_verdicts(&mut self, commits: &[ObjectId]) -> Result<Vec<Vec<Finding>>, Stop> {
        let threads = self
            .threads
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
                    .min(MAX_THREADS)
            })
            .min(commits.len() / MIN_COMMITS_PER_THREAD)
            .max(1);
        let repo: &Repo = self.repo;
        let deadline = self.deadline;
        if threads == 1 {
            return judge_run(
                repo,
                &mut self.snapshot,
                &mut self.objects,
                commits,
                deadline,
            );
        }
        let per = commits.len().div_ceil(threads);
        let (first, rest) = commits.split_at(per.min(commits.len()));
        let shared = repo.share();
        let policy = &self.policy.snapshot;
        let snapshot = &mut self.snapshot;
        let objects = &mut self.objects;
        std::thread::scope(|scope| {
            let workers: Vec<_> = rest
                .chunks(per)
                .map(|run| {
                    let shared = &shared;
                    scope.spawn(move || {
                        let repo = shared.open()?;
                        let mut checker = SnapshotChecker::new(policy);
                        let mut objects = ObjectChecker::default();
                        judge_run(&repo, &mut checker, &mut objects, run, deadline)
                    })
                })
                .collect();
            let mut out = judge_run(repo, snapshot, objects, first, deadline)?;
            for worker in workers {
                match worker.join() {
                    Ok(verdicts) => out.extend(verdicts?),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            Ok(out)
        })
    }

    /// Is `full_ref` a branch on which the snapshot contract holds?
    pub fn is_snapshot_branch(&self, full_ref: &str) -> bool {
        self.extra_snapshot_refs.contains(full_ref)
            || full_ref
                .strip_prefix("refs/heads/")
                .is_some_and(|b| self.policy.snapshot.branches.is_match(b))
    }

    /// The rendered-contract class of `full_ref`, if any.
    pub fn rendered_class(&self, full_ref: &str) -> Option<Class> {
        let branch = full_ref.strip_prefix("refs/heads/")?;
        Class::of(&self.policy.rendered, branch)
    }

    /// Is `full_ref` guarded by any contract?
    pub fn is_guarded(&self, full_ref: &str) -> bool {
        self.is_snapshot_branch(full_ref) || self.rendered_class(full_ref).is_some()
    }

    /// Judge one ref update. `hidden` are extra tips whose history is not judged.
    pub fn judge(&mut self, update: &RefUpdate, hidden: &[ObjectId]) -> Result<(), Stop> {
        if update.new.is_some()
            && let Some(finding) = self.shadowing(&update.name)?
        {
            self.record(&update.name, vec![finding]);
        }
        if let Some(class) = self.rendered_class(&update.name) {
            self.judge_rendered(update, class)?;
        }
        if self.is_snapshot_branch(&update.name) {
            self.judge_snapshot_history(update)?;
        }
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
        let mut commits = walk::added_commits(self.repo, new, &hide)?;
        commits.retain(|id| self.judged.insert(*id));
        let verdicts = self.snapshot_verdicts(&commits)?;
        for (id, found) in commits.into_iter().zip(verdicts) {
            self.count(id);
            self.record(&update.name, found);
        }
        Ok(())
    }

    /// `ref-shadows-branch`: `name` can be taken for a guarded branch it is not (see
    /// [`crate::contracts::refs`]).
    fn shadowing(&mut self, name: &str) -> Result<Option<Finding>, Stop> {
        if self.is_guarded(name) {
            return Ok(None);
        }
        for (short, branch) in refs::stands_for(name) {
            if self.is_guarded(&branch) {
                return Ok(Some(Finding::new(
                    Rule::RefShadowsBranch,
                    format!(
                        "`{name}` has the short name `{short}` of the guarded branch `{branch}`: git looks up `refs/{short}` and `refs/tags/{short}` before the branch, so `git fetch <url> {short}` or a tool resolving `{short}` can be handed this ref instead"
                    ),
                )));
            }
        }
        // Letter case: against the guarded patterns, and against the guarded branches there.
        let mut guarded: Vec<String> = self
            .branches()?
            .iter()
            .map(|(b, _)| format!("refs/heads/{b}"))
            .collect();
        guarded.retain(|b| self.is_guarded(b));
        let mut names = vec![name.to_string()];
        names.extend(refs::stands_for(name).into_iter().map(|(_, b)| b));
        for candidate in names {
            let lower = candidate.to_ascii_lowercase();
            let same = guarded
                .iter()
                .find(|b| b.eq_ignore_ascii_case(&candidate))
                .cloned()
                .or_else(|| self.is_guarded(&lower).then_some(lower));
            if let Some(branch) = same
                && branch != candidate
            {
                return Ok(Some(Finding::new(
                    Rule::RefShadowsBranch,
                    format!(
                        "`{name}` differs from the guarded branch `{branch}` only in letter case: on a case-insensitive file system (a server or a clone on macOS or Windows) they are one ref"
                    ),
                )));
            }
        }
        Ok(None)
    }

    /// A snapshot branch is an append-only audit trail: an update that removes commits from
    /// it, or deletes it, is a violation unless `snapshot.force` / `snapshot.delete` allow it,
    /// reported with the releases it drops or changes.
    fn judge_snapshot_history(&mut self, update: &RefUpdate) -> Result<(), Stop> {
        let Some(old) = update.old else {
            return Ok(()); // a new branch
        };
        let policy = &self.policy.snapshot;
        let finding = match update.new {
            None if !policy.delete => Finding::new(
                Rule::BranchDeleted,
                "the snapshot branch is deleted, and `snapshot.delete` is false: it is an append-only record of every release",
            ),
            None => return Ok(()),
            Some(_) if policy.force => return Ok(()),
            Some(new) => {
                let dropped = walk::added_commits(self.repo, old, &[new])?;
                if dropped.is_empty() {
                    return Ok(());
                }
                Finding::new(
                    Rule::NonFastForward,
                    format!(
                        "the update drops {} commit(s) from the snapshot branch's history, and `snapshot.force` is false: it is an append-only record of every release",
                        dropped.len()
                    ),
                )
            }
        };
        let details = self.releases_lost(old, update.new)?;
        self.record(
            &update.name,
            vec![finding.in_commit(old).with_details(details)],
        );
        Ok(())
    }

    /// The release directories at `old` that are gone at `new` (`None`: every one), or whose
    /// tree differs there.
    fn releases_lost(&mut self, old: ObjectId, new: Option<ObjectId>) -> Result<Vec<String>, Stop> {
        let listing =
            |engine: &mut Self, commit: ObjectId| -> Result<HashMap<Vec<u8>, ObjectId>, Stop> {
                let tree = engine.repo.commit(&commit)?.tree;
                let mut out = HashMap::new();
                engine.snapshot.set_deadline(Deadline(engine.deadline));
                for (path, root) in engine.snapshot.roots(engine.repo, tree)? {
                    if !root.is_tree() {
                        continue;
                    }
                    for e in engine.repo.tree(&root.id)? {
                        engine.check_deadline()?;
                        if engine.policy.snapshot.is_release_name(&e.name) {
                            out.insert(join_path(&path, &e.name), e.id);
                        }
                    }
                }
                Ok(out)
            };
        let before = listing(self, old)?;
        let after = match new {
            Some(new) => listing(self, new)?,
            None => HashMap::new(),
        };
        let mut lost: Vec<String> = before
            .iter()
            .filter_map(|(path, id)| match after.get(path) {
                None => Some(format!("dropped: {}/", display_path(path))),
                Some(other) if other != id => Some(format!("changed: {}/", display_path(path))),
                Some(_) => None,
            })
            .collect();
        lost.sort();
        Ok(lost)
    }

    /// Branch tips (short names) as the view sees them before the updates.
    fn branches(&mut self) -> Result<&[(String, ObjectId)], ReadError> {
        if self.branches.is_none() {
            let mut out = Vec::new();
            let heads = matches!(self.view, RefView::Heads | RefView::All);
            if heads {
                for (name, id) in self.repo.refs_with_prefix("refs/heads/")? {
                    out.push((name["refs/heads/".len()..].to_string(), id));
                }
            }
            let remote_prefix = match &self.view {
                RefView::Heads => None,
                RefView::Remote(remote) => Some(format!("refs/remotes/{remote}/")),
                RefView::All => Some("refs/remotes/".to_string()),
            };
            if let Some(prefix) = remote_prefix {
                for (name, id) in self.repo.refs_with_prefix(&prefix)? {
                    let rest = &name[prefix.len()..];
                    let short = match self.view {
                        // refs/remotes/<remote>/<branch>
                        RefView::All => rest.split_once('/').map_or("", |(_, b)| b),
                        _ => rest,
                    };
                    if !short.is_empty() && short != "HEAD" {
                        out.push((short.to_string(), id));
                    }
                }
            }
            self.branches = Some(out);
        }
        Ok(self.branches.as_deref().unwrap_or_default())
    }

    /// Tips of the branches of `class` (before the updates), except `exclude`.
    fn tips_of(&mut self, class: Class, exclude: &str) -> Result<Vec<ObjectId>, ReadError> {
        let policy = &self.policy.rendered;
        let exclude = exclude
            .strip_prefix("refs/heads/")
            .unwrap_or(exclude)
            .to_string();
        let mut tips: Vec<ObjectId> = self
            .branches()?
            .iter()
            .filter(|(b, _)| *b != exclude && Class::of(policy, b) == Some(class))
            .map(|(_, id)| *id)
            .collect();
        tips.sort();
        tips.dedup();
        Ok(tips)
    }

    /// Read the release directory names on the snapshot branch tips (after this run's updates)
    /// for the rendered contract's freight cross-check.
    fn load_freight(&mut self) -> Result<(), Stop> {
        let snapshot = &self.policy.snapshot;
        let mut tips: Vec<(String, ObjectId)> = self
            .branches()?
            .iter()
            .filter(|(b, _)| snapshot.branches.is_match(b))
            .cloned()
            .collect();
        tips.retain(|(b, _)| !self.pending.contains_key(b));
        for (b, new) in &self.pending {
            if let Some(new) = new
                && snapshot.branches.is_match(b)
            {
                tips.push((b.clone(), *new));
            }
        }
        let mut roots = Vec::new();
        let mut seen = HashSet::new();
        self.snapshot.set_deadline(Deadline(self.deadline));
        for (_, tip) in &tips {
            let tree = self.repo.commit(tip)?.tree;
            for (_, root) in self.snapshot.roots(self.repo, tree)? {
                if root.is_tree() && seen.insert(root.id) {
                    roots.push(root.id);
                }
            }
        }
        let mut shown: Vec<String> = tips.into_iter().map(|(b, _)| b).collect();
        shown.sort();
        shown.dedup();
        let origin = if snapshot.branches.is_empty() {
            "any snapshot branch: `snapshot.branches` is empty, so no release can be known (set `rendered.freight: none` if there is no snapshot branch)".to_string()
        } else if shown.is_empty() {
            format!(
                "any snapshot branch (no branch matching {} exists)",
                snapshot.branches.texts.join(", ")
            )
        } else {
            format!("{} (under {})", shown.join(", "), snapshot.roots.join(", "))
        };
        self.rendered.set_freight(roots, origin);
        Ok(())
    }

    /// The rendered contract for one update of a stage, review or proposal branch.
    fn judge_rendered(&mut self, update: &RefUpdate, class: Class) -> Result<(), Stop> {
        let policy = &self.policy.rendered;
        let name = update.name.clone();
        let mut found = Vec::new();
        if let Some(message) = self.pusher.refusal(&policy.pushers, "rendered.pushers") {
            found.push(Finding::new(Rule::UnauthorizedPusher, message));
        }
        let Some(new) = update.new else {
            if class != Class::Proposal && !policy.delete {
                found.push(Finding::new(
                    Rule::BranchDeleted,
                    "the branch is deleted, and `rendered.delete` is false",
                ));
            }
            self.record(&name, found);
            return Ok(());
        };
        if let Some(old) = update.old
            && !policy.force
        {
            let dropped = walk::added_commits(self.repo, old, &[new])?;
            if !dropped.is_empty() {
                found.push(
                    Finding::new(
                        Rule::NonFastForward,
                        format!(
                            "the update drops {} commit(s) from the branch's history, and `rendered.force` is false",
                            dropped.len()
                        ),
                    )
                    .in_commit(old),
                );
            }
        }
        self.record(&name, found);
        let mut hidden: Vec<ObjectId> = update.old.into_iter().collect();
        if class == Class::Proposal {
            hidden.extend(self.tips_of(Class::Review, &name)?);
        }
        let added = walk::added_commits(self.repo, new, &hidden)?;
        let malformed = self.check_objects(&name, &added)?;
        if self.rendered.needs_freight() && !added.is_empty() {
            self.load_freight()?;
        }
        // A branch being created (or a whole history, in `audit`) may start with the empty
        // `Initial commit` Kargo pushes before its first render: the root of the first-parent
        // chain from the new tip, among the commits the update adds.
        let initial = match update.old {
            Some(_) => None,
            None => first_parent_root(self.repo, new, &added)?,
        };
        match class {
            Class::Stage | Class::Proposal => {
                let keys = if class == Class::Stage {
                    SigningClass::Stage
                } else {
                    SigningClass::Proposal
                };
                for id in added {
                    self.check_deadline()?;
                    let mut found = if malformed.contains(&id)
                        || (Some(id) == initial
                            && self.rendered.is_initial_commit(self.repo, id)?)
                    {
                        Vec::new()
                    } else {
                        self.rendered.check_commit(self.repo, id)?
                    };
                    found.extend(self.rendered.check_signature(self.repo, id, keys)?);
                    self.count(id);
                    self.record(&name, found);
                }
            }
            Class::Review if !malformed.is_empty() => {
                for &id in &added {
                    self.count(id);
                }
            }
            Class::Review => {
                self.check_deadline()?;
                let proposal_tips = self.tips_of(Class::Proposal, &name)?;
                let old: Vec<ObjectId> = update.old.into_iter().collect();
                let proposed: HashSet<ObjectId> =
                    walk::added_commits_from(self.repo, &proposal_tips, &old)?
                        .into_iter()
                        .collect();
                let review = Review {
                    ref_name: &name,
                    old: update.old,
                    new,
                    added: &added,
                    proposed: &proposed,
                    proposal_tips: &proposal_tips,
                    history: self.history,
                    forge_merge: self.forge_merge.as_ref().map(Option::as_deref),
                };
                let found = self.rendered.check_review(self.repo, &review)?;
                for &id in &added {
                    self.count(id);
                }
                self.record(&name, found);
            }
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
        let found = self
            .snapshot
            .check_tree(self.repo, tree, parents, Deadline(self.deadline))?;
        self.count(tree);
        self.record(branch, found);
        Ok(())
    }

    /// A push that edits the policy file on the default branch, or a key file it names, is
    /// judged by the old policy, but the new policy and its keys must still load.
    fn check_policy_change(&mut self, update: &RefUpdate, new: ObjectId) -> Result<(), Stop> {
        // The entry at `path` (id and kind: a file turned into a link is a change).
        let entry_at = |commit: Option<ObjectId>, path: &str| -> Result<_, ReadError> {
            let Some(commit) = commit else {
                return Ok(None);
            };
            let tree = self.repo.commit(&commit)?.tree;
            Ok(self
                .repo
                .lookup(&tree, path.as_bytes())?
                .map(|e| (e.id, e.kind)))
        };
        // Who may change the policy and its keys, by the policy in force before the push.
        let mut guarded: Vec<String> = vec![POLICY_FILE.to_string()];
        guarded.extend(self.policy.signing.key_files());
        if let Some(text) =
            load::policy_text(self.repo, self.repo.commit(&new)?.tree)?.and_then(Result::ok)
            && let Ok(next) = Policy::from_yaml(&text)
        {
            guarded.extend(next.signing.key_files());
        }
        guarded.sort();
        guarded.dedup();
        let mut touched = false;
        for path in &guarded {
            if entry_at(update.old, path)? != entry_at(Some(new), path)? {
                touched = true;
            }
        }
        if touched {
            self.check_policy_authors(update, new, &guarded)?;
        }
        let Some(now) = entry_at(Some(new), POLICY_FILE)? else {
            return Ok(());
        };
        let policy_changed = entry_at(update.old, POLICY_FILE)? != Some(now);
        // Read as the loader reads it: a symlink or an oversized file is no policy, whatever
        // the bytes of its blob say.
        let parsed = match load::policy_text(self.repo, self.repo.commit(&new)?.tree)? {
            None => return Ok(()),
            Some(Ok(text)) => Policy::from_yaml(&text),
            Some(Err(why)) => Err(vec![crate::policy::Problem {
                line: 0,
                message: why,
            }]),
        };
        let problems = match parsed {
            Err(problems) if policy_changed => problems,
            Err(_) => Vec::new(),
            Ok(policy) => {
                let mut key_changed = policy_changed;
                for path in policy.signing.key_files() {
                    if entry_at(update.old, &path)? != entry_at(Some(new), &path)? {
                        key_changed = true;
                    }
                }
                if key_changed {
                    let source = crate::contracts::signing::TreeSource {
                        repo: self.repo,
                        tree: self.repo.commit(&new)?.tree,
                        label: format!("{} after the push", update.name),
                    };
                    crate::contracts::signing::Trust::load(&policy.signing, &source)
                        .err()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|message| crate::policy::Problem { line: 0, message })
                        .collect()
                } else {
                    Vec::new()
                }
            }
        };
        if !problems.is_empty() {
            let details = problems
                .iter()
                .map(|p| p.describe(POLICY_FILE, false))
                .collect();
            self.findings.push(
                Finding::new(
                    Rule::PolicyInvalid,
                    format!(
                        "this push leaves `{POLICY_FILE}` or a key file it names invalid ({} problem(s)); the default branch must keep a policy that loads",
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

impl Engine<'_> {
    /// A push that changes the policy file or a key file (`paths`) on the default branch:
    /// by a pusher of `policy.pushers` (when set), and each commit that changes one of them
    /// signed by `signing.policy`'s keys (when it requires it).
    fn check_policy_authors(
        &mut self,
        update: &RefUpdate,
        new: ObjectId,
        paths: &[String],
    ) -> Result<(), Stop> {
        if let Some(reason) = self
            .pusher
            .refusal(&self.policy.change_pushers, "policy.pushers")
        {
            self.record(
                &update.name,
                vec![
                    Finding::new(
                        Rule::PolicyChangeUnauthorized,
                        format!("changes `{POLICY_FILE}` or a key file it names, {reason}"),
                    )
                    .at(POLICY_FILE),
                ],
            );
        }
        if !self.policy.signing.class(SigningClass::Policy).require {
            return Ok(());
        }
        let hidden: Vec<ObjectId> = update.old.into_iter().collect();
        for id in walk::added_commits(self.repo, new, &hidden)? {
            self.check_deadline()?;
            let info = self.repo.commit(&id)?;
            let parent_tree = match info.parents.first() {
                Some(p) => Some(self.repo.commit(p)?.tree),
                None => None,
            };
            let mut changes = false;
            for path in paths {
                let here = self.repo.lookup(&info.tree, path.as_bytes())?;
                let there = match parent_tree {
                    Some(t) => self.repo.lookup(&t, path.as_bytes())?,
                    None => None,
                };
                if here.map(|e| (e.id, e.kind)) != there.map(|e| (e.id, e.kind)) {
                    changes = true;
                }
            }
            if changes {
                let found = self
                    .rendered
                    .check_signature(self.repo, id, SigningClass::Policy)?;
                self.record(&update.name, found);
            }
        }
        Ok(())
    }
}

/// The root commit at the end of the first-parent chain from `tip`, if the whole chain is in
/// `added` (what an update adds) and ends in a commit without parents.
fn first_parent_root(
    repo: &Repo,
    tip: ObjectId,
    added: &[ObjectId],
) -> Result<Option<ObjectId>, ReadError> {
    let added: HashSet<ObjectId> = added.iter().copied().collect();
    let mut cursor = tip;
    for _ in 0..=added.len() {
        if !added.contains(&cursor) {
            return Ok(None);
        }
        match repo.commit(&cursor)?.parents.first() {
            Some(parent) => cursor = *parent,
            None => return Ok(Some(cursor)),
        }
    }
    Ok(None)
}
