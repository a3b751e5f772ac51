//! `sla-exceeded`: a route whose worst-case time from `start` to its end
//! exceeds a resolution target that applies to its cases.

use std::collections::{BTreeMap, HashMap};

use crate::analysis::domain::CaseSet;
use crate::analysis::sets::cond_set;
use crate::analysis::{decision_sets, partition, Analysis, Choice, Exact, FlowFacts, Route};
use crate::diagnostics::{Code, Diagnostic, Label};
use crate::eval::Where;
use crate::model::{Decision, End, FlowId, Link, Program, Resolution, StepId, Target};
use crate::source::{Duration, Span};

pub const DOC: &str = "# sla-exceeded (error)

## What it finds
A route through a flow whose worst-case time, from `start` to its end,
exceeds a resolution target that applies to the cases taking it. Targets
are declared with `require resolution within DURATION in FLOW`, for every
case of the flow, or `... when CONDITION` for the cases that satisfy it.
Reported once per end and target, with a witness case (its `\"@timeouts\"`
included), the route, and the time of each step and team on it.

The time model: a step with `within D` takes at most D (when its timeout
fires, the case spends D there and goes on by the `timeout` route); an
escalation to a team with `sla D`, passed or final, adds D; decisions,
actions and tables take no time. A step without `within`, or a team
without `sla`, on such a route has no bound, and the finding says so
(`within 0s` declares a step automatic). A flow with a cycle is not
checked (`cycle` reports it).

## Why it matters
A promise to sellers (\"resolved within 24 hours\") or a legal deadline
holds only if every route keeps it. A first-line step of 24 hours followed
by a hand-off to a team with a 24-hour SLA takes 48 hours, and nothing
else adds it up.

## Example
```sop
input seller.mall: bool
team support { sla 24h }
outcome resolved

require resolution within 24h in seller_ticket   // the promise

flow seller_ticket {
  start triage
  step triage within 4h {
    when seller.mall -> outcome resolved
    otherwise        -> escalate support    // expect: sla-exceeded
    timeout          -> outcome resolved
  }
}
```

## Fix
Shorten the steps or the team's SLA on that route, route the cases to a
faster team, or state the target that the policy really keeps (a
conditional one: `require resolution within 72h in seller_ticket when not
seller.mall`).

The report's witness (`given { … }`, and `witness` in `--format json`) is a
case that shows the finding: paste it into a `test` block as its `given`
(with its `timeout` line), or replay it with `sopflow eval --flow NAME
--case witness.json --explain`, which shows the time at each step.
";

/// A worst-case time: seconds, or no bound.
pub type Time = Option<i64>;

fn add(a: Time, b: Time) -> Time {
    Some(a?.saturating_add(b?))
}

/// The time of one step (its `within`) and one team (its `sla`).
fn step_time(program: &Program, flow: FlowId, s: StepId) -> Time {
    program.flows[flow].steps[s].within_seconds
}

fn team_time(program: &Program, team: usize) -> Time {
    program.teams[team].sla_seconds
}

/// The SLAs of the escalations a chain passes before its end.
fn chain_time(program: &Program, target: &Target) -> Time {
    target.links.iter().try_fold(0i64, |acc, l| match l {
        Link::Escalate(x) => Some(acc.saturating_add(team_time(program, *x)?)),
        Link::Do(_) => Some(acc),
    })
}

/// The worst-case time of a finished run (`eval`): its steps' limits and
/// its escalations' SLAs, or no bound.
pub fn run_time(program: &Program, flow: FlowId, path: &[StepId], escalations: &[usize]) -> Time {
    let steps = path.iter().try_fold(0i64, |t, s| Some(t.saturating_add(step_time(program, flow, *s)?)));
    let teams = escalations.iter().try_fold(0i64, |t, x| Some(t.saturating_add(team_time(program, *x)?)));
    add(steps, teams)
}

/// Per step of a flow, the worst-case time of the runs that reach it, up to
/// and including the step (`eval --explain`'s "so far", over every route):
/// `Some(time)`, where a time of `None` is no bound (some route to it passes
/// a step without `within`); `None` for a step no route reaches. `None`
/// for the whole flow when it has a cycle.
pub fn worst_so_far(program: &Program, flow: FlowId) -> Option<Vec<Option<Time>>> {
    crate::ir::step_order(&program.flows[flow])?;
    let steps = &program.flows[flow].steps;
    // Memoised over predecessors: the flow is acyclic.
    let mut preds: Vec<Vec<StepId>> = vec![Vec::new(); steps.len()];
    for (p, step) in steps.iter().enumerate() {
        for b in &step.decision.branches {
            if let End::Step(n) = b.target.end {
                preds[n].push(p);
            }
        }
    }
    let start = program.flows[flow].start;
    let mut memo: Vec<Option<(bool, Time)>> = vec![None; steps.len()];
    // (reached, time): `reached` false for a step no route from the start passes.
    fn worst(program: &Program, flow: FlowId, s: StepId, start: StepId, preds: &[Vec<StepId>], memo: &mut Vec<Option<(bool, Time)>>) -> (bool, Time) {
        if let Some(v) = memo[s] {
            return v;
        }
        let own = step_time(program, flow, s);
        let v = if s == start {
            (true, own)
        } else {
            let mut reached = false;
            let mut time: Time = Some(0);
            for &p in &preds[s] {
                let (r, t) = worst(program, flow, p, start, preds, memo);
                if r {
                    reached = true;
                    time = match (time, t) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                }
            }
            (reached, add(time, own))
        };
        memo[s] = Some(v);
        v
    }
    Some(
        (0..steps.len())
            .map(|s| {
                let (reached, t) = worst(program, flow, s, start, &preds, &mut memo);
                reached.then_some(t)
            })
            .collect(),
    )
}

/// Where runs end: the span of the final target, the worst-case time, and
/// the cases that end there with that time.
type Ends = BTreeMap<(u32, u32, u32), (Span, BTreeMap<Time, CaseSet>)>;

fn record(ends: &mut Ends, span: Span, time: Time, set: CaseSet, space: &crate::analysis::domain::Space) {
    let entry = ends.entry((span.file.0, span.start, span.end)).or_insert_with(|| (span, BTreeMap::new()));
    match entry.1.get_mut(&time) {
        Some(s) => s.union_owned(space, set),
        None => {
            entry.1.insert(time, set);
        }
    }
}

/// The worst-case times with which cases end, per end, for one flow: the
/// flow's steps in topological order, the cases arriving at each grouped by
/// their time so far (capped just past `cap`: beyond, every target is
/// exceeded alike).
fn ends(analysis: &Analysis<'_>, flow: FlowId, order: &[StepId], cap: i64) -> Ends {
    let p = analysis.program;
    let space = &analysis.space;
    let f = &p.flows[flow];
    let clamp = |t: Time| t.map(|t| t.min(cap.saturating_add(1)));
    let mut arriving: Vec<BTreeMap<Time, CaseSet>> = vec![BTreeMap::new(); f.steps.len()];
    arriving[f.start].insert(Some(0), CaseSet::full(space));
    let mut out = Ends::new();
    let mut sets: HashMap<Where, Vec<CaseSet>> = HashMap::new();
    let mut branch_sets = |w: Where, d: &Decision| -> Vec<CaseSet> {
        sets.entry(w).or_insert_with(|| decision_sets(space, d).into_iter().map(|c| c.unwrap_or_default()).collect()).clone()
    };
    // A chain's escalations, then where it leads.
    let follow =
        |t: &Target, time: Time| -> Time { t.links.iter().fold(time, |acc, l| if let Link::Escalate(x) = l { add(acc, team_time(p, *x)) } else { acc }) };
    for &s in order {
        let entries = std::mem::take(&mut arriving[s]);
        let step = &f.steps[s];
        let conds = branch_sets(Where::Step(s), &step.decision);
        for (time, set) in entries {
            let time = clamp(add(time, step_time(p, flow, s)));
            let mut routes: Vec<(CaseSet, usize)> = Vec::new();
            if let Some(t) = step.decision.timeout() {
                routes.push((set.clone(), t));
            }
            for (part, choice) in partition(space, &step.decision, &conds, &set) {
                if let Choice::Branch(b) = choice {
                    routes.push((part, b));
                }
            }
            for (part, b) in routes {
                let target = &step.decision.branches[b].target;
                let t = clamp(follow(target, time));
                match target.end {
                    End::Step(n) => match arriving[n].get_mut(&t) {
                        Some(x) => x.union_owned(space, part),
                        None => {
                            arriving[n].insert(t, part);
                        }
                    },
                    End::Outcome(_) => record(&mut out, target.end_span, t, part, space),
                    End::Escalate(x) => record(&mut out, target.end_span, clamp(add(t, team_time(p, x))), part, space),
                    End::Table(tb) => {
                        let table = &p.tables[tb];
                        let tconds = branch_sets(Where::Table(tb), &table.decision);
                        for (tpart, choice) in partition(space, &table.decision, &tconds, &part) {
                            let Choice::Branch(tb_branch) = choice else { continue };
                            let tt = &table.decision.branches[tb_branch].target;
                            let t2 = clamp(follow(tt, t));
                            let t2 = match tt.end {
                                End::Escalate(x) => clamp(add(t2, team_time(p, x))),
                                _ => t2,
                            };
                            record(&mut out, tt.end_span, t2, tpart, space);
                        }
                    }
                }
            }
        }
    }
    out
}

/// For one case: the route (and its time) to the end at `end` with the
/// greatest worst-case time, choosing which timeouts fire.
fn worst_route(p: &Program, flow: FlowId, case: &crate::eval::Case, end: Span) -> Option<(Time, Route)> {
    let f = &p.flows[flow];
    // From step s: the best (time, route) to `end`, memoised.
    fn best(
        p: &Program,
        flow: FlowId,
        s: StepId,
        case: &crate::eval::Case,
        end: Span,
        memo: &mut HashMap<StepId, Option<(Time, Route)>>,
    ) -> Option<(Time, Route)> {
        if let Some(m) = memo.get(&s) {
            return m.clone();
        }
        let step = &p.flows[flow].steps[s];
        let mut choices: Vec<(usize, bool)> = Vec::new();
        if let Some(t) = step.decision.timeout() {
            choices.push((t, true));
        }
        if let Ok(b) = decide(p, &step.decision, case) {
            choices.push((b, false));
        }
        let mut found: Option<(Time, Route)> = None;
        for (b, fired) in choices {
            let target = &step.decision.branches[b].target;
            let chain = chain_time(p, target);
            let rest: Option<(Time, Route)> = match target.end {
                End::Step(n) => best(p, flow, n, case, end, memo),
                End::Outcome(_) if target.end_span == end => Some((Some(0), Route { steps: vec![], timeouts: vec![] })),
                End::Escalate(x) if target.end_span == end => Some((team_time(p, x), Route { steps: vec![], timeouts: vec![] })),
                End::Table(tb) => {
                    let table = &p.tables[tb];
                    match decide(p, &table.decision, case) {
                        Ok(tbb) if table.decision.branches[tbb].target.end_span == end => {
                            let tt = &table.decision.branches[tbb].target;
                            let mut t = chain_time(p, tt);
                            if let End::Escalate(x) = tt.end {
                                t = add(t, team_time(p, x));
                            }
                            Some((t, Route { steps: vec![], timeouts: vec![] }))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some((t, mut route)) = rest {
                let total = add(add(step_time(p, flow, s), chain), t);
                route.steps.insert(0, s);
                if fired {
                    route.timeouts.insert(0, s);
                }
                let better = match &found {
                    None => true,
                    Some((ft, _)) => total.is_none() || ft.is_some_and(|ft| total.is_some_and(|t| t > ft)),
                };
                if better {
                    found = Some((total, route));
                }
            }
        }
        memo.insert(s, found.clone());
        found
    }
    best(p, flow, f.start, case, end, &mut HashMap::new())
}

/// The branch a decision takes for a case (as `eval`), or `Err` when it stops.
fn decide(p: &Program, d: &Decision, case: &crate::eval::Case) -> Result<usize, ()> {
    let mut taken: Option<usize> = None;
    for (i, c) in d.whens() {
        if crate::eval::cond_holds(p, c, case).map_err(|_| ())? {
            if d.first {
                return Ok(i);
            }
            match taken {
                None => taken = Some(i),
                Some(j) if !d.branches[j].target.same_chain(&d.branches[i].target) => return Err(()),
                Some(_) => {}
            }
        }
    }
    taken.or(d.otherwise()).ok_or(())
}

fn show(t: Time) -> String {
    t.map_or_else(|| "no bound".to_string(), Duration::format_seconds)
}

/// The time of each step and team on a route, as text.
fn breakdown(p: &Program, flow: FlowId, route: &Route, case: &crate::eval::Case) -> String {
    let f = &p.flows[flow];
    let run = crate::eval::run_flow_timed(p, flow, case, &route.timeouts);
    let mut parts: Vec<String> = route
        .steps
        .iter()
        .map(|s| {
            let step = &f.steps[*s];
            match step.within_seconds {
                Some(_) => format!("step `{}` {}", step.name, step.within_text.clone().unwrap_or_default()),
                None => format!("step `{}` without `within` (no bound)", step.name),
            }
        })
        .collect();
    for x in &run.escalations {
        let team = &p.teams[*x];
        parts.push(match team.sla_seconds {
            Some(s) => format!("team `{}` sla {}", team.name, Duration::format_seconds(s)),
            None => format!("team `{}` without `sla` (no bound)", team.name),
        });
    }
    parts.join(" + ")
}

/// The findings of one flow.
pub fn check_flow(analysis: &Analysis<'_>, facts: &FlowFacts, exact: &Exact, out: &mut Vec<Diagnostic>) {
    let p = analysis.program;
    let flow = facts.flow;
    let targets: Vec<&Resolution> = p.resolutions.iter().filter(|r| r.flow == flow).collect();
    let Some(order) = facts.order.as_deref() else { return };
    if targets.is_empty() {
        return;
    }
    let space = &analysis.space;
    let cap = targets.iter().map(|r| r.seconds).max().unwrap_or(0);
    let ends = ends(analysis, flow, order, cap);
    let f = &p.flows[flow];
    for target in targets {
        let cases = target.cond.as_ref().map_or_else(|| CaseSet::full(space), |c| cond_set(space, c, false));
        for (span, times) in ends.values() {
            // The worst time first.
            let over = times.iter().rev().filter(|(t, _)| t.is_none_or(|t| t > target.seconds)).find_map(|(_, set)| {
                let x = set.intersect(space, &cases);
                (!x.is_empty()).then_some(x)
            });
            let Some(x) = over else { continue };
            let point = x.cubes[0].pick(space);
            let case: crate::eval::Case = point.iter().cloned().map(Some).collect();
            let Some((time, route)) = worst_route(p, flow, &case, *span) else { continue };
            if time.is_some_and(|t| t <= target.seconds) {
                continue;
            }
            let names: Vec<&str> = route.steps.iter().map(|s| f.steps[*s].name.as_str()).collect();
            let message = match time {
                Some(t) => format!(
                    "cases of flow `{}` can take {} to end here ({}), over the {} target",
                    f.name,
                    Duration::format_seconds(t),
                    names.join(" → "),
                    target.text
                ),
                None => format!("cases of flow `{}` that end here ({}) have no time bound, against the {} target", f.name, names.join(" → "), target.text),
            };
            let mut d =
                Diagnostic::new(Code::SlaExceeded, *span, message).with_help(format!("worst case: {} = {}", breakdown(p, flow, &route, &case), show(time)));
            d.labels.push(Label { span: target.span, message: format!("the {} target", target.text) });
            let about: Vec<&crate::model::Cond> = target.cond.iter().collect();
            let view = analysis.step_view(facts, *route.steps.last().expect("a route has a step"), exact);
            let (w, path) = analysis.witness(&view, &point, Some(route), &about);
            d.witness = Some(w);
            d.path = path;
            out.push(d);
        }
    }
}
