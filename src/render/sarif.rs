//! `--format sarif`: SARIF 2.1.0, as code-scanning services read it. One
//! reporting descriptor per code; results with physical locations (1-based
//! lines, columns in Unicode code points, `columnKind` says so), related
//! locations for labels, the witness and route in `properties`, and
//! suppressed findings with an in-source suppression carrying the reason.

use serde::Serialize;

use crate::check::CheckResult;
use crate::diagnostics::{Code, Diagnostic, Level};
use crate::source::{uri_path, SourceMap, Span};

/// Where the rule documentation lives, relative to the repository.
pub const RULES_URI: &str = "https://github.com/sopflow/sopflow/blob/main/docs/rules/";

#[derive(Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub column_kind: &'static str,
    pub original_uri_base_ids: std::collections::BTreeMap<&'static str, ArtifactLocation>,
    pub results: Vec<SarifResult>,
}

#[derive(Serialize)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: &'static str,
    pub semantic_version: &'static str,
    pub information_uri: &'static str,
    pub rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: &'static str,
    pub name: String,
    pub short_description: Text,
    pub full_description: Text,
    pub help_uri: String,
    pub help: Markdown,
    pub default_configuration: Configuration,
}

#[derive(Serialize)]
pub struct Text {
    pub text: String,
}

#[derive(Serialize)]
pub struct Markdown {
    pub text: String,
    pub markdown: String,
}

#[derive(Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: &'static str,
    pub rule_index: usize,
    pub level: &'static str,
    pub message: Text,
    pub locations: Vec<Location>,
    /// Stable across edits elsewhere in the file (no line numbers): the
    /// code, the file, the finding's source text and message.
    pub partial_fingerprints: std::collections::BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
}

#[derive(Serialize)]
pub struct Properties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<crate::diagnostics::Witness>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

#[derive(Serialize)]
pub struct Suppression {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    pub physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// `conflicting-outcomes` → `ConflictingOutcomes`; a one-word code gets a
/// longer name (SARIF wants `name` to differ from `id`).
fn pascal(code: Code) -> String {
    if code == Code::Cycle {
        return "FlowCycle".into();
    }
    code.as_str()
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Note => "note",
        Level::Warning => "warning",
        Level::Allow => "none",
    }
}

/// The first paragraph under `## What it finds` of a rule's doc.
pub fn summary(code: Code) -> String {
    let doc = crate::lints::doc(code);
    let body = doc.split("## What it finds").nth(1).unwrap_or("");
    let para = body.trim_start().split("\n\n").next().unwrap_or("");
    para.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where a file is: relative to the source root (`../` included), or an
/// absolute `file:` URI, which SARIF forbids under a `uriBaseId`; `/`
/// separators, percent-encoded where URIs need it.
fn artifact(path: &str) -> ArtifactLocation {
    if path.starts_with('/') {
        ArtifactLocation { uri: format!("file://{}", uri_path(path)), uri_base_id: None }
    } else {
        ArtifactLocation { uri: uri_path(path), uri_base_id: Some("SRCROOT") }
    }
}

/// FNV-1a, 64 bits: the same on every machine and every build.
fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn location(sources: &SourceMap, span: Span, id: Option<usize>, message: Option<&str>) -> Location {
    let loc = sources.location(span);
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: artifact(&loc.file),
            region: Region { start_line: loc.line, start_column: loc.column, end_line: loc.end_line, end_column: loc.end_column },
        },
        message: message.map(|m| Text { text: m.to_string() }),
    }
}

fn result(sources: &SourceMap, d: &Diagnostic, suppression: Option<Option<String>>) -> SarifResult {
    let rule_index = Code::ALL.iter().position(|c| *c == d.code).expect("every code is in the table");
    let properties = (d.witness.is_some() || d.path.is_some() || d.help.is_some()).then(|| Properties {
        witness: d.witness.clone(),
        path: d.path.clone(),
        help: d.help.clone(),
    });
    SarifResult {
        rule_id: d.code.as_str(),
        rule_index,
        level: level(d.level),
        message: Text { text: d.message.clone() },
        locations: vec![location(sources, d.span, None, None)],
        partial_fingerprints: [("sopflow/v1", fingerprint(&[d.code.as_str(), &sources.get(d.span.file).path, sources.text(d.span).trim(), &d.message]))]
            .into_iter()
            .collect(),
        related_locations: d.labels.iter().enumerate().map(|(i, l)| location(sources, l.span, Some(i + 1), Some(&l.message))).collect(),
        suppressions: suppression.map(|reason| vec![Suppression { kind: "inSource", justification: reason }]).unwrap_or_default(),
        properties,
    }
}

pub fn log(result: &CheckResult) -> Log {
    let rules = Code::ALL
        .iter()
        .map(|&code| Rule {
            id: code.as_str(),
            name: pascal(code),
            short_description: Text { text: summary(code) },
            full_description: Text { text: crate::lints::doc(code).lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n").trim().to_string() },
            help_uri: format!("{RULES_URI}{}.md", code.as_str()),
            help: Markdown { text: summary(code), markdown: crate::lints::doc(code).to_string() },
            default_configuration: Configuration { level: level(code.default_level()) },
        })
        .collect();
    let mut results: Vec<SarifResult> = result.diagnostics.iter().map(|d| result_of(result, d, None)).collect();
    results.extend(result.suppressed_findings.iter().map(|s| result_of(result, &s.diagnostic, Some(s.reason.clone()))));
    let mut base = std::collections::BTreeMap::new();
    let root = std::env::current_dir().map(|p| format!("file://{}/", uri_path(&p.to_string_lossy()))).unwrap_or_else(|_| "file:///".into());
    base.insert("SRCROOT", ArtifactLocation { uri: root, uri_base_id: None });
    Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "sopflow",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/sopflow/sopflow",
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: base,
            results,
        }],
    }
}

fn result_of(result: &CheckResult, d: &Diagnostic, suppression: Option<Option<String>>) -> SarifResult {
    self::result(&result.sources, d, suppression)
}

pub fn render(result: &CheckResult) -> String {
    let mut out = serde_json::to_string_pretty(&log(result)).expect("the log serializes");
    out.push('\n');
    out
}
