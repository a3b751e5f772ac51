//! `missing-timeout`: a step with a time limit and no route for when it passes.

use crate::analysis::{Analysis, FlowFacts};
use crate::diagnostics::{Code, Diagnostic};

pub const DOC: &str = "# missing-timeout (warning)

## What it finds
A step with `within DURATION` that has no `timeout -> TARGET` route.

## Why it matters
The time limit is usually an SLA promised to users or regulators. Without a
timeout route nobody says what happens when it is missed, so late cases sit in
a queue with no escalation.

## Example
```sop
input flagged: bool
outcome approve
outcome remove

flow f {
  start review
  step review within 24h {   // expect: missing-timeout
    when flagged -> outcome remove
    otherwise    -> outcome approve
  }
}
```

## Fix
Add the route taken when the time runs out, e.g. `timeout -> escalate trust_safety_leads`.
";

pub fn check(analysis: &Analysis<'_>, facts: &FlowFacts, out: &mut Vec<Diagnostic>) {
    let flow = &analysis.program.flows[facts.flow];
    for (s, step) in flow.steps.iter().enumerate() {
        // An unreachable step gets `unreachable-step` only.
        let reachable = facts.structural[s] && !facts.reach[s].is_empty();
        // `within 0s` declares an automatic step: nothing to time out.
        if reachable && step.within_seconds.is_some_and(|s| s > 0) && step.decision.timeout().is_none() {
            out.push(
                Diagnostic::new(Code::MissingTimeout, step.name_span, format!("step `{}` has a time limit but no `timeout` route", step.name))
                    .with_help("add `timeout -> TARGET` as the last branch, e.g. `timeout -> escalate TEAM`"),
            );
        }
    }
}
