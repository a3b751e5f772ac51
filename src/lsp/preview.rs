//! `sopflow/diagram`: the live diagram preview. The flow (or table) under
//! the cursor, drawn by SOPflow's own layout as SVG (and as Mermaid text for
//! clients that draw their own), with its findings on it: a numbered badge
//! on the step each finding is about, and the chosen finding's witness
//! replayed so that the path it takes is highlighted. Any client can ask;
//! the VS Code extension shows it in a side panel and asks again as the
//! user types.

use std::collections::HashSet;

use lsp_types as lsp;
use serde::{Deserialize, Serialize};

use super::state::Workspace;
use crate::eval::{self, Where};
use crate::export::{self, svg};
use crate::model::{Program, RunTarget};

pub enum DiagramRequest {}

impl lsp::request::Request for DiagramRequest {
    type Params = DiagramParams;
    type Result = Option<DiagramResult>;
    const METHOD: &'static str = "sopflow/diagram";
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagramParams {
    pub text_document: lsp::TextDocumentIdentifier,
    pub position: lsp::Position,
    /// Which finding's witness to highlight (an index into `findings`); the
    /// first when absent.
    #[serde(default)]
    pub finding: Option<usize>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagramResult {
    /// `flow` or `table`.
    pub kind: String,
    pub name: String,
    pub svg: String,
    pub mermaid: String,
    /// The findings inside the flow or table, in the order of their badges.
    pub findings: Vec<DiagramFinding>,
    /// The finding whose witness path is highlighted.
    pub highlighted: Option<usize>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagramFinding {
    pub code: String,
    pub message: String,
    /// Where it is reported, as an LSP range.
    pub range: lsp::Range,
    /// Its witness, when it has one (the inputs as JSON).
    pub witness: Option<serde_json::Value>,
}

pub fn diagram(ws: &mut Workspace, params: DiagramParams) -> Option<DiagramResult> {
    let (file_id, file) = ws.file(&params.text_document.uri)?;
    let at = super::convert::offset(file, params.position) as u32;
    let p = ws.snapshot.result.program.as_ref()?;
    // The flow or table under the cursor, else the file's first.
    let in_file = |s: crate::source::Span| s.file == file_id;
    let target = p
        .target_at(file_id, at, false)
        .or_else(|| p.flows.iter().position(|f| in_file(f.span)).map(RunTarget::Flow))
        .or_else(|| p.tables.iter().position(|t| in_file(t.span)).map(RunTarget::Table))?;
    let (kind, name, span, drawing, selection) = match target {
        RunTarget::Flow(f) => {
            ("flow", &p.flows[f].name, p.flows[f].span, export::flow_diagram(p, f, "n"), export::Selection { flows: vec![f], tables: vec![] })
        }
        RunTarget::Table(t) => {
            ("table", &p.tables[t].name, p.tables[t].span, export::table_diagram(p, t, "n"), export::Selection { flows: vec![], tables: vec![t] })
        }
    };
    let within = |s: crate::source::Span| s.file == span.file && span.start <= s.start && s.end <= span.end;
    let found: Vec<&crate::diagnostics::Diagnostic> = ws.findings().iter().filter(|d| within(d.span)).collect();
    let sources = &ws.snapshot.result.sources;
    let findings: Vec<DiagramFinding> = found
        .iter()
        .map(|d| DiagramFinding {
            code: d.code.as_str().to_string(),
            message: d.message.clone(),
            range: super::convert::range(sources.get(d.span.file), d.span),
            witness: d.witness.as_ref().and_then(|w| serde_json::to_value(w).ok()),
        })
        .collect();
    let mut marks = svg::Marks::default();
    // A finding's badge sits on the step it is reported in, or on the
    // flow's first node (a table's decision).
    for (d, f) in found.iter().zip(&findings) {
        let step = match target {
            RunTarget::Flow(fl) => p.flows[fl].steps.iter().position(|s| s.span.start <= d.span.start && d.span.end <= s.span.end),
            RunTarget::Table(_) => None,
        };
        let node = step.and_then(|s| drawing.nodes.iter().find(|n| n.step == Some(s))).or(drawing.nodes.first());
        if let Some(n) = node {
            marks.notes.push((n.id.clone(), format!("{}: {}", f.code, f.message)));
        }
    }
    let highlighted = match params.finding {
        Some(k) if k < found.len() => Some(k),
        _ => (0..found.len()).find(|k| found[*k].witness.is_some()),
    };
    if let Some(w) = highlighted.and_then(|k| found[k].witness.as_ref()) {
        if let Some((taken, path)) = replay(p, target, w) {
            // The steps the run passed (where it stopped, too), and the branches it took.
            for n in &drawing.nodes {
                if n.step.is_some_and(|s| path.contains(&s)) {
                    marks.nodes.insert(n.id.clone());
                }
            }
            for (k, e) in drawing.edges.iter().enumerate() {
                if e.taken.is_some_and(|t| taken.contains(&t)) {
                    marks.edges.insert(k);
                    marks.nodes.insert(e.from.clone());
                    marks.nodes.insert(e.to.clone());
                }
            }
        }
    }
    let description = format!(
        "{} diagram of {kind} {name}; {} finding(s).",
        if marks.edges.is_empty() { "The" } else { "A witness path highlighted on the" },
        findings.len()
    );
    let svg = svg::diagram(&drawing, &svg::Options { prefix: "preview_", description: Some(description), marks });
    let mermaid = export::mermaid::render(p, &selection);
    Some(DiagramResult { kind: kind.into(), name: name.clone(), svg, mermaid, findings, highlighted })
}

/// The branches a run took, and the steps it passed.
type Trail = (HashSet<(Where, usize)>, Vec<crate::model::StepId>);

/// The trail of a witness run on the target.
fn replay(p: &Program, target: RunTarget, w: &crate::diagnostics::Witness) -> Option<Trail> {
    let json = serde_json::to_value(w).ok()?;
    let map = json.as_object()?;
    let case = eval::case_from_json(p, map).ok()?;
    let timeouts = eval::timeouts_from_json(p, eval::flow_of(target), map).ok()?;
    let run = eval::run(p, target, &case, &timeouts);
    let mut taken: HashSet<(Where, usize)> = run.taken.into_iter().collect();
    // A conflict stops before a branch is taken: both branches that hold are the finding.
    if let eval::End::Conflict { decision, first, second } = run.end {
        taken.extend([(decision, first), (decision, second)]);
    }
    Some((taken, run.path))
}
