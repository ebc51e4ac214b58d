//! The `freight-guard` binary: parse arguments, run, exit with the documented status.

use std::process::ExitCode;

use clap::Parser;

use freight_guard::app::{self, ENV_VARIABLES};

fn main() -> ExitCode {
    // A variable that is set but empty (`FREIGHT_GUARD_CONFIG=`) is a mistake to report by
    // name, not a value for clap to reject as if a flag had been given without one.
    let empty: Vec<&str> = ENV_VARIABLES
        .iter()
        .map(|(var, _)| *var)
        .filter(|var| std::env::var_os(var).is_some_and(|v| v.to_string_lossy().trim().is_empty()))
        .collect();
    for var in &empty {
        // SAFETY: nothing else runs yet: no thread has been started, so nothing reads the
        // environment while it changes.
        unsafe { std::env::remove_var(var) };
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let code = match freight_guard::cli::Cli::try_parse_from(&args) {
        Ok(cli) if empty.is_empty() => app::run(cli),
        Ok(cli) => app::usage_failure(
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
            0
        }
        // Every other parse error is bad usage (2), reported in the format asked for.
        Err(e) => app::usage_error(&e, &args),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(3))
}
