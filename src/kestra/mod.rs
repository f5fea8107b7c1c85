//! Views of Kestra flows over the syntax tree and decoded data: flows and
//! plugin instances, the plugin catalog, type aliases, Pebble references,
//! pluginDefaults.
//!
//! Nothing here owns the tree: every view is a handle on syntax nodes.

pub mod catalog;
pub mod defaults;
pub mod flow;
pub mod ids;
pub mod path;
pub mod pebble;
pub mod plugins;
pub mod properties;
mod version;

pub use version::{KestraVersion, ParseVersionError};
