//! Source files, spans and line/column positions.
//!
//! A [`Span`] is a byte range in one file of the [`SourceMap`]. Positions
//! shown to users are 1-based lines and 1-based columns counted in Unicode
//! scalar values (characters), so a multi-byte character before a span moves
//! the column by one. Line ends are `\n`, `\r\n` and a lone `\r` (the
//! contract), the same in every report and in the language server.

use serde::Serialize;

/// Index of a file in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start as u32, end: end as u32 }
    }

    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn contains(self, other: Span) -> bool {
        self.file == other.file && self.start <= other.start && other.end <= self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// One loaded file. `text` is empty for a file that could not be read.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the command was given it, with `/` separators.
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: String, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        let bytes = text.as_bytes();
        // After every `\n`, and after every `\r` that no `\n` follows.
        line_starts.extend(memchr::memchr2_iter(b'\n', b'\r', bytes).filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n')).map(|i| i + 1));
        SourceFile { path, text, line_starts }
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() + 1;
        (line + 1, col)
    }

    /// The text with every lone `\r` turned into `\n` (the same bytes
    /// otherwise, so spans stay put): for tools that only know `\n` and
    /// `\r\n`, such as the graphical report.
    pub fn text_with_lf(&self) -> String {
        let bytes = self.text.as_bytes();
        if !bytes.iter().enumerate().any(|(i, b)| *b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            return self.text.clone();
        }
        let out: Vec<u8> = bytes.iter().enumerate().map(|(i, b)| if *b == b'\r' && bytes.get(i + 1) != Some(&b'\n') { b'\n' } else { *b }).collect();
        String::from_utf8(out).expect("a byte for a byte, both ASCII")
    }

    /// Byte offset of the start of a 0-based line.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.text.len())
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of a 0-based line without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_start(line);
        let end = self.line_starts.get(line + 1).map_or(self.text.len(), |e| e - 1);
        self.text[start..end.max(start)].trim_end_matches('\r')
    }
}

/// Every file of a project, in sorted path order.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: String, text: String) -> FileId {
        self.add_file(SourceFile::new(path, text))
    }

    /// Adds a file already indexed (the project is read in parallel).
    pub fn add_file(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = FileId> {
        (0..self.files.len() as u32).map(FileId)
    }

    pub fn text(&self, span: Span) -> &str {
        &self.get(span.file).text[span.range()]
    }

    /// 1-based start and end (exclusive end column) of a span, with its file.
    pub fn location(&self, span: Span) -> Location {
        let file = self.get(span.file);
        let (line, column) = file.line_col(span.start as usize);
        let (end_line, end_column) = file.line_col(span.end as usize);
        Location { file: file.path.clone(), line, column, end_line, end_column }
    }
}

/// Where a span is, as reports show it.
#[derive(Clone, Debug, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// A duration literal in seconds, with the text it was written as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duration {
    pub seconds: i64,
    pub text: String,
}

impl Duration {
    /// Parses `90m`, `24h`, `1_000s`; `None` when out of range or malformed.
    pub fn parse(text: &str) -> Option<Duration> {
        let unit = text.chars().last()?;
        let factor = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return None,
        };
        let digits: String = text[..text.len() - 1].chars().filter(|c| *c != '_').collect();
        let n: i64 = digits.parse().ok()?;
        Some(Duration { seconds: n.checked_mul(factor)?, text: text.to_string() })
    }

    /// Source syntax for a number of seconds, in the largest exact unit.
    pub fn format_seconds(seconds: i64) -> String {
        for (unit, factor) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] {
            if seconds != 0 && seconds % factor == 0 {
                return format!("{}{unit}", seconds / factor);
            }
        }
        format!("{seconds}s")
    }
}

/// What a path keeps unencoded in a URI: letters, digits, `-._~` and `/`.
const PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// A path as the path of a URI: `/a/b c.sop` → `/a/b%20c.sop`.
pub fn uri_path(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, PATH).to_string()
}

/// The path a URI's path encodes; `None` when it is not UTF-8.
pub fn path_of_uri(uri_path: &str) -> Option<String> {
    percent_encoding::percent_decode_str(uri_path).decode_utf8().ok().map(|p| p.into_owned())
}

#[cfg(test)]
mod uri_tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_uris() {
        assert_eq!(uri_path("/a/b c.sop"), "/a/b%20c.sop");
        assert_eq!(uri_path("pol/ä#1?.sop"), "pol/%C3%A4%231%3F.sop");
        for p in ["/a/b c.sop", "/a/100%/x.sop", "/ü/ñ/日本.sop", "/a/#?&=+.sop", "rel/x-y_z~.sop"] {
            assert_eq!(path_of_uri(&uri_path(p)).as_deref(), Some(p));
        }
        // Not a valid escape: kept as written. Not UTF-8: no path.
        assert_eq!(path_of_uri("/a/%zz").as_deref(), Some("/a/%zz"));
        assert_eq!(path_of_uri("/a/%FF"), None);
    }
}
