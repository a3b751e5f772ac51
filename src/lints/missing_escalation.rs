//! `missing-escalation`: a route to an outcome that requires an escalation,
//! or a route taken by cases a `require escalation` rule covers, that does
//! not pass the escalation.

use std::collections::HashSet;

use crate::analysis::domain::CaseSet;
use crate::analysis::sets::cond_set;
use crate::analysis::{Analysis, FlowFacts};
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::eval::Where;
use crate::model::{BranchKind, Cond, Decision, End, Requirement, TableId, Target};
use crate::source::Span;

pub const DOC: &str = "# missing-escalation (error)

## What it finds
A route that reaches an outcome declared with `requires escalation [to TEAM]`
without passing an `escalate` (to that team), or a route that cases covered by
`require escalation to TEAM when CONDITION` can take without passing
`escalate TEAM`. Reported once per target and requirement, with one witness
case and one such route.

## Why it matters
Severe sanctions (a permanent ban, a report to the authorities) and sensitive
cases (child safety) must pass the specialists who are accountable for them.
A route that skips them is a compliance failure waiting to happen.

## Example
```sop
input fraud.confirmed: bool
input seller.strikes: int in 0 to 50
team fraud_ops
outcome approve
outcome permanent_ban { severity critical requires escalation to fraud_ops }

flow fraud_review {
  start check
  step check first {
    when fraud.confirmed and seller.strikes >= 5 -> outcome permanent_ban   // expect: missing-escalation
    when fraud.confirmed -> escalate fraud_ops -> outcome approve
    otherwise            -> outcome approve
  }
}
```

## Fix
Put the escalation in the chain: `-> escalate fraud_ops -> outcome permanent_ban`,
or route these cases through the step where the team decides.
";

/// One requirement to check: what must be passed, and for which cases.
struct Rule<'a> {
    req: Requirement,
    /// `Some` for `require … when CONDITION`: the cases it covers and its span.
    cases: Option<(CaseSet, Span)>,
    /// The rule's condition, which a witness satisfies.
    cond: Option<&'a Cond>,
}

fn rules<'a>(analysis: &Analysis<'a>, reads: &dyn Fn(&[usize]) -> bool) -> Vec<Rule<'a>> {
    let p = analysis.program;
    let mut out: Vec<Rule<'a>> = Vec::new();
    let mut reqs: Vec<Requirement> = p.outcomes.iter().filter_map(|o| o.requires).collect();
    reqs.sort();
    reqs.dedup();
    out.extend(reqs.into_iter().map(|req| Rule { req, cases: None, cond: None }));
    for r in &p.requires {
        if reads(&r.inputs) {
            out.push(Rule { req: Requirement::Team(r.team), cases: Some((cond_set(&analysis.space, &r.cond, false), r.span)), cond: Some(&r.cond) });
        }
    }
    out
}

/// Whether a terminal branch is subject to the rule, and the label saying why.
fn subject(analysis: &Analysis<'_>, rule: &Rule, target: &Target) -> Option<(String, Label)> {
    let p = analysis.program;
    let team = |req: Requirement| match req {
        Requirement::Any => "a team".to_string(),
        Requirement::Team(t) => format!("`{}`", p.teams[t].name),
    };
    if target.escalates(rule.req) {
        return None;
    }
    match (&rule.cases, target.end) {
        (None, End::Outcome(o)) if p.outcomes[o].requires == Some(rule.req) => Some((
            format!("outcome `{}` is reached without escalation to {}", p.outcomes[o].name, team(rule.req)),
            Label { span: p.outcomes[o].span, message: format!("`{}` requires escalation to {}", p.outcomes[o].name, team(rule.req)) },
        )),
        (Some((_, span)), End::Outcome(_) | End::Escalate(_) | End::Table(_)) => Some((
            format!("cases covered by a `require escalation` rule end here without escalation to {}", team(rule.req)),
            Label { span: *span, message: "the rule that requires it".into() },
        )),
        _ => None,
    }
}

pub fn check_flow(analysis: &Analysis<'_>, facts: &FlowFacts, out: &mut Vec<Diagnostic>) {
    let p = analysis.program;
    let flow = &p.flows[facts.flow];
    let mut read = Vec::new();
    let mut tables = Vec::new();
    for step in &flow.steps {
        for b in &step.decision.branches {
            if let Some(c) = b.cond() {
                c.inputs(&mut read);
            }
            if let End::Table(t) = b.target.end {
                tables.push(t);
            }
        }
    }
    // Each table the flow delegates to once (a table of thousands of rules
    // was read again for every step that delegates to it).
    tables.sort_unstable();
    tables.dedup();
    for t in tables {
        for (_, c) in p.tables[t].decision.whens() {
            c.inputs(&mut read);
        }
    }
    let reads = |inputs: &[usize]| inputs.iter().any(|i| read.contains(i));
    let mut seen = HashSet::new();
    for rule in rules(analysis, &reads) {
        let keep = |t: &Target| !t.escalates(rule.req);
        // Without an escalation on a route between steps, the cases that
        // reach a step without it are all the cases that reach it.
        let escalates_between_steps = flow.steps.iter().flat_map(|s| &s.decision.branches).any(|b| matches!(b.target.end, End::Step(_)) && b.target.escalates(rule.req));
        let propagated;
        let noesc: &[CaseSet] = if escalates_between_steps {
            propagated = analysis.propagate(facts, keep);
            &propagated
        } else {
            &facts.reach
        };
        for view in analysis.step_views(facts) {
            let Where::Step(s) = view.at else { continue };
            if noesc[s].is_empty() {
                continue;
            }
            for (i, b) in view.decision.branches.iter().enumerate() {
                let extra = rule.cases.as_ref().map(|(c, _)| c);
                if let Some((message, label)) = subject(analysis, &rule, &b.target) {
                    if !matches!(b.target.end, End::Table(_)) {
                        if let Some(region) = analysis.guard_region(view.decision, view.conds, &noesc[s], extra, i) {
                            let point = region.pick(&analysis.space);
                            if seen.insert((b.target.end_span, rule.req, rule.cases.is_some())) {
                                let mut route = analysis.path_to(facts, noesc, s, &point, keep);
                                if matches!(b.kind, BranchKind::Timeout) {
                                    route.timeouts.push(s);
                                }
                                let mut d = Diagnostic::new(Code::MissingEscalation, b.target.end_span, message).with_help(help(analysis, rule.req));
                                d.labels.push(label);
                                let (w, path) = analysis.witness(&view, &point, Some(route), rule.cond.as_slice());
                                d.witness = Some(w);
                                d.path = path;
                                out.push(d);
                            }
                        }
                        continue;
                    }
                }
                // Delegation to a table: follow the cases into it.
                if let End::Table(t) = b.target.end {
                    if b.target.escalates(rule.req) {
                        continue;
                    }
                    let mut from = analysis.guard_set(view.decision, view.conds, &noesc[s], i);
                    if let Some(x) = extra {
                        from = from.intersect(&analysis.space, x);
                    }
                    for (j, point, end_span, message, label) in table_findings(analysis, &rule, t, &from) {
                        let _ = j;
                        if seen.insert((end_span, rule.req, rule.cases.is_some())) {
                            let mut route = analysis.path_to(facts, noesc, s, &point, keep);
                            if matches!(b.kind, BranchKind::Timeout) {
                                route.timeouts.push(s);
                            }
                            let mut d = Diagnostic::new(Code::MissingEscalation, end_span, message).with_help(help(analysis, rule.req));
                            d.labels.push(label);
                            d.labels.push(Label { span: b.span, message: format!("cases reach table `{}` through this branch", p.tables[t].name) });
                            let (w, path) = analysis.witness(&view, &point, Some(route), rule.cond.as_slice());
                            d.witness = Some(w);
                            d.path = path;
                            out.push(d);
                        }
                    }
                }
            }
        }
    }
}

type TableFinding = (usize, crate::analysis::sets::Point, Span, String, Label);

/// Branches of table `t` that cases of `from` take to a target the rule
/// covers without the escalation.
fn table_findings(analysis: &Analysis<'_>, rule: &Rule, t: TableId, from: &CaseSet) -> Vec<TableFinding> {
    let d: &Decision = &analysis.program.tables[t].decision;
    let conds = &analysis.tables[t];
    let mut out = Vec::new();
    if from.is_empty() {
        return out;
    }
    for (j, b) in d.branches.iter().enumerate() {
        let Some((message, label)) = subject(analysis, rule, &b.target) else { continue };
        if let Some(region) = analysis.guard_region(d, conds, from, None, j) {
            out.push((j, region.pick(&analysis.space), b.target.end_span, message, label));
        }
    }
    out
}

pub fn check_table(analysis: &Analysis<'_>, t: TableId, out: &mut Vec<Diagnostic>) {
    let mut read = Vec::new();
    for (_, c) in analysis.program.tables[t].decision.whens() {
        c.inputs(&mut read);
    }
    let reads = |inputs: &[usize]| inputs.iter().any(|i| read.contains(i));
    let full = CaseSet::full(&analysis.space);
    let view = analysis.table_view(t, &full);
    for rule in rules(analysis, &reads) {
        let from = match &rule.cases {
            Some((c, _)) => c.clone(),
            None => CaseSet::full(&analysis.space),
        };
        for (_, point, end_span, message, label) in table_findings(analysis, &rule, t, &from) {
            let mut d = Diagnostic::new(Code::MissingEscalation, end_span, message).with_help(help(analysis, rule.req));
            d.labels.push(label);
            let (w, _) = analysis.witness(&view, &point, None, rule.cond.as_slice());
            d.witness = Some(w);
            out.push(d);
        }
    }
}

fn help(analysis: &Analysis<'_>, req: Requirement) -> String {
    match req {
        Requirement::Any => "put an `escalate TEAM ->` link in front of this target".into(),
        Requirement::Team(t) => format!("put `escalate {} ->` in front of this target", analysis.program.teams[t].name),
    }
}
