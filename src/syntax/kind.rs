//! Token and node kinds of the YAML concrete syntax tree.

/// Every kind of token (leaf) and node in the tree.
///
/// Tokens hold every byte of the input; nodes group them. Scalars keep their
/// raw text split at line boundaries so decoding and editing never need to
/// re-derive indentation from a single multi-line string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
#[allow(non_camel_case_types)]
pub enum SyntaxKind {
    // ---- tokens: trivia ----
    /// Spaces and tabs inside a line (indentation included).
    WHITESPACE = 0,
    /// `\n`, `\r\n` or a lone `\r`.
    NEWLINE,
    /// `# ...` up to, not including, the line break.
    COMMENT,
    /// The byte order mark at the start of a document.
    BOM,

    // ---- tokens: structure ----
    /// A whole `%YAML ...` or `%TAG ...` line (without its line break).
    DIRECTIVE,
    /// `---`
    DOC_START,
    /// `...`
    DOC_END,
    /// `-` starting a block sequence entry.
    DASH,
    /// `?` starting an explicit key.
    QUESTION,
    /// `:` separating key and value.
    COLON,
    COMMA,
    L_BRACKET,
    R_BRACKET,
    L_BRACE,
    R_BRACE,
    /// `&name`
    ANCHOR,
    /// `*name`
    ALIAS_NAME,
    /// `!tag`, `!!tag`, `!<uri>`, `!`
    TAG,

    // ---- tokens: scalar text ----
    /// One line's worth of a plain scalar (no surrounding whitespace).
    PLAIN_TEXT,
    /// A whole single-quoted scalar, quotes and inner line breaks included.
    SINGLE_QUOTED,
    /// A whole double-quoted scalar, quotes and inner line breaks included.
    DOUBLE_QUOTED,
    /// `|` or `>` with its chomping and indentation indicators.
    BLOCK_HEADER,
    /// The indentation of a block scalar content line (exactly the content
    /// indentation; extra spaces are part of the following BLOCK_TEXT).
    BLOCK_INDENT,
    /// The text of one block scalar content line after its indentation.
    BLOCK_TEXT,

    /// Bytes the parser could not place; always inside an ERROR node.
    ERROR_TOKEN,

    // ---- nodes ----
    /// The whole file.
    STREAM,
    DOCUMENT,
    /// Anchor and tag in front of a node.
    PROPERTIES,
    BLOCK_MAP,
    /// `key: value`, `? key\n: value` or a bare `key:` inside a block mapping.
    BLOCK_MAP_ENTRY,
    /// Key side of a mapping entry (`?` included when explicit).
    MAP_KEY,
    /// Value side of a mapping entry (`:` included).
    MAP_VALUE,
    BLOCK_SEQ,
    /// `- item`
    BLOCK_SEQ_ENTRY,
    FLOW_MAP,
    /// `key: value` inside `{}`, or a single pair inside `[]`.
    FLOW_MAP_ENTRY,
    FLOW_SEQ,
    /// One item of `[]` (with its trailing comma).
    FLOW_SEQ_ENTRY,
    PLAIN_SCALAR,
    SINGLE_QUOTED_SCALAR,
    DOUBLE_QUOTED_SCALAR,
    /// A literal `|` or folded `>` scalar.
    BLOCK_SCALAR,
    /// `*name`
    ALIAS,
    /// Something the parser could not make sense of.
    ERROR,
}

impl SyntaxKind {
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            Self::WHITESPACE | Self::NEWLINE | Self::COMMENT | Self::BOM
        )
    }

    pub fn is_scalar_node(self) -> bool {
        matches!(
            self,
            Self::PLAIN_SCALAR
                | Self::SINGLE_QUOTED_SCALAR
                | Self::DOUBLE_QUOTED_SCALAR
                | Self::BLOCK_SCALAR
        )
    }

    /// Kinds that are a YAML node's content (what properties attach to).
    pub fn is_content_node(self) -> bool {
        self.is_scalar_node()
            || matches!(
                self,
                Self::BLOCK_MAP | Self::BLOCK_SEQ | Self::FLOW_MAP | Self::FLOW_SEQ | Self::ALIAS
            )
    }

    const LAST: SyntaxKind = SyntaxKind::ERROR;
}

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(kind: SyntaxKind) -> Self {
        rowan::SyntaxKind(kind as u16)
    }
}

/// The rowan language tag of the YAML tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum YamlLanguage {}

impl rowan::Language for YamlLanguage {
    type Kind = SyntaxKind;

    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        assert!(raw.0 <= SyntaxKind::LAST as u16);
        // SAFETY: SyntaxKind is repr(u16) with contiguous discriminants from 0
        // to LAST, and the bound was checked above.
        unsafe { std::mem::transmute::<u16, SyntaxKind>(raw.0) }
    }

    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        kind.into()
    }
}

pub type SyntaxNode = rowan::SyntaxNode<YamlLanguage>;
pub type SyntaxToken = rowan::SyntaxToken<YamlLanguage>;
pub type SyntaxElement = rowan::SyntaxElement<YamlLanguage>;
