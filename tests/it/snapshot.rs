//! The snapshot contract through the pre-receive hook: real `git push`es into a bare server
//! repository, every snapshot rule, the policy-change check, hook input, deadlines, threads.

use crate::support::Env;

/// Each snapshot rule with the fixture case that breaks it.
const RULE_CASES: &[&str] = &[
    "mirror-mismatch",
    "release-missing",
    "record-invalid",
    "identity-mismatch",
    "package-mismatch",
    "release-modified",
    "release-deleted",
    "submodule-in-snapshot",
];

#[test]
fn valid_release_is_accepted() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.breaks("valid", &work);
    let run = env.push(&work, &["HEAD:main"]).ok();
    assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);
    assert_eq!(env.rev(&server, "main"), env.rev(&work, "HEAD"));
}

#[test]
fn each_snapshot_rule_rejects_and_leaves_the_server_unchanged() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    for case in RULE_CASES {
        env.git(&work, &["reset", "-q", "--hard", &base]).ok();
        env.breaks(case, &work);
        let before = env.state(&server);
        let run = env.push(&work, &["-f", "HEAD:main"]);
        crate::support::assert_declined(&run, case, case);
        crate::support::assert_human(case, &run.stderr);
        assert_eq!(env.state(&server), before, "{case}: server changed");
    }
}

#[test]
fn unexpected_entry_warns_by_default_and_rejects_when_denied() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.breaks("unexpected-entry", &work);
    let run = env.push(&work, &["HEAD:main"]).ok();
    assert!(run.stderr.contains("unexpected-entry"), "{}", run.stderr);
    assert!(run.stderr.contains("1 warning(s)"), "{}", run.stderr);
    crate::support::assert_human("unexpected-entry", &run.stderr);

    // Deny it through a server-side policy file.
    let policy = env.path().join("admin-policy.yaml");
    env.write(&policy, "version: 1\nrules:\n  unexpected-entry: deny\n");
    env.write(&work.join("warehouses/codeai/freight/more.txt"), "x\n");
    env.git(&work, &["add", "-A"]).ok();
    env.git(&work, &["commit", "-qm", "Add another stray file"])
        .ok();
    let before = env.state(&server);
    let mut c = env.cmd("git", &work);
    c.args(["push", "origin", "HEAD:main"])
        .env("FREIGHT_GUARD_CONFIG", &policy);
    let run = env.run(c);
    crate::support::assert_declined(&run, "unexpected-entry", "unexpected-entry");
    assert_eq!(env.state(&server), before);
}

#[test]
fn an_earlier_bad_commit_under_a_valid_tip_is_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.breaks("mirror-mismatch", &work);
    let bad = env.rev(&work, "HEAD");
    env.breaks("valid", &work);
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:main"]);
    crate::support::assert_declined(&run, "mirror-mismatch", "mirror-mismatch");
    assert!(
        run.stderr.contains(&bad),
        "the bad commit is named:\n{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
}

#[test]
fn moving_main_onto_a_bad_commit_already_on_another_branch_is_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.git(&work, &["checkout", "-q", "-b", "feature"]).ok();
    env.breaks("mirror-mismatch", &work);
    // The bad commit enters the repository through a branch the contract does not guard.
    env.push(&work, &["feature"]).ok();
    let before = env.state(&server);
    let run = env.push(&work, &["feature:main"]);
    crate::support::assert_declined(&run, "mirror-mismatch", "mirror-mismatch");
    assert_eq!(env.state(&server), before);
}

#[test]
fn a_broken_commit_on_a_branch_that_is_not_a_snapshot_branch_is_accepted() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.git(&work, &["checkout", "-q", "-b", "experiment"]).ok();
    env.breaks("mirror-mismatch", &work);
    env.push(&work, &["experiment"]).ok();
    assert_eq!(env.rev(&server, "experiment"), env.rev(&work, "HEAD"));
}

#[test]
fn a_push_that_exempts_itself_in_the_policy_file_is_judged_by_the_old_policy() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.breaks("mirror-mismatch", &work);
    env.write(
        &work.join(".freight-guard.yaml"),
        "version: 1\nrules:\n  mirror-mismatch: allow\n",
    );
    env.git(&work, &["add", ".freight-guard.yaml"]).ok();
    env.git(&work, &["commit", "-qm", "Relax the policy"]).ok();
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:main"]);
    crate::support::assert_declined(&run, "mirror-mismatch", "mirror-mismatch");
    assert_eq!(env.state(&server), before);
}

#[test]
fn a_push_that_leaves_the_policy_file_invalid_is_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.write(
        &work.join(".freight-guard.yaml"),
        "version: 1\nsnapshot:\n  prune: sometimes\n",
    );
    env.git(&work, &["add", ".freight-guard.yaml"]).ok();
    env.git(&work, &["commit", "-qm", "Add a policy"]).ok();
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:main"]);
    crate::support::assert_declined(&run, "policy-invalid", "policy-invalid");
    assert!(
        run.stderr.contains(".freight-guard.yaml:3:"),
        "{}",
        run.stderr
    );
    crate::support::assert_human("policy-invalid", &run.stderr);
    assert_eq!(env.state(&server), before);
}

#[test]
fn sha256_repository_valid_accepted_broken_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &["--object-format", "sha256"]);
    let server = env.server(&work);
    assert_eq!(env.rev(&server, "main").len(), 64);
    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    env.breaks("mirror-mismatch", &work);
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:main"]);
    crate::support::assert_declined(&run, "mirror-mismatch", "mirror-mismatch");
    assert_eq!(env.state(&server), before);
}

#[test]
fn a_push_of_150_release_commits_is_accepted() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    // 150 further releases, built by the fixture script in one go.
    let more = env.gitops("more", &["--releases", "153"]);
    env.git(
        &work,
        &["fetch", "-q", more.to_str().expect("utf-8"), "main:more"],
    )
    .ok();
    let count = env
        .git(&work, &["rev-list", "--count", &format!("{base}..more")])
        .ok();
    assert_eq!(count.stdout.trim(), "150");
    let run = env.push(&work, &["more:main"]).ok();
    assert!(
        run.stderr.contains("150 commit(s) judged"),
        "{}",
        run.stderr
    );
    assert_eq!(env.rev(&server, "main"), env.rev(&work, "more"));
}

#[test]
fn a_long_push_is_judged_alike_on_one_thread_and_on_several() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    // 48 commits, cut into runs of 16 on 3 threads: a bad commit in each run. Each commit's
    // freight root is compared with its parent's from offsets derived from the commit before,
    // so a deletion and an edit deep in the chain also show that those stay exact.
    let mut bad = Vec::new();
    for i in 0..48 {
        let case = match i {
            3 => "mirror-mismatch",
            20 => "release-deleted",
            30 => "identity-mismatch",
            47 => "release-modified",
            _ => "valid",
        };
        env.breaks(case, &work);
        if case != "valid" {
            bad.push((case, env.rev(&work, "HEAD")));
        }
    }
    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let before = env.state(&server);
        let mut c = env.cmd("git", &work);
        // A generous deadline: this compares outputs, not speed, on however busy a machine.
        c.args(["push", "origin", "HEAD:main"])
            .env("FREIGHT_GUARD_THREADS", threads)
            .env("FREIGHT_GUARD_DEADLINE", "600");
        let run = env.run(c);
        assert_ne!(run.code, 0, "{threads} thread(s): accepted:\n{}", run.all());
        let lines: Vec<&str> = run.stderr.lines().collect();
        for (case, id) in &bad {
            // A finding's block: the rule on its own line, then the commit a few lines on.
            let named = lines.iter().enumerate().any(|(i, l)| {
                l.trim_end() == format!("remote: {case}")
                    && lines[i..lines.len().min(i + 8)]
                        .iter()
                        .any(|l| l.contains(&format!("commit: {id}")))
            });
            assert!(
                named,
                "{threads} thread(s): {case} in {id} not named:\n{}",
                run.stderr
            );
        }
        assert!(run.stderr.contains("48 commit(s) judged"), "{}", run.stderr);
        assert_eq!(env.state(&server), before);
        outputs.push(run.stderr);
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn deleting_and_creating_refs_work() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.push(&work, &["HEAD:refs/heads/copy"]).ok();
    env.push(&work, &[":refs/heads/copy"]).ok();
    env.push(&work, &["HEAD:refs/tags/v1"]).ok();
    assert!(
        env.git(&server, &["rev-parse", "--verify", "-q", "copy"])
            .code
            != 0
    );
}

#[test]
fn malformed_hook_input_is_rejected_with_exit_2() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let head = env.rev(&server, "main");
    for input in [
        format!("{head} {head}\n"),
        format!("{head} nothex refs/heads/main\n"),
        format!("{} {head} refs/heads/main\n", &head[..39]),
        format!("{head} {head} not-a-ref\n"),
    ] {
        let run = env.fg(&server, &["pre-receive"], &input);
        assert_eq!(run.code, 2, "{input}: {}", run.all());
        assert!(run.stderr.contains("input-invalid"), "{}", run.stderr);
        assert!(run.stderr.contains("line 1"), "{}", run.stderr);
        if input.ends_with(" not-a-ref\n") {
            crate::support::assert_human("input-invalid", &run.stderr);
        }
    }
    // A thread count that is not a positive number: the push is not judged, so it is refused.
    for threads in ["0", "many"] {
        let input = format!("{head} {head} refs/heads/main\n");
        let run = env.fg(&server, &["--threads", threads, "pre-receive"], &input);
        assert_eq!(run.code, 2, "--threads {threads}: {}", run.all());
        assert!(run.stderr.contains("--threads"), "{}", run.stderr);
    }
}

#[test]
fn missing_objects_fail_closed_with_exit_3() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let head = env.rev(&server, "main");
    let absent = "1".repeat(40);
    let run = env.fg(
        &server,
        &["pre-receive"],
        &format!("{head} {absent} refs/heads/main\n"),
    );
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(run.stderr.contains("read-error"), "{}", run.stderr);
    crate::support::assert_human("read-error", &run.stderr);
}

#[test]
fn the_deadline_rejects_with_exit_3() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let root = env
        .git(&server, &["rev-list", "--max-parents=0", "main"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let head = env.rev(&server, "main");
    let run = env.fg(
        &server,
        &["pre-receive", "--deadline", "0.000000001"],
        &format!("{root} {head} refs/heads/main\n"),
    );
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(run.stderr.contains("deadline-exceeded"), "{}", run.stderr);
    crate::support::assert_human("deadline-exceeded", &run.stderr);

    // The installed hook passes no arguments: the server's environment sets the deadline.
    let work_head = env.rev(&work, "HEAD");
    env.breaks("valid", &work);
    let before = env.state(&server);
    let run = env.push_env(
        &work,
        &["HEAD:main"],
        &[("FREIGHT_GUARD_DEADLINE", "0.000000001")],
    );
    crate::support::assert_declined(&run, "deadline-exceeded", "FREIGHT_GUARD_DEADLINE");
    assert_eq!(env.state(&server), before);
    let run = env.push_env(&work, &["HEAD:main"], &[("FREIGHT_GUARD_DEADLINE", "soon")]);
    crate::support::assert_declined(&run, "--deadline", "--deadline");
    assert_eq!(env.state(&server), before);
    env.push(&work, &["HEAD:main"]).ok();
    assert_eq!(env.rev(&server, "main"), env.rev(&work, "HEAD"));
    assert_ne!(env.rev(&server, "main"), work_head);
}
