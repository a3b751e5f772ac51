//! `conflicting-outcomes`: two branches of a unique decision hold for one
//! case and lead to different targets.

use super::Overlap;
use crate::analysis::{Analysis, DecisionView};
use crate::diagnostics::{Code, Diagnostic};

pub const DOC: &str = "# conflicting-outcomes (error)

## What it finds
Two `when` branches of a unique (default) step or table that can both hold for
one case reaching it, and lead to different targets (different whole chains:
`do a -> outcome x` and `outcome x` differ).

## Why it matters
The policy gives one case two different decisions. Two moderators following
the same SOP can approve and remove the same listing, and an appeal cannot tell
which was right.

## Example
```sop
input brand.authorized: bool
input seller.strikes: int in 0 to 50
team brand_protection
outcome approve
outcome remove_listing

flow review {
  start brand_check
  step brand_check {
    when brand.authorized    -> outcome approve
    when seller.strikes >= 3 -> escalate brand_protection   // expect: conflicting-outcomes
    otherwise                -> outcome remove_listing
  }
}
```

## Fix
Make the conditions exclusive (`when not brand.authorized and seller.strikes >= 3`),
or write `first` after the step name so the order decides.

The report's witness (`given { … }`, and `witness` in `--format json`) is a
case that shows the finding: paste it into a `test` block as its `given`
(with its `timeout` line, if any) to keep the fix, or replay it with
`sopflow eval --flow NAME --case witness.json` (or `--table NAME`).
";

pub fn check(analysis: &Analysis<'_>, view: &DecisionView<'_>, pairs: &[Overlap], out: &mut Vec<Diagnostic>) {
    for p in pairs {
        let (a, b) = (&view.decision.branches[p.first], &view.decision.branches[p.second]);
        if a.target.same_chain(&b.target) {
            continue;
        }
        out.push(super::pair_finding(
            analysis,
            view,
            p,
            Code::ConflictingOutcomes,
            "this branch and an earlier one both hold for some cases, with different targets",
            "make the conditions exclusive, or mark the step `first` so that the order decides",
        ));
    }
}
