//! Command line definition.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::{Color, Format};

/// Keeps a Kargo GitOps repository honest: frozen release snapshots and rendered branches.
#[derive(Debug, Parser)]
#[command(
    name = "freight-guard",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("FREIGHT_GUARD_COMMIT"), ")"),
    about,
    long_about = None
)]
pub struct Cli {
    /// Run as if started in PATH (a repository, its work tree or its git dir).
    #[arg(short = 'C', global = true, value_name = "PATH")]
    pub repo: Option<PathBuf>,

    /// Read the policy from FILE (a server-side file the admin controls) instead of the
    /// repository. Also FREIGHT_GUARD_CONFIG.
    #[arg(long, global = true, value_name = "FILE", env = "FREIGHT_GUARD_CONFIG")]
    pub config: Option<PathBuf>,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub format: Format,

    /// Judge a push's commits on N threads [default: one per core]. Also
    /// FREIGHT_GUARD_THREADS.
    #[arg(long, global = true, value_name = "N", env = "FREIGHT_GUARD_THREADS",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,

    /// When to colour human output.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: Color,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Server hook: judge every ref update of a push (git's pre-receive stdin).
    PreReceive {
        /// Reject with `deadline-exceeded` when judging takes longer than this. Also
        /// FREIGHT_GUARD_DEADLINE (the installed hooks pass no arguments).
        #[arg(long, value_name = "SECONDS", default_value = "4.5", env = "FREIGHT_GUARD_DEADLINE", value_parser = parse_seconds)]
        deadline: f64,
    },
    /// Local hook: judge what `git push` is about to send (git's pre-push stdin).
    PrePush {
        /// The remote's name, as git passes it.
        remote: String,
        /// The remote's URL, as git passes it.
        url: Option<String>,
        /// Reject with `deadline-exceeded` when judging takes longer than this. Also
        /// FREIGHT_GUARD_DEADLINE (the installed hooks pass no arguments).
        #[arg(long, value_name = "SECONDS", default_value = "4.5", env = "FREIGHT_GUARD_DEADLINE", value_parser = parse_seconds)]
        deadline: f64,
    },
    /// Local hook: judge the staged index as the commit about to be made on HEAD's branch.
    PreCommit {
        /// Compare the snapshot directories on disk instead of the index.
        #[arg(long)]
        worktree: bool,
    },
    /// CI: judge the commits in BASE..HEAD as if pushed to REF whose tip is BASE.
    Check {
        /// The tip of the target branch (the pull request's base); the policy is read here.
        #[arg(long, value_name = "REV")]
        base: String,
        /// The commit to judge (the pull request's head).
        #[arg(long, value_name = "REV")]
        head: String,
        /// The branch the commits would land on [default: the first snapshot branch].
        #[arg(long = "ref", value_name = "REF")]
        ref_name: Option<String>,
    },
    /// Judge every commit of the guarded branches.
    Audit {
        /// Branches to audit (glob on the branch name or full ref; repeatable; a pattern that
        /// matches no branch is an error) [default: every guarded branch: the snapshot,
        /// rendered, review and proposal branches of the policy].
        #[arg(long = "ref", value_name = "PATTERN")]
        refs: Vec<String>,
    },
    /// pre-commit framework hook: judge the staged index at the pre-commit stage, the commits
    /// being pushed at the pre-push stage (from pre-commit's PRE_COMMIT_* variables).
    Hook {
        /// Reject with `deadline-exceeded` when judging a push takes longer than this. Also
        /// FREIGHT_GUARD_DEADLINE.
        #[arg(long, value_name = "SECONDS", default_value = "4.5", env = "FREIGHT_GUARD_DEADLINE", value_parser = parse_seconds)]
        deadline: f64,
    },
    /// Explain a rule: what it means and how to fix it. Without RULE, list the rules.
    Explain {
        rule: Option<String>,
        /// Print every rule as Markdown (docs/rules.md).
        #[arg(long, conflicts_with = "rule")]
        markdown: bool,
    },
    /// CI: write a release snapshot: ROOT/git-REVISION/ (the package copied byte for byte and
    /// a complete freight.yaml) and ROOT/current/ as its exact copy, then judge the work tree.
    /// Changes nothing when the release exists with the same content; refuses, changing
    /// nothing, when it exists with other content or the input breaks the contract.
    Freeze {
        /// The freight root, relative to the work tree (`warehouses/codeai/freight`).
        #[arg(long)]
        root: PathBuf,
        /// The released source commit: its full lowercase id.
        #[arg(long)]
        revision: String,
        /// The image repository (tagged `git-REVISION` if it carries no tag), or the image
        /// reference tagged `git-REVISION`.
        #[arg(long)]
        image: String,
        /// The image's digest: `sha256:` and 64 lowercase hex digits.
        #[arg(long)]
        digest: String,
        /// TYPE=DIRECTORY: the package type (a key of `snapshot.packages`) and the directory
        /// copied into the release as its payload.
        #[arg(long)]
        package: String,
        /// The record's `createdAt` [default: SOURCE_DATE_EPOCH, else now, in UTC].
        #[arg(long)]
        created_at: Option<String>,
    },
    /// Compare the trusted policy with what Kargo's Stage and Warehouse resources under DIR
    /// push: a sample commit per Stage the policy would refuse, and policy patterns no Stage
    /// needs (`kargo-drift`, warn by default).
    LintKargo {
        /// The directory holding the Kargo resources (YAML files, searched recursively).
        dir: PathBuf,
    },
    /// Print the shell completion script for SHELL (install.sh installs them).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), freight-guard(1).
    Man,
    /// Write the annotated default policy to .freight-guard.yaml.
    Init {
        /// Print the policy instead of writing the file.
        #[arg(long)]
        stdout: bool,
        /// Overwrite an existing .freight-guard.yaml.
        #[arg(long)]
        force: bool,
        /// Derive the policy from Kargo's Stage and Warehouse resources (YAML files under
        /// DIR) instead of writing the defaults; what cannot be derived is reported.
        #[arg(long, value_name = "DIR")]
        from_kargo: Option<PathBuf>,
    },
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 => Ok(s),
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}
