//! The resolved, type-checked program: every reference is an index, every
//! condition is typed. Produced by `resolve`, consumed by `ir`, `analysis`
//! and `eval`. Flows and tables with a name, type or target finding are
//! kept with `ok == false` and are not analysed.

use crate::ast::{CmpOp, SeverityLevel};
use crate::source::Span;

pub type InputId = usize;
pub type EnumId = usize;
pub type TeamId = usize;
pub type ActionId = usize;
pub type OutcomeId = usize;
pub type TableId = usize;
pub type FlowId = usize;
pub type StepId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Bool,
    Int { lo: i64, hi: i64 },
    Duration,
    String,
    Enum(EnumId),
}

#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub ty: Type,
    /// False when the type names an enum that is not declared (reported as
    /// `undefined-name` at the type): conditions on the input are not
    /// type-checked, and the flows and tables that read it are not analysed.
    pub typed: bool,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Enum {
    pub name: String,
    pub variants: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Team {
    pub name: String,
    pub sla_seconds: Option<i64>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Action {
    pub name: String,
    pub description: Option<String>,
    pub span: Span,
    pub doc: Option<String>,
}

/// What escalation an outcome or rule requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Requirement {
    /// Any `escalate`.
    Any,
    Team(TeamId),
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    pub severity: SeverityLevel,
    pub requires: Option<Requirement>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct RequireRule {
    pub team: TeamId,
    pub cond: Cond,
    /// Inputs named in the condition.
    pub inputs: Vec<InputId>,
    pub span: Span,
}

/// A resolution target: the cases of `flow` that satisfy `cond` (every case
/// without one) end within `seconds`, in the worst case.
#[derive(Clone, Debug)]
pub struct Resolution {
    pub flow: FlowId,
    pub seconds: i64,
    /// The duration as written (`24h`).
    pub text: String,
    pub cond: Option<Cond>,
    pub span: Span,
}

/// A typed condition. Two are equal when they test the same inputs the
/// same way, wherever they were written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    Const(bool),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Atom(Atom),
}

#[derive(Clone, Debug)]
pub struct Atom {
    pub input: InputId,
    pub pred: Pred,
    pub span: Span,
}

/// Where an atom was written is not part of what it tests.
impl PartialEq for Atom {
    fn eq(&self, other: &Atom) -> bool {
        self.input == other.input && self.pred == other.pred
    }
}

impl Eq for Atom {}

impl std::hash::Hash for Atom {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.input.hash(h);
        self.pred.hash(h);
    }
}

/// A test of one input against literals.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pred {
    BoolIs(bool),
    /// Int or duration (seconds) comparison.
    Cmp(CmpOp, i64),
    /// Int or duration membership; `true` = `not in`.
    NumIn(Vec<i64>, bool),
    /// Enum variant indices.
    EnumIn(Vec<u32>, bool),
    StrIn(Vec<String>, bool),
}

impl Cond {
    /// Every input the condition names, in source order.
    pub fn inputs(&self, out: &mut Vec<InputId>) {
        match self {
            Cond::Const(_) => {}
            Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| c.inputs(out)),
            Cond::Not(c) => c.inputs(out),
            Cond::Atom(a) => {
                if !out.contains(&a.input) {
                    out.push(a.input)
                }
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Link {
    Escalate(TeamId),
    Do(ActionId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Outcome(OutcomeId),
    Escalate(TeamId),
    Table(TableId),
    Step(StepId),
}

#[derive(Clone, Debug)]
pub struct Target {
    pub links: Vec<Link>,
    pub end: End,
    pub span: Span,
    /// The span of the final element (`outcome NAME`, the step name, …).
    pub end_span: Span,
}

impl Target {
    /// Whether two targets are the same whole chain.
    pub fn same_chain(&self, other: &Target) -> bool {
        self.links == other.links && self.end == other.end
    }

    /// Whether the chain passes an escalation meeting `req`.
    pub fn escalates(&self, req: Requirement) -> bool {
        let meets = |t: TeamId| req == Requirement::Any || req == Requirement::Team(t);
        self.links.iter().any(|l| matches!(l, Link::Escalate(t) if meets(*t))) || matches!(self.end, End::Escalate(t) if meets(t))
    }
}

#[derive(Clone, Debug)]
pub enum BranchKind {
    When(Cond),
    Otherwise,
    Timeout,
}

#[derive(Clone, Debug)]
pub struct Branch {
    pub kind: BranchKind,
    pub target: Target,
    pub span: Span,
    pub keyword: Span,
    pub doc: Option<String>,
    /// The condition as written, for messages and exports.
    pub cond_text: Option<std::sync::Arc<str>>,
}

impl Branch {
    /// The branch as written, without its target: `when COND`, `otherwise`, `timeout`.
    pub fn written(&self) -> String {
        match (&self.kind, &self.cond_text) {
            (BranchKind::Timeout, _) => "timeout".to_string(),
            (_, Some(c)) => format!("when {c}"),
            (_, None) => "otherwise".to_string(),
        }
    }

    pub fn cond(&self) -> Option<&Cond> {
        match &self.kind {
            BranchKind::When(c) => Some(c),
            _ => None,
        }
    }
}

/// The decision of a step or a table.
#[derive(Clone, Debug)]
pub struct Decision {
    pub first: bool,
    pub branches: Vec<Branch>,
}

impl Decision {
    /// Whether a case that takes `when` branch `i` satisfies no condition
    /// of branch `j`, as the evaluator chooses: every earlier branch, and
    /// in a unique decision every later one with another target chain (a
    /// case for which both hold is a conflict, and stops there).
    pub fn excludes(&self, i: usize, j: usize) -> bool {
        j < i || (!self.first && j > i && !self.branches[j].target.same_chain(&self.branches[i].target))
    }

    pub fn whens(&self) -> impl Iterator<Item = (usize, &Cond)> {
        self.branches.iter().enumerate().filter_map(|(i, b)| b.cond().map(|c| (i, c)))
    }

    pub fn otherwise(&self) -> Option<usize> {
        self.branches.iter().position(|b| matches!(b.kind, BranchKind::Otherwise))
    }

    pub fn timeout(&self) -> Option<usize> {
        self.branches.iter().position(|b| matches!(b.kind, BranchKind::Timeout))
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    pub name: String,
    pub name_span: Span,
    pub title: Option<String>,
    pub within_seconds: Option<i64>,
    /// The time limit as written (`24h`).
    pub within_text: Option<String>,
    pub instructions: Vec<String>,
    pub decision: Decision,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Flow {
    pub name: String,
    pub name_span: Span,
    pub start: StepId,
    pub steps: Vec<Step>,
    pub span: Span,
    pub doc: Option<String>,
    /// No name, type or target finding inside (gating).
    pub ok: bool,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub name: String,
    pub name_span: Span,
    pub decision: Decision,
    pub span: Span,
    pub doc: Option<String>,
    pub ok: bool,
}

/// A test value, typed against its input when possible.
#[derive(Clone, Debug)]
pub struct Test {
    pub name: String,
    pub span: Span,
    pub name_span: Span,
    pub run: Option<RunTarget>,
    pub given: Vec<Given>,
    /// `timeout STEP, …`: the steps whose timeout fires, by name.
    pub timeouts: Vec<(String, Span)>,
    pub expect_outcome: Option<OutcomeId>,
    pub expect_escalate: Option<TeamId>,
    pub expect_path: Option<Vec<String>>,
    /// `expect within D`: the run's worst-case time, in seconds, at most D.
    pub expect_within: Option<i64>,
}

/// One input of a test's `given`: its name as written, where, and its value
/// typed against the input (`Err`: the input is unknown or the value does
/// not fit it).
#[derive(Clone, Debug)]
pub struct Given {
    pub name: String,
    pub span: Span,
    pub value: Result<(InputId, Value), String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunTarget {
    Flow(FlowId),
    Table(TableId),
}

#[derive(Clone, Debug, Default)]
pub struct Program {
    pub inputs: Vec<Input>,
    pub enums: Vec<Enum>,
    pub teams: Vec<Team>,
    pub actions: Vec<Action>,
    pub outcomes: Vec<Outcome>,
    pub requires: Vec<RequireRule>,
    /// `require resolution within D in FLOW [when C]`, in source order.
    pub resolutions: Vec<Resolution>,
    pub tables: Vec<Table>,
    pub flows: Vec<Flow>,
    pub tests: Vec<Test>,
    /// String literals of every condition (for witnesses of `not in`).
    pub string_literals: Vec<String>,
}

/// A concrete value of one input.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Bool(bool),
    /// Int, or duration in seconds.
    Num(i64),
    Variant(u32),
    Str(String),
}

/// A value as written, before it is typed against an input: from a test's
/// `given` (a literal) or from a case of `eval` (JSON).
#[derive(Clone, Copy, Debug)]
pub enum Raw<'a> {
    Bool(bool),
    /// A whole-number literal (`None`: out of range).
    Int(Option<i64>),
    /// A JSON number (`None`: not a whole number that fits), also a
    /// duration in seconds; `shown` is how it was written.
    Number(Option<i64>, &'a str),
    /// A duration literal, in seconds (`None`: out of range).
    Duration(Option<i64>),
    /// A bare name (a variant, in a literal).
    Name(&'a str),
    /// A quoted string literal.
    Str(&'a str),
    /// A JSON string: a string, a variant name or a duration such as "90m".
    Text(&'a str),
    /// Anything else, as written.
    Other(&'a str),
}

/// The longest value that a message looks for a near match of.
const SHOWN: usize = 200;

/// A text from a case, shortened for a message (a value can be enormous).
pub fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text.to_string(),
    }
}

impl Program {
    /// Input `id`'s value as a witness shows it.
    pub fn witness_value(&self, id: InputId, value: &Value) -> crate::diagnostics::WitnessValue {
        use crate::diagnostics::WitnessValue as W;
        match (self.inputs[id].ty, value) {
            (_, Value::Bool(b)) => W::Bool(*b),
            (Type::Duration, Value::Num(n)) => W::Duration(*n),
            (_, Value::Num(n)) => W::Int(*n),
            (Type::Enum(e), Value::Variant(i)) => W::Variant(self.enums[e].variants.get(*i as usize).cloned().unwrap_or_default()),
            (_, Value::Variant(i)) => W::Int(i64::from(*i)),
            (_, Value::Str(s)) => W::Str(s.clone()),
        }
    }

    /// A value as written, typed against input `id`: the one check of a
    /// value's type, for tests, `eval` and the language server alike.
    pub fn typed_value(&self, id: InputId, raw: Raw<'_>) -> Result<Value, String> {
        let input = &self.inputs[id];
        let name = &input.name;
        match (input.ty, raw) {
            (Type::Bool, Raw::Bool(b)) => Ok(Value::Bool(b)),
            (Type::Int { lo, hi }, Raw::Int(Some(v)) | Raw::Number(Some(v), _)) if lo <= v && v <= hi => Ok(Value::Num(v)),
            (Type::Int { lo, hi }, Raw::Int(Some(v)) | Raw::Number(Some(v), _)) => Err(format!("input `{name}` is {v}, outside its range {lo} to {hi}")),
            (Type::Duration, Raw::Duration(Some(seconds))) => Ok(Value::Num(seconds)),
            (Type::Duration, Raw::Number(Some(v), _)) if v >= 0 => Ok(Value::Num(v)),
            (Type::Duration, Raw::Number(_, shown)) => Err(format!("input `{name}` must be a non-negative number of seconds, not {}", shorten(shown))),
            (Type::Duration, Raw::Text(s)) => match crate::source::Duration::parse(s) {
                Some(d) => Ok(Value::Num(d.seconds)),
                None => Err(format!("input `{name}` must be a duration such as \"90m\", not \"{}\"", shorten(s))),
            },
            (Type::String, Raw::Str(s) | Raw::Text(s)) => Ok(Value::Str(s.to_string())),
            (Type::Enum(e), Raw::Name(s) | Raw::Text(s)) => {
                let variants = &self.enums[e].variants;
                match variants.iter().position(|v| v == s) {
                    Some(i) => Ok(Value::Variant(i as u32)),
                    None => {
                        let near = if s.len() <= SHOWN { crate::resolve::nearest(s, variants.iter().map(String::as_str)) } else { None };
                        let s = shorten(s);
                        Err(match near {
                            Some(n) => format!("input `{name}` has no variant `{s}` (did you mean `{n}`?)"),
                            None => format!("input `{name}` has no variant `{s}`; it is one of {}", variants.join(", ")),
                        })
                    }
                }
            }
            (ty, raw) => {
                let json = matches!(raw, Raw::Number(..) | Raw::Text(_) | Raw::Other(_));
                let expected = match ty {
                    Type::Bool => "`true` or `false`",
                    Type::Int { .. } => "a whole number",
                    Type::Duration if json => "a duration such as \"90m\" or a number of seconds",
                    Type::Duration => "a duration such as `24h`",
                    Type::String if json => "a string",
                    Type::String => "a quoted string",
                    Type::Enum(_) if json => "a variant name as a string",
                    Type::Enum(_) => "a variant",
                };
                let shown = match raw {
                    Raw::Bool(b) => b.to_string(),
                    Raw::Int(Some(n)) => n.to_string(),
                    Raw::Int(None) | Raw::Duration(None) => "out of range".to_string(),
                    Raw::Duration(Some(seconds)) => crate::source::Duration::format_seconds(seconds),
                    Raw::Name(s) | Raw::Number(_, s) | Raw::Other(s) => shorten(s),
                    Raw::Str(s) | Raw::Text(s) => format!("\"{}\"", shorten(s)),
                };
                Err(format!("input `{name}` must be {expected}, not {shown}"))
            }
        }
    }

    /// Every input that a run of `target` can read (its conditions, and
    /// those of the tables a flow delegates to), in declaration order.
    pub fn target_inputs(&self, target: RunTarget) -> Vec<InputId> {
        let mut read = Vec::new();
        let mut decision = |d: &Decision| d.whens().for_each(|(_, c)| c.inputs(&mut read));
        match target {
            RunTarget::Table(t) => decision(&self.tables[t].decision),
            RunTarget::Flow(f) => {
                for step in &self.flows[f].steps {
                    decision(&step.decision);
                    for b in &step.decision.branches {
                        if let End::Table(t) = b.target.end {
                            decision(&self.tables[t].decision);
                        }
                    }
                }
            }
        }
        read.sort_unstable();
        read.dedup();
        read
    }

    /// The flow or table at offset `at` of `file`: the one whose whole
    /// declaration holds it, or with `on_name`, the one whose name does.
    /// Flows are looked at first; one with an error in it is still found.
    pub fn target_at(&self, file: crate::source::FileId, at: u32, on_name: bool) -> Option<RunTarget> {
        let holds = |whole: Span, name: Span| {
            let s = if on_name { name } else { whole };
            s.file == file && s.start <= at && at <= s.end
        };
        let flows = self.flows.iter().position(|f| holds(f.span, f.name_span)).map(RunTarget::Flow);
        flows.or_else(|| self.tables.iter().position(|t| holds(t.span, t.name_span)).map(RunTarget::Table))
    }

    pub fn input_by_name(&self, name: &str) -> Option<InputId> {
        self.inputs.iter().position(|i| i.name == name)
    }
}
