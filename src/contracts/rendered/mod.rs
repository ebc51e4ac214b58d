//! The rendered-branch contract: only the renderer writes rendered branches, and review
//! branches change only by merging a reviewed proposal.
//!
//! [`RenderedChecker::check_commit`] applies the renderer rules to one commit (identity,
//! message, trailers, freight, image pairing, paths, merges) and memoizes the verdict by commit
//! id. [`RenderedChecker::check_review`] decides how each commit added to a review branch got
//! there. Which commits are judged, and the history-shape rules, live in the engine.

mod checkout;
mod freight;
use freight::Freight;
mod review;

pub use review::Review;

pub mod cfg;

pub mod images;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use gix::ObjectId;
use gix::objs::tree::EntryKind;

use crate::contracts::rendered::cfg::RenderedPolicy;
use crate::contracts::signing::cfg::SigningClass;
use crate::contracts::signing::{self, Trust, Verdict};
use crate::deadline::{Deadline, Stop};
use crate::finding::Finding;
use crate::git::attributes;
use crate::git::diff::{self, Expand, MAX_LISTED_PATHS};
use crate::git::repo::{Entry, ReadError, Repo, display_path};
use crate::rules::Rule;

/// The largest rendered YAML file whose images are read.
pub const MAX_MANIFEST_BYTES: u64 = 32 * 1024 * 1024;

/// Which part of the rendered contract a branch is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// `rendered.branches`: written by the renderer only.
    Stage,
    /// `rendered.review`: moved only by merging a proposal.
    Review,
    /// `rendered.proposals`: the renderer's proposals for a review branch.
    Proposal,
}

impl Class {
    pub fn of(policy: &RenderedPolicy, branch: &str) -> Option<Class> {
        if policy.review.is_match(branch) {
            Some(Class::Review)
        } else if policy.proposals.is_match(branch) {
            Some(Class::Proposal)
        } else if policy.branches.is_match(branch) {
            Some(Class::Stage)
        } else {
            None
        }
    }
}

/// The renderer rules, memoized by commit id.
pub struct RenderedChecker<'p> {
    policy: &'p RenderedPolicy,
    trust: &'p Trust,
    /// Signature verdicts per commit and key set.
    signatures: HashMap<(ObjectId, SigningClass), Vec<Finding>>,
    /// Release directories under the snapshot roots of the snapshot branch tips, once located.
    freight: Option<Freight>,
    /// Where `freight` was read, for messages.
    freight_origin: String,
    verdicts: HashMap<ObjectId, Vec<Finding>>,
    /// Relevant images per blob id: (reference, line) of images whose repository is listed.
    manifests: HashMap<ObjectId, Result<Vec<images::ImageRef>, String>>,
    /// When judging must stop.
    deadline: Deadline,
}

/// The message of the empty root commit Kargo makes when it creates a branch
/// (`ensureRemoteBranch` in Kargo's `git-clone` step).
pub const INITIAL_COMMIT_MESSAGE: &str = "Initial commit";

static GIT_TAG: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?:^|[^A-Za-z0-9_-])(git-(?:[0-9a-f]{64}|[0-9a-f]{40}))(?:$|[^A-Za-z0-9_-])",
    )
    .expect("a valid built-in regex")
});

static DEFAULT_MERGE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^Merge (?:branch|branches|remote-tracking branch|remote-tracking branches|commit|commits|tag|tags) '",
    )
    .expect("a valid built-in regex")
});

/// The first `git-<40 or 64 hex>` token of a subject.
pub fn first_git_tag(subject: &str) -> Option<&str> {
    GIT_TAG
        .captures(subject)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

impl<'p> RenderedChecker<'p> {
    pub fn new(policy: &'p RenderedPolicy, trust: &'p Trust) -> RenderedChecker<'p> {
        RenderedChecker {
            policy,
            trust,
            signatures: HashMap::new(),
            freight: None,
            freight_origin: String::new(),
            verdicts: HashMap::new(),
            manifests: HashMap::new(),
            deadline: Deadline::default(),
        }
    }

    /// Stop the loops of later judgements once `deadline` passed.
    pub fn set_deadline(&mut self, deadline: Deadline) {
        self.deadline = deadline;
    }

    /// Is `id` shaped like the commit Kargo pushes, on its own, when a promotion step's
    /// `git-clone` checks out a branch that does not exist yet (`checkout[].create: true`):
    /// a root commit with the empty tree and the message `Initial commit`, authored and
    /// committed by the renderer? Where it may stand (the first commit of a branch being
    /// created) is the caller's to decide; its signature is judged like any renderer commit.
    pub fn is_initial_commit(&self, repo: &Repo, id: ObjectId) -> Result<bool, ReadError> {
        let info = repo.commit(&id)?;
        if !info.parents.is_empty() || info.tree != ObjectId::empty_tree(repo.object_hash()) {
            return Ok(false);
        }
        let meta = repo.commit_meta(&id)?;
        Ok(
            meta.message.trim_end_matches('\n') == INITIAL_COMMIT_MESSAGE
                && self.policy.renderer.is_match(&meta.author)
                && self.policy.renderer.is_match(&meta.committer),
        )
    }

    /// The renderer rules for one commit. Findings carry the commit but no ref.
    /// Every loop over the commit's paths checks the deadline (see [`Self::set_deadline`]).
    pub fn check_commit(&mut self, repo: &Repo, id: ObjectId) -> Result<Vec<Finding>, Stop> {
        if let Some(found) = self.verdicts.get(&id) {
            return Ok(found.clone());
        }
        let found = self.judge_commit(repo, id)?;
        let found: Vec<Finding> = found.into_iter().map(|f| f.in_commit(id)).collect();
        self.verdicts.insert(id, found.clone());
        Ok(found)
    }

    fn judge_commit(&mut self, repo: &Repo, id: ObjectId) -> Result<Vec<Finding>, Stop> {
        let deadline = self.deadline;
        let p = self.policy;
        let info = repo.commit(&id)?;
        let meta = repo.commit_meta(&id)?;
        let mut out = Vec::new();
        for (rule, verb, who) in [
            (Rule::ForeignAuthor, "authored", &meta.author),
            (Rule::ForeignCommitter, "committed", &meta.committer),
        ] {
            if !p.renderer.is_match(who) {
                out.push(Finding::new(
                    rule,
                    format!(
                        "{verb} by `{who}`, which is not the renderer ({})",
                        p.renderer.texts.join(", ")
                    ),
                ));
            }
        }
        let merge = info.parents.len() > 1;
        let mut tag: Option<String> = None;
        if merge {
            if !p.merges {
                out.push(Finding::new(
                    Rule::MergeNotAllowed,
                    format!(
                        "a merge commit of {} parents, and `rendered.merges` is false",
                        info.parents.len()
                    ),
                ));
            } else if !p.message.is_empty() && !DEFAULT_MERGE.is_match(&meta.subject) {
                out.push(Finding::new(
                    Rule::MessageMismatch,
                    format!(
                        "a merge commit whose subject `{}` is not git's default merge message",
                        meta.subject
                    ),
                ));
            }
        } else {
            let mut revision = None;
            if !p.message.is_empty() {
                match p
                    .message
                    .iter()
                    .find_map(|pattern| pattern.regex.captures(&meta.subject))
                {
                    Some(c) => {
                        revision = c.name("revision").map(|m| m.as_str().to_string());
                        tag = c.name("tag").map(|m| m.as_str().to_string());
                    }
                    None => out.push(Finding::new(
                        Rule::MessageMismatch,
                        format!(
                            "the subject `{}` does not match `rendered.message` ({})",
                            meta.subject,
                            p.message
                                .iter()
                                .map(|m| format!("`{}`", m.text))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    )),
                }
            }
            if let (Some(revision), Some(tag)) = (&revision, &tag)
                && *tag != format!("git-{revision}")
            {
                out.push(Finding::new(
                    Rule::PairingMismatch,
                    format!(
                        "the message names revision {revision} but tag {tag}; the tag must be git-{revision}"
                    ),
                ));
            }
            for (token, pattern) in &p.trailers {
                let values: Vec<&str> = meta
                    .trailers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(token))
                    .map(|(_, v)| v.as_str())
                    .collect();
                if !values.iter().any(|v| pattern.regex.is_match(v)) {
                    let message = if values.is_empty() {
                        format!("the message has no `{token}:` trailer")
                    } else {
                        format!(
                            "no `{token}:` trailer matches `{}` (found: {})",
                            pattern.text,
                            values.join(", ")
                        )
                    };
                    out.push(Finding::new(Rule::MissingTrailer, message));
                }
            }
            if tag.is_none() {
                tag = first_git_tag(&meta.subject).map(str::to_string);
            }
            out.extend(self.check_freight(repo, tag.as_deref(), &meta.subject)?);
        }
        let parents: Vec<Option<ObjectId>> = if info.parents.is_empty() {
            vec![None]
        } else {
            info.parents
                .iter()
                .map(|parent| repo.commit(parent).map(|c| Some(c.tree)))
                .collect::<Result<_, _>>()?
        };
        let check_paths = !p.paths.matches_everything();
        let check_images = !p.images.is_empty() && (merge || tag.is_some());
        let mut outside: BTreeMap<Vec<u8>, ()> = BTreeMap::new();
        // Manifests the commit adds or changes, with how many parents they differ from: a
        // merge's manifest that differs from every parent was written by the merge itself.
        let mut manifests: BTreeMap<Vec<u8>, (Entry, usize)> = BTreeMap::new();
        let parent_count = parents.len();
        for parent_tree in parents {
            let changed = changed_paths(repo, parent_tree, Some(info.tree))?;
            let mut attribute_files = BTreeSet::new();
            for (path, entry) in changed {
                deadline.check()?;
                let name = path.rsplit(|b| *b == b'/').next().unwrap_or_default();
                if name == attributes::FILE_NAME {
                    attribute_files.insert(path.clone());
                }
                if check_paths && !p.paths.is_match(&String::from_utf8_lossy(&path)) {
                    outside.insert(path.clone(), ());
                }
                if check_images
                    && let Some(entry) = entry
                    && is_manifest(&path)
                {
                    manifests.entry(path).or_insert((entry, 0)).1 += 1;
                }
            }
            if let Some(old) = parent_tree
                && !attribute_files.is_empty()
            {
                out.extend(checkout::changed(
                    repo,
                    p,
                    old,
                    info.tree,
                    &attribute_files,
                    deadline,
                )?);
            }
        }
        if !outside.is_empty() {
            let mut details: Vec<String> = outside
                .keys()
                .take(MAX_LISTED_PATHS)
                .map(|p| display_path(p))
                .collect();
            if outside.len() > MAX_LISTED_PATHS {
                details.push(format!("... and {} more", outside.len() - MAX_LISTED_PATHS));
            }
            out.push(
                Finding::new(
                    Rule::PathOutsideRender,
                    format!(
                        "changes {} path(s) outside `rendered.paths` ({})",
                        outside.len(),
                        p.paths.texts.join(", ")
                    ),
                )
                .with_details(details),
            );
        }
        if check_images {
            for (path, (entry, differs)) in manifests {
                deadline.check()?;
                let shown = display_path(&path);
                if entry.kind == EntryKind::Link {
                    out.push(
                        Finding::new(
                            Rule::PairingMismatch,
                            format!("{shown} is a symlink; rendered files whose images are checked must be regular files"),
                        )
                        .at(shown),
                    );
                } else if merge {
                    if differs == parent_count {
                        out.push(
                            Finding::new(
                                Rule::PairingMismatch,
                                format!("the merge writes {shown} with content from neither parent, so its images are not those of any render"),
                            )
                            .at(shown),
                        );
                    }
                } else if let Some(tag) = &tag {
                    out.extend(self.check_images(repo, &path, entry.id, tag)?);
                }
            }
        }
        Ok(out)
    }

    /// `pairing-mismatch` for one rendered YAML file.
    fn check_images(
        &mut self,
        repo: &Repo,
        path: &[u8],
        blob: ObjectId,
        tag: &str,
    ) -> Result<Option<Finding>, ReadError> {
        let shown = display_path(path);
        if !self.manifests.contains_key(&blob) {
            let listed: Vec<String> = self
                .policy
                .images
                .iter()
                .map(|i| images::canonical_repository(i))
                .collect();
            let size = repo.object_size(&blob)?;
            let scanned = if size > MAX_MANIFEST_BYTES {
                Err(format!(
                    "it is {size} bytes; images are read from files of at most {MAX_MANIFEST_BYTES} bytes"
                ))
            } else {
                let bytes = repo.blob(&blob)?;
                match std::str::from_utf8(&bytes) {
                    Err(_) => Err("it is not UTF-8 text".to_string()),
                    Ok(text) => images::scan(text)
                        .map(|all| {
                            all.into_iter()
                                .filter(|i| {
                                    let found = images::canonical_repository(images::repository(
                                        &i.reference,
                                    ));
                                    listed.contains(&found)
                                })
                                .collect()
                        })
                        .map_err(|e| format!("line {}: {}", e.line, e.message)),
                }
            };
            self.manifests.insert(blob, scanned);
        }
        let finding = match &self.manifests[&blob] {
            Err(why) => Some(
                Finding::new(
                    Rule::PairingMismatch,
                    format!("cannot read the images of {shown}: {why}"),
                )
                .at(shown),
            ),
            Ok(found) => {
                let wrong: Vec<String> = found
                    .iter()
                    .filter(|i| images::image_tag(&i.reference) != Some(tag))
                    .map(|i| format!("{shown}:{}: {}", i.line, i.reference))
                    .collect();
                (!wrong.is_empty()).then(|| {
                    Finding::new(
                        Rule::PairingMismatch,
                        format!(
                            "{} image(s) of {} in {shown} are not tagged {tag}, the freight the commit names",
                            wrong.len(),
                            self.policy.images.join(", ")
                        ),
                    )
                    .at(shown.clone())
                    .with_details(wrong)
                })
            }
        };
        Ok(finding)
    }

    /// The signing rules for one commit under the key set of `class`: nothing unless
    /// `signing.require` holds for that class.
    pub fn check_signature(
        &mut self,
        repo: &Repo,
        id: ObjectId,
        class: SigningClass,
    ) -> Result<Vec<Finding>, ReadError> {
        let Some(trust) = self.trust.class(class).filter(|t| t.require) else {
            return Ok(Vec::new());
        };
        if let Some(found) = self.signatures.get(&(id, class)) {
            return Ok(found.clone());
        }
        let raw = repo.commit_bytes(&id)?;
        let signed = signing::split(&raw, repo.object_hash());
        let whose = class.describe();
        let finding = match signing::verify(&signed, &trust.keys) {
            Verdict::Good(_) => None,
            Verdict::Unsigned => Some(Finding::new(
                Rule::UnsignedCommit,
                format!("the commit is not signed, and signing is required for {whose}"),
            )),
            Verdict::Untrusted(signer, why) => Some(Finding::new(
                Rule::UntrustedSignature,
                format!(
                    "signed by {signer}, which is not trusted for {whose}: {why} (keys from {})",
                    trust.settings
                ),
            )),
            Verdict::Bad(signer, why) => Some(Finding::new(
                Rule::BadSignature,
                match signer {
                    Some(signer) => format!("the signature by {signer} does not verify: {why}"),
                    None => format!("the signature does not verify: {why}"),
                },
            )),
        };
        let found: Vec<Finding> = finding.map(|f| f.in_commit(id)).into_iter().collect();
        self.signatures.insert((id, class), found.clone());
        Ok(found)
    }
}

/// Files Argo CD reads as manifests from a directory: `.yaml`, `.yml`, `.json` (JSON is YAML).
fn is_manifest(path: &[u8]) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(b".yaml") || lower.ends_with(b".yml") || lower.ends_with(b".json")
}

/// The most paths one commit may change and still be judged: a few hundred bytes of trees that
/// name the same subtree again and again can stand for billions of paths.
pub const MAX_CHANGED_PATHS: usize = 200_000;

/// Every path that differs between two trees, with its entry in `new` (`None`: removed).
/// Added or removed directories list their files. More than [`MAX_CHANGED_PATHS`] is an
/// error: the commit cannot be verified.
fn changed_paths(
    repo: &Repo,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
) -> Result<Vec<diff::Changed>, ReadError> {
    let mut out = Vec::new();
    let complete = diff::walk(
        repo,
        old,
        new,
        Expand::Files,
        MAX_CHANGED_PATHS,
        &mut |path, _, n| out.push((path.to_vec(), n.cloned())),
    )?;
    if !complete {
        return Err(ReadError::TooLarge(format!(
            "a commit changes more than {MAX_CHANGED_PATHS} paths"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_git_tag_is_a_whole_token() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            first_git_tag(&format!("Render staging from git-{sha} [skip ci]")),
            Some(format!("git-{sha}").as_str())
        );
        assert_eq!(first_git_tag(&format!("Render from git-{sha}0")), None);
        assert_eq!(first_git_tag(&format!("Render from xgit-{sha}")), None);
        assert_eq!(first_git_tag("Render from git-abc"), None);
    }
}
