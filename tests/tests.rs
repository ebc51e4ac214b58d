//! Integration tests: the real binary against real git repositories. All areas compile into
//! one test binary.

#[path = "it/support.rs"]
mod support;

#[path = "it/freeze.rs"]
mod freeze;
#[path = "it/github.rs"]
mod github;
#[path = "it/hostile.rs"]
mod hostile;
#[path = "it/install.rs"]
mod install;
#[path = "it/integrations.rs"]
mod integrations;
#[path = "it/kargo.rs"]
mod kargo;
#[path = "it/modes.rs"]
mod modes;
#[path = "it/objects.rs"]
mod objects;
#[path = "it/policy.rs"]
mod policy;
#[path = "it/refs.rs"]
mod refs;
#[path = "it/rendered.rs"]
mod rendered;
#[path = "it/signing.rs"]
mod signing;
#[path = "it/snapshot.rs"]
mod snapshot;
