//! `sla-exceeded` against brute force: random flows with random time limits,
//! team SLAs, timeout routes, tables and resolution targets (for the whole
//! flow or conditional). Every case of the small input space, with every
//! choice of timeouts, is run through `eval`; its worst-case time is added
//! up from its path and escalations. A finding must appear at an end, for a
//! target, exactly when some such run ends there, satisfies the target's
//! condition and takes longer than the target; and every witness, replayed
//! with its timeouts, must be such a run.
mod common;

use std::collections::BTreeSet;

use sopflow::diagnostics::Code;
use sopflow::eval;
use sopflow::lints::sla_exceeded::run_time;
use sopflow::model::{Program, Value};
use sopflow::source::Span;

const HEAD: &str = "input b: bool\ninput k: { x, y, z }\ninput n: int in 0 to 3\nteam fast { sla 2h }\nteam slow { sla 24h }\nteam open\naction a\n\
                    outcome done\noutcome held\n\
                    table tb first {\n  when n >= 2 -> escalate slow -> outcome held\n  when b -> escalate fast\n  otherwise -> outcome done\n}\n";

const CONDS: [&str; 8] = ["b", "not b", "k == x", "k in { x, y }", "n < 2", "n == 3", "b and n > 0", "k == y or n == 0"];
const LIMITS: [&str; 6] = ["", " within 1h", " within 4h", " within 24h", " within 0s", " within 30m"];

fn target(rng: &mut common::Lcg, step: usize, steps: usize) -> String {
    let ends = [
        "outcome done",
        "outcome held",
        "escalate fast",
        "escalate slow",
        "escalate open",
        "do a -> outcome done",
        "escalate fast -> outcome held",
        "table tb",
    ];
    if rng.next(3) == 0 && step + 1 < steps {
        format!("s{}", step + 1 + rng.next((steps - step - 1) as u64) as usize)
    } else {
        ends[rng.next(ends.len() as u64) as usize].to_string()
    }
}

fn project(rng: &mut common::Lcg) -> String {
    let mut out = String::from(HEAD);
    let n = 1 + rng.next(4) as usize;
    for _ in 0..1 + rng.next(2) {
        let limit = ["4h", "24h", "26h", "30m", "2d", "48h"][rng.next(6) as usize];
        let when = if rng.next(2) == 0 { format!(" when {}", CONDS[rng.next(CONDS.len() as u64) as usize]) } else { String::new() };
        out.push_str(&format!("require resolution within {limit} in f{when}\n"));
    }
    out.push_str("flow f {\n  start s0\n");
    for s in 0..n {
        let limit = LIMITS[rng.next(LIMITS.len() as u64) as usize];
        out.push_str(&format!("  step s{s}{} {{\n", if rng.next(2) == 0 { " first" } else { "" }).replace(" {", &format!("{limit} {{")));
        for _ in 0..1 + rng.next(2) {
            out.push_str(&format!("    when {} -> {}\n", CONDS[rng.next(CONDS.len() as u64) as usize], target(rng, s, n)));
        }
        out.push_str(&format!("    otherwise -> {}\n", target(rng, s, n)));
        if rng.next(2) == 0 {
            out.push_str(&format!("    timeout -> {}\n", target(rng, s, n)));
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

fn cases() -> Vec<eval::Case> {
    let mut out = Vec::new();
    for b in [false, true] {
        for k in 0..3 {
            for n in 0..4 {
                out.push(vec![Some(Value::Bool(b)), Some(Value::Variant(k)), Some(Value::Num(n))]);
            }
        }
    }
    out
}

fn end_span(run: &eval::Run) -> Option<Span> {
    match run.end {
        eval::End::Outcome { target, .. } | eval::End::Escalated { target, .. } => Some(target),
        _ => None,
    }
}

#[test]
fn sla_exceeded_appears_exactly_where_a_run_takes_longer_than_its_target() {
    let mut rng = common::Lcg(28);
    let (mut projects, mut findings) = (0, 0);
    while projects < 2_000 {
        let text = project(&mut rng);
        let result = common::check_source("sla.sop", &text);
        let Some(p) = result.program.as_ref() else { continue };
        if !p.flows[0].ok {
            continue;
        }
        projects += 1;
        let found: BTreeSet<(u32, u32)> =
            result.diagnostics.iter().filter(|d| d.code == Code::SlaExceeded).map(|d| (d.span.start, d.labels[0].span.start)).collect();
        let expected = brute_force(p);
        assert_eq!(found, expected, "{text}");
        findings += found.len();
        for d in result.diagnostics.iter().filter(|d| d.code == Code::SlaExceeded) {
            let w = common::witness_json(d);
            let case = eval::case_from_json(p, &w).unwrap();
            let case: eval::Case = case.into_iter().map(|v| v.or(Some(Value::Bool(false)))).collect();
            let timeouts = eval::timeouts_from_json(p, Some(0), &w).unwrap();
            let run = eval::run_flow_timed(p, 0, &case, &timeouts);
            let target = p.resolutions.iter().find(|r| r.span == d.labels[0].span).unwrap();
            assert_eq!(end_span(&run), Some(d.span), "{text}\n{w:?}");
            assert!(run_time(p, 0, &run.path, &run.escalations).is_none_or(|t| t > target.seconds), "{text}\n{w:?}");
            if let Some(c) = &target.cond {
                assert_eq!(eval::cond_holds(p, c, &case), Ok(true), "{text}");
            }
        }
    }
    eprintln!("{projects} projects, {findings} findings");
    assert!(findings > 500, "{findings}");
}

/// `(end, target)` for every run that takes longer than a target covering it.
fn brute_force(p: &Program) -> BTreeSet<(u32, u32)> {
    let with_timeout: Vec<usize> = (0..p.flows[0].steps.len()).filter(|s| p.flows[0].steps[*s].decision.timeout().is_some()).collect();
    let mut out = BTreeSet::new();
    for case in cases() {
        for bits in 0..1u32 << with_timeout.len() {
            let timeouts: Vec<usize> = with_timeout.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, s)| *s).collect();
            let run = eval::run_flow_timed(p, 0, &case, &timeouts);
            let Some(end) = end_span(&run) else { continue };
            let time = run_time(p, 0, &run.path, &run.escalations);
            for r in &p.resolutions {
                let covered = r.cond.as_ref().is_none_or(|c| eval::cond_holds(p, c, &case) == Ok(true));
                if covered && time.is_none_or(|t| t > r.seconds) {
                    out.insert((end.start, r.span.start));
                }
            }
        }
    }
    out
}
