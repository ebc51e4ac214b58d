//! `check --base REV --head REV [--ref REF]`: CI's status check. The commits in `base..head`
//! as if pushed to `REF` whose tip is `base`, under the policy at `base`.

use super::hook_input::valid_ref_name;
use super::session::{self, Failure, Judgement};
use crate::cli::Cli;
use crate::outcome::Outcome;
use crate::push::{RefUpdate, RefView};

pub fn run(cli: &Cli, base: &str, head: &str, ref_name: Option<&str>) -> Result<Outcome, Failure> {
    let repo = session::open_repo(cli)?;
    // Any revision git accepts; an all-zero `--base` (a `push` event's `before` for a new
    // branch) is a branch creation: everything reachable from `--head` is added.
    let resolve = |spec: &str, what: &str| {
        if !spec.is_empty() && spec.bytes().all(|b| b == b'0') {
            return Ok(None);
        }
        repo.rev_parse(spec).map(Some).map_err(|why| {
            Failure::input(format!(
                "{what} `{spec}` does not name a commit in this repository: {why}"
            ))
        })
    };
    let base_id = resolve(base, "--base")?;
    let head_id = resolve(head, "--head")?.ok_or_else(|| {
        Failure::input("--head is all zeros: a deleted branch adds no commit to judge")
    })?;
    // The policy comes from the base. A new branch has none, and the commits being judged
    // must not bring their own policy: it comes from the default branch, as in pre-receive.
    let trusted_ref;
    let trusted = match base_id {
        Some(id) => Some((id, base)),
        None => {
            let candidates = [
                "refs/remotes/origin/HEAD".to_string(),
                session::default_branch(&repo),
                "refs/remotes/origin/main".to_string(),
                "refs/heads/main".to_string(),
            ];
            let found = candidates
                .into_iter()
                .find_map(|r| matches!(repo.ref_target(&r), Ok(Some(_))).then_some(r));
            match found {
                Some(r) => {
                    trusted_ref = r;
                    repo.resolve(&trusted_ref)
                        .map(|id| (id, trusted_ref.as_str()))
                }
                None if cli.config.is_some() => None,
                None => {
                    return Err(Failure::input(
                        "--base is all zeros (a new branch) and no default branch (origin/HEAD, origin/main, main) is here to read the policy from; fetch it or pass --config",
                    ));
                }
            }
        }
    };
    let policy = session::policy(cli, Some(&repo), trusted)?;
    let name = match ref_name {
        Some(r) if r.starts_with("refs/") => r.to_string(),
        Some(r) => format!("refs/heads/{r}"),
        None => policy.snapshot.first_branch(),
    };
    if !valid_ref_name(&name) {
        return Err(Failure::input(format!(
            "--ref `{name}` is not a valid ref name"
        )));
    }
    let update = RefUpdate {
        name: name.clone(),
        old: base_id,
        new: Some(head_id),
    };
    let mut judgement = Judgement::new(
        vec![update],
        RefView::All,
        format!("{base}..{head} as {name}"),
    );
    judgement.default_branch = Some(session::default_branch(&repo));
    Ok(session::judge(cli, &repo, &policy, judgement))
}
