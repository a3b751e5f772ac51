//! `overlapping-branches`: two branches of a unique decision hold for one
//! case and lead to the same target.

use super::Overlap;
use crate::analysis::{Analysis, DecisionView};
use crate::diagnostics::{Code, Diagnostic};

pub const DOC: &str = "# overlapping-branches (warning)

## What it finds
Two `when` branches of a unique step or table that can both hold for one case
and lead to the same target chain.

## Why it matters
The decision is still well defined, but the policy says the same thing twice;
the next edit to one copy silently turns the overlap into a conflict.

## Example
```sop
input seller.strikes: int in 0 to 50
input fraud.suspected: bool
outcome approve
outcome review_queue

table t {
  when seller.strikes >= 3 -> outcome review_queue
  when fraud.suspected     -> outcome review_queue   // expect: overlapping-branches
  otherwise                -> outcome approve
}
```

## Fix
Merge the branches (`when seller.strikes >= 3 or fraud.suspected -> …`) or
make them exclusive.

The report's witness (`given { … }`, and `witness` in `--format json`) is a
case that shows the finding: paste it into a `test` block as its `given`
(with its `timeout` line, if any) to keep the fix, or replay it with
`sopflow eval --flow NAME --case witness.json` (or `--table NAME`).
";

pub fn check(analysis: &Analysis<'_>, view: &DecisionView<'_>, pairs: &[Overlap], out: &mut Vec<Diagnostic>) {
    for p in pairs {
        let (a, b) = (&view.decision.branches[p.first], &view.decision.branches[p.second]);
        if !a.target.same_chain(&b.target) {
            continue;
        }
        out.push(super::pair_finding(
            analysis,
            view,
            p,
            Code::OverlappingBranches,
            "this branch and an earlier one both hold for some cases, with the same target",
            "merge the two branches with `or`, or make their conditions exclusive",
        ));
    }
}
