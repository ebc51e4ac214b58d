//! Checkout attributes: what the `.gitattributes` files of a commit's tree make `git checkout`
//! write. Two trees with equal blobs can still check out to different bytes when an attribute
//! converts line endings, re-encodes, expands `$Id$` or runs a filter on one path and not on
//! another; the snapshot and rendered contracts compare those settings.
//!
//! Matching is gix-attributes' (git's pattern rules, deeper files overriding shallower ones,
//! later lines overriding earlier ones, macros only at the top level). The files are read as a
//! checkout reads them from a commit: only regular files named exactly `.gitattributes` (git
//! does not follow symlinked attribute files since 2.32), files over 100 MiB ignored, lines
//! over 2,048 bytes skipped.

use std::path::PathBuf;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::tree::EntryKind;
use gix_attributes::search::{MetadataCollection, Outcome};
use gix_attributes::{Search, StateRef};

use crate::git::repo::{ReadError, Repo, display_path, join_path};

/// The name git reads attributes from, in every directory.
pub const FILE_NAME: &[u8] = b".gitattributes";
/// The attributes that decide what checkout writes (with git's default configuration).
const NAMES: [&str; 5] = ["text", "eol", "working-tree-encoding", "ident", "filter"];
/// git skips attribute lines longer than this (`ATTR_MAX_LINE_LENGTH`).
const MAX_LINE: usize = 2048;
/// git ignores attribute files larger than this (`ATTR_MAX_FILE_SIZE`).
const MAX_FILE: u64 = 100 * 1024 * 1024;

/// One setting that changes the bytes checkout writes for a file, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// As written in an attributes file: `eol=crlf`, `working-tree-encoding=UTF-16`, `ident`,
    /// `filter=lfs`.
    pub text: String,
    /// The pattern and the file and line that set it: ``pattern `*.yaml` (`.gitattributes` line 3)``.
    pub origin: String,
}

impl Setting {
    /// Git LFS's filter: content-addressed, so equal pointers check out to equal files, and
    /// content that is not a pointer passes through unchanged.
    pub fn is_lfs(&self) -> bool {
        self.text == "filter=lfs"
    }
}

/// The attribute files in effect for a walk down a tree: pushed when the walk enters a
/// directory, popped when it leaves.
pub struct Attributes {
    search: Search,
    collection: MetadataCollection,
    out: Outcome,
}

impl Default for Attributes {
    fn default() -> Self {
        Self::new()
    }
}

impl Attributes {
    /// git's built-in `binary` macro and nothing else.
    pub fn new() -> Attributes {
        let mut collection = MetadataCollection::default();
        let search = Search::new_globals(Vec::<PathBuf>::new(), &mut Vec::new(), &mut collection)
            .unwrap_or_default();
        Attributes {
            search,
            collection,
            out: Outcome::default(),
        }
    }

    /// Add the attributes file of directory `dir` (`/`-separated, relative to the top, empty
    /// for the top) with its content; it overrides every file pushed before. Macros count only
    /// in the top-level file, as in git.
    pub fn push(&mut self, dir: &[u8], content: &[u8]) {
        let source = join_path(dir, FILE_NAME);
        let kept = as_git_reads(content);
        let path = gix::path::from_byte_slice(&source)
            .map(|p| p.to_path_buf())
            .unwrap_or_else(|_| PathBuf::from(String::from_utf8_lossy(&source).into_owned()));
        if self
            .search
            .add_patterns_buffer(
                &kept,
                path,
                Some(std::path::Path::new("")),
                &mut self.collection,
                dir.is_empty(),
            )
            .is_err()
        {
            // Only a source path that is not valid git path bytes fails here; such a file
            // cannot be named in a tree.
            let _ = self.search.add_patterns_buffer(
                b"",
                PathBuf::from(".gitattributes"),
                None,
                &mut self.collection,
                false,
            );
        }
    }

    /// Remove the file pushed last.
    pub fn pop(&mut self) {
        let _ = self.search.pop_pattern_list();
    }

    /// The settings that change what checkout writes for the file at `path` (relative to the
    /// top), in a fixed order.
    pub fn settings(&mut self, path: &[u8]) -> Vec<Setting> {
        self.out.initialize_with_selection(&self.collection, NAMES);
        self.search.pattern_matching_relative_path(
            path.as_bstr(),
            gix::glob::pattern::Case::Sensitive,
            Some(false),
            &mut self.out,
        );
        let mut states: Vec<(String, String, String)> = Vec::new();
        for m in self.out.iter_selected() {
            let value = match m.assignment.state {
                StateRef::Unspecified => continue,
                StateRef::Set => String::new(),
                StateRef::Unset => "-".to_string(),
                StateRef::Value(v) => format!("={}", v.as_bstr()),
            };
            let source = m
                .location
                .source
                .map(|p| match gix::path::into_bstr(p) {
                    Ok(b) => display_path(&b),
                    Err(_) => p.display().to_string(),
                })
                .unwrap_or_else(|| "git's built-in macros".to_string());
            let origin = format!(
                "pattern `{}` in `{source}` line {}",
                m.pattern, m.location.sequence_number
            );
            states.push((m.assignment.name.as_str().to_string(), value, origin));
        }
        let get = |name: &str| states.iter().find(|(n, _, _)| n == name);
        let mut out = Vec::new();
        // `eol=crlf` converts on checkout unless `text` is unset (it sets `text` itself).
        if let Some((_, v, origin)) = get("eol")
            && v == "=crlf"
            && get("text").is_none_or(|(_, t, _)| t != "-")
        {
            out.push(Setting {
                text: "eol=crlf".into(),
                origin: origin.clone(),
            });
        }
        for (name, v, origin) in &states {
            let kept = match name.as_str() {
                "working-tree-encoding" | "filter" => v.starts_with('='),
                "ident" => v.is_empty(),
                _ => false,
            };
            if kept {
                out.push(Setting {
                    text: format!("{name}{v}"),
                    origin: origin.clone(),
                });
            }
        }
        out
    }
}

/// The lines of an attributes file that git reads: up to the first NUL (git reads the file as
/// a C string), without a leading UTF-8 byte order mark, without lines of [`MAX_LINE`] bytes or
/// more (not counting the newline).
fn as_git_reads(content: &[u8]) -> Vec<u8> {
    let content = content.split(|b| *b == 0).next().unwrap_or_default();
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    content
        .split_inclusive(|b| *b == b'\n')
        .filter(|l| l.strip_suffix(b"\n").unwrap_or(l).len() < MAX_LINE)
        .flatten()
        .copied()
        .collect()
}

/// Whether git reads the attributes file blob `id` (it ignores one over 100 MiB).
pub fn is_read(repo: &Repo, id: &ObjectId) -> Result<bool, ReadError> {
    Ok(repo.object_size(id)? <= MAX_FILE)
}

/// The attributes file in `tree` itself, read as checkout reads it: `None` when there is none,
/// when it is not a regular file, or when git would ignore it for its size.
pub fn file_in(repo: &Repo, tree: &ObjectId) -> Result<Option<(ObjectId, Vec<u8>)>, ReadError> {
    let raw = repo.tree_raw(tree)?;
    let mut found = None;
    for e in repo.raw_entries(tree, &raw) {
        let e = e?;
        // Trees list names in byte order with `.` (0x2e) early: past `.`, it is not there.
        if e.filename.first().is_some_and(|b| *b > b'.') {
            break;
        }
        if e.filename == FILE_NAME {
            found = Some((e.mode.kind(), e.oid.to_owned()));
            break;
        }
    }
    let Some((kind, id)) = found else {
        return Ok(None);
    };
    if !matches!(kind, EntryKind::Blob | EntryKind::BlobExecutable) {
        return Ok(None);
    }
    if !is_read(repo, &id)? {
        return Ok(None);
    }
    Ok(Some((id, repo.blob(&id)?)))
}

/// An attributes file found on the way down to a directory: the directory it is in and its
/// blob (the content is read again when it is pushed; blobs are small and cached).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Found {
    pub dir: Vec<u8>,
    pub id: ObjectId,
}

/// The entry named `name` in `tree`, scanning its raw bytes.
pub fn entry_named(
    repo: &Repo,
    tree: &ObjectId,
    name: &[u8],
) -> Result<Option<(EntryKind, ObjectId)>, ReadError> {
    let raw = repo.tree_raw(tree)?;
    for e in repo.raw_entries(tree, &raw) {
        let e = e?;
        if e.filename == name {
            return Ok(Some((e.mode.kind(), e.oid.to_owned())));
        }
    }
    Ok(None)
}

/// The attributes files of every directory from the top of `top` down to `dir` (both
/// included), top first: those that apply to everything below `dir`.
pub fn along(repo: &Repo, top: &ObjectId, dir: &[u8]) -> Result<Vec<Found>, ReadError> {
    let mut out = Vec::new();
    let mut tree = *top;
    let mut here: Vec<u8> = Vec::new();
    let segments: Vec<&[u8]> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split(|b| *b == b'/').collect()
    };
    for k in 0..=segments.len() {
        if let Some((id, _)) = file_in(repo, &tree)? {
            out.push(Found {
                dir: here.clone(),
                id,
            });
        }
        let Some(segment) = segments.get(k) else {
            break;
        };
        match entry_named(repo, &tree, segment)? {
            Some((EntryKind::Tree, id)) => tree = id,
            _ => break,
        }
        here = join_path(&here, segment);
    }
    Ok(out)
}

impl Attributes {
    /// The attributes of `files`, pushed in order.
    pub fn of(repo: &Repo, files: &[Found]) -> Result<Attributes, ReadError> {
        let mut a = Attributes::new();
        for f in files {
            a.push(&f.dir, &repo.blob(&f.id)?);
        }
        Ok(a)
    }
}

/// Called by [`walk_both`] with a file's path and its settings on each side; `false` stops.
pub type Compare<'v> = dyn FnMut(&[u8], &[Setting], &[Setting]) -> bool + 'v;

/// One side of [`walk_both`]: the attributes in effect above the walked tree, and the path the
/// tree has on this side.
pub struct Side<'a> {
    pub attributes: &'a mut Attributes,
    pub prefix: &'a [u8],
}

/// Walk every file below `tree` (depth first, without recursion) as it would be
/// checked out at two places, calling `visit` with its path relative to `tree` and its
/// settings on each side; an attributes file inside `tree` applies on both sides, each at its
/// own place. `visit` returns `false` to stop. `tick` is called once per directory.
pub fn walk_both<E: From<ReadError>>(
    repo: &Repo,
    tree: ObjectId,
    mut a: Side<'_>,
    mut b: Side<'_>,
    tick: &mut dyn FnMut() -> Result<(), E>,
    visit: &mut Compare<'_>,
) -> Result<(), E> {
    // (entries of a directory, next index, relative path with `/`, attribute files pushed)
    type Frame = (Vec<crate::git::repo::Entry>, usize, Vec<u8>, bool);
    let mut enter = |id: ObjectId, rel: Vec<u8>, a: &mut Side<'_>, b: &mut Side<'_>| {
        tick()?;
        let pushed = match file_in(repo, &id)? {
            Some((_, content)) => {
                a.attributes.push(&join_path(a.prefix, &rel), &content);
                b.attributes.push(&join_path(b.prefix, &rel), &content);
                true
            }
            None => false,
        };
        Ok::<Frame, E>((repo.tree(&id)?, 0, rel, pushed))
    };
    let mut stack: Vec<Frame> = vec![enter(tree, Vec::new(), &mut a, &mut b)?];
    while let Some(frame) = stack.last_mut() {
        let Some(entry) = frame.0.get(frame.1).cloned() else {
            if frame.3 {
                a.attributes.pop();
                b.attributes.pop();
            }
            stack.pop();
            continue;
        };
        frame.1 += 1;
        let rel = join_path(&frame.2, &entry.name);
        match entry.kind {
            EntryKind::Tree => {
                let next = enter(entry.id, rel, &mut a, &mut b)?;
                stack.push(next);
            }
            // Checkout writes links and submodules as they are, whatever the attributes say.
            EntryKind::Commit | EntryKind::Link => {}
            EntryKind::Blob | EntryKind::BlobExecutable => {
                let left = a.attributes.settings(&join_path(a.prefix, &rel));
                let right = b.attributes.settings(&join_path(b.prefix, &rel));
                if !visit(&rel, &left, &right) {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// The settings' texts, for comparing two paths (`lfs`: whether Git LFS's filter counts).
pub fn texts(settings: &[Setting], lfs: bool) -> Vec<&str> {
    settings
        .iter()
        .filter(|s| lfs || !s.is_lfs())
        .map(|s| s.text.as_str())
        .collect()
}

/// Settings as a message names them: each with its pattern and file, or "no setting"
/// (`lfs`: whether Git LFS's filter is named).
pub fn describe(settings: &[Setting], lfs: bool) -> String {
    let shown: Vec<String> = settings
        .iter()
        .filter(|s| lfs || !s.is_lfs())
        .map(|s| format!("`{}` ({})", s.text, s.origin))
        .collect();
    if shown.is_empty() {
        "no setting".to_string()
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(a: &mut Attributes, path: &str) -> Vec<String> {
        a.settings(path.as_bytes())
            .into_iter()
            .map(|s| s.text)
            .collect()
    }

    #[test]
    fn deeper_files_and_later_lines_win() {
        let mut a = Attributes::new();
        a.push(
            b"",
            b"*.yaml eol=crlf\n*.tgz filter=lfs diff=lfs merge=lfs -text\n",
        );
        assert_eq!(texts(&mut a, "x/values.yaml"), ["eol=crlf"]);
        assert_eq!(texts(&mut a, "x/chart.tgz"), ["filter=lfs"]);
        a.push(b"x", b"values.yaml -text\n");
        assert!(texts(&mut a, "x/values.yaml").is_empty());
        assert_eq!(texts(&mut a, "y/values.yaml"), ["eol=crlf"]);
        a.pop();
        assert_eq!(texts(&mut a, "x/values.yaml"), ["eol=crlf"]);
    }

    #[test]
    fn anchored_patterns_and_macros() {
        let mut a = Attributes::new();
        a.push(
            b"",
            b"[attr]crlf-ident eol=crlf ident\n/w/current/** crlf-ident\nbin/* binary\n",
        );
        assert_eq!(texts(&mut a, "w/current/a.yaml"), ["eol=crlf", "ident"]);
        assert!(texts(&mut a, "w/git-1/a.yaml").is_empty());
        // `binary` unsets `text`, so a later `eol=crlf` converts nothing.
        a.push(b"bin", b"* eol=crlf\n");
        assert!(texts(&mut a, "bin/tool").is_empty());
        // Macros below the top level are ignored, as in git.
        a.push(b"w", b"[attr]enc working-tree-encoding=UTF-16\n* enc\n");
        assert!(texts(&mut a, "w/git-1/a.yaml").is_empty());
    }

    #[test]
    fn overlong_lines_are_skipped_as_git_does() {
        let mut a = Attributes::new();
        let long = format!("{} ident\n*.yaml ident\n", "x".repeat(3000));
        a.push(b"", long.as_bytes());
        assert_eq!(texts(&mut a, "a.yaml"), ["ident"]);
        let mut a = Attributes::new();
        a.push(
            b"",
            format!("*.yaml ident {}\n", "y".repeat(3000)).as_bytes(),
        );
        assert!(texts(&mut a, "a.yaml").is_empty());
        // 2,047 bytes are read, 2,048 are not (git's own test uses these lengths).
        for (len, read) in [(2047, true), (2048, false)] {
            let line = format!("a.yaml ident{}", " ".repeat(len - 12));
            let mut a = Attributes::new();
            a.push(b"", line.as_bytes());
            assert_eq!(!texts(&mut a, "a.yaml").is_empty(), read, "{len}");
        }
    }

    #[test]
    fn a_nul_ends_the_file_and_a_bom_is_skipped() {
        let mut a = Attributes::new();
        a.push(b"", b"\xef\xbb\xbf*.yaml ident\n\0*.yaml eol=crlf\n");
        assert_eq!(texts(&mut a, "a.yaml"), ["ident"]);
    }
}
