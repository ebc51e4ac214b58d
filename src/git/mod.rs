//! The only code that reads git objects and refs (through gix): the repository with git's push
//! quarantine and its caches, the commit walk, the index.

pub mod attributes;
pub mod diff;
pub mod index;
pub mod parse;
pub mod repo;
#[cfg(test)]
pub mod testing;
pub mod walk;
