//! The `freight-guard` binary: parse arguments, run, exit with the documented status.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match freight_guard::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; every other parse error is bad usage (2).
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = freight_guard::app::run(cli);
    ExitCode::from(u8::try_from(code).unwrap_or(3))
}
