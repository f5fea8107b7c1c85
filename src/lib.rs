//! kestra-fix: codemods for Kestra flow YAML over a lossless syntax tree.

pub mod syntax;
