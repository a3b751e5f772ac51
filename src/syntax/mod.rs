//! Stage 1: source text to AST. The parser never panics: it returns an AST
//! or one syntax error per file.

pub mod ast;
pub mod errors;
pub mod lexical;
pub mod parser;
pub mod trivia;

pub use errors::SyntaxError;

/// The keywords of LANGUAGE.md section 3: none of them is a name.
pub const KEYWORDS: [&str; 39] = [
    "enum",
    "input",
    "team",
    "action",
    "outcome",
    "table",
    "flow",
    "step",
    "start",
    "when",
    "otherwise",
    "timeout",
    "within",
    "instructions",
    "escalate",
    "do",
    "to",
    "first",
    "test",
    "run",
    "given",
    "expect",
    "path",
    "severity",
    "requires",
    "require",
    "escalation",
    "and",
    "or",
    "not",
    "in",
    "true",
    "false",
    "bool",
    "int",
    "duration",
    "string",
    "sla",
    "resolution",
];

/// The keywords that start a top-level declaration.
pub const DECLARATION_KEYWORDS: [&str; 9] = ["enum", "input", "team", "action", "outcome", "require", "table", "flow", "test"];

/// Whether `word` is a keyword. A `match` on its length, first and last
/// byte, which name at most one keyword, then one comparison with it: every
/// name the parser reads is asked (a search of [`KEYWORDS`] was a sixteenth
/// of the parse, docs/PERFORMANCE.md; a `match` by
/// first letter and length, comparing up to nine words, a fiftieth in the
/// ninth). `tests/keywords.rs` checks the two against each other.
pub fn is_keyword(word: &str) -> bool {
    let b = word.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else { return false };
    let keyword = match (b.len(), first, last) {
        (2, b'd', b'o') => "do",
        (2, b't', b'o') => "to",
        (2, b'o', b'r') => "or",
        (2, b'i', b'n') => "in",
        (3, b'r', b'n') => "run",
        (3, b'a', b'd') => "and",
        (3, b'n', b't') => "not",
        (3, b'i', b't') => "int",
        (3, b's', b'a') => "sla",
        (4, b'e', b'm') => "enum",
        (4, b't', b'm') => "team",
        (4, b'f', b'w') => "flow",
        (4, b's', b'p') => "step",
        (4, b'w', b'n') => "when",
        (4, b't', b't') => "test",
        (4, b'p', b'h') => "path",
        (4, b't', b'e') => "true",
        (4, b'b', b'l') => "bool",
        (5, b'i', b't') => "input",
        (5, b't', b'e') => "table",
        (5, b's', b't') => "start",
        (5, b'f', b't') => "first",
        (5, b'g', b'n') => "given",
        (5, b'f', b'e') => "false",
        (6, b'a', b'n') => "action",
        (6, b'w', b'n') => "within",
        (6, b'e', b't') => "expect",
        (6, b's', b'g') => "string",
        (7, b'o', b'e') => "outcome",
        (7, b't', b't') => "timeout",
        (7, b'r', b'e') => "require",
        (8, b'e', b'e') => "escalate",
        (8, b's', b'y') => "severity",
        (8, b'r', b's') => "requires",
        (8, b'd', b'n') => "duration",
        (9, b'o', b'e') => "otherwise",
        (10, b'e', b'n') => "escalation",
        (10, b'r', b'n') => "resolution",
        (12, b'i', b's') => "instructions",
        _ => return false,
    };
    word == keyword
}

pub use parser::{parse_file, parse_whole};

/// Parses a file, recovering at declaration boundaries (for `check` and the
/// language server): when parsing fails, the top-level declaration that holds the
/// error is blanked out (newlines kept, so offsets stay) and the rest is
/// parsed again, until it parses. Returns what parsed and one error per
/// declaration that did not.
pub fn parse_recovering(file: crate::source::FileId, text: &str) -> (ast::File, Vec<SyntaxError>) {
    let mut masked = std::borrow::Cow::Borrowed(text);
    let mut errors: Vec<SyntaxError> = Vec::new();
    let starts = lexical::declaration_starts(text);
    for _ in 0..=starts.len() {
        match parse_file(file, &masked) {
            Ok(ast) => {
                errors.sort_by_key(|e| e.span.start);
                return (ast, errors);
            }
            Err(e) => {
                let pos = e.span.start as usize;
                errors.push(e);
                // The declaration holding the error; when the error stands
                // at the start of a declaration, the one before it did not end.
                let k = starts.partition_point(|&s| s <= pos);
                let k = if k > 0 && starts.get(k - 1) == Some(&pos) && k > 1 { k - 1 } else { k };
                let begin = if k == 0 { 0 } else { starts[k - 1] };
                let end = starts.get(k).copied().unwrap_or(text.len());
                let end = if end <= begin { text.len() } else { end };
                // One space per byte, so that every offset stays where it was.
                let blanked: String =
                    masked[begin..end].chars().map(|c| if c == '\n' || c == '\r' { c.to_string() } else { " ".repeat(c.len_utf8()) }).collect();
                let mut next = masked.into_owned();
                next.replace_range(begin..end, &blanked);
                masked = std::borrow::Cow::Owned(next);
            }
        }
    }
    errors.sort_by_key(|e| e.span.start);
    (ast::File::default(), errors)
}
