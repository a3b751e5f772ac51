//! `sopflow diff` against brute force: on random projects and mutations of
//! them (a branch moved, a condition changed, a target changed, a step
//! added), every case of the small input space, with every choice of
//! timeouts, is run through `eval` in both versions; the diff's regions must
//! hold exactly the cases whose results differ, and every region's witness
//! must show its two results.
mod common;

use sopflow::diff::{self, Request, Subject};
use sopflow::eval;
use sopflow::model::{Program, Value};

const HEAD: &str = "enum Kind { x, y, z }\ninput k: Kind\ninput b: bool\ninput n: int in 0 to 3\nteam t\nteam u\naction a\n\
                    outcome o1 { severity low }\noutcome o2 { severity high }\noutcome o3\n";

const CONDS: [&str; 12] =
    ["b", "not b", "k == x", "k in { x, y }", "k != z", "n < 2", "n == 3", "n >= 1", "b and n > 0", "k == y or n == 0", "not (k == x and b)", "true"];

/// A random flow `f` of `steps` steps and a table `tb`, as lists of branch
/// lines per decision: the material the mutations work on.
struct Shape {
    steps: Vec<(bool, Option<&'static str>, Vec<String>)>,
    table: (bool, Vec<String>),
}

fn target(rng: &mut common::Lcg, step: usize, steps: usize) -> String {
    let ends = ["outcome o1", "outcome o2", "outcome o3", "escalate t", "do a -> outcome o1", "escalate u -> outcome o2", "table tb"];
    let r = rng.next(10) as usize;
    if r < 4 && step + 1 < steps {
        format!("s{}", step + 1 + rng.next((steps - step - 1) as u64) as usize)
    } else if r == 4 && step > 0 {
        // A way back: a cycle for some cases.
        format!("s{}", rng.next(step as u64))
    } else {
        ends[rng.next(ends.len() as u64) as usize].to_string()
    }
}

fn branch(rng: &mut common::Lcg, step: usize, steps: usize) -> String {
    format!("when {} -> {}", CONDS[rng.next(CONDS.len() as u64) as usize], target(rng, step, steps))
}

fn shape(rng: &mut common::Lcg) -> Shape {
    let n = 1 + rng.next(3) as usize;
    let steps = (0..n)
        .map(|s| {
            let mut lines: Vec<String> = (0..1 + rng.next(3)).map(|_| branch(rng, s, n)).collect();
            if rng.next(3) > 0 {
                lines.push(format!("otherwise -> {}", target(rng, s, n)));
            }
            let timeout = (rng.next(3) == 0).then_some("outcome o3");
            (rng.next(2) == 0, timeout, lines)
        })
        .collect();
    let table_ends = ["outcome o1", "outcome o2", "escalate t", "do a -> outcome o3"];
    let mut tl: Vec<String> =
        (0..1 + rng.next(3)).map(|_| format!("when {} -> {}", CONDS[rng.next(CONDS.len() as u64) as usize], table_ends[rng.next(4) as usize])).collect();
    if rng.next(2) == 0 {
        tl.push("otherwise -> outcome o3".into());
    }
    Shape { steps, table: (rng.next(2) == 0, tl) }
}

fn text(s: &Shape) -> String {
    let mut out = String::from(HEAD);
    out.push_str(&format!("table tb{} {{\n", if s.table.0 { " first" } else { "" }));
    for l in &s.table.1 {
        out.push_str(&format!("  {l}\n"));
    }
    out.push_str("}\nflow f {\n  start s0\n");
    for (i, (first, timeout, lines)) in s.steps.iter().enumerate() {
        out.push_str(&format!("  step s{i}{} {{\n", if *first { " first" } else { "" }));
        // `otherwise` last, then `timeout`.
        let (others, whens): (Vec<&String>, Vec<&String>) = lines.iter().partition(|l| l.starts_with("otherwise"));
        for l in whens.iter().chain(&others) {
            out.push_str(&format!("    {l}\n"));
        }
        if let Some(t) = timeout {
            out.push_str(&format!("    timeout -> {t}\n"));
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// The project of `changed`, with flow `g`: `base`'s flow under another
/// name (the same in both versions).
fn text_with(base: &Shape, changed: &Shape) -> String {
    let g = text(base);
    let flow = &g[g.find("flow f {").unwrap()..];
    format!("{}{}", text(changed), flow.replacen("flow f {", "flow g {", 1))
}

/// One mutation of the kinds a policy change makes.
fn mutate(rng: &mut common::Lcg, s: &Shape) -> Shape {
    let mut m = Shape { steps: s.steps.clone(), table: s.table.clone() };
    let n = m.steps.len();
    let step = rng.next(n as u64) as usize;
    match rng.next(6) {
        0 => {
            let lines = &mut m.steps[step].2;
            if lines.len() > 1 {
                let (i, j) = (rng.next(lines.len() as u64) as usize, rng.next(lines.len() as u64) as usize);
                lines.swap(i, j);
            }
        }
        1 => {
            let lines = &mut m.steps[step].2;
            let i = rng.next(lines.len() as u64) as usize;
            if lines[i].starts_with("when") {
                let to = lines[i].split(" -> ").skip(1).collect::<Vec<_>>().join(" -> ");
                lines[i] = format!("when {} -> {to}", CONDS[rng.next(CONDS.len() as u64) as usize]);
            }
        }
        2 => {
            let lines = &mut m.steps[step].2;
            let i = rng.next(lines.len() as u64) as usize;
            let head = lines[i].split(" -> ").next().unwrap().to_string();
            lines[i] = format!("{head} -> {}", target(rng, step, n));
        }
        3 => {
            // A step added at the end, and a branch sent to it.
            let lines = vec![branch(rng, n, n + 1), format!("otherwise -> outcome o{}", 1 + rng.next(3))];
            m.steps.push((false, None, lines));
            let at = &mut m.steps[step].2;
            let i = rng.next(at.len() as u64) as usize;
            let head = at[i].split(" -> ").next().unwrap().to_string();
            at[i] = format!("{head} -> s{n}");
        }
        4 => {
            let t = &mut m.table.1;
            let i = rng.next(t.len() as u64) as usize;
            let j = rng.next(t.len() as u64) as usize;
            t.swap(i, j);
            m.table.0 = rng.next(2) == 0;
        }
        _ => m.steps[step].0 = !m.steps[step].0,
    }
    m
}

fn program(text: &str) -> Option<Program> {
    let mut sources = sopflow::source::SourceMap::default();
    let id = sources.add("diff.sop".into(), text.to_string());
    let loaded = sopflow::project::Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
    let result = sopflow::check::check_with(loaded, sopflow::check::Options { skip_lints: true, ..Default::default() });
    let p = result.program?;
    (p.flows.iter().all(|f| f.ok) && p.tables.iter().all(|t| t.ok)).then_some(p)
}

/// Every case of the head's inputs: `k`, `b`, `n` (the inputs in
/// declaration order).
fn cases() -> Vec<eval::Case> {
    let mut out = Vec::new();
    for k in 0..3 {
        for b in [false, true] {
            for n in 0..4 {
                out.push(vec![Some(Value::Variant(k)), Some(Value::Bool(b)), Some(Value::Num(n))]);
            }
        }
    }
    out
}

/// Every subset of the step names that have a timeout in either version.
fn timeout_sets(old: &Program, new: &Program) -> Vec<Vec<String>> {
    let mut names: Vec<String> =
        [old, new].iter().flat_map(|p| p.flows[0].steps.iter().filter(|s| s.decision.timeout().is_some()).map(|s| s.name.clone())).collect();
    names.sort();
    names.dedup();
    (0..1u32 << names.len()).map(|bits| names.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, n)| n.clone()).collect()).collect()
}

fn result(p: &Program, subject: &Subject, case: &eval::Case, timeouts: &[String]) -> diff::Outcome {
    match subject {
        Subject::Flow(name) => {
            let f = p.flows.iter().position(|f| f.name == *name).unwrap();
            let steps: Vec<usize> = timeouts.iter().filter_map(|n| p.flows[f].steps.iter().position(|s| s.name == *n)).collect();
            diff::outcome_of(p, Some(f), &eval::run_flow_timed(p, f, case, &steps))
        }
        Subject::Table(_) => diff::outcome_of(p, None, &eval::run_table(p, 0, case)),
    }
}

#[test]
fn the_diff_holds_exactly_the_cases_whose_results_differ() {
    let mut rng = common::Lcg(2026);
    let (mut pairs, mut differing, mut regions) = (0, 0, 0);
    while pairs < 5_000 {
        let base = shape(&mut rng);
        let changed = mutate(&mut rng, &base);
        let (Some(old), Some(new)) = (program(&text_with(&base, &base)), program(&text_with(&base, &changed))) else { continue };
        pairs += 1;
        let d = diff::diff(&Request { old: &old, new: &new, only: None, slice: None });
        let joint = d.joint.as_ref().unwrap();
        for c in &d.compared {
            assert_eq!(c.unconfirmed, 0, "{}", text(&changed));
            regions += c.regions.len();
            for r in &c.regions {
                // The witness shows the region's two results.
                let case: eval::Case = ["k", "b", "n"]
                    .iter()
                    .map(|name| {
                        let (_, v) = r.witness.iter().find(|(n, _)| n == name)?;
                        Some(match v {
                            sopflow::diagnostics::WitnessValue::Variant(x) => Value::Variant(["x", "y", "z"].iter().position(|y| y == x).unwrap() as u32),
                            sopflow::diagnostics::WitnessValue::Bool(b) => Value::Bool(*b),
                            sopflow::diagnostics::WitnessValue::Int(n) => Value::Num(*n),
                            other => panic!("{other:?}"),
                        })
                    })
                    .collect();
                assert_eq!(result(&old, &c.subject, &case, &r.timeouts), r.old);
                assert_eq!(result(&new, &c.subject, &case, &r.timeouts), r.new);
            }
            for case in cases() {
                let point = joint.point(0, &case);
                for timeouts in timeout_sets(&old, &new) {
                    let (a, b) = (result(&old, &c.subject, &case, &timeouts), result(&new, &c.subject, &case, &timeouts));
                    let covered: Vec<&diff::Region> = c.regions.iter().filter(|r| joint.holds(r, &point, &timeouts)).collect();
                    if a == b {
                        assert!(
                            covered.is_empty(),
                            "{:?} {case:?} {timeouts:?}: same result {a:?}, but in a region\n{}\n---\n{}",
                            c.subject,
                            text(&base),
                            text(&changed)
                        );
                    } else {
                        differing += 1;
                        assert_eq!(covered.len(), 1, "{:?} {case:?} {timeouts:?}: {a:?} -> {b:?}\n{}\n---\n{}", c.subject, text(&base), text(&changed));
                        assert_eq!((&covered[0].old, &covered[0].new), (&a, &b));
                    }
                }
            }
        }
    }
    eprintln!("{pairs} pairs, {differing} differing cases, {regions} regions");
    assert!(differing > 10_000 && regions > 2_000, "{differing} differing cases, {regions} regions");
}

fn sopflow(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sopflow")).args(args).current_dir(dir).output().expect("sopflow runs")
}

/// The realistic example: a table's lines reordered, so that repeat
/// offenders with a banned ingredient are no longer suspended.
#[test]
fn the_example_diff_is_pinned_as_markdown() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = sopflow(repo, &["diff", "examples/diff/before", "examples/diff/after", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("**milder**"), "{text}");
    insta::assert_snapshot!("diff_example_markdown", text);
    // Only milder changes here: failing on lost escalations passes.
    let o = sopflow(repo, &["diff", "examples/diff/before", "examples/diff/after", "--fail-on", "escalation-lost"]);
    assert_eq!(o.status.code(), Some(0));
    let o = sopflow(repo, &["diff", "examples/diff/before", "examples/diff/after", "--fail-on", "milder", "--fail-on", "unreachable"]);
    assert_eq!(o.status.code(), Some(1));
    // A version against itself: no difference, exit 0.
    let o = sopflow(repo, &["diff", "examples/diff/before", "examples/diff/before"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("no case changes result"));
}

#[test]
fn the_committed_diff_schema_is_current_and_reports_validate() {
    let path = std::path::Path::new("docs/diff.schema.json");
    let schema = sopflow::render::diff::schema();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &schema).unwrap();
    }
    assert_eq!(std::fs::read_to_string(path).unwrap_or_default(), schema, "run `UPDATE_DOCS=1 cargo test --test diff`");
    let validator = jsonschema::validator_for(&serde_json::from_str(&schema).unwrap()).expect("a valid JSON Schema");
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for pair in [["examples/diff/before", "examples/diff/after"], ["examples/diff/after", "examples/diff/before"], ["policies", "policies"]] {
        let o = sopflow(repo, &["diff", pair[0], pair[1], "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let errors: Vec<String> = validator.iter_errors(&json).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{pair:?}: {errors:?}");
    }
}

/// Through the command line in a git repository: two commits, the working
/// tree against a revision, and what cannot run.
#[test]
fn diff_reads_git_revisions_without_checking_out() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir.path())
            .output();
        match o {
            Ok(o) => assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => panic!("git is needed for this test: {e}"),
        }
    };
    git(&["init", "-q"]);
    let policy = dir.path().join("policy");
    std::fs::create_dir(&policy).unwrap();
    let before = std::fs::read_to_string("examples/diff/before/ingredients.sop").unwrap();
    let after = std::fs::read_to_string("examples/diff/after/ingredients.sop").unwrap();
    std::fs::write(policy.join("ingredients.sop"), &before).unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "before"]);
    std::fs::write(policy.join("ingredients.sop"), &after).unwrap();
    git(&["commit", "-q", "-am", "after"]);
    let o = sopflow(&policy, &["diff", "HEAD~1", "HEAD", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["summary"]["milder"], 4, "{json}");
    assert!(json["changed"][0]["cells"][0]["regions"][0]["old_lines"][0].as_str().unwrap().starts_with("HEAD~1:ingredients.sop:"), "{json}");
    // The working tree (the current folder) against a revision.
    let o = sopflow(&policy, &["diff", "HEAD"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    std::fs::write(policy.join("ingredients.sop"), &before).unwrap();
    let o = sopflow(&policy, &["diff", "HEAD", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    // The checkout was never touched: the file is what was written.
    assert_eq!(std::fs::read_to_string(policy.join("ingredients.sop")).unwrap(), before);
    // What cannot run exits 2 and says why.
    let o = sopflow(&policy, &["diff", "no-such-revision"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("neither a file or folder nor a git revision"));
    std::fs::write(policy.join("ingredients.sop"), "flow {").unwrap();
    let o = sopflow(&policy, &["diff", "HEAD"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("syntax errors"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A slice: one flow, two markets.
#[test]
fn a_slice_compares_two_restrictions_of_one_flow() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = sopflow(
        repo,
        &["diff", "examples/diff/before", "--flow", "cosmetics_review", "--where", "market == ID", "--against", "market == MY", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Indonesia notifies the authority when the lab confirms; Malaysia does not.
    let text = json.to_string();
    assert!(text.contains("notify_authority"), "{json}");
    let o = sopflow(repo, &["diff", "examples/diff/before", "--flow", "cosmetics_review", "--where", "market == ID", "--against", "market == VN"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let o = sopflow(repo, &["diff", "examples/diff/before", "--flow", "cosmetics_review", "--where", "markt == ID", "--against", "market == VN"]);
    assert_eq!(o.status.code(), Some(2));
}
