//! `freeze`: the release snapshot written by the tool that checks it, through a CI-like flow
//! (write, commit, push into a server with the hook), idempotent, and refusing without
//! changing anything.

use std::path::{Path, PathBuf};

use crate::support::{Env, Run};

const ROOT: &str = "warehouses/codeai/freight";
const REVISION: &str = "0123456789abcdef0123456789abcdef01234567";
const DIGEST: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000abc";

/// A chart package outside the repository: the current release's chart, with one value
/// changed so that it is a new release.
fn package(env: &Env, work: &Path, name: &str) -> PathBuf {
    let dir = env.path().join(name);
    let mut c = env.cmd("cp", work);
    c.args(["-a", &format!("{ROOT}/current/helm")]).arg(&dir);
    env.run(c).ok();
    env.append(&dir.join("values.yaml"), &format!("# {name}\n"));
    dir
}

fn freeze(env: &Env, work: &Path, package: &Path, extra: &[&str]) -> Run {
    let package = format!("helm={}", package.to_str().expect("utf-8"));
    let mut options: Vec<(&str, &str)> = vec![
        ("--root", ROOT),
        ("--revision", REVISION),
        ("--image", "ghcr.io/code-dot-org/code-dot-org"),
        ("--digest", DIGEST),
        ("--package", &package),
        ("--created-at", "2026-04-01T12:00:00Z"),
    ];
    // `extra` holds (option, value) pairs that replace the defaults above.
    for pair in extra.chunks(2) {
        if let [option, value] = pair {
            match options.iter_mut().find(|(o, _)| o == option) {
                Some(slot) => slot.1 = value,
                None => options.push((option, value)),
            }
        }
    }
    let mut args = vec!["freeze"];
    for (option, value) in &options {
        args.push(option);
        args.push(value);
    }
    env.fg(work, &args, "")
}

/// Everything in the work tree that differs from HEAD, untracked files included.
fn changes(env: &Env, work: &Path) -> String {
    env.git(work, &["status", "--porcelain", "--untracked-files=all"])
        .ok()
        .stdout
}

#[test]
fn freeze_writes_a_release_the_hook_accepts_and_changes_nothing_the_second_time() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let chart = package(&env, &work, "chart");
    let run = freeze(&env, &work, &chart, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains(&format!("froze {ROOT}/git-{REVISION}")),
        "{}",
        run.stderr
    );
    // The package byte for byte, the record complete, current/ its exact copy.
    let release = work.join(format!("{ROOT}/git-{REVISION}"));
    assert_eq!(
        std::fs::read(release.join("helm/values.yaml")).expect("copied"),
        std::fs::read(chart.join("values.yaml")).expect("package")
    );
    let record = std::fs::read_to_string(release.join("freight.yaml")).expect("record");
    assert!(record.contains(&format!("tag: git-{REVISION}")), "{record}");
    assert!(
        record.contains(&format!(
            "ref: ghcr.io/code-dot-org/code-dot-org:git-{REVISION}"
        )),
        "{record}"
    );
    // What CI does next: commit and push through the hook.
    env.git(&work, &["add", "-A"]).ok();
    let mut c = env.cmd("git", &work);
    c.args(["commit", "-qm", &format!("Release codeai git-{REVISION}")])
        .env("GIT_AUTHOR_NAME", "CI Release Bot")
        .env("GIT_AUTHOR_EMAIL", "ci@example.com")
        .env("GIT_COMMITTER_NAME", "CI Release Bot")
        .env("GIT_COMMITTER_EMAIL", "ci@example.com");
    env.run(c).ok();
    env.push(&work, &["HEAD:main"]).ok();
    assert_eq!(env.rev(&server, "main"), env.rev(&work, "HEAD"));
    // Again, with the same input (and another clock): nothing changes.
    let run = freeze(
        &env,
        &work,
        &chart,
        &["--created-at", "2026-05-01T00:00:00Z"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("nothing changed"), "{}", run.stderr);
    assert_eq!(changes(&env, &work), "");
    // Again, with another package for the same revision: refused, nothing changed.
    let other = package(&env, &work, "other-chart");
    let run = freeze(&env, &work, &other, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("exists with other content"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("helm/values.yaml"), "{}", run.stderr);
    assert_eq!(changes(&env, &work), "");
}

#[test]
fn freeze_refuses_what_the_contract_forbids_and_changes_nothing() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let chart = package(&env, &work, "chart");
    let escaping = package(&env, &work, "escaping");
    std::os::unix::fs::symlink("../../secrets.yaml", escaping.join("templates/secret.yaml"))
        .expect("symlink");
    let nested = package(&env, &work, "nested");
    env.git(&nested, &["init", "-q", "charts/sub"]).ok();
    let repository = package(&env, &work, "repository");
    env.git(&repository, &["init", "-q"]).ok();
    let chart_arg = format!("helm={}", chart.to_str().expect("utf-8"));
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "a short revision",
            vec!["--revision".into(), "0123456".into()],
            "not a full lowercase commit id",
        ),
        (
            "an uppercase revision",
            vec!["--revision".into(), REVISION.to_uppercase()],
            "not a full lowercase commit id",
        ),
        (
            "a malformed digest",
            vec!["--digest".into(), "sha256:abc".into()],
            "--digest",
        ),
        (
            "an image tagged otherwise",
            vec![
                "--image".into(),
                "ghcr.io/code-dot-org/code-dot-org:latest".into(),
            ],
            "is tagged `latest`",
        ),
        (
            "an unknown package type",
            vec!["--package".into(), chart_arg.replace("helm=", "jsonnet=")],
            "not in `snapshot.packages`",
        ),
        (
            "a path that is no freight root",
            vec!["--root".into(), "apps/codeai".into()],
            "not a freight root",
        ),
        (
            "a symlink leaving the package",
            vec!["--package".into(), format!("helm={}", escaping.display())],
            "outside the package",
        ),
        (
            "a submodule in the package",
            vec!["--package".into(), format!("helm={}", nested.display())],
            "not a submodule",
        ),
        (
            "a package that is a repository",
            vec!["--package".into(), format!("helm={}", repository.display())],
            "is a git repository",
        ),
        (
            "a missing package",
            vec!["--package".into(), "helm=/nonexistent".into()],
            "cannot read the package",
        ),
        (
            "a date that injects a field",
            vec!["--created-at".into(), "2026-04-01\nrevision: 1".into()],
            "a record value cannot hold",
        ),
        (
            "an image with a space",
            vec!["--image".into(), "ghcr.io/a b".into()],
            "a record value cannot hold",
        ),
    ];
    // A freight root reached through a symlink would be written outside the judged tree.
    let linked = env.gitops("linked", &[]);
    std::fs::rename(
        linked.join("warehouses/codeai"),
        env.path().join("elsewhere"),
    )
    .expect("move");
    std::os::unix::fs::symlink(
        env.path().join("elsewhere"),
        linked.join("warehouses/codeai"),
    )
    .expect("symlink");
    env.git(&linked, &["add", "-A"]).ok();
    env.git(&linked, &["commit", "-qm", "A linked warehouse"])
        .ok();
    let before = std::fs::read_dir(env.path().join("elsewhere/freight"))
        .expect("dir")
        .count();
    let run = freeze(&env, &linked, &chart, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("`warehouses/codeai` is a symlink"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_dir(env.path().join("elsewhere/freight"))
            .expect("dir")
            .count(),
        before
    );
    for (what, extra, message) in cases {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let run = freeze(&env, &work, &chart, &extra);
        assert_eq!(run.code, 2, "{what}: {}", run.all());
        assert!(
            run.stderr.contains("freeze refused, nothing changed"),
            "{what}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(message), "{what}: {}", run.stderr);
        assert_eq!(changes(&env, &work), "", "{what}");
    }
}
