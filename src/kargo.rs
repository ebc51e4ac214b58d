//! Kargo's own configuration, read to derive the policy that accepts exactly what its Stages
//! push (`init --from-kargo DIR`): Stage, Warehouse and ProjectConfig resources from the
//! (multi-document) YAML files under a directory.
//!
//! Every derived key names the Stage and step it came from. What cannot be translated (an
//! expression this reader does not know) is reported, never guessed: the key is left to the
//! defaults and the report says why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

/// Kargo's default git identity for the commits its steps make.
pub const KARGO_AUTHOR: &str = "Kargo <no-reply@kargo.io>";
/// The identity of GitHub's web merges and squashes.
const GITHUB_FORGE: &str = "GitHub <noreply@github.com>";
/// A release tag as Kargo's freight names it, and a full commit id.
const TAG: &str = "(?P<tag>git-(?:[0-9a-f]{40}|[0-9a-f]{64}))";
const REVISION: &str = "(?P<revision>[0-9a-f]{40}|[0-9a-f]{64})";
/// The largest YAML file read.
const MAX_FILE: u64 = 1024 * 1024;

/// The derived policy file, and what could not be derived.
pub struct Derived {
    pub text: String,
    pub problems: Vec<String>,
}

/// One Stage as far as its commits are concerned.
#[derive(Default)]
struct Stage {
    name: String,
    /// The branch its `git-push` writes (filled in), if any.
    pushes: Option<String>,
    /// It pushes to a branch Kargo generates (`kargo/promotion/<promotion>`).
    generates: bool,
    /// Branches its `git-clone` creates when missing.
    creates: Vec<String>,
    /// `git-open-pr` target branches.
    pull_requests: Vec<String>,
    /// The subject of its `git-commit` message, translated.
    message: Option<Vec<Piece>>,
    /// Paths its rendering steps write, relative to the committed checkout.
    paths: Vec<String>,
    /// `git-clone` authors.
    authors: Vec<String>,
    /// `git-open-pr` providers.
    providers: Vec<String>,
}

/// Kargo's configuration as far as the policy is concerned.
pub struct Kargo {
    stages: Vec<Stage>,
    /// Freight root -> where it came from.
    roots: BTreeMap<String, String>,
    snapshot_branches: BTreeSet<String>,
    /// Image repository -> where it came from.
    images: BTreeMap<String, String>,
    /// What could not be read or translated.
    pub problems: Vec<String>,
}

impl Kargo {
    /// How many Stages were read.
    pub fn stage_count(&self) -> usize {
        self.stages.len()
    }
}

/// Read every YAML document under `dir` and derive the policy.
pub fn derive(dir: &Path) -> Result<Derived, String> {
    let mut k = load(dir)?;
    let text = render(
        &k.stages,
        &k.roots,
        &k.snapshot_branches,
        &k.images,
        &mut k.problems,
    );
    Ok(Derived {
        text,
        problems: k.problems,
    })
}

/// Read the Kargo resources under `dir`.
pub fn load(dir: &Path) -> Result<Kargo, String> {
    let mut files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no YAML file under {}", dir.display()));
    }
    let mut problems = Vec::new();
    let mut stages = Vec::new();
    let mut roots: BTreeMap<String, String> = BTreeMap::new();
    let mut snapshot_branches: BTreeSet<String> = BTreeSet::new();
    let mut images: BTreeMap<String, String> = BTreeMap::new();
    for file in &files {
        let shown = file.strip_prefix(dir).unwrap_or(file).display().to_string();
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE {
            problems.push(format!(
                "{shown}: {size} bytes, not read (at most {MAX_FILE})"
            ));
            continue;
        }
        let Ok(text) = std::fs::read_to_string(file) else {
            problems.push(format!("{shown}: not UTF-8 text, not read"));
            continue;
        };
        let docs: Vec<Value> = match serde_saphyr::from_multiple(&text) {
            Ok(docs) => docs,
            Err(e) => {
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default().to_string();
                problems.push(format!("{shown}: not YAML ({first}), not read"));
                continue;
            }
        };
        for doc in docs {
            if !doc["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("kargo.akuity.io/"))
            {
                continue;
            }
            let name = doc["metadata"]["name"].as_str().unwrap_or("?").to_string();
            match doc["kind"].as_str() {
                Some("Stage") => stages.push(stage(&doc, &name, &mut problems)),
                Some("Warehouse") => {
                    for sub in doc["spec"]["subscriptions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        if let Some(url) = sub["image"]["repoURL"].as_str() {
                            images.insert(
                                url.to_string(),
                                format!("Warehouse {name}: image subscription"),
                            );
                        }
                        for path in sub["git"]["includePaths"].as_array().into_iter().flatten() {
                            let Some(path) = path.as_str() else { continue };
                            let path = path.trim_end_matches('/');
                            if let Some(root) = path.strip_suffix("/current") {
                                roots.insert(
                                    root.to_string(),
                                    format!("Warehouse {name}: git includePaths {path}"),
                                );
                                if let Some(branch) = sub["git"]["branch"].as_str() {
                                    snapshot_branches.insert(branch.to_string());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if stages.is_empty() {
        return Err(format!(
            "no Kargo Stage under {} (kind: Stage, apiVersion kargo.akuity.io/*)",
            dir.display()
        ));
    }
    Ok(Kargo {
        stages,
        roots,
        snapshot_branches,
        images,
        problems,
    })
}

/// `${{ vars.x }}` filled in; `None` (and a problem) when another expression remains.
fn fill(template: &str, vars: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}")?;
        let expr = rest[start + 3..start + end].trim();
        out.push_str(vars.get(expr.strip_prefix("vars.")?)?);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// A piece of a `git-commit` subject template once translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    Tag,
    Revision,
}

/// The subject of a `git-commit` message template as pieces: literal text with variables and
/// the Stage's name filled in, the freight's tag and revision as placeholders.
fn subject_pieces(
    template: &str,
    stage: &str,
    vars: &BTreeMap<String, String>,
    outputs: &BTreeMap<(String, String), String>,
) -> Result<Vec<Piece>, String> {
    let subject = template.lines().next().unwrap_or_default().trim_end();
    let mut out = Vec::new();
    let mut rest = subject;
    while let Some(start) = rest.find("${{") {
        out.push(Piece::Literal(rest[..start].to_string()));
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| format!("an unclosed expression in `{subject}`"))?;
        let expr = rest[start + 3..start + end].trim();
        if let Some(var) = expr.strip_prefix("vars.") {
            let value = vars
                .get(var)
                .ok_or_else(|| format!("`{expr}` names no var of the Stage"))?;
            out.push(Piece::Literal(value.clone()));
        } else if expr == "ctx.stage" {
            out.push(Piece::Literal(stage.to_string()));
        } else if expr.starts_with("commitFrom(") && expr.ends_with(").ID") {
            out.push(Piece::Revision);
        } else if expr.starts_with("imageFrom(") && expr.ends_with(").Tag") {
            out.push(Piece::Tag);
        } else if let Some((step, output)) = output_ref(expr) {
            match outputs.get(&(step, output)).map(String::as_str) {
                Some("tag") => out.push(Piece::Tag),
                Some("revision") => out.push(Piece::Revision),
                _ => {
                    return Err(format!(
                        "`{expr}` is no freight field this reader knows (tag, revision)"
                    ));
                }
            }
        } else {
            return Err(format!(
                "`{expr}` is an expression this reader does not translate"
            ));
        }
        rest = &rest[start + end + 2..];
    }
    out.push(Piece::Literal(rest.to_string()));
    Ok(out)
}

/// The subject regex of translated pieces: literal text escaped, the tag and revision as the
/// named groups `tag` and `revision` (captured once each; a repeat matches the same shape).
pub fn subject_regex(pieces: &[Piece]) -> String {
    let mut out = String::from("^");
    let (mut tag, mut revision) = (false, false);
    for piece in pieces {
        match piece {
            Piece::Literal(text) => out.push_str(&regex::escape(text)),
            Piece::Tag if !tag => {
                tag = true;
                out.push_str(TAG);
            }
            Piece::Tag => out.push_str(&TAG.replacen("?P<tag>", "?:", 1)),
            Piece::Revision if !revision => {
                revision = true;
                out.push_str(REVISION);
            }
            Piece::Revision => out.push_str(&REVISION.replacen("?P<revision>", "?:", 1)),
        }
    }
    out.push('$');
    out
}

/// The subject the pieces give for the freight `revision`.
pub fn subject_sample(pieces: &[Piece], revision: &str) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Literal(text) => text.clone(),
            Piece::Tag => format!("git-{revision}"),
            Piece::Revision => revision.to_string(),
        })
        .collect()
}

/// The subject regex of a `git-commit` message template (see [`subject_pieces`]).
#[cfg(test)]
fn message_regex(
    template: &str,
    stage: &str,
    vars: &BTreeMap<String, String>,
    outputs: &BTreeMap<(String, String), String>,
) -> Result<String, String> {
    subject_pieces(template, stage, vars, outputs).map(|p| subject_regex(&p))
}

/// `outputs['step'].field` or `outputs.step.field`.
fn output_ref(expr: &str) -> Option<(String, String)> {
    let rest = expr.strip_prefix("outputs")?;
    let (step, field) = if let Some(r) = rest.strip_prefix("['") {
        let (step, field) = r.split_once("']")?;
        (step, field.strip_prefix('.')?)
    } else {
        rest.strip_prefix('.')?.split_once('.')?
    };
    Some((step.to_string(), field.to_string()))
}

/// A checkout path (`./out`) as a prefix of paths inside it (`out/`).
fn clean(path: &str) -> String {
    path.trim_start_matches("./")
        .trim_end_matches('/')
        .to_string()
}

fn stage(doc: &Value, name: &str, problems: &mut Vec<String>) -> Stage {
    let spec = &doc["spec"]["promotionTemplate"]["spec"];
    let mut vars = BTreeMap::new();
    for v in spec["vars"].as_array().into_iter().flatten() {
        if let (Some(k), Some(val)) = (v["name"].as_str(), v["value"].as_str()) {
            vars.insert(k.to_string(), val.to_string());
        }
    }
    let mut stage = Stage {
        name: name.to_string(),
        ..Stage::default()
    };
    let mut checkouts: BTreeMap<String, String> = BTreeMap::new();
    let mut outputs: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut committed: Option<String> = None;
    let mut written: Vec<String> = Vec::new();
    let unknown = |what: &str, problems: &mut Vec<String>| {
        problems.push(format!("Stage {name}: {what}"));
    };
    for step in spec["steps"].as_array().into_iter().flatten() {
        let config = &step["config"];
        let uses = step["uses"].as_str().unwrap_or_default();
        match uses {
            "git-clone" => {
                if let (Some(n), Some(e)) = (
                    config["author"]["name"].as_str(),
                    config["author"]["email"].as_str(),
                ) {
                    stage.authors.push(format!("{n} <{e}>"));
                }
                for c in config["checkout"].as_array().into_iter().flatten() {
                    let (Some(branch), Some(path)) = (c["branch"].as_str(), c["path"].as_str())
                    else {
                        continue;
                    };
                    match fill(branch, &vars) {
                        Some(b) => {
                            checkouts.insert(clean(path), b.clone());
                            if c["create"].as_bool() == Some(true) {
                                stage.creates.push(b);
                            }
                        }
                        None => unknown(
                            &format!("git-clone branch `{branch}` is not translated"),
                            problems,
                        ),
                    }
                }
            }
            "yaml-parse" => {
                let step_name = step["as"].as_str().unwrap_or_default().to_string();
                for o in config["outputs"].as_array().into_iter().flatten() {
                    if let (Some(n), Some(from)) =
                        (o["name"].as_str(), o["fromExpression"].as_str())
                    {
                        outputs.insert((step_name.clone(), n.to_string()), from.to_string());
                    }
                }
            }
            "git-commit" => {
                committed = config["path"].as_str().map(clean);
                if let Some(message) = config["message"].as_str() {
                    match subject_pieces(message, name, &vars, &outputs) {
                        Ok(pieces) => stage.message = Some(pieces),
                        Err(why) => unknown(&format!("git-commit message: {why}"), problems),
                    }
                }
            }
            "git-push" => {
                if config["generateTargetBranch"].as_bool() == Some(true) {
                    stage.generates = true;
                } else if let Some(target) = config["targetBranch"].as_str() {
                    match fill(target, &vars) {
                        Some(b) => stage.pushes = Some(b),
                        None => unknown(
                            &format!("git-push targetBranch `{target}` is not translated"),
                            problems,
                        ),
                    }
                } else if let Some(path) = config["path"].as_str() {
                    stage.pushes = checkouts.get(&clean(path)).cloned();
                }
            }
            "git-open-pr" => {
                if let Some(target) = config["targetBranch"].as_str() {
                    match fill(target, &vars) {
                        Some(b) => stage.pull_requests.push(b),
                        None => unknown(
                            &format!("git-open-pr targetBranch `{target}` is not translated"),
                            problems,
                        ),
                    }
                }
                if let Some(p) = config["provider"].as_str() {
                    stage.providers.push(p.to_string());
                }
            }
            "helm-template" | "kustomize-build" => {
                if let Some(out) = config["outPath"].as_str() {
                    match fill(out, &vars) {
                        Some(p) => written.push(clean(&p)),
                        None => unknown(
                            &format!("{uses} outPath `{out}` is not translated"),
                            problems,
                        ),
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(dir) = committed {
        let prefix = format!("{dir}/");
        for path in written {
            match path.strip_prefix(&prefix) {
                Some(inside) => stage.paths.push(inside.to_string()),
                None if path == dir => stage.paths.push("**".to_string()),
                None => {}
            }
        }
    }
    stage
}

/// A YAML string (JSON's quoting is valid YAML).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("'{}'", text.replace('\'', "''")))
}

fn list(items: &BTreeMap<String, Vec<String>>) -> String {
    format!(
        "[{}]",
        items
            .keys()
            .map(|k| quoted(k))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn sources(items: &BTreeMap<String, Vec<String>>) -> String {
    let all: BTreeSet<&String> = items.values().flatten().collect();
    all.into_iter().cloned().collect::<Vec<_>>().join("; ")
}

fn render(
    stages: &[Stage],
    roots: &BTreeMap<String, String>,
    snapshot_branches: &BTreeSet<String>,
    images: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> String {
    let mut review: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut proposals: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut branches: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut renderer: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut forge: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut messages: Vec<(String, String)> = Vec::new();
    for s in stages {
        for b in &s.pull_requests {
            review
                .entry(b.clone())
                .or_default()
                .push(format!("Stage {}: git-open-pr targetBranch", s.name));
        }
        if s.generates {
            proposals
                .entry(format!("kargo/promotion/{}.*", globset::escape(&s.name)))
                .or_default()
                .push(format!("Stage {}: git-push generateTargetBranch", s.name));
        }
    }
    for s in stages {
        let mut own: Vec<(&String, &str)> = Vec::new();
        if let Some(b) = &s.pushes {
            own.push((b, "git-push"));
        }
        for b in &s.creates {
            own.push((b, "git-clone create"));
        }
        for (b, how) in own {
            if !review.contains_key(b) {
                branches
                    .entry(globset::escape(b))
                    .or_default()
                    .push(format!("Stage {}: {how}", s.name));
            }
        }
        if s.message.is_some() || s.pushes.is_some() || s.generates {
            for p in &s.paths {
                let glob = if p == "**" {
                    p.clone()
                } else {
                    globset::escape(p)
                };
                paths
                    .entry(glob)
                    .or_default()
                    .push(format!("Stage {}: rendered output", s.name));
            }
            let who = if s.authors.is_empty() {
                vec![KARGO_AUTHOR.to_string()]
            } else {
                s.authors.clone()
            };
            for a in who {
                renderer
                    .entry(a)
                    .or_default()
                    .push(format!("Stage {}", s.name));
            }
        }
        for p in &s.providers {
            if p == "github" {
                forge
                    .entry(GITHUB_FORGE.to_string())
                    .or_default()
                    .push(format!("Stage {}: git-open-pr provider github", s.name));
            } else {
                problems.push(format!(
                    "Stage {}: git-open-pr provider `{p}`: its merge commits' identity is not known; set `rendered.forge`",
                    s.name
                ));
            }
        }
        if let Some(m) = &s.message {
            messages.push((
                format!("Stage {}: git-commit message", s.name),
                subject_regex(m),
            ));
        }
    }
    let mut out = String::from(
        "# Derived by `freight-guard init --from-kargo` from Kargo's Stage and Warehouse resources.\n\
         # Each key names the Stage or Warehouse it came from.\n\
         version: 1\n",
    );
    if !roots.is_empty() {
        let branch_list: Vec<String> = snapshot_branches.iter().map(|b| quoted(b)).collect();
        out.push_str("snapshot:\n");
        out.push_str(&format!(
            "  # the branch of the Warehouse git subscriptions\n  branches: [{}]\n",
            branch_list.join(", ")
        ));
        let list: Vec<String> = roots.keys().map(|r| quoted(&globset::escape(r))).collect();
        let from: Vec<&String> = roots.values().collect();
        out.push_str(&format!(
            "  # {}\n  roots: [{}]\n",
            from.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            list.join(", ")
        ));
    }
    out.push_str("rendered:\n");
    let section = |out: &mut String, key: &str, items: &BTreeMap<String, Vec<String>>| {
        if !items.is_empty() {
            out.push_str(&format!(
                "  # {}\n  {key}: {}\n",
                sources(items),
                list(items)
            ));
        }
    };
    section(&mut out, "branches", &branches);
    section(&mut out, "review", &review);
    section(&mut out, "proposals", &proposals);
    if renderer.is_empty() {
        renderer.insert(
            KARGO_AUTHOR.to_string(),
            vec!["Kargo's default author".into()],
        );
    }
    section(&mut out, "renderer", &renderer);
    section(&mut out, "forge", &forge);
    section(&mut out, "paths", &paths);
    if !messages.is_empty() {
        out.push_str("  message:\n");
        for (from, re) in &messages {
            out.push_str(&format!(
                "    # {from}\n    - '{}'\n",
                re.replace('\'', "''")
            ));
        }
    }
    if roots.is_empty() {
        out.push_str("  # no Warehouse subscribes to a freight root's current/: nothing to cross-check\n  freight: none\n");
    } else {
        out.push_str("  # the freight a render names must be a release on the snapshot branch\n  freight: snapshot\n");
    }
    if images.is_empty() {
        problems.push("no Warehouse image subscription names the image repository: set `rendered.images` to pair rendered images with the freight".to_string());
    } else {
        let list: Vec<String> = images.keys().map(|i| quoted(i)).collect();
        let from: Vec<&str> = images.values().map(String::as_str).collect();
        out.push_str(&format!(
            "  # {}\n  images: [{}]\n",
            from.join("; "),
            list.join(", ")
        ));
    }
    out
}

/// The freight revision sample commits name.
const SAMPLE_REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

/// Where the policy and what the Kargo configuration makes disagree, as `kargo-drift`
/// findings: for each Stage, a sample of the commit it pushes (branch, subject from its
/// template with sample freight, paths, identity) that the policy would not accept; and each
/// policy pattern that no Stage needs.
pub fn lint(k: &Kargo, policy: &crate::policy::Policy) -> Vec<crate::finding::Finding> {
    use crate::contracts::rendered::Class;
    use crate::finding::Finding;
    use crate::rules::Rule;
    let p = &policy.rendered;
    let mut out = Vec::new();
    let drift = |at: String, message: String| Finding::new(Rule::KargoDrift, message).at(at);
    let (mut branches, mut reviews, mut proposals, mut subjects, mut paths, mut identities) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for s in &k.stages {
        let at = format!("Stage {}", s.name);
        let mut pushed: Vec<String> = s.pushes.iter().cloned().collect();
        pushed.extend(s.creates.iter().cloned());
        if s.generates {
            let sample = format!(
                "kargo/promotion/{}.01j00000000000000000000000.0123456",
                s.name
            );
            proposals.push(sample.clone());
            pushed.push(sample);
        }
        pushed.sort();
        pushed.dedup();
        for b in &pushed {
            match Class::of(p, b) {
                None => out.push(drift(
                    at.clone(),
                    format!("pushes to `{b}`, which no pattern of `rendered.branches`, `rendered.review` or `rendered.proposals` covers: its commits would not be judged"),
                )),
                Some(Class::Stage) => branches.push(b.clone()),
                Some(_) => {}
            }
        }
        for t in &s.pull_requests {
            reviews.push(t.clone());
            if !p.review.is_match(t) {
                out.push(drift(
                    at.clone(),
                    format!(
                        "opens pull requests against `{t}`, which is not in `rendered.review` ({})",
                        p.review.texts.join(", ")
                    ),
                ));
            }
        }
        let commits = s.message.is_some() || s.pushes.is_some() || s.generates;
        if let Some(pieces) = &s.message {
            let subject = subject_sample(pieces, SAMPLE_REVISION);
            if !p.message.is_empty() && !p.message.iter().any(|m| m.regex.is_match(&subject)) {
                out.push(drift(
                    at.clone(),
                    format!("commits with the subject `{subject}` (its git-commit template with sample freight), which matches no `rendered.message` pattern"),
                ));
            }
            subjects.push(subject);
        }
        if commits {
            for path in &s.paths {
                let sample = if path == "**" { "manifests.yaml" } else { path };
                paths.push(sample.to_string());
                if !p.paths.is_match(sample) {
                    out.push(drift(
                        at.clone(),
                        format!(
                            "writes `{sample}`, outside `rendered.paths` ({})",
                            p.paths.texts.join(", ")
                        ),
                    ));
                }
            }
            let who = if s.authors.is_empty() {
                vec![KARGO_AUTHOR.to_string()]
            } else {
                s.authors.clone()
            };
            for id in who {
                if !p.renderer.is_match(&id) {
                    out.push(drift(
                        at.clone(),
                        format!(
                            "commits as `{id}`, which is not in `rendered.renderer` ({})",
                            p.renderer.texts.join(", ")
                        ),
                    ));
                }
                identities.push(id);
            }
        }
    }
    let roots = policy.snapshot.root_matchers();
    for (root, from) in &k.roots {
        let segments: Vec<&str> = root.split('/').collect();
        let covered = roots.iter().any(|m| {
            m.len() == segments.len() && m.iter().zip(&segments).all(|(g, s)| g.is_match(s))
        });
        if !covered {
            out.push(drift(
                from.clone(),
                format!("subscribes to the freight root `{root}`, which `snapshot.roots` ({}) does not name: its releases would not be judged", policy.snapshot.roots.join(", ")),
            ));
        }
    }
    let unused = |key: &str, texts: Vec<&str>, out: &mut Vec<Finding>| {
        for t in texts {
            out.push(drift(
                format!("rendered.{key}"),
                format!("`{t}` in `rendered.{key}` is needed by no Stage"),
            ));
        }
    };
    unused("branches", p.branches.unmatched(&branches), &mut out);
    unused("review", p.review.unmatched(&reviews), &mut out);
    unused("proposals", p.proposals.unmatched(&proposals), &mut out);
    unused("renderer", p.renderer.unmatched(&identities), &mut out);
    if !p.paths.matches_everything() {
        unused("paths", p.paths.unmatched(&paths), &mut out);
    }
    for m in &p.message {
        if !subjects.iter().any(|s| m.regex.is_match(s)) {
            out.push(drift(
                "rendered.message".to_string(),
                format!(
                    "`{}` in `rendered.message` matches no Stage's commit subject",
                    m.text
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_templates_become_regexes() {
        let vars = BTreeMap::from([("stage".to_string(), "staging".to_string())]);
        let outputs = BTreeMap::from([(
            ("freight".to_string(), "releaseTag".to_string()),
            "tag".to_string(),
        )]);
        let re = message_regex(
            "Render ${{ vars.stage }} from ${{ outputs['freight'].releaseTag }} [skip ci]\n",
            "staging",
            &vars,
            &outputs,
        )
        .expect("translated");
        let re = regex::Regex::new(&re).expect("a regex");
        let tag = format!("git-{}", "a".repeat(40));
        assert!(re.is_match(&format!("Render staging from {tag} [skip ci]")));
        assert!(!re.is_match(&format!("Render staging from {tag} [skip ci] extra")));
        assert!(message_regex("${{ secret('x') }}", "s", &vars, &outputs).is_err());
    }
}
