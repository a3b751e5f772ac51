//! Stage 1: source text to AST. The parser never panics: it returns an AST
//! or one syntax error per file.

pub mod ast;
pub mod errors;
pub mod parser;
pub mod trivia;

pub use errors::SyntaxError;

/// The keywords of LANGUAGE.md section 3: none of them is a name.
pub const KEYWORDS: [&str; 38] = [
    "enum", "input", "team", "action", "outcome", "table", "flow", "step", "start", "when", "otherwise", "timeout", "within",
    "instructions", "escalate", "do", "to", "first", "test", "run", "given", "expect", "path", "severity", "requires",
    "require", "escalation", "and", "or", "not", "in", "true", "false", "bool", "int", "duration", "string", "sla",
];

/// Whether `word` is a keyword. A `match` on the word (its first letter,
/// then its length, then the words of that length) rather than a search of
/// [`KEYWORDS`]: every name the parser reads is asked, and the search was a
/// sixteenth of the parse (docs/PERFORMANCE.md, issue 8, fifth round); the
/// words by length, so that a name is compared with at most six words of
/// its own length, each a fixed-size comparison (seventh round).
/// `tests/keywords.rs` checks the two against each other.
pub fn is_keyword(word: &str) -> bool {
    // Most names fail on their first letter or their length, before any
    // comparison (no keyword starts with c, h, j, k, l, m, q, u, v, x, y, z).
    match word.as_bytes().first() {
        Some(b'a' | b'b' | b'd' | b'e' | b'f' | b'g' | b'i' | b'n' | b'o' | b'p' | b'r' | b's' | b't' | b'w') => {}
        _ => return false,
    }
    match word.len() {
        2 => matches!(word, "do" | "to" | "or" | "in"),
        3 => matches!(word, "run" | "and" | "not" | "int" | "sla"),
        4 => matches!(word, "enum" | "team" | "flow" | "step" | "when" | "test" | "path" | "true" | "bool"),
        5 => matches!(word, "input" | "table" | "start" | "first" | "given" | "false"),
        6 => matches!(word, "action" | "within" | "expect" | "string"),
        7 => matches!(word, "outcome" | "timeout" | "require"),
        8 => matches!(word, "escalate" | "severity" | "requires" | "duration"),
        9 => word == "otherwise",
        10 => word == "escalation",
        12 => word == "instructions",
        _ => false,
    }
}

pub use parser::{parse_file, parse_whole};

/// Parses a file, recovering at declaration boundaries (for the language
/// server): when parsing fails, the top-level declaration that holds the
/// error is blanked out (newlines kept, so offsets stay) and the rest is
/// parsed again, until it parses. Returns what parsed and one error per
/// declaration that did not.
pub fn parse_recovering(file: crate::source::FileId, text: &str) -> (ast::File, Vec<SyntaxError>) {
    let mut masked = std::borrow::Cow::Borrowed(text);
    let mut errors = Vec::new();
    let starts = declaration_starts(text);
    for _ in 0..=starts.len() {
        match parse_file(file, &masked) {
            Ok(ast) => return (ast, errors),
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
                let blanked: String = masked[begin..end]
                    .chars()
                    .map(|c| if c == '\n' || c == '\r' { c.to_string() } else { " ".repeat(c.len_utf8()) })
                    .collect();
                let mut next = masked.into_owned();
                next.replace_range(begin..end, &blanked);
                masked = std::borrow::Cow::Owned(next);
            }
        }
    }
    (ast::File::default(), errors)
}

/// Byte offsets of the lines that start a top-level declaration (a keyword
/// in the first column, or the doc comment above it).
pub(crate) fn declaration_starts(text: &str) -> Vec<usize> {
    const KEYWORDS: [&str; 9] = ["enum ", "input ", "team ", "action ", "outcome ", "require ", "table ", "flow ", "test "];
    let mut out = Vec::new();
    let mut offset = 0;
    let mut doc_start: Option<usize> = None;
    // Lines as `split_inclusive('\n')` gives them, found with `memchr`.
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1).chain((!text.ends_with('\n') && !text.is_empty()).then_some(text.len()));
    for end in ends {
        let line = &text[offset..end];
        if line.starts_with("///") {
            doc_start.get_or_insert(offset);
        } else if line.as_bytes().first().is_some_and(u8::is_ascii_lowercase) && KEYWORDS.iter().any(|k| line.starts_with(k)) {
            out.push(doc_start.take().unwrap_or(offset));
        } else if !line.trim().is_empty() {
            doc_start = None;
        }
        offset = end;
    }
    out
}
