//! The semantic diff of two versions of a project: for every flow and table
//! in both, the regions of the input space (timeouts included) where a case's
//! result differs, each with a witness that `eval` confirms in both versions.
//!
//! The two programs are read in one joint space (`Joint`): inputs matched by
//! name, their domains intersected (a case is compared only where both
//! versions accept it), every condition of both versions mapped into it, and
//! the analysis's case sets built over the classes that tell all of them
//! apart. Both versions are then run symbolically side by side on sets of
//! cases (`Explorer`): a set splits where either version's decision splits
//! it, and a set whose two runs have ended is a region of the diff when the
//! results differ. A pair of positions from which both versions are the same
//! (same step, same steps and tables reachable from it, same history) is
//! not explored further: unchanged parts of a flow cost nothing.

use std::collections::{HashMap, HashSet};

use crate::analysis::domain::CaseSet;
use crate::analysis::domain::{SetView, Space};
use crate::analysis::sets::{cond_set, Point};
use crate::ast::SeverityLevel;
use crate::eval::{self, Run};
use crate::model::*;
use crate::source::Span;

/// How a run ends, by name (the two versions' ids differ).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", content = "at", rename_all = "snake_case")]
pub enum EndKey {
    /// The outcome reached.
    Outcome(String),
    /// The team handed to (a final `escalate`).
    Escalated(String),
    /// Two branches with different targets hold, at this step or table.
    Conflict(String),
    /// No branch holds and there is no `otherwise`, at this step or table.
    FallThrough(String),
    /// The run came back to this step.
    Cycle(String),
}

/// The result of a case, as `eval` returns it, by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
pub struct Outcome {
    pub end: EndKey,
    /// Steps visited, in order (flows only).
    pub path: Vec<String>,
    /// Teams escalated to, in order (a final hand-off included).
    pub escalations: Vec<String>,
    /// Actions done, in order.
    pub actions: Vec<String>,
}

/// The result of a finished run.
pub fn outcome_of(program: &Program, flow: Option<FlowId>, run: &Run) -> Outcome {
    let decision = |w: &eval::Where| match (w, flow) {
        (eval::Where::Step(s), Some(f)) => format!("step {}", program.flows[f].steps[*s].name),
        (eval::Where::Step(s), None) => format!("step {s}"),
        (eval::Where::Table(t), _) => format!("table {}", program.tables[*t].name),
    };
    let end = match &run.end {
        eval::End::Outcome { outcome, .. } => EndKey::Outcome(program.outcomes[*outcome].name.clone()),
        eval::End::Escalated { team, .. } => EndKey::Escalated(program.teams[*team].name.clone()),
        eval::End::Conflict { decision: w, .. } => EndKey::Conflict(decision(w)),
        eval::End::FallThrough { decision: w } => EndKey::FallThrough(decision(w)),
        eval::End::Cycle { step } => EndKey::Cycle(flow.map_or_else(String::new, |f| program.flows[f].steps[*step].name.clone())),
        eval::End::Missing { input } => EndKey::FallThrough(format!("missing input {}", program.inputs[*input].name)),
    };
    Outcome {
        end,
        path: flow.map_or_else(Vec::new, |f| run.path.iter().map(|s| program.flows[f].steps[*s].name.clone()).collect()),
        escalations: run.escalations.iter().map(|t| program.teams[*t].name.clone()).collect(),
        actions: run.actions.iter().map(|a| program.actions[*a].name.clone()).collect(),
    }
}

/// What is compared: a flow or a table, by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Subject {
    Flow(String),
    Table(String),
}

impl Subject {
    pub fn name(&self) -> &str {
        match self {
            Subject::Flow(n) | Subject::Table(n) => n,
        }
    }
}

/// A region of cases whose result differs.
#[derive(Clone, Debug)]
pub struct Region {
    /// The cases, in the joint space.
    pub set: CaseSet,
    /// Steps whose timeout must fire (`true`) or not (`false`) for the
    /// cases of the region, by name.
    pub fired: Vec<(String, bool)>,
    pub old: Outcome,
    pub new: Outcome,
    /// The branches each version took, in order.
    pub old_lines: Vec<Span>,
    pub new_lines: Vec<Span>,
    /// A case of the region, confirmed by `eval` in both versions: input
    /// values by name, and the steps whose timeout fires.
    pub witness: Vec<(String, crate::diagnostics::WitnessValue)>,
    pub timeouts: Vec<String>,
    /// The region as text (`kind in { fraud } and strikes in 3..9`).
    pub text: String,
}

/// The diff of one flow or table present in both versions.
#[derive(Debug)]
pub struct Compared {
    pub subject: Subject,
    pub regions: Vec<Region>,
    /// Outcomes some case reached in one version only.
    pub outcomes_lost: Vec<String>,
    pub outcomes_gained: Vec<String>,
    /// A set was widened: differences may be missing (every one reported
    /// was confirmed by `eval`).
    pub widened: bool,
    /// Regions dropped because `eval` did not confirm their witness (only
    /// where sets were widened).
    pub unconfirmed: usize,
}

/// The whole diff.
#[derive(Debug, Default)]
pub struct Diff {
    pub compared: Vec<Compared>,
    pub added: Vec<Subject>,
    pub removed: Vec<Subject>,
    /// What was not compared, and why.
    pub notes: Vec<String>,
    /// The joint space the regions' sets are in.
    pub joint: Option<Joint>,
}

/// Two versions, and which flow or table to compare.
pub struct Request<'a> {
    pub old: &'a Program,
    pub new: &'a Program,
    /// Compare only this flow or table.
    pub only: Option<Subject>,
    /// A slice: the old side's cases restricted by `old_where`, the new
    /// side's by `new_where`, the inputs they name left out of the
    /// comparison (the same program on both sides).
    pub slice: Option<(Cond, Cond)>,
}

/// Severity of an end, for "milder": an outcome's severity; a hand-off
/// counts as high; a failure as none.
pub fn severity(program: &Program, end: &EndKey) -> SeverityLevel {
    match end {
        EndKey::Outcome(o) => program.outcomes.iter().find(|x| x.name == *o).map_or(SeverityLevel::None, |x| x.severity),
        EndKey::Escalated(_) => SeverityLevel::High,
        _ => SeverityLevel::None,
    }
}

/// The teams a result must have escalated to (by the outcome's
/// `requires escalation` and the `require` rules whose condition holds),
/// and whether it did: `Some(false)` when a requirement is not met.
pub fn escalation_met(program: &Program, result: &Outcome, case: &eval::Case) -> bool {
    let passed = |team: Option<&str>| match team {
        None => !result.escalations.is_empty(),
        Some(t) => result.escalations.iter().any(|e| e == t),
    };
    if let EndKey::Outcome(o) = &result.end {
        if let Some(req) = program.outcomes.iter().find(|x| x.name == *o).and_then(|x| x.requires) {
            let team = match req {
                Requirement::Any => None,
                Requirement::Team(t) => Some(program.teams[t].name.as_str()),
            };
            if !passed(team) {
                return false;
            }
        }
    }
    for rule in &program.requires {
        if eval::cond_holds(program, &rule.cond, case) == Ok(true) && !passed(Some(&program.teams[rule.team].name)) {
            return false;
        }
    }
    true
}

// ---- The joint space --------------------------------------------------------

/// One version's inputs and variants in the joint space.
#[derive(Debug)]
struct VersionMap {
    input: Vec<Option<usize>>,
    /// By the version's enum id: each variant's index in the joint enum.
    variant: Vec<Vec<Option<u32>>>,
    types: Vec<Type>,
}

/// Both versions' inputs in one space.
#[derive(Debug)]
pub struct Joint {
    pub program: Program,
    pub space: Space,
    maps: [VersionMap; 2],
    /// Inputs whose domains cannot be compared (their type changed).
    pub incomparable: HashSet<String>,
    pub notes: Vec<String>,
}

fn empty_program() -> Program {
    Program::default()
}

impl Joint {
    /// The joint space of two programs (`sides[0]` old, `sides[1]` new);
    /// `renamed` gives the new side its own copy of these inputs (slices);
    /// `extra` are more conditions the space must tell apart.
    pub fn new(sides: [&Program; 2], renamed: &HashSet<String>, extra: &[(usize, &Cond)]) -> Joint {
        let mut program = empty_program();
        let mut incomparable = HashSet::new();
        let mut notes = Vec::new();
        let mut maps: [VersionMap; 2] = std::array::from_fn(|k| VersionMap {
            input: vec![None; sides[k].inputs.len()],
            variant: sides[k].enums.iter().map(|e| (0..e.variants.len() as u32).map(Some).collect()).collect(),
            types: sides[k].inputs.iter().map(|i| i.ty).collect(),
        });
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (k, side) in sides.iter().enumerate() {
            for (i, input) in side.inputs.iter().enumerate() {
                let key = if k == 1 && renamed.contains(&input.name) { format!("{}'", input.name) } else { input.name.clone() };
                let Some(&j) = by_name.get(&key) else {
                    let ty = match input.ty {
                        Type::Enum(e) => {
                            program.enums.push(Enum {
                                name: side.enums[e].name.clone(),
                                variants: side.enums[e].variants.clone(),
                                span: Span::new(crate::source::FileId(0), 0, 0),
                            });
                            Type::Enum(program.enums.len() - 1)
                        }
                        other => other,
                    };
                    program.inputs.push(Input { name: key.clone(), ty, typed: true, span: Span::new(crate::source::FileId(0), 0, 0), doc: None });
                    by_name.insert(key, program.inputs.len() - 1);
                    maps[k].input[i] = Some(program.inputs.len() - 1);
                    continue;
                };
                maps[k].input[i] = Some(j);
                let merged = match (program.inputs[j].ty, input.ty) {
                    (Type::Enum(je), Type::Enum(e)) => {
                        let old_variants = program.enums[je].variants.clone();
                        let new_variants = &side.enums[e].variants;
                        let kept: Vec<String> = old_variants.iter().filter(|v| new_variants.contains(v)).cloned().collect();
                        let only: Vec<String> = old_variants.iter().chain(new_variants).filter(|v| !kept.contains(v)).map(|v| format!("`{v}`")).collect();
                        if !only.is_empty() {
                            notes.push(format!("input `{}`: variants in one version only ({}): cases with them are not compared", input.name, only.join(", ")));
                        }
                        // The first version's variants onto the kept list.
                        if let Some(Type::Enum(oe)) = sides[0].inputs.iter().position(|x| x.name == input.name).map(|p| maps[0].types[p]) {
                            maps[0].variant[oe] = sides[0].enums[oe].variants.iter().map(|v| kept.iter().position(|x| x == v).map(|p| p as u32)).collect();
                        }
                        maps[k].variant[e] = new_variants.iter().map(|v| kept.iter().position(|x| x == v).map(|p| p as u32)).collect();
                        (!kept.is_empty()).then(|| {
                            program.enums[je].variants = kept;
                            Type::Enum(je)
                        })
                    }
                    (Type::Int { lo: a, hi: b }, Type::Int { lo: c, hi: d }) if a.max(c) <= b.min(d) => {
                        if (a, b) != (c, d) {
                            notes.push(format!(
                                "input `{}`: its range changed from {a} to {b} into {c} to {d}; the cases from {} to {} are compared",
                                input.name,
                                a.max(c),
                                b.min(d)
                            ));
                        }
                        Some(Type::Int { lo: a.max(c), hi: b.min(d) })
                    }
                    (a, b) if a == b => Some(a),
                    _ => None,
                };
                match merged {
                    Some(ty) => program.inputs[j].ty = ty,
                    None => {
                        notes.push(format!("input `{}`: its type changed; the flows and tables that read it are not compared", input.name));
                        incomparable.insert(input.name.clone());
                    }
                }
            }
        }
        let mut joint = Joint { program, space: Space::new(&empty_program()), maps, incomparable, notes };
        // Every condition of both versions, mapped, as the branches of one
        // table: the space's classes must tell all of them apart.
        let mut branches = Vec::new();
        let mut literals = Vec::new();
        for (k, side) in sides.iter().enumerate() {
            let decisions = side.flows.iter().flat_map(|f| f.steps.iter().map(|s| &s.decision)).chain(side.tables.iter().map(|t| &t.decision));
            for c in decisions.flat_map(|d| d.whens().map(|(_, c)| c)).chain(side.requires.iter().map(|r| &r.cond)) {
                branches.push(joint.when(k, c));
            }
            literals.extend(side.string_literals.iter().cloned());
        }
        for (k, c) in extra {
            branches.push(joint.when(*k, c));
        }
        literals.sort();
        literals.dedup();
        joint.program.string_literals = literals;
        joint.program.tables.push(Table {
            name: String::new(),
            name_span: Span::new(crate::source::FileId(0), 0, 0),
            decision: Decision { first: true, branches },
            span: Span::new(crate::source::FileId(0), 0, 0),
            doc: None,
            ok: true,
        });
        joint.space = Space::new(&joint.program);
        joint
    }

    fn when(&self, side: usize, c: &Cond) -> Branch {
        let span = Span::new(crate::source::FileId(0), 0, 0);
        let target = Target { links: vec![], end: End::Outcome(0), span, end_span: span };
        Branch { kind: BranchKind::When(self.map(side, c)), target, span, keyword: span, doc: None, cond_text: None }
    }

    /// A condition of version `side` in the joint space (a literal outside
    /// the compared domain drops out of its list).
    pub fn map(&self, side: usize, c: &Cond) -> Cond {
        let m = &self.maps[side];
        match c {
            Cond::Const(b) => Cond::Const(*b),
            Cond::And(cs) => Cond::And(cs.iter().map(|c| self.map(side, c)).collect()),
            Cond::Or(cs) => Cond::Or(cs.iter().map(|c| self.map(side, c)).collect()),
            Cond::Not(c) => Cond::Not(Box::new(self.map(side, c))),
            Cond::Atom(a) => {
                let Some(input) = m.input[a.input] else { return Cond::Const(false) };
                if self.incomparable.contains(self.program.inputs[input].name.trim_end_matches('\'')) {
                    return Cond::Const(false);
                }
                let pred = match (&a.pred, m.types[a.input]) {
                    (Pred::EnumIn(vals, neg), Type::Enum(e)) => {
                        Pred::EnumIn(vals.iter().filter_map(|v| m.variant[e].get(*v as usize).copied().flatten()).collect(), *neg)
                    }
                    (other, _) => other.clone(),
                };
                Cond::Atom(Atom { input, pred, span: a.span })
            }
        }
    }

    /// A case of version `side` (every input given) as a point of the joint
    /// space; the joint inputs it does not have take their first value.
    pub fn point(&self, side: usize, case: &eval::Case) -> Point {
        let m = &self.maps[side];
        let mut point: Point = (0..self.space.inputs()).map(|i| self.space.pick(i, self.space.full(i))).collect();
        for (i, v) in case.iter().enumerate() {
            if let (Some(j), Some(v)) = (m.input[i], v) {
                point[j] = match (v, m.types[i]) {
                    (crate::model::Value::Variant(x), Type::Enum(e)) => {
                        crate::model::Value::Variant(m.variant[e].get(*x as usize).copied().flatten().unwrap_or(u32::MAX))
                    }
                    (v, _) => v.clone(),
                };
            }
        }
        point
    }

    /// Whether a region holds a case (a point of the joint space, and the
    /// names of the steps whose timeout fires).
    pub fn holds(&self, region: &Region, point: &Point, timeouts: &[String]) -> bool {
        region.set.contains(&self.space, point) && region.fired.iter().all(|(n, f)| timeouts.contains(n) == *f)
    }

    /// A point of the joint space as a case of version `side`.
    pub fn case(&self, side: usize, point: &Point) -> eval::Case {
        let m = &self.maps[side];
        (0..m.input.len())
            .map(|i| {
                let j = m.input[i]?;
                Some(match (&point[j], m.types[i]) {
                    (crate::model::Value::Variant(v), Type::Enum(e)) => crate::model::Value::Variant(m.variant[e].iter().position(|x| *x == Some(*v))? as u32),
                    (v, _) => v.clone(),
                })
            })
            .collect()
    }

    /// Whether version `side` reads an input that cannot be compared.
    fn reads_incomparable<'c>(&self, side: &Program, mut conds: impl Iterator<Item = &'c Cond>) -> bool {
        if self.incomparable.is_empty() {
            return false;
        }
        conds.any(|c| {
            let mut inputs = Vec::new();
            c.inputs(&mut inputs);
            inputs.iter().any(|i| self.incomparable.contains(&side.inputs[*i].name))
        })
    }

    /// A region's first cube as text: each input it constrains, with its values.
    pub fn describe(&self, set: &CaseSet) -> String {
        let cube_text = |cube: &crate::analysis::domain::Cube| {
            let parts: Vec<String> = cube.inputs(&self.space).map(|i| self.describe_input(i, &cube.values(&self.space, i))).collect();
            if parts.is_empty() {
                "every case".to_string()
            } else {
                parts.join(" and ")
            }
        };
        let shown: Vec<String> = set.cubes.iter().take(3).map(cube_text).collect();
        let more = set.cubes.len().saturating_sub(3);
        let mut text = shown.join(", or ");
        if more > 0 {
            text.push_str(&format!(", or {more} more"));
        }
        text
    }

    fn describe_input(&self, input: InputId, set: &crate::analysis::domain::AtomSet) -> String {
        let name = &self.program.inputs[input].name;
        let ty = self.program.inputs[input].ty;
        let num = |n: i64| if ty == Type::Duration { crate::source::Duration::format_seconds(n) } else { n.to_string() };
        match self.space.describe(input, set) {
            SetView::Variants(bits) => {
                let has = |k: usize| bits.get(k / 64).is_some_and(|w| w & (1 << (k % 64)) != 0);
                match ty {
                    Type::Bool if has(1) => name.clone(),
                    Type::Bool => format!("not {name}"),
                    Type::Enum(e) => {
                        let names: Vec<&str> = self.program.enums[e].variants.iter().enumerate().filter(|(k, _)| has(*k)).map(|(_, v)| v.as_str()).collect();
                        match names.as_slice() {
                            [one] => format!("{name} == {one}"),
                            _ => format!("{name} in {{ {} }}", names.join(", ")),
                        }
                    }
                    _ => name.clone(),
                }
            }
            SetView::Ints(iv) => {
                let (lo, hi) = match ty {
                    Type::Int { lo, hi } => (lo, hi),
                    _ => (0, i64::MAX),
                };
                let parts: Vec<String> = iv
                    .iter()
                    .map(|&(a, b)| match (a == lo, b == hi) {
                        _ if a == b => format!("{name} == {}", num(a)),
                        (true, false) => format!("{name} <= {}", num(b)),
                        (false, true) => format!("{name} >= {}", num(a)),
                        _ => format!("{name} in {}..{}", num(a), num(b)),
                    })
                    .collect();
                if parts.len() == 1 {
                    parts[0].clone()
                } else {
                    format!("({})", parts.join(" or "))
                }
            }
            SetView::Strs { values, negated } => {
                let quoted: Vec<String> = values.iter().map(|v| crate::syntax::lexical::quote(v)).collect();
                match (negated, quoted.as_slice()) {
                    (false, [one]) => format!("{name} == {one}"),
                    (true, [one]) => format!("{name} != {one}"),
                    (false, _) => format!("{name} in {{ {} }}", quoted.join(", ")),
                    (true, _) => format!("{name} not in {{ {} }}", quoted.join(", ")),
                }
            }
        }
    }
}

// ---- Running both versions on sets of cases ---------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pos {
    Step(StepId),
    Table(TableId),
    Done,
}

/// One version's run so far, on a set of cases.
#[derive(Clone, Debug)]
struct Side {
    pos: Pos,
    end: Option<EndKey>,
    path: Vec<StepId>,
    escalations: Vec<TeamId>,
    actions: Vec<ActionId>,
    lines: Vec<Span>,
}

/// A decision: a step (its flow, its index) or a table (`None`, its index).
type Key = (Option<FlowId>, usize);

/// A set of cases, the timeouts it fires (or not) by step name, and where
/// each version's run of it stands.
type Item = (CaseSet, Vec<(String, bool)>, [Side; 2]);

use crate::analysis::Choice;

struct Explorer<'a> {
    joint: &'a Joint,
    programs: [&'a Program; 2],
    flows: [Option<FlowId>; 2],
    /// Each decision's branch sets in the joint space, by side and decision.
    sets: [HashMap<Key, std::rc::Rc<Vec<CaseSet>>>; 2],
    /// Per table name: the cases outside which both versions of the table
    /// decide alike (`None`: every case may differ).
    table_scope: HashMap<String, Option<CaseSet>>,
    /// Steps (by name) from which both versions are the same.
    same_from: HashSet<String>,
    widened: bool,
    /// Where a table diff starts on each side.
    start_tables: [Pos; 2],
    /// Decisions split so far (none: the versions are the same from the start).
    partitions: usize,
}

impl<'a> Explorer<'a> {
    fn program(&self, k: usize) -> &'a Program {
        self.programs[k]
    }

    fn target_names(&self, k: usize, t: &Target) -> (Vec<String>, String) {
        let p = self.program(k);
        let links = t
            .links
            .iter()
            .map(|l| match l {
                Link::Escalate(x) => format!("escalate {}", p.teams[*x].name),
                Link::Do(x) => format!("do {}", p.actions[*x].name),
            })
            .collect();
        let end = match t.end {
            End::Outcome(o) => format!("outcome {}", p.outcomes[o].name),
            End::Escalate(x) => format!("escalate {}", p.teams[x].name),
            End::Table(x) => format!("table {}", p.tables[x].name),
            End::Step(s) => format!("step {}", self.flows[k].map_or_else(String::new, |f| p.flows[f].steps[s].name.clone())),
        };
        (links, end)
    }

    /// Whether a decision reads the same in both versions (tables it
    /// delegates to compared by `tables_same`).
    fn decisions_same(&self, a: &Decision, b: &Decision, tables_same: &HashSet<String>) -> bool {
        a.first == b.first
            && a.branches.len() == b.branches.len()
            && a.branches.iter().zip(&b.branches).all(|(x, y)| {
                let kinds = match (&x.kind, &y.kind) {
                    (BranchKind::When(c), BranchKind::When(d)) => self.joint.map(0, c) == self.joint.map(1, d),
                    (BranchKind::Otherwise, BranchKind::Otherwise) | (BranchKind::Timeout, BranchKind::Timeout) => true,
                    _ => false,
                };
                let delegated = match (x.target.end, y.target.end) {
                    (End::Table(t), End::Table(_)) => tables_same.contains(&self.program(0).tables[t].name),
                    _ => true,
                };
                kinds && delegated && self.target_names(0, &x.target) == self.target_names(1, &y.target)
            })
    }

    /// The tables (by name) that read the same in both versions, with
    /// every table they delegate to.
    fn same_tables(&self) -> HashSet<String> {
        let (old, new) = (self.program(0), self.program(1));
        let mut same: HashSet<String> = old.tables.iter().filter(|t| new.tables.iter().any(|u| u.name == t.name)).map(|t| t.name.clone()).collect();
        // Drop tables that differ until nothing changes (delegation).
        loop {
            let before = same.len();
            let keep: HashSet<String> = same
                .iter()
                .filter(|name| {
                    let t = old.tables.iter().find(|t| t.name == **name).unwrap();
                    let u = new.tables.iter().find(|u| u.name == **name).unwrap();
                    self.decisions_same(&t.decision, &u.decision, &same)
                })
                .cloned()
                .collect();
            same = keep;
            if same.len() == before {
                return same;
            }
        }
    }

    /// The steps (by name) of the two flows from which both read the same:
    /// the step and every step and table reachable from it are the same.
    fn compute_same_from(&mut self, tables_same: &HashSet<String>) {
        let (Some(fo), Some(fnew)) = (self.flows[0], self.flows[1]) else { return };
        let (old, new) = (&self.program(0).flows[fo], &self.program(1).flows[fnew]);
        let mut same: HashSet<String> = HashSet::new();
        for s in &old.steps {
            if let Some(t) = new.steps.iter().find(|t| t.name == s.name) {
                if self.decisions_same(&s.decision, &t.decision, tables_same) {
                    same.insert(s.name.clone());
                }
            }
        }
        // A step is the same from here when every step it leads to is.
        loop {
            let before = same.len();
            let keep: HashSet<String> = same
                .iter()
                .filter(|name| {
                    let s = old.steps.iter().find(|s| s.name == **name).unwrap();
                    s.decision.branches.iter().all(|b| match b.target.end {
                        End::Step(n) => same.contains(&old.steps[n].name),
                        _ => true,
                    })
                })
                .cloned()
                .collect();
            same = keep;
            if same.len() == before {
                break;
            }
        }
        self.same_from = same;
    }

    /// The branch sets of a decision of side `k` (cached).
    fn branch_sets(&mut self, k: usize, key: Key, d: &Decision) -> std::rc::Rc<Vec<CaseSet>> {
        let joint = self.joint;
        self.sets[k]
            .entry(key)
            .or_insert_with(|| {
                std::rc::Rc::new(d.branches.iter().map(|b| b.cond().map_or_else(CaseSet::empty, |c| cond_set(&joint.space, &joint.map(k, c), false))).collect())
            })
            .clone()
    }

    /// The cases outside which table `name` decides alike in both versions:
    /// the conditions of the rules that one version lacks or that moved
    /// against the rules both have (those keep their order, by the longest
    /// run of them in the same order). `None` when the tables differ in
    /// `first`, `otherwise` or `timeout`.
    fn table_scope(&mut self, name: &str) -> Option<CaseSet> {
        if let Some(scope) = self.table_scope.get(name) {
            return scope.clone();
        }
        let scope = self.compute_table_scope(name);
        self.table_scope.insert(name.to_string(), scope.clone());
        scope
    }

    fn compute_table_scope(&mut self, name: &str) -> Option<CaseSet> {
        let (to, tn) = (self.program(0).tables.iter().position(|t| t.name == name)?, self.program(1).tables.iter().position(|t| t.name == name)?);
        let (a, b) = (&self.program(0).tables[to].decision, &self.program(1).tables[tn].decision);
        let tail = |d: &Decision, k: usize| {
            d.branches
                .iter()
                .filter(|x| x.cond().is_none())
                .map(|x| (matches!(x.kind, BranchKind::Otherwise), self.target_names(k, &x.target)))
                .collect::<Vec<_>>()
        };
        if a.first != b.first || tail(a, 0) != tail(b, 1) {
            return None;
        }
        // Each rule: its mapped condition and its target's names.
        let rule = |k: usize, x: &Branch| x.cond().map(|c| (self.joint.map(k, c), self.target_names(k, &x.target)));
        let old: Vec<(usize, _)> = a.branches.iter().enumerate().filter_map(|(i, x)| rule(0, x).map(|t| (i, t))).collect();
        let new: Vec<(usize, _)> = b.branches.iter().enumerate().filter_map(|(i, x)| rule(1, x).map(|t| (i, t))).collect();
        // The new rules that the old table has too, each matched to the
        // next unused old rule that is the same.
        let mut unused: HashMap<_, std::collections::VecDeque<usize>> = HashMap::new();
        for (pos, (_, t)) in old.iter().enumerate() {
            unused.entry(t).or_default().push_back(pos);
        }
        let matched: Vec<Option<usize>> = new.iter().map(|(_, t)| unused.get_mut(t).and_then(|q| q.pop_front())).collect();
        // The longest increasing run of matched old positions: those rules
        // keep their order; every other rule is in the scope.
        let stable = longest_increasing(&matched);
        let mut keep_old = vec![false; old.len()];
        let mut keep_new = vec![false; new.len()];
        for &n in &stable {
            keep_new[n] = true;
            keep_old[matched[n].expect("matched")] = true;
        }
        let space = &self.joint.space;
        let (sa, sb) = (self.branch_sets(0, (None, to), a), self.branch_sets(1, (None, tn), b));
        let mut scope = CaseSet::empty();
        for (pos, (i, _)) in old.iter().enumerate() {
            if !keep_old[pos] {
                scope.union_owned(space, sa[*i].clone());
            }
        }
        for (pos, (i, _)) in new.iter().enumerate() {
            if !keep_new[pos] {
                scope.union_owned(space, sb[*i].clone());
            }
        }
        Some(scope)
    }

    /// How a decision splits `set`, as the evaluator decides.
    fn partition(&mut self, k: usize, key: Key, d: &Decision, set: &CaseSet) -> Vec<(CaseSet, Choice)> {
        self.partitions += 1;
        let conds = self.branch_sets(k, key, d);
        crate::analysis::partition(&self.joint.space, d, &conds, set)
    }

    /// Follows a target chain on a side.
    fn follow(&self, k: usize, side: &mut Side, t: &Target) {
        let p = self.program(k);
        for l in &t.links {
            match l {
                Link::Escalate(x) => side.escalations.push(*x),
                Link::Do(x) => side.actions.push(*x),
            }
        }
        match t.end {
            End::Step(s) => side.pos = Pos::Step(s),
            End::Table(x) => side.pos = Pos::Table(x),
            End::Outcome(o) => {
                side.pos = Pos::Done;
                side.end = Some(EndKey::Outcome(p.outcomes[o].name.clone()));
            }
            End::Escalate(x) => {
                side.escalations.push(x);
                side.pos = Pos::Done;
                side.end = Some(EndKey::Escalated(p.teams[x].name.clone()));
            }
        }
    }

    fn result(&self, k: usize, side: &Side) -> Outcome {
        let p = self.program(k);
        Outcome {
            end: side.end.clone().expect("a finished side"),
            path: self.flows[k].map_or_else(Vec::new, |f| side.path.iter().map(|s| p.flows[f].steps[*s].name.clone()).collect()),
            escalations: side.escalations.iter().map(|t| p.teams[*t].name.clone()).collect(),
            actions: side.actions.iter().map(|a| p.actions[*a].name.clone()).collect(),
        }
    }

    /// Whether both sides stand at the same step with the same history, in
    /// a part of the flow that both versions share.
    fn same_ahead(&self, sides: &[Side; 2]) -> bool {
        let (Pos::Step(a), Pos::Step(b)) = (sides[0].pos, sides[1].pos) else { return false };
        let (Some(fo), Some(fnew)) = (self.flows[0], self.flows[1]) else { return false };
        let (old, new) = (&self.program(0).flows[fo], &self.program(1).flows[fnew]);
        let name = &old.steps[a].name;
        name == &new.steps[b].name
            && self.same_from.contains(name)
            && sides[0].path.iter().map(|s| &old.steps[*s].name).eq(sides[1].path.iter().map(|s| &new.steps[*s].name))
            && sides[0].escalations.iter().map(|t| &self.program(0).teams[*t].name).eq(sides[1].escalations.iter().map(|t| &self.program(1).teams[*t].name))
            && sides[0].actions.iter().map(|t| &self.program(0).actions[*t].name).eq(sides[1].actions.iter().map(|t| &self.program(1).actions[*t].name))
    }

    /// The table both sides stand at, with the same history.
    fn same_table(&self, sides: &[Side; 2]) -> Option<String> {
        let (Pos::Table(a), Pos::Table(b)) = (sides[0].pos, sides[1].pos) else { return None };
        let (old, new) = (self.program(0), self.program(1));
        let name = &old.tables[a].name;
        let same_history = sides[0].escalations.iter().map(|t| &old.teams[*t].name).eq(sides[1].escalations.iter().map(|t| &new.teams[*t].name))
            && sides[0].actions.iter().map(|t| &old.actions[*t].name).eq(sides[1].actions.iter().map(|t| &new.actions[*t].name))
            && match (self.flows[0], self.flows[1]) {
                (Some(fo), Some(fnew)) => {
                    sides[0].path.iter().map(|s| &old.flows[fo].steps[*s].name).eq(sides[1].path.iter().map(|s| &new.flows[fnew].steps[*s].name))
                }
                _ => sides[0].path.is_empty() && sides[1].path.is_empty(),
            };
        (name == &new.tables[b].name && same_history).then(|| name.clone())
    }

    /// Runs both sides on every case of `set`; the sets where both ended
    /// with different results.
    fn run(&mut self, set: CaseSet, sides: [Side; 2]) -> Vec<Item> {
        let mut found = Vec::new();
        let mut work: Vec<Item> = vec![(set, Vec::new(), sides)];
        while let Some((set, fired, sides)) = work.pop() {
            if set.is_empty() {
                continue;
            }
            self.widened |= set.approx;
            if self.same_ahead(&sides) {
                continue;
            }
            // Both at the same table with the same history: only the cases
            // in the table's scope can end differently.
            let set = match self.same_table(&sides) {
                Some(name) => match self.table_scope(&name) {
                    Some(scope) => {
                        let inside = set.intersect(&self.joint.space, &scope);
                        if inside.is_empty() {
                            continue;
                        }
                        inside
                    }
                    None => set,
                },
                None => set,
            };
            // The side that is behind moves, so that both stand at the same
            // step when their histories agree.
            let k = match (sides[0].pos != Pos::Done, sides[1].pos != Pos::Done) {
                (true, true) => usize::from(sides[1].path.len() < sides[0].path.len()),
                (true, false) => 0,
                (false, true) => 1,
                (false, false) => usize::MAX,
            };
            if k == usize::MAX {
                if self.result(0, &sides[0]) != self.result(1, &sides[1]) {
                    found.push((set, fired, sides));
                }
                continue;
            }
            let p = self.program(k);
            let (key, decision, step_name) = match sides[k].pos {
                Pos::Step(s) => {
                    let f = self.flows[k].expect("steps are in a flow");
                    if sides[k].path.contains(&s) {
                        let mut next = sides.clone();
                        next[k].pos = Pos::Done;
                        next[k].end = Some(EndKey::Cycle(p.flows[f].steps[s].name.clone()));
                        work.push((set, fired, next));
                        continue;
                    }
                    ((Some(f), s), &p.flows[f].steps[s].decision, Some(p.flows[f].steps[s].name.clone()))
                }
                Pos::Table(t) => ((None, t), &p.tables[t].decision, None),
                Pos::Done => unreachable!(),
            };
            let mut base = sides.clone();
            if let Pos::Step(s) = sides[k].pos {
                base[k].path.push(s);
            }
            let mut fired = fired;
            if let (Some(t), Some(name)) = (decision.timeout(), &step_name) {
                let said = fired.iter().find(|(n, _)| n == name).map(|(_, f)| *f);
                if said != Some(false) {
                    let mut next = base.clone();
                    next[k].lines.push(decision.branches[t].span);
                    self.follow(k, &mut next[k], &decision.branches[t].target);
                    let mut f = fired.clone();
                    if said.is_none() {
                        f.push((name.clone(), true));
                    }
                    work.push((set.clone(), f, next));
                }
                if said == Some(true) {
                    continue;
                }
                if said.is_none() {
                    fired.push((name.clone(), false));
                }
            }
            let where_name = || match &step_name {
                Some(n) => format!("step {n}"),
                None => format!("table {}", p.tables[key.1].name),
            };
            for (part, choice) in self.partition(k, key, decision, &set) {
                let mut next = base.clone();
                match choice {
                    Choice::Branch(i) => {
                        next[k].lines.push(decision.branches[i].span);
                        self.follow(k, &mut next[k], &decision.branches[i].target);
                    }
                    Choice::Conflict => {
                        next[k].pos = Pos::Done;
                        next[k].end = Some(EndKey::Conflict(where_name()));
                    }
                    Choice::FallThrough => {
                        next[k].pos = Pos::Done;
                        next[k].end = Some(EndKey::FallThrough(where_name()));
                    }
                }
                work.push((part, fired.clone(), next));
            }
        }
        found
    }
}

// ---- The diff -----------------------------------------------------------------

/// Most sets a single version's run is split into when looking for the
/// outcomes it reaches (beyond, they are not listed).
const REACH_WORK: usize = 20_000;

/// Nor for a table of more rules than this.
const REACH_RULES: usize = 500;

/// Compares two versions.
pub fn diff(req: &Request<'_>) -> Diff {
    let (old, new) = (req.old, req.new);
    let mut out = Diff::default();
    let mut subjects = Vec::new();
    for f in &old.flows {
        match new.flows.iter().position(|g| g.name == f.name) {
            Some(_) => subjects.push(Subject::Flow(f.name.clone())),
            None => out.removed.push(Subject::Flow(f.name.clone())),
        }
    }
    out.added.extend(new.flows.iter().filter(|g| !old.flows.iter().any(|f| f.name == g.name)).map(|g| Subject::Flow(g.name.clone())));
    for t in &old.tables {
        match new.tables.iter().position(|u| u.name == t.name) {
            Some(_) => subjects.push(Subject::Table(t.name.clone())),
            None => out.removed.push(Subject::Table(t.name.clone())),
        }
    }
    out.added.extend(new.tables.iter().filter(|u| !old.tables.iter().any(|t| t.name == u.name)).map(|u| Subject::Table(u.name.clone())));
    if let Some(only) = &req.only {
        subjects.retain(|s| s == only);
        out.added.retain(|s| s == only);
        out.removed.retain(|s| s == only);
    }
    let mut renamed = HashSet::new();
    let mut extra: Vec<(usize, &Cond)> = Vec::new();
    if let Some((w, a)) = &req.slice {
        let mut inputs = Vec::new();
        w.inputs(&mut inputs);
        a.inputs(&mut inputs);
        renamed.extend(inputs.iter().map(|i| new.inputs[*i].name.clone()));
        extra.push((0, w));
        extra.push((1, a));
    }
    let joint = Joint::new([old, new], &renamed, &extra);
    out.notes.extend(joint.notes.iter().cloned());
    let mut start = CaseSet::full(&joint.space);
    if let Some((w, a)) = &req.slice {
        start = start.intersect(&joint.space, &cond_set(&joint.space, &joint.map(0, w), false));
        start = start.intersect(&joint.space, &cond_set(&joint.space, &joint.map(1, a), false));
    }
    let mut ex = Explorer {
        joint: &joint,
        programs: [old, new],
        flows: [None, None],
        sets: [HashMap::new(), HashMap::new()],
        table_scope: HashMap::new(),
        same_from: HashSet::new(),
        widened: false,
        start_tables: [Pos::Done; 2],
        partitions: 0,
    };
    let tables_same = ex.same_tables();
    for subject in subjects {
        type Start<'c> = ([Side; 2], [Option<FlowId>; 2], bool, [Vec<&'c Cond>; 2]);
        let (sides, flows, ok, conds): Start<'_> = match &subject {
            Subject::Flow(name) => {
                let (fo, fnew) = (old.flows.iter().position(|f| f.name == *name).unwrap(), new.flows.iter().position(|f| f.name == *name).unwrap());
                let side = |p: &Program, f: FlowId| Side {
                    pos: Pos::Step(p.flows[f].start),
                    end: None,
                    path: vec![],
                    escalations: vec![],
                    actions: vec![],
                    lines: vec![],
                };
                let conds = [(old, fo), (new, fnew)].map(|(p, f)| p.flows[f].steps.iter().flat_map(|s| s.decision.whens().map(|(_, c)| c)).collect());
                ([side(old, fo), side(new, fnew)], [Some(fo), Some(fnew)], old.flows[fo].ok && new.flows[fnew].ok, conds)
            }
            Subject::Table(name) => {
                let (to, tnew) = (old.tables.iter().position(|t| t.name == *name).unwrap(), new.tables.iter().position(|t| t.name == *name).unwrap());
                let side = |t: TableId| Side { pos: Pos::Table(t), end: None, path: vec![], escalations: vec![], actions: vec![], lines: vec![] };
                let conds = [old.tables[to].decision.whens().map(|(_, c)| c).collect(), new.tables[tnew].decision.whens().map(|(_, c)| c).collect()];
                ([side(to), side(tnew)], [None, None], old.tables[to].ok && new.tables[tnew].ok, conds)
            }
        };
        if !ok {
            out.notes.push(format!("`{}` has errors in one version (run `sopflow check`): not compared", subject.name()));
            continue;
        }
        if joint.reads_incomparable(old, conds[0].iter().copied()) || joint.reads_incomparable(new, conds[1].iter().copied()) {
            out.notes.push(format!("`{}` reads an input whose type changed: not compared", subject.name()));
            continue;
        }
        ex.flows = flows;
        ex.start_tables = [sides[0].pos, sides[1].pos];
        ex.widened = false;
        ex.partitions = 0;
        ex.same_from.clear();
        if flows[0].is_some() {
            ex.compute_same_from(&tables_same);
        }
        let found = ex.run(start.clone(), sides.clone());
        let mut compared =
            Compared { subject: subject.clone(), regions: Vec::new(), outcomes_lost: vec![], outcomes_gained: vec![], widened: ex.widened, unconfirmed: 0 };
        for (set, fired, ends) in found {
            match confirm(&ex, &set, &fired, &ends) {
                Some(region) => compared.regions.push(region),
                None => compared.unconfirmed += 1,
            }
        }
        compared.regions.sort_by(|a, b| (&a.old, &a.new, &a.text).cmp(&(&b.old, &b.new, &b.text)));
        if ex.partitions == 0 {
            // Both versions the same from the start: the same outcomes.
        } else if let (Some(o), Some(n)) = (reached(&mut ex, 0, &start, &sides[0]), reached(&mut ex, 1, &start, &sides[1])) {
            compared.outcomes_lost = o.difference(&n).cloned().collect();
            compared.outcomes_gained = n.difference(&o).cloned().collect();
            compared.outcomes_lost.sort();
            compared.outcomes_gained.sort();
        } else {
            out.notes.push(format!("`{}`: too many paths or rules to list the outcomes each version reaches", subject.name()));
        }
        out.compared.push(compared);
    }
    drop(ex);
    out.joint = Some(joint);
    out
}

/// The outcomes a version reaches from `side` (`None`: too many splits to tell).
fn reached(ex: &mut Explorer<'_>, k: usize, start: &CaseSet, side: &Side) -> Option<HashSet<String>> {
    let p = ex.programs[k];
    let mut found = HashSet::new();
    let mut work = vec![(start.clone(), side.clone())];
    let mut steps = 0;
    while let Some((set, side)) = work.pop() {
        steps += 1;
        if steps > REACH_WORK {
            return None;
        }
        let (key, decision, timeout) = match side.pos {
            // A set split by every rule of a big decision, against every
            // other (conflicts): not worth it for a list of outcomes.
            Pos::Table(t) if p.tables[t].decision.branches.len() > REACH_RULES => return None,
            Pos::Done => {
                if let Some(EndKey::Outcome(o)) = &side.end {
                    found.insert(o.clone());
                }
                continue;
            }
            Pos::Step(s) => {
                if side.path.contains(&s) {
                    continue;
                }
                let d = &p.flows[ex.flows[k]?].steps[s].decision;
                ((ex.flows[k], s), d, d.timeout())
            }
            Pos::Table(t) => ((None, t), &p.tables[t].decision, None),
        };
        let mut base = side.clone();
        if let Pos::Step(s) = side.pos {
            base.path.push(s);
        }
        if let Some(t) = timeout {
            let mut next = base.clone();
            ex.follow(k, &mut next, &decision.branches[t].target);
            work.push((set.clone(), next));
        }
        for (part, choice) in ex.partition(k, key, decision, &set) {
            if let Choice::Branch(i) = choice {
                let mut next = base.clone();
                ex.follow(k, &mut next, &decision.branches[i].target);
                work.push((part, next));
            }
        }
    }
    Some(found)
}

/// A region found by the symbolic runs, confirmed by `eval` of one case in
/// both versions (`None` when `eval` does not show the difference).
fn confirm(ex: &Explorer<'_>, set: &CaseSet, fired: &[(String, bool)], sides: &[Side; 2]) -> Option<Region> {
    let joint = ex.joint;
    let point = set.cubes.first()?.pick(&joint.space);
    let timeouts: Vec<String> = fired.iter().filter(|(_, f)| *f).map(|(n, _)| n.clone()).collect();
    let mut results = Vec::new();
    let mut witness: Vec<(String, crate::diagnostics::WitnessValue)> = Vec::new();
    for k in 0..2 {
        let p = ex.programs[k];
        let case = joint.case(k, &point);
        let run = match ex.flows[k] {
            Some(f) => {
                let steps: Vec<StepId> = timeouts.iter().filter_map(|n| p.flows[f].steps.iter().position(|s| s.name == *n)).collect();
                eval::run_flow_timed(p, f, &case, &steps)
            }
            None => {
                let Pos::Table(t) = initial_table(ex, k, sides) else { return None };
                eval::run_table(p, t, &case)
            }
        };
        let got = outcome_of(p, ex.flows[k], &run);
        if got != ex.result(k, &sides[k]) {
            return None;
        }
        for i in run.reads {
            let name = &p.inputs[i].name;
            if !witness.iter().any(|(n, _)| n == name) {
                if let Some(v) = &case[i] {
                    witness.push((name.clone(), p.witness_value(i, v)));
                }
            }
        }
        results.push(got);
    }
    witness.sort_by(|a, b| a.0.cmp(&b.0));
    let new = results.pop()?;
    let old = results.pop()?;
    Some(Region {
        set: set.clone(),
        fired: fired.to_vec(),
        old,
        new,
        old_lines: sides[0].lines.clone(),
        new_lines: sides[1].lines.clone(),
        witness,
        timeouts,
        text: joint.describe(set),
    })
}

/// The table a table diff starts at, for side `k`: the first table its
/// lines name (a table run starts at its own decision).
fn initial_table(ex: &Explorer<'_>, k: usize, _sides: &[Side; 2]) -> Pos {
    ex.start_tables[k]
}

/// The indices of a longest strictly increasing run of the `Some` values
/// (patience sorting, O(n log n)).
fn longest_increasing(values: &[Option<usize>]) -> Vec<usize> {
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; values.len()];
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else { continue };
        let at = tails.partition_point(|&t| values[t].expect("some") < *v);
        prev[i] = at.checked_sub(1).map(|p| tails[p]);
        if at == tails.len() {
            tails.push(i);
        } else {
            tails[at] = i;
        }
    }
    let mut out = Vec::new();
    let mut at = tails.last().copied();
    while let Some(i) = at {
        out.push(i);
        at = prev[i];
    }
    out.reverse();
    out
}
