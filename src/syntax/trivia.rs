//! Comments, read from the source lines: doc comments (`///`) attach to the
//! item that follows; suppression comments (`// sopflow: allow(…)`) are
//! collected for `diagnostics::suppress`. Strings never span lines, so a line
//! whose first non-blank characters are `//` is a comment line.

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

pub struct Trivia {
    line_starts: Vec<usize>,
    /// Where each line's first non-blank character is (the line's end if none).
    line_firsts: Vec<usize>,
    kinds: Vec<LineKind>,
}

impl Trivia {
    pub fn scan(text: &str) -> Trivia {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let kinds = text.split('\n').map(classify).collect();
        let line_firsts = text
            .split('\n')
            .zip(&line_starts)
            .map(|(line, start)| start + line.len() - line.trim_start_matches(['\u{feff}', ' ', '\t']).len())
            .collect();
        Trivia { line_starts, line_firsts, kinds }
    }

    pub fn kinds(&self) -> &[LineKind] {
        &self.kinds
    }

    /// The doc comment on the lines right above the line holding `offset`
    /// (plain comment lines may stand between; a blank or code line ends it).
    /// Only the item that opens its line gets it: in `outcome a outcome b`
    /// under a doc comment, the comment documents `a` alone.
    pub fn doc_before(&self, offset: usize) -> Option<String> {
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        if self.line_firsts[line] != offset {
            return None;
        }
        let mut docs = Vec::new();
        for kind in self.kinds[..line].iter().rev() {
            match kind {
                LineKind::Doc(text) => docs.push(text.as_str()),
                LineKind::Comment => {}
                _ => break,
            }
        }
        if docs.is_empty() {
            return None;
        }
        docs.reverse();
        Some(docs.join("\n"))
    }
}

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
