//! `--format json`: the report of the contract's section 9.

use serde::Serialize;

use crate::check::CheckResult;
use crate::diagnostics::{Diagnostic, Level, Witness};
use crate::source::{Location, SourceMap};

#[derive(Serialize)]
pub struct Report {
    pub version: u32,
    pub diagnostics: Vec<JsonDiagnostic>,
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub suppressed: usize,
    /// Notes: `analysis-incomplete` findings and the like.
    pub notes: usize,
    /// Flows and tables whose analysis left a question undecided within
    /// the budget (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

#[derive(Serialize)]
pub struct JsonLabel {
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
}

#[derive(Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    #[serde(flatten)]
    pub location: Location,
    pub labels: Vec<JsonLabel>,
    pub help: Option<String>,
    pub witness: Option<Witness>,
    pub path: Option<Vec<String>>,
}

pub fn diagnostic(sources: &SourceMap, d: &Diagnostic) -> JsonDiagnostic {
    JsonDiagnostic {
        code: d.code.as_str(),
        severity: d.level.as_str(),
        message: d.message.clone(),
        location: sources.location(d.span),
        labels: d.labels.iter().map(|l| JsonLabel { location: sources.location(l.span), message: l.message.clone() }).collect(),
        help: d.help.clone(),
        witness: d.witness.clone(),
        path: d.path.clone(),
    }
}

pub fn report(result: &CheckResult) -> Report {
    Report {
        version: 1,
        diagnostics: result.diagnostics.iter().map(|d| diagnostic(&result.sources, d)).collect(),
        summary: Summary {
            files: result.files,
            errors: result.count(Level::Error),
            warnings: result.count(Level::Warning),
            suppressed: result.suppressed,
            notes: result.count(Level::Note),
            incomplete: result.incomplete.clone(),
        },
    }
}

pub fn render(result: &CheckResult) -> String {
    let mut out = serde_json::to_string_pretty(&report(result)).expect("the report serializes");
    out.push('\n');
    out
}
