//! Bad usage: clap's argument errors and `FREIGHT_GUARD_*` variables that are set but empty,
//! reported as `input-invalid` in the format the command line asks for.

use crate::outcome::{ExitStatus, Outcome};
use crate::report::{self, Color, Format};
use crate::rules::Rule;

/// The environment variables that stand for options, with the option.
pub const ENV_VARIABLES: [(&str, &str); 3] = [
    ("FREIGHT_GUARD_CONFIG", "--config"),
    ("FREIGHT_GUARD_THREADS", "--threads"),
    ("FREIGHT_GUARD_DEADLINE", "--deadline"),
];

/// The variables of [`ENV_VARIABLES`] that are set but empty (or blank).
pub fn empty_variables() -> Vec<&'static str> {
    ENV_VARIABLES
        .iter()
        .map(|(var, _)| *var)
        .filter(|var| std::env::var_os(var).is_some_and(|v| v.to_string_lossy().trim().is_empty()))
        .collect()
}

/// Report bad usage (each problem one detail) as `input-invalid`, in `format`.
pub fn failure(format: Format, color: Color, problems: Vec<String>) -> ExitStatus {
    let mut outcome = Outcome::failed(
        Rule::InputInvalid,
        match problems.as_slice() {
            [one] => one.clone(),
            _ => format!("{} usage problem(s)", problems.len()),
        },
    );
    if problems.len() > 1 {
        outcome.findings[0].details = problems;
    }
    report::emit(&outcome, format, color, super::platform::gitlab_prefix());
    outcome.exit_status()
}

/// Report an argument error from clap as `input-invalid`, in the format the arguments ask
/// for (human when they cannot say), naming the environment variable a bad value came from.
pub fn clap_error(e: &clap::Error, args: &[std::ffi::OsString]) -> ExitStatus {
    use clap::ValueEnum;
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let option = |name: &str| -> Option<String> {
        let eq = format!("{name}=");
        args.iter().enumerate().skip(1).find_map(|(i, a)| {
            a.strip_prefix(&eq)
                .map(str::to_string)
                .or_else(|| (a == name).then(|| args.get(i + 1).cloned()).flatten())
        })
    };
    let format = option("--format")
        .and_then(|v| Format::from_str(&v, true).ok())
        .unwrap_or(Format::Human);
    let color = option("--color")
        .and_then(|v| Color::from_str(&v, true).ok())
        .unwrap_or(Color::Auto);
    let rendered = e.render().to_string();
    let mut message: String = rendered
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .trim()
        .trim_start_matches("error: ")
        .to_string();
    if let Some(clap::error::ContextValue::String(arg)) =
        e.get(clap::error::ContextKind::InvalidArg)
    {
        for (var, flag) in ENV_VARIABLES {
            let given = args
                .iter()
                .any(|a| a == flag || a.starts_with(&format!("{flag}=")));
            if arg.starts_with(flag) && !given && std::env::var_os(var).is_some() {
                message = format!("{var} (which sets {flag}): {message}");
            }
        }
    }
    failure(format, color, vec![message])
}
