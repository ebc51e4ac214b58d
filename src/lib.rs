//! freight-guard: keeps a Kargo GitOps repository honest.
//!
//! Data flows one way in every mode: read input (hook stdin, a range, the index) → gather the
//! commits and trees to judge → run the contracts → report. Modes differ only in the first
//! step. Contracts are pure functions of git objects plus a validated policy; they return
//! findings and never print.

pub mod app;
pub mod cli;
pub mod engine;
pub mod finding;
pub mod github;
pub mod images;
pub mod index;
pub mod policy;
pub mod rendered;
pub mod repo;
pub mod report;
pub mod rules;
pub mod sarif;
pub mod signing;
pub mod snapshot;
pub mod walk;
pub mod worktree;
pub mod yaml;
