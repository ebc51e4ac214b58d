//! The rendered-branch contract through real `git push`es into a bare server with the
//! pre-receive hook: Kargo's stage branches, the production review flow, pushers, and both
//! reference layouts with the example policies from `docs/policies/`.

use std::path::{Path, PathBuf};

use crate::support::{Env, assert_declined, root};

const KARGO: &str = "Kargo <no-reply@kargo.io>";
const ENGINEER: &str = "Platform Engineer <platform@example.com>";
const IMAGE: &str = "ghcr.io/code-dot-org/code-dot-org";

fn example_policy(name: &str) -> String {
    root()
        .join("docs/policies")
        .join(name)
        .to_str()
        .expect("utf-8")
        .to_string()
}

/// A repository with a few releases on `main`, its server, and `stage/staging` created by Kargo.
fn staged(env: &Env) -> (PathBuf, PathBuf) {
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let w = work.to_str().expect("utf-8");
    env.kargo_create(&work, "stage/staging");
    env.kargo(&["render", w, "stage/staging"]);
    env.push(&work, &["stage/staging"]).ok();
    (work, server)
}

/// A repository whose server has `stage/production` created by Kargo and one proposal merged
/// into it by the forge (a merge commit), each pushed through the hook.
fn reviewed(env: &Env) -> (PathBuf, PathBuf) {
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let wt = w(&work);
    env.kargo_create(&work, "stage/production");
    let p1 = env.kargo(&["propose", wt]);
    env.push(&work, &[&p1]).ok();
    env.kargo(&["merge", wt, &p1]);
    let run = env.push(&work, &["stage/production"]).ok();
    assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);
    (work, server)
}

/// A new release on `main` and the review Stage's proposal of it, both pushed: what happens
/// between two production promotions.
fn propose_next_release(env: &Env, work: &Path) -> String {
    env.breaks("valid", work);
    env.push(work, &["HEAD:main"]).ok();
    let proposal = env.kargo(&["propose", w(work)]);
    env.push(work, &[&proposal]).ok();
    proposal
}

fn w(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

#[test]
fn kargo_creates_and_promotes_stage_branches() {
    let env = Env::new();
    let (work, server) = staged(&env);
    assert_eq!(
        env.rev(&server, "stage/staging"),
        env.rev(&work, "stage/staging")
    );
    // A new release on main, then its promotion.
    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    env.kargo(&["render", w(&work), "stage/staging"]);
    let run = env.push(&work, &["stage/staging"]).ok();
    assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);
    // Another stage, created the same way: Kargo's `Initial commit` alone, then the render.
    env.kargo_create(&work, "stage/test");
    env.kargo(&["render", w(&work), "stage/test"]);
    env.push(&work, &["stage/test"]).ok();
    assert_eq!(env.rev(&server, "stage/test"), env.rev(&work, "stage/test"));
    // A release and its promotion in one push: the freight is checked against main after it.
    env.breaks("valid", &work);
    env.kargo(&["render", w(&work), "stage/staging"]);
    env.push(&work, &["HEAD:main", "stage/staging"]).ok();
    // The same promotion without the release is unknown freight.
    env.breaks("valid", &work);
    env.kargo(&["render", w(&work), "stage/staging"]);
    let run = env.push(&work, &["stage/staging"]);
    assert_declined(&run, "unknown-freight", "promotion before its release");
}

#[test]
fn required_trailers_follow_git_trailer_rules() {
    let env = Env::new();
    let (work, server) = staged(&env);
    let policy = env.path().join("policy.yaml");
    env.write(
        &policy,
        "rendered:\n  trailers: {Kargo-Promotion: '^production\\.[0-9A-Z]+$'}\n",
    );
    let vars = [("FREIGHT_GUARD_CONFIG", w(&policy))];
    let rev = env.current_revision(&work, "main");
    let subject = format!("Render staging from git-{rev} [skip ci]");
    // A trailer block (the last paragraph; tokens compare case-insensitively).
    let good = format!(
        "{subject}\n\nRendered for the staging stage.\n\nkargo-promotion: production.01ABC\nSigned-off-by: Kargo <no-reply@kargo.io>"
    );
    // The same line inside the body is not a trailer.
    let bad = format!(
        "{subject}\n\nKargo-Promotion: production.01ABC\n\nRendered for the staging stage."
    );
    env.kargo(&["render", w(&work), "stage/staging", "--message", &bad]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_declined(&run, "missing-trailer", "trailer in the body");
    let tip = env.rev(&server, "stage/staging");
    env.git(&work, &["update-ref", "refs/heads/stage/staging", &tip])
        .ok();
    env.kargo(&["render", w(&work), "stage/staging", "--message", &good]);
    env.push_env(&work, &["stage/staging"], &vars).ok();
}

#[test]
fn kargo_merge_commit_on_a_stage_branch_is_accepted() {
    let env = Env::new();
    let (work, server) = staged(&env);
    let base = env.rev(&work, "stage/staging");
    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    // Another promotion moved the branch while this one rendered on the old tip.
    env.kargo(&["render", w(&work), "stage/staging"]);
    env.push(&work, &["stage/staging"]).ok();
    env.kargo(&[
        "render",
        w(&work),
        "kargo-local",
        "--stage",
        "staging",
        "--parent",
        &base,
    ]);
    let merge = env.kargo(&["kargo-merge", w(&work), "stage/staging", "kargo-local"]);
    let run = env.push(&work, &["stage/staging"]).ok();
    assert!(run.stderr.contains("2 commit(s) judged"), "{}", run.stderr);
    assert_eq!(env.rev(&server, "stage/staging"), merge);
}

#[test]
fn main_history_cannot_become_or_feed_a_stage_branch() {
    let env = Env::new();
    let (work, server) = staged(&env);
    let before = env.state(&server);
    // main's history, pushed as a new stage branch: every commit is judged.
    let run = env.push(&work, &["main:refs/heads/stage/test"]);
    assert_declined(&run, "foreign-author", "main as a stage branch");
    assert!(run.stderr.contains("CI Release Bot"), "{}", run.stderr);
    // A Kargo-looking commit on top of main.
    env.kargo(&["render", w(&work), "stage/test", "--parent", "main"]);
    let run = env.push(&work, &["stage/test"]);
    assert_declined(&run, "foreign-committer", "Kargo commit on main");
    assert_eq!(env.state(&server), before, "server changed");
}

/// One way to break the rendered contract: the policy (server-side file), the rule, and how to
/// make the push. Each case starts from `stage/staging` as Kargo created it.
struct Case {
    rule: &'static str,
    policy: &'static str,
    make: fn(&Env, &Path) -> Vec<String>,
    vars: &'static [(&'static str, &'static str)],
}

fn render(env: &Env, work: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["render", w(work), "stage/staging"];
    args.extend_from_slice(extra);
    env.kargo(&args);
    vec!["stage/staging".into()]
}

const CASES: &[Case] = &[
    Case {
        rule: "foreign-author",
        policy: "",
        make: |env, work| render(env, work, &["--author", ENGINEER]),
        vars: &[],
    },
    Case {
        rule: "foreign-committer",
        policy: "",
        make: |env, work| render(env, work, &["--identity", ENGINEER, "--author", KARGO]),
        vars: &[],
    },
    Case {
        rule: "message-mismatch",
        policy: "rendered:\n  message: '^Render (?P<stage>\\S+) from (?P<tag>git-[0-9a-f]{40}) \\[skip ci\\]$'\n",
        make: |env, work| render(env, work, &["--message", "Hotfix staging manifests"]),
        vars: &[],
    },
    Case {
        rule: "missing-trailer",
        policy: "rendered:\n  trailers: {Kargo-Promotion: '^[a-z0-9.-]+$'}\n",
        make: |env, work| render(env, work, &["--allow-empty"]),
        vars: &[],
    },
    Case {
        rule: "path-outside-render",
        policy: "rendered:\n  paths: [manifests.yaml]\n",
        make: |env, work| render(env, work, &["--extra", "notes/hand-edit.txt"]),
        vars: &[],
    },
    Case {
        rule: "merge-not-allowed",
        policy: "rendered:\n  merges: false\n",
        make: |env, work| {
            let base = env.rev(work, "stage/staging");
            env.kargo(&["render", w(work), "stage/staging", "--allow-empty"]);
            env.kargo(&[
                "render",
                w(work),
                "kargo-local",
                "--stage",
                "staging",
                "--parent",
                &base,
                "--allow-empty",
            ]);
            env.kargo(&["kargo-merge", w(work), "stage/staging", "kargo-local"]);
            vec!["stage/staging".into()]
        },
        vars: &[],
    },
    Case {
        rule: "non-fast-forward",
        policy: "",
        make: |env, work| {
            render(env, work, &["--orphan"]);
            vec!["+stage/staging".into()]
        },
        vars: &[],
    },
    Case {
        rule: "branch-deleted",
        policy: "",
        make: |_, _| vec![":stage/staging".into()],
        vars: &[],
    },
    Case {
        rule: "unauthorized-pusher",
        policy: "rendered:\n  pushers: [kargo-bot]\n",
        make: |env, work| render(env, work, &["--allow-empty"]),
        vars: &[("GITEA_PUSHER_NAME", "mallory")],
    },
    Case {
        rule: "unknown-freight",
        policy: "",
        make: |env, work| {
            render(
                env,
                work,
                &["--revision", "1111111111111111111111111111111111111111"],
            )
        },
        vars: &[],
    },
    Case {
        rule: "pairing-mismatch",
        policy: "rendered:\n  images: [ghcr.io/code-dot-org/code-dot-org]\n",
        make: |env, work| {
            // The message names the released freight; the manifests carry another tag.
            let message = format!(
                "Render staging from git-{} [skip ci]",
                env.current_revision(work, "main")
            );
            render(
                env,
                work,
                &[
                    "--image-tag",
                    "git-2222222222222222222222222222222222222222",
                    "--message",
                    &message,
                ],
            )
        },
        vars: &[],
    },
];

#[test]
fn each_rendered_rule_rejects_and_leaves_the_server_unchanged() {
    let env = Env::new();
    let (work, server) = staged(&env);
    let tip = env.rev(&work, "stage/staging");
    for (i, case) in CASES.iter().enumerate() {
        env.git(&work, &["update-ref", "refs/heads/stage/staging", &tip])
            .ok();
        let _ = env.git(&work, &["update-ref", "-d", "refs/heads/kargo-local"]);
        let policy = env.path().join(format!("policy-{i}.yaml"));
        env.write(&policy, case.policy);
        let args = (case.make)(&env, &work);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut vars = vec![("FREIGHT_GUARD_CONFIG", w(&policy))];
        vars.extend_from_slice(case.vars);
        let before = env.state(&server);
        let run = env.push_env(&work, &args, &vars);
        assert_declined(&run, case.rule, case.rule);
        if !CASES[..i].iter().any(|c| c.rule == case.rule) {
            crate::support::assert_human(case.rule, &run.stderr);
        }
        assert_eq!(env.state(&server), before, "{}: server changed", case.rule);
    }
}

#[test]
fn common_case_layout_with_its_example_policy() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let policy = example_policy("common-case.yaml");
    let vars = [("FREIGHT_GUARD_CONFIG", policy.as_str())];
    let rev = "5555555555555555555555555555555555555555";
    let render_common = |extra: &[&str]| {
        let mut args = vec![
            "render",
            w(&work),
            "stage/staging",
            "--design",
            "common",
            "--revision",
            rev,
        ];
        args.extend_from_slice(extra);
        env.kargo(&args);
    };
    // freight: none, so a revision with no release directory is fine.
    env.kargo_create_env(&work, "stage/staging", &vars);
    render_common(&[]);
    let run = env.push_env(&work, &["stage/staging"], &vars).ok();
    assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);
    let tip = env.rev(&work, "stage/staging");
    // An app image with another tag in the rendered manifests than the message names.
    let other = "git-6666666666666666666666666666666666666666";
    let named = format!("Render staging for {rev} with git-{rev}");
    render_common(&["--image-tag", other, "--message", &named]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_declined(&run, "pairing-mismatch", "image tag");
    assert!(
        run.stderr.contains(&format!("{IMAGE}:{other}")),
        "{}",
        run.stderr
    );
    // The message names a revision and a tag that do not pair.
    let msg = format!("Render staging for {rev} with {other}");
    render_common(&["--image-tag", other, "--message", &msg]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_declined(&run, "pairing-mismatch", "revision and tag disagree");
    assert!(
        run.stderr.contains(&format!("must be git-{rev}")),
        "{}",
        run.stderr
    );
    // Other spellings of the same repository, and a manifest behind a symlink.
    let reset = || {
        env.git(&work, &["update-ref", "refs/heads/stage/staging", &tip])
            .ok();
    };
    for (what, extra) in [
        (
            "registry host in capitals",
            &[
                "--image-repo",
                "GHCR.IO/code-dot-org/code-dot-org",
                "--image-tag",
                "latest",
            ][..],
        ),
        (
            "registry's default port",
            &[
                "--image-repo",
                "ghcr.io:443/code-dot-org/code-dot-org",
                "--image-tag",
                "latest",
            ][..],
        ),
        (
            "symlinked manifest",
            &["--link", "--image-tag", "latest"][..],
        ),
    ] {
        reset();
        render_common(&[extra, &["--message", &named]].concat());
        let run = env.push_env(&work, &["stage/staging"], &vars);
        assert_declined(&run, "pairing-mismatch", what);
    }
    // Kargo's merge after a concurrent promotion (of another freight) is accepted; a merge
    // that writes an image of its own is not.
    reset();
    render_common(&["--revision", "6767676767676767676767676767676767676767"]);
    env.push_env(&work, &["stage/staging"], &vars).ok();
    let local = |name: &str| {
        env.kargo(&[
            "render",
            w(&work),
            name,
            "--design",
            "common",
            "--stage",
            "staging",
            "--revision",
            "7878787878787878787878787878787878787878",
            "--parent",
            &tip,
        ]);
    };
    let promoted = env.rev(&work, "stage/staging");
    local("kargo-evil");
    env.kargo(&[
        "kargo-merge",
        w(&work),
        "stage/staging",
        "kargo-evil",
        "--image-tag",
        "latest",
    ]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_declined(&run, "pairing-mismatch", "evil merge");
    assert!(run.stderr.contains("neither parent"), "{}", run.stderr);
    env.git(
        &work,
        &["update-ref", "refs/heads/stage/staging", &promoted],
    )
    .ok();
    local("kargo-local");
    env.kargo(&["kargo-merge", w(&work), "stage/staging", "kargo-local"]);
    env.push_env(&work, &["stage/staging"], &vars).ok();
    let tip = env.rev(&work, "stage/staging");
    // Output outside apps/codeai/deployments/<d>/deploy/.
    env.git(&work, &["update-ref", "refs/heads/stage/staging", &tip])
        .ok();
    render_common(&["--extra", "apps/codeai/deployments/staging/values.yaml"]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_declined(&run, "path-outside-render", "outside deploy/");
    assert_eq!(env.rev(&server, "stage/staging"), tip);
}

#[test]
fn source_snapshot_layout_with_its_example_policy() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    env.server(&work);
    let policy = example_policy("source-snapshot.yaml");
    let vars = [("FREIGHT_GUARD_CONFIG", policy.as_str())];
    env.kargo_create_env(&work, "stage/staging", &vars);
    env.kargo(&["render", w(&work), "stage/staging"]);
    let run = env.push_env(&work, &["stage/staging"], &vars).ok();
    assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);
    // The common-case message does not fit this design.
    let rev = "7777777777777777777777777777777777777777";
    env.kargo(&[
        "render",
        w(&work),
        "stage/staging",
        "--message",
        &format!("Render staging for {rev} with git-{rev}"),
    ]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_declined(&run, "message-mismatch", "common-case message");
}

#[test]
fn production_changes_only_by_merging_a_reviewed_proposal() {
    let env = Env::new();
    // Kargo creates the review branch, proposes, and the forge merges with a merge commit.
    let (work, server) = reviewed(&env);
    let wt = w(&work);
    // Next release: squash merge.
    let p2 = propose_next_release(&env, &work);
    env.kargo(&["merge", wt, &p2, "--squash"]);
    env.push(&work, &["stage/production"]).ok();
    // Next release: fast-forward. Anyone who can push could make it, so it takes the
    // platform's word that the forge merged the pull request.
    let p3 = propose_next_release(&env, &work);
    env.kargo(&["merge", wt, &p3, "--ff"]);
    let before_ff = env.state(&server);
    let run = env.push(&work, &["stage/production"]);
    assert_declined(&run, "review-bypassed", "a fast-forward nobody vouches for");
    assert!(
        run.stderr.contains("fast-forwarded to the proposal commit"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before_ff);
    let run = env.push_env(
        &work,
        &["stage/production"],
        &[("GITHUB_VIA", "git refs update api")],
    );
    assert_declined(&run, "review-bypassed", "GITHUB_VIA of a plain ref update");
    // Each forge's word for its own merge (GitHub Enterprise Server, GitLab, Gitea/Forgejo).
    let old_tip = env.rev(&server, "stage/production");
    for vars in [
        &[("GITHUB_VIA", "pull request merge api")][..],
        &[("GL_PROTOCOL", "web")],
        &[("GITEA_PR_ID", "7")],
    ] {
        env.git(
            &server,
            &["update-ref", "refs/heads/stage/production", &old_tip],
        )
        .ok();
        let run = env.push_env(&work, &["stage/production"], vars);
        assert_eq!(run.code, 0, "{vars:?}: {}", run.all());
        assert_eq!(env.rev(&server, "stage/production"), env.rev(&work, &p3));
    }
    // Or the policy opts in, for a forge that merges by fast-forward and cannot say so.
    env.git(
        &server,
        &["update-ref", "refs/heads/stage/production", &old_tip],
    )
    .ok();
    let policy = env.path().join("fast-forward.yaml");
    env.write(&policy, "rendered:\n  fast_forward: true\n");
    env.push_env(
        &work,
        &["stage/production"],
        &[("FREIGHT_GUARD_CONFIG", w(&policy))],
    )
    .ok();
    assert_eq!(env.rev(&server, "stage/production"), env.rev(&work, &p3));

    let tip = env.rev(&work, "stage/production");
    let before = env.state(&server);
    let reset = || {
        env.git(&work, &["update-ref", "refs/heads/stage/production", &tip])
            .ok();
    };
    // A merge whose tree was edited after review.
    env.breaks("valid", &work);
    let p4 = env.kargo(&["propose", wt]);
    let run = env.push(&work, &[&p4, "HEAD:main"]).ok();
    assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);
    let before_merges = env.state(&server);
    env.kargo(&["merge", wt, &p4, "--edit"]);
    let run = env.push(&work, &["stage/production"]);
    assert_declined(&run, "merge-altered", "edited merge");
    crate::support::assert_human("merge-altered", &run.stderr);
    reset();
    env.kargo(&["merge", wt, &p4, "--squash", "--edit"]);
    let run = env.push(&work, &["stage/production"]);
    assert_declined(&run, "merge-altered", "edited squash");
    // The renderer pushing straight to production.
    reset();
    env.kargo(&["render", wt, "stage/production"]);
    let run = env.push(&work, &["stage/production"]);
    assert_declined(&run, "review-bypassed", "direct render");
    crate::support::assert_human("review-bypassed", &run.stderr);
    // A merge of a commit that is on no proposal branch.
    reset();
    env.kargo(&[
        "render",
        wt,
        "unreviewed",
        "--stage",
        "production",
        "--parent",
        &tip,
    ]);
    env.kargo(&["merge", wt, "unreviewed"]);
    let run = env.push(&work, &["stage/production"]);
    assert_declined(&run, "review-bypassed", "unreviewed merge");
    assert!(
        run.stderr.contains("on no proposal branch"),
        "{}",
        run.stderr
    );
    // A proposal and its merge in the same push: the proposal was never open for review.
    reset();
    let p5 = env.kargo(&["propose", wt]);
    env.kargo(&["merge", wt, &p5]);
    let run = env.push(&work, &[&p5, "stage/production"]);
    assert_declined(&run, "review-bypassed", "proposal merged in its own push");
    assert_eq!(env.state(&server), before_merges, "server changed");
    assert_ne!(before, before_merges);
}

#[test]
fn proposals_are_judged_on_top_of_the_review_branch() {
    let env = Env::new();
    let (work, _server) = reviewed(&env);
    let wt = w(&work);
    // The forge's merge commit is on stage/production, so a new proposal (of the next
    // release) does not carry it.
    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    let p2 = env.kargo(&["propose", wt]);
    let run = env.push(&work, &[&p2]).ok();
    assert!(run.stderr.contains("1 commit(s) judged"), "{}", run.stderr);
    // A proposal by someone else.
    let p3 = env.kargo(&["propose", wt, "--identity", ENGINEER]);
    let run = env.push(&work, &[&p3]);
    assert_declined(&run, "foreign-author", "human proposal");
    // A proposal whose freight was never released.
    let p4 = env.kargo(&[
        "propose",
        wt,
        "--revision",
        "8888888888888888888888888888888888888888",
    ]);
    let run = env.push(&work, &[&p4]);
    assert_declined(&run, "unknown-freight", "unreleased freight");
}

#[test]
fn check_judges_a_proposal_pull_request() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let wt = w(&work);
    env.kargo(&["init", wt, "stage/production"]);
    let good = env.kargo(&["propose", wt]);
    let bad = env.kargo(&["propose", wt, "--author", ENGINEER]);
    let base = env.rev(&work, "stage/production");
    for (proposal, code) in [(&good, 0), (&bad, 1)] {
        let head = env.rev(&work, proposal);
        let ref_name = format!("refs/heads/{proposal}");
        let run = env.fg(
            &work,
            &[
                "--format", "json", "check", "--base", &base, "--head", &head, "--ref", &ref_name,
            ],
            "",
        );
        assert_eq!(run.code, code, "{proposal}:\n{}", run.all());
        if code == 1 {
            assert!(run.stdout.contains("\"foreign-author\""), "{}", run.stdout);
            assert!(run.stdout.contains(&ref_name), "{}", run.stdout);
        }
    }
    // The same pull request judged as the review branch's update: a proposal commit is a
    // fast-forward; a render that is on no proposal branch bypasses review.
    let unproposed = env.kargo(&[
        "render",
        wt,
        "unproposed",
        "--stage",
        "production",
        "--parent",
        &base,
    ]);
    for (head, code) in [(env.rev(&work, &good), 0), (unproposed, 1)] {
        let run = env.fg(
            &work,
            &[
                "check",
                "--base",
                &base,
                "--head",
                &head,
                "--ref",
                "refs/heads/stage/production",
            ],
            "",
        );
        assert_eq!(run.code, code, "{head}:\n{}", run.all());
        if code == 1 {
            assert!(run.stderr.contains("review-bypassed"), "{}", run.stderr);
        }
    }
}

#[test]
fn pushers_from_each_platform() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    // A policy file holding only `rendered.pushers`: every other key keeps its default.
    env.write(
        &work.join(".freight-guard.yaml"),
        "rendered:\n  pushers: [kargo-bot, user-42]\n",
    );
    env.git(&work, &["add", ".freight-guard.yaml"]).ok();
    env.git(&work, &["commit", "-q", "-m", "Restrict rendered pushers"])
        .ok();
    env.push(&work, &["HEAD:main"]).ok();
    let wt = w(&work);
    let platforms: &[&[(&str, &str)]] = &[
        &[("GITHUB_USER_LOGIN", "kargo-bot"), ("GITHUB_VIA", "git")],
        &[("GL_USERNAME", "kargo-bot"), ("GL_ID", "user-42")],
        &[("GL_ID", "user-42")],
        &[("GITEA_PUSHER_NAME", "kargo-bot")],
        &[("GL_USER", "kargo-bot")],
        &[("REMOTE_USER", "kargo-bot")],
    ];
    env.kargo_create_env(&work, "stage/staging", platforms[0]);
    for vars in platforms {
        // One promotion per platform (the same freight again, so the commit is asked for).
        env.kargo(&["render", wt, "stage/staging", "--allow-empty"]);
        let before = env.state(&server);
        // The same variable naming someone else.
        let other: Vec<(&str, &str)> = vars
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if k.starts_with("GITHUB_VIA") {
                        *v
                    } else {
                        "mallory"
                    },
                )
            })
            .collect();
        let run = env.push_env(&work, &["stage/staging"], &other);
        assert_declined(&run, "unauthorized-pusher", vars[0].0);
        assert!(run.stderr.contains("mallory"), "{}", run.stderr);
        assert_eq!(env.state(&server), before);
        let run = env.push_env(&work, &["stage/staging"], vars);
        assert_eq!(run.code, 0, "{vars:?}:\n{}", run.all());
    }
    // No platform variable at all.
    env.kargo(&["render", wt, "stage/staging", "--allow-empty"]);
    let run = env.push(&work, &["stage/staging"]);
    assert_declined(&run, "unauthorized-pusher", "no variable");
    assert!(
        run.stderr.contains("did not say who pushed"),
        "{}",
        run.stderr
    );
    // Everything else is still enforced: the renderer identity and the snapshot contract.
    env.kargo(&["render", wt, "stage/staging", "--author", ENGINEER]);
    let run = env.push_env(&work, &["stage/staging"], &[("GL_USER", "kargo-bot")]);
    assert_declined(
        &run,
        "foreign-author",
        "identity under a pushers-only policy",
    );
    env.breaks("mirror-mismatch", &work);
    let run = env.push(&work, &["HEAD:main"]);
    assert_declined(
        &run,
        "mirror-mismatch",
        "snapshot under a pushers-only policy",
    );
}

#[test]
fn pushers_are_not_enforced_when_the_list_is_empty() {
    let env = Env::new();
    let (work, _server) = staged(&env);
    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    env.kargo(&["render", w(&work), "stage/staging"]);
    env.push(&work, &["stage/staging"]).ok();
}

#[test]
fn one_bad_ref_rejects_the_whole_push_and_every_finding_is_reported() {
    let env = Env::new();
    let (work, server) = staged(&env);
    let main_tip = env.rev(&work, "HEAD");
    let before = env.state(&server);
    // Good main, bad stage branch.
    env.breaks("valid", &work);
    env.kargo(&["render", w(&work), "stage/staging", "--author", ENGINEER]);
    let run = env.push(&work, &["HEAD:main", "stage/staging"]);
    assert_declined(&run, "foreign-author", "bad stage");
    assert_eq!(env.state(&server), before, "server changed");
    // Both bad: each finding is reported.
    env.git(&work, &["reset", "-q", "--hard", &main_tip]).ok();
    env.breaks("mirror-mismatch", &work);
    let run = env.push(&work, &["HEAD:main", "stage/staging"]);
    assert_declined(&run, "foreign-author", "both bad");
    assert!(run.stderr.contains("mirror-mismatch"), "{}", run.stderr);
    assert!(run.stderr.contains("refs/heads/main"), "{}", run.stderr);
    assert!(
        run.stderr.contains("refs/heads/stage/staging"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before, "server changed");
}

#[test]
fn audit_and_pre_push_judge_rendered_branches() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    env.server(&work);
    let wt = w(&work);
    env.kargo(&["init", wt, "stage/staging"]);
    env.kargo(&["render", wt, "stage/staging"]);
    env.kargo(&["init", wt, "stage/production"]);
    let p1 = env.kargo(&["propose", wt]);
    env.kargo(&["merge", wt, &p1]);
    let run = env.fg(&work, &["audit"], "").ok();
    assert!(
        run.stderr.contains("audit of 4 branch(es)"),
        "{}",
        run.stderr
    );
    // A hand-made commit on a stage branch shows up in the audit and stops the local push.
    env.kargo(&["render", wt, "stage/staging", "--identity", ENGINEER]);
    let run = env.fg(&work, &["audit"], "");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("foreign-committer"), "{}", run.stderr);
    crate::support::install_hook(&work.join(".git/hooks"), "pre-push");
    let run = env.push(&work, &["stage/staging"]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("foreign-committer"), "{}", run.stderr);
    assert!(!run.stderr.contains("pre-receive"), "{}", run.stderr);
}

#[test]
fn freight_is_known_alike_for_a_few_promotions_and_for_many() {
    // The first promotions look their release up in main's freight root; after 16 distinct
    // names every release name is read into a set. Both must give the same answers.
    let env = Env::new();
    let work = env.gitops("work", &["--releases", "24"]);
    let wt = w(&work);
    let listing = env
        .git(
            &work,
            &["ls-tree", "--name-only", "HEAD:warehouses/codeai/freight"],
        )
        .ok()
        .stdout;
    let revs: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.strip_prefix("git-"))
        .collect();
    assert!(revs.len() >= 22, "{listing}");
    let unknown = |i: usize| format!("{i:02}{}", "ab".repeat(19));
    let mut expected = Vec::new();
    env.kargo(&["init", wt, "stage/staging"]);
    for (i, rev) in revs.iter().take(22).enumerate() {
        // An unknown release among the names looked up one by one, and among the later ones.
        let rev = if i == 2 || i == 20 {
            unknown(i)
        } else {
            rev.to_string()
        };
        let commit = env.kargo(&["render", wt, "stage/staging", "--revision", &rev]);
        if i == 2 || i == 20 {
            expected.push(commit);
        }
    }
    let run = env.fg(
        &work,
        &["--format", "json", "audit", "--ref", "stage/*"],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.all()));
    let mut found: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            assert_eq!(f["rule"], "unknown-freight", "{f}");
            f["commit"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn kargo_initial_commit_is_accepted_only_as_the_first_commit_of_a_new_branch() {
    let env = Env::new();
    let (work, server) = staged(&env);
    let wt = w(&work);
    // Kargo's shape, on every class of branch: stage, review and proposal.
    for branch in [
        "stage/test",
        "stage/production",
        "kargo/promotion/review-infra-changes.01ABCDEFGHJKMNPQRSTVWXYZ00.abcdef1",
    ] {
        env.kargo(&["init", wt, branch]);
        let run = env.push(&work, &[branch]).ok();
        assert!(
            run.stderr.contains("freight-guard: ok"),
            "{branch}: {}",
            run.stderr
        );
    }
    // A proposal holding nothing but an Initial commit cannot empty production: merged, the
    // proposal commit lands on the review branch and is judged by the renderer rules.
    let proposal = "kargo/promotion/review-infra-changes.01ABCDEFGHJKMNPQRSTVWXYZ00.abcdef1";
    let p1 = env.kargo(&["propose", wt]);
    env.push(&work, &[&p1]).ok();
    env.kargo(&["merge", wt, &p1]);
    env.push(&work, &["stage/production"]).ok();
    env.kargo(&["merge", wt, proposal]);
    let before = env.state(&server);
    let run = env.push(&work, &["stage/production"]);
    assert_declined(&run, "unknown-freight", "a merged empty proposal");
    assert_eq!(env.state(&server), before);
    // The same commit brought into an existing branch by a merge is not a branch creation.
    let initial = env.rev(&work, "stage/test");
    let tip = env.rev(&work, "stage/staging");
    let mut c = env.cmd("git", &work);
    c.args([
        "commit-tree",
        &format!("{tip}^{{tree}}"),
        "-p",
        &tip,
        "-p",
        &initial,
        "-m",
        "Merge remote-tracking branch 'origin/stage/staging' into stage/staging",
    ])
    .env("GIT_AUTHOR_NAME", "Kargo")
    .env("GIT_AUTHOR_EMAIL", "no-reply@kargo.io")
    .env("GIT_COMMITTER_NAME", "Kargo")
    .env("GIT_COMMITTER_EMAIL", "no-reply@kargo.io");
    let merge = env.run(c).ok().stdout.trim().to_string();
    env.git(&work, &["update-ref", "refs/heads/stage/staging", &merge])
        .ok();
    // A new root with `Initial commit` and the empty tree, but under the branch's old history.
    let before = env.state(&server);
    let run = env.push(&work, &["stage/staging"]);
    assert_declined(
        &run,
        "unknown-freight",
        "an Initial commit merged into a branch",
    );
    assert!(
        run.stderr.contains(&format!("commit: {initial}")),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
    // A branch created by pushing an Initial commit on top of another commit.
    env.git(&work, &["update-ref", "refs/heads/stage/staging", &tip])
        .ok();
    let mut c = env.cmd("git", &work);
    c.args([
        "commit-tree",
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "-p",
        &tip,
        "-m",
        "Initial commit",
    ])
    .env("GIT_AUTHOR_NAME", "Kargo")
    .env("GIT_AUTHOR_EMAIL", "no-reply@kargo.io")
    .env("GIT_COMMITTER_NAME", "Kargo")
    .env("GIT_COMMITTER_EMAIL", "no-reply@kargo.io");
    let child = env.run(c).ok().stdout.trim().to_string();
    let run = env.push(&work, &[&format!("{child}:refs/heads/stage/levelbuilder")]);
    assert_declined(&run, "unknown-freight", "an Initial commit with a parent");
    assert_eq!(env.state(&server), before);
}

#[test]
fn image_pairing_looks_only_at_manifest_files() {
    let env = Env::new();
    let (work, server) = staged(&env);
    let policy = env.path().join("policy.yaml");
    env.write(
        &policy,
        "rendered:\n  images: [ghcr.io/code-dot-org/code-dot-org]\n",
    );
    let vars = [("FREIGHT_GUARD_CONFIG", w(&policy))];
    let base = env.rev(&work, "stage/staging");
    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    let render = env.kargo(&["render", w(&work), "stage/staging"]);
    // The render plus a symlink named `link`: `bin/tool` (not a manifest) or `tool.yaml` (one).
    let with_link = |link: &str| -> String {
        let index = env.path().join("index.tmp");
        let _ = std::fs::remove_file(&index);
        let git = |args: &[&str]| {
            let mut c = env.cmd("git", &work);
            c.args(args).env("GIT_INDEX_FILE", &index);
            env.run(c).ok().stdout.trim().to_string()
        };
        git(&["read-tree", &render]);
        let mut c = env.cmd("git", &work);
        c.args(["hash-object", "-w", "--stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = c.spawn().expect("git");
        {
            use std::io::Write;
            let mut input = child.stdin.take().expect("stdin");
            input.write_all(b"../manifests.yaml").expect("write");
        }
        let blob = String::from_utf8(child.wait_with_output().expect("git").stdout)
            .expect("utf-8")
            .trim()
            .to_string();
        git(&[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("120000,{blob},{link}"),
        ]);
        let tree = git(&["write-tree"]);
        let subject = git(&["log", "-1", "--format=%s", &render]);
        let mut c = env.cmd("git", &work);
        c.args(["commit-tree", &tree, "-p", &base, "-m", &subject])
            .env("GIT_AUTHOR_NAME", "Kargo")
            .env("GIT_AUTHOR_EMAIL", "no-reply@kargo.io")
            .env("GIT_COMMITTER_NAME", "Kargo")
            .env("GIT_COMMITTER_EMAIL", "no-reply@kargo.io");
        env.run(c).ok().stdout.trim().to_string()
    };
    let yaml_link = with_link("tool.yaml");
    let run = env.push_env(
        &work,
        &[&format!("{yaml_link}:refs/heads/stage/staging")],
        &vars,
    );
    assert_declined(&run, "pairing-mismatch", "a symlinked manifest");
    let tool = with_link("bin/tool");
    let run = env.push_env(&work, &[&format!("{tool}:refs/heads/stage/staging")], &vars);
    assert_eq!(
        run.code,
        0,
        "a symlink that is not a manifest:\n{}",
        run.all()
    );
    assert_eq!(env.rev(&server, "stage/staging"), tool);
}

#[test]
fn identities_are_literal_but_for_the_star() {
    let env = Env::new();
    let (work, server) = staged(&env);
    let bot = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>";
    let policy = env.path().join("policy.yaml");
    env.write(
        &policy,
        &format!("rendered:\n  renderer: ['{bot}', 'Kargo <*@kargo.io>']\n"),
    );
    let vars = [("FREIGHT_GUARD_CONFIG", w(&policy))];
    let tip = env.rev(&work, "stage/staging");
    // The real CI identity, pasted as it is, matches itself.
    env.kargo(&["render", w(&work), "stage/staging", "--identity", bot]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_eq!(run.code, 0, "{}", run.all());
    // `[bot]` is not a character class: `github-actionsb` is someone else.
    let lookalike = "github-actionsb <41898282+github-actionsb@users.noreply.github.com>";
    env.kargo(&["render", w(&work), "stage/staging", "--identity", lookalike]);
    let before = env.state(&server);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_declined(&run, "foreign-author", "a look-alike of the CI identity");
    assert!(run.stderr.contains(bot), "{}", run.stderr);
    assert_eq!(env.state(&server), before);
    // `*` is still a wildcard.
    env.git(
        &work,
        &[
            "update-ref",
            "refs/heads/stage/staging",
            &env.rev(&server, "stage/staging"),
        ],
    )
    .ok();
    env.kargo(&[
        "render",
        w(&work),
        "stage/staging",
        "--identity",
        "Kargo <promoter@kargo.io>",
    ]);
    let run = env.push_env(&work, &["stage/staging"], &vars);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_ne!(env.rev(&server, "stage/staging"), tip);
}

#[test]
fn audit_is_clean_while_a_proposal_holding_earlier_merges_waits_for_review() {
    let env = Env::new();
    // stage/production with a proposal merged by a merge commit, then one squashed.
    let (work, server) = reviewed(&env);
    let wt = w(&work);
    let p2 = propose_next_release(&env, &work);
    env.kargo(&["merge", wt, &p2, "--squash"]);
    env.push(&work, &["stage/production"]).ok();
    // The next proposal is made from stage/production's tip: it holds both forge commits.
    let p3 = propose_next_release(&env, &work);
    let run = env.fg(&server, &["--format", "json", "audit"], "");
    assert_eq!(run.code, 0, "{}", run.all());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(report["findings"], serde_json::json!([]), "{}", run.stdout);
    // A forge merge that is not what was proposed is still found.
    env.kargo(&["merge", wt, &p3, "--edit"]);
    // Written into the server without a push (and so without the hook), as a later audit
    // finds what went around it.
    env.git(
        &server,
        &[
            "fetch",
            "-q",
            wt,
            "+refs/heads/stage/production:refs/heads/stage/production",
        ],
    )
    .ok();
    let run = env.fg(&server, &["audit"], "");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("merge-altered"), "{}", run.stderr);
}

#[test]
fn a_render_that_changes_how_its_manifests_check_out_is_rejected() {
    let env = Env::new();
    let (work, server) = staged(&env);
    let wt = w(&work);
    let before_change = env.rev(&work, "stage/staging");
    // Git LFS's line for chart archives: content-addressed, accepted.
    env.kargo(&[
        "render",
        wt,
        "stage/staging",
        "--attributes",
        "*.tgz filter=lfs diff=lfs merge=lfs -text",
    ]);
    env.push(&work, &["stage/staging"]).ok();
    // A commit with Kargo's identity and message that re-encodes the manifests on checkout:
    // the reviewed diff shows one unchanged manifest, Argo CD would read UTF-16.
    let lfs = env.rev(&work, "stage/staging");
    env.kargo(&[
        "render",
        wt,
        "stage/staging",
        "--attributes",
        "*.yaml working-tree-encoding=UTF-16",
    ]);
    let bad = env.rev(&work, "stage/staging");
    let before = env.state(&server);
    let run = env.push(&work, &["stage/staging"]);
    assert_declined(&run, "checkout-attributes", "a re-encoding render");
    assert!(
        run.stderr
            .contains("manifests.yaml: was no setting, now `working-tree-encoding=UTF-16`"),
        "{}",
        run.stderr
    );
    assert_eq!(env.state(&server), before);
    assert_eq!(
        env.rev(&work, &format!("{lfs}:manifests.yaml")),
        env.rev(&work, &format!("{bad}:manifests.yaml"))
    );
    let read = |name: &str, commit: &str| {
        let clone = env.path().join(name);
        env.git(env.path(), &["clone", "-q", "--no-checkout", wt, w(&clone)])
            .ok();
        env.git(&clone, &["checkout", "-q", commit]).ok();
        std::fs::read(clone.join("manifests.yaml")).expect("manifests")
    };
    assert_ne!(read("c1", &lfs), read("c2", &bad));
    let _ = before_change;
}
