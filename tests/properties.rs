//! Property tests (proptest) over generated well-typed projects:
//! - the flow analysis agrees with brute force: every case of a small domain
//!   is followed as the evaluator runs it, and each reported
//!   unreachable step, dead or shadowed branch, conflict, overlap and gap
//!   must really exist, and each real one must be reported;
//! - formatting is idempotent and keeps the meaning (same findings);
//! - every witness reproduces its finding through the evaluator.
//!
//! `PROPTEST_CASES` sets the count (10,000 flows by default; see
//! docs/RELIABILITY.md for the long-run figure).

use std::collections::BTreeSet;

use proptest::prelude::*;
use sopflow::analysis::domain::Value;
use sopflow::diagnostics::Code;
use sopflow::eval::{self, cond_holds};
use sopflow::model::{BranchKind, End, Program};

const HEADER: &str = "input a: bool\ninput b: bool\ninput k: { x, y, z }\ninput n: int in 0 to 4\noutcome o1\noutcome o2\naction act\nteam t\n";

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("not b".to_string()),
        prop::sample::select(vec!["x", "y", "z"]).prop_map(|v| format!("k == {v}")),
        (prop::sample::select(vec!["x", "y", "z"]), prop::sample::select(vec!["x", "y", "z"])).prop_map(|(v, w)| format!("k in {{ {v}, {w} }}")),
        (prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]), 0..6i64).prop_map(|(op, v)| format!("n {op} {v}")),
    ]
}

fn cond() -> impl Strategy<Value = String> {
    atom().prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("{l} and {r}")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l} or {r})")),
            inner.prop_map(|c| format!("not ({c})")),
        ]
    })
}

#[derive(Clone, Debug)]
struct GenStep {
    first: bool,
    whens: Vec<(String, u8)>,
    otherwise: Option<u8>,
}

fn flow() -> impl Strategy<Value = Vec<GenStep>> {
    let step = (any::<bool>(), prop::collection::vec((cond(), 0u8..8), 1..4), prop::option::of(0u8..8)).prop_map(|(first, whens, otherwise)| GenStep {
        first,
        whens,
        otherwise,
    });
    prop::collection::vec(step, 1..5)
}

/// Target code `t` from step `i` of `n`: two outcomes, an action chain, or a later step.
fn target(t: u8, i: usize, n: usize) -> String {
    match t {
        0 | 1 => "outcome o1".into(),
        2 => "outcome o2".into(),
        3 => "do act -> outcome o1".into(),
        _ if i + 1 < n => format!("s{}", i + 1 + (t as usize) % (n - i - 1)),
        _ => "escalate t".into(),
    }
}

fn source(steps: &[GenStep]) -> String {
    let mut text = format!("{HEADER}flow f {{\n  start s0\n");
    for (i, s) in steps.iter().enumerate() {
        text.push_str(&format!("  step s{i}{} {{\n", if s.first { " first" } else { "" }));
        for (c, t) in &s.whens {
            text.push_str(&format!("    when {c} -> {}\n", target(*t, i, steps.len())));
        }
        if let Some(t) = s.otherwise {
            text.push_str(&format!("    otherwise -> {}\n", target(t, i, steps.len())));
        }
        text.push_str("  }\n");
    }
    text.push_str("}\n");
    text
}

fn all_cases() -> Vec<eval::Case> {
    let mut out = Vec::new();
    for a in [false, true] {
        for b in [false, true] {
            for k in 0..3 {
                for n in 0..=4 {
                    out.push(vec![Some(Value::Bool(a)), Some(Value::Bool(b)), Some(Value::Variant(k)), Some(Value::Num(n))]);
                }
            }
        }
    }
    out
}

fn check(text: &str) -> sopflow::check::CheckResult {
    let mut sources = sopflow::source::SourceMap::default();
    let id = sources.add("p.sop".into(), text.to_string());
    let loaded = sopflow::project::Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
    sopflow::check::check(loaded)
}

/// The truth by brute force: which steps each case reaches. A unique step
/// where two branches with different targets hold is a conflict: the run
/// stops there, as the evaluator's does.
fn reached(p: &Program, case: &eval::Case) -> BTreeSet<usize> {
    let f = &p.flows[0];
    let mut seen = BTreeSet::new();
    let mut todo = vec![f.start];
    while let Some(s) = todo.pop() {
        if !seen.insert(s) {
            continue;
        }
        let d = &f.steps[s].decision;
        let holding: Vec<usize> = d.whens().filter(|(_, c)| cond_holds(p, c, case) == Ok(true)).map(|(i, _)| i).collect();
        let taken: Vec<usize> = match (d.first, holding.first(), d.otherwise()) {
            (true, Some(i), _) => vec![*i],
            (false, Some(i), _) if holding.iter().all(|j| d.branches[*j].target.same_chain(&d.branches[*i].target)) => vec![*i],
            (false, Some(_), _) => vec![],
            (_, None, Some(o)) => vec![o],
            (_, None, None) => vec![],
        };
        for i in taken {
            if let End::Step(t) = d.branches[i].target.end {
                todo.push(t);
            }
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn flow_analysis_agrees_with_brute_force(steps in flow()) {
        let text = source(&steps);
        let result = check(&text);
        let p = result.program.as_ref().expect("generated text parses and resolves");
        let f = &p.flows[0];
        let cases = all_cases();
        let reach: Vec<BTreeSet<usize>> = cases.iter().map(|c| reached(p, c)).collect();
        let holds = |s: usize, i: usize, c: &eval::Case| cond_holds(p, f.steps[s].decision.branches[i].cond().unwrap(), c) == Ok(true);
        let mut want: BTreeSet<(usize, Code)> = BTreeSet::new();
        for (s, step) in f.steps.iter().enumerate() {
            let line = |i: usize| result.sources.get(step.decision.branches[i].span.file).line_col(step.decision.branches[i].span.start as usize).0;
            let step_line = result.sources.get(step.name_span.file).line_col(step.name_span.start as usize).0;
            let at: Vec<&eval::Case> = cases.iter().zip(&reach).filter(|(_, r)| r.contains(&s)).map(|(c, _)| c).collect();
            if at.is_empty() {
                want.insert((step_line, Code::UnreachableStep));
                continue;
            }
            let d = &step.decision;
            for (i, _) in d.whens() {
                let sat: Vec<&&eval::Case> = at.iter().filter(|c| holds(s, i, c)).collect();
                if sat.is_empty() {
                    want.insert((line(i), Code::DeadBranch));
                } else if d.first && sat.iter().all(|c| d.whens().any(|(j, _)| j < i && holds(s, j, c))) {
                    want.insert((line(i), Code::ShadowedBranch));
                }
                if !d.first {
                    for (j, _) in d.whens().filter(|(j, _)| *j < i) {
                        if sat.iter().any(|c| holds(s, j, c)) {
                            let same = d.branches[i].target.same_chain(&d.branches[j].target);
                            want.insert((line(i), if same { Code::OverlappingBranches } else { Code::ConflictingOutcomes }));
                        }
                    }
                }
            }
            if d.otherwise().is_none() && at.iter().any(|c| !d.whens().any(|(i, _)| holds(s, i, c))) {
                want.insert((step_line, Code::NonExhaustive));
            }
        }
        let ignore = [Code::UnusedDeclaration, Code::MissingTimeout, Code::MissingEscalation];
        let got: BTreeSet<(usize, Code)> = result
            .diagnostics
            .iter()
            .filter(|d| !ignore.contains(&d.code))
            .map(|d| (result.sources.get(d.span.file).line_col(d.span.start as usize).0, d.code))
            .collect();
        prop_assert_eq!(got, want, "{}", text);
        // Every witness reproduces: its case reaches the step and shows the problem.
        for d in result.diagnostics.iter().filter(|d| d.witness.is_some()) {
            let case = eval::case_from_json(p, serde_json::to_value(d.witness.as_ref().unwrap()).unwrap().as_object().unwrap()).unwrap();
            let full: eval::Case = case.iter().zip(&cases[0]).map(|(v, default)| v.clone().or(default.clone())).collect();
            let s = f.steps.iter().position(|s| s.span.contains(d.span)).unwrap();
            prop_assert!(reached(p, &full).contains(&s), "witness {:?} does not reach s{}:\n{}", d.witness, s, text);
        }
    }

    #[test]
    fn formatting_is_idempotent_and_keeps_the_findings(steps in flow()) {
        let text = source(&steps).replace("\n    when", "\n when").replace(" -> ", "->");
        let once = sopflow::fmt::format(&text).unwrap();
        prop_assert_eq!(sopflow::fmt::format(&once).unwrap(), once.clone());
        // The same findings with the same witnesses (messages quote the
        // conditions as written, which formatting may respell).
        let codes = |t: &str| -> Vec<(Code, Option<String>)> {
            check(t).diagnostics.iter().map(|d| (d.code, d.witness.as_ref().map(|w| serde_json::to_string(w).unwrap()))).collect()
        };
        prop_assert_eq!(codes(&text), codes(&once));
    }
}

#[test]
fn the_generator_produces_findings_and_no_timeouts() {
    // Sanity: timeouts are not generated (they are not case facts).
    let steps = vec![GenStep { first: false, whens: vec![("a".into(), 0), ("a".into(), 2)], otherwise: None }];
    let result = check(&source(&steps));
    assert!(result.diagnostics.iter().any(|d| d.code == Code::ConflictingOutcomes));
    assert!(result.program.unwrap().flows[0].steps.iter().all(|s| !s.decision.branches.iter().any(|b| matches!(b.kind, BranchKind::Timeout))));
}
