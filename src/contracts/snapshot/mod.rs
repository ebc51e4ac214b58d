//! The snapshot contract (contracts §4): frozen release directories and their `current/` mirror.
//!
//! Every verdict here is a pure function of tree ids, so results are memoized: a freight root
//! whose tree id was judged before costs one map lookup, a release directory is validated once
//! however many commits carry it, and the mirror rule costs two lookups when it holds (the tree
//! ids of `current/` and of its release directory are compared; they are only diffed, to name
//! the differing paths, when they differ).

pub mod cfg;

mod checkout;

pub mod diags;

pub mod disk;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use gix::ObjectId;
use gix::objs::tree::EntryKind;
use globset::GlobMatcher;

use crate::cfg::yaml::{self, Limits, Node, Value};
use crate::contracts::snapshot::cfg::SnapshotPolicy;
use crate::deadline::{Deadline, Stop};
use crate::finding::Finding;
use crate::git::attributes;
use crate::git::repo::{
    CommitInfo, Entry, RawEntry, ReadError, Recent, Repo, display_path, join_path,
};
use crate::rules::Rule;

pub use diags::MAX_RECORD_BYTES;
/// A finding relative to a freight root, before it is placed in a commit.
type Local = Vec<Finding>;

/// Judges commits on snapshot branches, remembering verdicts by tree id.
pub struct SnapshotChecker<'p> {
    policy: &'p SnapshotPolicy,
    root_segments: Vec<Vec<GlobMatcher>>,
    /// Freight roots of a top-level tree: (root path, entry).
    roots_memo: HashMap<ObjectId, Vec<(Vec<u8>, Entry)>>,
    /// The directories of a top-level tree that the search for its roots listed, each with
    /// its attributes file if it has one (a regular file): read on the way, so finding the
    /// attributes above a freight root costs no tree read.
    dirs_memo: HashMap<ObjectId, HashMap<Vec<u8>, Option<ObjectId>>>,
    /// A freight root's own attributes file (a regular file), noted when its tree is judged.
    root_attrs: HashMap<ObjectId, Option<ObjectId>>,
    /// Static verdict of a freight root's tree (mirror, record of current/...), paths relative.
    root_memo: HashMap<ObjectId, Local>,
    /// Verdict of one release directory by (name, tree id), paths relative to the root.
    release_memo: HashMap<(Vec<u8>, ObjectId), Local>,
    /// Trees known to contain a gitlink (path of the first one, relative), or not.
    gitlink_memo: HashMap<ObjectId, Option<Vec<u8>>>,
    /// Symlinks that leave their snapshot directory, per (tree, depth below the directory).
    link_memo: HashMap<(ObjectId, usize), EscapingLink>,
    /// Entry offsets of the last few freight roots compared (see `root_changes`).
    bounds_memo: Recent<Bounds>,
    /// When judging the current commit must stop.
    deadline: Deadline,
    /// A freight root whose `current/` mirrors its release: the release's name (by root id).
    mirrors: HashMap<ObjectId, Vec<u8>>,
    /// Checkout-attribute findings by (attribute files above the root, root, parent's root
    /// and attribute files: `None` for the mirror check).
    checkout_memo: checkout::Memo,
}

/// Where the entries of a raw tree start, followed by its length.
type Bounds = Rc<Vec<usize>>;
/// How many trees' entry offsets are kept: a commit's root and its parents'.
const BOUNDS_KEPT: usize = 8;

/// Where the entries of raw tree bytes start, followed by their length: the tree cut in full.
fn cut(repo: &Repo, id: &ObjectId, raw: &[u8]) -> Result<Vec<usize>, ReadError> {
    let mut bounds = vec![0];
    let mut pos = 0;
    for e in repo.raw_split(id, raw) {
        pos += e?.bytes.len();
        bounds.push(pos);
    }
    Ok(bounds)
}

/// How many leading bytes two slices share (compared a block at a time).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 128;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// What a record (`freight.yaml`) says, as far as it could be read.
#[derive(Default)]
pub struct Record {
    pub revision: Option<String>,
    pub tag: Option<String>,
    pub package_type: Option<String>,
}

impl<'p> SnapshotChecker<'p> {
    pub fn new(policy: &'p SnapshotPolicy) -> SnapshotChecker<'p> {
        SnapshotChecker {
            policy,
            root_segments: policy.root_matchers(),
            roots_memo: HashMap::new(),
            dirs_memo: HashMap::new(),
            root_attrs: HashMap::new(),
            root_memo: HashMap::new(),
            release_memo: HashMap::new(),
            gitlink_memo: HashMap::new(),
            link_memo: HashMap::new(),
            bounds_memo: Recent::new(BOUNDS_KEPT),
            deadline: Deadline::default(),
            mirrors: HashMap::new(),
            checkout_memo: HashMap::new(),
        }
    }

    /// Stop the loops of later calls once `deadline` passed ([`Self::check_tree`] sets it too).
    pub fn set_deadline(&mut self, deadline: Deadline) {
        self.deadline = deadline;
    }

    /// Judge one commit against each of its parents. Findings carry the commit and full paths.
    /// Every loop over a commit's roots and entries checks `deadline`.
    pub fn check_commit(
        &mut self,
        repo: &Repo,
        commit: &CommitInfo,
        deadline: Deadline,
    ) -> Result<Vec<Finding>, Stop> {
        self.check_tree(repo, commit.tree, &commit.parents, deadline)
            .map(|findings| {
                findings
                    .into_iter()
                    .map(|f| f.in_commit(commit.id))
                    .collect()
            })
    }

    /// Judge a top-level tree with the given parent commits (used for commits and for the
    /// staged index, which is judged as the commit about to be made).
    pub fn check_tree(
        &mut self,
        repo: &Repo,
        tree: ObjectId,
        parents: &[ObjectId],
        deadline: Deadline,
    ) -> Result<Vec<Finding>, Stop> {
        self.deadline = deadline;
        let mut out = Vec::new();
        let roots = self.roots(repo, tree)?;
        let mut parent_roots: Vec<HashMap<Vec<u8>, ObjectId>> = Vec::new();
        let mut parent_tops = Vec::new();
        for p in parents {
            let pc = repo.commit(p)?;
            parent_tops.push(pc.tree);
            let listed = self.roots(repo, pc.tree)?;
            parent_roots.push(
                listed
                    .into_iter()
                    .filter(|(_, e)| e.is_tree())
                    .map(|(p, e)| (p, e.id))
                    .collect(),
            );
        }
        let here: HashSet<&[u8]> = roots
            .iter()
            .filter(|(_, e)| e.is_tree())
            .map(|(p, _)| p.as_slice())
            .collect();

        for (path, entry) in &roots {
            self.deadline.check()?;
            let prefix = display_path(path);
            if entry.kind == EntryKind::Link {
                let target = repo.blob(&entry.id)?;
                out.push(diags::freight_path_symlink(
                    &prefix,
                    &display_path(&target),
                    &self.policy.roots,
                ));
                continue;
            }
            if !entry.is_tree() {
                out.push(
                    Finding::new(
                        Rule::UnexpectedEntry,
                        format!("freight root `{prefix}` is not a directory"),
                    )
                    .at(prefix.clone()),
                );
                continue;
            }
            let local = self.root_verdict(repo, entry.id)?;
            out.extend(place(&local, &prefix));
            let parents_here: Vec<(ObjectId, ObjectId)> = parent_tops
                .iter()
                .zip(&parent_roots)
                .filter_map(|(top, pr)| pr.get(path).map(|id| (*top, *id)))
                .collect();
            let local = self.checkout_attributes(repo, tree, path, entry.id, &parents_here)?;
            out.extend(place(&local, &prefix));

            let comparisons: Vec<Option<ObjectId>> = if parent_roots.is_empty() {
                vec![None]
            } else {
                parent_roots
                    .iter()
                    .map(|pr| pr.get(path).copied())
                    .collect()
            };
            for parent_tree in comparisons {
                if parent_tree == Some(entry.id) {
                    continue; // nothing in this root changed relative to this parent
                }
                let local = self.diff_root(repo, parent_tree, entry.id)?;
                out.extend(place(&local, &prefix));
            }
        }
        // Roots that a parent had and this commit lost entirely.
        for pr in &parent_roots {
            let mut lost: Vec<(&Vec<u8>, &ObjectId)> = pr
                .iter()
                .filter(|(path, _)| !here.contains(path.as_slice()))
                .collect();
            lost.sort();
            for (path, id) in lost {
                self.deadline.check()?;
                let local = self.diff_root_removed(repo, *id)?;
                out.extend(place(&local, &display_path(path)));
            }
        }
        dedup(&mut out);
        Ok(out)
    }

    /// Find the freight roots in a top-level tree.
    pub fn roots(&mut self, repo: &Repo, tree: ObjectId) -> Result<Vec<(Vec<u8>, Entry)>, Stop> {
        if let Some(r) = self.roots_memo.get(&tree) {
            return Ok(r.clone());
        }
        let mut found: Vec<(Vec<u8>, Entry)> = Vec::new();
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        let mut dirs: HashMap<Vec<u8>, Option<ObjectId>> = HashMap::new();
        for segments in &self.root_segments {
            // (path so far, tree id)
            let mut frontier: Vec<(Vec<u8>, ObjectId)> = vec![(Vec::new(), tree)];
            for (depth, matcher) in segments.iter().enumerate() {
                let last = depth + 1 == segments.len();
                let mut next = Vec::new();
                for (path, id) in &frontier {
                    self.deadline.check()?;
                    let listed = dirs.entry(path.clone()).or_default();
                    for entry in repo.tree(id)? {
                        if entry.name == attributes::FILE_NAME
                            && matches!(entry.kind, EntryKind::Blob | EntryKind::BlobExecutable)
                        {
                            *listed = Some(entry.id);
                        }
                        let Ok(name) = std::str::from_utf8(&entry.name) else {
                            continue;
                        };
                        if !matcher.is_match(name) {
                            continue;
                        }
                        let p = join_path(path, &entry.name);
                        if last || entry.kind == EntryKind::Link {
                            // A symlink on the way is kept too: it hides what it leads to.
                            if seen.insert(p.clone()) {
                                found.push((p, entry));
                            }
                        } else if entry.is_tree() {
                            next.push((p, entry.id));
                        }
                    }
                }
                frontier = next;
            }
        }
        self.roots_memo.insert(tree, found.clone());
        self.dirs_memo.insert(tree, dirs);
        Ok(found)
    }

    /// The checks that depend only on the root's own tree: `current/`, its record, its
    /// release directory and the mirror.
    fn root_verdict(&mut self, repo: &Repo, root: ObjectId) -> Result<Local, Stop> {
        if let Some(v) = self.root_memo.get(&root) {
            return Ok(v.clone());
        }
        let mut out = Vec::new();
        let raw = repo.tree_raw(&root)?;
        // The root can list thousands of releases: find entries without building a listing.
        let find = |name: &[u8]| -> Result<Option<Entry>, ReadError> {
            for e in repo.raw_split(&root, &raw) {
                let e = e?;
                if e.name == name {
                    return decode_one(repo, &root, e.bytes).map(Some);
                }
            }
            Ok(None)
        };
        // Its own attributes file sorts before every name that does not start with `.`.
        let mut own_attributes = None;
        for e in repo.raw_split(&root, &raw) {
            let e = e?;
            if e.name.first().is_some_and(|b| *b > b'.') {
                break;
            }
            if e.name == attributes::FILE_NAME {
                let entry = decode_one(repo, &root, e.bytes)?;
                if matches!(entry.kind, EntryKind::Blob | EntryKind::BlobExecutable) {
                    own_attributes = Some(entry.id);
                }
                break;
            }
        }
        self.root_attrs.insert(root, own_attributes);
        let current_name = self.policy.current.as_bytes();
        let cur = self.policy.current.clone();
        match find(current_name)? {
            None => {
                let mut any_release = false;
                for e in repo.raw_split(&root, &raw) {
                    any_release |= self.policy.is_release_name(e?.name);
                }
                if any_release {
                    out.push(diags::current_missing(self.policy));
                }
            }
            Some(current) if current.kind == EntryKind::Link => {
                let target = repo.blob(&current.id)?;
                out.push(diags::current_is_a_symlink(
                    self.policy,
                    &display_path(&target),
                ));
            }
            Some(current) if !current.is_tree() => {
                out.push(diags::current_not_a_directory(
                    self.policy,
                    kind_word(current.kind),
                ));
            }
            Some(current) => {
                let (record, head, tail) = self.directory_verdict(repo, current.id, &cur, None)?;
                out.extend(head);
                if let Some(rev) = record.revision.as_deref().filter(|r| is_full_hex(r)) {
                    let release_name = self.policy.release_dir(rev);
                    match find(release_name.as_bytes())?.as_ref() {
                        None => out.push(diags::release_missing(self.policy, rev, None)),
                        Some(release) if !release.is_tree() => out.push(diags::release_missing(
                            self.policy,
                            rev,
                            Some(kind_word(release.kind)),
                        )),
                        Some(release) if release.id != current.id => {
                            let (total, listed) =
                                diff_trees(repo, Some(release.id), Some(current.id))?;
                            out.push(diags::mirror_differs(self.policy, rev, total, listed));
                        }
                        Some(_) => {
                            self.mirrors.insert(root, release_name.into_bytes());
                        }
                    }
                }
                out.extend(tail);
            }
        }
        self.root_memo.insert(root, out.clone());
        Ok(out)
    }

    /// Compare a freight root with its state in one parent (`None`: the root is new).
    fn diff_root(
        &mut self,
        repo: &Repo,
        parent: Option<ObjectId>,
        root: ObjectId,
    ) -> Result<Local, Stop> {
        let mut out = Vec::new();
        let (added, mut removed, mut changed) = self.root_changes(repo, parent, root)?;
        // A name that is a tree on one side and not on the other sorts apart in git's order:
        // pair such leftovers by name.
        let mut unpaired: HashMap<Vec<u8>, Entry> = HashMap::new();
        let mut twice = Vec::new(); // a name an (old, malformed) tree lists twice
        for o in removed.drain(..) {
            if unpaired.contains_key(&o.name) {
                twice.push(o);
            } else {
                unpaired.insert(o.name.clone(), o);
            }
        }
        for n in added {
            self.deadline.check()?;
            match unpaired.remove(&n.name) {
                Some(o) => changed.push((n, o)),
                None => self.root_entry_changed(repo, &n, None, &mut out)?,
            }
        }
        removed.extend(unpaired.into_values());
        removed.extend(twice);
        removed.sort_by(|a, b| a.name.cmp(&b.name));
        changed.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        for (n, o) in &changed {
            self.deadline.check()?;
            self.root_entry_changed(repo, n, Some(o), &mut out)?;
        }
        if !self.policy.prune {
            for e in &removed {
                if !self.policy.is_release_name(&e.name) {
                    continue;
                }
                let name = display_path(&e.name);
                out.push(
                    Finding::new(
                        Rule::ReleaseDeleted,
                        format!("release directory `{name}/` was removed; releases are kept once written"),
                    )
                    .at(name),
                );
            }
        }
        diags::bound(&mut out, Rule::UnexpectedEntry);
        Ok(out)
    }

    /// The entries of a freight root that differ from its state in one parent: (added,
    /// removed, changed as (new, old)), decoded. Both listings are raw bytes in git's order;
    /// runs of identical entries (thousands of releases) are skipped with a byte comparison,
    /// using the parent's entry offsets, and the offsets of `root` are derived on the way (the
    /// next commit's parent is usually this commit), so an unchanged release is never cut out
    /// of either listing.
    #[allow(clippy::type_complexity)]
    fn root_changes(
        &mut self,
        repo: &Repo,
        parent: Option<ObjectId>,
        root: ObjectId,
    ) -> Result<(Vec<Entry>, Vec<Entry>, Vec<(Entry, Entry)>), Stop> {
        let new_raw = repo.tree_raw(&root)?;
        let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
        let Some(parent) = parent else {
            self.bounds(repo, &root, &new_raw)?; // for the next commit, whose parent this is
            for e in repo.raw_split(&root, &new_raw) {
                self.deadline.check()?;
                added.push(decode_one(repo, &root, e?.bytes)?);
            }
            return Ok((added, removed, changed));
        };
        let old_raw = repo.tree_raw(&parent)?;
        let ob = self.bounds(repo, &parent, &old_raw)?;
        let last = ob.len() - 1; // ob[last]: the length of the old listing
        let mut nb: Vec<usize> = Vec::with_capacity(ob.len() + 2);
        let (mut i, mut pn) = (0usize, 0usize);
        loop {
            self.deadline.check()?;
            let po = ob[i];
            if old_raw.len() - po == new_raw.len() - pn && old_raw[po..] == new_raw[pn..] {
                // The rest is the same on both sides, entry for entry.
                nb.extend(ob[i..].iter().map(|b| b - po + pn));
                break;
            }
            // Skip the old entries that lie wholly inside the bytes both rests share.
            let common = common_prefix(&old_raw[po..], &new_raw[pn..]);
            let skip = ob[i + 1..=last].partition_point(|&end| end - po <= common);
            nb.extend(ob[i..i + skip].iter().map(|b| b - po + pn));
            pn += ob[i + skip] - po;
            i += skip;
            let old = if i < last {
                repo.raw_split(&parent, &old_raw[ob[i]..ob[i + 1]])
                    .next()
                    .transpose()?
            } else {
                None
            };
            let new = repo.raw_split(&root, &new_raw[pn..]).next().transpose()?;
            let order = match (&new, &old) {
                (None, None) => {
                    nb.push(pn); // both rests empty: the end of the listing
                    break;
                }
                (Some(n), Some(o)) => RawEntry::git_cmp(n, o),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
            };
            match (order, new, old) {
                (std::cmp::Ordering::Less, Some(n), _) => {
                    added.push(decode_one(repo, &root, n.bytes)?);
                    nb.push(pn);
                    pn += n.bytes.len();
                }
                (std::cmp::Ordering::Equal, Some(n), Some(o)) => {
                    if n.bytes != o.bytes {
                        changed.push((
                            decode_one(repo, &root, n.bytes)?,
                            decode_one(repo, &parent, o.bytes)?,
                        ));
                    }
                    nb.push(pn);
                    pn += n.bytes.len();
                    i += 1;
                }
                (_, _, Some(o)) => {
                    removed.push(decode_one(repo, &parent, o.bytes)?);
                    i += 1;
                }
                (_, _, None) => break, // Equal or Greater always come with an old entry
            }
        }
        // Test builds check the derived offsets against a full cut of the listing.
        debug_assert_eq!(
            nb,
            cut(repo, &root, &new_raw)?,
            "entry offsets derived for {root}"
        );
        self.bounds_memo.put(root, Rc::new(nb));
        Ok((added, removed, changed))
    }

    /// Where the entries of a raw tree start, and (last) its length; kept for a few trees.
    fn bounds(&mut self, repo: &Repo, id: &ObjectId, raw: &[u8]) -> Result<Bounds, ReadError> {
        if let Some(bounds) = self.bounds_memo.get(id) {
            return Ok(bounds);
        }
        let bounds = Rc::new(cut(repo, id, raw)?);
        self.bounds_memo.put(*id, Rc::clone(&bounds));
        Ok(bounds)
    }

    /// One entry of a freight root that a commit adds or changes (`old`: the parent's entry).
    fn root_entry_changed(
        &mut self,
        repo: &Repo,
        entry: &Entry,
        old: Option<&Entry>,
        out: &mut Local,
    ) -> Result<(), Stop> {
        if entry.name == self.policy.current.as_bytes() {
            return Ok(());
        }
        let name = display_path(&entry.name);
        if !self.policy.is_release_name(&entry.name) {
            out.push(diags::unexpected_entry(&name, self.policy));
            return Ok(());
        }
        let Some(old) = old else {
            out.extend(self.release_verdict(repo, entry)?);
            return Ok(());
        };
        let (total, listed) = if old.is_tree() && entry.is_tree() {
            diff_trees(repo, Some(old.id), Some(entry.id))?
        } else {
            (
                1,
                vec![format!(
                    "type changed: {name} ({} -> {})",
                    kind_word(old.kind),
                    kind_word(entry.kind)
                )],
            )
        };
        out.push(
            Finding::new(
                Rule::ReleaseModified,
                format!(
                    "release directory `{name}/` changed {}; releases are frozen once written",
                    in_paths(total)
                ),
            )
            .at(name.clone())
            .with_details(listed),
        );
        Ok(())
    }

    /// A parent's freight root that is gone from the commit: each release in it was deleted.
    fn diff_root_removed(&mut self, repo: &Repo, parent_root: ObjectId) -> Result<Local, Stop> {
        if self.policy.prune {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for e in repo.tree(&parent_root)? {
            self.deadline.check()?;
            if self.policy.is_release_name(&e.name) {
                let name = display_path(&e.name);
                out.push(
                    Finding::new(
                        Rule::ReleaseDeleted,
                        format!(
                            "release directory `{name}/` was removed together with its freight root"
                        ),
                    )
                    .at(name),
                );
            }
        }
        Ok(out)
    }

    /// Validate a release directory the commit adds.
    fn release_verdict(&mut self, repo: &Repo, entry: &Entry) -> Result<Local, Stop> {
        let key = (entry.name.clone(), entry.id);
        if let Some(v) = self.release_memo.get(&key) {
            return Ok(v.clone());
        }
        let name = display_path(&entry.name);
        let mut out = Vec::new();
        if !entry.is_tree() {
            out.push(diags::release_not_a_directory(
                &name,
                kind_word(entry.kind),
                self.policy,
            ));
        } else {
            let (_, head, tail) = self.directory_verdict(repo, entry.id, &name, Some(&name))?;
            out.extend(head);
            out.extend(tail);
        }
        self.release_memo.insert(key, out.clone());
        Ok(out)
    }

    /// The checks of one snapshot directory (`current/`, or the release `own_name`): its record
    /// and identity (first), its package and submodules (last), with the record read.
    fn directory_verdict(
        &mut self,
        repo: &Repo,
        tree: ObjectId,
        dir: &str,
        own_name: Option<&str>,
    ) -> Result<(Record, Local, Local), Stop> {
        let (record, mut head) = self.read_record(repo, tree, dir)?;
        head.extend(identity(self.policy, &record, dir, own_name));
        let mut tail = self.package(repo, &record, tree, dir)?;
        if let Some(path) = self.gitlink(repo, tree)? {
            tail.push(diags::submodule(
                &format!("{dir}/{}", display_path(&path)),
                false,
            ));
        }
        if let Some((path, target)) = self.escaping_link(repo, tree, 0)? {
            tail.push(diags::link_escapes(
                dir,
                &display_path(&path),
                &display_path(&target),
            ));
        }
        Ok((record, head, tail))
    }

    /// Read and validate the record in a snapshot directory (`dir` names it in messages).
    fn read_record(
        &self,
        repo: &Repo,
        tree: ObjectId,
        dir: &str,
    ) -> Result<(Record, Local), ReadError> {
        let path = format!("{dir}/{}", self.policy.record);
        let invalid = |finding: Finding| (Record::default(), vec![finding]);
        let Some(entry) = repo
            .tree(&tree)?
            .into_iter()
            .find(|e| e.name == self.policy.record.as_bytes())
        else {
            return Ok(invalid(diags::record_missing(&path)));
        };
        if !matches!(entry.kind, EntryKind::Blob | EntryKind::BlobExecutable) {
            return Ok(invalid(diags::record_not_a_file(
                &path,
                kind_word(entry.kind),
            )));
        }
        // The size comes from the object header: an oversized blob is never read.
        let size = repo.object_size(&entry.id)?;
        if size > MAX_RECORD_BYTES {
            return Ok(invalid(diags::record_oversized(&path, size)));
        }
        let bytes = repo.blob(&entry.id)?;
        Ok(validate_record(self.policy, &bytes, &path))
    }

    fn package(
        &self,
        repo: &Repo,
        record: &Record,
        tree: ObjectId,
        dir: &str,
    ) -> Result<Local, ReadError> {
        package(self.policy, record, dir, |payload| {
            Ok(repo
                .lookup(&tree, payload.as_bytes())?
                .is_some_and(|e| e.is_tree()))
        })
    }
}

/// Revision and tag rules for a record read from `dir`; `dir_name` is the release directory's
/// own name when judging one.
pub fn identity(
    policy: &SnapshotPolicy,
    record: &Record,
    dir: &str,
    dir_name: Option<&str>,
) -> Vec<Finding> {
    let path = format!("{dir}/{}", policy.record);
    let mut out = Vec::new();
    let mismatch = |msg: String| Finding::new(Rule::IdentityMismatch, msg).at(path.clone());
    if let Some(rev) = record.revision.as_deref() {
        if !is_full_hex(rev) {
            out.push(mismatch(format!(
                "`{path}`: revision `{rev}` is not a full lowercase commit id (40 or 64 hex digits)"
            )));
        } else {
            let expected_tag = format!("git-{rev}");
            if let Some(tag) = record.tag.as_deref()
                && tag != expected_tag
            {
                out.push(mismatch(format!(
                    "`{path}`: tag `{tag}` is not `{expected_tag}`"
                )));
            }
            if let Some(name) = dir_name {
                let expected = policy.release_dir(rev);
                if name != expected {
                    out.push(mismatch(format!("release directory `{name}/` holds revision {rev}; it must be named `{expected}/`")));
                }
            }
        }
    }
    out
}

/// The package rule: `packageType` must be known and its payload directory present.
/// `has_payload_dir` answers whether `<dir>/<payload>/` is a directory (in git or on disk).
pub fn package<E>(
    policy: &SnapshotPolicy,
    record: &Record,
    dir: &str,
    has_payload_dir: impl FnOnce(&str) -> Result<bool, E>,
) -> Result<Vec<Finding>, E> {
    let path = format!("{dir}/{}", policy.record);
    let Some(kind) = record.package_type.as_deref() else {
        return Ok(Vec::new());
    };
    let Some(payload) = policy.packages.get(kind) else {
        let known: Vec<&str> = policy.packages.keys().map(String::as_str).collect();
        return Ok(vec![
            Finding::new(
                Rule::PackageMismatch,
                format!(
                    "`{path}`: packageType `{kind}` is not one of {}",
                    known.join(", ")
                ),
            )
            .at(path),
        ]);
    };
    if has_payload_dir(payload)? {
        return Ok(Vec::new());
    }
    Ok(vec![
        Finding::new(
            Rule::PackageMismatch,
            format!("`{path}` says packageType `{kind}`, but `{dir}/{payload}/` is missing"),
        )
        .at(format!("{dir}/{payload}")),
    ])
}

impl SnapshotChecker<'_> {
    /// The first symlink inside a snapshot directory's tree (`depth` directories below the
    /// snapshot directory) whose target leaves the snapshot directory: its path relative to
    /// `tree` and its target. Such a link's content changes whenever its target does, while
    /// the release's tree stays byte-identical.
    fn escaping_link(
        &mut self,
        repo: &Repo,
        tree: ObjectId,
        depth: usize,
    ) -> Result<EscapingLink, Stop> {
        if let Some(v) = self.link_memo.get(&(tree, depth)) {
            return Ok(v.clone());
        }
        let mut found = None;
        for e in repo.tree(&tree)? {
            self.deadline.check()?;
            match e.kind {
                EntryKind::Link => {
                    let target = repo.blob(&e.id)?;
                    if leaves(&target, depth) {
                        found = Some((e.name.clone(), target));
                        break;
                    }
                }
                EntryKind::Tree => {
                    if let Some((sub, target)) = self.escaping_link(repo, e.id, depth + 1)? {
                        found = Some((join_path(&e.name, &sub), target));
                        break;
                    }
                }
                _ => {}
            }
        }
        self.link_memo.insert((tree, depth), found.clone());
        Ok(found)
    }

    /// The first gitlink inside a tree, if any (path relative to the tree).
    fn gitlink(&mut self, repo: &Repo, tree: ObjectId) -> Result<Option<Vec<u8>>, Stop> {
        if let Some(v) = self.gitlink_memo.get(&tree) {
            return Ok(v.clone());
        }
        let mut found = None;
        for e in repo.tree(&tree)? {
            self.deadline.check()?;
            match e.kind {
                EntryKind::Commit => {
                    found = Some(e.name.clone());
                    break;
                }
                EntryKind::Tree => {
                    if let Some(sub) = self.gitlink(repo, e.id)? {
                        found = Some(join_path(&e.name, &sub));
                        break;
                    }
                }
                _ => {}
            }
        }
        self.gitlink_memo.insert(tree, found.clone());
        Ok(found)
    }
}

/// A symlink that leaves its snapshot directory: its path and its target.
type EscapingLink = Option<(Vec<u8>, Vec<u8>)>;

/// Does a symlink `target`, in a directory `depth` levels below a snapshot directory, resolve
/// outside it? Absolute targets do; `..` may climb at most `depth` levels at any point.
pub(crate) fn leaves(target: &[u8], depth: usize) -> bool {
    if target.first() == Some(&b'/') || target.is_empty() {
        return true;
    }
    let mut level = depth;
    for part in target.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => match level.checked_sub(1) {
                Some(l) => level = l,
                None => return true,
            },
            _ => level += 1,
        }
    }
    false
}

/// Prefix the relative paths of findings with the freight root's path.
fn place(local: &Local, prefix: &str) -> Vec<Finding> {
    local
        .iter()
        .map(|f| {
            let mut f = f.clone();
            let rel = f.path.take().unwrap_or_default();
            f.path = Some(if rel.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}/{rel}")
            });
            f
        })
        .collect()
}

fn dedup(findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    findings.retain(|f| seen.insert((f.rule, f.path.clone(), f.message.clone())));
}

use crate::git::diff::kind_word;

pub use crate::git::parse::is_full_hex;

/// `sha256:` and 64 lowercase hex digits: an image digest as a record must name it.
pub fn is_sha256_digest(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && crate::git::parse::is_lower_hex(h.as_bytes()))
}

pub use crate::git::diff::{MAX_LISTED_PATHS, diff_trees, in_paths};

/// Validate the bytes of a record (`freight.yaml`) found at `path`.
pub fn validate_record(
    policy: &SnapshotPolicy,
    bytes: &[u8],
    path: &str,
) -> (Record, Vec<Finding>) {
    let mut record = Record::default();
    let invalid = |msg: String| vec![Finding::new(Rule::RecordInvalid, msg).at(path.to_string())];
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return (
            record,
            vec![diags::record_oversized(path, bytes.len() as u64)],
        );
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (record, invalid(format!("`{path}` is not UTF-8 text")));
    };
    let node = match yaml::parse(text, Limits::SMALL) {
        Ok(node) => node,
        Err(e) => {
            let at = if e.line > 0 {
                format!(" (line {})", e.line)
            } else {
                String::new()
            };
            return (
                record,
                invalid(format!("`{path}` cannot be parsed{at}: {}", e.message)),
            );
        }
    };
    if !matches!(node.value, Value::Map(_)) {
        return (
            record,
            invalid(format!(
                "`{path}` must be a YAML mapping, not {}",
                node.value.type_name()
            )),
        );
    }
    let mut out = Vec::new();
    let missing: Vec<&str> = policy
        .required
        .iter()
        .filter(|field| {
            node.get_path(field)
                .is_none_or(|n| matches!(n.value, Value::Null))
        })
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        out.extend(invalid(format!(
            "`{path}` lacks required field(s): {}",
            missing.join(", ")
        )));
    }
    let text_of = |key: &str| node.get_path(key).and_then(Node::scalar_text);
    record.revision = text_of("revision");
    record.tag = text_of("tag");
    record.package_type = text_of("packageType");
    let mismatch = |msg: String| Finding::new(Rule::IdentityMismatch, msg).at(path.to_string());
    if let (Some(tag), Some(image_ref)) = (record.tag.as_deref(), text_of("image.ref"))
        && crate::image_ref::image_tag(&image_ref) != Some(tag)
    {
        out.push(mismatch(format!(
            "`{path}`: image.ref `{image_ref}` is not tagged `{tag}`"
        )));
    }
    if let Some(d) = text_of("image.digest")
        && !is_sha256_digest(&d)
    {
        out.push(mismatch(format!(
            "`{path}`: image.digest `{d}` is not `sha256:` followed by 64 lowercase hex digits"
        )));
    }
    (record, out)
}

/// Decode one raw tree entry (from [`Repo::raw_split`]).
fn decode_one(repo: &Repo, tree: &ObjectId, bytes: &[u8]) -> Result<Entry, ReadError> {
    match repo.raw_entries(tree, bytes).next() {
        Some(Ok(e)) => Ok(Entry::from_ref(&e)),
        Some(Err(e)) => Err(e),
        None => Err(ReadError::Corrupt {
            id: *tree,
            message: "an empty tree entry".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::git::testing::{Scratch, id};

    /// A freight root of releases, each a directory whose content depends on its version
    /// (one tree per version, made once).
    fn root(s: &Scratch, releases: &[(String, u32)], made: &mut HashMap<u32, String>) -> ObjectId {
        let mut entries: Vec<(String, String)> = releases
            .iter()
            .map(|(name, version)| {
                let tree = made.entry(*version).or_insert_with(|| {
                    let blob = s.blob(&format!("release {version}\n"));
                    s.tree(&[("100644", "blob", &blob, "freight.yaml")])
                });
                (name.clone(), tree.clone())
            })
            .collect();
        entries.sort();
        let lines: Vec<(&str, &str, &str, &str)> = entries
            .iter()
            .map(|(n, t)| ("040000", "tree", t.as_str(), n.as_str()))
            .collect();
        id(&s.tree(&lines))
    }

    fn names(entries: &[Entry]) -> BTreeSet<Vec<u8>> {
        entries.iter().map(|e| e.name.clone()).collect()
    }

    /// Added, removed and changed names, from full listings.
    fn naive(repo: &Repo, old: ObjectId, new: ObjectId) -> [BTreeSet<Vec<u8>>; 3] {
        let o: BTreeMap<Vec<u8>, Entry> = repo
            .tree(&old)
            .expect("tree")
            .into_iter()
            .map(|e| (e.name.clone(), e))
            .collect();
        let n: BTreeMap<Vec<u8>, Entry> = repo
            .tree(&new)
            .expect("tree")
            .into_iter()
            .map(|e| (e.name.clone(), e))
            .collect();
        [
            n.keys().filter(|k| !o.contains_key(*k)).cloned().collect(),
            o.keys().filter(|k| !n.contains_key(*k)).cloned().collect(),
            n.iter()
                .filter(|(k, e)| o.get(*k).is_some_and(|x| x.id != e.id))
                .map(|(k, _)| k.clone())
                .collect(),
        ]
    }

    #[test]
    fn links_that_leave_their_directory() {
        assert!(!leaves(b"values.yaml", 0));
        assert!(!leaves(b"../values.yaml", 1));
        assert!(!leaves(b"a/../b", 0));
        assert!(!leaves(b"./x", 0));
        assert!(leaves(b"../x", 0));
        assert!(leaves(b"a/../../x", 0));
        assert!(leaves(b"../../git-x/helm/values.yaml", 1));
        assert!(leaves(b"/etc/passwd", 3));
        assert!(leaves(b"", 0));
    }

    #[test]
    fn freight_root_comparison_agrees_with_full_listings() {
        let s = Scratch::new();
        let name = |i: u32| format!("git-{:040x}", u128::from(i) * 7919 + 11);
        let mut releases: Vec<(String, u32)> = (0..300).map(|i| (name(i), 0)).collect();
        let policy = SnapshotPolicy::default();
        let mut checker = SnapshotChecker::new(&policy);
        let mut made = HashMap::new();
        let mut parent = root(&s, &releases, &mut made);
        // A chain of roots, each judged against the one before (whose offsets the checker
        // derived on the way): first, middle and last entries changed, added and removed.
        type Step = Box<dyn Fn(&mut Vec<(String, u32)>)>;
        let steps: Vec<Step> = vec![
            Box::new(|r| r[0].1 += 1),
            Box::new(|r| r.push((format!("git-{}", "f".repeat(40)), 0))),
            Box::new(|r| {
                r.remove(150);
            }),
            Box::new(|r| {
                r[299 - 1].1 += 1;
                r[7].1 += 1;
                r.push((format!("git-{}", "0".repeat(40)), 3));
            }),
            Box::new(|r| r.retain(|(n, _)| !n.ends_with('5'))),
            Box::new(|_| {}),
        ];
        for (i, step) in steps.iter().enumerate() {
            step(&mut releases);
            let new = root(&s, &releases, &mut made);
            let repo = &s.open();
            let (added, removed, changed) = checker
                .root_changes(repo, Some(parent), new)
                .expect("compare");
            let changed_names: BTreeSet<Vec<u8>> =
                changed.iter().map(|(n, _)| n.name.clone()).collect();
            let [a, r, c] = naive(repo, parent, new);
            assert_eq!(
                (names(&added), names(&removed), changed_names),
                (a, r, c),
                "step {i}"
            );
            parent = new;
        }
    }
}
