//! Comments, read from the source lines: doc comments (`///`) attach to the
//! item that follows; suppression comments (`// sopflow: allow(…)`) are
//! collected for `diagnostics::suppress`. Strings never span lines, so a line
//! whose first non-blank characters are `//` is a comment line.

pub use super::lexical::{classify, LineKind};
use super::lexical::{line_end, segments, Kind};

pub struct Trivia {
    line_starts: Vec<usize>,
    /// Where each line's first non-blank character is (the line's end if none).
    line_firsts: Vec<usize>,
    kinds: Vec<LineKind>,
    /// The line of the last item asked about: items are asked about in
    /// order, a few lines apart, so the next one is found by stepping on
    /// from there (a binary search over every line of a large file, for
    /// every step and branch, was a percent of the check).
    hint: std::cell::Cell<usize>,
}

impl Trivia {
    /// Splits the text into lines as the grammar ends a comment: at `\n`, at
    /// `\r\n`, and at a lone `\r`.
    pub fn scan(text: &str) -> Trivia {
        let bytes = text.as_bytes();
        // Sized up front (a count of `\n`, a fast pass): growing the three
        // by doubling copied each a second time.
        let lines = memchr::memchr_iter(b'\n', bytes).count() + 1;
        let (mut line_starts, mut line_firsts, mut kinds) = (Vec::with_capacity(lines), Vec::with_capacity(lines), Vec::with_capacity(lines));
        let mut start = 0;
        loop {
            let end = line_end(bytes, start);
            let line = &text[start..end];
            line_starts.push(start);
            // The indentation by bytes: spaces and tabs, U+FEFF (three bytes).
            let mut first = start;
            loop {
                match bytes.get(first) {
                    Some(b' ' | b'\t') if first < end => first += 1,
                    Some(0xEF) if first < end && bytes[first..end].starts_with("\u{feff}".as_bytes()) => first += 3,
                    _ => break,
                }
            }
            line_firsts.push(first);
            // A line that starts with a visible ASCII character other than
            // `/` is code (most lines): `classify` only for the rest.
            kinds.push(match bytes.get(first) {
                Some(&c) if first < end && c.is_ascii_graphic() && c != b'/' => LineKind::Code,
                _ => classify(line),
            });
            if end == bytes.len() {
                break;
            }
            start = if bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n') { end + 2 } else { end + 1 };
        }
        Trivia { line_starts, line_firsts, kinds, hint: std::cell::Cell::new(0) }
    }

    pub fn kinds(&self) -> &[LineKind] {
        &self.kinds
    }

    /// The lines of the doc comment of an item at `offset`: the `///` lines
    /// right above the item's line, plain comment lines allowed between, a
    /// blank or code line ending the run. Only an item that opens its line
    /// has one: in `outcome a outcome b` under a doc comment, the comment
    /// documents `a` alone.
    fn doc_lines(&self, offset: usize) -> Vec<usize> {
        let line = self.line_of(offset);
        let mut out = Vec::new();
        if self.line_firsts[line] != offset {
            return out;
        }
        for l in (0..line).rev() {
            match self.kinds[l] {
                LineKind::Doc(_) => out.push(l),
                LineKind::Comment => {}
                _ => break,
            }
        }
        out.reverse();
        out
    }

    /// The line that holds `offset`.
    fn line_of(&self, offset: usize) -> usize {
        let starts = &self.line_starts;
        let mut line = self.hint.get();
        if starts.get(line).is_some_and(|&s| s <= offset) {
            for _ in 0..8 {
                match starts.get(line + 1) {
                    Some(&s) if s <= offset => line += 1,
                    _ => {
                        self.hint.set(line);
                        return line;
                    }
                }
            }
        }
        line = starts.partition_point(|&s| s <= offset) - 1;
        self.hint.set(line);
        line
    }

    /// Where each `///` of the doc comment of an item at `offset` stands
    /// (the formatter keeps those comments right above the item).
    pub fn doc_run(&self, offset: usize) -> Vec<usize> {
        self.doc_lines(offset).into_iter().map(|l| self.line_firsts[l]).collect()
    }

    /// The text of the doc comment of an item at `offset`.
    pub fn doc_before(&self, offset: usize) -> Option<String> {
        let lines = self.doc_lines(offset);
        let texts: Vec<&str> = lines
            .iter()
            .map(|&l| match &self.kinds[l] {
                LineKind::Doc(text) => text.as_str(),
                _ => "",
            })
            .collect();
        (!texts.is_empty()).then(|| texts.join("\n"))
    }
}

/// Source text as messages, exports and the formatter show a construct on
/// one line: without comments (each runs to its line end, as in the
/// grammar), runs of whitespace as one space, string literals as written.
pub fn one_line(raw: &str) -> String {
    folded(raw).into_owned()
}

/// [`one_line`], borrowing the text when it is already on one line with
/// single spaces (most conditions are): the parser then copies it once.
pub fn folded(raw: &str) -> std::borrow::Cow<'_, str> {
    let b = raw.as_bytes();
    let plain = b.is_ascii()
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && !b.iter().any(|c| matches!(c, b'\t'..=b'\r' | b'/'))
        && memchr::memmem::find(b, b"  ").is_none();
    if plain {
        return std::borrow::Cow::Borrowed(raw);
    }
    std::borrow::Cow::Owned(fold(raw))
}

fn fold(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut space = false;
    for seg in segments(raw) {
        let text = &raw[seg.start..seg.end];
        match seg.kind {
            // A comment runs to the end of its line: a blank.
            Kind::Comment => space = true,
            Kind::String | Kind::OpenString => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push_str(text);
            }
            Kind::Code => {
                for c in text.chars() {
                    if super::lexical::is_blank(c) {
                        space = true;
                        continue;
                    }
                    if space && !out.is_empty() {
                        out.push(' ');
                    }
                    space = false;
                    out.push(c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{classify, fold, folded, line_end, Trivia};

    /// The line of an offset is found from the last one asked about, in
    /// any order of questions, as a search over every line finds it.
    #[test]
    fn the_line_of_an_offset_in_any_order() {
        let text = "a\n\nbb\r\nccc\rdd\n\n\n\n\n\n\n\n\n\n\n\nlast";
        let trivia = Trivia::scan(text);
        let want = |o: usize| trivia.line_starts.partition_point(|&s| s <= o) - 1;
        let mut offsets: Vec<usize> = (0..=text.len()).collect();
        offsets.extend((0..=text.len()).rev());
        offsets.extend((0..=text.len()).map(|k| k * 7 % (text.len() + 1)));
        for o in offsets {
            assert_eq!(trivia.line_of(o), want(o), "offset {o}");
        }
    }

    /// The byte-wise indentation and the fast path for code lines give what
    /// trimming and `classify` give, on every text of up to five
    /// characters over an alphabet of blanks of every kind, line breaks,
    /// slashes and a little code.
    #[test]
    fn the_scan_reads_lines_as_classify_does() {
        let alphabet = ['a', '{', ' ', '\t', '/', '\u{feff}', '\u{a0}', '\u{b}', '\r', '\n'];
        let checked = every_text(&alphabet, 5, |text| {
            let trivia = Trivia::scan(text);
            for (k, &start) in trivia.line_starts.iter().enumerate() {
                let end = line_end(text.as_bytes(), start);
                let line = &text[start..end];
                let first = start + line.len() - line.trim_start_matches(['\u{feff}', ' ', '\t']).len();
                assert_eq!((trivia.line_firsts[k], &trivia.kinds[k]), (first, &classify(line)), "{text:?} line {k}");
            }
        });
        assert!(checked > 100_000);
    }

    /// Calls `check` on every text of 1 to `max` characters of `alphabet`;
    /// how many.
    fn every_text(alphabet: &[char], max: usize, mut check: impl FnMut(&str)) -> usize {
        let mut words = vec![String::new()];
        let mut checked = 0;
        for _ in 0..max {
            let mut next = Vec::new();
            for w in &words {
                for &c in alphabet {
                    let mut text = w.clone();
                    text.push(c);
                    check(&text);
                    checked += 1;
                    next.push(text);
                }
            }
            words = next;
        }
        checked
    }

    /// The borrowing fast path of `folded` gives what folding gives, on
    /// every string of up to five characters over an alphabet of the
    /// characters that matter (blanks of every kind, comment slashes,
    /// quotes, escapes, a byte-order mark, non-ASCII whitespace).
    #[test]
    fn the_fast_path_folds_as_folding_does() {
        let alphabet = ['a', ' ', '\t', '\n', '\r', '/', '"', '\\', '\u{feff}', '\u{a0}', '\u{b}'];
        let checked = every_text(&alphabet, 5, |x| assert_eq!(folded(x), fold(x), "{x:?}"));
        assert!(checked > 170_000);
    }
}
