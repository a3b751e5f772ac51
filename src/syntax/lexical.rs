//! The lexical rules of the language, in one place: comments (`//` to the
//! end of the line, doc comments `///`), strings (`"…"` on one line, with the
//! escapes `\"`, `\\`, `\n`, `\t`), line ends (`\n`, `\r\n` and a lone `\r`)
//! and the byte-order mark U+FEFF (whitespace anywhere). The grammar reads
//! them too; everything else that needs to know where a comment or string
//! is asks [`segments`]: the nesting limit, the checks the grammar leaves
//! out ([`check`]), declaration cuts, brace matching for errors, trivia,
//! suppressions, the formatter and the language server.

use super::errors::SyntaxError;
use crate::source::{FileId, Span};

/// Deepest nesting of parentheses and `not` a condition may have.
pub const MAX_NESTING: usize = 200;

/// The longest string literal, in bytes.
pub const MAX_STRING: usize = 64 << 10;

/// What a stretch of text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Anything outside comments and strings (whitespace included).
    Code,
    /// From `//` to the end of its line, the line break not included.
    Comment,
    /// From `"` to its closing `"`, both included.
    String,
    /// A `"` that its line does not close: to the end of the line, the
    /// line break not included.
    OpenString,
}

/// One stretch of text: `text[start..end]` is of `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Whether `b` ends a line (`\n`, or `\r` alone or before `\n`).
pub fn is_line_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// The text as code, comments and strings, in order, covering every byte.
/// Jumps with `memchr` from one `"` or `/` to the next.
pub fn segments(text: &str) -> Segments<'_> {
    Segments { bytes: text.as_bytes(), at: 0, pending: None, cr: memchr::memchr(b'\r', text.as_bytes()).is_some() }
}

pub struct Segments<'a> {
    bytes: &'a [u8],
    at: usize,
    pending: Option<Segment>,
    /// Whether the text holds a `\r` at all (most do not: one `memchr` less
    /// per comment and string).
    cr: bool,
}

impl Segments<'_> {
    /// Where the line that holds `from` ends.
    fn line_end(&self, from: usize) -> usize {
        let rest = &self.bytes[from..];
        let found = if self.cr { memchr::memchr2(b'\n', b'\r', rest) } else { memchr::memchr(b'\n', rest) };
        found.map_or(self.bytes.len(), |k| from + k)
    }

    /// The comment or string that starts at `at`.
    fn literal(&self, at: usize) -> Segment {
        let b = self.bytes;
        if b[at] == b'/' {
            return Segment { kind: Kind::Comment, start: at, end: self.line_end(at) };
        }
        let mut j = at + 1;
        loop {
            let Some(k) = memchr::memchr3(b'"', b'\\', b'\n', &b[j..]) else {
                let end = if self.cr { self.line_end(at + 1) } else { b.len() };
                return Segment { kind: Kind::OpenString, start: at, end };
            };
            let e = j + k;
            match b[e] {
                b'"' => break j = e + 1,
                b'\\' if b.get(e + 1).is_some_and(|c| !is_line_break(*c)) => j = e + 2,
                b'\\' => j = e + 1,
                _ => return Segment { kind: Kind::OpenString, start: at, end: if self.cr { self.line_end(at + 1) } else { e } },
            }
        }
        if self.cr {
            if let Some(r) = memchr::memchr(b'\r', &b[at..j]) {
                return Segment { kind: Kind::OpenString, start: at, end: at + r };
            }
        }
        Segment { kind: Kind::String, start: at, end: j }
    }
}

impl Iterator for Segments<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        if let Some(s) = self.pending.take() {
            self.at = s.end;
            return Some(s);
        }
        let b = self.bytes;
        let mut from = self.at;
        while from < b.len() {
            let Some(k) = memchr::memchr2(b'"', b'/', &b[from..]) else { break };
            let at = from + k;
            if b[at] == b'/' && b.get(at + 1) != Some(&b'/') {
                from = at + 1;
                continue;
            }
            let literal = self.literal(at);
            if at == self.at {
                self.at = literal.end;
                return Some(literal);
            }
            let code = Segment { kind: Kind::Code, start: self.at, end: at };
            self.pending = Some(literal);
            self.at = at;
            return Some(code);
        }
        if self.at < b.len() {
            let code = Segment { kind: Kind::Code, start: self.at, end: b.len() };
            self.at = b.len();
            return Some(code);
        }
        None
    }
}

/// What [`check`] finds.
pub enum Lexical {
    Clean,
    /// A condition nested too deep or a string too long: the file must not
    /// reach the parser.
    Fatal(SyntaxError),
    /// A string that its line does not close, or a character outside
    /// strings and comments that the language does not have: the file may
    /// be parsed (for an earlier error), but it has this one.
    Error(SyntaxError),
}

/// The lexical checks that come before the grammar: the nesting limit and
/// string length, which keep the parser's stack and memory bounded, and the
/// two rules the grammar leaves to this module (see `grammar/sopflow.pest`):
/// every string ends on its line, and outside strings and comments the text
/// is ASCII but for U+FEFF.
pub fn check(file: FileId, text: &str) -> Lexical {
    if let Some(err) = nesting_error(file, text) {
        return Lexical::Fatal(err);
    }
    let ascii = text.is_ascii();
    for seg in segments(text) {
        match seg.kind {
            Kind::Code if !ascii => {
                if let Some(at) = not_ascii(&text.as_bytes()[seg.start..seg.end]) {
                    return Lexical::Error(foreign_character(file, text, seg.start + at));
                }
            }
            Kind::OpenString => return Lexical::Error(string_error(file, text, seg.start).expect("a string that its line does not close")),
            _ => {}
        }
    }
    Lexical::Clean
}

/// Where `code` holds a non-ASCII character other than U+FEFF.
fn not_ascii(code: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(k) = code[at..].iter().position(|&c| c >= 0x80) {
        if !code[at + k..].starts_with("\u{feff}".as_bytes()) {
            return Some(at + k);
        }
        at += k + 3;
    }
    None
}

/// The error for a character outside strings and comments that the
/// language does not have.
fn foreign_character(file: FileId, text: &str, at: usize) -> SyntaxError {
    let c = text[at..].chars().next().expect("a character");
    let help = if c.is_alphanumeric() {
        "names are ASCII letters, digits and `_`; other letters belong in strings and comments"
    } else {
        "outside strings and comments SOPflow is written in ASCII"
    };
    SyntaxError { span: Span::new(file, at, at + c.len_utf8()), message: format!("unexpected `{c}` ({})", unicode_name(c)), help: Some(help.into()) }
}

/// `U+00E9`, for a character that may not show well.
fn unicode_name(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// Whitespace as the grammar counts it: Unicode whitespace and U+FEFF.
pub fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// The end of the line that starts at `start`: the next `\n` or `\r`, or the end.
pub fn line_end(bytes: &[u8], start: usize) -> usize {
    memchr::memchr2(b'\n', b'\r', &bytes[start..]).map_or(bytes.len(), |n| start + n)
}

/// What a source line holds, as far as comments go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    Blank,
    /// A `///` line, with its text after `///` (one leading space removed).
    Doc(String),
    /// A plain `//` comment line.
    Comment,
    Code,
}

/// What a line (without its line break) holds: strings never span lines,
/// so a line whose first non-blank characters are `//` is a comment line.
pub fn classify(line: &str) -> LineKind {
    let t = line.trim_start_matches(['\u{feff}', ' ', '\t']).trim_end();
    if t.is_empty() {
        LineKind::Blank
    } else if let Some(rest) = t.strip_prefix("///") {
        LineKind::Doc(rest.strip_prefix(' ').unwrap_or(rest).to_string())
    } else if t.starts_with("//") {
        LineKind::Comment
    } else {
        LineKind::Code
    }
}

/// Whether `offset` of `text` stands inside a comment or a string (after
/// its first character).
pub fn in_comment_or_string(text: &str, offset: usize) -> bool {
    segments(text).any(|s| s.kind != Kind::Code && s.start < offset && offset <= s.end && !(s.kind == Kind::String && offset == s.end))
}

/// `s` as a string literal: quoted, with the four escapes.
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where the comment of a line starts: its first `//` outside a string.
pub fn comment_start(line: &str) -> Option<usize> {
    segments(line).find(|s| s.kind == Kind::Comment).map(|s| s.start)
}

/// Scans the text for conditions nested deeper than [`MAX_NESTING`]
/// (parentheses and chains of `not`), which the recursive parser and the
/// analyses could not handle without a deep stack.
fn nesting_error(file: FileId, text: &str) -> Option<SyntaxError> {
    if surely_shallow(text.as_bytes()) {
        return None;
    }
    scan_nesting(file, text)
}

/// The scan of [`nesting_error`]: the strings' lengths, and the code byte by byte.
fn scan_nesting(file: FileId, text: &str) -> Option<SyntaxError> {
    let bytes = text.as_bytes();
    // Each open parenthesis remembers the `not` run in front of it.
    let mut stack: Vec<usize> = Vec::new();
    let mut run = 0usize;
    let mut depth_sum = 0usize;
    for seg in segments(text) {
        match seg.kind {
            // A comment is whitespace: a `not` run goes on after it.
            Kind::Comment => continue,
            Kind::String | Kind::OpenString => {
                if seg.end - seg.start > MAX_STRING {
                    return Some(SyntaxError {
                        span: Span::new(file, seg.start, seg.start + 1),
                        message: format!("string longer than {} KiB", MAX_STRING >> 10),
                        help: Some("keep long instructions in the team's handbook and link to them".into()),
                    });
                }
                run = 0;
                continue;
            }
            Kind::Code => {}
        }
        let mut i = seg.start;
        while i < seg.end {
            let b = bytes[i];
            match b {
                b'(' => {
                    stack.push(run);
                    depth_sum += run + 1;
                    run = 0;
                }
                b')' => {
                    if let Some(r) = stack.pop() {
                        depth_sum -= r + 1;
                    }
                    run = 0;
                }
                b if b.is_ascii_alphanumeric() || b == b'_' => {
                    let start = i;
                    while i < seg.end && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.') {
                        i += 1;
                    }
                    if &text[start..i] == "not" {
                        run += 1;
                    } else {
                        run = 0;
                    }
                    if depth_sum + run > MAX_NESTING {
                        return Some(too_deep(file, start, i));
                    }
                    continue;
                }
                b if b.is_ascii_whitespace() => {}
                _ => run = 0,
            }
            if depth_sum + run > MAX_NESTING {
                return Some(too_deep(file, i, i + 1));
            }
            i += 1;
        }
    }
    None
}

/// A quick test that the scan of [`nesting_error`] cannot fail, so that most
/// files skip it (it read every byte one by one: a twenty-fifth of the
/// parse). The depth it tracks never exceeds the number of `(` plus the
/// number of `not`s in the text; a string ends on its line.
fn surely_shallow(bytes: &[u8]) -> bool {
    let opens = memchr::memchr_iter(b'(', bytes).count();
    if opens > MAX_NESTING || opens + memchr::memmem::find_iter(bytes, b"not").count() > MAX_NESTING {
        return false;
    }
    if bytes.len() <= MAX_STRING {
        return true;
    }
    // No line longer than `MAX_STRING`: a line break in every block of half
    // that length but the last (then no run without one is as long), one
    // `memchr` per block, not one per line (a line each was a fiftieth of
    // the parse). A block without one leaves the answer to the scan.
    let blocks = bytes.chunks(MAX_STRING / 2);
    let last = blocks.len() - 1;
    blocks.take(last).all(|block| memchr::memchr2(b'\n', b'\r', block).is_some())
}

fn too_deep(file: FileId, start: usize, end: usize) -> SyntaxError {
    SyntaxError {
        span: Span::new(file, start, end),
        message: format!("condition nested more than {MAX_NESTING} levels deep"),
        help: Some("split the condition into several branches or steps".into()),
    }
}

/// A string literal starting at `pos` that has a bad escape or no closing
/// quote on its line: pest reports only "expected a string" there.
pub(crate) fn string_error(file: FileId, text: &str, pos: usize) -> Option<SyntaxError> {
    let rest = text.get(pos..)?;
    if !rest.starts_with('"') {
        return None;
    }
    let mut chars = rest.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return None,
            '\\' => match chars.next() {
                Some((_, '"' | '\\' | 'n' | 't')) => {}
                Some((j, other)) => {
                    let end = pos + j + other.len_utf8();
                    return Some(SyntaxError {
                        span: Span::new(file, pos + i, end),
                        message: format!("unknown escape `\\{other}` in a string"),
                        help: Some("strings know the escapes `\\\"`, `\\\\`, `\\n` and `\\t`".into()),
                    });
                }
                None => break,
            },
            '\n' | '\r' => {
                return Some(SyntaxError {
                    span: Span::new(file, pos, pos + i),
                    message: "string not closed before the end of the line".into(),
                    help: Some("add the closing `\"`; write `\\n` for a line break inside a string".into()),
                })
            }
            _ => {}
        }
    }
    Some(SyntaxError {
        span: Span::new(file, pos, text.len()),
        message: "string not closed before the end of the file".into(),
        help: Some("add the closing `\"`".into()),
    })
}

/// The outermost `{` of `text` that no `}` closes (strings and comments
/// skipped): the block the writer forgot to close.
pub(crate) fn unclosed_brace(text: &str) -> Option<usize> {
    let mut stack = Vec::new();
    for seg in segments(text).filter(|s| s.kind == Kind::Code) {
        for (i, b) in text.as_bytes()[seg.start..seg.end].iter().enumerate() {
            match b {
                b'{' => stack.push(seg.start + i),
                b'}' => {
                    stack.pop();
                }
                _ => {}
            }
        }
    }
    stack.first().copied()
}

/// Byte offsets of the lines that start a top-level declaration (a keyword
/// in the first column, or the doc comment above it).
pub fn declaration_starts(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut doc_start: Option<usize> = None;
    // Lines as `split_inclusive('\n')` gives them, found with `memchr`.
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1).chain((!text.ends_with('\n') && !text.is_empty()).then_some(text.len()));
    for end in ends {
        let line = &text[offset..end];
        if line.starts_with("///") {
            doc_start.get_or_insert(offset);
        } else if line.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
            && super::DECLARATION_KEYWORDS.iter().any(|k| line.strip_prefix(k).is_some_and(|rest| rest.starts_with(' ')))
        {
            out.push(doc_start.take().unwrap_or(offset));
        } else if !line.trim().is_empty() {
            doc_start = None;
        }
        offset = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whenever the quick test lets a text through, the scan finds nothing
    /// in it; and it lets the everyday texts through.
    #[test]
    fn the_quick_test_never_hides_what_the_scan_finds() {
        let file = FileId(0);
        let long = "x".repeat(MAX_STRING + 10);
        let mut texts = Vec::new();
        for n in (190..=210).chain([0, 1, 50, 400]) {
            texts.push(format!("{}x{}", "(".repeat(n), ")".repeat(n)));
            texts.push(format!("when {}x -> y", "not ".repeat(n)));
            texts.push(format!("{}{}x", "(".repeat(n / 2), "not ".repeat(n - n / 2)));
            texts.push(format!("// {}\n{}x", "(".repeat(n), "not (".repeat(n / 3)));
        }
        for (head, tail) in [("\"", "\""), ("\"\\\n", "\""), ("\"\\\r", "\""), ("\"", "\n\""), ("\"\\\r\n", "")] {
            texts.push(format!("{head}{long}{tail}"));
            texts.push(format!("{head}{}\n{}{tail}", &long[..MAX_STRING / 2], &long[..MAX_STRING / 2]));
        }
        texts.push(format!("\"{}\\\n{}\"", &long[..MAX_STRING / 2], &long[..MAX_STRING / 2]));
        // Long files of short lines, ending in a long line (with or without
        // an open string, at or past the limit).
        let lines = "x\n".repeat(MAX_STRING);
        for last in [MAX_STRING / 2 + 100, MAX_STRING - 2, MAX_STRING + 10] {
            texts.push(format!("{lines}\"{}", &long[..last]));
            texts.push(format!("{lines}{}", &long[..last]));
        }
        let mut let_through = 0;
        for t in &texts {
            if surely_shallow(t.as_bytes()) {
                let_through += 1;
                assert!(scan_nesting(file, t).is_none(), "{:?}", &t[..t.len().min(80)]);
            }
        }
        assert!(let_through > 10);
        assert!(surely_shallow(include_str!("../../policies/counterfeit.sop").as_bytes()));
        assert!(surely_shallow(format!("{lines}{}", &long[..1000]).as_bytes()));
        assert!(scan_nesting(file, &format!("{lines}\"{}", &long[..MAX_STRING + 10])).is_some());
    }
}
