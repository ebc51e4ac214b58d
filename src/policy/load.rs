//! Where the trusted policy comes from (contracts §3): `--config` / `FREIGHT_GUARD_CONFIG` (a
//! server-side file), else `.freight-guard.yaml` at the trusted revision, else the built-in
//! defaults; and the keys its `signing` section names, from the same place.

use std::path::{Path, PathBuf};

use gix::ObjectId;

use crate::contracts::signing::{DirSource, KeySource, NoSource, TreeSource, Trust};
use crate::contracts::snapshot::SnapshotChecker;
use crate::contracts::snapshot::cfg::{DEFAULT_BRANCHES, DEFAULT_ROOTS};
use crate::deadline::Stop;
use crate::finding::Finding;
use crate::git::repo::{FileAt, ReadError, Repo};
use crate::policy::{MAX_POLICY_BYTES, POLICY_FILE, Policy, Problem};
use crate::rules::Rule;

/// Why no policy could be had.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The policy (or a key file it names) is invalid: every problem, with lines.
    #[error("the policy {origin} is invalid ({} problem(s))", problems.len())]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
    },
    /// The trusted revision could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
}

impl LoadError {
    /// The finding this error is reported as.
    pub fn finding(&self) -> Finding {
        match self {
            LoadError::Invalid { origin, problems } => {
                let details = problems.iter().map(|p| p.describe(origin, true)).collect();
                Finding::new(Rule::PolicyInvalid, self.to_string())
                    .at(origin.clone())
                    .with_details(details)
            }
            LoadError::Read(e) => Finding::new(Rule::ReadError, e.to_string()),
        }
    }
}

fn one(message: String) -> Vec<Problem> {
    vec![Problem { line: 0, message }]
}

/// Load the policy: `config`, else `.freight-guard.yaml` at `trusted` (a commit and the label
/// it is shown with), else the defaults.
pub fn load(
    config: Option<&Path>,
    repo: Option<&Repo>,
    trusted: Option<(ObjectId, &str)>,
) -> Result<Policy, LoadError> {
    let invalid = |origin: &str, problems: Vec<Problem>| LoadError::Invalid {
        origin: origin.to_string(),
        problems,
    };
    if let Some(path) = config {
        let origin = path.display().to_string();
        let meta = std::fs::metadata(path)
            .map_err(|e| invalid(&origin, one(format!("cannot read it: {e}"))))?;
        if meta.len() > MAX_POLICY_BYTES as u64 {
            return Err(invalid(
                &origin,
                one(format!(
                    "it is {} bytes; at most {MAX_POLICY_BYTES} are read",
                    meta.len()
                )),
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(&origin, one(format!("cannot read it: {e}"))))?;
        let policy = Policy::from_yaml(&text).map_err(|p| invalid(&origin, p))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let source = DirSource(if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        });
        return with_trust(policy, &source).map_err(|p| invalid(&origin, p));
    }
    let (Some(repo), Some((commit, label))) = (repo, trusted) else {
        return with_trust(Policy::default(), &NoSource)
            .map_err(|p| invalid("built-in defaults", p));
    };
    let origin = format!("{label}:{POLICY_FILE}");
    let tree = repo.commit(&commit)?.tree;
    let source = TreeSource {
        repo,
        tree,
        label: label.to_string(),
    };
    let mut policy = match policy_text(repo, tree)? {
        None => with_trust(Policy::default(), &source).map_err(|p| invalid(&origin, p))?,
        Some(Ok(text)) => Policy::from_yaml(&text)
            .and_then(|policy| with_trust(policy, &source))
            .map_err(|p| invalid(&origin, p))?,
        Some(Err(why)) => return Err(invalid(&origin, one(why))),
    };
    policy.notes = notes(&policy, repo, tree, label)?;
    Ok(policy)
}

/// The policy file in `tree` as the loader reads it: `None` when there is none, else its
/// text, or why it cannot be a policy (not a regular file, too large, not UTF-8), in words
/// that name the cause.
pub fn policy_text(
    repo: &Repo,
    tree: ObjectId,
) -> Result<Option<Result<String, String>>, ReadError> {
    let Some(entry) = repo.lookup(&tree, POLICY_FILE.as_bytes())? else {
        return Ok(None);
    };
    let why = match repo.file_at(&tree, POLICY_FILE.as_bytes(), MAX_POLICY_BYTES as u64)? {
        FileAt::Missing => return Ok(None),
        FileAt::Bytes(bytes) => {
            return Ok(Some(
                String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string()),
            ));
        }
        FileAt::TooLarge(size) => {
            format!("it is {size} bytes; a policy file is at most {MAX_POLICY_BYTES}")
        }
        FileAt::NotRegular => match entry.kind {
            gix::objs::tree::EntryKind::Link => format!(
                "it is a symlink (to `{}`), not a regular file: the policy is read from the file itself, never through a link",
                String::from_utf8_lossy(&repo.blob(&entry.id)?)
            ),
            gix::objs::tree::EntryKind::Tree => "it is a directory, not a regular file".to_string(),
            _ => "it is a submodule, not a regular file".to_string(),
        },
    };
    Ok(Some(Err(why)))
}

/// Settings that name nothing in the repository as the trusted revision has it: a typo there
/// would silently check nothing. Only settings the policy file changes are looked at: the
/// defaults fit a repository that has no snapshot at all (the common-case design).
fn notes(
    policy: &Policy,
    repo: &Repo,
    tree: ObjectId,
    label: &str,
) -> Result<Vec<String>, ReadError> {
    let mut out = Vec::new();
    let snapshot = &policy.snapshot;
    // No deadline is set here, so the only way the search stops is a read error.
    let matches_nothing = || match SnapshotChecker::new(snapshot).roots(repo, tree) {
        Ok(found) => Ok(found.is_empty()),
        Err(Stop::Read(e)) => Err(e),
        Err(Stop::Deadline(_)) => Ok(false),
    };
    if snapshot.roots != DEFAULT_ROOTS && !snapshot.roots.is_empty() && matches_nothing()? {
        out.push(format!(
            "`snapshot.roots` ({}) match no directory at {label}, so the snapshot contract checks nothing there",
            snapshot.roots.join(", ")
        ));
    }
    if snapshot.branches.texts != DEFAULT_BRANCHES && !snapshot.branches.is_empty() {
        let branches = repo.refs_with_prefix("refs/heads/")?;
        let any = branches
            .iter()
            .any(|(name, _)| snapshot.branches.is_match(&name["refs/heads/".len()..]));
        if !any {
            out.push(format!(
                "`snapshot.branches` ({}) match no branch of the repository, so no push is judged under the snapshot contract",
                snapshot.branches.texts.join(", ")
            ));
        }
    }
    Ok(out)
}

/// Load the key files `policy.signing` names from `source` into `policy.trust`.
pub fn with_trust(mut policy: Policy, source: &dyn KeySource) -> Result<Policy, Vec<Problem>> {
    policy.trust = Trust::load(&policy.signing, source).map_err(|problems| {
        problems
            .into_iter()
            .map(|message| Problem { line: 0, message })
            .collect::<Vec<_>>()
    })?;
    Ok(policy)
}
