//! freight-guard: keeps a Kargo GitOps repository honest.
//!
//! Data flows one way in every mode: read input (hook stdin, a range, the index) → gather the
//! commits and trees to judge → run the contracts → report. Modes differ only in the first
//! step. Contracts are pure functions of git objects plus a validated policy; they return
//! findings and never print. `ARCHITECTURE.md` maps the modules.

pub mod cfg;
pub mod cli;
pub mod contracts;
pub mod deadline;
pub mod engine;
pub mod finding;
pub mod fuzzing;
pub mod git;
pub mod image_ref;
pub mod kargo;
pub mod modes;
pub mod outcome;
pub mod policy;
pub mod push;
pub mod report;
pub mod rules;
