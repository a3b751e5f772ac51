//! `dead-branch`: a branch whose condition never holds for a case that
//! reaches its step.

use crate::analysis::sat::Answer;
use crate::analysis::{Analysis, Cubes, DecisionView, Question};
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Where;

pub const DOC: &str = "# dead-branch (warning)

## What it finds
A `when` branch whose condition can never hold for a case that reaches its step
or table: the condition contradicts itself, or contradicts the conditions on
every route to the step. (`otherwise` is never reported: a defensive default is
allowed.)

## Why it matters
A dead branch is a rule the team thinks is enforced and is not: the
moderation action it names never happens.

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
    when market == VN -> outcome remove   // expect: dead-branch
    otherwise         -> outcome hold
  }
}
```

## Fix
Correct the condition (often a wrong market or threshold), move the branch to
the step where those cases arrive, or delete it.
";

pub fn check(analysis: &Analysis<'_>, view: &DecisionView<'_>, out: &mut Vec<Diagnostic>) {
    for (i, c) in view.conds.iter().enumerate() {
        let Some(c) = c else { continue };
        let b = &view.decision.branches[i];
        if c.is_empty() && !c.approx {
            out.push(
                Diagnostic::new(Code::DeadBranch, b.span, format!("`{}` can never hold", b.cond_text.as_deref().unwrap_or("…")))
                    .with_help("the condition contradicts itself; correct it or remove the branch"),
            );
            continue;
        }
        // A widened set only grows: no meet is sure; a meet is checked.
        let space = &analysis.space;
        let meets = view.reach.meets(space, c);
        let dead = if meets && (view.reach.approx || c.approx) {
            let meet = view.reach.intersect(space, c);
            let cubes = meet.cubes.first().map_or(Cubes::None, |m| Cubes::Found(m.pick(space)));
            let q = Question { holds: vec![b.cond().expect("a `when` branch")], ..Question::new() };
            let what = || format!("whether branch {} of {} can hold", i + 1, super::place(view));
            matches!(analysis.decide(view, &q, cubes, true, "dead-branch", what), Answer::None)
        } else {
            !meets
        };
        if dead {
            let cond = b.cond_text.as_deref().unwrap_or("…");
            let mut d = Diagnostic::new(Code::DeadBranch, b.span, format!("`{cond}` never holds for a case that reaches step `{}`", view.name))
                .with_help("the conditions on every route here contradict it; correct the condition or move the branch");
            if let (Some(facts), Where::Step(s)) = (view.flow, view.at) {
                d.labels = super::incoming(analysis, facts, s);
                if let Some(routes) = super::route_conditions(analysis, facts, s) {
                    let shown: Vec<String> = routes.iter().map(|(c, _)| format!("`{c}`")).collect();
                    d.message.push_str(&format!(": cases arrive only under {}", shown.join(" or ")));
                }
            }
            out.push(d);
        }
    }
}
