//! Output of `sopflow eval` (one case or a batch) and `sopflow test`
//! (results and coverage).

use serde::Serialize;

use crate::diagnostics::{Code, Diagnostic, Level};
use crate::eval::{self, End, Run};
use crate::model::{Program, RunTarget};
use crate::source::SourceMap;
use crate::testing::{self, Coverage, TestResult};

/// One evaluation as JSON.
#[derive(Serialize)]
pub struct EvalJson {
    /// `outcome`, `escalated`, `conflict`, `fall_through`, `missing_input`, `cycle` or `invalid_case`.
    pub result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub path: Vec<String>,
    pub tables: Vec<String>,
    pub escalations: Vec<String>,
    pub actions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<ExplainJson>>,
    /// With `--explain`, for a flow: the worst-case time so far after each
    /// step of the path, then with the escalations' SLAs (the time model of
    /// `sla-exceeded`); `"no bound"` past a step without `within`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub times: Option<Vec<TimeJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst_case: Option<String>,
}

/// The worst-case time so far, after a step.
#[derive(Serialize)]
pub struct TimeJson {
    pub step: String,
    pub time: String,
}

#[derive(Serialize)]
pub struct ExplainJson {
    pub condition: String,
    pub value: bool,
    pub file: String,
    pub line: usize,
    pub column: usize,
}

pub fn eval_json(program: &Program, target: RunTarget, r: &Run, sources: Option<&SourceMap>) -> EvalJson {
    let flow = eval::flow_of(target);
    let (result, outcome, team, error) = match &r.end {
        End::Outcome { outcome, .. } => ("outcome", Some(program.outcomes[*outcome].name.clone()), None, None),
        End::Escalated { team, .. } => ("escalated", None, Some(program.teams[*team].name.clone()), None),
        End::Conflict { .. } => ("conflict", None, None, Some(testing::describe_end(program, flow, &r.end))),
        End::FallThrough { .. } => ("fall_through", None, None, Some(testing::describe_end(program, flow, &r.end))),
        End::Missing { .. } => ("missing_input", None, None, Some(testing::describe_end(program, flow, &r.end))),
        End::Cycle { .. } => ("cycle", None, None, Some(testing::describe_end(program, flow, &r.end))),
    };
    EvalJson {
        result,
        outcome,
        team,
        path: flow.map_or_else(Vec::new, |f| r.path.iter().map(|s| program.flows[f].steps[*s].name.clone()).collect()),
        tables: r.tables.iter().map(|t| program.tables[*t].name.clone()).collect(),
        escalations: r.escalations.iter().map(|t| program.teams[*t].name.clone()).collect(),
        actions: r.actions.iter().map(|a| program.actions[*a].name.clone()).collect(),
        error,
        explain: sources.map(|sources| {
            r.trace
                .iter()
                .map(|(span, value)| {
                    let file = sources.get(span.file);
                    let (line, column) = file.line_col(span.start as usize);
                    ExplainJson { condition: sources.text(*span).to_string(), value: *value, file: file.path.clone(), line, column }
                })
                .collect()
        }),
        times: sources.and(flow).map(|f| {
            (1..=r.path.len())
                .map(|k| TimeJson {
                    step: program.flows[f].steps[r.path[k - 1]].name.clone(),
                    time: time_text(crate::lints::sla_exceeded::run_time(program, f, &r.path[..k], &[])),
                })
                .collect()
        }),
        worst_case: sources.and(flow).map(|f| time_text(crate::lints::sla_exceeded::run_time(program, f, &r.path, &r.escalations))),
    }
}

fn time_text(t: Option<i64>) -> String {
    t.map_or_else(|| "no bound".to_string(), crate::source::Duration::format_seconds)
}

fn invalid_case(errors: Vec<String>) -> EvalJson {
    EvalJson {
        result: "invalid_case",
        outcome: None,
        team: None,
        path: vec![],
        tables: vec![],
        escalations: vec![],
        actions: vec![],
        error: Some(errors.join("; ")),
        explain: None,
        times: None,
        worst_case: None,
    }
}

/// Parses and runs one JSON case; an invalid case is a result too.
pub fn eval_text(program: &Program, target: RunTarget, text: &str, sources: Option<&SourceMap>) -> Result<EvalJson, String> {
    Ok(match eval::read_case(program, target, text)? {
        eval::CaseRead::Case(case, timeouts) => eval_json(program, target, &eval::run(program, target, &case, &timeouts), sources),
        eval::CaseRead::Invalid(errors) => invalid_case(errors),
    })
}

/// Whether a result is a successful end (outcome or hand-off).
pub fn succeeded(json: &EvalJson) -> bool {
    matches!(json.result, "outcome" | "escalated")
}

/// The human form of one evaluation.
pub fn eval_human(json: &EvalJson) -> String {
    let mut out = String::new();
    match (json.result, &json.outcome, &json.team) {
        ("outcome", Some(o), _) => out.push_str(&format!("result: outcome `{o}`\n")),
        ("escalated", _, Some(t)) => out.push_str(&format!("result: escalated to `{t}`\n")),
        _ => out.push_str(&format!("result: {}\nerror: {}\n", json.result.replace('_', " "), json.error.as_deref().unwrap_or(""))),
    }
    if !json.path.is_empty() {
        out.push_str(&format!("path: {}\n", json.path.join(" → ")));
    }
    if !json.tables.is_empty() {
        out.push_str(&format!("tables: {}\n", json.tables.join(", ")));
    }
    if !json.escalations.is_empty() {
        out.push_str(&format!("escalations: {}\n", json.escalations.join(", ")));
    }
    if !json.actions.is_empty() {
        out.push_str(&format!("actions: {}\n", json.actions.join(", ")));
    }
    if let Some(explain) = &json.explain {
        out.push_str("explain:\n");
        for e in explain {
            out.push_str(&format!("  {}:{}:{}  {}  → {}\n", e.file, e.line, e.column, e.condition, e.value));
        }
    }
    if let (Some(times), Some(worst)) = (&json.times, &json.worst_case) {
        out.push_str("time (worst case so far):\n");
        for t in times {
            out.push_str(&format!("  {}  {}\n", t.step, t.time));
        }
        out.push_str(&format!("  with escalations' SLAs: {worst}\n"));
    }
    out
}

#[derive(Serialize)]
struct BadLine {
    line: usize,
    result: &'static str,
    error: String,
}

/// One batch result: its line number, then the evaluation.
#[derive(Serialize)]
struct Numbered {
    line: usize,
    #[serde(flatten)]
    json: EvalJson,
}

/// Batch mode with JSON results ([`eval::batch::run`]): one JSON case per
/// line in, one JSON result per line out, each with its `line` number. A
/// line that is not a JSON object is `invalid_line`; a blank line is `blank`
/// (not a failure). Returns the number of lines that did not end in an
/// outcome or hand-off.
pub fn batch(program: &Program, target: RunTarget, input: impl std::io::BufRead, out: &mut impl std::io::Write) -> Result<usize, eval::batch::BatchError> {
    eval::batch::run(input, out, |n, text| batch_line(program, target, n, text))
}

/// One line of a batch as its JSON result, and whether it failed.
fn batch_line(program: &Program, target: RunTarget, n: usize, text: &str) -> (String, bool) {
    let (json, bad) = if text.trim().is_empty() {
        (serde_json::to_string(&BadLine { line: n, result: "blank", error: "blank line".into() }), false)
    } else {
        match eval_text(program, target, text, None) {
            Ok(json) => {
                let bad = !succeeded(&json);
                (serde_json::to_string(&Numbered { line: n, json }), bad)
            }
            Err(error) => (serde_json::to_string(&BadLine { line: n, result: "invalid_line", error }), true),
        }
    };
    (json.expect("results serialize"), bad)
}

/// The human report of a test run (the closing line is [`tests_summary`]).
pub fn tests_human(program: &Program, sources: &SourceMap, results: &[TestResult], color: bool) -> String {
    let mut out = String::new();
    for r in results {
        let test = &program.tests[r.test];
        let file = sources.get(test.span.file);
        let (line, _) = file.line_col(test.span.start as usize);
        let status = if r.passed() { "ok" } else { "FAILED" };
        out.push_str(&format!("test {}:{line} \"{}\" ... {status}\n", file.path, test.name));
    }
    for r in results.iter().filter(|r| !r.passed()) {
        let test = &program.tests[r.test];
        let mut d = Diagnostic::new(Code::SyntaxError, test.name_span, format!("test \"{}\" failed", test.name));
        d.level = Level::Error;
        d.help = Some(r.failures.join("\n"));
        out.push('\n');
        out.push_str(&super::human::render_one(sources, "test-failed", &d, color));
    }
    out
}

/// The closing line of a test run: `N passed, N failed`.
pub fn tests_summary(results: &[TestResult]) -> String {
    let passed = results.iter().filter(|r| r.passed()).count();
    format!("\n{passed} passed, {} failed\n", results.len() - passed)
}

/// The coverage table, then the branches no test takes.
pub fn coverage_human(cov: &Coverage) -> String {
    let mut out = String::from("\ncoverage\n");
    let width = cov.units.iter().map(|u| u.name.len() + u.kind.len() + 1).max().unwrap_or(0).max("flow or table".len());
    out.push_str(&format!("  {:<width$}  {:>9}  {:>9}\n", "flow or table", "steps", "branches"));
    for u in &cov.units {
        let steps = if u.kind == "flow" { format!("{}/{}", u.steps_taken, u.steps_total) } else { "-".into() };
        let name = format!("{} {}", u.kind, u.name);
        out.push_str(&format!("  {name:<width$}  {steps:>9}  {:>9}\n", format!("{}/{}", u.branches_taken, u.branches_total)));
    }
    let pct = if cov.branches_total == 0 { 100.0 } else { 100.0 * cov.branches_taken as f64 / cov.branches_total as f64 };
    out.push_str(&format!("  branches taken: {}/{} ({pct:.0}%), timeout routes included\n", cov.branches_taken, cov.branches_total));
    let untaken: Vec<_> = cov.units.iter().flat_map(|u| u.untaken.iter().map(move |b| (u, b))).collect();
    if !untaken.is_empty() {
        out.push_str("\nbranches no test takes:\n");
        for (u, b) in untaken {
            let place = match &b.step {
                Some(s) => format!("{} {}, step {s}", u.kind, u.name),
                None => format!("{} {}", u.kind, u.name),
            };
            out.push_str(&format!("  {}:{}:{}  {place}: {}\n", u.file, b.line, b.column, b.branch));
        }
    }
    out
}
