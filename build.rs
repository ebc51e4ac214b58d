//! Records the commit the binary is built from, for `--version`: `git rev-parse` in the
//! source tree when it is a git checkout, `FREIGHT_GUARD_COMMIT` when the builder gives it
//! (release builds from an archive), else "unknown".

// Cargo reads a build script's instructions from its standard output.
#![allow(clippy::disallowed_macros)]

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=FREIGHT_GUARD_COMMIT");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let git_dir = std::path::Path::new(&dir).join(".git");
    if git_dir.exists() {
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        println!("cargo:rerun-if-changed={}", git_dir.join("refs").display());
    }
    let commit = std::env::var("FREIGHT_GUARD_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| {
            Command::new("git")
                .args(["-C", &dir, "rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=FREIGHT_GUARD_COMMIT={commit}");
}
