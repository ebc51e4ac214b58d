//! Every ref a push changes, under the name git writes: symbolic refs, refs that shadow a
//! guarded branch, histories of snapshot branches.

use crate::support::{Env, assert_declined};

#[test]
fn a_push_through_a_symbolic_ref_is_judged_as_its_target() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.server(&work);
    // The server keeps `master` as an alias of `main` (a migration), and HEAD is symbolic too.
    env.git(
        &server,
        &["symbolic-ref", "refs/heads/master", "refs/heads/main"],
    )
    .ok();
    env.breaks("mirror-mismatch", &work);
    let before = env.state(&server);
    let run = env.push(&work, &["HEAD:refs/heads/master"]);
    assert_declined(&run, "mirror-mismatch", "a push to the alias of main");
    assert!(run.stderr.contains("refs/heads/main"), "{}", run.stderr);
    assert_eq!(env.state(&server), before);
    // The neighbour: a valid release through the alias lands on main.
    env.git(&work, &["reset", "-q", "--hard", "HEAD~1"]).ok();
    env.breaks("valid", &work);
    let release = env.rev(&work, "HEAD");
    env.push(&work, &["HEAD:refs/heads/master"]).ok();
    assert_eq!(env.rev(&server, "refs/heads/main"), release);
}
