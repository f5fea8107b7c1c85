use super::kind::SyntaxKind;
use super::SyntaxError;
pub(crate) fn parse(text: &str) -> (rowan::GreenNode, Vec<SyntaxError>) {
    let mut b = rowan::GreenNodeBuilder::new();
    b.start_node(SyntaxKind::STREAM.into());
    if !text.is_empty() {
        b.token(SyntaxKind::ERROR_TOKEN.into(), text);
    }
    b.finish_node();
    (b.finish(), Vec::new())
}
