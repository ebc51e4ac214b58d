//! Objects read as consumers read them: crafted pushes that make freight-guard (through gix)
//! and `git clone` / `git checkout` (what Argo CD and Kargo run) see different content are
//! rejected, and the consumer's side shows why it mattered.

use std::path::Path;

use crate::support::{Env, assert_declined};

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
    env.breaks("mirror-mismatch", &work);
    let bad = env.rev(&work, "HEAD");
    env.git(&work, &["reset", "-q", "--hard", &base]).ok();
    env.breaks("valid", &work);
    let good = env.rev(&work, "HEAD");
    env.git(&work, &["reset", "-q", "--hard", &base]).ok();
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
