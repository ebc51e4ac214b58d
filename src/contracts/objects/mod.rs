//! Object integrity: the trees and commits a judged update adds must be objects that git and
//! gix read the same way. Git accepts malformed objects by default (`receive.fsckObjects` is
//! off), and where readers disagree, freight-guard would judge other content than `git
//! checkout` writes for Argo CD and Kargo: with two entries named `current`, freight-guard reads
//! the first and checkout keeps the last; an entry named `a/b` is written over the real file.
//!
//! Each tree that differs from the first parent's tree at the same path is checked once per
//! run, entry by entry: names (`/`, empty, `.`, `..`, `.git` and the spellings git's fsck
//! refuses on NTFS and HFS+), modes (only the five git writes), git's entry order and duplicate
//! names. Commit headers are checked as git's fsck checks them.

use std::collections::{BTreeMap, HashSet};

use gix::ObjectId;

use crate::deadline::{Deadline, Stop};
use crate::finding::Finding;
use crate::git::repo::{RawEntry, ReadError, Repo, display_path, join_path};
use crate::rules::Rule;

/// The most trees one commit may add (a few hundred bytes of trees can name the same subtree
/// again and again): beyond it the commit is not verified.
pub const MAX_NEW_TREES: usize = 100_000;
/// The deepest tree path accepted; deeper nesting is refused before it is walked.
pub const MAX_DEPTH: usize = 4096;

/// The modes git writes in trees.
const MODES: [&[u8]; 5] = [b"40000", b"100644", b"100755", b"120000", b"160000"];

/// Checks each new tree and commit once per run.
#[derive(Default)]
pub struct ObjectChecker {
    trees: HashSet<ObjectId>,
    commits: HashSet<ObjectId>,
}

impl ObjectChecker {
    /// The integrity findings of commit `id`: its headers, and every tree it adds relative to
    /// its first parent. Findings carry the commit; paths are the tree's path (`/`: the root).
    pub fn check_commit(
        &mut self,
        repo: &Repo,
        id: ObjectId,
        deadline: Deadline,
    ) -> Result<Vec<Finding>, Stop> {
        if !self.commits.insert(id) {
            return Ok(Vec::new());
        }
        let mut out: Vec<Finding> = commit_header(&repo.commit_bytes(&id)?, repo.object_hash())
            .into_iter()
            .map(|m| Finding::new(Rule::CommitMalformed, m))
            .collect();
        let info = repo.commit(&id)?;
        let parent_tree = match info.parents.first() {
            Some(p) => Some(repo.commit(p)?.tree),
            None => None,
        };
        // (tree, the first parent's tree at the same path, path, depth)
        let mut stack = vec![(info.tree, parent_tree, Vec::new(), 0usize)];
        let mut visited = 0;
        while let Some((tree, parent, path, depth)) = stack.pop() {
            if Some(tree) == parent || !self.trees.insert(tree) {
                continue;
            }
            visited += 1;
            if visited > MAX_NEW_TREES {
                return Err(ReadError::TooLarge(format!(
                    "a commit adds more than {MAX_NEW_TREES} trees"
                ))
                .into());
            }
            deadline.check()?;
            let shown = if path.is_empty() {
                "/".to_string()
            } else {
                display_path(&path)
            };
            if depth > MAX_DEPTH {
                out.push(
                    Finding::new(
                        Rule::TreeEntryInvalid,
                        format!("trees are nested more than {MAX_DEPTH} levels deep here"),
                    )
                    .at(shown),
                );
                continue;
            }
            let raw = repo.tree_raw(&tree)?;
            let parent_raw = match parent {
                Some(p) => Some(repo.tree_raw(&p)?),
                None => None,
            };
            let parent_entries: Vec<RawEntry<'_>> = match (&parent, &parent_raw) {
                (Some(p), Some(r)) => repo.raw_split(p, r).collect::<Result<_, _>>()?,
                _ => Vec::new(),
            };
            let entries: Vec<RawEntry<'_>> =
                repo.raw_split(&tree, &raw).collect::<Result<_, _>>()?;
            // Each entry with the parent's entry of the same name, by a merge-walk (both
            // listings are in git's order when well formed; otherwise fewer are matched and
            // more is checked). An entry byte for byte equal to the parent's was judged with
            // the parent; a subtree equal to the parent's is not walked again.
            let mut j = 0;
            let mut unchanged = vec![false; entries.len()];
            for (i, e) in entries.iter().enumerate() {
                // Most entries are the parent's next one, byte for byte.
                if parent_entries.get(j).is_some_and(|p| p.bytes == e.bytes) {
                    unchanged[i] = true;
                    j += 1;
                    continue;
                }
                while j < parent_entries.len()
                    && RawEntry::git_cmp(&parent_entries[j], e) == std::cmp::Ordering::Less
                {
                    j += 1;
                }
                let same = parent_entries.get(j).filter(|p| p.name == e.name);
                unchanged[i] = same.is_some_and(|p| p.bytes == e.bytes);
                if unchanged[i] {
                    continue;
                }
                // A file or symlink entry must name a blob: git accepts a new tree there in a
                // push, and then no clone can check the path out.
                if e.bytes.starts_with(b"100644 ")
                    || e.bytes.starts_with(b"100755 ")
                    || e.bytes.starts_with(b"120000 ")
                {
                    let kind = repo.object_kind(&entry_id(e, repo))?;
                    if kind != gix::object::Kind::Blob {
                        let p = join_path(&path, e.name);
                        out.push(
                            Finding::new(
                                Rule::TreeEntryInvalid,
                                format!(
                                    "`{}` is a file or symlink entry naming a {kind} object; git cannot check it out",
                                    display_path(&p)
                                ),
                            )
                            .at(shown.clone()),
                        );
                    }
                    continue;
                }
                if !e.is_tree() {
                    continue;
                }
                let same_tree = same.filter(|p| p.is_tree()).map(|p| entry_id(p, repo));
                let child_path = join_path(&path, e.name);
                stack.push((entry_id(e, repo), same_tree, child_path, depth + 1));
            }
            out.extend(
                check_entries(&entries, &unchanged)
                    .into_iter()
                    .map(|(rule, message)| Finding::new(rule, message).at(shown.clone())),
            );
        }
        Ok(out.into_iter().map(|f| f.in_commit(id)).collect())
    }
}

/// The object id at the end of a raw entry.
fn entry_id(e: &RawEntry<'_>, repo: &Repo) -> ObjectId {
    let len = repo.object_hash().len_in_bytes();
    ObjectId::try_from(&e.bytes[e.bytes.len() - len..]).unwrap_or_else(|_| repo.null_id())
}

/// What is wrong with a tree's entries: (rule, message) per problem. Names and modes of
/// `unchanged` entries (equal to the parent's) are not checked again; order and duplicates are
/// checked across the whole tree.
fn check_entries(entries: &[RawEntry<'_>], unchanged: &[bool]) -> Vec<(Rule, String)> {
    let mut out = Vec::new();
    // A name repeated many times is one finding with its count.
    let mut repeated: BTreeMap<&[u8], usize> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let name = || display_path(e.name);
        if !unchanged.get(i).copied().unwrap_or(false) {
            let mode = &e.bytes[..e.bytes.iter().position(|b| *b == b' ').unwrap_or(0)];
            if !MODES.contains(&mode) {
                out.push((
                    Rule::TreeEntryInvalid,
                    format!(
                        "`{}` has mode {}, which git does not write (40000, 100644, 100755, 120000, 160000)",
                        name(),
                        String::from_utf8_lossy(mode)
                    ),
                ));
            }
            if let Some(why) = bad_name(e.name) {
                out.push((
                    Rule::TreeEntryInvalid,
                    format!("an entry is named `{}`: {why}", name()),
                ));
            }
        }
        // Two neighbours both equal to the parent's were in this order there.
        let settled = unchanged.get(i).copied().unwrap_or(false)
            && i.checked_sub(1)
                .is_some_and(|p| unchanged.get(p).copied().unwrap_or(false));
        if !settled && let Some(prev) = i.checked_sub(1).map(|p| &entries[p]) {
            if prev.name == e.name {
                *repeated.entry(e.name).or_insert(1) += 1;
            } else if RawEntry::git_cmp(prev, e) != std::cmp::Ordering::Less {
                out.push((
                    Rule::TreeEntryInvalid,
                    format!(
                        "`{}` comes after `{}`, out of git's order",
                        name(),
                        display_path(prev.name)
                    ),
                ));
            }
        }
        // A tree and a file of the same name are not neighbours in git's order ("a" < "a.b" <
        // "a/"): look back over the names that sort between them. Done for unchanged trees
        // too: a file added in front of an unchanged `a.b` and `a/` is not their neighbour.
        if e.is_tree() {
            let mut k = i;
            while k > 0 {
                k -= 1;
                let p = &entries[k];
                if !p.name.starts_with(e.name) {
                    break;
                }
                if p.name == e.name {
                    // The neighbour case was reported as a duplicate above.
                    if !p.is_tree() && k + 1 != i {
                        out.push((
                            Rule::DuplicateTreeEntry,
                            format!(
                                "`{}` is both a file and a directory; git checkout keeps one, other readers the other",
                                name()
                            ),
                        ));
                    }
                    break;
                }
            }
        }
    }
    for (name, count) in repeated {
        let name = display_path(name);
        out.insert(
            0,
            (
                Rule::DuplicateTreeEntry,
                if count == 2 {
                    format!(
                        "`{name}` appears twice; git checkout keeps the last, other readers the first"
                    )
                } else {
                    format!(
                        "`{name}` appears {count} times; git checkout keeps the last, other readers the first"
                    )
                },
            ),
        );
    }
    // Bounded output: a tree of 100,000 bad entries gives a few findings and a count.
    if out.len() > MAX_PER_TREE {
        let rest = out.len() - MAX_PER_TREE;
        let rule = out[MAX_PER_TREE].0;
        out.truncate(MAX_PER_TREE);
        out.push((
            rule,
            format!("... and {rest} more problem(s) with entries of this tree"),
        ));
    }
    out
}

/// The most findings about one tree's entries; the rest are counted.
const MAX_PER_TREE: usize = 20;

/// Why git refuses `name` as a path component, if it does.
fn bad_name(name: &[u8]) -> Option<&'static str> {
    if name.is_empty() {
        return Some("an empty name");
    }
    if name == b"." || name == b".." {
        return Some("`.` and `..` are not names git writes");
    }
    if name.contains(&b'/') {
        return Some("a name cannot contain `/`; checkout would write it as a path");
    }
    if is_dot_git(name) {
        return Some(
            "`.git` (in any spelling a file system treats as `.git`) cannot be checked out",
        );
    }
    None
}

/// `.git` as git's fsck refuses it: any letter case, with trailing dots or spaces (NTFS),
/// the NTFS short name `git~1`, an NTFS stream (`.git::$INDEX_ALLOCATION`), and with the
/// code points HFS+ ignores.
fn is_dot_git(name: &[u8]) -> bool {
    let mut end = name.len();
    while end > 0 && (name[end - 1] == b'.' || name[end - 1] == b' ') {
        end -= 1;
    }
    let trimmed = &name[..end];
    if trimmed.eq_ignore_ascii_case(b".git")
        || trimmed.eq_ignore_ascii_case(b"git~1")
        || name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case(b".git::"))
    {
        return true;
    }
    // The code points HFS+ ignores are not ASCII: an ASCII name is done.
    if name.is_ascii() {
        return false;
    }
    // HFS+ drops these when comparing names.
    let Ok(text) = std::str::from_utf8(name) else {
        return false;
    };
    let ignorable =
        |c: char| matches!(c as u32, 0x200C..=0x200F | 0x202A..=0x202E | 0x206A..=0x206F | 0xFEFF);
    let folded: String = text
        .chars()
        .filter(|c| !ignorable(*c))
        .collect::<String>()
        .to_lowercase();
    folded != text.to_lowercase() && folded == ".git"
}

/// What is wrong with a commit's headers, as git's fsck reads them: `tree`, then `parent`s,
/// then one `author` and one `committer`, each `Name <email> seconds +zone`. Ids are of hash
/// kind `hash`.
pub fn commit_header(raw: &[u8], hash: gix::hash::Kind) -> Vec<String> {
    let hex = hash.len_in_hex();
    let header_end = memchr::memmem::find(raw, b"\n\n").unwrap_or(raw.len());
    let mut lines = raw[..header_end].split(|b| *b == b'\n').peekable();
    let mut out = Vec::new();
    let id_line = |line: &[u8], key: &[u8]| {
        line.strip_prefix(key)
            .and_then(|l| l.strip_prefix(b" "))
            .is_some_and(|id| id.len() == hex && crate::git::parse::is_lower_hex(id))
    };
    match lines.next() {
        Some(l) if id_line(l, b"tree") => {}
        _ => out.push("the commit does not start with a `tree` line".to_string()),
    }
    while lines.peek().is_some_and(|l| l.starts_with(b"parent ")) {
        if let Some(l) = lines.next()
            && !id_line(l, b"parent")
        {
            out.push("a `parent` line does not hold a full object id".to_string());
        }
    }
    for key in [&b"author"[..], b"committer"] {
        match lines.next() {
            Some(l) if l.starts_with(key) && l.get(key.len()) == Some(&b' ') => {
                if !identity_ok(&l[key.len() + 1..]) {
                    out.push(format!(
                        "the `{}` line is not `Name <email> seconds +zone`",
                        String::from_utf8_lossy(key)
                    ));
                }
            }
            _ => out.push(format!(
                "the `{}` line is missing or out of place",
                String::from_utf8_lossy(key)
            )),
        }
    }
    let rest: Vec<&[u8]> = lines.collect();
    for key in [&b"author "[..], b"committer ", b"tree ", b"parent "] {
        if rest.iter().any(|l| l.starts_with(key)) {
            out.push(format!(
                "a second `{}` line",
                String::from_utf8_lossy(key).trim_end()
            ));
        }
    }
    if raw[..header_end].contains(&0) {
        out.push("the headers contain a NUL byte".to_string());
    } else if raw[header_end..].contains(&0) {
        // `git commit` refuses such a message; git's readers stop at the NUL, gix reads on,
        // so a trailer after it would count for freight-guard and for nobody else.
        out.push("the message contains a NUL byte".to_string());
    }
    out
}

/// One identity as git's fsck checks it (`fsck_ident`): a name not starting with `<` and
/// ending in a space, `<email>` with no `<` or `>` inside, a space, seconds since the epoch
/// (digits only, not zero-padded, fitting a signed 64-bit `time_t`), a space and `+hhmm` or
/// `-hhmm`.
fn identity_ok(ident: &[u8]) -> bool {
    let angle = |b: &u8| matches!(b, b'<' | b'>');
    if ident.first() == Some(&b'<') {
        return false; // no name before the email
    }
    let Some(open) = ident.iter().position(angle) else {
        return false;
    };
    if ident[open] != b'<' || open == 0 || ident[open - 1] != b' ' {
        return false; // `>` in the name, or no space before the email
    }
    let email = &ident[open + 1..];
    let Some(close) = email.iter().position(angle) else {
        return false;
    };
    if email[close] != b'>' {
        return false; // `<` inside the email
    }
    let Some(date) = email[close + 1..].strip_prefix(b" ") else {
        return false;
    };
    let digits = date.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || (date[0] == b'0' && digits > 1) || date.get(digits) != Some(&b' ') {
        return false;
    }
    // Over 19 digits, or more than i64::MAX: git reports the date as an overflow.
    let fits = digits <= 19
        && std::str::from_utf8(&date[..digits])
            .ok()
            .and_then(|d| d.parse::<i64>().ok())
            .is_some();
    let zone = &date[digits + 1..];
    fits && zone.len() == 5
        && matches!(zone[0], b'+' | b'-')
        && zone[1..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_git_refuses() {
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"a/b",
            b".git",
            b".GIT",
            b".git.",
            b".git . .",
            b"git~1",
            b"GIT~1",
            b".git::$INDEX_ALLOCATION",
            ".g\u{200c}it".as_bytes(),
            "\u{feff}.git".as_bytes(),
        ] {
            assert!(
                bad_name(bad).is_some(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        for good in [
            &b".gitignore"[..],
            b".github",
            b"git",
            b"...",
            b"current",
            b"a.git",
        ] {
            assert!(
                bad_name(good).is_none(),
                "{:?}",
                String::from_utf8_lossy(good)
            );
        }
    }

    #[test]
    fn identities() {
        assert!(identity_ok(b"Kargo <no-reply@kargo.io> 1700000000 +0000"));
        assert!(identity_ok(b" <> 0 -0130"));
        assert!(identity_ok(b"Kargo <a> 9223372036854775807 +0000"));
        // Each of these is an error in git's fsck (missingNameBeforeEmail,
        // missingSpaceBeforeEmail, badEmail, badName, zeroPaddedDate, badDateOverflow).
        for bad in [
            &b"<> 0 -0130"[..],
            b"Kargo<a> 1 +0000",
            b"Kargo\t<a> 1 +0000",
            b"Kargo <ci@ex<ample.com> 1 +0000",
            b"Ka>rgo <a> 1 +0000",
            b"Kargo <a> 01 +0000",
            b"Kargo <a> 9223372036854775808 +0000",
            b"Kargo <a> 99999999999999999999 +0000",
        ] {
            assert!(!identity_ok(bad), "{}", String::from_utf8_lossy(bad));
        }
        assert!(!identity_ok(b"Kargo <no-reply@kargo.io> 1700000000"));
        assert!(!identity_ok(b"Kargo no-reply@kargo.io 1700000000 +0000"));
        assert!(!identity_ok(b"Kargo <a> <b> 1 +0000"));
        assert!(!identity_ok(b"Kargo <a> 1x +0000"));
    }
}
