//! A witness is only a witness if running it shows the problem. For every
//! witness that the fixtures, the conformance cases and the example policies
//! produce, this runs the case through the evaluator (independent of the
//! analysis) and checks that it reproduces the finding.

mod common;

use std::path::{Path, PathBuf};

use sopflow::check::CheckResult;
use sopflow::diagnostics::{Code, Diagnostic};
use sopflow::eval::{self, End, Where};
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

fn run(p: &Program, flow: Option<usize>, at: Where, case: &eval::Case, timeouts: &[usize]) -> eval::Run {
    match (flow, at) {
        (Some(f), _) => eval::run_flow_timed(p, f, case, timeouts),
        (None, Where::Table(t)) => eval::run_table(p, t, case),
        _ => unreachable!(),
    }
}

/// Whether a condition holds for the witness alone (a missing input fails).
fn holds(p: &Program, c: &model::Cond, case: &eval::Case) -> Result<bool, String> {
    eval::cond_holds(p, c, case).map_err(|i| format!("the witness lacks `{}`, which the finding's condition names", p.inputs[i].name))
}

fn names(p: &Program, flow: usize, path: &[usize]) -> Vec<String> {
    path.iter().map(|s| p.flows[flow].steps[*s].name.clone()).collect()
}

/// Checks one witness as section 10 of the contract asks: `eval` of the
/// witness alone (its timeouts included) follows the reported path to the
/// reported place, and every condition the finding names holds for it (for
/// `non-exhaustive`, none holds). `Err` says how it fails.
pub fn reproduces(p: &Program, d: &Diagnostic) -> Result<(), String> {
    let w = &common::witness_json(d);
    let case = eval::case_from_json(p, w).map_err(|e| e.join("; "))?;
    let places = locate(p, d.span);
    let mut last = String::from("no decision at the finding's span");
    for place in &places {
        let verdict = (|| -> Result<(), String> {
            let dec = decision(p, place);
            // The runs to look at: through the place's flow, or (for a
            // table finding with a route) through the flows that delegate.
            let flows: Vec<Option<usize>> = match (place.flow, &d.path) {
                (Some(f), _) => vec![Some(f)],
                (None, Some(_)) => (0..p.flows.len()).filter(|f| p.flows[*f].ok).map(Some).collect(),
                (None, None) => vec![None],
            };
            let mut runs = Vec::new();
            for flow in flows {
                let timeouts = eval::timeouts_from_json(p, flow, w).map_err(|e| e.join("; "))?;
                let r = match flow {
                    Some(f) => eval::run_flow_timed(p, f, &case, &timeouts),
                    None => run(p, None, place.at, &case, &timeouts),
                };
                if let (Some(f), Some(path)) = (flow, &d.path) {
                    // The run follows the reported path to the reported place
                    // (and goes on from there for a shadowed or overlapping branch).
                    let got = names(p, f, &r.path);
                    if !got.starts_with(path) {
                        if place.flow.is_some() {
                            return Err(format!("the run's path {got:?} is not the reported {path:?} (ended {:?})", r.end));
                        }
                        continue;
                    }
                }
                if flow.is_some() && d.path.is_none() {
                    return Err("a finding in a flow has no path".into());
                }
                runs.push(r);
            }
            let r = runs.first().ok_or("no run follows the reported path")?;
            let cond = |i: usize| dec.branches[i].cond().ok_or_else(|| format!("branch {i} has no condition"));
            match d.code {
                Code::ConflictingOutcomes | Code::OverlappingBranches => {
                    let i = place.branch.ok_or("not at a branch")?;
                    let j = dec.branches.iter().position(|b| b.span == d.labels[0].span).ok_or("no earlier branch labelled")?;
                    for k in [j, i] {
                        if !holds(p, cond(k)?, &case)? {
                            return Err(format!("branch {k} does not hold"));
                        }
                    }
                    let reached = r.taken.iter().any(|(w, _)| *w == place.at) || matches!(r.end, End::Conflict { decision, .. } if decision == place.at);
                    if d.code == Code::ConflictingOutcomes && !matches!(r.end, End::Conflict { decision, .. } if decision == place.at) {
                        return Err(format!("run ended {:?}", r.end));
                    }
                    if !reached {
                        return Err(format!("the run does not reach the decision (ended {:?})", r.end));
                    }
                    Ok(())
                }
                Code::NonExhaustive => {
                    if !matches!(r.end, End::FallThrough { decision } if decision == place.at) {
                        return Err(format!("run ended {:?}", r.end));
                    }
                    for (k, c) in dec.whens() {
                        if holds(p, c, &case)? {
                            return Err(format!("branch {k} holds"));
                        }
                    }
                    Ok(())
                }
                Code::ShadowedBranch => {
                    let i = place.branch.ok_or("not at a branch")?;
                    if !holds(p, cond(i)?, &case)? {
                        return Err("the shadowed branch does not hold".into());
                    }
                    if !r.taken.iter().any(|(w, k)| *w == place.at && *k < i) {
                        return Err(format!("no earlier branch took it (ended {:?})", r.end));
                    }
                    Ok(())
                }
                Code::MissingEscalation => {
                    let (req, rule) = required(p, d);
                    if let Some(rule) = rule {
                        if !holds(p, rule, &case)? {
                            return Err("the rule's condition does not hold".into());
                        }
                    }
                    let ok = runs.iter().any(|r| {
                        let target = match r.end {
                            End::Outcome { target, .. } | End::Escalated { target, .. } => target,
                            _ => return false,
                        };
                        let escalated = r.escalations.iter().any(|t| req == Requirement::Any || req == Requirement::Team(*t));
                        target == d.span && !escalated
                    });
                    if ok {
                        Ok(())
                    } else {
                        Err(format!("no run reaches the target without the escalation ({:?})", r.end))
                    }
                }
                Code::SlaExceeded => {
                    let target = p.resolutions.iter().find(|r| r.span == d.labels[0].span).ok_or("no target at the label")?;
                    if let Some(c) = &target.cond {
                        if !holds(p, c, &case)? {
                            return Err("the target's condition does not hold".into());
                        }
                    }
                    let over = runs.iter().any(|r| {
                        let end = match r.end {
                            End::Outcome { target, .. } | End::Escalated { target, .. } => target,
                            _ => return false,
                        };
                        let time = sopflow::lints::sla_exceeded::run_time(p, target.flow, &r.path, &r.escalations);
                        end == d.span && time.is_none_or(|t| t > target.seconds)
                    });
                    if over {
                        Ok(())
                    } else {
                        Err(format!("no run ends there over the target ({:?})", r.end))
                    }
                }
                other => Err(format!("unexpected witness on {other}")),
            }
        })();
        match verdict {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The requirement a missing-escalation finding is about, from its label,
/// and the rule's condition for a `require … when` rule.
fn required<'p>(p: &'p Program, d: &Diagnostic) -> (Requirement, Option<&'p model::Cond>) {
    let label = d.labels[0].span;
    if let Some(o) = p.outcomes.iter().find(|o| o.span == label) {
        return (o.requires.unwrap(), None);
    }
    let rule = p.requires.iter().find(|r| r.span == label).expect("label is an outcome or a rule");
    (Requirement::Team(rule.team), Some(&rule.cond))
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
    let suite = Path::new("tests/conformance");
    let (checked, failures) = check_all(&common::cases(suite));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 9, "only {checked} witnesses checked");
}

#[test]
fn witnesses_hold_only_inputs_the_run_reads() {
    for case in common::cases(Path::new("tests/fixtures")) {
        let result = common::check_path(&case);
        let Some(program) = &result.program else { continue };
        for d in result.diagnostics.iter().filter(|d| d.witness.is_some() && d.path.is_some()) {
            // A partial case (only the witness) must run without a missing input.
            let case = eval::case_from_json(program, &common::witness_json(d)).unwrap();
            for place in locate(program, d.span).iter().filter(|p| p.flow.is_some()) {
                let timeouts = eval::timeouts_from_json(program, place.flow, &common::witness_json(d)).unwrap();
                let r = run(program, place.flow, place.at, &case, &timeouts);
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
    let suite = Path::new("tests/conformance");
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
                    let team = match required(program, d).0 {
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

use common::Lcg;

fn atom(rng: &mut Lcg) -> String {
    match rng.next(8) {
        0 => "a".into(),
        1 => "not b".into(),
        2 => format!("k == {}", ["x", "y", "z"][rng.next(3) as usize]),
        3 => format!("k in {{ {}, {} }}", ["x", "y", "z"][rng.next(3) as usize], ["x", "y", "z"][rng.next(3) as usize]),
        4 => format!("n {} {}", ["<", "<=", ">", ">=", "==", "!="][rng.next(6) as usize], rng.next(7)),
        5 => format!("n not in {{ {}, {} }}", rng.next(6), rng.next(6)),
        6 => "c".into(),
        _ => "b".into(),
    }
}

fn cond(rng: &mut Lcg, depth: u32) -> String {
    if depth == 0 || rng.next(3) == 0 {
        return atom(rng);
    }
    match rng.next(3) {
        0 => format!("{} and {}", cond(rng, depth - 1), cond(rng, depth - 1)),
        1 => format!("({} or {})", cond(rng, depth - 1), cond(rng, depth - 1)),
        _ => format!("not ({})", cond(rng, depth - 1)),
    }
}

/// A target for a branch of step `i` of `steps` (later steps only, so the
/// flow is a DAG), or of a table (`i == None`).
fn random_target(rng: &mut Lcg, i: Option<usize>, steps: usize) -> String {
    let later = |rng: &mut Lcg| i.filter(|i| i + 1 < steps).map(|i| format!("s{}", i + 1 + rng.next((steps - i - 1) as u64) as usize));
    match rng.next(9) {
        0..=2 => later(rng).unwrap_or_else(|| "outcome o1".into()),
        3 => "outcome o1".into(),
        4 => "outcome ban".into(),
        5 => "escalate t1 -> outcome ban".into(),
        6 => match later(rng) {
            Some(s) => format!("escalate t2 -> {s}"),
            None => "escalate t2".into(),
        },
        7 if i.is_some() => "table tb".into(),
        _ => "do act -> outcome o1".into(),
    }
}

fn decision_body(rng: &mut Lcg, i: Option<usize>, steps: usize, text: &mut String) {
    for _ in 0..1 + rng.next(4) {
        let depth = rng.next(3) as u32;
        text.push_str(&format!("    when {} -> {}\n", cond(rng, depth), random_target(rng, i, steps)));
    }
    if rng.next(2) == 0 {
        text.push_str(&format!("    otherwise -> {}\n", random_target(rng, i, steps)));
    }
}

/// A random project: a table, a flow of a few steps (some `first`, some
/// with a time limit and a `timeout` route, some reached only through one),
/// an outcome that requires an escalation and a `require … when` rule.
fn random_project(rng: &mut Lcg) -> String {
    let mut text = String::from(
        "input a: bool\ninput b: bool\ninput c: bool\ninput k: { x, y, z }\ninput n: int in 0 to 5\n\
         team t1\nteam t2\naction act\noutcome o1\noutcome ban { severity high requires escalation to t1 }\n",
    );
    if rng.next(2) == 0 {
        text.push_str(&format!("require escalation to t2 when {}\n", cond(rng, 2)));
    }
    text.push_str(&format!("table tb{} {{\n", if rng.next(2) == 0 { " first" } else { "" }));
    decision_body(rng, None, 0, &mut text);
    text.push_str("}\n");
    let steps = 1 + rng.next(5) as usize;
    text.push_str("flow f {\n  start s0\n");
    for i in 0..steps {
        let first = if rng.next(2) == 0 { " first" } else { "" };
        let timed = rng.next(3) == 0;
        text.push_str(&format!("  step s{i}{first}{} {{\n", if timed { " within 24h" } else { "" }));
        decision_body(rng, Some(i), steps, &mut text);
        if timed && rng.next(4) != 0 {
            text.push_str(&format!("    timeout -> {}\n", random_target(rng, Some(i), steps)));
        }
        text.push_str("  }\n");
    }
    text.push_str("}\n");
    text
}

/// Every witness of 10,000 random projects shows its finding on its own:
/// `eval` of the witness (its timeouts included) follows the reported path
/// to the reported place, and every condition the finding names holds.
#[test]
fn every_witness_of_random_projects_shows_its_finding() {
    let mut rng = Lcg(2212);
    let (mut checked, mut timed) = (0, 0);
    let mut failures = Vec::new();
    for round in 0..10_000 {
        let text = random_project(&mut rng);
        let mut sources = sopflow::source::SourceMap::default();
        let id = sources.add("t.sop".into(), text.clone());
        let loaded = sopflow::project::Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
        let result = sopflow::check::check(loaded);
        let program = result.program.as_ref().expect("generated text parses");
        for d in result.diagnostics.iter().filter(|d| d.witness.is_some()) {
            checked += 1;
            timed += usize::from(!d.witness.as_ref().unwrap().timeouts.is_empty());
            if let Err(e) = reproduces(program, d) {
                failures.push(format!("round {round}: {} at {:?}: witness {:?} path {:?}: {e}\n{text}", d.code, d.span, d.witness, d.path));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} witnesses fail; the first:\n{}", failures.len(), failures[..failures.len().min(3)].join("\n"));
    assert!(checked > 10_000 && timed > 300, "the generator should give witnesses ({checked}, {timed} with timeouts)");
}

/// A witness written as a `given` block is a test that passes: each value
/// written as the language writes it (strings quoted, variants bare,
/// durations with their unit), whatever the value looks like.
#[test]
fn a_witness_as_a_given_block_replays_as_a_test() {
    let policy = "enum Kind { fraud, spam }\ninput kind: Kind\ninput note: string\ninput age: duration\ninput n: int in 0 to 9\n\
                  outcome a\noutcome b\n\
                  table t {\n  when note in { \"fraud\", \"x y\" } and kind == spam and age > 24h and n == 3 -> outcome a\n  \
                  when kind == spam -> outcome b\n  otherwise -> outcome a\n}\n";
    let result = common::check_source("w.sop", policy);
    let d = result.diagnostics.iter().find(|d| d.code == Code::ConflictingOutcomes).expect("a conflict");
    let given = sopflow::render::human::given_block(d.witness.as_ref().unwrap());
    for part in ["kind: spam", "age: 86401s", "n: 3"] {
        assert!(given.contains(part), "{given}");
    }
    assert!(given.contains("note: \"fraud\"") || given.contains("note: \"x y\""), "{given}");
    // The block as a test's `given`: both branches hold, so the run is a conflict.
    let test = format!("{policy}test \"replay\" {{\n  run table t\n  {given}\n}}\n");
    let replay = common::check_source("w.sop", &test);
    let program = replay.program.as_ref().expect("the test parses and resolves");
    let results = sopflow::testing::run_tests(program, None);
    let failures = &results[0].failures;
    assert!(failures.iter().all(|f| !f.contains("`given`")), "{failures:?}");
    assert!(matches!(results[0].run.as_ref().map(|r| &r.end), Some(End::Conflict { .. })), "{given}: {:?}", results[0].run.as_ref().map(|r| &r.end));
}
