//! Where users already work: the GitHub Action and `--format github`, SARIF for code scanning,
//! the pre-commit framework, forge hook layouts, and documentation generated from the binary.

use std::path::{Path, PathBuf};

use crate::support::{BIN, Env, Run, assert_declined, make_executable, root};

/// A GitOps repository with one stray file (a warning), then `bad` mirror-mismatch commits,
/// on top of the fixture's main; returns (work, base, head).
fn range_with_findings(env: &Env, bad: usize) -> (PathBuf, String, String) {
    let work = env.gitops("work", &[]);
    let base = env.rev(&work, "HEAD");
    env.breaks("unexpected-entry", &work);
    for _ in 0..bad {
        env.breaks("mirror-mismatch", &work);
    }
    let head = env.rev(&work, "HEAD");
    (work, base, head)
}

/// The `run` script and `env` of one step of `action.yml`.
fn action_step(id: &str) -> (String, Vec<(String, String)>) {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("action.yml is YAML");
    let steps = doc["runs"]["steps"].as_array().expect("runs.steps");
    let step = steps
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in action.yml"));
    let env = step["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    (step["run"].as_str().expect("run").to_string(), env)
}

/// Run the action's check step as the runner does (`bash -eo pipefail`), with its inputs
/// given as the values the runner would substitute, in a simulated Actions environment.
fn run_action_check(env: &Env, work: &Path, inputs: &[(&str, &str)]) -> (Run, String, String) {
    run_action_step(env, work, "check", inputs)
}

/// Run the action's step `id` as the runner does (see [`run_action_check`]).
fn run_action_step(
    env: &Env,
    work: &Path,
    id: &str,
    inputs: &[(&str, &str)],
) -> (Run, String, String) {
    let (script, step_env) = action_step(id);
    let script_path = env.path().join(format!("{id}-step.sh"));
    std::fs::write(&script_path, script).expect("script");
    let summary = env.path().join("step-summary.md");
    let output = env.path().join("github-output");
    std::fs::write(&summary, "previous step's summary\n").expect("summary");
    std::fs::write(&output, "").expect("output");
    let bin_dir = Path::new(BIN).parent().expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = env.cmd("bash", work);
    c.args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script_path)
        .env("PATH", path)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_WORKSPACE", work)
        .env("GITHUB_EVENT_NAME", "pull_request");
    // Every input the step reads, defaulting to the action's defaults where the test is silent.
    for (name, expression) in &step_env {
        let input = expression
            .trim_start_matches("${{ inputs.")
            .trim_end_matches(" }}");
        let value = inputs
            .iter()
            .find(|(k, _)| *k == input)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| match input {
                "format" => "github".into(),
                "sarif-file" => "freight-guard.sarif".into(),
                _ => String::new(),
            });
        c.env(name, value);
    }
    let run = env.run(c);
    let summary = std::fs::read_to_string(&summary).expect("summary");
    let output = std::fs::read_to_string(&output).expect("output");
    (run, summary, output)
}

#[test]
fn the_action_judges_a_push_that_creates_a_branch() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let wt = work.to_str().expect("utf-8");
    env.kargo(&["init", wt, "stage/staging"]);
    let good = env.kargo(&["render", wt, "stage/staging"]);
    let bad = env.kargo(&[
        "render",
        wt,
        "stage/staging",
        "--author",
        "Platform Engineer <platform@example.com>",
    ]);
    // GitHub's `push` event for a new branch: `before` is all zeros.
    let zero = "0".repeat(40);
    for (head, code) in [(good, 0), (bad, 1)] {
        let (run, _, output) = run_action_check(
            &env,
            &work,
            &[
                ("base", &zero),
                ("head", &head),
                ("ref", "refs/heads/stage/staging"),
            ],
        );
        assert_eq!(run.code, code, "{}", run.all());
        let verdict = if code == 0 {
            "verdict=pass"
        } else {
            "verdict=fail"
        };
        assert!(output.contains(verdict), "{output}");
    }
}

#[test]
fn the_action_annotates_the_ten_most_important_findings_and_summarises_all() {
    let env = Env::new();
    let (work, base, head) = range_with_findings(&env, 12);
    let (run, summary, output) = run_action_check(
        &env,
        &work,
        &[("base", &base), ("head", &head), ("ref", "main")],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let annotations: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::")).collect();
    // 12 violations and one warning: the 10 annotated are violations, the rest are counted.
    assert_eq!(annotations.len(), 10, "{}", run.stdout);
    for a in &annotations {
        assert!(
            a.starts_with("::error file=warehouses/codeai/freight/current,title=mirror-mismatch::"),
            "{a}"
        );
        assert!(a.contains("%0Ahelp: "), "multi-line text is escaped: {a}");
    }
    assert!(
        run.stdout
            .contains("3 more finding(s) not annotated (GitHub shows 10 per step)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("freight-guard: rejected"),
        "{}",
        run.stdout
    );
    // The summary keeps what was there and lists every finding, the warning included.
    assert!(
        summary.starts_with("previous step's summary\n## freight-guard\n"),
        "{summary}"
    );
    let rows: Vec<&str> = summary.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(rows.len(), 13, "{summary}");
    assert_eq!(
        rows.iter()
            .filter(|r| r.contains("`mirror-mismatch` | deny"))
            .count(),
        12
    );
    assert!(
        rows.last()
            .is_some_and(|r| r.starts_with("| `unexpected-entry` | warn |")),
        "{summary}"
    );
    assert_eq!(output.trim(), "verdict=fail");

    // A clean pull request: no annotation, a summary saying so, verdict pass.
    env.git(&work, &["reset", "-q", "--hard", &base]).ok();
    env.breaks("valid", &work);
    let good = env.rev(&work, "HEAD");
    let (run, summary, output) = run_action_check(
        &env,
        &work,
        &[("base", &base), ("head", &good), ("ref", "refs/heads/main")],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
    assert!(summary.contains("freight-guard: ok"), "{summary}");
    assert_eq!(output.trim(), "verdict=pass");

    // Missing inputs (not a pull_request event): an error annotation, not a silent pass.
    let (run, _, output) = run_action_check(&env, &work, &[("ref", "main")]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("::error title=freight-guard::"),
        "{}",
        run.stdout
    );
    assert_eq!(output.trim(), "verdict=error");
}

#[test]
fn github_format_without_a_summary_file_still_annotates() {
    let env = Env::new();
    let (work, base, head) = range_with_findings(&env, 1);
    let run = env.fg(
        &work,
        &[
            "--format", "github", "check", "--base", &base, "--head", &head,
        ],
        "",
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let annotations: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 2, "{}", run.stdout);
    assert!(annotations[0].starts_with("::error "), "{}", run.stdout);
    assert!(
        annotations[1].starts_with(
            "::warning file=warehouses/codeai/freight/notes.txt,title=unexpected-entry::"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("more finding(s)"), "{}", run.stdout);
}

fn sarif_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json"))
        .expect("vendored schema");
    let mut schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    // The OASIS schema's pattern for `language` (of a run and of a tool component) ends in a
    // stray `]`, which ECMA-262 reads as a literal and the Rust regex engine refuses; the
    // validator checks every pattern of a schema when it compiles it. freight-guard never
    // writes `language`, so that pattern is replaced (in memory: the vendored file stays as
    // published) by the one that was meant.
    fn mend(value: &mut serde_json::Value, replaced: &mut usize) {
        match value {
            serde_json::Value::String(s) if s == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" => {
                *s = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".to_string();
                *replaced += 1;
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| mend(v, replaced)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| mend(v, replaced)),
            _ => {}
        }
    }
    let mut replaced = 0;
    mend(&mut schema, &mut replaced);
    assert_eq!(replaced, 2, "the schema changed: review this workaround");
    jsonschema::validator_for(&schema).expect("a valid draft-07 schema")
}

fn assert_valid_sarif(validator: &jsonschema::Validator, text: &str) -> serde_json::Value {
    let log: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF invalid:\n{}\n{text}",
        errors.join("\n")
    );
    log
}

#[test]
fn sarif_validates_against_the_schema_with_stable_rule_ids_and_fingerprints() {
    let env = Env::new();
    let validator = sarif_schema();
    // The schema is not a pushover: a log without `runs` fails it.
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.1.0"})));

    let (work, base, head) = range_with_findings(&env, 2);
    let args = [
        "--format", "sarif", "check", "--base", &base, "--head", &head,
    ];
    let first = env.fg(&work, &args, "");
    assert_eq!(first.code, 1, "{}", first.all());
    let log = assert_valid_sarif(&validator, &first.stdout);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    // One descriptor per rule, named as `explain` names them, with its text as help.
    let listing = env.fg(&work, &["explain"], "").ok().stdout;
    let names: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, names);
    let explained = env
        .fg(&work, &["explain", "mirror-mismatch"], "")
        .ok()
        .stdout;
    let descriptor = &rules[ids
        .iter()
        .position(|i| *i == "mirror-mismatch")
        .expect("rule")];
    let help = descriptor["help"]["text"].as_str().expect("help");
    let fix = explained
        .lines()
        .find(|l| l.starts_with("Fix: "))
        .expect("a fix line");
    assert!(help.contains(fix), "{help}");

    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "{}", first.stdout);
    let mut fingerprints = Vec::new();
    for r in results {
        let id = r["ruleId"].as_str().expect("ruleId");
        assert_eq!(
            ids[r["ruleIndex"].as_u64().expect("ruleIndex") as usize],
            id
        );
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("every result has a file location (GitHub requires one)");
        assert!(uri.starts_with("warehouses/codeai/freight/"), "{uri}");
        let fp = r["partialFingerprints"]["freightGuard/v1"]
            .as_str()
            .expect("fingerprint")
            .to_string();
        assert_eq!(fp.len(), 64);
        fingerprints.push(fp);
    }
    assert_eq!(results[0]["level"], "warning");
    assert_eq!(results[1]["level"], "error");
    // Two distinct bad commits: two distinct identities.
    assert_ne!(fingerprints[1], fingerprints[2]);

    // The same commits judged again keep their identities.
    let second = env.fg(&work, &args, "");
    let again: serde_json::Value = serde_json::from_str(&second.stdout).expect("json");
    let again: Vec<String> = again["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            r["partialFingerprints"]["freightGuard/v1"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(again, fingerprints);

    // A passing range and an operational failure are valid SARIF too.
    let pass = env.fg(
        &work,
        &[
            "--format", "sarif", "check", "--base", &base, "--head", &base,
        ],
        "",
    );
    assert_eq!(pass.code, 0, "{}", pass.all());
    let log = assert_valid_sarif(&validator, &pass.stdout);
    assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(0));
    let broken = env.fg(
        &work,
        &[
            "--format",
            "sarif",
            "check",
            "--base",
            "no-such-rev",
            "--head",
            &head,
        ],
        "",
    );
    assert_eq!(broken.code, 2, "{}", broken.all());
    let log = assert_valid_sarif(&validator, &broken.stdout);
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "input-invalid");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".freight-guard.yaml"
    );
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
}

/// The `pre-commit` tool from PyPI, installed once into a virtualenv under target/ (a
/// stamp file marks a finished installation; an unfinished one is started over).
fn pre_commit_tool() -> PathBuf {
    const VERSION: &str = "4.7.0";
    let venv = root().join(format!("target/test-tools/pre-commit-{VERSION}"));
    let tool = venv.join("bin/pre-commit");
    let stamp = venv.join("installed");
    if stamp.is_file() {
        return tool;
    }
    let _ = std::fs::remove_dir_all(&venv);
    std::fs::create_dir_all(venv.parent().expect("parent")).expect("target/test-tools");
    let status = std::process::Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 (with venv) is needed for the pre-commit framework test");
    assert!(status.success(), "python3 -m venv failed");
    let status = std::process::Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", &format!("pre-commit=={VERSION}")])
        .status()
        .expect("pip");
    assert!(status.success(), "pip install pre-commit=={VERSION} failed");
    std::fs::write(&stamp, VERSION).expect("stamp");
    tool
}

#[test]
fn the_pre_commit_framework_runs_the_system_hook_at_commit_and_at_push() {
    let tool = pre_commit_tool();
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.bare_clone(&work);
    env.git(
        &work,
        &["remote", "add", "origin", server.to_str().expect("utf-8")],
    )
    .ok();
    env.git(&work, &["fetch", "-q", "origin"]).ok();
    // A hook repository holding this checkout's .pre-commit-hooks.yaml.
    let hooks_repo = env.path().join("hooks-repo");
    std::fs::create_dir_all(&hooks_repo).expect("mkdir");
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        hooks_repo.join(".pre-commit-hooks.yaml"),
    )
    .expect("copy");
    env.git(&hooks_repo, &["init", "-q"]).ok();
    env.git(&hooks_repo, &["add", "."]).ok();
    env.git(&hooks_repo, &["commit", "-qm", "Hooks"]).ok();
    let rev = env.rev(&hooks_repo, "HEAD");
    env.write(
        &work.join(".pre-commit-config.yaml"),
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: freight-guard-system\n",
            hooks_repo.display()
        ),
    );
    env.git(&work, &["add", ".pre-commit-config.yaml"]).ok();
    env.git(&work, &["commit", "-qm", "Use pre-commit"]).ok();
    env.git(&work, &["push", "-q", "origin", "HEAD:main"]).ok();

    let bin_dir = Path::new(BIN).parent().expect("bin dir");
    let path = format!(
        "{}:{}:{}",
        tool.parent().expect("venv bin").display(),
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cache = env.path().join("pre-commit-cache");
    let with_tool = |mut c: std::process::Command| {
        c.env("PATH", &path).env("PRE_COMMIT_HOME", &cache);
        env.run(c)
    };
    let mut c = env.cmd(&tool, &work);
    c.args(["install", "-t", "pre-commit", "-t", "pre-push"]);
    with_tool(c).ok();

    // The fixture records each case with `git commit --no-verify`; take the commit back into
    // the index and commit it again, this time through the hooks.
    let commit_through_hooks = |case: &str| {
        env.breaks(case, &work);
        env.git(&work, &["reset", "-q", "--soft", "HEAD^"]).ok();
        let mut c = env.cmd("git", &work);
        c.args(["commit", "-qm", case]);
        with_tool(c)
    };

    // Commit stage: a broken mirror is refused, the commit is not made.
    let before = env.rev(&work, "HEAD");
    let run = commit_through_hooks("mirror-mismatch");
    assert_ne!(run.code, 0, "a broken mirror was committed:\n{}", run.all());
    assert!(run.all().contains("mirror-mismatch"), "{}", run.all());
    assert!(
        run.all().contains("freight-guard (installed binary)"),
        "{}",
        run.all()
    );
    assert_eq!(env.rev(&work, "HEAD"), before);
    env.git(&work, &["reset", "-q", "--hard", &before]).ok();
    env.git(&work, &["clean", "-qfd"]).ok();

    // A valid release passes the commit stage and the push stage.
    let run = commit_through_hooks("valid");
    assert_eq!(run.code, 0, "{}", run.all());
    assert_ne!(env.rev(&work, "HEAD"), before);
    let mut c = env.cmd("git", &work);
    c.args(["push", "origin", "HEAD:main"]);
    let run = with_tool(c);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.all().contains("Passed"), "{}", run.all());
    assert_eq!(env.rev(&server, "main"), env.rev(&work, "HEAD"));

    // Push stage: a broken commit made without the commit hook is stopped before it leaves.
    env.breaks("release-modified", &work);
    let server_before = env.state(&server);
    let mut c = env.cmd("git", &work);
    c.args(["push", "origin", "HEAD:main"]);
    let run = with_tool(c);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.all().contains("release-modified"), "{}", run.all());
    assert_eq!(env.state(&server), server_before);

    // CI: `pre-commit run --all-files` on a checkout (detached, nothing staged) judges the
    // whole tree, so a broken `current/` fails and a healthy one passes.
    let healthy = env.rev(&work, "HEAD~1");
    env.breaks("mirror-mismatch", &work);
    for (rev, broken) in [("HEAD", true), (healthy.as_str(), false)] {
        env.git(&work, &["checkout", "-q", "--detach", rev]).ok();
        let mut c = env.cmd(&tool, &work);
        c.args(["run", "--all-files"]);
        let run = with_tool(c);
        assert_eq!(run.code != 0, broken, "{rev}:\n{}", run.all());
        assert_eq!(
            run.all().contains("mirror-mismatch"),
            broken,
            "{}",
            run.all()
        );
    }
}

/// A bare server for `layout` with `install.sh --hooks --layout` run on it; for a forge, its
/// own pre-receive hook stands in (fixtures/forge-hook.sh) with the pusher variables it sets.
fn forge_server(env: &Env, work: &Path, layout: &str) -> (PathBuf, Run) {
    let server = env.bare_clone(work);
    let (dir, vars) = match layout {
        "gitlab" => (
            "custom_hooks/pre-receive.d",
            "export GL_ID=user-7 GL_USERNAME=alice GL_PROTOCOL=ssh GL_REPOSITORY=project-3\n",
        ),
        "gitea" => ("hooks/pre-receive.d", "export GITEA_PUSHER_NAME=alice\n"),
        _ => ("", ""),
    };
    if !dir.is_empty() {
        let hook = server.join("hooks/pre-receive");
        env.write(
            &hook,
            &format!(
                "#!/bin/sh\n{vars}exec bash {} \"$PWD/{dir}\"\n",
                root().join("fixtures/forge-hook.sh").display()
            ),
        );
        make_executable(&hook);
    }
    let mut c = env.cmd("bash", env.path());
    c.arg(root().join("install.sh"))
        .args(["--no-build", "--hooks"])
        .arg(&server)
        .args(["--layout", layout]);
    let run = env.run(c);
    env.git(
        work,
        &["remote", "add", layout, server.to_str().expect("utf-8")],
    )
    .ok();
    (server, run)
}

#[test]
fn each_forge_layout_rejects_a_bad_push_and_accepts_a_good_one() {
    for layout in ["plain", "gitlab", "gitea"] {
        let env = Env::new();
        let work = env.gitops("work", &[]);
        let (server, install) = forge_server(&env, &work, layout);
        assert_eq!(install.code, 0, "{layout}: {}", install.all());
        let installed = match layout {
            "gitlab" => server.join("custom_hooks/pre-receive.d/freight-guard"),
            "gitea" => server.join("hooks/pre-receive.d/freight-guard"),
            _ => server.join("hooks/pre-receive"),
        };
        assert!(installed.is_file(), "{layout}: {}", install.all());

        let base = env.rev(&work, "HEAD");
        env.breaks("mirror-mismatch", &work);
        let before = env.state(&server);
        let mut c = env.cmd("git", &work);
        c.args(["push", layout, "HEAD:main"]);
        let run = env.run(c);
        assert_declined(&run, "mirror-mismatch", layout);
        assert_eq!(env.state(&server), before, "{layout}: server changed");
        let prefixed = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("remote: GL-HOOK-ERR: "))
            .count();
        if layout == "gitlab" {
            // Every line freight-guard prints carries GitLab's prefix, the verdict included.
            assert!(
                run.stderr
                    .contains("remote: GL-HOOK-ERR: freight-guard: rejected"),
                "{}",
                run.stderr
            );
            assert!(
                !run.stderr
                    .lines()
                    .any(|l| l.starts_with("remote: mirror-mismatch")),
                "{}",
                run.stderr
            );
        } else {
            assert_eq!(prefixed, 0, "{layout}: {}", run.stderr);
        }

        env.git(&work, &["reset", "-q", "--hard", &base]).ok();
        env.breaks("valid", &work);
        let mut c = env.cmd("git", &work);
        c.args(["push", layout, "HEAD:main"]);
        let run = env.run(c);
        assert_eq!(run.code, 0, "{layout}: {}", run.all());
        assert_eq!(env.rev(&server, "main"), env.rev(&work, "HEAD"), "{layout}");
    }
}

#[test]
fn forge_layouts_need_a_bare_repository_and_a_known_name() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    for (args, message) in [
        (vec!["--layout", "gitlab"], "bare"),
        (vec!["--layout", "sourcehut"], "unknown layout"),
    ] {
        let mut c = env.cmd("bash", env.path());
        c.arg(root().join("install.sh"))
            .args(["--no-build", "--hooks"])
            .arg(&work)
            .args(&args);
        let run = env.run(c);
        assert_ne!(run.code, 0, "{args:?}: {}", run.all());
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    assert!(!work.join("custom_hooks").exists());
}

#[test]
fn the_github_enterprise_hook_script_rejects_a_bad_push_and_accepts_a_good_one() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.bare_clone(&work);
    // The script from the pre-receive hook repository, run by git as the server would.
    let hook = server.join("hooks/pre-receive");
    std::fs::copy(root().join("hooks/ghes/freight-guard.sh"), &hook).expect("copy");
    make_executable(&hook);
    env.git(
        &work,
        &["remote", "add", "origin", server.to_str().expect("utf-8")],
    )
    .ok();
    let base = env.rev(&work, "HEAD");
    env.breaks("release-deleted", &work);
    let before = env.state(&server);
    let run = env.push_env(
        &work,
        &["HEAD:main"],
        &[("GITHUB_USER_LOGIN", "alice"), ("GITHUB_VIA", "git")],
    );
    assert_declined(&run, "release-deleted", "ghes");
    assert_eq!(env.state(&server), before);
    env.git(&work, &["reset", "-q", "--hard", &base]).ok();
    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    assert_eq!(env.rev(&server, "main"), env.rev(&work, "HEAD"));
}

#[test]
fn docs_rules_md_is_what_explain_says() {
    let env = Env::new();
    let generated = env
        .fg(env.path(), &["explain", "--markdown"], "")
        .ok()
        .stdout;
    let file = std::fs::read_to_string(root().join("docs/rules.md")).expect("docs/rules.md");
    assert!(
        generated == file,
        "docs/rules.md is out of date: run `freight-guard explain --markdown > docs/rules.md`"
    );
    // One heading per rule, holding what `explain RULE` prints.
    let listing = env.fg(env.path(), &["explain"], "").ok().stdout;
    let names: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.len() > 20, "{listing}");
    for name in names {
        let heading = format!("\n## {name}\n");
        assert_eq!(file.matches(&heading).count(), 1, "{name}");
        let section = file
            .split(&heading)
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("section");
        let explained = env.fg(env.path(), &["explain", name], "").ok().stdout;
        for paragraph in explained.split("\n\n").skip(1) {
            let paragraph = paragraph.trim();
            if paragraph.starts_with("default severity:") {
                continue;
            }
            assert!(section.contains(paragraph), "{name}: {paragraph}");
        }
    }
}

#[test]
fn audit_draws_progress_on_a_terminal_and_nothing_elsewhere() {
    let env = Env::new();
    let work = env.gitops("work", &["--releases", "5"]);
    // Not a terminal (a hook, a CI log): the report alone.
    let run = env.fg(&work, &["audit"], "").ok();
    assert!(!run.stderr.contains("auditing branch"), "{}", run.stderr);
    assert!(!run.stderr.contains('\r'), "{:?}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    // On a terminal (util-linux `script` gives the command a pseudo-terminal).
    let mut c = env.cmd("script", &work);
    c.args(["-qec", &format!("{BIN} audit"), "/dev/null"])
        .env("TERM", "xterm");
    let run = env.run(c);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("auditing branch 1/1: refs/heads/main"),
        "{:?}",
        run.stdout
    );
    assert!(run.stdout.contains("freight-guard: ok"), "{:?}", run.stdout);
}

#[test]
fn every_rule_has_its_human_output_pinned() {
    // The snapshots are written by the tests that make each rule fire (support::assert_human).
    let env = Env::new();
    let listing = env.fg(env.path(), &["explain"], "").ok().stdout;
    let dir = root().join("tests/it/snapshots");
    for name in listing.lines().filter_map(|l| l.split_whitespace().next()) {
        let snap = dir.join(format!("human-{name}.snap"));
        let text = std::fs::read_to_string(&snap)
            .unwrap_or_else(|_| panic!("no snapshot of {name}'s human output: {}", snap.display()));
        assert!(text.contains(name), "{}", snap.display());
    }
}

#[test]
fn help_is_pinned() {
    let env = Env::new();
    for args in [
        vec!["--help"],
        vec!["pre-receive", "--help"],
        vec!["pre-push", "--help"],
        vec!["pre-commit", "--help"],
        vec!["check", "--help"],
        vec!["audit", "--help"],
        vec!["hook", "--help"],
        vec!["explain", "--help"],
        vec!["init", "--help"],
    ] {
        // Help shows the values of the variables it names: pin it without them.
        let mut c = env.cmd(BIN, env.path());
        c.args(&args).env_remove("FREIGHT_GUARD_DEADLINE");
        let run = env.run(c).ok();
        let name = match args.as_slice() {
            [_] => "help".to_string(),
            [command, ..] => format!("help-{command}"),
            [] => unreachable!(),
        };
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_snapshot_path(root().join("tests/it/snapshots"));
        settings.bind(|| insta::assert_snapshot!(name, run.stdout));
    }
}

#[test]
fn the_action_freezes_a_release() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let chart = env.path().join("chart");
    let mut c = env.cmd("cp", &work);
    c.args(["-a", "warehouses/codeai/freight/current/helm"])
        .arg(&chart);
    env.run(c).ok();
    env.append(&chart.join("values.yaml"), "# next\n");
    let revision = "89abcdef0123456789abcdef0123456789abcdef";
    let package = format!("helm={}", chart.display());
    let inputs = [
        ("freeze-root", "warehouses/codeai/freight"),
        ("freeze-revision", revision),
        ("freeze-image", "ghcr.io/code-dot-org/code-dot-org"),
        (
            "freeze-digest",
            "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        ),
        ("freeze-package", package.as_str()),
    ];
    let (run, _, output) = run_action_step(&env, &work, "freeze", &inputs);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(output.contains("verdict=pass"), "{output}");
    assert!(
        run.stdout.contains("freight-guard freeze --root"),
        "{}",
        run.stdout
    );
    assert!(
        work.join(format!(
            "warehouses/codeai/freight/git-{revision}/helm/values.yaml"
        ))
        .exists()
    );
    // A malformed digest: refused, verdict error.
    let bad = [
        ("freeze-root", "warehouses/codeai/freight"),
        ("freeze-revision", revision),
        ("freeze-image", "ghcr.io/code-dot-org/code-dot-org"),
        ("freeze-digest", "sha256:nope"),
        ("freeze-package", package.as_str()),
    ];
    let (run, _, output) = run_action_step(&env, &work, "freeze", &bad);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(output.contains("verdict=error"), "{output}");
}

/// A fake release `tag` under `<env>/releases/`, as the release workflow publishes one: the
/// test binary in `freight-guard-x86_64-unknown-linux-gnu.tar.gz`, and `SHA256SUMS`. Returns
/// the releases directory and the checksum file's text.
fn fake_release(env: &Env, tag: &str) -> (PathBuf, String) {
    let releases = env.path().join("releases");
    let release = releases.join(tag);
    std::fs::create_dir_all(&release).expect("mkdir");
    let staging = env.path().join("staging");
    std::fs::create_dir_all(&staging).expect("mkdir");
    std::fs::copy(BIN, staging.join("freight-guard")).expect("copy");
    let archive = "freight-guard-x86_64-unknown-linux-gnu.tar.gz";
    let mut c = env.cmd("tar", &staging);
    c.args(["-czf"])
        .arg(release.join(archive))
        .arg("freight-guard");
    env.run(c).ok();
    let mut c = env.cmd("sha256sum", &release);
    c.arg(archive);
    let sums = env.run(c).ok().stdout;
    std::fs::write(release.join("SHA256SUMS"), &sums).expect("sums");
    (releases, sums)
}

/// Run the action's install step with `vars` as its environment (the runner's and the
/// inputs'), in a simulated Actions environment; returns the run and what it put on PATH.
fn run_install_step(env: &Env, vars: &[(&str, String)]) -> (Run, String) {
    let (script, _) = action_step("install");
    let script_path = env.path().join("install-step.sh");
    std::fs::write(&script_path, script).expect("script");
    let github_path = env.path().join("github-path");
    std::fs::write(&github_path, "").expect("path file");
    let mut c = env.cmd("bash", env.path());
    c.args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script_path)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_PATH", &github_path)
        .env("RUNNER_TEMP", env.path());
    for (k, v) in vars {
        c.env(k, v);
    }
    let run = env.run(c);
    let path = std::fs::read_to_string(&github_path).expect("path file");
    (run, path)
}

#[test]
fn the_action_downloads_the_release_binary_and_checks_its_checksum() {
    let env = Env::new();
    // A fake release v9.9.9 served from a directory: the binary in its archive, SHA256SUMS.
    let (releases, sums) = fake_release(&env, "v9.9.9");
    let release = releases.join("v9.9.9");
    let root = env.path().join("installed");
    let vars = |root: &Path| {
        vec![
            ("RUNNER_OS", "Linux".to_string()),
            ("RUNNER_ARCH", "X64".to_string()),
            ("FG_ACTION_REF", "v9.9.9".to_string()),
            ("FG_ACTION_REPO", "example/freight-guard".to_string()),
            ("FG_RELEASES", format!("file://{}", releases.display())),
            ("FG_ROOT", root.display().to_string()),
            ("FG_SOURCE", "/nonexistent".to_string()),
        ]
    };
    let (run, path) = run_install_step(&env, &vars(&root));
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("downloading file://"), "{}", run.stdout);
    assert!(
        run.stdout.contains("installed freight-guard"),
        "{}",
        run.stdout
    );
    assert_eq!(path.trim(), root.join("bin").display().to_string());
    assert!(root.join("bin/freight-guard").exists());
    // The same again: the binary in place is used (the cache).
    let (run, _) = run_install_step(&env, &vars(&root));
    assert!(run.stdout.contains("from the cache"), "{}", run.stdout);
    // A tampered archive: refused, not run.
    std::fs::write(
        release.join("SHA256SUMS"),
        sums.replacen(&sums[..8], "00000000", 1),
    )
    .expect("sums");
    let tampered = env.path().join("tampered");
    let (run, _) = run_install_step(&env, &vars(&tampered));
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stdout.contains("refusing to run it"), "{}", run.stdout);
    assert!(!tampered.join("bin/freight-guard").exists());
    // No release for this ref: it says so and builds from source (which fails here, quickly).
    let mut missing = vars(&env.path().join("missing"));
    missing[2].1 = "v0.0.0".to_string();
    let (run, _) = run_install_step(&env, &missing);
    assert_ne!(run.code, 0);
    assert!(
        run.stdout
            .contains("no release v0.0.0 for x86_64-unknown-linux-gnu; building from source"),
        "{}",
        run.all()
    );
}

#[test]
fn the_release_workflow_builds_what_the_action_downloads() {
    let text =
        std::fs::read_to_string(root().join(".github/workflows/release.yml")).expect("workflow");
    let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
    assert_eq!(doc["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let targets: Vec<&str> = doc["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("matrix")
        .iter()
        .map(|m| m["target"].as_str().expect("target"))
        .collect();
    // Every target the action's install step asks for is built.
    let (install, _) = action_step("install");
    for target in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ] {
        assert!(targets.contains(&target), "{target} is not built");
        assert!(
            install.contains(target),
            "the action does not ask for {target}"
        );
    }
    // The archive and checksum names the action downloads.
    assert!(text.contains("freight-guard-$TARGET.tar.gz"));
    assert!(text.contains("> SHA256SUMS"));
    assert!(install.contains("archive=\"freight-guard-$target.tar.gz\""));
    assert!(install.contains("/SHA256SUMS\""));
}

#[test]
fn the_release_pre_commit_hook_downloads_once_and_checks_the_checksum() {
    let env = Env::new();
    let version = env!("CARGO_PKG_VERSION");
    let (releases, sums) = fake_release(&env, &format!("v{version}"));
    let release = releases.join(format!("v{version}"));
    // The hook as pre-commit runs it: the script of the hook repository, with `hook` args.
    let hook = |cache: &Path| {
        let mut c = env.cmd(root().join("hooks/pre-commit-release.sh"), env.path());
        c.arg("--version")
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("XDG_CACHE_HOME", cache)
            .env(
                "FREIGHT_GUARD_RELEASES",
                format!("file://{}", releases.display()),
            );
        env.run(c)
    };
    if std::env::consts::ARCH != "x86_64" {
        return; // the fake release above is for x86_64 only
    }
    let cache = env.path().join("cache");
    let run = hook(&cache);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("downloading file://"), "{}", run.stderr);
    assert!(run.stdout.starts_with("freight-guard "), "{}", run.stdout);
    // Once downloaded, it is not downloaded again.
    let run = hook(&cache);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stderr.contains("downloading"), "{}", run.stderr);
    // A checksum that does not match: refused, nothing left to run.
    std::fs::write(
        release.join("SHA256SUMS"),
        sums.replacen(&sums[..8], "00000000", 1),
    )
    .expect("sums");
    let other = env.path().join("other-cache");
    let run = hook(&other);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("refusing to run it"), "{}", run.stderr);
    assert!(
        !other
            .join(format!(
                "freight-guard/v{version}-x86_64-unknown-linux-gnu/freight-guard"
            ))
            .exists()
    );
}
