//! The catalogue of rule names.
//!
//! Rule names are public API: findings carry them, policies set their severity, `explain`
//! documents them and tests pin the full list. Adding a rule means adding it here.

use std::fmt;

/// How a finding is treated: `deny` rejects, `warn` reports, `allow` drops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Allow,
    Warn,
    Deny,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Allow => "allow",
            Severity::Warn => "warn",
            Severity::Deny => "deny",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "allow" => Some(Severity::Allow),
            "warn" => Some(Severity::Warn),
            "deny" => Some(Severity::Deny),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which family a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Snapshot,
    Rendered,
    Signing,
    Objects,
    Refs,
    Policy,
    Operational,
}

/// Every rule freight-guard can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    MirrorMismatch,
    ReleaseMissing,
    RecordInvalid,
    IdentityMismatch,
    PackageMismatch,
    ReleaseModified,
    ReleaseDeleted,
    SubmoduleInSnapshot,
    UnexpectedEntry,
    ForeignAuthor,
    ForeignCommitter,
    MessageMismatch,
    MissingTrailer,
    PathOutsideRender,
    MergeNotAllowed,
    NonFastForward,
    BranchDeleted,
    UnauthorizedPusher,
    ReviewBypassed,
    MergeAltered,
    UnknownFreight,
    PairingMismatch,
    UnsignedCommit,
    UntrustedSignature,
    BadSignature,
    PolicyInvalid,
    InputInvalid,
    ReadError,
    DeadlineExceeded,
    PolicyWarning,
    DuplicateTreeEntry,
    TreeEntryInvalid,
    CommitMalformed,
    SymlinkEscapes,
    FreightPathSymlink,
    CheckoutAttributes,
    RefShadowsBranch,
    PolicyChangeUnauthorized,
    KargoDrift,
}

/// Static facts about one rule.
pub struct RuleInfo {
    pub rule: Rule,
    pub name: &'static str,
    pub family: Family,
    pub default_severity: Severity,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// Why the rule exists and how to fix a finding.
    pub explanation: &'static str,
}

use Family::*;
use Severity::*;

/// The full catalogue, in documentation order.
pub const RULES: &[RuleInfo] = &[
    MIRROR_MISMATCH,
    RELEASE_MISSING,
    RECORD_INVALID,
    IDENTITY_MISMATCH,
    PACKAGE_MISMATCH,
    RELEASE_MODIFIED,
    RELEASE_DELETED,
    SUBMODULE_IN_SNAPSHOT,
    UNEXPECTED_ENTRY,
    FOREIGN_AUTHOR,
    FOREIGN_COMMITTER,
    MESSAGE_MISMATCH,
    MISSING_TRAILER,
    PATH_OUTSIDE_RENDER,
    MERGE_NOT_ALLOWED,
    NON_FAST_FORWARD,
    BRANCH_DELETED,
    UNAUTHORIZED_PUSHER,
    REVIEW_BYPASSED,
    MERGE_ALTERED,
    UNKNOWN_FREIGHT,
    PAIRING_MISMATCH,
    UNSIGNED_COMMIT,
    UNTRUSTED_SIGNATURE,
    BAD_SIGNATURE,
    POLICY_INVALID,
    INPUT_INVALID,
    READ_ERROR,
    DEADLINE_EXCEEDED,
    POLICY_WARNING,
    DUPLICATE_TREE_ENTRY,
    TREE_ENTRY_INVALID,
    COMMIT_MALFORMED,
    SYMLINK_ESCAPES,
    FREIGHT_PATH_SYMLINK,
    CHECKOUT_ATTRIBUTES,
    REF_SHADOWS_BRANCH,
    POLICY_CHANGE_UNAUTHORIZED,
    KARGO_DRIFT,
];

const MIRROR_MISMATCH: RuleInfo = RuleInfo {
    rule: Rule::MirrorMismatch,
    name: "mirror-mismatch",
    family: Snapshot,
    default_severity: Deny,
    summary: "current/ differs from the release directory its freight.yaml names",
    explanation: "Kargo's Warehouse watches only `current/` and promotion renders from it, while people and \
audit tools read the historical `git-<sha>/` directory. The design is only safe while `current/` is an \
exact copy of its release directory in the same commit: same names, same bytes, same modes (executable \
bit, symlinks). freight-guard compares the two tree ids, so any difference at all is reported, with the \
differing paths.\n\nFix: regenerate `current/` from the release directory in the same commit, e.g. \
`rm -rf current && cp -a git-<sha> current`, and make sure nothing edits `current/` by hand.",
};

const RELEASE_MISSING: RuleInfo = RuleInfo {
    rule: Rule::ReleaseMissing,
    name: "release-missing",
    family: Snapshot,
    default_severity: Deny,
    summary: "current/freight.yaml names a release directory that is not there",
    explanation: "`current/freight.yaml` names a revision; its release directory (`git-<revision>` by \
default, see `snapshot.release`) must exist next to `current/` in the same commit, because that \
directory is the frozen, reviewable record of what `current/` deploys.\n\nFix: commit the release \
directory together with `current/`, or point `current/freight.yaml` at the release that is there.",
};

const RECORD_INVALID: RuleInfo = RuleInfo {
    rule: Rule::RecordInvalid,
    name: "record-invalid",
    family: Snapshot,
    default_severity: Deny,
    summary: "a freight.yaml is missing, not a regular file, oversized, unparsable or lacks a required field",
    explanation: "Every release directory and `current/` carry a record (`freight.yaml` by default) that \
Kargo's promotion reads with `yaml-parse`. It must be a regular file of at most 64 KiB holding one YAML \
mapping with every field of `snapshot.required` (dotted paths such as `image.ref`). Documents built to \
exhaust a parser (alias bombs, deep nesting) are rejected as unparsable.\n\nFix: write the record as CI \
does, with every required field, as a plain file (not a symlink).",
};

const IDENTITY_MISMATCH: RuleInfo = RuleInfo {
    rule: Rule::IdentityMismatch,
    name: "identity-mismatch",
    family: Snapshot,
    default_severity: Deny,
    summary: "revision, tag, directory name, image tag or digest of a release disagree",
    explanation: "A release is identified one way everywhere: `revision` is a full lowercase commit id \
(40 or 64 hex), `tag` is `git-` + revision, the release directory is named after it, `image.ref` is \
tagged with the tag (`repo:tag` or `repo:tag@sha256:...`) and `image.digest` is `sha256:` + 64 \
lowercase hex. A mismatch means the package, the image and the name people audit can disagree.\n\n\
Fix: regenerate the record from the source commit and the pushed image digest.",
};

const PACKAGE_MISMATCH: RuleInfo = RuleInfo {
    rule: Rule::PackageMismatch,
    name: "package-mismatch",
    family: Snapshot,
    default_severity: Deny,
    summary: "unknown packageType, or its payload directory is missing",
    explanation: "`packageType` selects the payload directory Kargo renders from (`snapshot.packages`, \
by default `helm -> helm/` and `kustomize -> kustomize/`). An unknown type, or a release without that \
directory, cannot be rendered.\n\nFix: set `packageType` to a known type and commit its payload directory.",
};

const RELEASE_MODIFIED: RuleInfo = RuleInfo {
    rule: Rule::ReleaseModified,
    name: "release-modified",
    family: Snapshot,
    default_severity: Deny,
    summary: "a release directory that exists in a parent commit changed",
    explanation: "Release directories are frozen once written: they are the record of what was deployed. \
Each commit is compared with each of its parents; a release directory present in a parent must be \
byte-identical in the commit.\n\nFix: never edit a `git-<sha>/` directory; cut a new release instead.",
};

const RELEASE_DELETED: RuleInfo = RuleInfo {
    rule: Rule::ReleaseDeleted,
    name: "release-deleted",
    family: Snapshot,
    default_severity: Deny,
    summary: "a release directory that exists in a parent commit was removed",
    explanation: "Removing a release directory erases the record of a deployment. It is allowed only \
when the policy sets `snapshot.prune: true`.\n\nFix: restore the directory, or enable pruning in the \
trusted policy if old releases are meant to be removed.",
};

const SUBMODULE_IN_SNAPSHOT: RuleInfo = RuleInfo {
    rule: Rule::SubmoduleInSnapshot,
    name: "submodule-in-snapshot",
    family: Snapshot,
    default_severity: Deny,
    summary: "a gitlink (submodule) inside a snapshot",
    explanation: "A gitlink records only a commit id of another repository: its bytes are not in this \
repository, so the snapshot would not be frozen.\n\nFix: vendor the files into the release directory \
instead of adding a submodule.",
};

const UNEXPECTED_ENTRY: RuleInfo = RuleInfo {
    rule: Rule::UnexpectedEntry,
    name: "unexpected-entry",
    family: Snapshot,
    default_severity: Warn,
    summary: "something in a freight root is neither current/ nor a release directory",
    explanation: "A freight root (`warehouses/*/freight` by default) holds `current/` and release \
directories only. Anything else is probably a mistake (a stray file, a misnamed release) and is \
reported as a warning when a commit adds it.\n\nFix: move the entry elsewhere, or set this rule to \
`allow` in `rules:`.",
};

const FOREIGN_AUTHOR: RuleInfo = RuleInfo {
    rule: Rule::ForeignAuthor,
    name: "foreign-author",
    family: Rendered,
    default_severity: Deny,
    summary: "a rendered-branch commit whose author is not the renderer",
    explanation: "Only the renderer (Kargo, `rendered.renderer`) writes stage and proposal branches. \
Every commit an update adds is judged, including commits already on `main`: pushing `main`'s history \
as a stage branch, or a commit on top of it, carries human commits. The author is compared as \
`Name <email>` with the `rendered.renderer` globs.\n\nFix: let Kargo render the change; to change a \
stage by hand, change its source on `main` and promote it.",
};

const FOREIGN_COMMITTER: RuleInfo = RuleInfo {
    rule: Rule::ForeignCommitter,
    name: "foreign-committer",
    family: Rendered,
    default_severity: Deny,
    summary: "a rendered-branch commit whose committer is not the renderer",
    explanation: "Only the renderer (Kargo, `rendered.renderer`) commits to stage and proposal branches; \
a commit whose author is Kargo but whose committer is someone else was rewritten or cherry-picked by \
hand.\n\nFix: let Kargo render the change.",
};

const MESSAGE_MISMATCH: RuleInfo = RuleInfo {
    rule: Rule::MessageMismatch,
    name: "message-mismatch",
    family: Rendered,
    default_severity: Deny,
    summary: "a rendered-branch commit message does not match `rendered.message`",
    explanation: "When the policy sets `rendered.message`, the subject of every rendered commit \
(`git log --format=%s`) must match it, e.g. `^Render (?P<stage>\\S+) from (?P<tag>git-[0-9a-f]{40}) \
\\[skip ci\\]$`. Merge commits must carry git's default merge message instead.\n\nFix: render \
through the Stage's promotion template, or fix the pattern in the policy.",
};

const MISSING_TRAILER: RuleInfo = RuleInfo {
    rule: Rule::MissingTrailer,
    name: "missing-trailer",
    family: Rendered,
    default_severity: Deny,
    summary: "a rendered-branch commit lacks a required trailer",
    explanation: "`rendered.trailers` names trailers every rendered commit must carry, each matching its \
regex. Trailers are read as `git interpret-trailers --parse` reads them: from the last paragraph of \
the message, tokens compared without case.\n\nFix: add the trailer at the end of the Stage's commit \
message template, after a blank line.",
};

const PATH_OUTSIDE_RENDER: RuleInfo = RuleInfo {
    rule: Rule::PathOutsideRender,
    name: "path-outside-render",
    family: Rendered,
    default_severity: Deny,
    summary: "a rendered-branch commit changes paths outside `rendered.paths`",
    explanation: "A rendered commit may only add, change or remove the paths the renderer writes \
(`rendered.paths`, e.g. `manifests.yaml` or `apps/codeai/deployments/*/deploy/**`), judged against \
every parent.\n\nFix: keep the render output inside the configured paths.",
};

const MERGE_NOT_ALLOWED: RuleInfo = RuleInfo {
    rule: Rule::MergeNotAllowed,
    name: "merge-not-allowed",
    family: Rendered,
    default_severity: Deny,
    summary: "a merge commit on a rendered branch where `rendered.merges` is false",
    explanation: "Kargo's RebaseOrMerge push integration makes merge commits; a policy can forbid them.\n\n\
Fix: rebase instead of merging, or allow merges in the policy.",
};

const NON_FAST_FORWARD: RuleInfo = RuleInfo {
    rule: Rule::NonFastForward,
    name: "non-fast-forward",
    family: Rendered,
    default_severity: Deny,
    summary: "a rendered or snapshot branch's history was rewritten",
    explanation: "Stage, review and proposal branches only move forward unless `rendered.force` \
allows otherwise: a force push would drop promoted or reviewed history. A snapshot branch \
(`main`) is an append-only record of every release: an update that removes commits from it \
(moving it back, rewriting a release's history, a new root commit) is a violation unless \
`snapshot.force` allows it, and the finding lists the releases dropped or changed.\n\nFix: push \
a new commit on top of the branch instead of rewriting it.",
};

const BRANCH_DELETED: RuleInfo = RuleInfo {
    rule: Rule::BranchDeleted,
    name: "branch-deleted",
    family: Rendered,
    default_severity: Deny,
    summary: "a rendered or snapshot branch was deleted",
    explanation: "Argo CD syncs stage and review branches; deleting one removes a deployment's \
source unless `rendered.delete` allows it. Proposal branches may be deleted (forges delete them \
after the merge). Deleting a snapshot branch drops its whole record of releases unless \
`snapshot.delete` allows it.\n\nFix: do not delete rendered or snapshot branches.",
};

const UNAUTHORIZED_PUSHER: RuleInfo = RuleInfo {
    rule: Rule::UnauthorizedPusher,
    name: "unauthorized-pusher",
    family: Rendered,
    default_severity: Deny,
    summary: "the server says the pusher is not in `rendered.pushers`",
    explanation: "When `rendered.pushers` is non-empty, only those logins may update stage, review and \
proposal branches. The login comes from the hosting platform's hook environment: \
GITHUB_USER_LOGIN, GL_USERNAME or GL_ID, GITEA_PUSHER_NAME, GL_USER, REMOTE_USER; when none is set \
the push is rejected. Only `pre-receive` knows the pusher.\n\nFix: push as the renderer's account, \
or add the login to `rendered.pushers`.",
};

const REVIEW_BYPASSED: RuleInfo = RuleInfo {
    rule: Rule::ReviewBypassed,
    name: "review-bypassed",
    family: Rendered,
    default_severity: Deny,
    summary: "a review branch moved other than by merging a proposal",
    explanation: "Production (`rendered.review`) changes only by merging a reviewed proposal branch \
(`rendered.proposals`) that existed before the push: a merge of one (committed by the renderer or \
the forge), a squash by the forge, or a fast-forward to a proposal commit that the platform says \
the forge made (`GITHUB_VIA`, `GL_PROTOCOL=web`, `GITEA_PR_ID`; or `rendered.fast_forward: true`), \
since anyone who can push can fast-forward. A direct push, a merge of a commit on no proposal \
branch, or a proposal merged in the push that creates it is rejected.\n\n\
Fix: push the render to a proposal branch, open a pull request and merge it after review.",
};

const MERGE_ALTERED: RuleInfo = RuleInfo {
    rule: Rule::MergeAltered,
    name: "merge-altered",
    family: Rendered,
    default_severity: Deny,
    summary: "a merge or squash on a review branch whose tree is not the proposal's tree",
    explanation: "A merge must carry exactly the tree of the proposal commit it merges, and a squash \
exactly the tree of a proposal branch tip: what lands on production is what was reviewed. The \
finding lists the differing paths.\n\nFix: merge the proposal without edits; if it needs changes, \
render a new proposal.",
};

const UNKNOWN_FREIGHT: RuleInfo = RuleInfo {
    rule: Rule::UnknownFreight,
    name: "unknown-freight",
    family: Rendered,
    default_severity: Deny,
    summary: "a rendered commit names no freight, or one with no release directory",
    explanation: "A rendered commit names the freight it was rendered from: the `tag` group of \
`rendered.message`, else the first `git-<40 or 64 hex>` token of its subject. With \
`rendered.freight: snapshot` a release directory of that name must exist under a snapshot root on \
the snapshot branch (as it is after the push). Merge commits name nothing.\n\nFix: release the \
freight on the snapshot branch first, then promote it.",
};

const PAIRING_MISMATCH: RuleInfo = RuleInfo {
    rule: Rule::PairingMismatch,
    name: "pairing-mismatch",
    family: Rendered,
    default_severity: Deny,
    summary: "revision and tag disagree, or a rendered image carries another tag",
    explanation: "When `rendered.message` names both a `revision` and a `tag`, the tag must be `git-` + \
the revision. Every `image:` of a repository in `rendered.images`, in every YAML file the commit \
adds or changes, must carry the named tag (`repo:tag@sha256:...` counts by its tag). A rendered file \
that cannot be read as YAML cannot be checked and is reported too.\n\nFix: render again from one \
freight.",
};

const UNSIGNED_COMMIT: RuleInfo = RuleInfo {
    rule: Rule::UnsignedCommit,
    name: "unsigned-commit",
    family: Signing,
    default_severity: Deny,
    summary: "signing is required and the commit is not signed",
    explanation: "With `signing.require: true` (or `require` in `signing.stage`, \
`signing.proposal` or `signing.review`), every commit judged on a rendered, review or proposal \
branch must carry a signature: the `gpgsig` header (`gpgsig-sha256` in SHA-256 repositories). \
Author and committer names can be forged; a signature by a pinned key cannot.\n\nFix: configure \
the renderer (or the forge) to sign its commits with a key the policy pins.",
};

const UNTRUSTED_SIGNATURE: RuleInfo = RuleInfo {
    rule: Rule::UntrustedSignature,
    name: "untrusted-signature",
    family: Signing,
    default_severity: Deny,
    summary: "a valid signature by a key that is not pinned, or outside its validity",
    explanation: "The signature verifies (an OpenPGP signature by a key that is not pinned cannot \
be checked at all), but its key is not pinned for this class of commits \
(`signing.ssh_allowed_signers`, `signing.gpg_keys`, or the class's override), or the pinning \
does not allow this use: outside the `valid-after`/`valid-before` window at the committer time, \
not allowed for namespace `git`, or the OpenPGP key is revoked or expired. The message names \
the key's fingerprint and principal.\n\nFix: sign with a key pinned for this class, or pin the \
key in the trusted policy (not in the push being judged).",
};

const BAD_SIGNATURE: RuleInfo = RuleInfo {
    rule: Rule::BadSignature,
    name: "bad-signature",
    family: Signing,
    default_severity: Deny,
    summary: "the signature does not match the commit's content",
    explanation: "The signature does not verify over the commit without its signature \
header: the commit was changed after it was signed (message, tree, parents, identities), or \
the signature is corrupt or in no format git knows.\n\nFix: recreate and re-sign the commit.",
};

const POLICY_INVALID: RuleInfo = RuleInfo {
    rule: Rule::PolicyInvalid,
    name: "policy-invalid",
    family: Operational,
    default_severity: Deny,
    summary: "the policy file is invalid",
    explanation: "The policy file (`--config`, `FREIGHT_GUARD_CONFIG`, or `.freight-guard.yaml` at the \
trusted revision) could not be read or validated; every problem is listed with its line. A push that \
changes `.freight-guard.yaml` on the default branch must leave it valid. Exit status 2.\n\nFix: correct \
the listed keys; `freight-guard init --stdout` prints the annotated defaults.",
};

const INPUT_INVALID: RuleInfo = RuleInfo {
    rule: Rule::InputInvalid,
    name: "input-invalid",
    family: Operational,
    default_severity: Deny,
    summary: "malformed hook input, arguments or environment",
    explanation: "A hook line is not `<old> SP <new> SP <ref>` with ids of the repository's hash length, \
a revision argument does not resolve, an `audit --ref` pattern matches no branch, or an option or its \
environment variable (`FREIGHT_GUARD_CONFIG`, `FREIGHT_GUARD_THREADS`, `FREIGHT_GUARD_DEADLINE`) is \
empty or invalid. Nothing can be verified, so the push is rejected. Exit status 2.\n\nFix: correct the \
argument or variable the message names.",
};

const READ_ERROR: RuleInfo = RuleInfo {
    rule: Rule::ReadError,
    name: "read-error",
    family: Operational,
    default_severity: Deny,
    summary: "an object or file could not be read",
    explanation: "A commit, tree or blob needed for the verdict is missing or corrupt, or the repository \
could not be opened. freight-guard fails closed: what it cannot verify is rejected. Exit status 3.\n\n\
Fix: run `git fsck`; for `pre-push`, fetch the remote first.",
};

const DEADLINE_EXCEEDED: RuleInfo = RuleInfo {
    rule: Rule::DeadlineExceeded,
    name: "deadline-exceeded",
    family: Operational,
    default_severity: Deny,
    summary: "the verdict did not finish before the deadline",
    explanation: "Hook modes stop after `--deadline` seconds (4.5 by default, inside GitHub Enterprise \
Server's 5-second budget) and reject what they could not finish judging. Exit status 3.\n\nFix: push \
fewer commits at once, or raise `--deadline` where the server allows it.",
};

const POLICY_WARNING: RuleInfo = RuleInfo {
    rule: Rule::PolicyWarning,
    name: "policy-warning",
    family: Operational,
    default_severity: Warn,
    summary: "the policy is valid but cannot work as written",
    explanation: "The policy loads, but a combination of its keys means a contract can never pass or \
checks nothing, e.g. `rendered.freight: snapshot` while `snapshot.branches` is empty: no release \
directory can ever be known, so every promotion is `unknown-freight`. Reported with every verdict \
that uses the policy; a warning does not change the exit status.\n\nFix: change the keys the \
message names.",
};

const DUPLICATE_TREE_ENTRY: RuleInfo = RuleInfo {
    rule: Rule::DuplicateTreeEntry,
    name: "duplicate-tree-entry",
    family: Objects,
    default_severity: Deny,
    summary: "a tree holds two entries of the same name",
    explanation: "A tree that an update adds lists the same name twice, or a file and a directory of \
the same name. git writes no such tree, but accepts one in a push (`receive.fsckObjects` is off by \
default), and readers disagree about it: freight-guard would judge one entry while `git checkout` \
writes the other for Argo CD and Kargo, so a broken `current/` or a second `.freight-guard.yaml` \
could hide behind a good one.\n\nFix: recreate the commit with git (`git add`, `git commit`), which \
writes each name once.",
};

const TREE_ENTRY_INVALID: RuleInfo = RuleInfo {
    rule: Rule::TreeEntryInvalid,
    name: "tree-entry-invalid",
    family: Objects,
    default_severity: Deny,
    summary: "a tree entry git would not write: name, mode, order or depth",
    explanation: "A tree that an update adds has an entry whose name contains `/`, is empty, `.`, `..` \
or `.git` in a spelling a file system treats as `.git` (letter case, trailing dots or spaces, \
`git~1`, NTFS streams, HFS+ ignorable characters); or a mode other than the five git writes \
(40000, 100644, 100755, 120000, 160000); or a file or symlink entry naming a tree (git takes \
such a push, then no clone can check the path out); or entries out of git's order; or trees \
nested deeper than 4096 levels. Checkout would write such an entry somewhere else than freight-guard reads \
it, or refuse to check the commit out at all.\n\nFix: recreate the commit with git.",
};

const COMMIT_MALFORMED: RuleInfo = RuleInfo {
    rule: Rule::CommitMalformed,
    name: "commit-malformed",
    family: Objects,
    default_severity: Deny,
    summary: "a commit's headers are not as git writes them",
    explanation: "A commit that an update adds does not start with `tree`, then its `parent` lines, \
then one `author` and one `committer` line of the form `Name <email> seconds +zone` as git's \
fsck checks it (a space before `<`, no `<` or `>` inside the email, a date of digits that is \
not zero-padded and fits a signed 64-bit `time_t`), or repeats one of them, or has a NUL byte \
in its headers or its message. Readers of such a commit disagree about its tree, parents or identities, and \
a consumer that checks what it fetches (`transfer.fsckObjects`) refuses it.\n\nFix: recreate the commit with git.",
};

const SYMLINK_ESCAPES: RuleInfo = RuleInfo {
    rule: Rule::SymlinkEscapes,
    name: "symlink-escapes",
    family: Snapshot,
    default_severity: Deny,
    summary: "a symlink in a release or current/ points outside it",
    explanation: "A symlink inside a release directory or `current/` whose target is absolute or climbs \
out of that directory (`../../other`). Checkout writes the link, and what Argo CD and Kargo read \
through it is whatever its target holds: the release's tree stays byte-identical while its \
content changes, and `current/` can mirror its release while reading something else. A link \
that stays inside its directory is fine.\n\nFix: copy the file into the release instead of \
linking it, or point the link at a file inside the same directory.",
};

const FREIGHT_PATH_SYMLINK: RuleInfo = RuleInfo {
    rule: Rule::FreightPathSymlink,
    name: "freight-path-symlink",
    family: Snapshot,
    default_severity: Deny,
    summary: "a symlink on the path of the freight roots",
    explanation: "An entry that matches a segment of `snapshot.roots` (`warehouses`, a warehouse, \
`freight`) is a symlink. freight-guard judges trees and does not follow it, so the releases \
behind it are outside the snapshot contract, while `git checkout` writes the link and Argo CD \
and Kargo follow it to whatever it points at.\n\nFix: commit the directory itself, not a link \
to it.",
};

const CHECKOUT_ATTRIBUTES: RuleInfo = RuleInfo {
    rule: Rule::CheckoutAttributes,
    name: "checkout-attributes",
    family: Snapshot,
    default_severity: Deny,
    summary: "`.gitattributes` makes checkout write a release, its mirror or a rendered file differently",
    explanation: "A `.gitattributes` setting that changes the bytes `git checkout` writes (with git's \
default configuration: `eol=crlf`, `working-tree-encoding`, `ident`, a `filter`) applies to a file \
under `current/` and not to its copy in the release, or the other way round; or a commit changes \
such a setting for a file of a release written earlier, or for a file under a rendered branch's \
`paths`. The trees stay equal, so the mirror and the frozen release look intact, while what Argo \
CD and Kargo check out differs. Git LFS's `filter=lfs` is content-addressed: it may apply to \
releases written before it was added, as long as it applies to a release and its mirror \
alike.\n\nFix: make the setting apply to a release and `current/` alike (a pattern on the file \
name, such as `*.tgz`, does), and do not change the checkout settings of files already \
released or rendered.",
};

const REF_SHADOWS_BRANCH: RuleInfo = RuleInfo {
    rule: Rule::RefShadowsBranch,
    name: "ref-shadows-branch",
    family: Refs,
    default_severity: Deny,
    summary: "a pushed ref can be taken for a guarded branch",
    explanation: "A pushed ref outside `refs/heads/` whose short name is that of a guarded branch \
(`refs/tags/main`, `refs/stage/production`, `refs/remotes/origin/main`), or a branch that differs \
from a guarded one only in letter case (`refs/heads/Main`). git resolves a short name by trying \
`refs/<name>` and `refs/tags/<name>` before `refs/heads/<name>`, so `git fetch <url> main` or a \
tool that resolves `stage/production` can be handed a commit no contract judged; on a \
case-insensitive file system two names that differ in case are one file.\n\nFix: name the tag \
or ref so that it cannot be read as a branch (`v1.2.3`, `release/2026-11-27`).",
};

const POLICY_CHANGE_UNAUTHORIZED: RuleInfo = RuleInfo {
    rule: Rule::PolicyChangeUnauthorized,
    name: "policy-change-unauthorized",
    family: Policy,
    default_severity: Deny,
    summary: "the policy file or a key file it names was changed by a pusher the policy does not allow",
    explanation: "The trusted policy names, in `policy.pushers`, the platform logins that may push a \
change of `.freight-guard.yaml`, or of a key file its `signing` section names, to the default \
branch; this push changes one of them and the platform names another pusher, or none. Without \
`policy.pushers`, whoever may push the default branch may change the policy, and the next push \
is judged by it. Commits that change the policy can also be required to carry a signature by \
pinned keys: `signing.policy.require: true`, judged by `unsigned-commit`, \
`untrusted-signature` and `bad-signature`.\n\nFix: have one of `policy.pushers` push the \
change.",
};

const KARGO_DRIFT: RuleInfo = RuleInfo {
    rule: Rule::KargoDrift,
    name: "kargo-drift",
    family: Policy,
    default_severity: Warn,
    summary: "the policy and Kargo's Stage and Warehouse configuration disagree",
    explanation: "`freight-guard lint-kargo DIR` makes, for each Stage under DIR, a sample of the commit it \
pushes (its branch, its git-commit subject with sample freight, the paths it renders, its \
identity) and reports what the trusted policy would not accept; and each policy pattern no Stage \
needs (a branch, review or proposal pattern, a message, a path, an identity), and each \
Warehouse freight root outside `snapshot.roots`. A Stage edited without the policy rejects its \
next promotion at the hook; a pattern nobody needs accepts what nobody should push.\n\nFix: \
derive the policy again (`freight-guard init --from-kargo DIR`) and review the difference, or \
edit the policy or the Stage so that they agree.",
};

impl Rule {
    /// The rule's catalogue entry. The match is exhaustive: a rule without its entry (name,
    /// family, severity, summary, explanation) does not compile.
    pub fn info(self) -> &'static RuleInfo {
        match self {
            Rule::MirrorMismatch => &MIRROR_MISMATCH,
            Rule::ReleaseMissing => &RELEASE_MISSING,
            Rule::RecordInvalid => &RECORD_INVALID,
            Rule::IdentityMismatch => &IDENTITY_MISMATCH,
            Rule::PackageMismatch => &PACKAGE_MISMATCH,
            Rule::ReleaseModified => &RELEASE_MODIFIED,
            Rule::ReleaseDeleted => &RELEASE_DELETED,
            Rule::SubmoduleInSnapshot => &SUBMODULE_IN_SNAPSHOT,
            Rule::UnexpectedEntry => &UNEXPECTED_ENTRY,
            Rule::ForeignAuthor => &FOREIGN_AUTHOR,
            Rule::ForeignCommitter => &FOREIGN_COMMITTER,
            Rule::MessageMismatch => &MESSAGE_MISMATCH,
            Rule::MissingTrailer => &MISSING_TRAILER,
            Rule::PathOutsideRender => &PATH_OUTSIDE_RENDER,
            Rule::MergeNotAllowed => &MERGE_NOT_ALLOWED,
            Rule::NonFastForward => &NON_FAST_FORWARD,
            Rule::BranchDeleted => &BRANCH_DELETED,
            Rule::UnauthorizedPusher => &UNAUTHORIZED_PUSHER,
            Rule::ReviewBypassed => &REVIEW_BYPASSED,
            Rule::MergeAltered => &MERGE_ALTERED,
            Rule::UnknownFreight => &UNKNOWN_FREIGHT,
            Rule::PairingMismatch => &PAIRING_MISMATCH,
            Rule::UnsignedCommit => &UNSIGNED_COMMIT,
            Rule::UntrustedSignature => &UNTRUSTED_SIGNATURE,
            Rule::BadSignature => &BAD_SIGNATURE,
            Rule::PolicyInvalid => &POLICY_INVALID,
            Rule::InputInvalid => &INPUT_INVALID,
            Rule::ReadError => &READ_ERROR,
            Rule::DeadlineExceeded => &DEADLINE_EXCEEDED,
            Rule::PolicyWarning => &POLICY_WARNING,
            Rule::DuplicateTreeEntry => &DUPLICATE_TREE_ENTRY,
            Rule::TreeEntryInvalid => &TREE_ENTRY_INVALID,
            Rule::CommitMalformed => &COMMIT_MALFORMED,
            Rule::SymlinkEscapes => &SYMLINK_ESCAPES,
            Rule::FreightPathSymlink => &FREIGHT_PATH_SYMLINK,
            Rule::CheckoutAttributes => &CHECKOUT_ATTRIBUTES,
            Rule::RefShadowsBranch => &REF_SHADOWS_BRANCH,
            Rule::PolicyChangeUnauthorized => &POLICY_CHANGE_UNAUTHORIZED,
            Rule::KargoDrift => &KARGO_DRIFT,
        }
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(name: &str) -> Option<Rule> {
        RULES.iter().find(|info| info.name == name).map(|i| i.rule)
    }

    /// Object-integrity rules: the commit is not what git would write.
    pub fn is_object_rule(self) -> bool {
        self.info().family == Objects
    }

    /// Operational rules cannot be set to warn or allow: they are how the tool fails closed.
    pub fn is_operational(self) -> bool {
        self.info().family == Operational
    }
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Snapshot => "snapshot",
            Rendered => "rendered",
            Signing => "signing",
            Objects => "objects",
            Refs => "refs",
            Policy => "policy",
            Operational => "operational",
        }
    }
}

/// `docs/rules.md`: every rule with its summary and explanation, from this catalogue (the
/// text `freight-guard explain RULE` prints). `freight-guard explain --markdown` writes it; a
/// test fails when the file in the repository differs.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Rules

<!-- Generated by `freight-guard explain --markdown`; do not edit by hand. -->

Every finding names one of these rules. `freight-guard explain RULE` prints the same text. The policy file sets each rule's severity (`deny` rejects, `warn` reports, `allow` drops it) under `rules:`, except the operational rules, which always reject.

| rule | family | default | what it reports |
|---|---|---|---|
",
    );
    for info in RULES {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} | {} |
",
            info.name,
            info.name,
            info.family.as_str(),
            info.default_severity,
            info.summary.replace('|', "\\|")
        ));
    }
    for info in RULES {
        out.push_str(&format!(
            "\n## {}\n\n{}\n\nFamily: {}. Default severity: `{}`.\n\n{}\n",
            info.name,
            info.summary,
            info.family.as_str(),
            info.default_severity,
            info.explanation
        ));
    }
    out
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        for n in &names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{n}");
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
        for info in RULES {
            assert_eq!(Rule::from_name(info.name), Some(info.rule));
            assert_eq!(info.rule.info().name, info.name);
        }
    }
}
