//! `non-exhaustive`: a case reaches a decision and matches no branch.

use crate::analysis::sets::{uncovered, Uncovered};
use crate::analysis::{Analysis, DecisionView};
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
";

pub fn check(analysis: &Analysis<'_>, view: &DecisionView<'_>, out: &mut Vec<Diagnostic>) {
    if view.decision.otherwise().is_some() {
        return;
    }
    let space = &analysis.space;
    let approx = view.conds.iter().flatten().any(|c| c.approx);
    let cover: Vec<_> = view.conds.iter().flatten().filter(|c| !c.approx).flat_map(|c| &c.cubes).collect();
    for r in &view.reach.cubes {
        let Uncovered::Found(cube) = uncovered(space, r, &cover) else { continue };
        let point = cube.pick(space);
        if approx && view.decision.whens().any(|(_, c)| crate::analysis::sets::holds(space, c, &point)) {
            continue;
        }
        if !super::confirm(analysis, view, &point, false) {
            continue;
        }
        let kind = if view.flow.is_some() { "step" } else { "table" };
        let mut d = Diagnostic::new(Code::NonExhaustive, view.name_span, format!("some cases that reach {kind} `{}` match no branch", view.name))
            .with_help("add a branch for these cases, or an `otherwise`");
        let (w, path) = analysis.witness(view, &point, None, &[]);
        d.witness = Some(w);
        d.path = path;
        out.push(d);
        return;
    }
}
