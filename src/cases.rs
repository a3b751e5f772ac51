//! `sopflow cases`: `test` blocks generated from the analysis, a minimal set
//! that covers a flow's (or a table's) obligations, with the expected
//! results of the current policy.
//!
//! Obligations:
//! - every branch of every step (or of the table): each `when`, `otherwise`
//!   and `timeout` route;
//! - for each compound condition (two atoms or more), each atom's effect on
//!   the decision (MC/DC, masking form): a case where the atom holds and
//!   decides the condition (the condition holds, and would not with the
//!   atom negated), and one where it fails and decides it (the condition
//!   fails, and would hold with the atom negated), both at that step.
//!
//! Each case is found by the same questions the lints ask (cube sets, then
//! the SAT solver), then run by the evaluator: a test's coverage is what its
//! run did, never what was asked for. Cases are made for the deepest
//! obligations first (a case that reaches a late step covers the branches on
//! its way), and a final pass drops every test whose obligations the others
//! cover, so no test covers nothing of its own.

use std::collections::BTreeSet;

use crate::analysis::sat::Answer;
use crate::analysis::{Analysis, Exact, Question};
use crate::diagnostics::Witness;
use crate::eval::{self, Where};
use crate::model::*;
use crate::source::SourceMap;

/// Something a test can cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Obligation {
    /// Branch `branch` of a decision is taken.
    Branch { at: Where, branch: usize },
    /// Atom `atom` (in reading order) of the condition of branch `branch`
    /// decides it, being `holds`.
    Independence { at: Where, branch: usize, atom: usize, holds: bool },
}

/// A generated test.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub target: RunTarget,
    /// The inputs the run reads, and the steps whose timeout fires.
    pub witness: Witness,
    pub expect_outcome: Option<String>,
    pub expect_escalate: Option<String>,
    /// Step names, for a flow.
    pub expect_path: Option<Vec<String>>,
    /// What its run covers.
    pub covers: BTreeSet<Obligation>,
}

/// The generated tests of one flow or table.
#[derive(Debug, Default)]
pub struct Plan {
    pub cases: Vec<Case>,
    /// Every obligation of the target.
    pub obligations: BTreeSet<Obligation>,
    /// Obligations the project's own tests already cover (skipped).
    pub already: BTreeSet<Obligation>,
    /// Obligations no case meets (an unreachable step, a dead branch, an
    /// atom that never decides), with the reason.
    pub unmet: Vec<(Obligation, String)>,
}

pub struct Options {
    /// MC/DC obligations for compound conditions.
    pub mcdc: bool,
    /// Skip the obligations that these tests (the project's) cover.
    pub skip_covered: bool,
}

/// The atoms of a condition, in reading order.
fn atoms(c: &Cond) -> Vec<&Atom> {
    let mut out = Vec::new();
    fn walk<'c>(c: &'c Cond, out: &mut Vec<&'c Atom>) {
        match c {
            Cond::Atom(a) => out.push(a),
            Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| walk(c, out)),
            Cond::Not(c) => walk(c, out),
            Cond::Const(_) => {}
        }
    }
    walk(c, &mut out);
    out
}

/// Whether the `k`-th atom sits under an odd number of `not`s (the
/// condition then holds when the atom does not, wherever the atom decides).
fn inverted(c: &Cond, k: usize) -> bool {
    fn walk(c: &Cond, k: usize, seen: &mut usize, odd: bool) -> Option<bool> {
        match c {
            Cond::Atom(_) => {
                let here = *seen;
                *seen += 1;
                (here == k).then_some(odd)
            }
            Cond::And(cs) | Cond::Or(cs) => cs.iter().find_map(|c| walk(c, k, seen, odd)),
            Cond::Not(c) => walk(c, k, seen, !odd),
            Cond::Const(_) => None,
        }
    }
    walk(c, k, &mut 0, false).unwrap_or(false)
}

/// The condition with its `k`-th atom negated.
fn negate_atom(c: &Cond, k: usize) -> Cond {
    fn walk(c: &Cond, k: usize, seen: &mut usize) -> Cond {
        match c {
            Cond::Atom(a) => {
                let here = *seen;
                *seen += 1;
                if here == k {
                    Cond::Not(Box::new(Cond::Atom(a.clone())))
                } else {
                    Cond::Atom(a.clone())
                }
            }
            Cond::And(cs) => Cond::And(cs.iter().map(|c| walk(c, k, seen)).collect()),
            Cond::Or(cs) => Cond::Or(cs.iter().map(|c| walk(c, k, seen)).collect()),
            Cond::Not(c) => Cond::Not(Box::new(walk(c, k, seen))),
            Cond::Const(b) => Cond::Const(*b),
        }
    }
    walk(c, k, &mut 0)
}

/// The decisions of a target: each with where it is.
fn decisions(p: &Program, target: RunTarget) -> Vec<(Where, &Decision)> {
    match target {
        RunTarget::Flow(f) => p.flows[f].steps.iter().enumerate().map(|(s, st)| (Where::Step(s), &st.decision)).collect(),
        RunTarget::Table(t) => vec![(Where::Table(t), &p.tables[t].decision)],
    }
}

/// Every obligation of a target.
pub fn obligations(p: &Program, target: RunTarget, mcdc: bool) -> BTreeSet<Obligation> {
    let mut out = BTreeSet::new();
    for (at, d) in decisions(p, target) {
        for (i, b) in d.branches.iter().enumerate() {
            out.insert(Obligation::Branch { at, branch: i });
            if let (true, BranchKind::When(c)) = (mcdc, &b.kind) {
                let n = atoms(c).len();
                if n >= 2 {
                    for atom in 0..n {
                        for holds in [true, false] {
                            out.insert(Obligation::Independence { at, branch: i, atom, holds });
                        }
                    }
                }
            }
        }
    }
    out
}

/// What a run of `case` covers on `target`: the branches it took, and at
/// each decision it made (not through a timeout), the atoms that decided a
/// compound condition.
pub fn covered(p: &Program, target: RunTarget, case: &eval::Case, run: &eval::Run, mcdc: bool) -> BTreeSet<Obligation> {
    let mut out = BTreeSet::new();
    for (at, b) in &run.taken {
        let mine = match (target, at) {
            (RunTarget::Flow(_), Where::Step(_)) => true,
            (RunTarget::Table(t), Where::Table(u)) => t == *u,
            _ => false,
        };
        if !mine {
            continue;
        }
        out.insert(Obligation::Branch { at: *at, branch: *b });
        let d = match (target, at) {
            (RunTarget::Flow(f), Where::Step(s)) => &p.flows[f].steps[*s].decision,
            (RunTarget::Table(t), _) => &p.tables[t].decision,
            _ => continue,
        };
        if !mcdc || matches!(d.branches[*b].kind, BranchKind::Timeout) {
            continue;
        }
        for (i, br) in d.branches.iter().enumerate() {
            let BranchKind::When(c) = &br.kind else { continue };
            let n = atoms(c).len();
            if n < 2 {
                continue;
            }
            for (k, a) in atoms(c).into_iter().enumerate() {
                let atom = Cond::Atom(a.clone());
                let (Ok(ah), Ok(ch), Ok(nh)) = (eval::cond_holds(p, &atom, case), eval::cond_holds(p, c, case), eval::cond_holds(p, &negate_atom(c, k), case))
                else {
                    continue;
                };
                if ch != nh && ah == (ch != inverted(c, k)) {
                    out.insert(Obligation::Independence { at: *at, branch: i, atom: k, holds: ah });
                }
            }
        }
    }
    out
}

/// How an obligation reads in a test's name.
pub fn describe(p: &Program, sources: &SourceMap, target: RunTarget, o: &Obligation) -> String {
    let (at, branch) = match o {
        Obligation::Branch { at, branch } | Obligation::Independence { at, branch, .. } => (*at, *branch),
    };
    let d = decisions(p, target).into_iter().find(|(w, _)| *w == at).map(|(_, d)| d).expect("an obligation of the target");
    let b = &d.branches[branch];
    let text = b.written();
    let place = match (target, at) {
        (RunTarget::Flow(f), Where::Step(s)) => format!("{}: {} ", p.flows[f].name, p.flows[f].steps[s].name),
        (RunTarget::Table(t), _) => format!("{}: ", p.tables[t].name),
        _ => String::new(),
    };
    match o {
        Obligation::Branch { .. } => format!("{place}{text}"),
        Obligation::Independence { atom, holds, .. } => {
            let BranchKind::When(c) = &b.kind else { return format!("{place}{text}") };
            let a = atoms(c)[*atom];
            let source = &sources.get(a.span.file).text;
            let shown = source.get(a.span.start as usize..a.span.end as usize).unwrap_or_default();
            format!("{place}{text}, decided by `{shown}` {}", if *holds { "holding" } else { "failing" })
        }
    }
}

/// Generates the tests of one flow or table of the analysis's program (one
/// analysis serves every target). `existing`: the project's test results
/// (their coverage is skipped with `options.skip_covered`).
pub fn generate(
    analysis: &Analysis<'_>,
    sources: &SourceMap,
    target: RunTarget,
    existing: &[crate::testing::TestResult],
    options: &Options,
) -> Result<Plan, String> {
    let p = analysis.program;
    let exact = Exact::new(analysis);
    let obligations = obligations(p, target, options.mcdc);
    let mut plan = Plan { obligations: obligations.clone(), ..Plan::default() };
    if options.skip_covered {
        for r in existing {
            let (Some(run), Some(test)) = (&r.run, p.tests.get(r.test)) else { continue };
            if test.run != Some(target) {
                continue;
            }
            let mut case: eval::Case = vec![None; p.inputs.len()];
            for g in &test.given {
                if let Ok((id, v)) = &g.value {
                    case[*id] = Some(v.clone());
                }
            }
            plan.already.extend(covered(p, target, &case, run, options.mcdc));
        }
    }
    let mut done: BTreeSet<Obligation> = plan.already.clone();
    let facts = match target {
        RunTarget::Flow(f) => {
            let facts = analysis.flow_facts(f);
            if facts.order.is_none() {
                return Err(format!("flow `{}` has a cycle: its routes cannot be listed", p.flows[f].name));
            }
            Some(facts)
        }
        RunTarget::Table(_) => None,
    };
    let full = crate::analysis::domain::CaseSet::full(&analysis.space);
    // Deepest first: the steps in reverse topological order.
    let order: Vec<Where> = match (&facts, target) {
        (Some(facts), _) => facts.order.as_ref().expect("no cycle").iter().rev().map(|s| Where::Step(*s)).collect(),
        (None, RunTarget::Table(t)) => vec![Where::Table(t)],
        _ => vec![],
    };
    // The conditions MC/DC asks about, made once per atom.
    let mut derived: std::collections::HashMap<(Where, usize, usize), (Cond, Cond)> = Default::default();
    for o in &obligations {
        if let Obligation::Independence { at, branch, atom, .. } = *o {
            let d = decisions(p, target).into_iter().find(|(w, _)| *w == at).map(|(_, d)| d).expect("an obligation of the target");
            if let BranchKind::When(c) = &d.branches[branch].kind {
                derived.entry((at, branch, atom)).or_insert_with(|| (Cond::Atom(atoms(c)[atom].clone()), negate_atom(c, atom)));
            }
        }
    }
    let derived = derived;
    let mut todo: Vec<Obligation> = Vec::new();
    for at in &order {
        todo.extend(obligations.iter().filter(|o| matches!(o, Obligation::Branch { at: a, .. } | Obligation::Independence { at: a, .. } if a == at)).copied());
    }
    for o in todo {
        if done.contains(&o) {
            continue;
        }
        let (at, branch) = match o {
            Obligation::Branch { at, branch } | Obligation::Independence { at, branch, .. } => (at, branch),
        };
        let view = match (&facts, at) {
            (Some(facts), Where::Step(s)) => analysis.step_view(facts, s, &exact),
            (None, Where::Table(t)) => analysis.table_view(t, &full, &exact),
            _ => continue,
        };
        if view.reach.is_empty() {
            plan.unmet.push((o, "no case reaches the step".into()));
            continue;
        }
        let d = view.decision;
        let approx = view.reach.approx || view.conds.iter().flatten().any(|c| c.approx);
        let what = || describe(p, sources, target, &o);
        let answer = match o {
            Obligation::Branch { .. } => {
                let cubes = analysis.guard_region(d, view.conds, view.reach, None, branch);
                let q = Question { takes: vec![(d, branch)], ..Question::new() };
                analysis.decide(&view, &q, cubes, approx, "cases", what)
            }
            Obligation::Independence { atom, holds, .. } => {
                let BranchKind::When(c) = &d.branches[branch].kind else { continue };
                let (a, negated) = &derived[&(at, branch, atom)];
                // The atom takes the value asked, and decides the condition:
                // the condition and its copy with the atom negated differ.
                let cond_holds = holds != inverted(c, atom);
                let (yes, no) = if cond_holds { (c, negated) } else { (negated, c) };
                let q = if holds {
                    Question { holds: vec![a, yes], fails: vec![no], ..Question::new() }
                } else {
                    Question { holds: vec![yes], fails: vec![a, no], ..Question::new() }
                };
                analysis.decide(&view, &q, crate::analysis::Cubes::Unsure, approx, "cases", what)
            }
        };
        let point = match answer {
            Answer::Found(point) => point,
            Answer::None => {
                plan.unmet.push((o, "no case meets it".into()));
                continue;
            }
            Answer::Unknown => {
                plan.unmet.push((o, "the solver's budget ran out".into()));
                continue;
            }
        };
        let timeouts = match (&facts, at) {
            (Some(facts), Where::Step(s)) => {
                let Some(mut route) = analysis.route(facts, s, &point, &|_| true) else {
                    plan.unmet.push((o, "no route to the step for the case found".into()));
                    continue;
                };
                if matches!(d.branches[branch].kind, BranchKind::Timeout) {
                    route.timeouts.push(s);
                }
                route.timeouts
            }
            _ => Vec::new(),
        };
        // The run decides what the test reads, expects and covers.
        let full_case: eval::Case = point.iter().cloned().map(Some).collect();
        let first = eval::run(p, target, &full_case, &timeouts);
        // The inputs the run reads, and for MC/DC every input of the
        // condition (a short-circuit may leave some unread).
        let mut keep = first.reads.clone();
        if let (Obligation::Independence { .. }, BranchKind::When(c)) = (o, &d.branches[branch].kind) {
            c.inputs(&mut keep);
        }
        let mut case: eval::Case = vec![None; p.inputs.len()];
        for &i in &keep {
            case[i] = full_case[i].clone();
        }
        let run = eval::run(p, target, &case, &timeouts);
        let covers = covered(p, target, &case, &run, options.mcdc);
        if !covers.contains(&o) {
            plan.unmet.push((o, "the case found does not run as asked".into()));
            continue;
        }
        let mut values: Vec<(String, crate::diagnostics::WitnessValue)> =
            (0..p.inputs.len()).filter_map(|i| Some((p.inputs[i].name.clone(), p.witness_value(i, case[i].as_ref()?)))).collect();
        values.sort_by(|a, b| a.0.cmp(&b.0));
        let flow = eval::flow_of(target);
        let step_name = |s: StepId| p.flows[flow.expect("a flow")].steps[s].name.clone();
        let witness = Witness { values, timeouts: timeouts.iter().map(|s| step_name(*s)).collect() };
        let (expect_outcome, expect_escalate) = match run.end {
            eval::End::Outcome { outcome, .. } => (Some(p.outcomes[outcome].name.clone()), None),
            eval::End::Escalated { team, .. } => (None, Some(p.teams[team].name.clone())),
            _ => (None, None),
        };
        let expect_path = flow.map(|_| run.path.iter().map(|s| step_name(*s)).collect());
        done.extend(covers.iter().copied());
        plan.cases.push(Case { name: describe(p, sources, target, &o), target, witness, expect_outcome, expect_escalate, expect_path, covers });
    }
    // Irredundant: drop a test whose obligations (those still to cover) the others cover.
    let wanted: BTreeSet<Obligation> = obligations.difference(&plan.already).copied().collect();
    let mut k = 0;
    while k < plan.cases.len() {
        let others: BTreeSet<Obligation> = plan.cases.iter().enumerate().filter(|(j, _)| *j != k).flat_map(|(_, c)| c.covers.iter().copied()).collect();
        if plan.cases[k].covers.iter().filter(|o| wanted.contains(o)).all(|o| others.contains(o)) {
            plan.cases.remove(k);
        } else {
            k += 1;
        }
    }
    plan.cases.reverse();
    Ok(plan)
}

/// The tests as `.sop` text, each name unique among `taken` names.
pub fn render(p: &Program, plan: &Plan, taken: &mut std::collections::HashSet<String>) -> String {
    let mut out = String::new();
    for c in &plan.cases {
        let mut name = c.name.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{} ({n})", c.name);
            n += 1;
        }
        taken.insert(name.clone());
        let run = match c.target {
            RunTarget::Flow(f) => format!("run flow {}", p.flows[f].name),
            RunTarget::Table(t) => format!("run table {}", p.tables[t].name),
        };
        out.push_str(&format!("\ntest {} {{\n  {run}\n", crate::syntax::lexical::quote(&name)));
        for line in crate::render::human::given_lines(&c.witness) {
            out.push_str(&format!("  {line}\n"));
        }
        if let Some(o) = &c.expect_outcome {
            out.push_str(&format!("  expect outcome {o}\n"));
        }
        if let Some(t) = &c.expect_escalate {
            out.push_str(&format!("  expect escalate {t}\n"));
        }
        if let Some(path) = &c.expect_path {
            out.push_str(&format!("  expect path {}\n", path.join(", ")));
        }
        out.push_str("}\n");
    }
    out
}
