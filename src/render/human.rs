//! `--format human` (miette's graphical report) and `--format plain`
//! (miette's narratable report, for screen readers and plain logs).

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NarratableReportHandler, SourceSpan};

use crate::check::CheckResult;
use crate::diagnostics::{Diagnostic, Level, Witness};
use crate::source::SourceMap;

/// A named source whose reported columns count characters, not bytes, as
/// every other SOPflow output does (miette counts bytes).
pub struct CharColumns {
    name: String,
    text: String,
}

impl miette::SourceCode for CharColumns {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.read_span(span, context_lines_before, context_lines_after)?;
        let start = inner.span().offset();
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let column = self.text.get(line_start..start).map_or(inner.column(), |s| s.chars().count());
        Ok(Box::new(
            miette::MietteSpanContents::new_named(self.name.clone(), inner.data(), *inner.span(), inner.line(), column, inner.line_count())
                .with_language("sopflow"),
        ))
    }
}

/// One finding as a miette report.
pub struct Report {
    code: String,
    message: String,
    level: Level,
    source: CharColumns,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.level {
            Level::Error => miette::Severity::Error,
            Level::Note => miette::Severity::Advice,
            _ => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A witness as a `given { … }` block a policy writer can paste into a test,
/// followed by `timeout STEP, …` when the route needs timeouts.
pub fn given_block(w: &Witness) -> String {
    given_lines(w).join(" ")
}

/// The lines of [`given_block`]: the `given` block, then the timeouts if any.
pub fn given_lines(w: &Witness) -> Vec<String> {
    let parts: Vec<String> = w.values.iter().map(|(k, v)| format!("{k}: {}", v.literal())).collect();
    let mut lines = vec![if parts.is_empty() { "given {}".to_string() } else { format!("given {{ {} }}", parts.join(", ")) }];
    if !w.timeouts.is_empty() {
        lines.push(format!("timeout {}", w.timeouts.join(", ")));
    }
    lines
}

fn report(sources: &SourceMap, d: &Diagnostic) -> Report {
    let file = sources.get(d.span.file);
    let span = |s: crate::source::Span| SourceSpan::from(s.start as usize..s.end as usize);
    let mut labels = vec![LabeledSpan::new_primary_with_span(None, span(d.span))];
    let mut notes = Vec::new();
    for l in &d.labels {
        if l.span.file == d.span.file {
            labels.push(LabeledSpan::new_with_span(Some(l.message.clone()), span(l.span)));
        } else {
            let other = sources.get(l.span.file);
            let (line, col) = other.line_col(l.span.start as usize);
            notes.push(format!("{}: {}:{line}:{col}", l.message, other.path));
        }
    }
    let mut help = Vec::new();
    help.extend(d.help.clone());
    help.extend(notes);
    if let Some(w) = &d.witness {
        help.push(format!("witness: {}", given_block(w)));
    }
    if let Some(p) = &d.path {
        help.push(format!("path: {}", p.join(" → ")));
    }
    Report {
        code: d.code.as_str().to_string(),
        message: d.message.clone(),
        level: d.level,
        source: CharColumns { name: file.path.clone(), text: file.text_with_lf() },
        labels,
        help: (!help.is_empty()).then(|| help.join("\n")),
    }
}

/// The graphical report of every diagnostic, then the summary line.
pub fn render(result: &CheckResult, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    for d in &result.diagnostics {
        let _ = handler.render_report(&mut out, &report(&result.sources, d));
    }
    out.push_str(&super::summary_line(result));
    out.push('\n');
    out
}

/// The narratable report: plain sentences, no box drawing or colour.
pub fn render_plain(result: &CheckResult) -> String {
    let handler = NarratableReportHandler::new();
    let mut out = String::new();
    for d in &result.diagnostics {
        let _ = handler.render_report(&mut out, &report(&result.sources, d));
        out.push('\n');
    }
    out.push_str(&super::summary_line(result));
    out.push('\n');
    out
}

/// Renders one report (for findings that are not diagnostics of `check`,
/// such as failed tests) in the graphical style.
pub fn render_one(sources: &SourceMap, code: &str, d: &Diagnostic, color: bool) -> String {
    let mut r = report(sources, d);
    r.code = code.to_string();
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    let _ = handler.render_report(&mut out, &r);
    out
}
