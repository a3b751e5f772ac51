//! `shadowed-branch`: a branch of a `first` decision whose cases are all
//! taken by earlier branches.

use crate::analysis::sets::holds;
use crate::analysis::sets::{uncovered, Uncovered};
use crate::analysis::domain::CaseSet;
use crate::analysis::{Analysis, DecisionView};
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
";

pub fn check(analysis: &Analysis<'_>, view: &DecisionView<'_>, out: &mut Vec<Diagnostic>) {
    if !view.decision.first {
        return;
    }
    let space = &analysis.space;
    let whens: Vec<(usize, &CaseSet)> = view.conds.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (i, c))).collect();
    let sets: Vec<&CaseSet> = whens.iter().map(|(_, s)| *s).collect();
    let index = super::BranchIndex::new(analysis, &sets);
    for (pos, &(i, c)) in whens.iter().enumerate() {
        let region = view.reach.intersect(space, c);
        if region.is_empty() {
            continue; // dead, not shadowed
        }
        let earlier: Vec<&CaseSet> = match &index {
            Some(index) => index.neighbours(pos).into_iter().filter(|&p| p < pos).map(|p| whens[p].1).collect(),
            None => whens[..pos].iter().map(|(_, s)| *s).collect(),
        };
        if earlier.iter().any(|e| e.approx) {
            continue;
        }
        let cover: Vec<_> = earlier.iter().flat_map(|e| &e.cubes).collect();
        let all_covered = region.cubes.iter().all(|r| matches!(uncovered(space, r, &cover), Uncovered::Covered));
        if !all_covered {
            continue;
        }
        let point = region.cubes[0].pick(space);
        if !super::confirm(analysis, view, &point, region.approx) {
            continue;
        }
        let b = &view.decision.branches[i];
        let mut d = Diagnostic::new(Code::ShadowedBranch, b.span, "every case of this branch is taken by an earlier branch")
            .with_help("put the more specific branch first, or narrow the earlier one");
        let taker = view.decision.whens().find(|(j, c)| *j < i && holds(space, c, &point)).map(|(j, _)| j);
        if let Some(j) = taker {
            d = d.with_label(view.decision.branches[j].span, "this earlier branch takes them");
        }
        let (w, path) = analysis.witness(view, &point, None, &[b.cond().expect("a `when` branch")]);
        d.witness = Some(w);
        d.path = path;
        out.push(d);
    }
}
