//! Hostile input: parser bombs, huge records, names that are not UTF-8, symlinks.

use crate::support::Env;

fn rejected_with(case: &str, rule: &str) {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.breaks(case, &work);
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:main"]);
    run.no_panic();
    assert_ne!(run.code, 0, "{case} accepted:\n{}", run.all());
    assert!(
        run.stderr.contains(rule),
        "{case}: {rule} not named:\n{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
}

#[test]
fn yaml_alias_bomb_is_an_invalid_record() {
    rejected_with("yaml-bomb", "record-invalid");
}

#[test]
fn a_20_mb_record_is_an_invalid_record() {
    rejected_with("huge-record", "record-invalid");
}

#[test]
fn current_as_a_symlink_is_a_mirror_mismatch() {
    rejected_with("current-symlink", "mirror-mismatch");
}

#[test]
fn file_names_that_are_not_utf8_are_judged() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    env.server(&work);
    env.breaks("non-utf8-name", &work);
    let run = env.push(&work, &["HEAD:main"]);
    run.no_panic();
    assert_eq!(
        run.code,
        0,
        "a valid release with such names is accepted:\n{}",
        run.all()
    );

    // The same name differing between current/ and the release is reported, escaped.
    let current = work.join("warehouses/codeai/freight/current/helm");
    let name = std::fs::read_dir(&current)
        .expect("helm dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_none())
        .expect("a non-UTF-8 name in the fixture");
    std::fs::write(&name, "changed\n").expect("write");
    env.git(&work, &["commit", "-qam", "Edit current by hand"])
        .ok();
    let run = env.push(&work, &["HEAD:main"]);
    run.no_panic();
    crate::support::assert_declined(&run, "mirror-mismatch", "mirror-mismatch");
    assert!(
        run.stderr.contains("\\xff"),
        "escaped name:\n{}",
        run.stderr
    );
}

#[test]
fn hostile_records_in_the_worktree_mode() {
    for (case, rule) in [
        ("yaml-bomb", "record-invalid"),
        ("huge-record", "record-invalid"),
        ("current-symlink", "mirror-mismatch"),
    ] {
        let env = Env::new();
        let work = env.gitops("work", &[]);
        env.breaks(case, &work);
        let run = env.fg(&work, &["pre-commit", "--worktree"], "");
        run.no_panic();
        assert_eq!(run.code, 1, "{case}: {}", run.all());
        assert!(run.stderr.contains(rule), "{case}: {}", run.stderr);
    }
}

#[test]
fn rendered_manifests_that_cannot_be_read_are_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let policy = env.path().join("policy.yaml");
    env.write(
        &policy,
        "rendered:\n  images: [ghcr.io/code-dot-org/code-dot-org]\n",
    );
    let vars = [("FREIGHT_GUARD_CONFIG", policy.to_str().expect("utf-8"))];
    let created = env.kargo_create_env(&work, "stage/staging", &vars);
    let mut bomb =
        String::from("a: &a [\"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\"]\n");
    for i in 1..10u8 {
        let (prev, cur) = ((b'a' + i - 1) as char, (b'a' + i) as char);
        bomb.push_str(&format!(
            "{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    bomb.push_str("image: ghcr.io/code-dot-org/code-dot-org:latest\n");
    let cases: [(&str, Vec<u8>); 3] = [
        ("alias bomb", bomb.into_bytes()),
        ("not UTF-8", b"image: \xff\xfe\n".to_vec()),
        ("not YAML", b"spec: {containers: [\n".to_vec()),
    ];
    for (what, bytes) in cases {
        let file = env.path().join("manifest.yaml");
        std::fs::write(&file, bytes).expect("write");
        let out = env.kargo(&[
            "render",
            work.to_str().expect("utf-8"),
            "stage/staging",
            "--manifest",
            file.to_str().expect("utf-8"),
        ]);
        let before = env.state(&server);
        let run = env.push_env(&work, &["stage/staging"], &vars);
        run.no_panic();
        assert_ne!(run.code, 0, "{what} accepted:\n{}", run.all());
        assert!(
            run.stderr.contains("pairing-mismatch")
                && run.stderr.contains("cannot read the images"),
            "{what}:\n{}",
            run.stderr
        );
        assert_eq!(env.state(&server), before, "{what}: server changed");
        env.git(
            &work,
            &["update-ref", "refs/heads/stage/staging", &created, &out],
        )
        .ok();
    }
}

/// A few hundred bytes of trees that stand for 16^7 paths: every level names the level below
/// sixteen times. Prints the top tree.
const TREE_BOMB: &str = r#"
set -eu
t=$(printf '' | git hash-object -w --stdin)
entries() { for i in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do printf '%s %s %s\t%s%s\n' "$1" "$2" "$3" "$4" "$i"; done; }
t=$(entries 100644 blob "$t" f | git mktree)
for level in 1 2 3 4 5 6; do t=$(entries 040000 tree "$t" d | git mktree); done
printf '%s\n' "$t"
"#;

#[test]
fn a_tree_bomb_on_a_rendered_branch_is_rejected_in_bounded_time() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let mut c = env.cmd("bash", &work);
    c.arg("-c").arg(TREE_BOMB);
    let bomb = env.run(c).ok().stdout.trim().to_string();
    let wt = work.to_str().expect("utf-8");
    env.kargo(&["init", wt, "stage/production"]);
    env.push(&work, &["stage/production"]).ok();
    let proposal = env.kargo(&["propose", wt]);
    env.push(&work, &[&proposal]).ok();
    let base = env.rev(&work, "stage/production");
    let head = env.rev(&work, &proposal);
    // A forge merge of the proposal whose tree is the bomb: merge-altered, with its
    // differences counted only so far.
    let mut c = env.cmd("git", &work);
    c.args([
        "commit-tree",
        &bomb,
        "-p",
        &base,
        "-p",
        &head,
        "-m",
        "Merge pull request #2",
    ])
    .env("GIT_COMMITTER_NAME", "GitHub")
    .env("GIT_COMMITTER_EMAIL", "noreply@github.com");
    let merge = env.run(c).ok().stdout.trim().to_string();
    env.git(
        &work,
        &["update-ref", "refs/heads/stage/production", &merge],
    )
    .ok();
    let before = env.state(&server);
    let run = env.push(&work, &["stage/production"]);
    run.no_panic();
    crate::support::assert_declined(&run, "merge-altered", "merge-altered");
    assert!(run.stderr.contains("counting stopped"), "{}", run.stderr);
    // The bomb as a render on a stage branch whose paths are checked: not verifiable.
    let policy = env.path().join("policy.yaml");
    env.write(&policy, "rendered:\n  paths: [manifests.yaml]\n");
    let rev = env.kargo(&["render", wt, "stage/staging", "--orphan"]);
    let subject = env
        .git(&work, &["log", "-1", "--format=%s", &rev])
        .ok()
        .stdout;
    let mut c = env.cmd("git", &work);
    c.args(["commit-tree", &bomb, "-m", subject.trim()])
        .env("GIT_AUTHOR_NAME", "Kargo")
        .env("GIT_AUTHOR_EMAIL", "no-reply@kargo.io")
        .env("GIT_COMMITTER_NAME", "Kargo")
        .env("GIT_COMMITTER_EMAIL", "no-reply@kargo.io");
    let render = env.run(c).ok().stdout.trim().to_string();
    env.git(&work, &["update-ref", "refs/heads/stage/staging", &render])
        .ok();
    let run = env.push_env(
        &work,
        &["stage/staging"],
        &[("FREIGHT_GUARD_CONFIG", policy.to_str().expect("utf-8"))],
    );
    run.no_panic();
    crate::support::assert_declined(&run, "read-error", "read-error");
    assert!(run.stderr.contains("not verified"), "{}", run.stderr);
    assert_eq!(env.state(&server), before);
}
