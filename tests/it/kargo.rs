//! Real Kargo, end to end: what the reference Stage definitions in `fixtures/kargo-reference/`
//! make Kargo push (branch creation with its `Initial commit`, renders, proposals named after
//! the review Stage) and what the forge does with the proposals, replayed through real pushes
//! into a bare server with the pre-receive hook, under the defaults and the example policies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{Env, Run, assert_declined, root};

const ENGINEER: &str = "Platform Engineer <platform@example.com>";

fn w(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

/// The two reference designs: the fixture directory, `kargo.sh --design`, the example policy.
const DESIGNS: [(&str, &str, &str); 2] = [
    ("source-snapshot", "snapshot", "source-snapshot.yaml"),
    ("common-case", "common", "common-case.yaml"),
];

fn example_policy(name: &str) -> String {
    w(&root().join("docs/policies").join(name)).to_string()
}

// --- The Stage definitions, read as Kargo reads them -----------------------------------------

/// Where a Stage's `git-push` step pushes.
#[derive(Debug, PartialEq)]
enum Push {
    /// `targetBranch`, or the branch checked out at the pushed path.
    Branch(String),
    /// `generateTargetBranch: true`: `kargo/promotion/<promotion>`, the Promotion being named
    /// `<stage>.<ulid>.<short freight hash>`.
    Generated,
}

/// What one Stage's promotion template makes Kargo do to the GitOps repository.
#[derive(Debug)]
struct Stage {
    name: String,
    /// Branches checked out with `create: true`, by checkout path.
    created: BTreeMap<String, String>,
    /// The `git-commit` message template and the path it commits.
    commit: Option<(String, String)>,
    push: Option<Push>,
    /// The `git-open-pr` title template and its target branch.
    pull_request: Option<(String, String)>,
}

/// Evaluate the Kargo expressions of `template` for the freight `rev` (an app commit, and the
/// release or image tag `git-<rev>`), as Kargo's expression language does. An expression this
/// function does not know fails the test: the Stages must not drift from what is checked.
fn evaluate(template: &str, vars: &BTreeMap<String, String>, rev: &str) -> String {
    let tag = format!("git-{rev}");
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed expression in {template}"));
        let expr = rest[start + 3..start + end].trim();
        let value = if let Some(var) = expr.strip_prefix("vars.") {
            vars.get(var)
                .unwrap_or_else(|| panic!("no var {var} for {template}"))
                .clone()
        } else {
            match expr {
                "outputs['freight'].releaseTag" => tag.clone(),
                "outputs['freight'].revision" => rev.to_string(),
                "commitFrom(vars.sourceRepo).ID" => rev.to_string(),
                "imageFrom(vars.imageRepo).Tag" => tag.clone(),
                other => panic!("an expression the test does not know: {other} (in {template})"),
            }
        };
        out.push_str(&value);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn stages(design: &str) -> Vec<Stage> {
    let dir = root()
        .join("fixtures/kargo-reference")
        .join(design)
        .join("apps/kargo-project-codeai/stages");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("stages")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("stage");
        let yaml: serde_json::Value = serde_saphyr::from_str(&text).expect("stage YAML");
        let name = yaml["metadata"]["name"].as_str().expect("name").to_string();
        let spec = &yaml["spec"]["promotionTemplate"]["spec"];
        let mut vars = BTreeMap::new();
        for v in spec["vars"].as_array().into_iter().flatten() {
            vars.insert(
                v["name"].as_str().expect("var name").to_string(),
                v["value"].as_str().expect("var value").to_string(),
            );
        }
        // Only the commit-free parts are evaluated here; freight expressions wait for a rev.
        let plain = |t: &str| evaluate(t, &vars, "0");
        let mut stage = Stage {
            name,
            created: BTreeMap::new(),
            commit: None,
            push: None,
            pull_request: None,
        };
        let mut checkouts = BTreeMap::new();
        for step in spec["steps"].as_array().into_iter().flatten() {
            let config = &step["config"];
            match step["uses"].as_str().unwrap_or_default() {
                "git-clone" => {
                    for c in config["checkout"].as_array().into_iter().flatten() {
                        if let (Some(branch), Some(path)) =
                            (c["branch"].as_str(), c["path"].as_str())
                        {
                            checkouts.insert(path.to_string(), plain(branch));
                            if c["create"].as_bool() == Some(true) {
                                stage.created.insert(path.to_string(), plain(branch));
                            }
                        }
                    }
                }
                "git-commit" => {
                    stage.commit = Some((
                        config["message"].as_str().expect("message").to_string(),
                        config["path"].as_str().expect("path").to_string(),
                    ));
                }
                "git-push" => {
                    stage.push = Some(if config["generateTargetBranch"].as_bool() == Some(true) {
                        Push::Generated
                    } else if let Some(target) = config["targetBranch"].as_str() {
                        Push::Branch(plain(target))
                    } else {
                        let path = config["path"].as_str().expect("push path");
                        Push::Branch(checkouts.get(path).expect("pushed checkout").clone())
                    });
                }
                "git-open-pr" => {
                    stage.pull_request = Some((
                        config["title"].as_str().expect("title").to_string(),
                        plain(config["targetBranch"].as_str().expect("target")),
                    ));
                }
                _ => {}
            }
        }
        // Keep the message template with its vars filled in, freight expressions left.
        if let Some((message, path)) = &stage.commit {
            let mut filled = message.clone();
            for (k, v) in &vars {
                filled = filled.replace(&format!("${{{{ vars.{k} }}}}"), v);
            }
            stage.commit = Some((filled, path.clone()));
        }
        out.push(stage);
    }
    out
}

#[test]
fn the_example_policies_accept_what_the_reference_stages_push() {
    for (design, flag, policy) in DESIGNS {
        let env = Env::new();
        let work = env.gitops("work", &[]);
        let server = env.server(&work);
        let config = example_policy(policy);
        let vars = [("FREIGHT_GUARD_CONFIG", config.as_str())];
        let rev = env.current_revision(&work, "main");
        let all = stages(design);
        let committing: Vec<&Stage> = all.iter().filter(|s| s.commit.is_some()).collect();
        assert!(committing.len() >= 4, "{design}: {all:?}");
        let mut proposals = 0;
        for stage in committing {
            let what = format!("{design} Stage {}", stage.name);
            let (template, path) = stage.commit.as_ref().expect("commit");
            // The branch the Stage renders on; Kargo creates it with its `Initial commit`.
            let branch = stage.created.get(path).unwrap_or_else(|| {
                panic!("{what}: the committed checkout {path} is not created by git-clone")
            });
            if env
                .git(&server, &["rev-parse", "-q", "--verify", branch])
                .code
                != 0
            {
                env.kargo_create_env(&work, branch, &vars);
            }
            let expected = evaluate(template, &BTreeMap::new(), &rev);
            let expected = expected.trim_end();
            match stage.push.as_ref().expect("git-push") {
                Push::Branch(target) => {
                    assert_eq!(target, branch, "{what}");
                    let a = [
                        "render",
                        w(&work),
                        branch,
                        "--stage",
                        &stage.name,
                        "--design",
                        flag,
                        "--revision",
                        &rev,
                    ];
                    let commit = env.kargo_env(&a, &vars);
                    let subject = env.git(&work, &["log", "-1", "--format=%B", &commit]).ok();
                    assert_eq!(
                        subject.stdout.trim_end(),
                        expected,
                        "{what}: kargo.sh drifted"
                    );
                    let run = env.push_env(&work, &[target], &vars);
                    assert_eq!(run.code, 0, "{what}:\n{}", run.all());
                }
                Push::Generated => {
                    // `propose` names the review Stage; the branch and the deployment come
                    // from the Stage's vars.
                    let a = [
                        "propose",
                        w(&work),
                        &stage.name,
                        "--design",
                        flag,
                        "--revision",
                        &rev,
                    ];
                    let proposal = env.kargo_env(&a, &vars);
                    let prefix = format!("kargo/promotion/{}.", stage.name);
                    assert!(proposal.starts_with(&prefix), "{what}: {proposal}");
                    let message = env
                        .git(&work, &["log", "-1", "--format=%B", &proposal])
                        .ok();
                    assert_eq!(
                        message.stdout.trim_end(),
                        expected,
                        "{what}: kargo.sh drifted"
                    );
                    let run = env.push_env(&work, &[&proposal], &vars);
                    assert_eq!(run.code, 0, "{what}: the proposal:\n{}", run.all());
                    let (title, target) = stage.pull_request.as_ref().expect("git-open-pr");
                    assert_eq!(target, branch, "{what}");
                    let title = evaluate(title, &BTreeMap::new(), &rev);
                    // The forge merges the pull request: a merge commit the first time, a
                    // squash the next, each carrying the title Kargo gave the pull request.
                    let squash = proposals % 2 == 1;
                    let mut merge = vec!["merge", w(&work), &proposal];
                    if squash {
                        merge.push("--squash");
                    }
                    let tip = env.kargo(&merge);
                    let body = env.git(&work, &["log", "-1", "--format=%B", &tip]).ok();
                    assert!(body.stdout.contains(&title), "{what}: {}", body.stdout);
                    let run = env.push_env(&work, &[target], &vars);
                    assert_eq!(run.code, 0, "{what}: the merge:\n{}", run.all());
                    proposals += 1;
                }
            }
        }
        assert_eq!(proposals, 1, "{design}: one review Stage");
        let run = env.fg(&server, &["--config", &config, "audit"], "");
        assert_eq!(run.code, 0, "{design}: audit:\n{}", run.all());
    }
}

// --- A whole Kargo life cycle ---------------------------------------------------------------

/// One repository and its guarded server, judged under one policy (`None`: the defaults).
struct Life<'e> {
    env: &'e Env,
    work: PathBuf,
    server: PathBuf,
    config: Option<String>,
    /// `kargo.sh --design`.
    design: &'static str,
}

impl Life<'_> {
    fn vars(&self) -> Vec<(&str, &str)> {
        self.config
            .as_deref()
            .map(|c| ("FREIGHT_GUARD_CONFIG", c))
            .into_iter()
            .collect()
    }

    fn label(&self) -> String {
        format!(
            "{} design under {}",
            self.design,
            self.config.as_deref().unwrap_or("the defaults")
        )
    }

    fn push(&self, args: &[&str]) -> Run {
        self.env.push_env(&self.work, args, &self.vars())
    }

    fn accept(&self, args: &[&str], what: &str) {
        let run = self.push(args);
        assert_eq!(run.code, 0, "{}: {what}:\n{}", self.label(), run.all());
        assert!(
            run.stderr.contains("freight-guard: ok") || run.stderr.contains("up-to-date"),
            "{}: {what}:\n{}",
            self.label(),
            run.all()
        );
    }

    /// The push is declined naming `rule`; the server is unchanged and the local refs are put
    /// back as they were.
    fn refuse(&self, args: &[&str], rule: &str, what: &str) {
        let before = self.env.state(&self.server);
        let run = self.push(args);
        assert_declined(&run, rule, &format!("{}: {what}", self.label()));
        assert_eq!(
            self.env.state(&self.server),
            before,
            "{}: {what}",
            self.label()
        );
        self.env
            .git(&self.work, &["fetch", "-q", "--prune", "origin"])
            .ok();
        let refs = self
            .env
            .git(
                &self.work,
                &["for-each-ref", "--format=%(refname)", "refs/heads/"],
            )
            .ok()
            .stdout;
        for name in refs.lines() {
            let short = &name["refs/heads/".len()..];
            if short == "main" {
                continue;
            }
            let remote = format!("refs/remotes/origin/{short}");
            let on_server = self
                .env
                .git(&self.work, &["rev-parse", "-q", "--verify", &remote]);
            if on_server.code == 0 {
                self.env
                    .git(&self.work, &["update-ref", name, on_server.stdout.trim()])
                    .ok();
            } else {
                self.env.git(&self.work, &["update-ref", "-d", name]).ok();
            }
        }
        let main = self.env.rev(&self.work, "origin/main");
        self.env
            .git(&self.work, &["reset", "-q", "--hard", &main])
            .ok();
    }

    fn kargo(&self, args: &[&str]) -> String {
        self.env.kargo_env(args, &self.vars())
    }

    /// `kargo.sh COMMAND WORK ARGS --design D --revision <main's current release>`.
    fn kargo_freight(&self, command: &str, args: &[&str]) -> String {
        let rev = self.env.current_revision(&self.work, "main");
        let mut all = vec![command, w(&self.work)];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--design", self.design, "--revision", &rev]);
        self.kargo(&all)
    }

    fn render(&self, branch: &str, extra: &[&str]) -> String {
        let mut args = vec![branch];
        args.extend_from_slice(extra);
        self.kargo_freight("render", &args)
    }

    fn propose(&self) -> String {
        let proposal = self.kargo_freight("propose", &[]);
        assert!(
            proposal.starts_with("kargo/promotion/review-infra-changes."),
            "{proposal}"
        );
        proposal
    }

    /// A new release on `main`.
    fn release(&self) {
        self.env.breaks("valid", &self.work);
        self.accept(&["HEAD:main"], "a release");
    }

    /// The rule an `Initial commit` of the wrong shape breaks under this policy: with no
    /// message pattern, it names no freight.
    fn shape_rule(&self) -> &'static str {
        if self.config.is_some() {
            "message-mismatch"
        } else {
            "unknown-freight"
        }
    }
}

/// The life cycle, with the tampered variant of each step tried (and refused) before the real
/// step is pushed.
fn life_cycle(env: &Env, design: &'static str, config: Option<String>) {
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    let life = Life {
        env,
        work,
        server,
        config,
        design,
    };
    let wt = w(&life.work).to_string();
    let wt = wt.as_str();

    // Three stages, each created by Kargo's `Initial commit` pushed on its own, then rendered.
    for (i, stage) in ["staging", "test", "levelbuilder"].into_iter().enumerate() {
        let branch = format!("stage/{stage}");
        if i == 0 {
            life.kargo(&["init", wt, &branch, "--identity", ENGINEER]);
            life.refuse(
                &[&branch],
                "foreign-author",
                "an Initial commit by a person",
            );
            life.kargo(&["init", wt, &branch, "--message", "Create stage branch"]);
            life.refuse(
                &[&branch],
                life.shape_rule(),
                "an empty root with another message",
            );
            life.kargo(&["init", wt, &branch, "--file", "manifests.yaml"]);
            life.refuse(&[&branch], life.shape_rule(), "a non-empty Initial commit");
        }
        life.kargo(&["init", wt, &branch]);
        life.accept(&[&branch], "Kargo's Initial commit");
        if i == 0 {
            life.render(&branch, &["--identity", ENGINEER]);
            life.refuse(&[&branch], "foreign-committer", "a render by a person");
        }
        life.render(&branch, &[]);
        life.accept(&[&branch], "a render");
    }

    // The review branch, created the same way; nobody else may create it.
    life.kargo(&["init", wt, "stage/production", "--identity", ENGINEER]);
    life.refuse(
        &["stage/production"],
        "review-bypassed",
        "a review branch created by a person",
    );
    life.kargo(&["init", wt, "stage/production"]);
    life.accept(
        &["stage/production"],
        "Kargo's Initial commit of the review branch",
    );

    // The first production proposal, merged by a merge commit; the proposal is then deleted.
    life.render("stage/production", &["--stage", "production"]);
    life.refuse(
        &["stage/production"],
        "review-bypassed",
        "a render pushed to production",
    );
    let p1 = life.propose();
    life.accept(&[&p1], "the first proposal");
    life.kargo(&["merge", wt, &p1, "--identity", ENGINEER]);
    life.refuse(
        &["stage/production"],
        "review-bypassed",
        "a merge committed by a person",
    );
    life.kargo(&["merge", wt, &p1, "--edit"]);
    life.refuse(&["stage/production"], "merge-altered", "an edited merge");
    life.kargo(&["merge", wt, &p1]);
    life.accept(&["stage/production"], "the forge's merge");
    life.accept(&[&format!(":{p1}")], "the merged proposal's deletion");

    // A release between promotions; a broken one first.
    env.breaks("mirror-mismatch", &life.work);
    life.refuse(&["HEAD:main"], "mirror-mismatch", "a broken release");
    life.release();

    // Promotions of the new release; a no-op promotion makes no commit.
    life.render("stage/staging", &["--orphan"]);
    life.refuse(
        &["+stage/staging"],
        "non-fast-forward",
        "a rewritten stage branch",
    );
    life.refuse(&[":stage/test"], "branch-deleted", "a deleted stage branch");
    for stage in ["staging", "test"] {
        let branch = format!("stage/{stage}");
        life.render(&branch, &[]);
        life.accept(&[&branch], "a promotion");
        let tip = life.env.rev(&life.work, &branch);
        assert_eq!(
            life.render(&branch, &[]),
            tip,
            "a no-op promotion made a commit"
        );
    }

    // The second proposal, squashed by the forge, then deleted.
    let p2 = life.propose();
    life.accept(&[&p2], "the second proposal");
    life.kargo(&["merge", wt, &p2, "--squash", "--edit"]);
    life.refuse(&["stage/production"], "merge-altered", "an edited squash");
    life.kargo(&["merge", wt, &p2, "--squash"]);
    life.accept(&["stage/production"], "the forge's squash");
    life.accept(&[&format!(":{p2}")], "the squashed proposal's deletion");

    // A third release and its proposal, left open for review: it holds the earlier merge and
    // squash, which are not the renderer's.
    life.release();
    let p3 = life.propose();
    life.accept(&[&p3], "the third proposal");
    let human = life.kargo(&["propose", wt, "--identity", ENGINEER, "--design", design]);
    assert_ne!(human, p3);
    life.refuse(&[&human], "foreign-author", "a proposal by a person");

    // The audit of the server is clean: every branch, every commit, no warning.
    let mut args: Vec<&str> = Vec::new();
    if let Some(c) = &life.config {
        args.extend(["--config", c.as_str()]);
    }
    args.extend(["--format", "json", "audit"]);
    let run = env.fg(&life.server, &args, "");
    assert_eq!(run.code, 0, "{}: audit:\n{}", life.label(), run.all());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(report["verdict"], "pass", "{}", run.stdout);
    assert_eq!(report["findings"], serde_json::json!([]), "{}", run.stdout);
    // main, three stages, stage/production, the open proposal.
    let branches = env
        .git(
            &life.server,
            &["for-each-ref", "--format=%(refname)", "refs/heads/"],
        )
        .ok()
        .stdout;
    assert_eq!(branches.lines().count(), 6, "{branches}");
}

#[test]
fn a_source_snapshot_life_cycle_under_the_defaults() {
    life_cycle(&Env::new(), "snapshot", None);
}

#[test]
fn a_source_snapshot_life_cycle_under_its_example_policy() {
    life_cycle(
        &Env::new(),
        "snapshot",
        Some(example_policy("source-snapshot.yaml")),
    );
}

#[test]
fn a_common_case_life_cycle_under_the_defaults() {
    life_cycle(&Env::new(), "common", None);
}

#[test]
fn a_common_case_life_cycle_under_its_example_policy() {
    life_cycle(
        &Env::new(),
        "common",
        Some(example_policy("common-case.yaml")),
    );
}

/// `init --from-kargo` on a reference design's Kargo configuration, written to a file.
fn derived_policy(env: &Env, design: &str) -> String {
    let dir = root()
        .join("fixtures/kargo-reference")
        .join(design)
        .join("apps");
    let run = env.fg(
        env.path(),
        &["init", "--from-kargo", w(&dir), "--stdout"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.all());
    insta::assert_snapshot!(format!("derived-policy-{design}"), run.stdout);
    let path = env.path().join(format!("derived-{design}.yaml"));
    std::fs::write(&path, &run.stdout).expect("write");
    w(&path).to_string()
}

#[test]
fn a_source_snapshot_life_cycle_under_the_policy_derived_from_its_stages() {
    let env = Env::new();
    let policy = derived_policy(&env, "source-snapshot");
    life_cycle(&env, "snapshot", Some(policy));
}

#[test]
fn a_common_case_life_cycle_under_the_policy_derived_from_its_stages() {
    let env = Env::new();
    let policy = derived_policy(&env, "common-case");
    life_cycle(&env, "common", Some(policy));
}

#[test]
fn what_init_from_kargo_cannot_translate_is_reported_not_guessed() {
    let env = Env::new();
    let dir = env.path().join("kargo");
    let stage = std::fs::read_to_string(root().join(
        "fixtures/kargo-reference/source-snapshot/apps/kargo-project-codeai/stages/staging.yaml",
    ))
    .expect("stage");
    let edited = stage.replace(
        "Render staging from ${{ outputs['freight'].releaseTag }} [skip ci]",
        "Render staging at ${{ now() }}",
    );
    assert_ne!(stage, edited);
    env.write(&dir.join("staging.yaml"), &edited);
    let run = env.fg(
        env.path(),
        &["init", "--from-kargo", w(&dir), "--stdout"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("Stage staging: git-commit message: `now()` is an expression this reader does not translate"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("message:"), "{}", run.stdout);
    // Nothing Kargo under the directory: an error, exit 2.
    let empty = env.path().join("empty");
    env.write(&empty.join("x.yaml"), "kind: ConfigMap\n");
    let run = env.fg(
        env.path(),
        &["init", "--from-kargo", w(&empty), "--stdout"],
        "",
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("no Kargo Stage"), "{}", run.stderr);
}

#[test]
fn lint_kargo_flags_a_policy_that_drifted_from_the_stages() {
    let env = Env::new();
    let policy = derived_policy(&env, "source-snapshot");
    let source = root().join("fixtures/kargo-reference/source-snapshot/apps");
    let lint = |dir: &Path, policy: &str| {
        env.fg(
            env.path(),
            &["--config", policy, "--format", "json", "lint-kargo", w(dir)],
            "",
        )
    };
    let findings = |run: &Run| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{} {}: {}",
                    f["rule"].as_str().unwrap_or_default(),
                    f["path"].as_str().unwrap_or_default(),
                    f["message"].as_str().unwrap_or_default()
                )
            })
            .collect()
    };
    // The Stages as they are: nothing to say.
    let run = lint(&source, &policy);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(findings(&run), Vec::<String>::new());

    // A copy of the Stages with one template edited and one Stage pushing elsewhere.
    let copy = env.path().join("apps");
    let mut c = env.cmd("cp", env.path());
    c.arg("-a").arg(&source).arg(&copy);
    env.run(c).ok();
    let stages = copy.join("kargo-project-codeai/stages");
    let staging = std::fs::read_to_string(stages.join("staging.yaml")).expect("stage");
    std::fs::write(
        stages.join("staging.yaml"),
        staging.replace("Render staging from", "Promote staging to"),
    )
    .expect("write");
    let test = std::fs::read_to_string(stages.join("test.yaml")).expect("stage");
    assert!(test.contains("value: stage/test"), "{test}");
    std::fs::write(
        stages.join("test.yaml"),
        test.replace("value: stage/test", "value: deploy/test"),
    )
    .expect("write");
    // A policy key no Stage needs.
    let text = std::fs::read_to_string(&policy).expect("policy");
    let stale = env.path().join("stale.yaml");
    std::fs::write(
        &stale,
        text.replace(
            "branches: [\"stage/levelbuilder\"",
            "branches: [\"stage/qa\", \"stage/levelbuilder\"",
        ),
    )
    .expect("write");
    let run = lint(&copy, w(&stale));
    assert_eq!(run.code, 0, "warnings only: {}", run.all());
    let all = findings(&run).join("\n");
    assert!(
        all.contains(
            "kargo-drift Stage staging: commits with the subject `Promote staging to git-"
        ),
        "{all}"
    );
    assert!(
        all.contains("kargo-drift Stage test: pushes to `deploy/test`, which no pattern"),
        "{all}"
    );
    assert!(
        all.contains("`stage/qa` in `rendered.branches` is needed by no Stage"),
        "{all}"
    );
    assert!(
        all.contains("`stage/test` in `rendered.branches` is needed by no Stage"),
        "{all}"
    );
    assert!(
        all.contains("Render staging from") && all.contains("matches no Stage's commit subject"),
        "{all}"
    );
    // Made a violation, it fails the CI job.
    std::fs::write(
        &stale,
        format!(
            "{}\nrules:\n  kargo-drift: deny\n",
            std::fs::read_to_string(&stale).expect("read")
        ),
    )
    .expect("write");
    let run = lint(&copy, w(&stale));
    assert_eq!(run.code, 1, "{}", run.all());
    let human = env.fg(
        env.path(),
        &["--config", w(&stale), "lint-kargo", w(&copy)],
        "",
    );
    crate::support::assert_human("kargo-drift", &human.stderr);
}
