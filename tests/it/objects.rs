//! Objects read as consumers read them: crafted pushes that make freight-guard (through gix)
//! and `git clone` / `git checkout` (what Argo CD and Kargo run) see different content are
//! rejected, and the consumer's side shows why it mattered.

use std::path::Path;

use crate::support::{Env, Run, assert_declined};

fn w(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

#[test]
fn replacement_refs_do_not_change_what_is_judged() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    // A commit that breaks the mirror, and a valid one to stand in for it.
    let bad = aside(&env, &work, "mirror-mismatch");
    let good = aside(&env, &work, "valid");
    // Neither a side branch nor refs/replace/* is guarded: both pushes are accepted.
    env.git(&work, &["branch", "side", &bad]).ok();
    env.push(&work, &["side"]).ok();
    env.push(&work, &[&format!("{good}:refs/replace/{bad}")])
        .ok();
    // Moving main to the bad commit is judged on the bad commit itself.
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{bad}:refs/heads/main")]);
    assert_declined(
        &run,
        "mirror-mismatch",
        "main moved under a replacement ref",
    );
    assert_eq!(env.state(&server), before);
    // What a consumer gets: a clone never fetches refs/replace/*, so the bad commit's own
    // broken current/ is what Argo CD and Kargo would check out.
    let clone = env.path().join("clone");
    env.git(env.path(), &["clone", "-q", w(&server), w(&clone)])
        .ok();
    let replace_refs = env
        .git(&clone, &["for-each-ref", "refs/replace/"])
        .ok()
        .stdout;
    assert_eq!(replace_refs, "", "a clone fetched replacement refs");
    let current = "warehouses/codeai/freight/current/helm/values.yaml";
    let seen = |rev: &str| {
        env.git(&clone, &["show", &format!("{rev}:{current}")])
            .ok()
            .stdout
    };
    assert_ne!(
        seen(&bad),
        seen(&good),
        "the replacement hid a real difference"
    );

    // The same trick on the trusted policy: main's tip replaced by a commit whose policy
    // allows broken mirrors. The policy still comes from main's real tip.
    env.write(
        &work.join(".freight-guard.yaml"),
        "rules:\n  mirror-mismatch: allow\n",
    );
    env.git(&work, &["add", ".freight-guard.yaml"]).ok();
    env.git(&work, &["commit", "-qm", "A lax policy"]).ok();
    let lax = env.rev(&work, "HEAD");
    env.git(&work, &["reset", "-q", "--hard", &base]).ok();
    let tip = env.rev(&server, "main");
    env.push(&work, &[&format!("{lax}:refs/heads/lax")]).ok();
    env.push(&work, &[&format!("{lax}:refs/replace/{tip}")])
        .ok();
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{bad}:refs/heads/main")]);
    assert_declined(
        &run,
        "mirror-mismatch",
        "policy swapped by a replacement ref",
    );
    assert_eq!(env.state(&server), before);
}

/// A raw tree object of `(mode, name, id)` entries in the order given, written as it is
/// (`git hash-object --literally`: no sorting, no checks). Returns its id.
fn raw_tree(env: &Env, work: &Path, entries: &[TreeLine]) -> String {
    let mut bytes = Vec::new();
    for (mode, name, id) in entries {
        bytes.extend_from_slice(mode.as_bytes());
        bytes.push(b' ');
        bytes.extend_from_slice(name);
        bytes.push(0);
        for i in 0..id.len() / 2 {
            bytes.push(u8::from_str_radix(&id[2 * i..2 * i + 2], 16).expect("hex"));
        }
    }
    let file = env.path().join("object");
    std::fs::write(&file, bytes).expect("write");
    env.git(
        work,
        &["hash-object", "-t", "tree", "--literally", "-w", w(&file)],
    )
    .ok()
    .stdout
    .trim()
    .to_string()
}

/// One tree entry: mode as git writes it, name, object id.
type TreeLine = (String, Vec<u8>, String);

/// The entries of `treeish` as (mode, name, id).
fn ls_tree(env: &Env, work: &Path, treeish: &str) -> Vec<TreeLine> {
    let out = env.git(work, &["ls-tree", "-z", treeish]).ok().stdout;
    out.split('\0')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (meta, name) = l.split_once('\t').expect("tab");
            let mut parts = meta.split(' ');
            // ls-tree shows trees as 040000; git writes 40000.
            let mode = parts
                .next()
                .expect("mode")
                .trim_start_matches('0')
                .to_string();
            let _kind = parts.next();
            let id = parts.next().expect("id").to_string();
            (mode, name.as_bytes().to_vec(), id)
        })
        .collect()
}

/// `commit`'s root tree with the tree at `dir` (a path of directories) replaced by `tree`,
/// parents rewritten with `git mktree`. Returns the new root tree.
fn with_tree_at(env: &Env, work: &Path, commit: &str, dir: &[&str], tree: &str) -> String {
    let Some((last, parents)) = dir.split_last() else {
        return tree.to_string();
    };
    let parent_path = parents.join("/");
    let treeish = if parent_path.is_empty() {
        format!("{commit}^{{tree}}")
    } else {
        format!("{commit}:{parent_path}")
    };
    let entries: Vec<TreeLine> = ls_tree(env, work, &treeish)
        .into_iter()
        .map(|(mode, name, id)| {
            if name == last.as_bytes() {
                (mode, name, tree.to_string())
            } else {
                (mode, name, id)
            }
        })
        .collect();
    let new = raw_tree(env, work, &entries);
    with_tree_at(env, work, commit, parents, &new)
}

/// A release commit by the CI bot with `root` as its tree, on top of `parent`.
fn commit_tree(env: &Env, work: &Path, root: &str, parent: &str) -> String {
    let mut c = env.cmd("git", work);
    c.args(["commit-tree", root, "-p", parent, "-m", "Release codeai"])
        .env("GIT_AUTHOR_NAME", "CI Release Bot")
        .env("GIT_AUTHOR_EMAIL", "ci@example.com")
        .env("GIT_COMMITTER_NAME", "CI Release Bot")
        .env("GIT_COMMITTER_EMAIL", "ci@example.com");
    env.run(c).ok().stdout.trim().to_string()
}

/// What a consumer checks out: `commit` in a fresh clone of `work` at `name`, and how the
/// checkout went.
fn checkout(env: &Env, work: &Path, name: &str, commit: &str) -> (std::path::PathBuf, Run) {
    let clone = env.path().join(name);
    env.git(
        env.path(),
        &["clone", "-q", "--no-checkout", w(work), w(&clone)],
    )
    .ok();
    let run = env.git(&clone, &["checkout", "-q", commit]);
    (clone, run)
}

/// The commit `break.sh CASE` makes on top of the checked-out branch, which is then put back.
fn aside(env: &Env, work: &Path, case: &str) -> String {
    let base = env.rev(work, "HEAD");
    env.breaks(case, work);
    let commit = env.rev(work, "HEAD");
    env.git(work, &["reset", "-q", "--hard", &base]).ok();
    commit
}

const FREIGHT: [&str; 3] = ["warehouses", "codeai", "freight"];

#[test]
fn duplicate_tree_entries_are_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    let broken = aside(&env, &work, "mirror-mismatch");
    let good = aside(&env, &work, "valid");
    // The valid release's freight root, with the broken commit's current/ listed again after
    // the good one: a reader that takes the first sees a perfect mirror.
    let root = FREIGHT.join("/");
    let bad_current = env.rev(&work, &format!("{broken}:{root}/current"));
    let mut entries = ls_tree(&env, &work, &format!("{good}:{root}"));
    let at = entries
        .iter()
        .position(|(_, n, _)| n == b"current")
        .expect("current");
    entries.insert(at + 1, ("40000".into(), b"current".to_vec(), bad_current));
    let doubled = raw_tree(&env, &work, &entries);
    let tree = with_tree_at(&env, &work, &good, &FREIGHT, &doubled);
    let commit = commit_tree(&env, &work, &tree, &base);
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_declined(&run, "duplicate-tree-entry", "two entries named current");
    crate::support::assert_human("duplicate-tree-entry", &run.stderr);
    assert_eq!(env.state(&server), before);
    // What checkout makes of it: the last `current` wins, so Argo CD and Kargo would have got
    // the broken mirror.
    let (clone, checked_out) = checkout(&env, &work, "clone", &commit);
    let file = clone.join(format!("{root}/current/helm/values.yaml"));
    let release_rev = env.current_revision(&work, &good);
    let release_file = env
        .git(
            &work,
            &[
                "show",
                &format!("{good}:{root}/git-{release_rev}/helm/values.yaml"),
            ],
        )
        .ok()
        .stdout;
    let written = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        checked_out.code != 0 || written != release_file,
        "checkout wrote the good mirror; the duplicate would not have mattered"
    );
    // The neighbour: the same release with `current` listed once is accepted.
    env.push(&work, &[&format!("{good}:refs/heads/main")]).ok();
    assert_eq!(env.rev(&server, "main"), good);
}

#[test]
fn entries_git_would_not_write_are_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    let good = aside(&env, &work, "valid");
    let hand = {
        let file = env.path().join("hand.txt");
        std::fs::write(&file, "replicas: 100\n").expect("write");
        env.git(&work, &["hash-object", "-w", w(&file)])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    let path = "warehouses/codeai/freight/current/helm/values.yaml";
    for (what, name, mode) in [
        ("a name with slashes", path.as_bytes(), "100644"),
        ("a .git directory", &b".GIT"[..], "100644"),
        ("an NTFS short name", &b"git~1"[..], "100644"),
        ("a mode git does not write", &b"notes.txt"[..], "100664"),
    ] {
        let mut entries = ls_tree(&env, &work, &format!("{good}^{{tree}}"));
        entries.push((mode.to_string(), name.to_vec(), hand.clone()));
        entries.sort_by(|a, b| a.1.cmp(&b.1));
        let tree = raw_tree(&env, &work, &entries);
        let commit = commit_tree(&env, &work, &tree, &base);
        let before = env.state(&server);
        let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
        assert_declined(&run, "tree-entry-invalid", what);
        assert_eq!(env.state(&server), before, "{what}");
        if name == path.as_bytes() {
            crate::support::assert_human("tree-entry-invalid", &run.stderr);
            // Checkout either refuses the path or writes the hand-made file over the real one.
            let (clone, checked_out) = checkout(&env, &work, "clone-slash", &commit);
            let written = std::fs::read_to_string(clone.join(path)).unwrap_or_default();
            assert!(
                checked_out.code != 0 || written == "replicas: 100\n",
                "checkout ignored the entry: {}",
                checked_out.all()
            );
        }
    }
    // Out of git's order: the same entries, reversed.
    let mut entries = ls_tree(&env, &work, &format!("{good}^{{tree}}"));
    entries.reverse();
    let tree = raw_tree(&env, &work, &entries);
    let commit = commit_tree(&env, &work, &tree, &base);
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_declined(&run, "tree-entry-invalid", "entries out of order");
    // The neighbours stay accepted: the valid release itself.
    env.push(&work, &[&format!("{good}:refs/heads/main")]).ok();
}

#[test]
fn malformed_commit_headers_are_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    env.breaks("valid", &work);
    let good = env.rev(&work, "HEAD");
    let raw = env.git(&work, &["cat-file", "commit", &good]).ok().stdout;
    // A second committer line: which identity is "the" committer depends on the reader.
    let committer = raw
        .lines()
        .find(|l| l.starts_with("committer "))
        .expect("committer")
        .to_string();
    let doubled = raw.replacen(
        &committer,
        &format!("{committer}\ncommitter Kargo <no-reply@kargo.io> 1774180800 +0000"),
        1,
    );
    let file = env.path().join("commit");
    std::fs::write(&file, doubled).expect("write");
    let commit = env
        .git(
            &work,
            &["hash-object", "-t", "commit", "--literally", "-w", w(&file)],
        )
        .ok()
        .stdout
        .trim()
        .to_string();
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_declined(&run, "commit-malformed", "two committer lines");
    crate::support::assert_human("commit-malformed", &run.stderr);
    assert_eq!(env.state(&server), before);
    // A commit gix cannot parse at all (two author lines) is not verified either.
    let unparsable = raw.replacen(
        &committer,
        &format!("author Kargo <no-reply@kargo.io> 1774180800 +0000\n{committer}"),
        1,
    );
    std::fs::write(&file, unparsable).expect("write");
    let commit = env
        .git(
            &work,
            &["hash-object", "-t", "commit", "--literally", "-w", w(&file)],
        )
        .ok()
        .stdout
        .trim()
        .to_string();
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_declined(&run, "read-error", "two author lines");
    assert_eq!(env.state(&server), before);
    // The commit as git wrote it is accepted.
    env.git(&work, &["reset", "-q", "--hard", &base]).ok();
    env.push(&work, &[&format!("{good}:refs/heads/main")]).ok();
}

#[test]
fn a_tree_naming_one_warehouse_many_times_is_rejected_as_malformed() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    let good = aside(&env, &work, "valid");
    let mut entries = ls_tree(&env, &work, &format!("{good}^{{tree}}"));
    let warehouses = entries
        .iter()
        .find(|(_, n, _)| n == b"warehouses")
        .cloned()
        .expect("warehouses");
    for _ in 0..100_000 {
        entries.push(warehouses.clone());
    }
    entries.sort_by(|a, b| a.1.cmp(&b.1));
    let tree = raw_tree(&env, &work, &entries);
    let commit = commit_tree(&env, &work, &tree, &base);
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_declined(&run, "duplicate-tree-entry", "100,000 warehouses");
    assert_eq!(env.state(&server), before);
    // The output stays readable: one finding per duplicated name and kind, not 100,000.
    assert!(
        run.stderr.len() < 100_000,
        "{} bytes of output",
        run.stderr.len()
    );
}

#[test]
fn a_commit_too_large_to_judge_in_time_is_stopped_by_the_deadline() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    let good = aside(&env, &work, "valid");
    // 200,000 warehouses under distinct names, each the valid `codeai` warehouse: a
    // well-formed tree, every release in it valid, too much to judge within a hook's budget.
    let codeai = env.rev(&work, &format!("{good}:warehouses/codeai"));
    let mut entries: Vec<TreeLine> = (0..200_000)
        .map(|i| {
            (
                "40000".to_string(),
                format!("w{i:06}").into_bytes(),
                codeai.clone(),
            )
        })
        .collect();
    entries.extend(ls_tree(&env, &work, &format!("{good}:warehouses")));
    entries.sort_by(|a, b| a.1.cmp(&b.1));
    let warehouses = raw_tree(&env, &work, &entries);
    let tree = with_tree_at(&env, &work, &good, &["warehouses"], &warehouses);
    let commit = commit_tree(&env, &work, &tree, &base);
    let before = env.state(&server);
    // One commit: the deadline is checked inside it, not only between commits.
    let run = env.push_env(
        &work,
        &[&format!("{commit}:refs/heads/main")],
        &[("FREIGHT_GUARD_DEADLINE", "0.5")],
    );
    assert_declined(
        &run,
        "deadline-exceeded",
        "200,000 warehouses in one commit",
    );
    assert_eq!(env.state(&server), before);
}

#[test]
fn many_findings_of_one_rule_give_bounded_reports() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    let good = aside(&env, &work, "valid");
    // 12,000 new release directories, each the valid release under another revision's name:
    // a well-formed tree in which every release's record names another revision.
    let root = FREIGHT.join("/");
    let release = ls_tree(&env, &work, &format!("{good}:{root}"))
        .into_iter()
        .find(|(_, n, _)| n.starts_with(b"git-"))
        .expect("a release")
        .2;
    let mut entries = ls_tree(&env, &work, &format!("{good}:{root}"));
    entries.extend((0..12_000).map(|i| {
        (
            "40000".to_string(),
            format!("git-{i:040x}").into_bytes(),
            release.clone(),
        )
    }));
    entries.sort_by(|a, b| {
        let key = |e: &TreeLine| {
            let mut k = e.1.clone();
            k.push(b'/');
            k
        };
        key(a).cmp(&key(b))
    });
    let tree = raw_tree(&env, &work, &entries);
    let tree = with_tree_at(&env, &work, &good, &FREIGHT, &tree);
    let commit = commit_tree(&env, &work, &tree, &base);
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_declined(&run, "identity-mismatch", "12,000 misnamed releases");
    assert_eq!(env.state(&server), before);
    // The pusher reads a page: 20 findings and a count of the rest, not 12,000 blocks.
    assert!(run.stderr.len() < 50_000, "{} bytes", run.stderr.len());
    assert!(
        run.stderr
            .contains("11980 more `identity-mismatch` finding(s) not shown"),
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(3000)..]
    );
    // JSON lists findings up to its cap and says it cut the list.
    let range = ["check", "--base", &base, "--head", &commit];
    let json = env.fg(&work, &[&["--format", "json"][..], &range].concat(), "");
    assert_eq!(json.code, 1, "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    assert_eq!(doc["truncated"], true);
    assert_eq!(doc["findings"].as_array().map(Vec::len), Some(10_000));
    assert!(
        doc["findings_total"].as_u64().is_some_and(|n| n >= 12_000),
        "{}",
        doc["findings_total"]
    );
    // SARIF: at most 20 results per rule, and a notification for the rest.
    let sarif = env.fg(&work, &[&["--format", "sarif"][..], &range].concat(), "");
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("one SARIF log");
    let results = doc["runs"][0]["results"].as_array().expect("results");
    let mismatches = results
        .iter()
        .filter(|r| r["ruleId"] == "identity-mismatch")
        .count();
    assert_eq!(mismatches, 20);
    let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(notes.contains("11980 more `identity-mismatch`"), "{notes}");
}

#[test]
fn symlinks_that_leave_a_release_are_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let root = "warehouses/codeai/freight";
    let old_release = env
        .git(&work, &["ls-tree", "--name-only", &format!("HEAD:{root}")])
        .ok()
        .stdout
        .lines()
        .find(|n| n.starts_with("git-"))
        .expect("a release")
        .to_string();
    let base = env.rev(&work, "HEAD");
    env.breaks("valid", &work);
    let rev = env.current_revision(&work, "HEAD");
    // The same link in the new release and in current/ (so the mirror holds): once pointing
    // inside the directory (fine), once into another release (not).
    let link = |target: &str| {
        for dir in [format!("git-{rev}"), "current".to_string()] {
            let path = work.join(format!("{root}/{dir}/helm/extra.yaml"));
            let _ = std::fs::remove_file(&path);
            std::os::unix::fs::symlink(target, &path).expect("symlink");
        }
        env.git(&work, &["add", "-A"]).ok();
        env.git(&work, &["commit", "-q", "--amend", "--no-edit"])
            .ok();
        env.rev(&work, "HEAD")
    };
    let inside = link("values.yaml");
    env.push(&work, &[&format!("{inside}:refs/heads/main")])
        .ok();
    // The same release made again with the link pointing out, pushed instead of it (the
    // server's main put back by hand: a force push would also drop the accepted commit).
    env.git(&server, &["update-ref", "refs/heads/main", &base])
        .ok();
    let outside = link(&format!("../../{old_release}/helm/values.yaml"));
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{outside}:refs/heads/main")]);
    assert_declined(&run, "symlink-escapes", "a link into another release");
    crate::support::assert_human("symlink-escapes", &run.stderr);
    assert_eq!(env.state(&server), before);
    // What checkout makes of it: the release reads another release's file.
    let (clone, checked_out) = checkout(&env, &work, "clone", &outside);
    checked_out.ok();
    let through = std::fs::read_to_string(clone.join(format!("{root}/git-{rev}/helm/extra.yaml")))
        .expect("read through the link");
    let other =
        std::fs::read_to_string(clone.join(format!("{root}/{old_release}/helm/values.yaml")))
            .expect("the other release");
    assert_eq!(through, other);
    // `pre-commit --worktree` says the same about the files on disk.
    let run = env.fg(&work, &["pre-commit", "--worktree"], "");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("symlink-escapes"), "{}", run.stderr);
}

#[test]
fn a_flood_of_stray_entries_gives_bounded_output() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    let good = aside(&env, &work, "valid");
    // The valid release's freight root with 100,000 stray files (a well-formed tree).
    let blob = env
        .git(
            &work,
            &[
                "rev-parse",
                &format!("{good}:{}/current/freight.yaml", FREIGHT.join("/")),
            ],
        )
        .ok()
        .stdout
        .trim()
        .to_string();
    let mut entries = ls_tree(&env, &work, &format!("{good}:{}", FREIGHT.join("/")));
    for i in 0..100_000 {
        entries.push((
            "100644".into(),
            format!("notes-{i:06}.txt").into_bytes(),
            blob.clone(),
        ));
    }
    entries.sort_by(|a, b| {
        let key = |e: &TreeLine| {
            let mut k = e.1.clone();
            if e.0 == "40000" {
                k.push(b'/');
            }
            k
        };
        key(a).cmp(&key(b))
    });
    let root = raw_tree(&env, &work, &entries);
    let tree = with_tree_at(&env, &work, &good, &FREIGHT, &root);
    let commit = commit_tree(&env, &work, &tree, &base);
    // unexpected-entry warns by default: the push is accepted, with a page of warnings.
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_eq!(run.code, 0, "{}", &run.all()[..run.all().len().min(4000)]);
    assert!(
        run.stderr.len() < 20_000,
        "{} bytes of output",
        run.stderr.len()
    );
    assert!(
        run.stderr.contains("99981 more"),
        "{}",
        &run.stderr[..run.stderr.len().min(4000)]
    );
    assert_eq!(env.rev(&server, "main"), commit);
}

#[test]
fn a_symlink_on_the_path_of_the_freight_roots_is_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    // The neighbour: a symlink off the freight roots' path is nobody's business.
    std::os::unix::fs::symlink("codeai", work.join("apps/current-app")).expect("symlink");
    env.git(&work, &["add", "-A"]).ok();
    env.git(&work, &["commit", "-qm", "A link among the apps"])
        .ok();
    env.push(&work, &["HEAD:main"]).ok();
    // The warehouse moves elsewhere and `warehouses/codeai` becomes a link to it: freight-guard
    // would find no freight root, while checkout follows the link to unjudged releases.
    env.git(&work, &["mv", "warehouses/codeai", "elsewhere"])
        .ok();
    std::os::unix::fs::symlink("../elsewhere", work.join("warehouses/codeai")).expect("symlink");
    env.git(&work, &["add", "-A"]).ok();
    env.git(
        &work,
        &["commit", "-qm", "Move the warehouse behind a link"],
    )
    .ok();
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:main"]);
    assert_declined(&run, "freight-path-symlink", "a warehouse behind a symlink");
    crate::support::assert_human("freight-path-symlink", &run.stderr);
    assert_eq!(env.state(&server), before);
    // The files on disk say the same.
    let run = env.fg(&work, &["pre-commit", "--worktree"], "");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("freight-path-symlink"),
        "{}",
        run.stderr
    );
    // What checkout gives: the releases, through the link.
    let clone = env.path().join("clone");
    env.git(env.path(), &["clone", "-q", w(&work), w(&clone)])
        .ok();
    assert!(
        clone
            .join("warehouses/codeai/freight/current/freight.yaml")
            .is_file()
    );
}

/// Commit everything in `work` with `message` (as the platform engineer) and return the id.
fn commit_all(env: &Env, work: &Path, message: &str) -> String {
    env.git(work, &["add", "-A"]).ok();
    env.git(work, &["commit", "-qm", message]).ok();
    env.rev(work, "HEAD")
}

/// The bytes `git checkout` writes for `path` at `commit`, in a fresh clone of `work`.
fn checked_out(env: &Env, work: &Path, name: &str, commit: &str, path: &str) -> Vec<u8> {
    let (clone, run) = checkout(env, work, name, commit);
    run.ok();
    std::fs::read(clone.join(path)).expect("checked-out file")
}

#[test]
fn gitattributes_that_check_out_current_unlike_its_release_are_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let root = FREIGHT.join("/");
    // The reference repository's Git LFS line, added after releases were written: accepted.
    env.write(
        &work.join(".gitattributes"),
        "*.tgz filter=lfs diff=lfs merge=lfs -text\n",
    );
    let lfs = commit_all(&env, &work, "Track chart archives with Git LFS");
    env.push(&work, &[&format!("{lfs}:refs/heads/main")]).ok();
    // A release written under it, with an archive that the filter applies to on both sides.
    env.breaks("valid", &work);
    let rev = env.current_revision(&work, "HEAD");
    for dir in [format!("git-{rev}"), "current".to_string()] {
        env.write(
            &work.join(format!("{root}/{dir}/helm/chart.tgz")),
            "archive\n",
        );
    }
    env.git(&work, &["add", "-A"]).ok();
    env.git(&work, &["commit", "-q", "--amend", "--no-edit"])
        .ok();
    let good = env.rev(&work, "HEAD");
    env.push(&work, &[&format!("{good}:refs/heads/main")]).ok();
    // The next release, with a setting that converts `current/` only.
    env.breaks("valid", &work);
    let rev = env.current_revision(&work, "HEAD");
    env.append(&work.join(".gitattributes"), "**/current/** eol=crlf\n");
    env.git(&work, &["add", "-A"]).ok();
    env.git(&work, &["commit", "-q", "--amend", "--no-edit"])
        .ok();
    let bad = env.rev(&work, "HEAD");
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{bad}:refs/heads/main")]);
    assert_declined(&run, "checkout-attributes", "eol=crlf on current/ only");
    assert!(run.stderr.contains("helm/values.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("**/current/**"), "{}", run.stderr);
    crate::support::assert_human("checkout-attributes", &run.stderr);
    assert_eq!(env.state(&server), before);
    // What checkout makes of it: equal trees, different files.
    assert_eq!(
        env.rev(&work, &format!("{bad}:{root}/current")),
        env.rev(&work, &format!("{bad}:{root}/git-{rev}"))
    );
    let current = checked_out(
        &env,
        &work,
        "c1",
        &bad,
        &format!("{root}/current/helm/values.yaml"),
    );
    let release = checked_out(
        &env,
        &work,
        "c2",
        &bad,
        &format!("{root}/git-{rev}/helm/values.yaml"),
    );
    assert_ne!(current, release);
    assert!(current.windows(2).any(|w| w == b"\r\n"));
}

#[test]
fn gitattributes_that_change_how_a_release_checks_out_are_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let root = FREIGHT.join("/");
    let old_release = env
        .git(&work, &["ls-tree", "--name-only", &format!("HEAD:{root}")])
        .ok()
        .stdout
        .lines()
        .find(|n| n.starts_with("git-"))
        .expect("a release")
        .to_string();
    let file = format!("{root}/{old_release}/helm/values.yaml");
    let base = env.rev(&work, "HEAD");
    // A setting added later that applies to every YAML file alike: the mirror holds, but each
    // release written before is now checked out in another encoding.
    let server = env.server(&work);
    env.write(
        &work.join(".gitattributes"),
        "*.yaml working-tree-encoding=UTF-16\n",
    );
    env.git(&work, &["add", ".gitattributes"]).ok();
    env.git(&work, &["commit", "-qm", "Encode manifests"]).ok();
    let bad = env.rev(&work, "HEAD");
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{bad}:refs/heads/main")]);
    assert_declined(&run, "checkout-attributes", "a later working-tree-encoding");
    assert!(run.stderr.contains(&old_release), "{}", run.stderr);
    assert!(
        run.stderr.contains("working-tree-encoding=UTF-16"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
    assert_ne!(
        checked_out(&env, &work, "c1", &base, &file),
        checked_out(&env, &work, "c2", &bad, &file)
    );

    // The neighbour: the same setting, there before the release was written and applying to
    // the release and `current/` alike, is accepted.
    let env = Env::new();
    let fresh = env.gitops("fresh", &[]);
    env.write(&fresh.join(".gitattributes"), "*.yaml eol=crlf\n");
    commit_all(&env, &fresh, "Windows line endings for manifests");
    env.server(&fresh);
    env.breaks("valid", &fresh);
    let release = env.rev(&fresh, "HEAD");
    env.push(&fresh, &[&format!("{release}:refs/heads/main")])
        .ok();
}

#[test]
fn a_tree_nested_thirty_thousand_levels_deep_is_a_finding_not_a_crash() {
    let env = Env::new();
    // git refuses to pack trees nested over `core.maxTreeDepth` (4096) since 2.44; an older
    // git, or a hand-made pack, has no such limit: both sides here lift it.
    let client = env.path().join("client.git");
    let server = env.path().join("server.git");
    for repo in [&client, &server] {
        env.git(env.path(), &["init", "-q", "--bare", w(repo)]).ok();
        env.git(repo, &["config", "core.maxTreeDepth", "1000000"])
            .ok();
    }
    crate::support::install_hook(&server.join("hooks"), "pre-receive");
    let path = vec!["a"; 30_000].join("/") + "/f";
    let mut script = String::new();
    for branch in ["main", "stage/staging"] {
        script.push_str(&format!(
            "commit refs/heads/{branch}\ncommitter Kargo <no-reply@kargo.io> 1775044800 +0000\ndata 4\ndeep\nM 100644 inline {path}\ndata 2\nx\n\n"
        ));
    }
    let input = env.path().join("import");
    std::fs::write(&input, script).expect("write");
    let mut c = env.cmd("git", &client);
    c.args(["fast-import", "--quiet"])
        .stdin(std::fs::File::open(&input).expect("open"));
    env.run(c).ok();
    for branch in ["main", "stage/staging"] {
        let before = env.state(&server);
        let mut c = env.cmd("git", &client);
        c.args(["push", w(&server), branch]);
        let run = env.run(c);
        assert_declined(
            &run,
            "tree-entry-invalid",
            &format!("30,000 levels on {branch}"),
        );
        assert!(
            run.stderr.contains("nested more than 4096 levels"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("overflow"), "{}", run.stderr);
        assert_eq!(env.state(&server), before);
    }
}

#[test]
fn a_second_policy_file_in_one_tree_is_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    let blob = |text: &str| {
        let file = env.path().join("policy");
        std::fs::write(&file, text).expect("write");
        env.git(&work, &["hash-object", "-w", w(&file)])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    // freight-guard would read the first; checkout writes the second, which the next push
    // would be judged by.
    let strict = blob("rules:\n  unexpected-entry: deny\n");
    let lax = blob("rules:\n  mirror-mismatch: allow\n");
    let mut entries = ls_tree(&env, &work, &format!("{base}^{{tree}}"));
    entries.retain(|(_, n, _)| n != b".freight-guard.yaml");
    entries.push(("100644".into(), b".freight-guard.yaml".to_vec(), strict));
    entries.push(("100644".into(), b".freight-guard.yaml".to_vec(), lax));
    entries.sort_by(|a, b| a.1.cmp(&b.1)); // stable: the two keep their order
    let tree = raw_tree(&env, &work, &entries);
    let commit = commit_tree(&env, &work, &tree, &base);
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_declined(&run, "duplicate-tree-entry", "two policy files");
    assert!(run.stderr.contains(".freight-guard.yaml"), "{}", run.stderr);
    assert_eq!(env.state(&server), before);
    let (clone, checked_out) = checkout(&env, &work, "clone", &commit);
    checked_out.ok();
    let text = std::fs::read_to_string(clone.join(".freight-guard.yaml")).expect("policy");
    assert!(text.contains("mirror-mismatch: allow"), "{text}");
}

#[test]
fn a_file_entry_naming_a_tree_is_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    let good = aside(&env, &work, "valid");
    let rev = env.current_revision(&work, &good);
    let root = FREIGHT.join("/");
    // The valid release with `helm/templates` listed as a file (100644) naming a new tree, in
    // the release and in current/ alike: the mirror holds, and no clone can check it out.
    let templates = env.rev(&work, &format!("{good}:{root}/current/helm/templates"));
    let mut inner = ls_tree(&env, &work, &templates);
    let extra = env
        .git(&work, &["hash-object", "-w", "--stdin"])
        .ok()
        .stdout
        .trim()
        .to_string();
    inner.push(("100644".into(), b"zz.yaml".to_vec(), extra));
    let new_templates = raw_tree(&env, &work, &inner);
    let helm: Vec<TreeLine> = ls_tree(&env, &work, &format!("{good}:{root}/current/helm"))
        .into_iter()
        .map(|(mode, name, id)| {
            if name == b"templates" {
                ("100644".to_string(), name, new_templates.clone())
            } else {
                (mode, name, id)
            }
        })
        .collect();
    let helm = raw_tree(&env, &work, &helm);
    let mut tree = String::new();
    for dir in ["current".to_string(), format!("git-{rev}")] {
        let at: Vec<&str> = FREIGHT
            .iter()
            .copied()
            .chain([dir.as_str(), "helm"])
            .collect();
        let commit_so_far = if tree.is_empty() {
            good.clone()
        } else {
            commit_tree(&env, &work, &tree, &base)
        };
        tree = with_tree_at(&env, &work, &commit_so_far, &at, &helm);
    }
    let commit = commit_tree(&env, &work, &tree, &base);
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_declined(&run, "tree-entry-invalid", "a file entry naming a tree");
    assert!(
        run.stderr.contains("naming a tree object"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
    // What a consumer gets: a checkout that fails.
    let (_, checked_out) = checkout(&env, &work, "clone", &commit);
    assert!(
        checked_out.all().contains("unable to read"),
        "{}",
        checked_out.all()
    );
}

#[test]
fn a_file_in_front_of_unchanged_entries_of_its_name_is_a_duplicate() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    // `apps.md` next to the directory `apps/`, accepted.
    env.write(&work.join("apps.md"), "notes\n");
    let notes = commit_all(&env, &work, "Notes on the apps");
    env.push(&work, &[&format!("{notes}:refs/heads/main")]).ok();
    // A file `apps` added in front of them: `apps.md` and `apps/` are unchanged from the
    // parent, and git order keeps the file and the directory apart.
    let blob = env
        .git(&work, &["hash-object", "-w", "--stdin"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let mut entries = ls_tree(&env, &work, &format!("{notes}^{{tree}}"));
    let at = entries
        .iter()
        .position(|(_, n, _)| n == b"apps.md")
        .expect("apps.md");
    entries.insert(at, ("100644".into(), b"apps".to_vec(), blob));
    let tree = raw_tree(&env, &work, &entries);
    let commit = commit_tree(&env, &work, &tree, &notes);
    let before = env.state(&server);
    let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
    assert_declined(
        &run,
        "duplicate-tree-entry",
        "a file `apps` and a directory `apps`",
    );
    assert!(
        run.stderr.contains("both a file and a directory"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
    // git's own fsck calls it the same.
    let fsck = env.git(&work, &["fsck", "--no-dangling"]);
    assert!(fsck.all().contains("duplicateEntries"), "{}", fsck.all());
}

#[test]
fn identities_git_fsck_refuses_are_rejected() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let base = env.rev(&work, "HEAD");
    let good = aside(&env, &work, "valid");
    let raw = env.git(&work, &["cat-file", "commit", &good]).ok().stdout;
    let date = raw
        .lines()
        .find(|l| l.starts_with("author "))
        .and_then(|l| l.split(' ').rev().nth(1))
        .expect("author date")
        .to_string();
    for (what, from, to) in [
        (
            "no space before the email",
            "CI Release Bot <".to_string(),
            "CI Release Bot<",
        ),
        (
            "`<` inside the email",
            "<ci@example.com>".to_string(),
            "<ci@ex<ample.com>",
        ),
        (
            "a date past time_t",
            format!("> {date} "),
            "> 99999999999999999999 ",
        ),
    ] {
        let from = from.as_str();
        assert!(raw.contains(from), "{raw}");
        let file = env.path().join("commit");
        std::fs::write(&file, raw.replacen(from, to, 1)).expect("write");
        let commit = env
            .git(
                &work,
                &["hash-object", "-t", "commit", "--literally", "-w", w(&file)],
            )
            .ok()
            .stdout
            .trim()
            .to_string();
        let before = env.state(&server);
        let run = env.push(&work, &[&format!("{commit}:refs/heads/main")]);
        assert_declined(&run, "commit-malformed", what);
        assert_eq!(env.state(&server), before);
        // git's own fsck refuses it, and so does every consumer that checks what it fetches.
        env.git(&work, &["update-ref", "refs/heads/probe", &commit])
            .ok();
        let fsck = env.git(&work, &["fsck", "--no-dangling"]);
        assert!(!fsck.all().is_empty(), "git fsck accepts {what}");
        env.git(&work, &["update-ref", "-d", "refs/heads/probe"])
            .ok();
    }
    let _ = base;
}
