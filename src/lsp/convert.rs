//! Conversions between SOPflow and LSP: positions (LSP counts UTF-16 code
//! units), file URIs, and diagnostics, converted in exactly one function.

use lsp_types as lsp;

use crate::diagnostics::{Diagnostic, Level};
use crate::source::{SourceFile, SourceMap, Span};

/// The LSP position of a byte offset.
pub fn position(file: &SourceFile, offset: usize) -> lsp::Position {
    let offset = offset.min(file.text.len());
    let (line, _) = file.line_col(offset);
    let start = file.line_start(line - 1);
    let mut end = offset;
    while !file.text.is_char_boundary(end) {
        end -= 1;
    }
    let character: usize = file.text[start..end].chars().map(char::len_utf16).sum();
    lsp::Position { line: (line - 1) as u32, character: character as u32 }
}

/// The byte offset of an LSP position, clamped to the text (a position past
/// the end of a line is its end; past the last line, the end of the text).
pub fn offset(file: &SourceFile, pos: lsp::Position) -> usize {
    let line = pos.line as usize;
    if line >= file.line_count() {
        return file.text.len();
    }
    let start = file.line_start(line);
    let text = file.line_text(line);
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= pos.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    start + text.len()
}

pub fn range(file: &SourceFile, span: Span) -> lsp::Range {
    lsp::Range { start: position(file, span.start as usize), end: position(file, span.end as usize) }
}

/// `file:///a/b%20c.sop` → `/a/b c.sop`.
pub fn uri_to_path(uri: &lsp::Uri) -> Option<std::path::PathBuf> {
    let s = uri.as_str().strip_prefix("file://")?;
    crate::source::path_of_uri(s).map(std::path::PathBuf::from)
}

pub fn path_to_uri(path: &std::path::Path) -> lsp::Uri {
    let abs = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    format!("file://{}", crate::source::uri_path(&abs.to_string_lossy())).parse().expect("a file URI built from a path parses")
}

/// A SOPflow diagnostic as an LSP diagnostic: code, severity, related
/// information for every label, the witness in the message and in `data`
/// (with the route and the code, for quick fixes).
pub fn to_lsp_diagnostic(sources: &SourceMap, d: &Diagnostic, uri_of: &dyn Fn(&str) -> lsp::Uri) -> lsp::Diagnostic {
    let file = sources.get(d.span.file);
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    if let Some(w) = &d.witness {
        message.push_str(&format!("\nwitness: {}", crate::render::human::given_block(w)));
    }
    if let Some(p) = &d.path {
        message.push_str(&format!("\npath: {}", p.join(" → ")));
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .map(|l| {
            let lf = sources.get(l.span.file);
            lsp::DiagnosticRelatedInformation { location: lsp::Location { uri: uri_of(&lf.path), range: range(lf, l.span) }, message: l.message.clone() }
        })
        .collect();
    lsp::Diagnostic {
        range: range(file, d.span),
        severity: Some(match d.level {
            Level::Error => lsp::DiagnosticSeverity::ERROR,
            Level::Note => lsp::DiagnosticSeverity::INFORMATION,
            _ => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
        code_description: None,
        source: Some("sopflow".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: Some(serde_json::json!({ "code": d.code.as_str(), "witness": d.witness, "path": d.path })),
    }
}
