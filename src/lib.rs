//! kestra-fix: codemods for Kestra flow YAML over a lossless syntax tree.

pub mod kestra;
pub mod syntax;
