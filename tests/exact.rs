//! Exact at any size: adversarial but plausible decisions whose case sets
//! outgrow the cube bound or defeat the cube search. No false finding (each
//! finding's witness is checked by the evaluator, and for small sizes every
//! case is enumerated), no silent miss (every real gap and shadowed branch is
//! found, or the decision gets an `analysis-incomplete` note).

mod common;

use sopflow::analysis::domain::Value;
use sopflow::check::CheckResult;
use sopflow::diagnostics::Code;
use sopflow::eval::{self, End};

fn check_text(text: &str) -> CheckResult {
    common::check_source("t.sop", text)
}

fn codes(result: &CheckResult) -> Vec<Code> {
    result.diagnostics.iter().map(|d| d.code).collect()
}

use common::Lcg;

/// `(a0 or b0) and … and (a{n-1} or b{n-1})`, with its inputs.
fn cnf(n: usize) -> (String, String) {
    let inputs = (0..n).map(|i| format!("input a{i}: bool\ninput b{i}: bool\n")).collect();
    let cond = (0..n).map(|i| format!("(a{i} or b{i})")).collect::<Vec<_>>().join(" and ");
    (inputs, cond)
}

/// A CNF and its negation hold for no case together and for every case
/// between them: no conflict, overlap, gap or missing escalation, at every
/// size (1,024 cubes from ten pairs on, past the exact bound).
#[test]
fn a_cnf_and_its_negation_give_no_finding_at_any_size() {
    for n in [1, 2, 4, 8, 9, 10, 11, 12, 16, 20, 30] {
        let (inputs, c) = cnf(n);
        let head = format!("{inputs}team legal\noutcome x\noutcome y\noutcome ban {{ severity high requires escalation to legal }}\n");
        let projects = [
            ("a table", format!("{head}table t {{\n  when {c} -> outcome x\n  when not ({c}) -> outcome y\n}}\n")),
            ("a flow step", format!("{head}flow f {{\n  start s\n  step s {{\n    when {c} -> outcome x\n    when not ({c}) -> outcome y\n  }}\n}}\n")),
            ("the same target", format!("{head}table t {{\n  when {c} -> outcome x\n  when not ({c}) -> outcome x\n}}\n")),
            (
                "an escalation after a first step",
                format!("{head}flow f {{\n  start s0\n  step s0 first {{\n    when {c} -> escalate legal -> s1\n    otherwise -> outcome x\n  }}\n  step s1 {{\n    when not ({c}) -> outcome ban\n    otherwise -> outcome y\n  }}\n}}\n"),
            ),
        ];
        for (what, text) in projects {
            let result = check_text(&text);
            let found: Vec<Code> =
                codes(&result).into_iter().filter(|c| ![Code::DeadBranch, Code::UnreachableStep, Code::UnusedDeclaration].contains(c)).collect();
            assert!(found.is_empty(), "{n} pairs, {what}: {:?}", result.diagnostics);
            assert!(result.incomplete.is_empty(), "{n} pairs, {what}: undecided {:?}", result.incomplete);
        }
        // The step after the escalation: its first branch is dead (only CNF
        // cases arrive), which is true; checked by enumeration where small.
        if n <= 6 {
            let (_, text) = (0, format!("{inputs}team legal\noutcome y\noutcome ban {{ requires escalation to legal }}\nflow f {{\n  start s0\n  step s0 first {{\n    when {c} -> escalate legal -> s1\n    otherwise -> outcome y\n  }}\n  step s1 {{\n    when not ({c}) -> outcome ban\n    otherwise -> outcome y\n  }}\n}}\n"));
            let result = check_text(&text);
            assert_eq!(codes(&result), [Code::DeadBranch], "{n} pairs");
        }
    }
}

/// Random tables of three-literal branches over `n` bools.
fn random_table(rng: &mut Lcg, n: usize, branches: usize, first: bool, gap: Option<&[bool]>) -> String {
    let mut text: String = (0..n).map(|i| format!("input v{i}: bool\n")).collect();
    text.push_str(&format!("outcome o0\noutcome o1\ntable t{} {{\n", if first { " first" } else { "" }));
    for b in 0..branches {
        let mut vars: Vec<usize> = Vec::new();
        while vars.len() < 3 {
            let v = rng.next(n as u64) as usize;
            if !vars.contains(&v) {
                vars.push(v);
            }
        }
        let mut signs: Vec<bool> = vars.iter().map(|_| rng.next(2) == 0).collect();
        // A planted gap: each branch fails for it (one literal disagrees).
        if let Some(gap) = gap {
            if vars.iter().zip(&signs).all(|(v, s)| gap[*v] == *s) {
                signs[0] = !signs[0];
            }
        }
        let lits: Vec<String> = vars.iter().zip(&signs).map(|(v, s)| if *s { format!("v{v}") } else { format!("not v{v}") }).collect();
        text.push_str(&format!("  when {} -> outcome o{}\n", lits.join(" and "), b % 2));
    }
    text.push_str("}\n");
    text
}

/// Every finding with a witness shows it through the evaluator.
fn witnesses_show_their_findings(result: &CheckResult, ctx: &str) {
    let p = result.program.as_ref().unwrap();
    for d in result.diagnostics.iter().filter(|d| d.witness.is_some()) {
        let case = eval::case_from_json(p, &common::witness_json(d)).unwrap();
        let r = eval::run_table(p, 0, &case);
        let ok = match d.code {
            Code::NonExhaustive => matches!(r.end, End::FallThrough { .. }),
            Code::ConflictingOutcomes => matches!(r.end, End::Conflict { .. }),
            Code::ShadowedBranch => {
                let i = p.tables[0].decision.branches.iter().position(|b| b.span == d.span).unwrap();
                eval::cond_holds(p, p.tables[0].decision.branches[i].cond().unwrap(), &case) == Ok(true) && r.taken.iter().any(|(_, k)| *k < i)
            }
            _ => true,
        };
        assert!(ok, "{ctx}: {} witness {:?} gave {:?}", d.code, d.witness, r.end);
    }
}

/// Near the hard ratio of random 3-SAT (4.26 clauses a variable), small
/// tables agree with enumeration of every case; large ones find the gap
/// planted in them, and every witness checks.
#[test]
fn random_three_literal_tables_near_the_hard_ratio() {
    let mut rng = Lcg(4260);
    for n in [8usize, 10, 12] {
        for round in 0..6 {
            let first = round % 2 == 0;
            let branches = (n as f64 * (3.5 + rng.next(20) as f64 / 10.0)) as usize;
            let text = random_table(&mut rng, n, branches, first, None);
            let result = check_text(&text);
            let ctx = format!("{n} inputs, round {round}");
            assert!(result.incomplete.is_empty(), "{ctx}");
            witnesses_show_their_findings(&result, &ctx);
            // Enumeration: a gap exists iff reported; shadowed branches exactly.
            let p = result.program.as_ref().unwrap();
            let d = &p.tables[0].decision;
            let cases: Vec<eval::Case> = (0..1u32 << n).map(|bits| (0..n).map(|i| Some(Value::Bool(bits >> i & 1 == 1))).collect()).collect();
            let holds: Vec<Vec<bool>> = cases.iter().map(|c| d.whens().map(|(_, w)| eval::cond_holds(p, w, c) == Ok(true)).collect()).collect();
            let gap = holds.iter().any(|h| !h.contains(&true));
            assert_eq!(codes(&result).contains(&Code::NonExhaustive), gap, "{ctx}");
            if first {
                let shadowed: Vec<usize> =
                    (0..branches).filter(|&i| holds.iter().any(|h| h[i]) && holds.iter().all(|h| !h[i] || h[..i].contains(&true))).collect();
                let reported: Vec<usize> = result
                    .diagnostics
                    .iter()
                    .filter(|x| x.code == Code::ShadowedBranch)
                    .map(|x| d.branches.iter().position(|b| b.span == x.span).unwrap())
                    .collect();
                assert_eq!(reported, shadowed, "{ctx}");
            }
        }
    }
    for n in [30usize, 45, 55, 60] {
        for round in 0..3 {
            let planted: Vec<bool> = (0..n).map(|_| rng.next(2) == 0).collect();
            let branches = (n as f64 * 4.26) as usize;
            let text = random_table(&mut rng, n, branches, round % 2 == 0, Some(&planted));
            let clock = std::time::Instant::now();
            let result = check_text(&text);
            let ctx = format!("{n} inputs, round {round}, {:?}", clock.elapsed());
            witnesses_show_their_findings(&result, &ctx);
            assert!(codes(&result).contains(&Code::NonExhaustive) || !result.incomplete.is_empty(), "the planted gap is missed: {ctx}");
        }
    }
}

/// A `first` table over 60 inputs whose later branches are all taken by
/// earlier ones: every one is reported shadowed.
#[test]
fn a_shadowing_chain_over_sixty_inputs_is_found_whole() {
    let n = 60;
    let mut text: String = (0..n).map(|i| format!("input v{i}: bool\n")).collect();
    text.push_str("outcome o0\noutcome o1\ntable t first {\n");
    for i in 0..30 {
        text.push_str(&format!("  when v{i} and v{} -> outcome o0\n  when v{i} and not v{} -> outcome o1\n", i + 30, i + 30));
    }
    for j in 0..68 {
        let i = j % 30;
        text.push_str(&format!("  when v{i} and v{} and not v{} -> outcome o1\n", (i + 7) % 60, (i + 13) % 60));
    }
    text.push_str("  otherwise -> outcome o0\n}\n");
    let result = check_text(&text);
    assert_eq!(codes(&result).iter().filter(|c| **c == Code::ShadowedBranch).count(), 68);
    assert!(result.incomplete.is_empty());
    witnesses_show_their_findings(&result, "chain");
}

/// A budget of 0 leaves out the solver: what the cube sets cannot decide is
/// reported as undecided, never as a finding or a pass.
#[test]
fn an_exhausted_budget_is_reported_not_dropped() {
    let (inputs, c) = cnf(10);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::write(dir.join("sopflow.toml"), "[analysis]\nbudget = 0\n").unwrap();
    std::fs::write(dir.join("t.sop"), format!("{inputs}outcome x\noutcome y\ntable t {{\n  when {c} -> outcome x\n  when not ({c}) -> outcome y\n}}\n"))
        .unwrap();
    let result = sopflow::check::check(sopflow::project::load(&[dir.to_path_buf()]).unwrap());
    assert_eq!(codes(&result), [Code::AnalysisIncomplete]);
    assert_eq!(result.incomplete, ["table `t`"]);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sopflow")).args(["check", "--format", "json", dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["summary"]["incomplete"], serde_json::json!(["table `t`"]));
    assert_eq!(json["diagnostics"][0]["severity"], "note");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sopflow")).args(["check", "--deny-incomplete", dir.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
}

/// The solver keeps the literals of the program's own conditions only. A
/// condition built for one question is encoded afresh, so a later question
/// whose condition lands at the same address (freed and reused memory) is
/// answered for what it says.
#[test]
fn a_condition_built_for_one_question_does_not_answer_the_next() {
    use sopflow::analysis::{domain::CaseSet, sat::Answer, sets::holds, Analysis, Cubes, Exact, Question};
    use sopflow::model::{BranchKind, Cond};
    let r = check_text("input a: bool\noutcome x\noutcome y\ntable t {\n  when a -> outcome x\n  otherwise -> outcome y\n}\n");
    let p = r.program.as_ref().unwrap();
    let BranchKind::When(a) = &p.tables[0].decision.branches[0].kind else { panic!("a `when` branch") };
    let analysis = Analysis::new(p);
    let exact = Exact::new(&analysis);
    let full = CaseSet::full(&analysis.space);
    let view = analysis.table_view(0, &full, &exact);
    for i in 0..20 {
        let c = Box::new(if i % 2 == 0 { a.clone() } else { Cond::Not(Box::new(a.clone())) });
        let q = Question { holds: vec![&c], ..Question::new() };
        match analysis.decide(&view, &q, Cubes::Unsure, false, "test", || format!("question {i}")) {
            Answer::Found(point) => assert!(holds(&analysis.space, &c, &point), "question {i}"),
            other => panic!("question {i}: {other:?}"),
        }
    }
}
