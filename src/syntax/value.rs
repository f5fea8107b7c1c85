//! Decoded YAML data (placeholder while the parser lands).
use super::kind::SyntaxNode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

pub fn scalar_style(_n: &SyntaxNode) -> ScalarStyle {
    ScalarStyle::Plain
}
pub fn scalar_text(n: &SyntaxNode) -> String {
    n.to_string()
}
pub fn decode_scalar(n: &SyntaxNode) -> Value {
    Value::String(n.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DecodeError { pub message: String, pub range: rowan::TextRange }

/// Every document of the stream as data (an empty document is Null).
pub fn decode_documents(parse: &super::Parse) -> Result<Vec<Value>, DecodeError> {
    let _ = parse;
    Ok(Vec::new())
}

impl Value {
    /// JSON rendering (non-string keys are written as their YAML text).
    pub fn to_json(&self) -> serde_json::Value { serde_json::Value::Null }
}
