//! `shadowed-branch`: a branch of a `first` decision whose cases are all
//! taken by earlier branches.

use crate::analysis::domain::CaseSet;
use crate::analysis::sat::Answer;
use crate::analysis::sets::holds;
use crate::analysis::sets::{uncovered, Uncovered};
use crate::analysis::{Analysis, Cubes, DecisionView, Question};
use crate::diagnostics::{Code, Diagnostic};

pub const DOC: &str = "# shadowed-branch (warning)

## What it finds
A branch of a `first` step or table that can hold, but only for cases an
earlier branch already takes. The order decides, so it never fires.

## Why it matters
Usually two thresholds in the wrong order: the stricter sanction written after
the milder one is never applied.

## Example
```sop
input seller.strikes: int in 0 to 50
outcome warn
outcome suspend
outcome approve

table strikes_policy first {
  when seller.strikes >= 3 -> outcome warn
  when seller.strikes >= 5 -> outcome suspend   // expect: shadowed-branch
  otherwise                -> outcome approve
}
```

## Fix
Put the more specific branch first, or narrow the earlier one
(`seller.strikes in { 3, 4 }`).

The report's witness (`given { … }`, and `witness` in `--format json`) is a
case that shows the finding: paste it into a `test` block as its `given`
(with its `timeout` line, if any) to keep the fix, or replay it with
`sopflow eval --flow NAME --case witness.json` (or `--table NAME`).
";

pub fn check(analysis: &Analysis<'_>, view: &DecisionView<'_>, out: &mut Vec<Diagnostic>) {
    if !view.decision.first {
        return;
    }
    let space = &analysis.space;
    let d = view.decision;
    let whens: Vec<(usize, &CaseSet)> = view.conds.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (i, c))).collect();
    let sets: Vec<&CaseSet> = whens.iter().map(|(_, s)| *s).collect();
    let index = super::BranchIndex::new(analysis, &sets);
    for (pos, &(i, c)) in whens.iter().enumerate() {
        let cond = d.branches[i].cond().expect("a `when` branch");
        // Some case of the branch reaches the decision (else it is dead, not shadowed).
        let region = view.reach.intersect(space, c);
        let cubes = match region.cubes.first() {
            Some(r) => Cubes::Found(r.pick(space)),
            None => Cubes::None,
        };
        let holds_q = Question { holds: vec![cond], ..Question::new() };
        let what = || format!("whether branch {} of {} can hold", i + 1, super::place(view));
        let Answer::Found(point) = analysis.decide(view, &holds_q, cubes, region.approx, "shadowed-branch", what) else { continue };
        // No case of it escapes the earlier branches.
        let earlier: Vec<&CaseSet> = match &index {
            Some(index) => index.neighbours(pos).into_iter().filter(|&p| p < pos).map(|p| whens[p].1).collect(),
            None => whens[..pos].iter().map(|(_, s)| *s).collect(),
        };
        let widened = earlier.iter().any(|e| e.approx);
        let cover: Vec<_> = earlier.iter().filter(|e| !e.approx).flat_map(|e| &e.cubes).collect();
        let mut cubes = Cubes::None;
        for r in &region.cubes {
            match uncovered(space, r, &cover) {
                Uncovered::Found(part) => {
                    cubes = Cubes::Found(part.pick(space));
                    break;
                }
                Uncovered::Unknown => cubes = Cubes::Unsure,
                Uncovered::Covered => {}
            }
        }
        if widened && matches!(cubes, Cubes::None) {
            cubes = Cubes::Unsure;
        }
        let escapes_q = Question { holds: vec![cond], fails: d.whens().take_while(|(j, _)| *j < i).map(|(_, c)| c).collect(), ..Question::new() };
        let what = || format!("whether every case of branch {} of {} is taken by an earlier branch", i + 1, super::place(view));
        if !matches!(analysis.decide(view, &escapes_q, cubes, region.approx || widened, "shadowed-branch", what), Answer::None) {
            continue;
        }
        let b = &d.branches[i];
        let mut diag = Diagnostic::new(Code::ShadowedBranch, b.span, "every case of this branch is taken by an earlier branch")
            .with_help("put the more specific branch first, or narrow the earlier one");
        let taker = d.whens().find(|(j, c)| *j < i && holds(space, c, &point)).map(|(j, _)| j);
        if let Some(j) = taker {
            diag = diag.with_label(d.branches[j].span, "this earlier branch takes them");
        }
        let (w, path) = analysis.witness(view, &point, None, &[cond]);
        diag.witness = Some(w);
        diag.path = path;
        out.push(diag);
    }
}
