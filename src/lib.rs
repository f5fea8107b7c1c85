//! kestra-fix: codemods for Kestra flow YAML over a lossless syntax tree.

pub mod cli;
pub mod codemods;
pub mod engine;
pub mod fix;
pub mod kestra;
pub mod report;
pub mod syntax;
