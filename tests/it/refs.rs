//! Every ref a push changes, under the name git writes: symbolic refs, refs that shadow a
//! guarded branch, histories of snapshot branches.

use crate::support::{Env, assert_declined};

#[test]
fn a_push_through_a_symbolic_ref_is_judged_as_its_target() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    // The server keeps `master` as an alias of `main` (a migration), and HEAD is symbolic too.
    env.git(
        &server,
        &["symbolic-ref", "refs/heads/master", "refs/heads/main"],
    )
    .ok();
    env.breaks("mirror-mismatch", &work);
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:refs/heads/master"]);
    assert_declined(&run, "mirror-mismatch", "a push to the alias of main");
    assert!(run.stderr.contains("refs/heads/main"), "{}", run.stderr);
    assert_eq!(env.state(&server), before);
    // The neighbour: a valid release through the alias lands on main.
    env.git(&work, &["reset", "-q", "--hard", "HEAD~1"]).ok();
    env.breaks("valid", &work);
    let release = env.rev(&work, "HEAD");
    env.push(&work, &["HEAD:refs/heads/master"]).ok();
    assert_eq!(env.rev(&server, "refs/heads/main"), release);
}

/// The release directories under the codeai freight root at `commit`.
fn releases(env: &Env, work: &std::path::Path, commit: &str) -> Vec<String> {
    env.git(
        work,
        &[
            "ls-tree",
            "--name-only",
            &format!("{commit}:warehouses/codeai/freight"),
        ],
    )
    .ok()
    .stdout
    .lines()
    .filter(|n| n.starts_with("git-"))
    .map(str::to_string)
    .collect()
}

#[test]
fn a_snapshot_branch_keeps_its_history() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    // The neighbour: a release on top, a fast-forward.
    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    let tip = env.rev(&work, "HEAD");

    // Back two commits: the releases they wrote are dropped.
    let back = env.rev(&work, "HEAD~2");
    let dropped: Vec<String> = releases(&env, &work, &tip)
        .into_iter()
        .filter(|r| !releases(&env, &work, &back).contains(r))
        .collect();
    assert!(!dropped.is_empty());
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("+{back}:refs/heads/main")]);
    assert_declined(&run, "non-fast-forward", "main moved back two commits");
    for release in &dropped {
        assert!(
            run.stderr
                .contains(&format!("dropped: warehouses/codeai/freight/{release}/")),
            "{}",
            run.stderr
        );
    }
    assert_eq!(env.state(&server), before);

    // History rewritten so that a frozen release's content changes.
    env.git(&work, &["checkout", "-q", "--detach", &back]).ok();
    let old = releases(&env, &work, &back)[0].clone();
    env.append(
        &work.join(format!("warehouses/codeai/freight/{old}/helm/values.yaml")),
        "# rewritten\n",
    );
    env.git(&work, &["commit", "-qam", "Rewrite"]).ok();
    let rewritten = env.rev(&work, "HEAD");
    let run = env.push(&work, &[&format!("+{rewritten}:refs/heads/main")]);
    assert_declined(&run, "non-fast-forward", "a rewritten history");
    assert!(
        run.stderr
            .contains(&format!("changed: warehouses/codeai/freight/{old}/")),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);

    // main replaced by a new root commit.
    let tree = env.rev(&work, &format!("{tip}^{{tree}}"));
    let root = env
        .git(&work, &["commit-tree", &tree, "-m", "A new beginning"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let run = env.push(&work, &[&format!("+{root}:refs/heads/main")]);
    assert_declined(&run, "non-fast-forward", "a new root commit");
    assert_eq!(env.state(&server), before);

    // Deleted (git's own protection of the checked-out branch set aside, as a forge does).
    env.git(&server, &["config", "receive.denyDeleteCurrent", "ignore"])
        .ok();
    let before = env.state(&server);
    let run = env.push(&work, &[":refs/heads/main"]);
    assert_declined(&run, "branch-deleted", "main deleted");
    assert_eq!(env.state(&server), before);

    // A policy that allows it: the force push lands.
    let policy = env.path().join("policy.yaml");
    env.write(&policy, "snapshot:\n  force: true\n");
    let policy = policy.to_str().expect("utf-8").to_string();
    let run = env.push_env(
        &work,
        &[&format!("+{back}:refs/heads/main")],
        &[("FREIGHT_GUARD_CONFIG", &policy)],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(env.rev(&server, "main"), back);
}

#[test]
fn refs_that_can_be_taken_for_a_guarded_branch_are_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let w = work.to_str().expect("utf-8");
    env.kargo_create(&work, "stage/production");
    env.push(&work, &["stage/production"]).ok();
    // A commit nobody would accept on main.
    env.breaks("mirror-mismatch", &work);
    let bad = env.rev(&work, "HEAD");
    env.git(&work, &["reset", "-q", "--hard", "HEAD~1"]).ok();
    for target in [
        "refs/tags/main",
        "refs/tags/stage/production",
        "refs/stage/production",
        "refs/remotes/origin/main",
        "refs/heads/Main",
        "refs/tags/MAIN",
    ] {
        let before = env.state(&server);
        let run = env.push(&work, &[&format!("{bad}:{target}")]);
        assert_declined(&run, "ref-shadows-branch", target);
        if target == "refs/tags/main" {
            crate::support::assert_human("ref-shadows-branch", &run.stderr);
        }
        assert_eq!(env.state(&server), before, "{target}");
    }
    // Why it matters: git resolves `main` to the tag before the branch.
    let scratch = env.path().join("scratch.git");
    env.git(
        env.path(),
        &["clone", "-q", "--bare", w, scratch.to_str().expect("utf-8")],
    )
    .ok();
    env.git(&scratch, &["update-ref", "refs/tags/main", &bad])
        .ok();
    assert_eq!(env.rev(&scratch, "main"), bad);
    // Neighbours: a release tag and a branch of its own are fine.
    let tip = env.rev(&work, "HEAD");
    env.push(&work, &[&format!("{tip}:refs/tags/v1.2.3")]).ok();
    env.push(&work, &[&format!("{tip}:refs/heads/docs/maintenance")])
        .ok();
    assert_eq!(env.rev(&server, "refs/tags/v1.2.3"), tip);
}
