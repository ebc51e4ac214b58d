//! Configuration documents: the YAML node tree with lines, and what validating any policy
//! section needs. Knows no contract family.

pub mod patterns;
pub mod validator;
pub mod yaml;
