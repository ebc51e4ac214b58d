//! The github.com recipe (docs/github.md), checked as far as a machine without GitHub can:
//! the rulesets' structure and coverage, the after-push workflow's triggers and inputs, and the
//! Kargo verification's AnalysisTemplate against the Argo Rollouts CRD schema.

use crate::support::root;

fn ruleset(name: &str) -> serde_json::Value {
    let path = root().join("docs/github/rulesets").join(name);
    let text = std::fs::read_to_string(&path).expect("ruleset");
    serde_json::from_str(&text).expect("a ruleset is JSON")
}

fn rule_types(r: &serde_json::Value) -> Vec<String> {
    r["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|rule| rule["type"].as_str().expect("type").to_string())
        .collect()
}

fn includes(r: &serde_json::Value) -> Vec<String> {
    r["conditions"]["ref_name"]["include"]
        .as_array()
        .expect("include")
        .iter()
        .map(|v| v.as_str().expect("pattern").to_string())
        .collect()
}

#[test]
fn the_rulesets_cover_what_the_recipe_says() {
    // The rule types GitHub's ruleset import takes.
    let known = [
        "creation",
        "update",
        "deletion",
        "non_fast_forward",
        "pull_request",
        "required_status_checks",
        "required_linear_history",
        "required_signatures",
    ];
    for name in [
        "stage-branches-kargo-only.json",
        "history-kept.json",
        "stage-production-reviewed.json",
    ] {
        let r = ruleset(name);
        assert_eq!(r["target"], "branch", "{name}");
        assert_eq!(r["enforcement"], "active", "{name}");
        for t in rule_types(&r) {
            assert!(known.contains(&t.as_str()), "{name}: rule type {t}");
        }
    }
    // stage/* written by the Kargo App alone, but for stage/production (merged by reviewers).
    let kargo = ruleset("stage-branches-kargo-only.json");
    assert_eq!(rule_types(&kargo), ["creation", "update"]);
    assert!(includes(&kargo).contains(&"refs/heads/stage/*".to_string()));
    assert_eq!(
        kargo["conditions"]["ref_name"]["exclude"],
        serde_json::json!(["refs/heads/stage/production"])
    );
    assert_eq!(kargo["bypass_actors"][0]["actor_type"], "Integration");
    // No force push, no deletion of main and stage/*, and nobody bypasses it.
    let history = ruleset("history-kept.json");
    assert_eq!(rule_types(&history), ["deletion", "non_fast_forward"]);
    assert_eq!(
        includes(&history),
        ["refs/heads/main", "refs/heads/stage/*"]
    );
    assert_eq!(history["bypass_actors"], serde_json::json!([]));
    // stage/production through reviewed pull requests with the freight-guard check.
    let production = ruleset("stage-production-reviewed.json");
    assert_eq!(
        rule_types(&production),
        ["pull_request", "required_status_checks"]
    );
    assert_eq!(includes(&production), ["refs/heads/stage/production"]);
    assert_eq!(
        production["rules"][1]["parameters"]["required_status_checks"][0]["context"],
        "freight-guard"
    );
}

#[test]
fn the_after_push_workflow_judges_every_push_to_guarded_branches() {
    let text =
        std::fs::read_to_string(root().join("docs/github/after-push.yml")).expect("workflow");
    let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
    assert_eq!(
        doc["on"]["push"]["branches"],
        serde_json::json!(["main", "stage/**"])
    );
    let steps = doc["jobs"]["freight-guard"]["steps"]
        .as_array()
        .expect("steps");
    let judge = steps
        .iter()
        .find(|s| s["id"] == "judge")
        .expect("the judging step");
    assert!(
        judge["uses"]
            .as_str()
            .is_some_and(|u| u.contains("freight-guard"))
    );
    assert_eq!(judge["with"]["base"], "${{ github.event.before }}");
    assert_eq!(judge["with"]["head"], "${{ github.event.after }}");
    assert_eq!(judge["with"]["format"], "github");
    // The checkout holds the whole history, which `check` walks.
    assert_eq!(steps[0]["with"]["fetch-depth"], 0);
    let alarm = steps
        .iter()
        .find(|s| s["if"] == "failure()")
        .expect("an alarm step");
    assert!(
        alarm["run"]
            .as_str()
            .is_some_and(|r| r.contains("GITHUB_STEP_SUMMARY") && r.contains("exit 1"))
    );
}

#[test]
fn the_analysis_template_fits_the_argo_rollouts_schema() {
    let crd_text =
        std::fs::read_to_string(root().join("fixtures/argo-rollouts/analysis-template-crd.yaml"))
            .expect("CRD");
    let crd: serde_json::Value = serde_saphyr::from_str(&crd_text).expect("CRD YAML");
    assert_eq!(crd["spec"]["names"]["kind"], "AnalysisTemplate");
    let version = &crd["spec"]["versions"][0];
    assert_eq!(version["name"], "v1alpha1");
    let schema = version["schema"]["openAPIV3Schema"].clone();
    let validator = jsonschema::validator_for(&schema).expect("the CRD's schema compiles");
    let text = std::fs::read_to_string(root().join("docs/github/analysis-template.yaml"))
        .expect("template");
    let template: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
    assert_eq!(template["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(template["kind"], "AnalysisTemplate");
    let errors: Vec<String> = validator
        .iter_errors(&template)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not vacuous: a metric without its required name is refused.
    let mut broken = template.clone();
    broken["spec"]["metrics"][0]
        .as_object_mut()
        .expect("metric")
        .remove("name");
    assert!(!validator.is_valid(&broken));
    // The Job audits the branch it was given.
    let args = &template["spec"]["metrics"][0]["provider"]["job"]["spec"]["template"]["spec"]["containers"]
        [0]["args"];
    assert_eq!(
        args,
        &serde_json::json!([
            "-C",
            "/repo/gitops.git",
            "audit",
            "--ref",
            "{{args.branch}}"
        ])
    );
}
