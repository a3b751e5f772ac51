//! The analysis agrees with brute force: random tables over small domains are
//! checked, and every case of the domain is run through the evaluator. A
//! reported conflict, gap, dead or shadowed branch must really exist, and
//! each real one must be reported.

mod common;

use std::collections::BTreeSet;

use sopflow::analysis::domain::Value;
use sopflow::diagnostics::Code;
use sopflow::eval::{self, End};

use common::Lcg;

const HEADER: &str = "input a: bool\ninput b: bool\ninput k: { x, y, z }\ninput n: int in 0 to 5\noutcome o1\noutcome o2\naction act\n";
/// Lines before the first branch of the table.
const FIRST_BRANCH_LINE: usize = 9;

fn atom(rng: &mut Lcg) -> String {
    match rng.next(7) {
        0 => "a".into(),
        1 => "not b".into(),
        2 => format!("k == {}", ["x", "y", "z"][rng.next(3) as usize]),
        3 => format!("k in {{ {}, {} }}", ["x", "y", "z"][rng.next(3) as usize], ["x", "y", "z"][rng.next(3) as usize]),
        4 => format!("n {} {}", ["<", "<=", ">", ">=", "==", "!="][rng.next(6) as usize], rng.next(7)),
        5 => format!("n not in {{ {}, {} }}", rng.next(6), rng.next(6)),
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

fn target(rng: &mut Lcg) -> &'static str {
    ["outcome o1", "outcome o2", "do act -> outcome o1"][rng.next(3) as usize]
}

/// Closes a generated table (with an `otherwise` when asked) and checks it:
/// the whole text and the result.
fn check_table(mut text: String, otherwise: bool) -> (String, sopflow::check::CheckResult) {
    if otherwise {
        text.push_str("  otherwise -> outcome o2\n");
    }
    text.push_str("}\n");
    let result = check_text(&text);
    (text, result)
}

/// For each of the first `whens` branches, the cases its condition holds for.
fn satisfying<'c>(whens: usize, cases: &'c [eval::Case], holds: &impl Fn(usize, &eval::Case) -> bool) -> Vec<Vec<&'c eval::Case>> {
    (0..whens).map(|i| cases.iter().filter(|c| holds(i, c)).collect()).collect()
}

/// The truly dead branches, and (in a `first` decision) the truly shadowed
/// ones: every case of theirs taken by an earlier branch.
fn dead_and_shadowed(first: bool, sat: &[Vec<&eval::Case>], holds: &impl Fn(usize, &eval::Case) -> bool) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let (mut dead, mut shadowed) = (BTreeSet::new(), BTreeSet::new());
    for (i, sat) in sat.iter().enumerate() {
        if sat.is_empty() {
            dead.insert(i);
        } else if first && sat.iter().all(|c| (0..i).any(|j| holds(j, c))) {
            shadowed.insert(i);
        }
    }
    (dead, shadowed)
}

/// A check of `text` as a project of one file.
fn check_text(text: &str) -> sopflow::check::CheckResult {
    common::check_source("t.sop", text)
}

fn line_of(result: &sopflow::check::CheckResult, d: &sopflow::diagnostics::Diagnostic) -> usize {
    result.sources.get(d.span.file).line_col(d.span.start as usize).0
}

/// The branches (counted from the one on `first_line`) with a `code` finding.
fn reported_branches(result: &sopflow::check::CheckResult, code: Code, first_line: usize) -> BTreeSet<usize> {
    result.diagnostics.iter().filter(|d| d.code == code).map(|d| line_of(result, d).wrapping_sub(first_line)).collect()
}

#[test]
fn table_analysis_agrees_with_brute_force() {
    agree(2026, 10_000, 1, 5, 500);
}

/// Decisions of more than 32 branches go through the branch index.
#[test]
fn large_table_analysis_agrees_with_brute_force() {
    agree(77, 150, 33, 28, 150);
}

fn agree(seed: u64, rounds: usize, min_whens: usize, spread: u64, min_findings: usize) {
    let mut rng = Lcg(seed);
    let cases = common::small_cases();
    let mut findings = 0;
    for round in 0..rounds {
        let first = rng.next(2) == 0;
        let whens = min_whens + rng.next(spread) as usize;
        let otherwise = rng.next(2) == 0;
        let mut text = format!("{HEADER}table t{} {{\n", if first { " first" } else { "" });
        for _ in 0..whens {
            let depth = rng.next(3) as u32;
            text.push_str(&format!("  when {} -> {}\n", cond(&mut rng, depth), target(&mut rng)));
        }
        let (text, result) = check_table(text, otherwise);
        let program = result.program.as_ref().expect("generated text parses");
        let table = &program.tables[0];
        let line_of = |d: &sopflow::diagnostics::Diagnostic| line_of(&result, d);
        let reported = |code: Code| reported_branches(&result, code, FIRST_BRANCH_LINE);

        // Truth by brute force.
        let holds = |i: usize, c: &eval::Case| eval::cond_holds(program, table.decision.branches[i].cond().unwrap(), c) == Ok(true);
        let sat = satisfying(whens, &cases, &holds);
        let (dead, shadowed) = dead_and_shadowed(first, &sat, &holds);
        let mut conflicts = BTreeSet::new();
        let mut overlaps = BTreeSet::new();
        for (i, sat) in sat.iter().enumerate() {
            if !first {
                for j in 0..i {
                    if sat.iter().any(|c| holds(j, c)) {
                        let same = table.decision.branches[i].target.same_chain(&table.decision.branches[j].target);
                        if same {
                            overlaps.insert(i)
                        } else {
                            conflicts.insert(i)
                        };
                    }
                }
            }
        }
        let gap = !otherwise
            && cases.iter().any(|c| matches!(eval::run_table(program, 0, c).end, End::FallThrough { .. }) || (!first && (0..whens).all(|i| !holds(i, c))));

        let ctx = format!("round {round}:\n{text}\nreported: {:?}", result.diagnostics.iter().map(|d| (line_of(d), d.code)).collect::<Vec<_>>());
        assert_eq!(reported(Code::DeadBranch), dead, "dead: {ctx}");
        assert_eq!(reported(Code::ShadowedBranch), shadowed, "shadowed: {ctx}");
        assert_eq!(reported(Code::ConflictingOutcomes), conflicts, "conflicts: {ctx}");
        assert_eq!(reported(Code::OverlappingBranches), overlaps, "overlaps: {ctx}");
        let gaps = reported(Code::NonExhaustive);
        assert_eq!(gaps.iter().collect::<Vec<_>>(), if gap { vec![&usize::MAX] } else { vec![] }, "gap at the table name: {ctx}");
        findings += result.diagnostics.len();
    }
    assert!(findings > min_findings, "the generator should produce findings ({findings})");
}

/// Enums around the sizes where the domain changes representation: up to
/// 128 variants are one inline word pair, more are a word list, and the
/// pair's halves meet at 64. Random tables over one such enum and a bool
/// agree with brute force over all of their cases.
#[test]
fn enums_of_every_size_agree_with_brute_force() {
    let mut rng = Lcg(4242);
    let mut findings = 0;
    for n in [2usize, 63, 64, 65, 127, 128, 129, 130, 200] {
        let variants: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
        // Variants near the edges are picked more often than the rest.
        let pick = |rng: &mut Lcg| -> usize {
            let edges = [0, 1, 62, 63, 64, 65, 126, 127, 128, 129, n - 1];
            match rng.next(3) {
                0 => rng.next(n as u64) as usize,
                _ => edges[rng.next(edges.len() as u64) as usize].min(n - 1),
            }
        };
        let cases: Vec<eval::Case> = (0..n as u32).flat_map(|k| [false, true].map(|a| vec![Some(Value::Variant(k)), Some(Value::Bool(a))])).collect();
        for round in 0..40 {
            let first = rng.next(2) == 0;
            let otherwise = rng.next(3) == 0;
            let whens = 1 + rng.next(6) as usize;
            let mut text =
                format!("input k: {{ {} }}\ninput a: bool\noutcome o1\noutcome o2\ntable t{} {{\n", variants.join(", "), if first { " first" } else { "" });
            for _ in 0..whens {
                let atom = match rng.next(5) {
                    0 => format!("k == v{}", pick(&mut rng)),
                    1 => format!("k != v{}", pick(&mut rng)),
                    2 => format!("k in {{ v{}, v{}, v{} }}", pick(&mut rng), pick(&mut rng), pick(&mut rng)),
                    3 => format!("k not in {{ v{}, v{} }}", pick(&mut rng), pick(&mut rng)),
                    _ => format!("(k == v{} or k == v{})", pick(&mut rng), pick(&mut rng)),
                };
                let cond = match rng.next(3) {
                    0 => format!("{atom} and a"),
                    1 => format!("{atom} and not a"),
                    _ => atom,
                };
                text.push_str(&format!("  when {cond} -> outcome {}\n", ["o1", "o2"][rng.next(2) as usize]));
            }
            let (text, result) = check_table(text, otherwise);
            let program = result.program.as_ref().expect("generated text parses");
            let table = &program.tables[0];
            let line_of = |d: &sopflow::diagnostics::Diagnostic| line_of(&result, d);
            // The first branch is on line 6.
            let reported = |code: Code| reported_branches(&result, code, 6);
            let holds = |i: usize, c: &eval::Case| eval::cond_holds(program, table.decision.branches[i].cond().unwrap(), c) == Ok(true);
            let sat = satisfying(whens, &cases, &holds);
            let (dead, shadowed) = dead_and_shadowed(first, &sat, &holds);
            let mut clash = BTreeSet::new();
            for (i, sat) in sat.iter().enumerate() {
                if !first && (0..i).any(|j| sat.iter().any(|c| holds(j, c))) {
                    clash.insert(i);
                }
            }
            let gap = !otherwise && cases.iter().any(|c| (0..whens).all(|i| !holds(i, c)));
            let ctx =
                format!("{n} variants, round {round}:\n{text}\nreported: {:?}", result.diagnostics.iter().map(|d| (line_of(d), d.code)).collect::<Vec<_>>());
            assert_eq!(reported(Code::DeadBranch), dead, "dead: {ctx}");
            assert_eq!(reported(Code::ShadowedBranch), shadowed, "shadowed: {ctx}");
            let both: BTreeSet<usize> = reported(Code::ConflictingOutcomes).union(&reported(Code::OverlappingBranches)).copied().collect();
            assert_eq!(both, clash, "conflicts and overlaps: {ctx}");
            assert_eq!(!reported(Code::NonExhaustive).is_empty(), gap, "gap: {ctx}");
            findings += result.diagnostics.len();
        }
    }
    assert!(findings > 100, "the generator should produce findings ({findings})");
}
