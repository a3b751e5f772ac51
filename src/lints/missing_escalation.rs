//! `missing-escalation`: a route to an outcome that requires an escalation,
//! or a route taken by cases a `require escalation` rule covers, that does
//! not pass the escalation.

use std::collections::HashSet;

use crate::analysis::domain::CaseSet;
use crate::analysis::sat::Answer;
use crate::analysis::sets::cond_set;
use crate::analysis::sets::Point;
use crate::analysis::{Analysis, Cubes, Exact, FlowFacts, Question};
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

The report's witness (`given { … }`, and `witness` in `--format json`) is a
case that shows the finding: paste it into a `test` block as its `given`
(with its `timeout` line, if any) to keep the fix, or replay it with
`sopflow eval --flow NAME --case witness.json` (or `--table NAME`).
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

pub fn check_flow<'a>(analysis: &'a Analysis<'a>, facts: &'a FlowFacts, exact: &'a Exact, out: &mut Vec<Diagnostic>) {
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
    for (r, rule) in rules(analysis, &reads).iter().enumerate() {
        let keep = |t: &Target| !t.escalates(rule.req);
        // Without an escalation on a route between steps, the cases that
        // reach a step without it are all the cases that reach it.
        let escalates_between_steps =
            flow.steps.iter().flat_map(|s| &s.decision.branches).any(|b| matches!(b.target.end, End::Step(_)) && b.target.escalates(rule.req));
        let propagated;
        let noesc: &[CaseSet] = if escalates_between_steps {
            propagated = analysis.propagate(facts, keep);
            &propagated
        } else {
            &facts.reach
        };
        let extra = rule.cases.as_ref().map(|(c, _)| c);
        for view in analysis.step_views(facts, exact) {
            let Where::Step(s) = view.at else { continue };
            if noesc[s].is_empty() {
                continue;
            }
            let approx = noesc[s].approx || extra.is_some_and(|x| x.approx) || view.conds.iter().flatten().any(|c| c.approx);
            for (i, b) in view.decision.branches.iter().enumerate() {
                let mut found = |point: Point, end_span: Span, message: String, labels: Vec<Label>| {
                    let mut route = analysis.route(facts, s, &point, &keep).expect("a decided case has a route");
                    if matches!(b.kind, BranchKind::Timeout) {
                        route.timeouts.push(s);
                    }
                    let mut d = Diagnostic::new(Code::MissingEscalation, end_span, message).with_help(help(analysis, rule.req));
                    d.labels = labels;
                    let (w, path) = analysis.witness(&view, &point, Some(route), rule.cond.as_slice());
                    d.witness = Some(w);
                    d.path = path;
                    out.push(d);
                };
                let question = |takes: Vec<(&'a Decision, usize)>| Question {
                    keep: (r as u64 + 1, &keep),
                    holds: rule.cond.into_iter().collect(),
                    takes,
                    ..Question::new()
                };
                if let Some((message, label)) = subject(analysis, rule, &b.target) {
                    if !matches!(b.target.end, End::Table(_)) {
                        let key = (b.target.end_span, rule.req, rule.cases.is_some());
                        if seen.contains(&key) {
                            continue;
                        }
                        let cubes = analysis.guard_region(view.decision, view.conds, &noesc[s], extra, i);
                        let q = question(vec![(view.decision, i)]);
                        let what = || format!("whether a case covered by the rule takes branch {} of {} without the escalation", i + 1, super::place(&view));
                        if let Answer::Found(point) = analysis.decide(&view, &q, cubes, approx, "missing-escalation", what) {
                            seen.insert(key);
                            found(point, b.target.end_span, message, vec![label]);
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
                    let td: &Decision = &p.tables[t].decision;
                    for (j, cubes, table_approx, end_span, message, label) in table_findings(analysis, rule, t, &from) {
                        let key = (end_span, rule.req, rule.cases.is_some());
                        if seen.contains(&key) {
                            continue;
                        }
                        let q = question(vec![(view.decision, i), (td, j)]);
                        let what = || {
                            format!(
                                "whether a case covered by the rule reaches branch {} of table `{}` from {} without the escalation",
                                j + 1,
                                p.tables[t].name,
                                super::place(&view)
                            )
                        };
                        if let Answer::Found(point) = analysis.decide(&view, &q, cubes, approx || table_approx, "missing-escalation", what) {
                            seen.insert(key);
                            let through = Label { span: b.span, message: format!("cases reach table `{}` through this branch", p.tables[t].name) };
                            found(point, end_span, message, vec![label, through]);
                        }
                    }
                }
            }
        }
    }
}

type TableFinding = (usize, Cubes, bool, Span, String, Label);

/// Branches of table `t` that cases of `from` may take to a target the rule
/// covers without the escalation, with what the cube sets say of each.
fn table_findings(analysis: &Analysis<'_>, rule: &Rule, t: TableId, from: &CaseSet) -> Vec<TableFinding> {
    let d: &Decision = &analysis.program.tables[t].decision;
    let conds = &analysis.tables[t];
    let approx = from.approx || conds.iter().flatten().any(|c| c.approx);
    let mut out = Vec::new();
    if from.is_empty() {
        return out;
    }
    for (j, b) in d.branches.iter().enumerate() {
        let Some((message, label)) = subject(analysis, rule, &b.target) else { continue };
        let cubes = analysis.guard_region(d, conds, from, None, j);
        if matches!(cubes, Cubes::None) && !approx {
            continue;
        }
        out.push((j, cubes, approx, b.target.end_span, message, label));
    }
    out
}

pub fn check_table(analysis: &Analysis<'_>, t: TableId, exact: &Exact, out: &mut Vec<Diagnostic>) {
    let mut read = Vec::new();
    for (_, c) in analysis.program.tables[t].decision.whens() {
        c.inputs(&mut read);
    }
    let reads = |inputs: &[usize]| inputs.iter().any(|i| read.contains(i));
    let full = CaseSet::full(&analysis.space);
    let view = analysis.table_view(t, &full, exact);
    for rule in rules(analysis, &reads) {
        let from = match &rule.cases {
            Some((c, _)) => c.clone(),
            None => CaseSet::full(&analysis.space),
        };
        for (j, cubes, approx, end_span, message, label) in table_findings(analysis, &rule, t, &from) {
            let q = Question { holds: rule.cond.into_iter().collect(), takes: vec![(view.decision, j)], ..Question::new() };
            let what = || format!("whether a case covered by the rule takes branch {} of table `{}` without the escalation", j + 1, view.name);
            let Answer::Found(point) = analysis.decide(&view, &q, cubes, approx, "missing-escalation", what) else { continue };
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
