//! Stage 5: the flow and table lints, one file each. Every file holds the
//! rule's documentation (`DOC`, served by `sopflow explain`) and its check.
//! Front-end codes are checked in `resolve`, `config`, `syntax` and
//! `diagnostics::suppress`; their documentation lives in `front`.

pub mod conflicting_outcomes;
pub mod cycle;
pub mod dead_branch;
pub mod front;
pub mod missing_escalation;
pub mod missing_timeout;
pub mod non_exhaustive;
pub mod overlapping_branches;
pub mod shadowed_branch;
pub mod unreachable_step;

use crate::analysis::domain::CaseSet;
use crate::analysis::sets::Point;
use crate::analysis::{Analysis, DecisionView, FlowFacts};
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::{self, Where};
use crate::model::Program;

/// The documentation of a code, with the headings What it finds, Why it
/// matters, Example and Fix.
pub fn doc(code: Code) -> &'static str {
    match code {
        Code::Cycle => cycle::DOC,
        Code::UnreachableStep => unreachable_step::DOC,
        Code::DeadBranch => dead_branch::DOC,
        Code::ShadowedBranch => shadowed_branch::DOC,
        Code::ConflictingOutcomes => conflicting_outcomes::DOC,
        Code::OverlappingBranches => overlapping_branches::DOC,
        Code::NonExhaustive => non_exhaustive::DOC,
        Code::MissingEscalation => missing_escalation::DOC,
        Code::MissingTimeout => missing_timeout::DOC,
        other => front::doc(other),
    }
}

/// What the lints found, and which flows and tables were analysed with a
/// widened (approximate) set somewhere.
#[derive(Debug, Default)]
pub struct LintReport {
    pub diagnostics: Vec<Diagnostic>,
    /// `flow NAME` / `table NAME`, in declaration order.
    pub approximate: Vec<String>,
}

/// Runs every flow and table lint on the flows and tables that resolved
/// cleanly (gating), in declaration order.
pub fn run(program: &Program) -> Vec<Diagnostic> {
    run_report(program).diagnostics
}

pub fn run_report(program: &Program) -> LintReport {
    let analysis = Analysis::new(program);
    let mut approximate = Vec::new();
    let mut out = Vec::new();
    let full = CaseSet::full();
    for (f, flow) in program.flows.iter().enumerate() {
        if !flow.ok {
            continue;
        }
        let facts = analysis.flow_facts(f);
        if cycle::check(&analysis, &facts, &mut out) {
            continue;
        }
        if facts.reach.iter().any(|r| r.approx) || facts.conds.iter().flatten().flatten().any(|c| c.approx) {
            approximate.push(format!("flow `{}`", flow.name));
        }
        unreachable_step::check(&analysis, &facts, &mut out);
        missing_timeout::check(&analysis, &facts, &mut out);
        for view in analysis.step_views(&facts) {
            decision_lints(&analysis, &view, &mut out);
        }
        missing_escalation::check_flow(&analysis, &facts, &mut out);
    }
    for (t, table) in program.tables.iter().enumerate() {
        if !table.ok {
            continue;
        }
        let view = analysis.table_view(t, &full);
        if view.conds.iter().flatten().any(|c| c.approx) {
            approximate.push(format!("table `{}`", table.name));
        }
        decision_lints(&analysis, &view, &mut out);
        missing_escalation::check_table(&analysis, t, &mut out);
    }
    dedup(&mut out);
    LintReport { diagnostics: out, approximate }
}

fn decision_lints(analysis: &Analysis<'_>, view: &DecisionView<'_>, out: &mut Vec<Diagnostic>) {
    dead_branch::check(analysis, view, out);
    shadowed_branch::check(analysis, view, out);
    let pairs = overlapping_pairs(analysis, view);
    conflicting_outcomes::check(analysis, view, &pairs, out);
    overlapping_branches::check(analysis, view, &pairs, out);
    non_exhaustive::check(analysis, view, out);
}

/// A missing escalation inside a table is found once standalone and again
/// through every flow that delegates to it; it is reported once per target
/// and requirement (the first found, which carries a route when a flow has one).
fn dedup(out: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    out.retain(|d| d.code != Code::MissingEscalation || seen.insert((d.span, d.message.clone())));
}

/// Pairs of `when` branches of a unique decision that hold together for a
/// case reaching it, with such a case.
pub struct Overlap {
    pub first: usize,
    pub second: usize,
    pub point: Point,
}

pub fn overlapping_pairs(analysis: &Analysis<'_>, view: &DecisionView<'_>) -> Vec<Overlap> {
    if view.decision.first {
        return Vec::new();
    }
    let space = &analysis.space;
    let whens: Vec<(usize, &CaseSet)> = view.conds.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (i, c))).collect();
    let mut out = Vec::new();
    for (a, (i, ci)) in whens.iter().enumerate() {
        for (j, cj) in &whens[a + 1..] {
            let hit = ci.cubes.iter().find_map(|x| {
                cj.cubes.iter().filter(|y| x.meets(y)).find_map(|y| {
                    let meet = x.intersect(y)?;
                    view.reach.cubes.iter().find_map(|r| r.intersect(&meet))
                })
            });
            if let Some(cube) = hit {
                let point = cube.pick(space);
                if confirm(analysis, view, &point, ci.approx || cj.approx) {
                    out.push(Overlap { first: *i, second: *j, point });
                }
            }
        }
    }
    out
}

/// Whether a case found in an approximated region really reaches the
/// decision; exact regions need no confirmation.
pub fn confirm(analysis: &Analysis<'_>, view: &DecisionView<'_>, point: &Point, approx: bool) -> bool {
    if !approx && !view.reach.approx {
        return true;
    }
    match (view.flow, view.at) {
        (Some(facts), Where::Step(s)) => {
            let case: eval::Case = point.iter().cloned().map(Some).collect();
            eval::run_flow(analysis.program, facts.flow, &case).path.contains(&s)
        }
        _ => true,
    }
}

/// The branch spans of the steps that route to `step` under a condition.
pub fn incoming(analysis: &Analysis<'_>, facts: &FlowFacts, step: usize) -> Vec<crate::diagnostics::Label> {
    let flow = &analysis.program.flows[facts.flow];
    let mut labels = Vec::new();
    for &(s, i) in &facts.preds[step] {
        let st = &flow.steps[s];
        let b = &st.decision.branches[i];
        {
            if facts.structural[s] {
                let message = match &b.kind {
                    crate::model::BranchKind::When(_) => {
                        format!("cases arrive here under `{}`", b.cond_text.as_deref().unwrap_or("…"))
                    }
                    crate::model::BranchKind::Otherwise => format!("cases arrive here when no branch of `{}` holds", st.name),
                    crate::model::BranchKind::Timeout => format!("cases arrive here when `{}` times out", st.name),
                };
                labels.push(crate::diagnostics::Label { span: b.span, message });
            }
        }
    }
    labels
}
