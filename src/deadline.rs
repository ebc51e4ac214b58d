//! When judging must stop: the hook's deadline, checked between commits and inside the loops
//! over one commit's trees, so no push is accepted after it passed.

use std::time::Instant;

use crate::git::repo::ReadError;

/// Why judging stopped before it finished.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the deadline of {0:.1} s passed before every commit was judged")]
    Deadline(f64),
}

/// A start and how many seconds judging may take from it (`None` in a [`Deadline`]: no limit).
#[derive(Debug, Clone, Copy, Default)]
pub struct Deadline(pub Option<(Instant, f64)>);

impl Deadline {
    /// `Err(Stop::Deadline)` once the time is up.
    pub fn check(self) -> Result<(), Stop> {
        if let Some((start, seconds)) = self.0
            && start.elapsed().as_secs_f64() > seconds
        {
            return Err(Stop::Deadline(seconds));
        }
        Ok(())
    }
}
