//! `analysis-incomplete`: a flow or table where the solver's budget ran out
//! before every question of the lints was decided.

use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;

pub const DOC: &str = "# analysis-incomplete (note)

## What it finds
A flow or table where some question a lint asks (can these two branches hold
together? does some case match no branch?) was not decided within the
analysis budget. The finding names the flow or table and what was left
undecided. Nothing is reported for an undecided question: no false finding,
and no silent pass either.

## Why it matters
The cube sets decide realistic policies at once; tables with dozens of
inputs combined in many ways can need a SAT solver, which works within a
budget of conflicts per flow or table. The budget is counted in solver
conflicts, not seconds, so a project gets the same report on every machine.
A note does not change the exit code; `sopflow check --deny-incomplete`
makes it fail.

## Example
```sop
// sopflow.toml: [analysis] budget = 0
input a0: bool
input b0: bool
input a1: bool
input b1: bool
input a2: bool
input b2: bool
input a3: bool
input b3: bool
input a4: bool
input b4: bool
input a5: bool
input b5: bool
input a6: bool
input b6: bool
input a7: bool
input b7: bool
input a8: bool
input b8: bool
input a9: bool
input b9: bool
outcome x
outcome y

// Ten pairs: the first condition is 1,024 cubes, beyond the exact bound.
table pairs {   // expect: analysis-incomplete
  when (a0 or b0) and (a1 or b1) and (a2 or b2) and (a3 or b3) and (a4 or b4) and (a5 or b5) and (a6 or b6) and (a7 or b7) and (a8 or b8) and (a9 or b9) -> outcome x
  when not ((a0 or b0) and (a1 or b1) and (a2 or b2) and (a3 or b3) and (a4 or b4) and (a5 or b5) and (a6 or b6) and (a7 or b7) and (a8 or b8) and (a9 or b9)) -> outcome y
}
```

## Fix
Raise the budget in `sopflow.toml` (`[analysis] budget = 1000000`; `0`
leaves the solver out, so that only what the cube sets decide is decided),
or split the table: decisions over fewer inputs at a time are easier to
check and to read.
";

/// One note per flow or table with undecided questions (`item` names it:
/// `flow NAME` or `table NAME`).
pub fn finding(item: &str, span: Span, undecided: &[String], budget: u64) -> Diagnostic {
    let shown: Vec<&str> = undecided.iter().take(3).map(String::as_str).collect();
    let more = if undecided.len() > shown.len() { format!("; and {} more", undecided.len() - shown.len()) } else { String::new() };
    Diagnostic::new(
        Code::AnalysisIncomplete,
        span,
        format!(
            "the analysis of {item} left {} question{} undecided within its budget of {budget} solver conflicts: {}{more}",
            undecided.len(),
            if undecided.len() == 1 { "" } else { "s" },
            shown.join("; ")
        ),
    )
    .with_help("raise `[analysis] budget` in sopflow.toml, or split the decision into smaller ones")
}
