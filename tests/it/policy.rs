//! The policy file: discovery, defaults, validation errors with lines.

use crate::support::Env;

#[test]
fn init_writes_the_annotated_defaults_and_they_are_valid() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    env.fg(&work, &["init"], "").ok();
    let text = std::fs::read_to_string(work.join(".freight-guard.yaml")).expect("written");
    assert!(text.contains("roots: [\"warehouses/*/freight\"]"));
    // Refuses to overwrite.
    assert_eq!(env.fg(&work, &["init"], "").code, 2);
    env.git(&work, &["add", ".freight-guard.yaml"]).ok();
    env.git(&work, &["commit", "-qm", "Add policy"]).ok();
    env.fg(&work, &["audit"], "").ok();
    let printed = env.fg(&work, &["init", "--stdout"], "").ok();
    assert_eq!(printed.stdout, text);
}

#[test]
fn a_typo_gets_exit_2_and_names_every_line() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let policy = env.path().join("policy.yaml");
    env.write(&policy, "version: 1\nsnapshot:\n  branchs: [main]\n  prune: 3\nrules:\n  mirror-mismatch: deny\n  mirror-mismatc: warn\n");
    let run = env.fg(
        &work,
        &["--config", policy.to_str().expect("utf-8"), "audit"],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("policy-invalid"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("policy.yaml:3: unknown key `snapshot.branchs`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `branches`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("policy.yaml:4:"), "{}", run.stderr);
    assert!(run.stderr.contains("policy.yaml:7:"), "{}", run.stderr);

    let run = env.fg(
        &work,
        &[
            "--format",
            "json",
            "--config",
            policy.to_str().expect("utf-8"),
            "audit",
        ],
        "",
    );
    assert_eq!(run.code, 2);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["verdict"], "error");
    assert_eq!(v["findings"][0]["rule"], "policy-invalid");
}

#[test]
fn the_policy_in_head_is_used_and_a_broken_one_fails_closed() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    env.breaks("unexpected-entry", &work);
    // Warn by default: exit 0.
    assert_eq!(env.fg(&work, &["audit"], "").code, 0);
    env.write(
        &work.join(".freight-guard.yaml"),
        "rules:\n  unexpected-entry: deny\n",
    );
    env.git(&work, &["add", "-A"]).ok();
    env.git(&work, &["commit", "-qm", "Deny stray entries"])
        .ok();
    let run = env.fg(&work, &["audit"], "");
    assert_eq!(run.code, 1, "{}", run.all());

    env.write(&work.join(".freight-guard.yaml"), "rules: [\n");
    env.git(&work, &["commit", "-qam", "Break the policy"]).ok();
    let run = env.fg(&work, &["audit"], "");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("HEAD:.freight-guard.yaml"),
        "{}",
        run.stderr
    );
}

#[test]
fn operational_rules_cannot_be_lowered() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let policy = env.path().join("policy.yaml");
    env.write(&policy, "rules:\n  read-error: allow\n");
    let run = env.fg(
        &work,
        &["--config", policy.to_str().expect("utf-8"), "audit"],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("cannot be lowered"), "{}", run.stderr);
}

#[test]
fn rendered_settings_are_validated_with_their_lines() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let policy = env.path().join("policy.yaml");
    env.write(
        &policy,
        "rendered:\n  message: '^Render (?P<tag>git-[0-9a-f]{40}'\n  trailers:\n    'Bad Token': '.+'\n    Kargo-Promotion: '[z-a]'\n  images: ['ghcr.io/org/app:git-1']\n  renderer: ['Kargo <no-reply@kargo.io']\n  freight: maybe\n",
    );
    let run = env.fg(
        &work,
        &["--config", policy.to_str().expect("utf-8"), "audit"],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.all());
    for expected in [
        "policy.yaml:2: `rendered.message`: invalid regular expression",
        "`Bad Token` is not a trailer name",
        "`rendered.trailers.Kargo-Promotion`: invalid regular expression",
        "policy.yaml:6: `rendered.images`: `ghcr.io/org/app:git-1` must be an image repository",
        "policy.yaml:8: `rendered.freight` must be `snapshot` or `none`",
    ] {
        assert!(run.stderr.contains(expected), "{expected}:\n{}", run.stderr);
    }
    // Both example policies are valid.
    for name in ["source-snapshot.yaml", "common-case.yaml"] {
        let path = crate::support::root().join("docs/policies").join(name);
        env.fg(
            &work,
            &["--config", path.to_str().expect("utf-8"), "audit"],
            "",
        )
        .ok();
    }
}

#[test]
fn a_policy_that_cannot_work_is_warned_about_and_messages_say_why() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let wt = work.to_str().expect("utf-8");
    let server = env.server(&work);
    // `freight: snapshot` with no snapshot branch: no promotion can ever name known freight.
    let policy = env.path().join("policy.yaml");
    env.write(&policy, "snapshot:\n  branches: []\n");
    let vars = [("FREIGHT_GUARD_CONFIG", policy.to_str().expect("utf-8"))];
    env.kargo(&["init", wt, "stage/staging"]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_eq!(run.code, 0, "{}", run.all());
    crate::support::assert_human("policy-warning", &run.stderr);
    env.kargo(&["render", wt, "stage/staging"]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    crate::support::assert_declined(&run, "unknown-freight", "no snapshot branch");
    assert!(
        run.stderr.contains("`snapshot.branches` is empty"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("matching  exists"), "{}", run.stderr);
    // A warning cannot be switched off: the policy is fixed instead.
    env.write(
        &policy,
        "snapshot:\n  branches: []\nrules:\n  policy-warning: allow\n",
    );
    let run = env.fg(
        &work,
        &["--config", policy.to_str().expect("utf-8"), "audit"],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("cannot be changed"), "{}", run.stderr);
    // With `freight: none` there is nothing to warn about.
    env.write(
        &policy,
        "snapshot:\n  branches: []\nrendered:\n  freight: none\n",
    );
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stderr.contains("policy-warning"), "{}", run.stderr);
    assert_eq!(
        env.rev(&server, "stage/staging"),
        env.rev(&work, "stage/staging")
    );
}

#[test]
fn yaml_errors_read_as_yaml_errors() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let policy = env.path().join("policy.yaml");
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = if i == 1 {
            "a".to_string()
        } else {
            format!("a{}", i - 1)
        };
        bomb.push_str(&format!(
            "a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    for (text, says) in [
        ("version: 1\nversion: 1\n", "duplicate mapping key: version"),
        (bomb.as_str(), "alias bomb"),
    ] {
        env.write(&policy, text);
        let run = env.fg(
            &work,
            &["--config", policy.to_str().expect("utf-8"), "audit"],
            "",
        );
        assert_eq!(run.code, 2, "{}", run.all());
        assert!(run.stderr.contains(says), "{}", run.stderr);
        for leak in [
            "DuplicateKeyPolicy",
            "Options",
            "{ nodes",
            "Nodes {",
            "error: line",
        ] {
            assert!(!run.stderr.contains(leak), "{leak}:\n{}", run.stderr);
        }
    }
}

#[test]
fn commits_judged_counts_distinct_commits() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let wt = work.to_str().expect("utf-8");
    env.server(&work);
    env.kargo(&["init", wt, "stage/staging"]);
    env.kargo(&["render", wt, "stage/staging"]);
    let tip = env.rev(&work, "stage/staging");
    env.git(&work, &["branch", "stage/test", &tip]).ok();
    // Two stage branches with the same two commits: each commit is counted once, and an audit
    // counts commits, not refs.
    let run = env.push(&work, &["stage/staging", "stage/test"]).ok();
    assert!(run.stderr.contains(" 2 commit(s) judged"), "{}", run.stderr);
    let policy = env.path().join("policy.yaml");
    env.write(
        &policy,
        "snapshot:\n  branches: [main]\nrendered:\n  branches: ['stage/*']\n",
    );
    let run = env.fg(
        &work,
        &["--config", policy.to_str().expect("utf-8"), "audit"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let on_main = env
        .git(&work, &["rev-list", "--count", "main"])
        .ok()
        .stdout
        .trim()
        .parse::<usize>()
        .expect("count");
    assert!(
        run.stderr
            .contains(&format!(" {} commit(s) judged", on_main + 2)),
        "{}",
        run.stderr
    );
}

#[test]
fn settings_that_name_nothing_in_the_repository_are_warned_about() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    // A typo in the roots and in the snapshot branch: the snapshot contract would check nothing.
    env.write(
        &work.join(".freight-guard.yaml"),
        "snapshot:\n  branches: [mian]\n  roots: ['warehouse/*/freight']\n",
    );
    env.git(&work, &["add", ".freight-guard.yaml"]).ok();
    env.git(&work, &["commit", "-qm", "Policy with typos"]).ok();
    let run = env.fg(&work, &["--format", "json", "audit", "--ref", "main"], "");
    assert_eq!(run.code, 0, "{}", run.all());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let warnings: Vec<&str> = v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == "policy-warning")
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{}", run.stdout);
    assert!(
        warnings.iter().any(
            |w| w.contains("`snapshot.roots` (warehouse/*/freight) match no directory at HEAD")
        ),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`snapshot.branches` (mian) match no branch")),
        "{warnings:?}"
    );
    // Fixed, or left at the defaults: no warning.
    env.write(
        &work.join(".freight-guard.yaml"),
        "snapshot:\n  branches: [main]\n  roots: ['warehouses/*/freight']\n",
    );
    env.git(&work, &["commit", "-qam", "Policy fixed"]).ok();
    let run = env.fg(&work, &["audit"], "").ok();
    assert!(!run.stderr.contains("policy-warning"), "{}", run.stderr);
}

#[test]
fn a_head_naming_a_missing_branch_refuses_instead_of_judging_by_the_defaults() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    // `git init --bare` leaves HEAD at `master`; the repository's branch is `main`.
    let server = env.path().join("server.git");
    env.git(
        env.path(),
        &["init", "-q", "--bare", server.to_str().expect("utf-8")],
    )
    .ok();
    assert_eq!(
        env.git(&server, &["symbolic-ref", "HEAD"])
            .ok()
            .stdout
            .trim(),
        "refs/heads/master"
    );
    crate::support::install_hook(&server.join("hooks"), "pre-receive");
    env.git(
        &work,
        &["remote", "add", "origin", server.to_str().expect("utf-8")],
    )
    .ok();
    // The first push into an empty server is judged by the built-in defaults.
    env.push(&work, &["main"]).ok();
    // Afterwards `main` holds a policy that HEAD does not lead to: refused, naming the fix.
    env.breaks("valid", &work);
    let before = env.state(&server);
    let run = env.push(&work, &["main"]);
    crate::support::assert_declined(&run, "policy-invalid", "HEAD at a missing branch");
    assert!(run.stderr.contains("`HEAD` names `refs/heads/master`, which does not exist, while other branches do (refs/heads/main)"), "{}", run.stderr);
    assert!(
        run.stderr.contains("git symbolic-ref HEAD refs/heads/main"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
    // The fix: HEAD at the default branch.
    env.git(&server, &["symbolic-ref", "HEAD", "refs/heads/main"])
        .ok();
    env.push(&work, &["main"]).ok();
}

#[test]
fn a_policy_file_that_is_not_a_regular_file_is_refused_where_it_is_pushed() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    // A symlink whose target text is itself valid YAML (`{}`): read as a blob it is a policy,
    // read as a file it is none.
    let _ = std::fs::remove_file(work.join(".freight-guard.yaml"));
    std::os::unix::fs::symlink("{}", work.join(".freight-guard.yaml")).expect("symlink");
    env.git(&work, &["add", "-A"]).ok();
    env.git(&work, &["commit", "-qm", "Policy through a link"])
        .ok();
    let link = env.rev(&work, "HEAD");
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:main"]);
    crate::support::assert_declined(&run, "policy-invalid", "a symlinked policy file");
    assert!(
        run.stderr
            .contains("it is a symlink (to `{}`), not a regular file"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
    // Had it landed (written on the server by hand), every later push would be refused, and
    // the message names the real cause.
    env.git(
        &work,
        &[
            "push",
            "-q",
            "--no-verify",
            "origin",
            "HEAD:refs/heads/side",
        ],
    )
    .ok();
    env.git(&server, &["update-ref", "refs/heads/main", &link])
        .ok();
    env.git(&server, &["update-ref", "-d", "refs/heads/side"])
        .ok();
    env.breaks("valid", &work);
    let run = env.push(&work, &["HEAD:main"]);
    crate::support::assert_declined(&run, "policy-invalid", "the loader on a symlinked policy");
    assert!(
        run.stderr.contains("it is a symlink (to `{}`)"),
        "{}",
        run.stderr
    );
    // An oversized policy file is refused where it is pushed too.
    env.git(&server, &["update-ref", "refs/heads/main", &base])
        .ok();
    env.git(&work, &["reset", "-q", "--hard", &base]).ok();
    let big = format!("version: 1\n{}", "# padding\n".repeat(120_000));
    std::fs::write(work.join(".freight-guard.yaml"), big).expect("write");
    env.git(&work, &["add", ".freight-guard.yaml"]).ok();
    env.git(&work, &["commit", "-qm", "A long policy"]).ok();
    let run = env.push(&work, &["HEAD:main"]);
    crate::support::assert_declined(&run, "policy-invalid", "an oversized policy file");
    assert!(
        run.stderr.contains("a policy file is at most"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_policy_says_who_may_change_it() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    // An SSH key pinned for policy changes, committed with the policy that pins it.
    let keys = env.path().join("keys");
    std::fs::create_dir_all(&keys).expect("mkdir");
    let mut c = env.cmd("ssh-keygen", &keys);
    c.args([
        "-q", "-t", "ed25519", "-N", "", "-C", "admin", "-f", "admin",
    ]);
    env.run(c).ok();
    let public = std::fs::read_to_string(keys.join("admin.pub")).expect("pub");
    env.write(
        &work.join("keys/allowed_signers"),
        &format!("platform@example.com namespaces=\"git\" {}", public.trim()),
    );
    let policy = "policy:\n  pushers: [alice]\nsigning:\n  policy:\n    require: true\n    ssh_allowed_signers: keys/allowed_signers\n";
    env.write(&work.join(".freight-guard.yaml"), policy);
    env.git(&work, &["add", "-A"]).ok();
    env.git(&work, &["commit", "-qm", "Who may change the policy"])
        .ok();
    env.push(&work, &["HEAD:main"]).ok();

    // A release by anyone: the policy is not touched.
    env.breaks("valid", &work);
    env.push_env(&work, &["HEAD:main"], &[("GITEA_PUSHER_NAME", "mallory")])
        .ok();
    let base = env.rev(&work, "HEAD");
    let key = keys.join("admin");
    let key = key.to_str().expect("utf-8");
    let change = |signed: bool| {
        env.git(&work, &["reset", "-q", "--hard", &base]).ok();
        env.append(
            &work.join(".freight-guard.yaml"),
            "rules:\n  mirror-mismatch: warn\n",
        );
        env.git(&work, &["add", "-A"]).ok();
        let mut args = vec!["-c", "gpg.format=ssh", "-c"];
        let signing_key = format!("user.signingkey={key}");
        args.push(&signing_key);
        args.extend(["commit", "-qm", "Mirror mismatches only warn"]);
        if signed {
            args.push("-S");
        }
        env.git(&work, &args).ok();
    };
    // Signed, but pushed by someone `policy.pushers` does not name.
    change(true);
    let before = env.state(&server);
    let run = env.push_env(&work, &["HEAD:main"], &[("GITEA_PUSHER_NAME", "mallory")]);
    crate::support::assert_declined(
        &run,
        "policy-change-unauthorized",
        "mallory changes the policy",
    );
    crate::support::assert_human("policy-change-unauthorized", &run.stderr);
    assert_eq!(env.state(&server), before);
    // By alice, unsigned.
    change(false);
    let run = env.push_env(&work, &["HEAD:main"], &[("GITEA_PUSHER_NAME", "alice")]);
    crate::support::assert_declined(&run, "unsigned-commit", "an unsigned policy change");
    assert!(
        run.stderr.contains("commits that change the policy file"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
    // By alice, signed with the pinned key: accepted.
    change(true);
    env.push_env(&work, &["HEAD:main"], &[("GITEA_PUSHER_NAME", "alice")])
        .ok();
    assert_eq!(env.rev(&server, "main"), env.rev(&work, "HEAD"));
    // A key file the policy names turned into a symlink (by alice, signed): the keys would no
    // longer load, so the push that does it is refused.
    let signers = work.join("keys/allowed_signers");
    std::fs::rename(&signers, work.join("keys/signers.txt")).expect("rename");
    std::os::unix::fs::symlink("signers.txt", &signers).expect("symlink");
    env.git(&work, &["add", "-A"]).ok();
    let signing_key = format!("user.signingkey={key}");
    env.git(
        &work,
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &signing_key,
            "commit",
            "-qS",
            "-m",
            "Keys through a link",
        ],
    )
    .ok();
    let before = env.state(&server);
    let run = env.push_env(&work, &["HEAD:main"], &[("GITEA_PUSHER_NAME", "alice")]);
    crate::support::assert_declined(&run, "policy-invalid", "a symlinked key file");
    assert!(
        run.stderr.contains("it is not a regular file"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
}
