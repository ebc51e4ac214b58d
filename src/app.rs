//! The modes: each turns its input into ref updates (or a tree), loads the trusted policy,
//! runs the [`Engine`] and returns an [`Outcome`]. Only `run` reports.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use gix::ObjectId;

use crate::cli::{Cli, Command};
use crate::engine::{Engine, POLICY_FILE, PusherCheck, RefUpdate, RefView, Stop};
use crate::finding::Finding;
use crate::policy::{DEFAULT_POLICY_YAML, Policy};
use crate::repo::{FileAt, ReadError, Repo};
use crate::report::{self, Outcome, exit};
use crate::rules::{RULES, Rule, Severity};

/// The most hook input read from stdin (a push of every ref of a large repository fits).
const MAX_STDIN_BYTES: u64 = 64 * 1024 * 1024;

/// Run the command and return the exit status.
pub fn run(cli: Cli) -> i32 {
    match &cli.command {
        Command::Explain { markdown: true, .. } => {
            print!("{}", crate::rules::markdown());
            return exit::OK;
        }
        Command::Explain { rule, .. } => return explain(rule.as_deref()),
        Command::Init { stdout, force } => return init(&cli, *stdout, *force),
        _ => {}
    }
    let outcome = match &cli.command {
        Command::PreReceive { deadline } => pre_receive(&cli, *deadline),
        Command::PrePush {
            remote, deadline, ..
        } => pre_push(&cli, remote, *deadline),
        Command::PreCommit { worktree: false } => pre_commit(&cli),
        Command::PreCommit { worktree: true } => crate::worktree::check(&cli),
        Command::Check {
            base,
            head,
            ref_name,
        } => check(&cli, base, head, ref_name.as_deref()),
        Command::Audit { refs } => audit(&cli, refs),
        Command::Hook { deadline } => framework_hook(&cli, *deadline),
        Command::Explain { .. } | Command::Init { .. } => unreachable!("handled above"),
    };
    let prefix = gitlab_prefix().filter(|_| matches!(cli.command, Command::PreReceive { .. }));
    report::emit(&outcome, cli.format, cli.color, prefix);
    outcome.exit_code()
}

/// The environment variables that stand for global options, with the option.
pub const ENV_VARIABLES: [(&str, &str); 3] = [
    ("FREIGHT_GUARD_CONFIG", "--config"),
    ("FREIGHT_GUARD_THREADS", "--threads"),
    ("FREIGHT_GUARD_DEADLINE", "--deadline"),
];

/// Is this a GitLab server hook? GitLab relays a hook's lines to the pusher (and its web UI)
/// only with the `GL-HOOK-ERR: ` prefix.
fn gitlab_prefix() -> Option<&'static str> {
    ["GL_ID", "GL_USERNAME"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
        .then_some("GL-HOOK-ERR: ")
}

/// Report bad usage (each problem one detail) as `input-invalid`, in `format`; returns 2.
pub fn usage_failure(format: report::Format, color: report::Color, problems: Vec<String>) -> i32 {
    let mut outcome = failed(
        Rule::InputInvalid,
        match problems.as_slice() {
            [one] => one.clone(),
            _ => format!("{} usage problem(s)", problems.len()),
        },
    );
    if problems.len() > 1 {
        outcome.findings[0].details = problems;
    }
    report::emit(&outcome, format, color, gitlab_prefix());
    outcome.exit_code()
}

/// Report an argument error from clap as `input-invalid`, in the format the arguments ask
/// for (human when they cannot say), naming the environment variable a bad value came from.
pub fn usage_error(e: &clap::Error, args: &[std::ffi::OsString]) -> i32 {
    use clap::ValueEnum;
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let option = |name: &str| -> Option<String> {
        let eq = format!("{name}=");
        args.iter().enumerate().skip(1).find_map(|(i, a)| {
            a.strip_prefix(&eq)
                .map(str::to_string)
                .or_else(|| (a == name).then(|| args.get(i + 1).cloned()).flatten())
        })
    };
    let format = option("--format")
        .and_then(|v| report::Format::from_str(&v, true).ok())
        .unwrap_or(report::Format::Human);
    let color = option("--color")
        .and_then(|v| report::Color::from_str(&v, true).ok())
        .unwrap_or(report::Color::Auto);
    let rendered = e.render().to_string();
    let mut message: String = rendered
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .trim()
        .trim_start_matches("error: ")
        .to_string();
    if let Some(clap::error::ContextValue::String(arg)) =
        e.get(clap::error::ContextKind::InvalidArg)
    {
        for (var, flag) in ENV_VARIABLES {
            let given = args
                .iter()
                .any(|a| a == flag || a.starts_with(&format!("{flag}=")));
            if arg.starts_with(flag) && !given && std::env::var_os(var).is_some() {
                message = format!("{var} (which sets {flag}): {message}");
            }
        }
    }
    usage_failure(format, color, vec![message])
}

/// An outcome holding one operational finding.
pub fn failed(rule: Rule, message: impl Into<String>) -> Outcome {
    Outcome {
        findings: vec![Finding::new(rule, message)],
        ..Outcome::default()
    }
}

fn read_failed(e: &ReadError) -> Outcome {
    failed(Rule::ReadError, e.to_string())
}

/// Open the repository: `-C`, else `GIT_DIR` (as in hooks), else the current directory.
pub fn open_repo(cli: &Cli) -> Result<Repo, ReadError> {
    let path = match (&cli.repo, std::env::var_os("GIT_DIR")) {
        (Some(p), _) => p.clone(),
        (None, Some(dir)) => PathBuf::from(dir),
        (None, None) => PathBuf::from("."),
    };
    Repo::open(&path)
}

/// Load the policy: `--config`/`FREIGHT_GUARD_CONFIG`, else `.freight-guard.yaml` at the
/// trusted commit, else the defaults. Problems become one `policy-invalid` finding.
pub fn load_policy(
    cli: &Cli,
    repo: Option<&Repo>,
    trusted: Option<(ObjectId, &str)>,
) -> Result<Policy, Box<Outcome>> {
    let invalid = |origin: String, problems: Vec<crate::policy::Problem>| {
        let details = problems
            .iter()
            .map(|p| {
                if p.line > 0 {
                    format!("{origin}:{}: {}", p.line, p.message)
                } else {
                    format!("{origin}: {}", p.message)
                }
            })
            .collect();
        Box::new(Outcome {
            findings: vec![
                Finding::new(
                    Rule::PolicyInvalid,
                    format!(
                        "the policy {origin} is invalid ({} problem(s))",
                        problems.len()
                    ),
                )
                .at(origin)
                .with_details(details),
            ],
            ..Outcome::default()
        })
    };
    let one = |line, message: String| vec![crate::policy::Problem { line, message }];
    if let Some(path) = &cli.config {
        let origin = path.display().to_string();
        let meta = std::fs::metadata(path)
            .map_err(|e| invalid(origin.clone(), one(0, format!("cannot read it: {e}"))))?;
        if meta.len() > crate::policy::MAX_POLICY_BYTES as u64 {
            return Err(invalid(
                origin,
                one(
                    0,
                    format!(
                        "it is {} bytes; at most {} are read",
                        meta.len(),
                        crate::policy::MAX_POLICY_BYTES
                    ),
                ),
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| invalid(origin.clone(), one(0, format!("cannot read it: {e}"))))?;
        let policy = Policy::from_yaml(&text).map_err(|p| invalid(origin.clone(), p))?;
        let dir = path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let source = crate::signing::DirSource(if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        });
        return with_trust(policy, &source).map_err(|p| invalid(origin, p));
    }
    let (Some(repo), Some((commit, label))) = (repo, trusted) else {
        return with_trust(Policy::default(), &crate::signing::NoSource)
            .map_err(|p| invalid("built-in defaults".into(), p));
    };
    let origin = format!("{label}:{POLICY_FILE}");
    let tree = match repo.commit(&commit) {
        Ok(c) => c.tree,
        Err(e) => return Err(Box::new(read_failed(&e))),
    };
    let max = crate::policy::MAX_POLICY_BYTES as u64;
    let read = || -> Result<Option<Vec<u8>>, ReadError> {
        Ok(match repo.file_at(&tree, POLICY_FILE.as_bytes(), max)? {
            FileAt::Missing => None,
            FileAt::Bytes(bytes) => Some(bytes),
            // Reported as not UTF-8 below: a non-file or oversized policy is invalid.
            FileAt::NotRegular | FileAt::TooLarge(_) => Some(vec![0xff]),
        })
    };
    let source = crate::signing::TreeSource {
        repo,
        tree,
        label: label.to_string(),
    };
    match read() {
        Ok(None) => with_trust(Policy::default(), &source).map_err(|p| invalid(origin, p)),
        Ok(Some(bytes)) => match String::from_utf8(bytes) {
            Ok(text) => Policy::from_yaml(&text)
                .and_then(|policy| with_trust(policy, &source))
                .map_err(|p| invalid(origin, p)),
            Err(_) => Err(invalid(
                origin,
                one(0, "it is not a UTF-8 text file of at most 1 MiB".into()),
            )),
        },
        Err(e) => Err(Box::new(read_failed(&e))),
    }
}

/// Load the key files `policy.signing` names from `source` into `policy.trust`.
pub fn with_trust(
    mut policy: Policy,
    source: &dyn crate::signing::KeySource,
) -> Result<Policy, Vec<crate::policy::Problem>> {
    policy.trust = crate::signing::Trust::load(&policy.signing, source).map_err(|problems| {
        problems
            .into_iter()
            .map(|message| crate::policy::Problem { line: 0, message })
            .collect::<Vec<_>>()
    })?;
    Ok(policy)
}

/// Apply the policy's severities; drop `allow`ed findings. Operational rules stay `deny`.
pub fn apply_severities(policy: &Policy, findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .filter_map(|mut f| {
            // Operational rules keep their built-in severity: a policy cannot silence them.
            f.severity = if f.rule.is_operational() {
                f.rule.info().default_severity
            } else {
                policy.severity(f.rule)
            };
            (f.severity != Severity::Allow).then_some(f)
        })
        .collect()
}

/// Run the engine over updates and turn a stop (read error, deadline) into a finding.
fn judge_all(engine: &mut Engine<'_>, updates: &[RefUpdate], hidden: &[ObjectId]) -> Vec<Finding> {
    judge_all_with(engine, updates, hidden, None)
}

/// Judge every update in turn, showing the ref being judged on `progress` if there is one.
fn judge_all_with(
    engine: &mut Engine<'_>,
    updates: &[RefUpdate],
    hidden: &[ObjectId],
    progress: Option<&indicatif::ProgressBar>,
) -> Vec<Finding> {
    let mut extra = Vec::new();
    for (i, update) in updates.iter().enumerate() {
        if let Some(bar) = progress {
            bar.set_position(i as u64 + 1);
            bar.set_message(format!(
                "{} ({} commit(s) judged so far)",
                update.name, engine.commits_judged
            ));
        }
        if let Err(stop) = engine.judge(update, hidden) {
            let rule = match stop {
                Stop::Read(_) => Rule::ReadError,
                Stop::Deadline(_) => Rule::DeadlineExceeded,
            };
            extra.push(
                Finding::new(
                    rule,
                    format!("{stop}; nothing that could not be verified is accepted"),
                )
                .on_ref(update.name.clone()),
            );
            break;
        }
    }
    extra
}

fn finish(policy: &Policy, engine: Engine<'_>, extra: Vec<Finding>, subject: String) -> Outcome {
    let commits_judged = engine.commits_judged;
    let mut findings: Vec<Finding> = policy
        .warnings()
        .into_iter()
        .map(|message| Finding::new(Rule::PolicyWarning, message))
        .collect();
    findings.extend(engine.findings);
    findings.extend(extra);
    Outcome {
        findings: apply_severities(policy, findings),
        commits_judged,
        subject,
    }
}

fn read_stdin() -> Result<String, Outcome> {
    let mut bytes = Vec::new();
    let mut stdin = std::io::stdin().lock().take(MAX_STDIN_BYTES + 1);
    if let Err(e) = stdin.read_to_end(&mut bytes) {
        return Err(failed(
            Rule::InputInvalid,
            format!("cannot read the hook input: {e}"),
        ));
    }
    if bytes.len() as u64 > MAX_STDIN_BYTES {
        return Err(failed(
            Rule::InputInvalid,
            format!("the hook input is larger than {MAX_STDIN_BYTES} bytes"),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| failed(Rule::InputInvalid, "the hook input is not UTF-8 text"))
}

/// Parse `<id>` as a full id of the repository's hash; all zeros means "absent".
fn parse_side(repo: &Repo, text: &str) -> Result<Option<ObjectId>, String> {
    let id = repo.parse_id(text).ok_or_else(|| {
        format!(
            "`{text}` is not a full lowercase {}-digit object id",
            repo.object_hash().len_in_hex()
        )
    })?;
    Ok((!id.is_null()).then_some(id))
}

/// Parse every line of hook input; all bad lines are reported together as `input-invalid`.
fn parse_hook_lines(
    input: &str,
    hook: &str,
    parse: impl Fn(&[&str]) -> Result<RefUpdate, String>,
) -> Result<Vec<RefUpdate>, Outcome> {
    let mut updates = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in input.lines().enumerate() {
        let fields: Vec<&str> = line.split(' ').collect();
        match parse(&fields) {
            Ok(u) => updates.push(u),
            Err(e) => problems.push(format!("line {}: {e}", n + 1)),
        }
    }
    if problems.is_empty() {
        return Ok(updates);
    }
    let mut outcome = failed(
        Rule::InputInvalid,
        format!(
            "malformed {hook} input ({} bad line(s)); the push is rejected",
            problems.len()
        ),
    );
    outcome.findings[0].details = problems;
    Err(outcome)
}

fn ref_update(
    name: &str,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
) -> Result<RefUpdate, String> {
    if !valid_ref_name(name) {
        return Err(format!("`{name}` is not a valid full ref name"));
    }
    Ok(RefUpdate {
        name: name.to_string(),
        old,
        new,
    })
}

fn valid_ref_name(name: &str) -> bool {
    name.starts_with("refs/") && gix::refs::FullName::try_from(name).is_ok()
}

/// The default branch (full name) of the repository: where HEAD points, else `refs/heads/main`.
fn default_branch(repo: &Repo) -> String {
    repo.head_branch()
        .unwrap_or_else(|| "refs/heads/main".to_string())
}

fn pre_receive(cli: &Cli, deadline: f64) -> Outcome {
    let start = Instant::now();
    let input = match read_stdin() {
        Ok(text) => text,
        Err(outcome) => return outcome,
    };
    let mut repo = match open_repo(cli) {
        Ok(r) => r,
        Err(e) => return read_failed(&e),
    };
    let quarantine = std::env::var_os("GIT_QUARANTINE_PATH")
        .or_else(|| std::env::var_os("GIT_OBJECT_DIRECTORY"));
    if let Some(dir) = quarantine
        && let Err(e) = repo.add_quarantine(Path::new(&dir))
    {
        return read_failed(&e);
    }
    let updates = match parse_hook_lines(&input, "pre-receive", |fields| match fields {
        [old, new, name] => {
            let old = parse_side(&repo, old)?;
            let new = parse_side(&repo, new)?;
            if old.is_none() && new.is_none() {
                return Err("both ids are zero".into());
            }
            ref_update(name, old, new)
        }
        _ => Err(format!(
            "expected `<old> SP <new> SP <ref>`, got {} field(s)",
            fields.len()
        )),
    }) {
        Ok(u) => u,
        Err(outcome) => return outcome,
    };
    let default = default_branch(&repo);
    let trusted = match repo.ref_target(&default) {
        Ok(t) => t,
        Err(e) => return read_failed(&e),
    };
    let policy = match load_policy(cli, Some(&repo), trusted.map(|t| (t, default.as_str()))) {
        Ok(p) => p,
        Err(outcome) => return *outcome,
    };
    let pusher = crate::rendered::Pusher::from_env(|var| std::env::var(var).ok());
    let mut engine = Engine::new(&repo, &policy)
        .with_deadline(start, deadline)
        .with_default_branch(Some(default))
        .with_view(RefView::Heads, &updates)
        .with_pusher(PusherCheck::Server(pusher))
        .with_threads(cli.threads);
    let extra = judge_all(&mut engine, &updates, &[]);
    finish(
        &policy,
        engine,
        extra,
        format!("push of {} ref(s)", updates.len()),
    )
}

fn pre_push(cli: &Cli, remote: &str, deadline: f64) -> Outcome {
    let start = Instant::now();
    let input = match read_stdin() {
        Ok(text) => text,
        Err(outcome) => return outcome,
    };
    let repo = match open_repo(cli) {
        Ok(r) => r,
        Err(e) => return read_failed(&e),
    };
    pre_push_lines(cli, repo, remote, deadline, start, &input)
}

/// The pre-commit framework's hook: its pre-push stage passes what git gave its pre-push hook
/// in variables (and nothing on stdin); any other stage judges the staged index.
fn framework_hook(cli: &Cli, deadline: f64) -> Outcome {
    let start = Instant::now();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(to) = var("PRE_COMMIT_TO_REF") else {
        return pre_commit(cli);
    };
    let (Some(remote), Some(remote_ref)) = (
        var("PRE_COMMIT_REMOTE_NAME"),
        var("PRE_COMMIT_REMOTE_BRANCH"),
    ) else {
        // `pre-commit run --from-ref A --to-ref B` outside a push: the commits A..B, as if
        // they landed on the snapshot branch.
        return match var("PRE_COMMIT_FROM_REF") {
            Some(from) => check(cli, &from, &to, None),
            None => failed(
                Rule::InputInvalid,
                "PRE_COMMIT_TO_REF is set but PRE_COMMIT_FROM_REF is not",
            ),
        };
    };
    let local_ref = var("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|| "HEAD".into());
    // The remote's tip as last fetched: for a new branch pre-commit's PRE_COMMIT_FROM_REF is
    // where the pushed commits start, not what the remote has.
    let repo = match open_repo(cli) {
        Ok(r) => r,
        Err(e) => return read_failed(&e),
    };
    let short = remote_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(&remote_ref);
    let old = repo
        .resolve(&format!("refs/remotes/{remote}/{short}"))
        .unwrap_or_else(|| repo.null_id());
    let line = format!("{local_ref} {to} {remote_ref} {old}\n");
    pre_push_lines(cli, repo, &remote, deadline, start, &line)
}

/// `pre-push` on git's pre-push lines, already read.
fn pre_push_lines(
    cli: &Cli,
    repo: Repo,
    remote: &str,
    deadline: f64,
    start: Instant,
    input: &str,
) -> Outcome {
    let updates = match parse_hook_lines(input, "pre-push", |fields| match fields {
        [_local_ref, local, remote_ref, remote_id] => ref_update(
            remote_ref,
            parse_side(&repo, remote_id)?,
            parse_side(&repo, local)?,
        ),
        _ => Err(format!(
            "expected `<local ref> SP <local id> SP <remote ref> SP <remote id>`, got {} field(s)",
            fields.len()
        )),
    }) {
        Ok(u) => u,
        Err(outcome) => return outcome,
    };
    for u in &updates {
        if let Some(old) = u.old
            && !repo.has_object(&old)
        {
            return failed(
                Rule::ReadError,
                format!(
                    "{}'s tip {old} on `{remote}` is not in this repository, so what the push adds cannot be computed; run `git fetch {remote}` first",
                    u.name
                ),
            );
        }
    }
    // The trusted policy: the remote's default branch as last fetched, else HEAD.
    let remote_head = format!("refs/remotes/{remote}/HEAD");
    let (trusted_ref, default) = match repo.repo.try_find_reference(remote_head.as_str()) {
        Ok(Some(r)) => {
            let target = r.target().try_name().map(|n| n.as_bstr().to_string());
            let short = target
                .as_deref()
                .and_then(|t| t.strip_prefix(&format!("refs/remotes/{remote}/")))
                .unwrap_or("main")
                .to_string();
            (remote_head.clone(), format!("refs/heads/{short}"))
        }
        _ => {
            let main = format!("refs/remotes/{remote}/main");
            if matches!(repo.ref_target(&main), Ok(Some(_))) {
                (main, "refs/heads/main".to_string())
            } else {
                ("HEAD".to_string(), default_branch(&repo))
            }
        }
    };
    let trusted = repo.resolve(&trusted_ref);
    let policy = match load_policy(cli, Some(&repo), trusted.map(|t| (t, trusted_ref.as_str()))) {
        Ok(p) => p,
        Err(outcome) => return *outcome,
    };
    let mut engine = Engine::new(&repo, &policy)
        .with_deadline(start, deadline)
        .with_default_branch(Some(default))
        .with_view(RefView::Remote(remote.to_string()), &updates)
        .with_threads(cli.threads);
    let extra = judge_all(&mut engine, &updates, &[]);
    finish(
        &policy,
        engine,
        extra,
        format!("push of {} ref(s) to {remote}", updates.len()),
    )
}

fn check(cli: &Cli, base: &str, head: &str, ref_name: Option<&str>) -> Outcome {
    let repo = match open_repo(cli) {
        Ok(r) => r,
        Err(e) => return read_failed(&e),
    };
    // Any revision git accepts; an all-zero `--base` (a `push` event's `before` for a new
    // branch) is a branch creation: everything reachable from `--head` is added.
    let resolve = |spec: &str, what: &str| {
        if !spec.is_empty() && spec.bytes().all(|b| b == b'0') {
            return Ok(None);
        }
        repo.rev_parse(spec).map(Some).map_err(|why| {
            failed(
                Rule::InputInvalid,
                format!("{what} `{spec}` does not name a commit in this repository: {why}"),
            )
        })
    };
    let base_id = match resolve(base, "--base") {
        Ok(id) => id,
        Err(o) => return o,
    };
    let head_id = match resolve(head, "--head") {
        Ok(Some(id)) => id,
        Ok(None) => {
            return failed(
                Rule::InputInvalid,
                "--head is all zeros: a deleted branch adds no commit to judge".to_string(),
            );
        }
        Err(o) => return o,
    };
    // The policy comes from the base. A new branch has none, and the commits being judged
    // must not bring their own policy: it comes from the default branch, as in pre-receive.
    let trusted_ref;
    let trusted = match base_id {
        Some(id) => Some((id, base)),
        None => {
            let candidates = [
                "refs/remotes/origin/HEAD".to_string(),
                default_branch(&repo),
                "refs/remotes/origin/main".to_string(),
                "refs/heads/main".to_string(),
            ];
            let found = candidates
                .into_iter()
                .find_map(|r| matches!(repo.ref_target(&r), Ok(Some(_))).then_some(r));
            match found {
                Some(r) => {
                    trusted_ref = r;
                    repo.resolve(&trusted_ref)
                        .map(|id| (id, trusted_ref.as_str()))
                }
                None if cli.config.is_some() => None,
                None => {
                    return failed(
                        Rule::InputInvalid,
                        "--base is all zeros (a new branch) and no default branch (origin/HEAD, origin/main, main) is here to read the policy from; fetch it or pass --config",
                    );
                }
            }
        }
    };
    let policy = match load_policy(cli, Some(&repo), trusted) {
        Ok(p) => p,
        Err(outcome) => return *outcome,
    };
    let name = match ref_name {
        Some(r) if r.starts_with("refs/") => r.to_string(),
        Some(r) => format!("refs/heads/{r}"),
        None => format!(
            "refs/heads/{}",
            policy
                .snapshot
                .branches
                .texts
                .first()
                .map_or("main", String::as_str)
        ),
    };
    if !valid_ref_name(&name) {
        return failed(
            Rule::InputInvalid,
            format!("--ref `{name}` is not a valid ref name"),
        );
    }
    let update = RefUpdate {
        name: name.clone(),
        old: base_id,
        new: Some(head_id),
    };
    let default = default_branch(&repo);
    let updates = std::slice::from_ref(&update);
    let mut engine = Engine::new(&repo, &policy)
        .with_default_branch(Some(default))
        .with_view(RefView::All, updates)
        .with_threads(cli.threads);
    let extra = judge_all(&mut engine, updates, &[]);
    finish(&policy, engine, extra, format!("{base}..{head} as {name}"))
}

fn audit(cli: &Cli, patterns: &[String]) -> Outcome {
    let repo = match open_repo(cli) {
        Ok(r) => r,
        Err(e) => return read_failed(&e),
    };
    let head = repo.resolve("HEAD");
    let policy = match load_policy(cli, Some(&repo), head.map(|h| (h, "HEAD"))) {
        Ok(p) => p,
        Err(outcome) => return *outcome,
    };
    let matchers: Vec<globset::GlobMatcher> = match patterns
        .iter()
        .map(|p| {
            globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .map(|g| g.compile_matcher())
        })
        .collect::<Result<_, _>>()
    {
        Ok(m) => m,
        Err(e) => return failed(Rule::InputInvalid, format!("--ref: {e}")),
    };
    let branches = match repo.refs_with_prefix("refs/heads/") {
        Ok(b) => b,
        Err(e) => return read_failed(&e),
    };
    // Every guarded branch, or the ones `--ref` names; a named branch that no contract guards
    // is judged as a snapshot branch.
    let probe = Engine::new(&repo, &policy);
    let mut updates = Vec::new();
    let mut explicit = Vec::new();
    let mut used = vec![false; matchers.len()];
    for (name, id) in branches {
        let short = name.trim_start_matches("refs/heads/");
        let wanted = if matchers.is_empty() {
            probe.is_guarded(&name)
        } else {
            let mut any = false;
            for (m, used) in matchers.iter().zip(used.iter_mut()) {
                if m.is_match(short) || m.is_match(&name) {
                    *used = true;
                    any = true;
                }
            }
            any
        };
        if !wanted {
            continue;
        }
        if !probe.is_guarded(&name) {
            explicit.push(name.clone());
        }
        updates.push(RefUpdate {
            name,
            old: None,
            new: Some(id),
        });
    }
    drop(probe);
    // A pattern that names no branch is a mistake (a typo in a CI job), not a clean audit.
    let unmatched: Vec<String> = patterns
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(p, _)| format!("--ref `{p}` matches no branch (refs/heads/*) in this repository"))
        .collect();
    if !unmatched.is_empty() {
        let mut outcome = failed(
            Rule::InputInvalid,
            format!(
                "{} --ref pattern(s) match no branch, so nothing they name can be audited",
                unmatched.len()
            ),
        );
        outcome.findings[0].details = unmatched;
        return outcome;
    }
    let mut engine = Engine::new(&repo, &policy)
        .with_snapshot_refs(explicit)
        .with_view(RefView::All, &[])
        .with_history(true)
        .with_threads(cli.threads);
    let progress = audit_progress(cli, updates.len());
    let extra = judge_all_with(&mut engine, &updates, &[], progress.as_ref());
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    finish(
        &policy,
        engine,
        extra,
        format!("audit of {} branch(es)", updates.len()),
    )
}

/// A progress bar for `audit`, drawn on stderr only when a person watches it: human output to
/// a terminal. Hooks and CI logs get nothing.
fn audit_progress(cli: &Cli, branches: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if cli.format != report::Format::Human || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(branches as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} auditing branch {pos}/{len}: {wide_msg} [{elapsed}]",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    Some(bar)
}

fn pre_commit(cli: &Cli) -> Outcome {
    let repo = match open_repo(cli) {
        Ok(r) => r,
        Err(e) => return read_failed(&e),
    };
    let head = repo.resolve("HEAD");
    let policy = match load_policy(cli, Some(&repo), head.map(|h| (h, "HEAD"))) {
        Ok(p) => p,
        Err(outcome) => return *outcome,
    };
    let index_path = match std::env::var_os("GIT_INDEX_FILE") {
        Some(p) => {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                repo.workdir().map_or_else(|| p.clone(), |w| w.join(&p))
            }
        }
        None => repo.git_dir().join("index"),
    };
    let tree = match crate::index::staged_tree(&repo, &index_path) {
        Ok(t) => t,
        Err(e) => return read_failed(&e),
    };
    let mut parents: Vec<ObjectId> = head.into_iter().collect();
    if let Ok(text) = std::fs::read_to_string(repo.git_dir().join("MERGE_HEAD")) {
        parents.extend(text.lines().filter_map(|l| repo.parse_id(l.trim())));
    }
    let head_tree = match head.map(|h| repo.commit(&h)) {
        Some(Ok(c)) => Some(c.tree),
        Some(Err(e)) => return read_failed(&e),
        None => None,
    };
    // Nothing staged (`pre-commit run --all-files` in CI, on a detached HEAD or a pull
    // request's branch): the whole tree that would be committed is judged as the snapshot
    // branch would judge it, so a `current/` that does not mirror its release fails.
    let nothing_staged = parents.len() <= 1 && head_tree == Some(tree);
    let mut engine = Engine::new(&repo, &policy);
    let first_snapshot = format!(
        "refs/heads/{}",
        policy
            .snapshot
            .branches
            .texts
            .first()
            .map_or("main", String::as_str)
    );
    let (branch, subject) = match repo.head_branch() {
        Some(b) if engine.is_snapshot_branch(&b) || !nothing_staged => {
            let subject = format!("staged changes on {b}");
            (b, subject)
        }
        Some(b) => {
            let subject =
                format!("the tree of {b} (nothing staged), as if committed to {first_snapshot}");
            (first_snapshot, subject)
        }
        None if nothing_staged => (
            first_snapshot.clone(),
            format!(
                "the tree of the detached HEAD (nothing staged), as if committed to {first_snapshot}"
            ),
        ),
        None => (
            first_snapshot.clone(),
            format!("staged changes on a detached HEAD, as if committed to {first_snapshot}"),
        ),
    };
    let extra = match engine.judge_tree(&branch, tree, &parents) {
        Ok(()) => Vec::new(),
        Err(stop) => vec![Finding::new(Rule::ReadError, stop.to_string())],
    };
    finish(&policy, engine, extra, subject)
}

fn explain(rule: Option<&str>) -> i32 {
    let Some(name) = rule else {
        for info in RULES {
            println!(
                "{:<24} {:<5} {}",
                info.name,
                info.default_severity.as_str(),
                info.summary
            );
        }
        return exit::OK;
    };
    match Rule::from_name(name) {
        Some(rule) => {
            let info = rule.info();
            println!(
                "{}\n\n{}\n\ndefault severity: {}\n\n{}",
                info.name, info.summary, info.default_severity, info.explanation
            );
            exit::OK
        }
        None => {
            eprintln!(
                "freight-guard: unknown rule `{name}`; `freight-guard explain` lists the rules"
            );
            exit::USAGE
        }
    }
}

fn init(cli: &Cli, stdout: bool, force: bool) -> i32 {
    if stdout {
        print!("{DEFAULT_POLICY_YAML}");
        return exit::OK;
    }
    let dir = match &cli.repo {
        Some(p) => p.clone(),
        None => match open_repo(cli)
            .ok()
            .and_then(|r| r.workdir().map(Path::to_path_buf))
        {
            Some(w) => w,
            None => PathBuf::from("."),
        },
    };
    let path = dir.join(POLICY_FILE);
    if path.exists() && !force {
        eprintln!(
            "freight-guard: {} exists; use --force to overwrite it, or --stdout to print the defaults",
            path.display()
        );
        return exit::USAGE;
    }
    match std::fs::write(&path, DEFAULT_POLICY_YAML) {
        Ok(()) => {
            eprintln!("freight-guard: wrote {}", path.display());
            exit::OK
        }
        Err(e) => {
            eprintln!("freight-guard: cannot write {}: {e}", path.display());
            exit::USAGE
        }
    }
}
