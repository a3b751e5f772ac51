//! `sopflow cases`: the generated tests alone cover every branch and timeout
//! route of every flow and table of `policies/`, they all pass, none covers
//! nothing of its own, `--write` adds only what the project's tests miss,
//! and on small random flows the obligations met are exactly those some
//! case of the domain meets (brute force).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use sopflow::cases::{self, Obligation};
use sopflow::eval;
use sopflow::model::RunTarget;

use common::Lcg;

fn sopflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sopflow")).args(args).output().unwrap()
}

/// `policies/` without its `test` blocks, in a fresh folder.
fn policies_without_tests() -> tempfile::TempDir {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let r = common::check_path(Path::new("policies"));
    let p = r.program.as_ref().unwrap();
    for id in r.sources.ids() {
        let file = r.sources.get(id);
        let mut text = file.text.clone();
        let mut spans: Vec<_> = p.tests.iter().filter(|t| t.span.file == id).map(|t| t.span).collect();
        spans.sort_by_key(|s| std::cmp::Reverse(s.start));
        for s in spans {
            text.replace_range(s.start as usize..s.end as usize, "");
        }
        let name = Path::new(&file.path).file_name().unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }
    scratch
}

#[test]
fn generated_tests_alone_cover_every_branch_and_timeout_route_and_pass() {
    let scratch = policies_without_tests();
    let dir = scratch.path();
    let o = sopflow(&["cases", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(summary.contains("0 that no case can meet"), "{summary}");
    std::fs::write(dir.join("generated.sop"), &o.stdout).unwrap();
    // In the canonical layout already.
    let f = sopflow(&["fmt", "--check", dir.join("generated.sop").to_str().unwrap()]);
    assert_eq!(f.status.code(), Some(0), "{}", String::from_utf8_lossy(&f.stdout));
    let o = sopflow(&["test", dir.to_str().unwrap(), "--coverage", "--coverage-format", "json"]);
    assert_eq!(o.status.code(), Some(0), "every generated test passes: {}", String::from_utf8_lossy(&o.stderr));
    let cov: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let units = cov["units"].as_array().unwrap();
    let r = common::check_path(Path::new("policies"));
    let p = r.program.as_ref().unwrap();
    assert_eq!(units.len(), p.flows.len() + p.tables.len());
    let mut timeouts = 0;
    for u in units {
        assert_eq!(u["branches_taken"], u["branches_total"], "{u}");
        assert_eq!(u["timeouts_taken"], u["timeouts"], "{u}");
        assert_eq!(u["steps_taken"], u["steps_total"], "{u}");
        timeouts += u["timeouts"].as_u64().unwrap();
    }
    assert!(timeouts >= 10, "the policies have timeout routes to cover");
    assert_eq!(cov["branches_taken"], cov["branches_total"]);
}

#[test]
fn no_generated_test_covers_nothing_of_its_own() {
    let scratch = policies_without_tests();
    let dir = scratch.path();
    let o = sopflow(&["cases", dir.to_str().unwrap()]);
    std::fs::write(dir.join("generated.sop"), &o.stdout).unwrap();
    // The generated tests, run again from their text: what each one covers.
    let r = common::check_path(dir);
    let p = r.program.as_ref().unwrap();
    let results = sopflow::testing::run_tests(p, None);
    assert_eq!(results.len(), p.tests.len());
    let mut by_target: std::collections::BTreeMap<String, Vec<BTreeSet<Obligation>>> = Default::default();
    for res in &results {
        let test = &p.tests[res.test];
        let target = test.run.unwrap();
        let mut case: eval::Case = vec![None; p.inputs.len()];
        for g in &test.given {
            let (id, v) = g.value.as_ref().unwrap();
            case[*id] = Some(v.clone());
        }
        let covers = cases::covered(p, target, &case, res.run.as_ref().unwrap(), true);
        assert!(!covers.is_empty(), "{}", test.name);
        by_target.entry(format!("{target:?}")).or_default().push(covers);
    }
    for (target, tests) in &by_target {
        for (k, mine) in tests.iter().enumerate() {
            let others: BTreeSet<Obligation> = tests.iter().enumerate().filter(|(j, _)| *j != k).flat_map(|(_, c)| c.iter().copied()).collect();
            assert!(mine.iter().any(|o| !others.contains(o)), "{target}: test {k} covers nothing the others do not");
        }
    }
    // And together they meet every obligation of each target.
    for (f, _) in p.flows.iter().enumerate() {
        let all = cases::obligations(p, RunTarget::Flow(f), true);
        let met: BTreeSet<Obligation> = by_target[&format!("{:?}", RunTarget::Flow(f))].iter().flatten().copied().collect();
        assert!(all.is_subset(&met), "flow {f}: {:?}", all.difference(&met).collect::<Vec<_>>());
    }
}

#[test]
fn write_appends_only_what_the_project_tests_miss() {
    let scratch = common::copy_policies();
    let dir = scratch.path();
    // Without the test of the seller ticket's timeout, one route is uncovered.
    let support = dir.join("seller_support.sop");
    let text = std::fs::read_to_string(&support).unwrap();
    let r = common::check_source("seller_support.sop", &text);
    let p = r.program.as_ref().unwrap();
    let timed: Vec<_> = p.tests.iter().filter(|t| !t.timeouts.is_empty()).map(|t| t.span).collect();
    assert!(!timed.is_empty());
    let mut cut = text.clone();
    for s in timed.iter().rev() {
        cut.replace_range(s.start as usize..s.end as usize, "");
    }
    std::fs::write(&support, &cut).unwrap();
    let extra = dir.join("extra.sop");
    let o = sopflow(&["cases", dir.to_str().unwrap(), "--flow", "seller_ticket", "--branches-only", "--write", extra.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read_to_string(&extra).unwrap();
    assert!(written.contains("timeout"), "{written}");
    // Only timeout routes were missing: every test written takes one.
    let written_tests = written.matches("test \"").count();
    assert!(written_tests >= 1 && written.matches("\n  timeout ").count() == written_tests, "{written}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("already covered"), "{}", String::from_utf8_lossy(&o.stderr));
    // The project now covers everything: a second run writes nothing.
    let before = std::fs::read_to_string(&extra).unwrap();
    let o = sopflow(&["cases", dir.to_str().unwrap(), "--flow", "seller_ticket", "--branches-only", "--write", extra.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("0 tests"), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(&extra).unwrap(), before);
    // The project still checks and its tests pass.
    let o = sopflow(&["test", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn the_obligations_met_are_exactly_those_some_case_meets() {
    let mut rng = Lcg(29);
    let cases_all = common::small_cases();
    let (mut flows, mut unmet_seen, mut met_seen) = (0, 0, 0);
    while flows < 150 {
        let text = common::small_flow(&mut rng, 2);
        let r = common::check_source("random.sop", &text);
        let Some(p) = r.program.as_ref() else { continue };
        if !p.flows[0].ok || p.flows[0].steps.len() != 3 {
            continue;
        }
        flows += 1;
        let target = RunTarget::Flow(0);
        // Brute force: every case, with every set of timeouts that fire.
        let mut reachable: BTreeSet<Obligation> = BTreeSet::new();
        for timeouts in common::timeout_sets(p) {
            for case in &cases_all {
                let run = eval::run(p, target, case, &timeouts);
                reachable.extend(cases::covered(p, target, case, &run, true));
            }
        }
        let plan = cases::generate(&sopflow::analysis::Analysis::new(p), &r.sources, target, &[], &cases::Options { mcdc: true, skip_covered: false }).unwrap();
        let met: BTreeSet<Obligation> = plan.cases.iter().flat_map(|c| c.covers.iter().copied()).collect();
        let unmet: BTreeSet<Obligation> = plan.unmet.iter().map(|(o, _)| *o).collect();
        assert!(met.is_subset(&reachable), "{text}");
        assert_eq!(
            met.intersection(&plan.obligations).copied().collect::<BTreeSet<_>>(),
            reachable.intersection(&plan.obligations).copied().collect(),
            "{text}\nunmet: {unmet:?}"
        );
        assert_eq!(unmet, plan.obligations.difference(&reachable).copied().collect(), "{text}");
        // Each generated test, replayed from its own text, covers what it claims.
        for c in &plan.cases {
            let mut case: eval::Case = vec![None; p.inputs.len()];
            for (name, v) in &c.witness.values {
                let id = p.input_by_name(name).unwrap();
                case[id] = Some(eval::value_from_json(p, id, &v.json()).unwrap());
            }
            let timeouts = eval::timeouts_by_name(p, 0, &c.witness.timeouts.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>()).unwrap();
            let run = eval::run(p, target, &case, &timeouts);
            assert_eq!(cases::covered(p, target, &case, &run, true), c.covers, "{text}");
        }
        unmet_seen += unmet.len();
        met_seen += met.len();
    }
    assert!(unmet_seen > 0 && met_seen > 1000, "the random flows exercise both: {unmet_seen} unmet, {met_seen} met");
}
