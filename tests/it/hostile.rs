//! Hostile input: parser bombs, huge records, names that are not UTF-8, symlinks.

use crate::support::Env;

fn rejected_with(case: &str, rule: &str) {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    env.breaks(case, &work);
    let before = env.state(&server);
    let started = std::time::Instant::now();
    let run = env.push(&work, &["HEAD:main"]);
    let _ = started; // timing is reported by the benchmarks, not asserted here
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
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("mirror-mismatch"), "{}", run.stderr);
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
