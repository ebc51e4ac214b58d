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
    /// The subject regex of its `git-commit` message.
    message: Option<String>,
    /// Paths its rendering steps write, relative to the committed checkout.
    paths: Vec<String>,
    /// `git-clone` authors.
    authors: Vec<String>,
    /// `git-open-pr` providers.
    providers: Vec<String>,
}

/// Read every YAML document under `dir` and derive the policy.
pub fn derive(dir: &Path) -> Result<Derived, String> {
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
    Ok(Derived {
        text: render(&stages, &roots, &snapshot_branches, &images, &mut problems),
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

/// The subject regex of a `git-commit` message template: literal text escaped, variables
/// filled in, the freight's revision and tag as the named groups `revision` and `tag`.
fn message_regex(
    template: &str,
    stage: &str,
    vars: &BTreeMap<String, String>,
    outputs: &BTreeMap<(String, String), String>,
) -> Result<String, String> {
    let subject = template.lines().next().unwrap_or_default().trim_end();
    let mut out = String::from("^");
    let mut rest = subject;
    let mut used = BTreeSet::new();
    let mut group = |name: &'static str, pattern: &'static str, out: &mut String| {
        if used.insert(name) {
            out.push_str(pattern);
        } else {
            // A name is captured once; a repeat matches the same shape.
            out.push_str(&pattern.replacen(&format!("?P<{name}>"), "?:", 1));
        }
    };
    while let Some(start) = rest.find("${{") {
        out.push_str(&regex::escape(&rest[..start]));
        let end = rest[start..]
            .find("}}")
            .ok_or_else(|| format!("an unclosed expression in `{subject}`"))?;
        let expr = rest[start + 3..start + end].trim();
        if let Some(var) = expr.strip_prefix("vars.") {
            let value = vars
                .get(var)
                .ok_or_else(|| format!("`{expr}` names no var of the Stage"))?;
            out.push_str(&regex::escape(value));
        } else if expr == "ctx.stage" {
            out.push_str(&regex::escape(stage));
        } else if expr.starts_with("commitFrom(") && expr.ends_with(").ID") {
            group("revision", REVISION, &mut out);
        } else if expr.starts_with("imageFrom(") && expr.ends_with(").Tag") {
            group("tag", TAG, &mut out);
        } else if let Some((step, output)) = output_ref(expr) {
            match outputs.get(&(step, output)).map(String::as_str) {
                Some("tag") => group("tag", TAG, &mut out),
                Some("revision") => group("revision", REVISION, &mut out),
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
    out.push_str(&regex::escape(rest));
    out.push('$');
    Ok(out)
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
                    match message_regex(message, name, &vars, &outputs) {
                        Ok(re) => stage.message = Some(re),
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
            messages.push((format!("Stage {}: git-commit message", s.name), m.clone()));
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
