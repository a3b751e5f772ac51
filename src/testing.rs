//! `sopflow test`: runs the `test` blocks of a project through the evaluator
//! and measures which steps and branches they take (coverage).

use serde::Serialize;

use crate::ast::{Literal, LiteralKind};
use crate::eval::{self, End, Run, Where};
use crate::model::*;
use crate::source::{SourceMap, Span};

/// The result of one test.
#[derive(Debug)]
pub struct TestResult {
    /// Index into `Program::tests`.
    pub test: usize,
    /// Empty when the test passed.
    pub failures: Vec<String>,
    /// The run, when the test could run.
    pub run: Option<Run>,
    /// How long the test took, in seconds.
    pub seconds: f64,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A `given` literal as it is written, for [`Program::typed_value`].
pub fn raw_literal(lit: &Literal) -> crate::model::Raw<'_> {
    use crate::model::Raw;
    match &lit.kind {
        LiteralKind::Bool(b) => Raw::Bool(*b),
        LiteralKind::Int(n) => Raw::Int(*n),
        LiteralKind::Duration(d) => Raw::Duration(d.as_ref().map(|d| d.seconds)),
        LiteralKind::Name(n) => Raw::Name(n),
        LiteralKind::Str(s) => Raw::Str(s),
    }
}

/// Describes how a run ended, in words.
pub fn describe_end(program: &Program, flow: Option<FlowId>, end: &End) -> String {
    let at = |w: &Where| match (w, flow) {
        (Where::Step(s), Some(f)) => format!("step `{}`", program.flows[f].steps[*s].name),
        (Where::Table(t), _) => format!("table `{}`", program.tables[*t].name),
        _ => "a step".into(),
    };
    match end {
        End::Outcome { outcome, .. } => format!("outcome `{}`", program.outcomes[*outcome].name),
        End::Escalated { team, .. } => format!("escalate `{}`", program.teams[*team].name),
        End::Conflict { decision, first, second } => {
            let d = match (decision, flow) {
                (Where::Step(s), Some(f)) => &program.flows[f].steps[*s].decision,
                (Where::Table(t), _) => &program.tables[*t].decision,
                _ => return "a conflict".into(),
            };
            let cond = |i: usize| d.branches[i].cond_text.clone().unwrap_or_default();
            format!(
                "a conflict in {}: branch {} (`{}`) and branch {} (`{}`) both hold, with different targets",
                at(decision),
                first + 1,
                cond(*first),
                second + 1,
                cond(*second)
            )
        }
        End::FallThrough { decision } => format!("no branch of {} holds and it has no `otherwise`", at(decision)),
        End::Missing { input } => format!("the run needs input `{}`, which the case does not give", program.inputs[*input].name),
        End::Cycle { step } => format!("a cycle back to step `{}`", flow.map_or(String::new(), |f| program.flows[f].steps[*step].name.clone())),
    }
}

/// Runs every test whose name contains `filter` (all without a filter).
pub fn run_tests(program: &Program, filter: Option<&str>) -> Vec<TestResult> {
    program
        .tests
        .iter()
        .enumerate()
        .filter(|(_, t)| filter.is_none_or(|f| t.name.contains(f)))
        .map(|(i, t)| {
            let clock = std::time::Instant::now();
            let (failures, run) = run_test(program, t);
            TestResult { test: i, failures, run, seconds: clock.elapsed().as_secs_f64() }
        })
        .collect()
}

/// A test's failures, and its run when it could run.
fn run_test(program: &Program, test: &Test) -> (Vec<String>, Option<Run>) {
    let mut failures = Vec::new();
    let mut case: eval::Case = vec![None; program.inputs.len()];
    for given in &test.given {
        match &given.value {
            Ok((id, v)) => case[*id] = Some(v.clone()),
            Err(e) => failures.push(format!("`given`: {e}")),
        }
    }
    let Some(run_target) = test.run else {
        failures.push("the flow or table to run is not defined".into());
        return (failures, None);
    };
    let (flow, ok) = match run_target {
        RunTarget::Flow(f) => (Some(f), program.flows[f].ok),
        RunTarget::Table(t) => (None, program.tables[t].ok),
    };
    if !ok {
        failures.push("the flow or table under test has errors; run `sopflow check`".into());
        return (failures, None);
    }
    let timeouts = match run_target {
        RunTarget::Flow(f) => {
            let names: Vec<Option<&str>> = test.timeouts.iter().map(|(n, _)| Some(n.as_str())).collect();
            eval::timeouts_by_name(program, f, &names).unwrap_or_else(|errors| {
                failures.extend(errors.into_iter().map(|e| format!("`timeout`: {e}")));
                Vec::new()
            })
        }
        RunTarget::Table(_) if !test.timeouts.is_empty() => {
            failures.push("`timeout` names steps, and a table has none".into());
            Vec::new()
        }
        RunTarget::Table(_) => Vec::new(),
    };
    if !failures.is_empty() {
        return (failures, None);
    }
    let run = crate::eval::run(program, run_target, &case, &timeouts);
    let actual = describe_end(program, flow, &run.end);
    match (&run.end, test.expect_outcome, test.expect_escalate) {
        (End::Outcome { outcome, .. }, Some(want), _) if *outcome == want => {}
        (End::Escalated { team, .. }, _, Some(want)) if *team == want => {}
        (_, Some(want), _) => failures.push(format!("expected outcome `{}`, got {actual}", program.outcomes[want].name)),
        (_, None, Some(want)) => failures.push(format!("expected escalate `{}`, got {actual}", program.teams[want].name)),
        (End::Outcome { .. } | End::Escalated { .. }, None, None) => {}
        (_, None, None) => failures.push(format!("the run ended in {actual}")),
    }
    if let (Some(want), Some(f)) = (&test.expect_path, flow) {
        let got: Vec<&str> = run.path.iter().map(|s| program.flows[f].steps[*s].name.as_str()).collect();
        if got != want.iter().map(String::as_str).collect::<Vec<_>>() {
            failures.push(format!("expected path {}, got {}", want.join(", "), got.join(", ")));
        }
    }
    if let Some(want) = test.expect_within {
        let time = match flow {
            Some(f) => crate::lints::sla_exceeded::run_time(program, f, &run.path, &run.escalations),
            None => crate::lints::sla_exceeded::run_time(program, 0, &[], &run.escalations),
        };
        let show = |t: Option<i64>| t.map_or_else(|| "no bound".to_string(), crate::source::Duration::format_seconds);
        if time.is_none_or(|t| t > want) {
            failures.push(format!("expected the run within {}, its worst case is {}", show(Some(want)), show(time)));
        }
    }
    (failures, Some(run))
}

/// Coverage of one flow or table.
#[derive(Debug, Serialize)]
pub struct UnitCoverage {
    /// `flow` or `table`.
    pub kind: &'static str,
    pub name: String,
    pub file: String,
    pub steps_total: usize,
    pub steps_taken: usize,
    /// `when`, `otherwise` and `timeout` branches (a test takes a timeout
    /// route with `timeout STEP`).
    pub branches_total: usize,
    pub branches_taken: usize,
    /// The `timeout` routes among the branches, and how many tests took.
    pub timeouts: usize,
    pub timeouts_taken: usize,
    pub untaken: Vec<Untaken>,
}

#[derive(Debug, Serialize)]
pub struct Untaken {
    /// The step, for a flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    pub line: usize,
    pub column: usize,
    /// The branch as written: `when COND`, `otherwise`, `timeout`.
    pub branch: String,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Serialize)]
pub struct Coverage {
    pub units: Vec<UnitCoverage>,
    pub branches_total: usize,
    pub branches_taken: usize,
}

/// Which steps and branches the runs took, per flow and table.
pub fn coverage(program: &Program, sources: &SourceMap, results: &[TestResult]) -> Coverage {
    let mut taken_steps: std::collections::HashSet<(FlowId, StepId)> = Default::default();
    let mut taken: std::collections::HashSet<(Option<FlowId>, Where, usize)> = Default::default();
    for r in results {
        let (Some(run), Some(test)) = (&r.run, program.tests.get(r.test)) else { continue };
        let flow = match test.run {
            Some(RunTarget::Flow(f)) => Some(f),
            _ => None,
        };
        for (at, b) in &run.taken {
            let owner = if matches!(at, Where::Table(_)) { None } else { flow };
            taken.insert((owner, *at, *b));
        }
        if let Some(f) = flow {
            taken_steps.extend(run.path.iter().map(|s| (f, *s)));
        }
    }
    let mut units = Vec::new();
    // Each decision of a unit: its step (in a flow), the decision, the flow, where it is.
    type UnitDecision<'p> = (Option<(StepId, &'p str)>, &'p Decision, Option<FlowId>, Where);
    let mut unit = |kind, name: &str, span: Span, steps: Vec<UnitDecision<'_>>| {
        let mut u = UnitCoverage {
            kind,
            name: name.to_string(),
            file: sources.get(span.file).path.clone(),
            steps_total: 0,
            steps_taken: 0,
            branches_total: 0,
            branches_taken: 0,
            timeouts: 0,
            timeouts_taken: 0,
            untaken: vec![],
        };
        for (step, d, flow, at) in steps {
            if let (Some((s, _)), Some(f)) = (step, flow) {
                u.steps_total += 1;
                u.steps_taken += usize::from(taken_steps.contains(&(f, s)));
            }
            for (i, b) in d.branches.iter().enumerate() {
                let timeout = matches!(b.kind, BranchKind::Timeout);
                u.branches_total += 1;
                u.timeouts += usize::from(timeout);
                if taken.contains(&(flow, at, i)) {
                    u.branches_taken += 1;
                    u.timeouts_taken += usize::from(timeout);
                } else {
                    let (line, column) = sources.get(b.span.file).line_col(b.span.start as usize);
                    let branch = b.written();
                    u.untaken.push(Untaken { step: step.map(|(_, n)| n.to_string()), line, column, branch, span: b.span });
                }
            }
        }
        units.push(u);
    };
    for (f, flow) in program.flows.iter().enumerate() {
        let steps = flow.steps.iter().enumerate().map(|(s, st)| (Some((s, st.name.as_str())), &st.decision, Some(f), Where::Step(s))).collect();
        unit("flow", &flow.name, flow.name_span, steps);
    }
    for (t, table) in program.tables.iter().enumerate() {
        unit("table", &table.name, table.name_span, vec![(None, &table.decision, None, Where::Table(t))]);
    }
    let branches_total = units.iter().map(|u| u.branches_total).sum();
    let branches_taken = units.iter().map(|u| u.branches_taken).sum();
    Coverage { units, branches_total, branches_taken }
}
