//! `check`, `pre-commit` (index and work tree), `pre-push` and `audit`: a passing and a failing
//! case each, through the real binary and real git.

use crate::support::{Env, install_hook, make_executable};

#[test]
fn check_passes_and_fails_in_human_and_json() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let base = env.rev(&work, "HEAD");
    env.breaks("valid", &work);
    let good = env.rev(&work, "HEAD");
    env.breaks("release-modified", &work);
    let bad = env.rev(&work, "HEAD");

    let run = env.fg(
        &work,
        &["check", "--base", &base, "--head", &good, "--ref", "main"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);

    let run = env.fg(&work, &["check", "--base", &base, "--head", &bad], "");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("release-modified"), "{}", run.stderr);

    let run = env.fg(
        &work,
        &[
            "--format", "json", "check", "--base", &base, "--head", &good,
        ],
        "",
    );
    assert_eq!(run.code, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0));

    let run = env.fg(
        &work,
        &[
            "--format",
            "json",
            "check",
            "--base",
            &base,
            "--head",
            &bad,
            "--ref",
            "refs/heads/main",
        ],
        "",
    );
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["verdict"], "fail");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "release-modified");
    assert_eq!(f["severity"], "deny");
    assert_eq!(f["ref"], "refs/heads/main");
    assert_eq!(f["commit"], bad.as_str());
    assert!(
        f["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("warehouses/codeai/freight/git-")),
        "{f}"
    );
    assert!(f["message"].as_str().is_some());

    let run = env.fg(
        &work,
        &["check", "--base", "no-such-rev", "--head", &good],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("input-invalid"));
}

#[test]
fn check_on_a_branch_that_is_not_guarded_passes() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let base = env.rev(&work, "HEAD");
    env.breaks("mirror-mismatch", &work);
    let run = env.fg(
        &work,
        &[
            "check",
            "--base",
            &base,
            "--head",
            "HEAD",
            "--ref",
            "feature/x",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn pre_commit_hook_through_real_git_commit() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    install_hook(&work.join(".git/hooks"), "pre-commit");

    // A hand edit of current/ is refused by the hook; nothing is committed.
    let before = env.rev(&work, "HEAD");
    let values = work.join("warehouses/codeai/freight/current/helm/values.yaml");
    env.append(&values, "extra: true\n");
    env.git(&work, &["add", "-A"]).ok();
    let run = env.git(&work, &["commit", "-qm", "Tweak current by hand"]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("mirror-mismatch"), "{}", run.stderr);
    assert_eq!(env.rev(&work, "HEAD"), before);

    // Undo, and a commit that does not touch snapshots passes through the hook.
    env.git(&work, &["reset", "-q", "--hard"]).ok();
    env.write(&work.join("apps/codeai/NOTES.md"), "notes\n");
    env.git(&work, &["add", "-A"]).ok();
    env.git(&work, &["commit", "-qm", "Add notes"]).ok();
    assert_ne!(env.rev(&work, "HEAD"), before);
}

#[test]
fn pre_commit_honours_git_index_file() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    install_hook(&work.join(".git/hooks"), "pre-commit");
    let before = env.rev(&work, "HEAD");
    // `git commit <path>` commits through a temporary index (GIT_INDEX_FILE) holding the path's
    // work-tree state, while the main index keeps the old content.
    let values = work.join("warehouses/codeai/freight/current/helm/values.yaml");
    env.append(&values, "extra: true\n");
    let run = env.git(
        &work,
        &[
            "commit",
            "-qm",
            "Tweak",
            "--",
            "warehouses/codeai/freight/current/helm/values.yaml",
        ],
    );
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("mirror-mismatch"), "{}", run.stderr);
    assert_eq!(env.rev(&work, "HEAD"), before);
}

#[test]
fn pre_commit_worktree_passes_and_fails() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let run = env.fg(&work, &["pre-commit", "--worktree"], "");
    assert_eq!(run.code, 0, "{}", run.all());

    // A snapshot written on disk, not yet staged, with current/ out of step.
    env.breaks("valid", &work);
    let values = work.join("warehouses/codeai/freight/current/helm/values.yaml");
    std::fs::write(&values, "replicas: 99\n").expect("write");
    let run = env.fg(&work, &["pre-commit", "--worktree"], "");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("mirror-mismatch"), "{}", run.stderr);
    assert!(
        run.stderr.contains("changed: helm/values.yaml"),
        "{}",
        run.stderr
    );

    // An executable bit alone is a difference.
    env.git(&work, &["checkout", "-q", "--", "."]).ok();
    let run = env.fg(&work, &["pre-commit", "--worktree"], "");
    assert_eq!(run.code, 0, "{}", run.all());
    make_executable(&values);
    let run = env.fg(&work, &["pre-commit", "--worktree"], "");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("mode changed: helm/values.yaml"),
        "{}",
        run.stderr
    );
}

#[test]
fn pre_push_hook_through_real_git_push() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    // The server has no hook of its own here: the local pre-push hook is what judges.
    std::fs::remove_file(server.join("hooks/pre-receive")).expect("remove server hook");
    install_hook(&work.join(".git/hooks"), "pre-push");

    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    assert_eq!(env.rev(&server, "main"), env.rev(&work, "HEAD"));

    env.breaks("release-deleted", &work);
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:main"]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("release-deleted"), "{}", run.stderr);
    assert_eq!(env.state(&server), before);
}

#[test]
fn audit_passes_and_fails() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let run = env.fg(&work, &["audit"], "");
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("4 commit(s) judged"), "{}", run.stderr);

    env.breaks("identity-mismatch", &work);
    env.breaks("valid", &work);
    let run = env.fg(&work, &["audit"], "");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("identity-mismatch"), "{}", run.stderr);

    // Only the named branches are audited.
    env.git(&work, &["branch", "-q", "-m", "main", "other"])
        .ok();
    let run = env.fg(&work, &["audit", "--ref", "oth*"], "");
    assert_eq!(run.code, 1, "{}", run.all());
    // A pattern that names no branch (a typo in a CI job) is an error, not a clean audit,
    // also next to one that matches.
    for args in [
        &["audit", "--ref", "main"][..],
        &["audit", "--ref", "oth*", "--ref", "stage/prod"][..],
    ] {
        let run = env.fg(&work, args, "");
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(run.stderr.contains("matches no branch"), "{}", run.stderr);
        assert!(!run.stderr.contains("judged"), "{}", run.stderr);
        let mut json = vec!["--format", "json"];
        json.extend_from_slice(args);
        let run = env.fg(&work, &json, "");
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(run.stdout.contains("\"input-invalid\""), "{}", run.stdout);
    }
}

#[test]
fn explain_every_rule_and_reject_unknown_ones() {
    let env = Env::new();
    let list = env.fg(env.path(), &["explain"], "").ok();
    let names: Vec<&str> = list
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.len() >= 29, "{}", list.stdout);
    for name in names {
        let run = env.fg(env.path(), &["explain", name], "").ok();
        assert!(run.stdout.starts_with(name), "{}", run.stdout);
        assert!(run.stdout.contains("Fix:"), "{name}: {}", run.stdout);
    }
    let run = env.fg(env.path(), &["explain", "no-such-rule"], "");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown rule"));
}

#[test]
fn rule_names_are_pinned() {
    let env = Env::new();
    let list = env.fg(env.path(), &["explain"], "").ok();
    let names: Vec<&str> = list
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        names,
        [
            "mirror-mismatch",
            "release-missing",
            "record-invalid",
            "identity-mismatch",
            "package-mismatch",
            "release-modified",
            "release-deleted",
            "submodule-in-snapshot",
            "unexpected-entry",
            "foreign-author",
            "foreign-committer",
            "message-mismatch",
            "missing-trailer",
            "path-outside-render",
            "merge-not-allowed",
            "non-fast-forward",
            "branch-deleted",
            "unauthorized-pusher",
            "review-bypassed",
            "merge-altered",
            "unknown-freight",
            "pairing-mismatch",
            "unsigned-commit",
            "untrusted-signature",
            "bad-signature",
            "policy-invalid",
            "input-invalid",
            "read-error",
            "deadline-exceeded",
            "policy-warning",
            "duplicate-tree-entry",
            "tree-entry-invalid",
            "commit-malformed",
            "symlink-escapes",
            "freight-path-symlink",
            "checkout-attributes",
            "ref-shadows-branch",
            "policy-change-unauthorized",
            "kargo-drift",
        ]
    );
}

#[test]
fn check_takes_any_revision_git_takes_and_an_all_zero_base() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    env.breaks("valid", &work);
    env.git(&work, &["tag", "v1", "HEAD~1"]).ok();
    let short = env.rev(&work, "HEAD~1")[..10].to_string();
    for (base, head) in [
        ("main~1", "main"),
        ("HEAD^", "HEAD"),
        (short.as_str(), "HEAD"),
        ("v1", "main"),
        ("v1^{commit}", "@"),
    ] {
        let run = env.fg(&work, &["check", "--base", base, "--head", head], "");
        assert_eq!(run.code, 0, "{base}..{head}:\n{}", run.all());
        assert!(run.stderr.contains("1 commit(s) judged"), "{}", run.stderr);
    }
    env.breaks("release-modified", &work);
    let run = env.fg(&work, &["check", "--base", "HEAD~1", "--head", "HEAD"], "");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("release-modified"), "{}", run.stderr);
    // What does not name a commit is bad usage, with git's reason.
    for bad in ["no-such-branch", "HEAD~99", "main:README.md"] {
        let run = env.fg(&work, &["check", "--base", bad, "--head", "HEAD"], "");
        assert_eq!(run.code, 2, "{bad}:\n{}", run.all());
        assert!(
            run.stderr.contains(&format!("--base `{bad}`")),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("hook"), "{}", run.stderr);
    }
    // A `push` event for a new branch gives an all-zero `before`: everything the branch
    // holds is judged, under the policy of the default branch.
    let zero = "0".repeat(40);
    env.kargo(&["init", work.to_str().expect("utf-8"), "stage/staging"]);
    env.kargo(&["render", work.to_str().expect("utf-8"), "stage/staging"]);
    let run = env.fg(
        &work,
        &[
            "check",
            "--base",
            &zero,
            "--head",
            "stage/staging",
            "--ref",
            "stage/staging",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("2 commit(s) judged"), "{}", run.stderr);
    env.kargo(&[
        "render",
        work.to_str().expect("utf-8"),
        "stage/staging",
        "--author",
        "Platform Engineer <platform@example.com>",
    ]);
    let run = env.fg(
        &work,
        &[
            "check",
            "--base",
            &zero,
            "--head",
            "stage/staging",
            "--ref",
            "stage/staging",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("foreign-author"), "{}", run.stderr);
}

#[test]
fn pre_commit_with_nothing_staged_judges_the_whole_tree() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let good = env.rev(&work, "HEAD");
    env.breaks("mirror-mismatch", &work);
    // CI: a detached HEAD (or a pull request's branch) with nothing staged.
    for checkout in [
        &["checkout", "-q", "--detach"][..],
        &["checkout", "-q", "-b", "feature"][..],
    ] {
        env.git(&work, checkout).ok();
        for command in ["pre-commit", "hook"] {
            let run = env.fg(&work, &[command], "");
            assert_eq!(run.code, 1, "{checkout:?} {command}:\n{}", run.all());
            assert!(run.stderr.contains("mirror-mismatch"), "{}", run.stderr);
            assert!(run.stderr.contains("nothing staged"), "{}", run.stderr);
        }
    }
    env.git(&work, &["checkout", "-q", "--detach", &good]).ok();
    let run = env.fg(&work, &["pre-commit"], "");
    assert_eq!(run.code, 0, "{}", run.all());
}

#[test]
fn empty_and_bad_variables_are_named_in_the_format_asked_for() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    for var in [
        "FREIGHT_GUARD_CONFIG",
        "FREIGHT_GUARD_THREADS",
        "FREIGHT_GUARD_DEADLINE",
    ] {
        let mut c = env.cmd(crate::support::BIN, &work);
        c.args(["--format", "json", "audit"]).env(var, "");
        let run = env.run(c);
        assert_eq!(run.code, 2, "{var}:\n{}", run.all());
        let v: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{var}: {e}:\n{}", run.all()));
        assert_eq!(v["verdict"], "error");
        assert_eq!(v["findings"][0]["rule"], "input-invalid");
        let message = v["findings"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(var) && message.contains("empty"),
            "{message}"
        );
    }
    // A bad value names its variable too, and the SARIF and human formats say it their way.
    let mut c = env.cmd(crate::support::BIN, &work);
    c.args(["--format", "sarif", "audit"])
        .env("FREIGHT_GUARD_THREADS", "0");
    let run = env.run(c);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("FREIGHT_GUARD_THREADS"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\"input-invalid\""), "{}", run.stdout);
    // In a push: the hook rejects, and under GitLab every line carries GL-HOOK-ERR.
    let server = env.server(&work);
    env.breaks("valid", &work);
    let before = env.state(&server);
    for vars in [
        &[("FREIGHT_GUARD_CONFIG", "")][..],
        &[("FREIGHT_GUARD_DEADLINE", "soon"), ("GL_ID", "user-7")][..],
    ] {
        let run = env.push_env(&work, &["HEAD:main"], vars);
        crate::support::assert_declined(&run, "input-invalid", vars[0].0);
        assert!(run.stderr.contains(vars[0].0), "{}", run.stderr);
        if vars.len() > 1 {
            let ours: Vec<&str> = run
                .stderr
                .lines()
                .filter_map(|l| l.strip_prefix("remote: "))
                .filter(|l| !l.trim().is_empty())
                .collect();
            assert!(!ours.is_empty(), "{}", run.stderr);
            for line in ours {
                assert!(line.starts_with("GL-HOOK-ERR: "), "{line}\n{}", run.stderr);
            }
        }
        assert_eq!(env.state(&server), before);
    }
}

#[test]
fn files_on_disk_and_git_trees_get_the_same_snapshot_findings() {
    // The snapshot contract is written once: `pre-commit --worktree` (files on disk) and the
    // git-tree modes say the same thing about the same broken snapshot.
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let base = env.rev(&work, "HEAD");
    let findings = |args: &[&str]| -> Vec<(String, String, String)> {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let run = env.fg(&work, &all, "");
        let v: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.all()));
        let mut out: Vec<(String, String, String)> = v["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or_default().to_string(),
                    f["message"].as_str().unwrap_or_default().to_string(),
                    f["path"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        out.sort();
        out
    };
    for case in [
        "mirror-mismatch",
        "release-missing",
        "record-invalid",
        "identity-mismatch",
        "package-mismatch",
        "unexpected-entry",
        "huge-record",
        "current-symlink",
    ] {
        env.git(&work, &["reset", "-q", "--hard", &base]).ok();
        env.git(&work, &["clean", "-qfdx"]).ok();
        env.breaks(case, &work);
        let on_disk = findings(&["pre-commit", "--worktree"]);
        let in_git = findings(&["check", "--base", "HEAD~1", "--head", "HEAD"]);
        assert!(!in_git.is_empty(), "{case}: nothing found in git");
        // The tree judges what the commit changed; the disk sees the whole root, so compare
        // the findings about what this case broke.
        let rule = in_git[0].0.clone();
        let of = |list: &[(String, String, String)]| -> Vec<(String, String, String)> {
            list.iter().filter(|f| f.0 == rule).cloned().collect()
        };
        assert_eq!(of(&on_disk), of(&in_git), "{case}");
    }
}
