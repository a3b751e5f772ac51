//! `non-exhaustive`: a case reaches a decision and matches no branch.

use crate::analysis::sat::Answer;
use crate::analysis::sets::{uncovered, Uncovered};
use crate::analysis::{Analysis, Cubes, DecisionView, Question};
use crate::diagnostics::{Code, Diagnostic};

pub const DOC: &str = "# non-exhaustive (error)

## What it finds
A step or table without `otherwise` that some case reaching it matches with no
branch at all.

## Why it matters
The case falls through the SOP: the moderator has no instruction, and in an
automated pipeline the report is silently dropped.

## Example
```sop
input report.kind: { counterfeit, fraud, prohibited }
team fraud_ops
outcome remove_listing

flow triage {
  start intake
  step intake {   // expect: non-exhaustive
    when report.kind == counterfeit -> outcome remove_listing
    when report.kind == fraud       -> escalate fraud_ops
  }
}
```

## Fix
Add the missing branch, or an `otherwise` that sends the remaining cases
somewhere safe (often a manual review queue).

The report's witness (`given { … }`, and `witness` in `--format json`) is a
case that shows the finding: paste it into a `test` block as its `given`
(with its `timeout` line, if any) to keep the fix, or replay it with
`sopflow eval --flow NAME --case witness.json` (or `--table NAME`).
";

pub fn check(analysis: &Analysis<'_>, view: &DecisionView<'_>, out: &mut Vec<Diagnostic>) {
    if view.decision.otherwise().is_some() {
        return;
    }
    let space = &analysis.space;
    // Widened branch sets are left out of the cover (a part they might
    // cover is checked); a search that gives up leaves the cubes unsure.
    let approx = view.reach.approx || view.conds.iter().flatten().any(|c| c.approx);
    let cover: Vec<_> = view.conds.iter().flatten().filter(|c| !c.approx).flat_map(|c| &c.cubes).collect();
    let mut cubes = Cubes::None;
    for r in &view.reach.cubes {
        match uncovered(space, r, &cover) {
            Uncovered::Found(cube) => {
                cubes = Cubes::Found(cube.pick(space));
                break;
            }
            Uncovered::Unknown => cubes = Cubes::Unsure,
            Uncovered::Covered => {}
        }
    }
    let q = Question { fails: view.decision.whens().map(|(_, c)| c).collect(), ..Question::new() };
    let what = || format!("whether some case that reaches {} matches no branch", super::place(view));
    let Answer::Found(point) = analysis.decide(view, &q, cubes, approx, "non-exhaustive", what) else { return };
    let kind = if view.flow.is_some() { "step" } else { "table" };
    let mut d = Diagnostic::new(Code::NonExhaustive, view.name_span, format!("some cases that reach {kind} `{}` match no branch", view.name))
        .with_help("add a branch for these cases, or an `otherwise`");
    let (w, path) = analysis.witness(view, &point, None, &[]);
    d.witness = Some(w);
    d.path = path;
    out.push(d);
}
