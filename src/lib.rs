//! kestra-fix: codemods for Kestra flow YAML over a lossless syntax tree.

// `bulk` sits between `report` and `cli`: it drives the engine over
// clones of many repositories and writes reports for each.
pub mod bulk;
pub mod cli;
pub mod codemods;
pub mod engine;
pub mod fix;
pub mod kestra;
pub mod report;
pub mod syntax;
