//! Suppression comments: `// sopflow: allow(code, …) -- reason` on the line
//! before a declaration, step or branch covers that whole item. Problems
//! with a comment (unknown code, no reason, nothing to suppress) are one
//! `invalid-suppression` per comment, naming every problem.

use super::{Code, Diagnostic};
use crate::source::{FileId, SourceFile, Span};
use crate::syntax::lexical::{classify, LineKind};

#[derive(Clone, Debug)]
pub struct Suppression {
    /// The comment, from `//` to the end of the line.
    pub span: Span,
    pub codes: Vec<(String, Option<Code>)>,
    pub reason: Option<String>,
    /// The item the comment covers, if a code line follows.
    pub item: Option<Span>,
    /// A malformed `sopflow:` comment.
    pub malformed: bool,
}

/// Whether the file may hold a suppression comment: one `memchr` search
/// for `sopflow:`, which every such comment holds, so that the files without
/// one (most) need neither [`scan`] nor their items' spans (both read every
/// line or item, on one thread: 2% of a check of a million lines).
pub fn may_hold(source: &SourceFile) -> bool {
    memchr::memmem::find(source.text.as_bytes(), b"sopflow:").is_some()
}

/// Finds the suppression comments of a file. `items` are the spans of every
/// declaration, step and branch of that file.
pub fn scan(file: FileId, source: &SourceFile, items: &[Span]) -> Vec<Suppression> {
    let mut out = Vec::new();
    let lines = source.line_count();
    for line in 0..lines {
        let text = source.line_text(line);
        let trimmed = text.trim_start();
        let Some(body) = trimmed.strip_prefix("//") else { continue };
        if body.starts_with('/') {
            continue;
        }
        let Some(rest) = body.trim_start().strip_prefix("sopflow:") else { continue };
        let start = source.line_start(line) + (text.len() - trimmed.len());
        let span = Span::new(file, start, source.line_start(line) + text.len());
        let rest = rest.trim_start();
        let mut sup = Suppression { span, codes: vec![], reason: None, item: None, malformed: false };
        match rest.strip_prefix("allow(").and_then(|r| r.split_once(')')) {
            Some((codes, after)) => {
                sup.codes = codes.split(',').map(str::trim).filter(|c| !c.is_empty()).map(|c| (c.to_string(), Code::parse(c))).collect();
                sup.reason = after.trim_start().strip_prefix("--").map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
            }
            None => sup.malformed = true,
        }
        // The item on the next line that is not a comment.
        let mut next = line + 1;
        while next < lines && matches!(classify(source.line_text(next)), LineKind::Comment | LineKind::Doc(_)) {
            next += 1;
        }
        if next < lines && classify(source.line_text(next)) == LineKind::Code {
            let lt = source.line_text(next);
            let offset = (source.line_start(next) + (lt.len() - lt.trim_start().len())) as u32;
            sup.item = items.iter().filter(|s| s.start == offset).max_by_key(|s| s.end - s.start).copied();
        }
        out.push(sup);
    }
    out
}

/// A finding silenced by a suppression comment, with the comment's reason.
#[derive(Clone, Debug)]
pub struct Suppressed {
    pub diagnostic: Diagnostic,
    pub reason: Option<String>,
}

/// Drops the diagnostics the comments cover and reports bad comments.
/// Returns the suppressed findings.
pub fn apply(sups: &[Suppression], diags: &mut Vec<Diagnostic>) -> Vec<Suppressed> {
    let mut used = vec![false; sups.len()];
    let mut suppressed = Vec::new();
    diags.retain(|d| {
        if !d.code.configurable() {
            return true;
        }
        let mut by = None;
        for (i, s) in sups.iter().enumerate() {
            let covers = s.item.is_some_and(|item| item.contains(d.span)) && s.codes.iter().any(|(_, c)| *c == Some(d.code));
            if covers {
                used[i] = true;
                by.get_or_insert(i);
            }
        }
        if let Some(i) = by {
            suppressed.push(Suppressed { diagnostic: d.clone(), reason: sups[i].reason.clone() });
        }
        by.is_none()
    });
    for (s, used) in sups.iter().zip(used) {
        let mut problems = Vec::new();
        if s.malformed {
            problems.push("it is not of the form `sopflow: allow(code, …) -- reason`".to_string());
        } else {
            if s.codes.is_empty() {
                problems.push("it names no code".to_string());
            }
            for (name, code) in &s.codes {
                if code.is_none() {
                    problems.push(format!("`{name}` is not a diagnostic code"));
                }
            }
            if s.reason.is_none() {
                problems.push("it gives no reason after `--`".to_string());
            }
            if s.item.is_none() {
                problems.push("no declaration, step or branch follows it".to_string());
            } else if !used && s.codes.iter().any(|(_, c)| c.is_some()) {
                let known: Vec<String> = s.codes.iter().filter(|(_, c)| c.is_some()).map(|(n, _)| format!("`{n}`")).collect();
                problems.push(format!("nothing on the next item is reported as {}", known.join(" or ")));
            }
        }
        if problems.is_empty() {
            continue;
        }
        let mut d = Diagnostic::new(Code::InvalidSuppression, s.span, format!("invalid suppression: {}", problems.join("; ")));
        if let Some(item) = s.item {
            d = d.with_label(Span { end: item.start, ..item }.to(Span { end: item.start + 1, ..item }), "the item it covers");
        }
        d = d.with_help("write `// sopflow: allow(code) -- why this is acceptable`; `sopflow rules` lists the codes");
        diags.push(d);
    }
    suppressed
}
