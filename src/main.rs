//! The `freight-guard` binary: parse arguments, run, exit with the documented status.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use freight_guard::modes::{self, usage};
use freight_guard::outcome::ExitStatus;

fn main() -> ExitCode {
    // A variable that is set but empty (`FREIGHT_GUARD_CONFIG=`) is a mistake to report by
    // name, not a value for clap to reject as if a flag had been given without one.
    let empty = usage::empty_variables();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let parsed = command_without(&empty)
        .try_get_matches_from(&args)
        .and_then(|matches| freight_guard::cli::Cli::from_arg_matches(&matches));
    let status = match parsed {
        Ok(cli) if empty.is_empty() => modes::run(cli),
        Ok(cli) => usage::failure(
            cli.format,
            cli.color,
            empty
                .iter()
                .map(|var| format!("{var} is set but empty; unset it or give it a value"))
                .collect(),
        ),
        // Help and version are successes.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            ExitStatus::Ok
        }
        // Every other parse error is bad usage (2), reported in the format asked for.
        Err(e) => usage::clap_error(&e, &args),
    };
    ExitCode::from(status.code())
}

/// The command line, with the options whose variables are set but empty no longer read from
/// the environment: they are reported by name instead.
fn command_without(empty: &[&str]) -> clap::Command {
    let mut command = freight_guard::cli::Cli::command();
    for var in empty {
        let Some((_, flag)) = usage::ENV_VARIABLES.iter().find(|(v, _)| v == var) else {
            continue;
        };
        let id = flag.trim_start_matches('-');
        if command.get_arguments().any(|a| a.get_id() == id) {
            command = command.mut_arg(id, |a| a.env(None));
        }
        for sub in ["pre-receive", "pre-push", "hook"] {
            command = command.mut_subcommand(sub, |s| {
                if s.get_arguments().any(|a| a.get_id() == id) {
                    s.mut_arg(id, |a| a.env(None))
                } else {
                    s
                }
            });
        }
    }
    command
}
