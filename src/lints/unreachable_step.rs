//! `unreachable-step`: a step no case can reach.

use crate::analysis::sat::Answer;
use crate::analysis::{Analysis, Cubes, Exact, FlowFacts, Question};
use crate::diagnostics::{Code, Diagnostic};

pub const DOC: &str = "# unreachable-step (warning)

## What it finds
A step that no case can reach: either no route leads to it from `start`
(structural), or every route to it needs conditions that contradict each
other (semantic).

## Why it matters
An unreachable step is usually left over from a policy change: the team believes
a check happens (a licence review, a legal hold) that in fact never runs.

## Example
```sop
input market: { ID, MY, VN }
outcome approve
outcome remove
outcome hold

flow f {
  start s1
  step s1 {
    when market == ID -> s2
    otherwise         -> outcome approve
  }
  step s2 {
    when market == VN -> s3   // expect: dead-branch
    otherwise         -> outcome remove
  }
  step s3 {   // expect: unreachable-step
    otherwise -> outcome hold
  }
}
```

## Fix
Route to the step from where it is needed, or delete it. For a semantic finding,
fix the condition on the route (here `market == VN` can never hold after
`market == ID`).
";

/// Reports the unreachable steps, and empties the reaching set of a step
/// the solver proves unreachable (its set was widened), so that no other
/// lint looks at it.
pub fn check(analysis: &Analysis<'_>, facts: &mut FlowFacts, exact: &Exact, out: &mut Vec<Diagnostic>) {
    let flow = &analysis.program.flows[facts.flow];
    // A widened set that holds cases may still hold none that reach.
    let mut proven = Vec::new();
    for s in 0..flow.steps.len() {
        if facts.structural[s] && facts.reach[s].approx && !facts.reach[s].is_empty() {
            let view = analysis.step_view(facts, s, exact);
            let what = || format!("whether any case reaches step `{}`", flow.steps[s].name);
            if matches!(analysis.decide(&view, &Question::new(), Cubes::Unsure, true, "unreachable-step", what), Answer::None) {
                proven.push(s);
            }
        }
    }
    for s in proven {
        facts.reach[s] = crate::analysis::domain::CaseSet::empty();
    }
    for (s, step) in flow.steps.iter().enumerate() {
        if !facts.structural[s] {
            out.push(
                Diagnostic::new(Code::UnreachableStep, step.name_span, format!("step `{}` is never reached: no route leads to it from `start`", step.name))
                    .with_help(format!("route to `{}` from another step, or remove it", step.name)),
            );
        } else if facts.reach[s].is_empty() {
            // A route in from a unique step whose condition some arriving
            // case satisfies: those cases meet a conflict there and stop.
            let space = &analysis.space;
            let conflicted = facts.preds[s].iter().find(|&&(p, i)| {
                let d = &flow.steps[p].decision;
                !d.first && facts.conds[p][i].as_ref().is_some_and(|c| facts.reach[p].meets(space, c))
            });
            let mut d = match conflicted {
                Some(&(p, _)) => Diagnostic::new(
                    Code::UnreachableStep,
                    step.name_span,
                    format!(
                        "no case can reach step `{}`: the cases that would take the route in from step `{}` meet a conflict there (another branch, with another target, holds for each of them)",
                        step.name, flow.steps[p].name
                    ),
                )
                .with_help(format!("fix the `conflicting-outcomes` finding in step `{}`: its cases go no further", flow.steps[p].name)),
                None => Diagnostic::new(
                    Code::UnreachableStep,
                    step.name_span,
                    format!("no case can reach step `{}`: every route to it needs contradicting conditions", step.name),
                )
                .with_help("fix the conditions on the routes to this step, or remove it"),
            };
            d.labels = super::incoming(analysis, facts, s);
            // Name the conditions of the routes in (those of the steps before
            // them are in the labels of their own dead branches).
            if let Some(routes) = super::route_conditions(analysis, facts, s) {
                let shown: Vec<String> = routes.iter().map(|(c, step)| format!("`{c}` in step `{step}`")).collect();
                d.message.push_str(&format!(" (routes in: {})", shown.join(", ")));
            }
            out.push(d);
        }
    }
}
