//! Exporters: compiled flows and tables to other tools. `json` (the IR with
//! a schema), `dot` (Graphviz), `mermaid` and `bpmn` (BPMN 2.0 with a
//! diagram). Doc comments, titles and instructions travel into every format.

pub mod bpmn;
pub mod dot;
pub mod json;
pub mod layout;
pub mod mermaid;
pub mod sql;
pub mod svg;
pub mod xml;

use crate::ast::SeverityLevel;
use crate::ir::{self, EdgeKind, Node};
use crate::model::*;

/// A generated JSON Schema made strict and portable: every object closed
/// (`additionalProperties: false`; `unevaluatedProperties: false` where an
/// object's own properties combine with a `oneOf`/`anyOf`/`allOf` of
/// variants, which stay open), and no `format` outside the standard's list
/// (schemars writes `uint`, `int64`, which validators reject or ignore).
/// Valid for ajv and Python's jsonschema with their default settings.
pub fn strict_schema(schema: &schemars::Schema) -> String {
    let mut value = schema.as_value().clone();
    close(&mut value, false);
    serde_json::to_string_pretty(&value).expect("schemas serialize") + "\n"
}

const COMBINATORS: [&str; 3] = ["oneOf", "anyOf", "allOf"];

/// Closes an object schema unless `open` (a variant of a combinator whose
/// parent has properties of its own), and every schema under it.
fn close(v: &mut serde_json::Value, open: bool) {
    let Some(m) = v.as_object_mut() else { return };
    if m.get("format").and_then(|f| f.as_str()).is_some_and(|f| !STANDARD_FORMATS.contains(&f)) {
        m.remove("format");
    }
    let has_properties = m.contains_key("properties");
    let combined = COMBINATORS.iter().any(|c| m.contains_key(*c));
    if has_properties && !open && !m.contains_key("additionalProperties") {
        let key = if combined { "unevaluatedProperties" } else { "additionalProperties" };
        m.insert(key.into(), serde_json::Value::Bool(false));
    }
    for c in COMBINATORS {
        if let Some(serde_json::Value::Array(variants)) = m.get_mut(c) {
            variants.iter_mut().for_each(|x| close(x, has_properties || open));
        }
    }
    for key in ["properties", "$defs", "definitions"] {
        if let Some(serde_json::Value::Object(children)) = m.get_mut(key) {
            children.values_mut().for_each(|x| close(x, false));
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = m.get_mut(key) {
            close(child, false);
        }
    }
}

/// The `format` values JSON Schema 2020-12 defines.
const STANDARD_FORMATS: [&str; 19] = [
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Which flows and tables to export.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub flows: Vec<FlowId>,
    pub tables: Vec<TableId>,
}

impl Selection {
    /// Every flow and table.
    pub fn all(p: &Program) -> Selection {
        Selection { flows: (0..p.flows.len()).collect(), tables: (0..p.tables.len()).collect() }
    }
}

/// A node of a diagram (DOT and Mermaid draw the same picture).
pub struct DiagramNode {
    pub id: String,
    pub shape: Shape,
    /// Lines of the label: the title or name first.
    pub lines: Vec<String>,
    /// Doc comment and instructions, for tooltips and notes.
    pub notes: Vec<String>,
    pub severity: Option<SeverityLevel>,
    /// The step a flow's step node stands for.
    pub step: Option<StepId>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Step,
    Action,
    Escalate,
    HandOff,
    Outcome,
    Table,
    /// The decision of a table.
    Decision,
}

pub struct DiagramEdge {
    pub from: String,
    pub to: String,
    /// The condition in the policy's own syntax, `otherwise`, `timeout 24h`.
    pub label: Option<String>,
    pub dashed: bool,
    /// The decision and branch the edge belongs to (a run's `taken`).
    pub taken: Option<(crate::eval::Where, usize)>,
}

pub struct Diagram {
    /// `flow NAME` or `table NAME`.
    pub title: String,
    pub doc: Option<String>,
    pub nodes: Vec<DiagramNode>,
    pub edges: Vec<DiagramEdge>,
}

/// An escalation's label: the team, and its SLA when it has one.
fn team_lines(p: &Program, team: usize) -> Vec<String> {
    let t = &p.teams[team];
    let mut lines = vec![format!("escalate {}", t.name)];
    lines.extend(t.sla_seconds.map(|s| format!("sla {}", crate::source::Duration::format_seconds(s))));
    lines
}

fn notes(doc: &Option<String>, instructions: &[String]) -> Vec<String> {
    doc.iter().cloned().chain(instructions.iter().cloned()).collect()
}

/// The diagram of a flow, from its IR graph.
pub fn flow_diagram(p: &Program, f: FlowId, prefix: &str) -> Diagram {
    let flow = &p.flows[f];
    let g = ir::build(p, f);
    let id = |n: petgraph::graph::NodeIndex| format!("{prefix}n{}", n.index());
    let nodes = g
        .graph
        .node_indices()
        .map(|n| {
            let step = match &g.graph[n] {
                Node::Step { step, .. } => Some(*step),
                _ => None,
            };
            let (shape, lines, notes, severity) = match &g.graph[n] {
                Node::Step { step, name } => {
                    let s = &flow.steps[*step];
                    let mut lines = vec![s.title.clone().unwrap_or_else(|| name.clone())];
                    if s.title.is_some() {
                        lines.push(format!("step {name}"));
                    }
                    if let Some(w) = &s.within_text {
                        lines.push(format!("within {w}"));
                    }
                    (Shape::Step, lines, self::notes(&s.doc, &s.instructions), None)
                }
                Node::Action { action } => {
                    let a = &p.actions[*action];
                    let mut lines = vec![format!("do {}", a.name)];
                    lines.extend(a.description.clone());
                    (Shape::Action, lines, self::notes(&a.doc, &[]), None)
                }
                Node::Escalate { team } => (Shape::Escalate, team_lines(p, *team), vec![], None),
                Node::HandOff { team } => (Shape::HandOff, team_lines(p, *team), vec![], None),
                Node::Outcome { outcome } => {
                    let o = &p.outcomes[*outcome];
                    (Shape::Outcome, vec![o.name.clone()], self::notes(&o.doc, &[]), Some(o.severity))
                }
                Node::Table { table } => (Shape::Table, vec![format!("table {}", p.tables[*table].name)], self::notes(&p.tables[*table].doc, &[]), None),
            };
            DiagramNode { id: id(n), shape, lines, notes, severity, step }
        })
        .collect();
    use petgraph::visit::EdgeRef;
    let edges = g
        .graph
        .edge_references()
        .map(|e| {
            let w = e.weight();
            let step = &flow.steps[w.step];
            let b = &step.decision.branches[w.branch];
            let label = match w.kind {
                EdgeKind::When => b.cond_text.as_deref().map(str::to_string),
                EdgeKind::Otherwise => Some("otherwise".into()),
                EdgeKind::Timeout => Some(format!("timeout {}", step.within_text.clone().unwrap_or_default())),
                EdgeKind::Then => None,
            };
            let label = match (label, step.decision.first && w.kind == EdgeKind::When) {
                (Some(l), true) => Some(format!("{}. {l}", w.branch + 1)),
                (l, _) => l,
            };
            DiagramEdge {
                from: id(e.source()),
                to: id(e.target()),
                label,
                dashed: w.kind == EdgeKind::Timeout,
                taken: Some((crate::eval::Where::Step(w.step), w.branch)),
            }
        })
        .collect();
    // The flow's resolution targets follow its name.
    let targets: Vec<String> = p
        .resolutions
        .iter()
        .filter(|r| r.flow == f)
        .map(|r| match &r.cond {
            Some(_) => format!("resolved within {} (some cases)", r.text),
            None => format!("resolved within {}", r.text),
        })
        .collect();
    let title = if targets.is_empty() { format!("flow {}", flow.name) } else { format!("flow {}: {}", flow.name, targets.join(", ")) };
    Diagram { title, doc: flow.doc.clone(), nodes, edges }
}

/// The diagram of a table: its decision, then each branch's chain.
pub fn table_diagram(p: &Program, t: TableId, prefix: &str) -> Diagram {
    let table = &p.tables[t];
    let mut nodes = vec![DiagramNode {
        id: format!("{prefix}d"),
        shape: Shape::Decision,
        lines: vec![format!("table {}", table.name), if table.decision.first { "first".into() } else { "unique".into() }],
        notes: notes(&table.doc, &[]),
        severity: None,
        step: None,
    }];
    let mut edges = Vec::new();
    for (i, b) in table.decision.branches.iter().enumerate() {
        let mut from = format!("{prefix}d");
        let mut label = match b.cond_text.as_deref().map(str::to_string) {
            Some(c) if table.decision.first => Some(format!("{}. {c}", i + 1)),
            Some(c) => Some(c),
            None => Some("otherwise".into()),
        };
        let mut k = 0;
        let mut push = |nodes: &mut Vec<DiagramNode>, shape, lines: Vec<String>, severity| {
            k += 1;
            let id = format!("{prefix}b{i}_{k}");
            nodes.push(DiagramNode { id: id.clone(), shape, lines, notes: vec![], severity, step: None });
            id
        };
        for link in &b.target.links {
            let id = match link {
                Link::Escalate(team) => push(&mut nodes, Shape::Escalate, vec![format!("escalate {}", p.teams[*team].name)], None),
                Link::Do(a) => push(&mut nodes, Shape::Action, vec![format!("do {}", p.actions[*a].name)], None),
            };
            edges.push(DiagramEdge { from: from.clone(), to: id.clone(), label: label.take(), dashed: false, taken: Some((crate::eval::Where::Table(t), i)) });
            from = id;
        }
        let id = match b.target.end {
            End::Outcome(o) => push(&mut nodes, Shape::Outcome, vec![p.outcomes[o].name.clone()], Some(p.outcomes[o].severity)),
            End::Escalate(team) => push(&mut nodes, Shape::HandOff, vec![format!("escalate {}", p.teams[team].name)], None),
            End::Table(x) => push(&mut nodes, Shape::Table, vec![format!("table {}", p.tables[x].name)], None),
            End::Step(_) => continue,
        };
        edges.push(DiagramEdge { from, to: id, label: label.take(), dashed: false, taken: Some((crate::eval::Where::Table(t), i)) });
    }
    Diagram { title: format!("table {}", table.name), doc: table.doc.clone(), nodes, edges }
}

/// Every selected flow and table as diagrams, with distinct node ids.
pub fn diagrams(p: &Program, selection: &Selection) -> Vec<Diagram> {
    let mut out: Vec<Diagram> = selection.flows.iter().map(|f| flow_diagram(p, *f, &format!("f{f}_"))).collect();
    out.extend(selection.tables.iter().map(|t| table_diagram(p, *t, &format!("t{t}_"))));
    out
}

/// The fill colour of an outcome of a severity.
pub fn severity_color(s: Option<SeverityLevel>) -> &'static str {
    match s {
        Some(SeverityLevel::Low) => "#dbeafe",
        Some(SeverityLevel::Medium) => "#fde68a",
        Some(SeverityLevel::High) => "#fdba74",
        Some(SeverityLevel::Critical) => "#fca5a5",
        _ => "#f3f4f6",
    }
}
