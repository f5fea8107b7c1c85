//! Views over the CST that know Kestra: flows, plugin instances, type aliases.
//!
//! Nothing here owns the tree: every view is a handle on syntax nodes.

pub mod flow;
pub mod path;
pub mod plugins;
mod version;

pub use version::{KestraVersion, ParseVersionError};
