//! The contract families, one folder each: the snapshot contract (release directories and their
//! `current/` mirror), the rendered-branch contract (renderer, review, freight, images) and
//! commit signing.

pub mod objects;
pub mod refs;
pub mod rendered;
pub mod signing;
pub mod snapshot;
