//! Views of Kestra flows over the syntax tree and decoded data.

pub mod defaults;
pub mod pebble;
