//! A witness is only a witness if running it shows the problem. For every
//! witness that the fixtures, the conformance cases and the example policies
//! produce, this runs the case through the evaluator (independent of the
//! analysis) and checks that it reproduces the finding.

mod common;

use std::path::{Path, PathBuf};

use sopflow::check::CheckResult;
use sopflow::diagnostics::{Code, Diagnostic};
use sopflow::eval::{self, cond_holds, End, Where};
use sopflow::model::{self, Program, Requirement};
use sopflow::source::Span;

/// Where a finding sits: the flow (if any), the decision and the branch.
struct Place {
    flow: Option<usize>,
    at: Where,
    branch: Option<usize>,
}

fn locate(p: &Program, span: Span) -> Vec<Place> {
    let mut out = Vec::new();
    let mut scan = |flow: Option<usize>, at: Where, name: Span, d: &model::Decision| {
        if name == span {
            out.push(Place { flow, at, branch: None });
        }
        for (i, b) in d.branches.iter().enumerate() {
            if b.span == span || b.target.end_span == span {
                out.push(Place { flow, at, branch: Some(i) });
            }
        }
    };
    for (f, flow) in p.flows.iter().enumerate() {
        for (s, step) in flow.steps.iter().enumerate() {
            scan(Some(f), Where::Step(s), step.name_span, &step.decision);
        }
    }
    for (t, table) in p.tables.iter().enumerate() {
        scan(None, Where::Table(t), table.name_span, &table.decision);
    }
    out
}

fn decision<'p>(p: &'p Program, place: &Place) -> &'p model::Decision {
    match (place.flow, place.at) {
        (Some(f), Where::Step(s)) => &p.flows[f].steps[s].decision,
        (_, Where::Table(t)) => &p.tables[t].decision,
        _ => unreachable!(),
    }
}

fn run(p: &Program, flow: Option<usize>, at: Where, case: &eval::Case) -> eval::Run {
    match (flow, at) {
        (Some(f), _) => eval::run_flow(p, f, case),
        (None, Where::Table(t)) => eval::run_table(p, t, case),
        _ => unreachable!(),
    }
}

/// Checks one witness; `Err` says how it fails to reproduce the finding.
fn reproduces(p: &Program, d: &Diagnostic) -> Result<(), String> {
    let w = d.witness.as_ref().unwrap();
    let case = eval::case_from_json(p, w).map_err(|e| e.join("; "))?;
    let places = locate(p, d.span);
    let mut last = String::from("no decision at the finding's span");
    for place in &places {
        let dec = decision(p, place);
        let r = run(p, place.flow, place.at, &case);
        let verdict = match d.code {
            Code::ConflictingOutcomes => match r.end {
                End::Conflict { decision, .. } if decision == place.at => Ok(()),
                ref other => Err(format!("run ended {other:?}")),
            },
            Code::NonExhaustive => match r.end {
                End::FallThrough { decision } if decision == place.at => Ok(()),
                ref other => Err(format!("run ended {other:?}")),
            },
            Code::OverlappingBranches => {
                let i = place.branch.unwrap();
                let j = dec.branches.iter().position(|b| b.span == d.labels[0].span).unwrap();
                let both = [i, j].iter().all(|k| cond_holds(p, dec.branches[*k].cond().unwrap(), &case) == Ok(true));
                let reached = r.taken.iter().any(|(w, _)| *w == place.at);
                if both && reached { Ok(()) } else { Err(format!("both hold: {both}, reached: {reached}")) }
            }
            Code::ShadowedBranch => {
                let i = place.branch.unwrap();
                let holds = cond_holds(p, dec.branches[i].cond().unwrap(), &case) == Ok(true);
                let earlier = r.taken.iter().any(|(w, k)| *w == place.at && *k < i);
                if holds && earlier { Ok(()) } else { Err(format!("holds: {holds}, an earlier branch took it: {earlier}")) }
            }
            Code::MissingEscalation => {
                // Through a delegating flow when the finding has a route; the
                // table on its own otherwise.
                let runs: Vec<(Option<usize>, eval::Run)> = if d.path.is_some() && place.flow.is_none() {
                    (0..p.flows.len()).filter(|f| p.flows[*f].ok).map(|f| (Some(f), eval::run_flow(p, f, &case))).collect()
                } else {
                    vec![(place.flow, r.clone())]
                };
                let req = required(p, d);
                let ok = runs.iter().any(|(flow, r)| {
                    let target = match r.end {
                        End::Outcome { target, .. } | End::Escalated { target, .. } => target,
                        _ => return false,
                    };
                    let escalated = r.escalations.iter().any(|t| req == Requirement::Any || req == Requirement::Team(*t));
                    let path_ok = match (d.path.as_ref(), flow) {
                        (Some(path), Some(f)) => {
                            let names: Vec<&str> = r.path.iter().map(|s| p.flows[*f].steps[*s].name.as_str()).collect();
                            names == path.iter().map(String::as_str).collect::<Vec<_>>()
                        }
                        (None, _) => true,
                        (Some(_), None) => false,
                    };
                    target == d.span && !escalated && path_ok
                });
                if ok { Ok(()) } else { Err("no run reaches the target without the escalation".into()) }
            }
            other => Err(format!("unexpected witness on {other}")),
        };
        match verdict {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The requirement a missing-escalation finding is about, from its label.
fn required(p: &Program, d: &Diagnostic) -> Requirement {
    let label = d.labels[0].span;
    if let Some(o) = p.outcomes.iter().find(|o| o.span == label) {
        return o.requires.unwrap();
    }
    let rule = p.requires.iter().find(|r| r.span == label).expect("label is an outcome or a rule");
    Requirement::Team(rule.team)
}

fn check_all(cases: &[PathBuf]) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in cases {
        let result: CheckResult = common::check_path(case);
        let Some(program) = &result.program else { continue };
        for d in result.diagnostics.iter().filter(|d| d.witness.is_some()) {
            checked += 1;
            if let Err(e) = reproduces(program, d) {
                failures.push(format!("{} {} at {:?}: witness {:?}: {e}", case.display(), d.code, d.span, d.witness));
            }
        }
    }
    (checked, failures)
}

#[test]
fn fixture_witnesses_reproduce_their_findings() {
    let (checked, failures) = check_all(&common::cases(Path::new("tests/fixtures")));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 10, "only {checked} witnesses checked");
}

#[test]
fn conformance_witnesses_reproduce_their_findings() {
    let suite = Path::new("../shared/conformance/cases");
    if !suite.exists() {
        // The shared suite lives beside the project in CI and on developer
        // machines; a bare checkout elsewhere has nothing to check here.
        return;
    }
    let (checked, failures) = check_all(&common::cases(suite));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 6, "only {checked} witnesses checked");
}

#[test]
fn witnesses_hold_only_inputs_the_run_reads() {
    for case in common::cases(Path::new("tests/fixtures")) {
        let result = common::check_path(&case);
        let Some(program) = &result.program else { continue };
        for d in result.diagnostics.iter().filter(|d| d.witness.is_some() && d.path.is_some()) {
            // A partial case (only the witness) must run without a missing input.
            let case = eval::case_from_json(program, d.witness.as_ref().unwrap()).unwrap();
            for place in locate(program, d.span).iter().filter(|p| p.flow.is_some()) {
                let r = run(program, place.flow, place.at, &case);
                assert!(!matches!(r.end, End::Missing { .. }), "{:?} at {:?}: {:?}", d.code, d.span, r.end);
            }
        }
    }
}

/// The same round trip through the command line: `sopflow eval` on each
/// witness of the conformance suite shows the conflict, the fall-through or
/// the unescalated route.
#[test]
fn eval_command_reproduces_conformance_witnesses() {
    use std::io::Write;
    let suite = Path::new("../shared/conformance/cases");
    if !suite.exists() {
        return;
    }
    let mut checked = 0;
    for case in common::cases(suite) {
        let result = common::check_path(&case);
        let Some(program) = &result.program else { continue };
        for d in result.diagnostics.iter().filter(|d| d.witness.is_some()) {
            let place = locate(program, d.span).into_iter().next().expect("finding sits in a decision");
            let (flag, name) = match (place.flow, place.at) {
                (Some(f), _) => ("--flow", program.flows[f].name.clone()),
                (None, Where::Table(t)) => ("--table", program.tables[t].name.clone()),
                _ => unreachable!(),
            };
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sopflow"))
                .args(["eval", case.to_str().unwrap(), flag, &name, "--case", "-", "--format", "json"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let witness = serde_json::to_string(d.witness.as_ref().unwrap()).unwrap();
            child.stdin.take().unwrap().write_all(witness.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let ok = match d.code {
                Code::ConflictingOutcomes => json["result"] == "conflict",
                Code::NonExhaustive => json["result"] == "fall_through",
                Code::MissingEscalation => {
                    let team = match required(program, d) {
                        Requirement::Team(t) => Some(program.teams[t].name.clone()),
                        Requirement::Any => None,
                    };
                    let escalations = json["escalations"].as_array().unwrap();
                    let escalated = match &team {
                        Some(t) => escalations.iter().any(|e| e == t),
                        None => !escalations.is_empty(),
                    };
                    json["result"] == "outcome" && !escalated && json["path"] == serde_json::json!(d.path)
                }
                _ => json["result"] == "outcome" || json["result"] == "escalated",
            };
            assert!(ok, "{}: {} witness {witness} gave {json}", case.display(), d.code);
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} witnesses checked");
}
