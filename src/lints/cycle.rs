//! `cycle`: a flow that can come back to a step it has passed.

use crate::analysis::{Analysis, FlowFacts};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::End;

pub const DOC: &str = "# cycle (error)

## What it finds
A route through a flow that comes back to a step it has already passed.

## Why it matters
Inputs are the facts of a case and do not change during a run, so a loop can
never make progress: a case that enters it is stuck forever, and no moderator
ever sees a decision.

## Example
```sop
input docs.complete: bool
input docs.valid: bool
outcome approve
outcome reject

flow documents {
  start collect
  step collect {
    when docs.complete -> verify
    otherwise          -> outcome reject
  }
  step verify {
    when docs.valid -> outcome approve
    otherwise       -> collect          // expect: cycle
  }
}
```

## Fix
Route the repeated work to a new step or an outcome (`outcome request_documents`)
and let a new case start the flow again when the seller answers.
";

/// Reports the back edges of a depth-first walk from `start`, then from every
/// step not yet visited, branches in source order. Returns whether the flow
/// has a cycle (it then gets no further analysis).
pub fn check(analysis: &Analysis<'_>, facts: &FlowFacts, out: &mut Vec<Diagnostic>) -> bool {
    if facts.order.is_some() {
        return false;
    }
    let flow = &analysis.program.flows[facts.flow];
    let n = flow.steps.len();
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    let roots = std::iter::once(flow.start).chain(0..n);
    for root in roots {
        if state[root] != 0 {
            continue;
        }
        // Stack of (step, next branch index).
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (s, ref mut next)) = stack.last_mut() {
            let branches = &flow.steps[s].decision.branches;
            if *next >= branches.len() {
                state[s] = 2;
                stack.pop();
                continue;
            }
            let b = &branches[*next];
            *next += 1;
            let End::Step(t) = b.target.end else { continue };
            match state[t] {
                0 => {
                    state[t] = 1;
                    stack.push((t, 0));
                }
                1 => {
                    let from = stack.iter().position(|(x, _)| *x == t).unwrap_or(0);
                    let names: Vec<&str> = stack[from..].iter().map(|(x, _)| flow.steps[*x].name.as_str()).collect();
                    let mut d = Diagnostic::new(
                        Code::Cycle,
                        b.target.end_span,
                        format!("`-> {}` closes a cycle: {} → {}", flow.steps[t].name, names.join(" → "), flow.steps[t].name),
                    )
                    .with_help("inputs do not change during a run, so a case in this loop never leaves it; route to an outcome or a new step");
                    for (x, _) in &stack[from..] {
                        d = d.with_label(flow.steps[*x].name_span, format!("step `{}` is part of the cycle", flow.steps[*x].name));
                    }
                    d.path = Some(names.iter().map(|s| s.to_string()).collect());
                    out.push(d);
                }
                _ => {}
            }
        }
    }
    true
}
