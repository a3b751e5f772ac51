//! `export --format json`: the compiled program as a stable, versioned
//! document (`"format": "sopflow-ir", "version": 1`). Its JSON Schema is
//! generated from these types (`docs/sopflow-ir.schema.json`).

use schemars::JsonSchema;
use serde::Serialize;

use super::Selection;
use crate::ast::CmpOp;
use crate::eval::value_json;
use crate::ir::{self, EdgeKind, Node};
use crate::model::Value;
use crate::model::*;
use crate::source::{Duration, SourceMap, Span};

/// A compiled SOPflow project.
#[derive(Serialize, JsonSchema)]
pub struct IrDocument {
    /// Always `sopflow-ir`.
    pub format: String,
    /// The version of this document's shape: 1.
    pub version: u32,
    pub inputs: Vec<IrInput>,
    pub enums: Vec<IrEnum>,
    pub teams: Vec<IrTeam>,
    pub actions: Vec<IrAction>,
    pub outcomes: Vec<IrOutcome>,
    /// `require escalation to TEAM when CONDITION` rules.
    pub requirements: Vec<IrRequirement>,
    pub flows: Vec<IrFlow>,
    pub tables: Vec<IrTable>,
}

/// Where a declaration or branch is written: 1-based lines, character columns, exclusive end.
#[derive(Serialize, JsonSchema)]
pub struct IrSpan {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Serialize, JsonSchema)]
pub struct IrInput {
    /// The dotted input name, the key of the input in every case.
    pub name: String,
    #[serde(rename = "type")]
    pub ty: IrType,
    pub doc: Option<String>,
    pub span: IrSpan,
}

#[derive(Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IrType {
    Bool,
    /// Both ends inclusive; a plain `int` is the 64-bit range.
    Int {
        min: i64,
        max: i64,
    },
    /// Written in source syntax in cases (`"90m"`), or as seconds.
    Duration,
    String,
    Enum {
        name: String,
        variants: Vec<String>,
    },
}

#[derive(Serialize, JsonSchema)]
pub struct IrEnum {
    pub name: String,
    pub variants: Vec<String>,
    /// Declared inline on an input (named after it).
    pub inline: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct IrTeam {
    pub name: String,
    /// The service level, as a duration in source syntax.
    pub sla: Option<String>,
    pub doc: Option<String>,
    pub span: IrSpan,
}

#[derive(Serialize, JsonSchema)]
pub struct IrAction {
    pub name: String,
    pub description: Option<String>,
    pub doc: Option<String>,
    pub span: IrSpan,
}

#[derive(Serialize, JsonSchema)]
pub struct IrOutcome {
    pub name: String,
    /// `none`, `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// Every route to this outcome must pass an escalation (to `team`, when given).
    pub requires_escalation: Option<IrRequires>,
    pub doc: Option<String>,
    pub span: IrSpan,
}

#[derive(Serialize, JsonSchema)]
pub struct IrRequires {
    pub team: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct IrRequirement {
    pub team: String,
    pub condition: IrCondition,
    pub span: IrSpan,
}

/// A condition as a tree. Values are JSON as in cases: bools, numbers,
/// variant names and strings as strings, durations in source syntax.
#[derive(Serialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum IrCondition {
    Const {
        value: bool,
    },
    And {
        args: Vec<IrCondition>,
    },
    Or {
        args: Vec<IrCondition>,
    },
    Not {
        arg: Box<IrCondition>,
    },
    /// `input CMP value`; a bool input alone is `input == true`.
    Compare {
        input: String,
        cmp: String,
        value: serde_json::Value,
    },
    /// `input in { … }`, or `not in` when `negated`.
    In {
        input: String,
        values: Vec<serde_json::Value>,
        negated: bool,
    },
}

#[derive(Serialize, JsonSchema)]
pub struct IrFlow {
    pub name: String,
    pub doc: Option<String>,
    /// The id of the start step's node.
    pub start: String,
    pub span: IrSpan,
    pub nodes: Vec<IrNode>,
    pub edges: Vec<IrEdge>,
    /// Resolution targets (`require resolution within D in FLOW [when C]`):
    /// every case (that satisfies `when`) ends within `within`, in the worst case.
    pub targets: Vec<IrResolution>,
}

#[derive(Serialize, JsonSchema)]
pub struct IrResolution {
    /// As written (`24h`).
    pub within: String,
    pub when: Option<IrCondition>,
    pub span: IrSpan,
}

#[derive(Serialize, JsonSchema)]
pub struct IrNode {
    /// Unique within the flow.
    pub id: String,
    #[serde(flatten)]
    pub kind: IrNodeKind,
}

#[derive(Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IrNodeKind {
    Step {
        name: String,
        title: Option<String>,
        /// The order of the branches decides (`first`); else at most one may hold.
        first: bool,
        within: Option<String>,
        instructions: Vec<String>,
        doc: Option<String>,
        span: IrSpan,
    },
    /// `do ACTION ->`
    Action {
        action: String,
    },
    /// `escalate TEAM ->`: the case passes the team and continues.
    Escalate {
        team: String,
    },
    /// A final `escalate TEAM`: the team takes the case.
    HandOff {
        team: String,
    },
    Outcome {
        outcome: String,
        severity: String,
    },
    /// `table NAME`: the table decides.
    Table {
        table: String,
    },
}

#[derive(Serialize, JsonSchema)]
pub struct IrEdge {
    pub from: String,
    pub to: String,
    /// `when`, `otherwise`, `timeout`, or `then` inside a target chain.
    pub kind: String,
    /// The step whose branch this edge belongs to.
    pub step: String,
    /// The branch's position in its step, from 0.
    pub order: usize,
    pub condition: Option<IrCondition>,
    /// The condition as written.
    pub condition_text: Option<String>,
    pub doc: Option<String>,
    pub span: IrSpan,
}

#[derive(Serialize, JsonSchema)]
pub struct IrTable {
    pub name: String,
    pub first: bool,
    pub doc: Option<String>,
    pub span: IrSpan,
    pub branches: Vec<IrBranch>,
}

#[derive(Serialize, JsonSchema)]
pub struct IrBranch {
    /// `when` or `otherwise`.
    pub kind: String,
    pub condition: Option<IrCondition>,
    pub condition_text: Option<String>,
    pub target: IrTarget,
    pub doc: Option<String>,
    pub span: IrSpan,
}

#[derive(Serialize, JsonSchema)]
pub struct IrTarget {
    pub links: Vec<IrLink>,
    pub end: IrEnd,
}

#[derive(Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IrLink {
    Escalate { team: String },
    Do { action: String },
}

#[derive(Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IrEnd {
    Outcome { outcome: String },
    Escalate { team: String },
    Table { table: String },
    Step { step: String },
}

/// The JSON Schema of the document.
pub fn schema() -> String {
    super::strict_schema(&schemars::schema_for!(IrDocument))
}

struct Ctx<'a> {
    p: &'a Program,
    sources: &'a SourceMap,
}

impl Ctx<'_> {
    fn span(&self, span: Span) -> IrSpan {
        let l = self.sources.location(span);
        IrSpan { file: l.file, line: l.line, column: l.column, end_line: l.end_line, end_column: l.end_column }
    }

    fn value(&self, input: InputId, v: Value) -> serde_json::Value {
        value_json(self.p, input, &v)
    }

    fn cond(&self, c: &Cond) -> IrCondition {
        match c {
            Cond::Const(b) => IrCondition::Const { value: *b },
            Cond::And(cs) => IrCondition::And { args: cs.iter().map(|c| self.cond(c)).collect() },
            Cond::Or(cs) => IrCondition::Or { args: cs.iter().map(|c| self.cond(c)).collect() },
            Cond::Not(c) => IrCondition::Not { arg: Box::new(self.cond(c)) },
            Cond::Atom(a) => {
                let input = self.p.inputs[a.input].name.clone();
                match &a.pred {
                    Pred::BoolIs(b) => IrCondition::Compare { input, cmp: "==".into(), value: (*b).into() },
                    Pred::Cmp(op, n) => IrCondition::Compare { input, cmp: op.as_str().into(), value: self.value(a.input, Value::Num(*n)) },
                    Pred::NumIn(ns, neg) => IrCondition::In { input, values: ns.iter().map(|n| self.value(a.input, Value::Num(*n))).collect(), negated: *neg },
                    Pred::EnumIn(vs, neg) if vs.len() == 1 => IrCondition::Compare {
                        input,
                        cmp: if *neg { CmpOp::Ne } else { CmpOp::Eq }.as_str().into(),
                        value: self.value(a.input, Value::Variant(vs[0])),
                    },
                    Pred::EnumIn(vs, neg) => {
                        IrCondition::In { input, values: vs.iter().map(|v| self.value(a.input, Value::Variant(*v))).collect(), negated: *neg }
                    }
                    Pred::StrIn(ss, neg) if ss.len() == 1 => {
                        IrCondition::Compare { input, cmp: if *neg { CmpOp::Ne } else { CmpOp::Eq }.as_str().into(), value: ss[0].clone().into() }
                    }
                    Pred::StrIn(ss, neg) => IrCondition::In { input, values: ss.iter().map(|s| s.clone().into()).collect(), negated: *neg },
                }
            }
        }
    }

    fn target(&self, t: &Target, steps: Option<&Flow>) -> IrTarget {
        IrTarget {
            links: t
                .links
                .iter()
                .map(|l| match l {
                    Link::Escalate(team) => IrLink::Escalate { team: self.p.teams[*team].name.clone() },
                    Link::Do(a) => IrLink::Do { action: self.p.actions[*a].name.clone() },
                })
                .collect(),
            end: match t.end {
                End::Outcome(o) => IrEnd::Outcome { outcome: self.p.outcomes[o].name.clone() },
                End::Escalate(team) => IrEnd::Escalate { team: self.p.teams[team].name.clone() },
                End::Table(table) => IrEnd::Table { table: self.p.tables[table].name.clone() },
                End::Step(s) => IrEnd::Step { step: steps.map(|f| f.steps[s].name.clone()).unwrap_or_default() },
            },
        }
    }

    fn flow(&self, f: FlowId) -> IrFlow {
        let flow = &self.p.flows[f];
        let g = ir::build(self.p, f);
        let id = |n: petgraph::graph::NodeIndex| format!("n{}", n.index());
        let nodes = g
            .graph
            .node_indices()
            .map(|n| IrNode {
                id: id(n),
                kind: match &g.graph[n] {
                    Node::Step { step, name } => {
                        let s = &flow.steps[*step];
                        IrNodeKind::Step {
                            name: name.clone(),
                            title: s.title.clone(),
                            first: s.decision.first,
                            within: s.within_text.clone(),
                            instructions: s.instructions.clone(),
                            doc: s.doc.clone(),
                            span: self.span(s.name_span),
                        }
                    }
                    Node::Action { action } => IrNodeKind::Action { action: self.p.actions[*action].name.clone() },
                    Node::Escalate { team } => IrNodeKind::Escalate { team: self.p.teams[*team].name.clone() },
                    Node::HandOff { team } => IrNodeKind::HandOff { team: self.p.teams[*team].name.clone() },
                    Node::Outcome { outcome } => IrNodeKind::Outcome {
                        outcome: self.p.outcomes[*outcome].name.clone(),
                        severity: self.p.outcomes[*outcome].severity.as_str().to_string(),
                    },
                    Node::Table { table } => IrNodeKind::Table { table: self.p.tables[*table].name.clone() },
                },
            })
            .collect();
        use petgraph::visit::EdgeRef;
        let edges = g
            .graph
            .edge_references()
            .map(|e| {
                let w = e.weight();
                let b = &flow.steps[w.step].decision.branches[w.branch];
                let first_edge = w.kind != EdgeKind::Then;
                IrEdge {
                    from: id(e.source()),
                    to: id(e.target()),
                    kind: match w.kind {
                        EdgeKind::When => "when",
                        EdgeKind::Otherwise => "otherwise",
                        EdgeKind::Timeout => "timeout",
                        EdgeKind::Then => "then",
                    }
                    .into(),
                    step: flow.steps[w.step].name.clone(),
                    order: w.branch,
                    condition: b.cond().filter(|_| first_edge).map(|c| self.cond(c)),
                    condition_text: b.cond_text.as_deref().map(str::to_string).filter(|_| first_edge),
                    doc: b.doc.clone().filter(|_| first_edge),
                    span: self.span(b.span),
                }
            })
            .collect();
        let targets = self
            .p
            .resolutions
            .iter()
            .filter(|r| r.flow == f)
            .map(|r| IrResolution { within: r.text.clone(), when: r.cond.as_ref().map(|c| self.cond(c)), span: self.span(r.span) })
            .collect();
        IrFlow { name: flow.name.clone(), doc: flow.doc.clone(), start: id(g.steps[flow.start]), span: self.span(flow.name_span), nodes, edges, targets }
    }

    fn table(&self, t: TableId) -> IrTable {
        let table = &self.p.tables[t];
        IrTable {
            name: table.name.clone(),
            first: table.decision.first,
            doc: table.doc.clone(),
            span: self.span(table.name_span),
            branches: table
                .decision
                .branches
                .iter()
                .map(|b| IrBranch {
                    kind: if b.cond().is_some() { "when" } else { "otherwise" }.into(),
                    condition: b.cond().map(|c| self.cond(c)),
                    condition_text: b.cond_text.as_deref().map(str::to_string),
                    target: self.target(&b.target, None),
                    doc: b.doc.clone(),
                    span: self.span(b.span),
                })
                .collect(),
        }
    }
}

pub fn document(p: &Program, sources: &SourceMap, selection: &Selection) -> IrDocument {
    let cx = Ctx { p, sources };
    IrDocument {
        format: "sopflow-ir".into(),
        version: 1,
        inputs: p
            .inputs
            .iter()
            .map(|i| IrInput {
                name: i.name.clone(),
                ty: match i.ty {
                    Type::Bool => IrType::Bool,
                    Type::Int { lo, hi } => IrType::Int { min: lo, max: hi },
                    Type::Duration => IrType::Duration,
                    Type::String => IrType::String,
                    Type::Enum(e) => IrType::Enum { name: p.enums[e].name.clone(), variants: p.enums[e].variants.clone() },
                },
                doc: i.doc.clone(),
                span: cx.span(i.span),
            })
            .collect(),
        enums: p.enums.iter().map(|e| IrEnum { name: e.name.clone(), variants: e.variants.clone(), inline: p.input_by_name(&e.name).is_some() }).collect(),
        teams: p
            .teams
            .iter()
            .map(|t| IrTeam { name: t.name.clone(), sla: t.sla_seconds.map(Duration::format_seconds), doc: t.doc.clone(), span: cx.span(t.span) })
            .collect(),
        actions: p
            .actions
            .iter()
            .map(|a| IrAction { name: a.name.clone(), description: a.description.clone(), doc: a.doc.clone(), span: cx.span(a.span) })
            .collect(),
        outcomes: p
            .outcomes
            .iter()
            .map(|o| IrOutcome {
                name: o.name.clone(),
                severity: o.severity.as_str().to_string(),
                requires_escalation: o.requires.map(|r| IrRequires {
                    team: match r {
                        Requirement::Any => None,
                        Requirement::Team(t) => Some(p.teams[t].name.clone()),
                    },
                }),
                doc: o.doc.clone(),
                span: cx.span(o.span),
            })
            .collect(),
        requirements: p
            .requires
            .iter()
            .map(|r| IrRequirement { team: p.teams[r.team].name.clone(), condition: cx.cond(&r.cond), span: cx.span(r.span) })
            .collect(),
        flows: selection.flows.iter().map(|f| cx.flow(*f)).collect(),
        tables: selection.tables.iter().map(|t| cx.table(*t)).collect(),
    }
}

pub fn render(p: &Program, sources: &SourceMap, selection: &Selection) -> String {
    let mut s = serde_json::to_string_pretty(&document(p, sources, selection)).expect("the document serializes");
    s.push('\n');
    s
}
