//! Git's hook input: `<old> SP <new> SP <ref>` lines (pre-receive) and
//! `<local ref> SP <local id> SP <remote ref> SP <remote id>` lines (pre-push), read whole and
//! bounded; every bad line is reported at once.

use std::io::Read;

use gix::ObjectId;

use super::session::Failure;
use crate::git::repo::{Repo, parse_full_id};
use crate::push::RefUpdate;

/// The most hook input read from stdin (a push of every ref of a large repository fits).
const MAX_STDIN_BYTES: u64 = 64 * 1024 * 1024;

pub fn read_stdin() -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let mut stdin = std::io::stdin().lock().take(MAX_STDIN_BYTES + 1);
    stdin
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::input(format!("cannot read the hook input: {e}")))?;
    if bytes.len() as u64 > MAX_STDIN_BYTES {
        return Err(Failure::input(format!(
            "the hook input is larger than {MAX_STDIN_BYTES} bytes"
        )));
    }
    String::from_utf8(bytes).map_err(|_| Failure::input("the hook input is not UTF-8 text"))
}

/// Parse `<id>` as a full id of hash kind `hash`; all zeros means "absent".
fn side(hash: gix::hash::Kind, text: &str) -> Result<Option<ObjectId>, String> {
    let id = parse_full_id(hash, text).ok_or_else(|| {
        format!(
            "`{text}` is not a full lowercase {}-digit object id",
            hash.len_in_hex()
        )
    })?;
    Ok((!id.is_null()).then_some(id))
}

/// Parse every line of hook input with `parse`; all bad lines are reported together.
fn lines(
    input: &str,
    hook: &str,
    parse: impl Fn(&[&str]) -> Result<RefUpdate, String>,
) -> Result<Vec<RefUpdate>, Failure> {
    let mut updates = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let fields: Vec<&str> = line.split(' ').collect();
        match parse(&fields) {
            Ok(u) => updates.push(u),
            Err(e) => problems.push(format!("line {}: {e}", n + 1)),
        }
    }
    if problems.is_empty() {
        return Ok(updates);
    }
    Err(Failure::Input {
        message: format!(
            "malformed {hook} input ({} bad line(s)); the push is rejected",
            problems.len()
        ),
        details: problems,
    })
}

fn ref_update(
    name: &str,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
) -> Result<RefUpdate, String> {
    if !valid_ref_name(name) {
        return Err(format!("`{name}` is not a valid full ref name"));
    }
    Ok(RefUpdate {
        name: name.to_string(),
        old,
        new,
    })
}

pub fn valid_ref_name(name: &str) -> bool {
    name.starts_with("refs/") && gix::refs::FullName::try_from(name).is_ok()
}

/// git's pre-receive input.
pub fn pre_receive(repo: &Repo, input: &str) -> Result<Vec<RefUpdate>, Failure> {
    parse_pre_receive(repo.object_hash(), input)
}

/// git's pre-receive input, with ids of hash kind `hash`.
pub fn parse_pre_receive(hash: gix::hash::Kind, input: &str) -> Result<Vec<RefUpdate>, Failure> {
    lines(input, "pre-receive", |fields| match fields {
        [old, new, name] => {
            let old = side(hash, old)?;
            let new = side(hash, new)?;
            if old.is_none() && new.is_none() {
                return Err("both ids are zero".into());
            }
            ref_update(name, old, new)
        }
        _ => Err(format!(
            "expected `<old> SP <new> SP <ref>`, got {} field(s)",
            fields.len()
        )),
    })
}

/// git's pre-push input, as updates of the remote's refs.
pub fn pre_push(repo: &Repo, input: &str) -> Result<Vec<RefUpdate>, Failure> {
    parse_pre_push(repo.object_hash(), input)
}

/// git's pre-push input with ids of hash kind `hash`, as updates of the remote's refs.
pub fn parse_pre_push(hash: gix::hash::Kind, input: &str) -> Result<Vec<RefUpdate>, Failure> {
    lines(input, "pre-push", |fields| match fields {
        [_local_ref, local, remote_ref, remote_id] => {
            ref_update(remote_ref, side(hash, remote_id)?, side(hash, local)?)
        }
        _ => Err(format!(
            "expected `<local ref> SP <local id> SP <remote ref> SP <remote id>`, got {} field(s)",
            fields.len()
        )),
    })
}
