//! `sopflow doc`: the handbook of `policies/` (HTML and Markdown), its
//! snapshot for one flow, the words it uses (the policy's, or a small fixed
//! vocabulary), its worked examples (each replayed by `eval`; on random
//! flows, one for every way through that some case takes, by brute force),
//! `--where` and `--since`; and in headless Chromium: no console error,
//! every page reachable from the index, every drawing present, a
//! screenshot under `target/handbook/`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use sopflow::eval;

use common::Lcg;

fn sopflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sopflow")).args(args).output().unwrap()
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("doc-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn build(paths: &[&str], extra: &[&str], name: &str) -> PathBuf {
    let dir = out_dir(name);
    let mut args = vec!["doc"];
    args.extend(paths);
    args.extend(["-o", dir.to_str().unwrap()]);
    args.extend(extra);
    let o = sopflow(&args);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

/// The visible text of an HTML page (the drawings' text included).
fn visible_text(html: &str) -> String {
    let body = html.trim_start_matches("<!DOCTYPE html>\n");
    let mut reader = quick_xml::Reader::from_str(body);
    let mut out = String::new();
    let mut skip = 0;
    loop {
        match reader.read_event().expect("well-formed markup") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"style" => skip += 1,
            quick_xml::events::Event::End(e) if e.name().as_ref() == b"style" => skip -= 1,
            quick_xml::events::Event::Text(t) if skip == 0 => {
                out.push_str(&t.decode().unwrap());
                out.push(' ');
            }
            quick_xml::events::Event::GeneralRef(r) if skip == 0 => {
                out.push_str(&String::from_utf8_lossy(&r));
                out.push(' ');
            }
            _ => {}
        }
    }
    out
}

fn words(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// The handbook's own words: headings, connectives, the names of things.
const VOCABULARY: &str = "a about above action actions always an and any applies are as at below by case cases change changed changes \
    code col content covers critical decide decision described diagram differently do does done drawn each either escalate every exactly \
    example examples exist first flow flows for found from generated go hand handbook handed handled here high if in index input inputs \
    instructions is it its least left less low medium more most name never new no none not notes now number of one or otherwise out \
    outcome outcomes page policy reaches removed resolved result rule rules run runs scope see sends severity shown since skip sla sopflow \
    source starts step steps table tables take takes team teams text than that the then there this through time timeout to unique used \
    value values way ways were what when where with within worked yes values skip content lt gt amp quot apos some so stopped conflict \
    loop by";

#[test]
fn the_handbook_says_nothing_the_policy_does_not() {
    let dir = build(&["policies"], &[], "words");
    let mut allowed = words(VOCABULARY);
    for f in std::fs::read_dir("policies").unwrap() {
        let f = f.unwrap().path();
        allowed.extend(words(&std::fs::read_to_string(&f).unwrap()));
        allowed.extend(words(&f.display().to_string()));
    }
    let mut pages = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "html") {
            pages += 1;
            let text = visible_text(&std::fs::read_to_string(&f).unwrap());
            // Numbers and durations are values of worked examples.
            let invented: Vec<String> = words(&text).into_iter().filter(|w| !allowed.contains(w) && !w.chars().next().unwrap().is_ascii_digit()).collect();
            assert!(invented.is_empty(), "{}: {invented:?}", f.display());
        }
    }
    assert_eq!(pages, 9);
}

/// A rule's duration reads as the policy writes it: `> 14d` is "more than
/// 14d", not the same time in weeks.
#[test]
fn durations_in_rules_read_as_written() {
    let dir = build(&["policies"], &["--format", "markdown"], "durations");
    let text: String = std::fs::read_dir(&dir).unwrap().map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap()).collect();
    assert!(text.contains("more than 14d"), "{text}");
    assert!(!text.contains("2w"), "{text}");
}

#[test]
fn snapshot_of_one_flow_page() {
    let dir = build(&["policies"], &[], "snapshot");
    insta::assert_snapshot!("doc_flow_seller_ticket_html", std::fs::read_to_string(dir.join("flow-seller_ticket.html")).unwrap());
    let md = build(&["policies"], &["--format", "markdown"], "snapshot-md");
    insta::assert_snapshot!("doc_flow_seller_ticket_md", std::fs::read_to_string(md.join("flow-seller_ticket.md")).unwrap());
    assert!(md.join("flow-seller_ticket.svg").exists() && md.join("index.md").exists());
}

/// A worked example's inputs as a JSON case.
fn case_json(p: &sopflow::model::Program, inputs: &[(String, String, String)]) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    for (_, name, value) in inputs {
        let id = p.input_by_name(name).unwrap();
        let v = match (value.as_str(), &p.inputs[id].ty) {
            ("yes", _) => serde_json::Value::Bool(true),
            ("no", _) => serde_json::Value::Bool(false),
            (n, sopflow::model::Type::Int { .. }) => serde_json::Value::from(n.parse::<i64>().unwrap()),
            (s, _) => serde_json::Value::String(s.trim_matches(['\u{201c}', '\u{201d}']).to_string()),
        };
        m.insert(name.clone(), v);
    }
    m
}

#[test]
fn every_worked_example_runs_as_shown() {
    let r = common::check_path(Path::new("policies"));
    let p = r.program.as_ref().unwrap();
    let options = sopflow::doc::Options { title: "t".into(), scope: None, max_examples: 40, changes: None };
    let h = sopflow::doc::build(p, &r.sources, &options);
    let mut n = 0;
    for (f, page) in h.flows.iter().enumerate() {
        assert!(!page.examples.is_empty(), "{}", page.name);
        for e in &page.examples {
            let case = eval::case_from_json(p, &case_json(p, &e.inputs)).unwrap();
            let flow = &p.flows[f];
            let timeouts: Vec<usize> = e.timeouts.iter().map(|t| flow.steps.iter().position(|s| s.title.as_deref().unwrap_or(&s.name) == t).unwrap()).collect();
            let run = eval::run_flow_timed(p, f, &case, &timeouts);
            let steps: Vec<String> = run.path.iter().map(|s| flow.steps[*s].title.clone().unwrap_or_else(|| flow.steps[*s].name.clone())).collect();
            assert_eq!(steps, e.steps, "{}", e.title);
            assert_eq!(
                sopflow::doc::flat(&e.result),
                match &run.end {
                    eval::End::Outcome { outcome, .. } => format!("outcome {}", p.outcomes[*outcome].name),
                    eval::End::Escalated { team, .. } => format!("handed to {}", p.teams[*team].name),
                    _ => panic!("{}", e.title),
                }
            );
            n += 1;
        }
        // One example per way through: no two show the same route.
        let routes: BTreeSet<_> = page.examples.iter().map(|e| e.route.clone()).collect();
        assert_eq!(routes.len(), page.examples.len());
    }
    assert!(n >= 30, "{n} examples");
}

#[test]
fn worked_examples_are_exactly_the_ways_some_case_takes() {
    let mut rng = Lcg(30);
    let all = common::small_cases();
    let mut checked = 0;
    while checked < 100 {
        let text = common::small_flow(&mut rng, 1);
        let r = common::check_source("random.sop", &text);
        let Some(p) = r.program.as_ref() else { continue };
        if !p.flows[0].ok {
            continue;
        }
        checked += 1;
        let mut taken: BTreeSet<Vec<(usize, usize)>> = BTreeSet::new();
        for timeouts in common::timeout_sets(p) {
            for case in &all {
                let run = eval::run_flow_timed(p, 0, case, &timeouts);
                // A timeout that does not fire on the path is not part of the way.
                if timeouts.iter().all(|s| run.path.contains(s)) {
                    taken.insert(
                        run.taken
                            .iter()
                            .map(|(w, b)| {
                                (
                                    match w {
                                        eval::Where::Step(s) => *s,
                                        _ => unreachable!(),
                                    },
                                    *b,
                                )
                            })
                            .collect(),
                    );
                }
            }
        }
        let options = sopflow::doc::Options { title: "t".into(), scope: None, max_examples: 1000, changes: None };
        let h = sopflow::doc::build(p, &r.sources, &options);
        let shown: BTreeSet<Vec<(usize, usize)>> = h.flows[0].examples.iter().map(|e| e.route.clone()).collect();
        assert_eq!(shown, taken, "{text}");
    }
}

#[test]
fn where_writes_the_guide_for_one_market() {
    let dir = build(&["policies"], &["--where", "market == VN"], "where");
    let page = std::fs::read_to_string(dir.join("flow-counterfeit_review.html")).unwrap();
    assert!(page.contains("This handbook covers the cases where <code>market == VN</code>"), "{page}");
    // Fraud reports outside ID and VN: no VN case takes that rule.
    assert!(page.contains("Left out for this scope"));
    assert!(page.contains("report.kind == fraud and market not in { ID, VN }`: no case of this scope takes it"), "{page}");
    let text = visible_text(&page);
    assert!(!text.contains("is not ID or VN"), "the dropped rule is not in the steps");
    // Every worked example is a VN case (when the market matters).
    let r = common::check_path(Path::new("policies"));
    let p = r.program.as_ref().unwrap();
    let vn = p.input_by_name("market").unwrap();
    let cond = {
        let t = common::check_source(
            "w.sop",
            &format!("{}\ntable w {{\n  when market == VN -> outcome no_action\n}}\n", std::fs::read_to_string("policies/common.sop").unwrap()),
        );
        t.program.unwrap().tables.iter().find(|t| t.name == "w").unwrap().decision.branches[0].cond().unwrap().clone()
    };
    let h = sopflow::doc::build(
        p,
        &r.sources,
        &sopflow::doc::Options { title: "t".into(), scope: Some(("market == VN".into(), &cond)), max_examples: 40, changes: None },
    );
    let all = sopflow::doc::build(p, &r.sources, &sopflow::doc::Options { title: "t".into(), scope: None, max_examples: 40, changes: None });
    let (mut fewer, mut examples) = (false, 0);
    for (scoped, full) in h.flows.iter().zip(&all.flows) {
        for e in &scoped.examples {
            if let Some((_, _, v)) = e.inputs.iter().find(|(_, n, _)| *n == p.inputs[vn].name) {
                assert_eq!(v, "VN", "{}", e.title);
            }
            examples += 1;
        }
        fewer |= scoped.examples.len() < full.examples.len();
    }
    assert!(fewer && examples > 10);
}

#[test]
fn since_lists_the_cases_handled_differently() {
    let scratch = common::copy_policies();
    let new = scratch.path();
    // Repeat counterfeiters go to brand protection from two strikes, not three.
    let file = new.join("counterfeit.sop");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("seller.strikes >= 3 "));
    std::fs::write(&file, text.replace("seller.strikes >= 3 ", "seller.strikes >= 2 ")).unwrap();
    let dir = build(&[new.to_str().unwrap()], &["--since", "policies"], "since");
    let page = visible_text(&std::fs::read_to_string(dir.join("changes.html")).unwrap());
    assert!(page.contains("What changed since policies"), "{page}");
    assert!(page.contains("flow counterfeit_review"), "{page}");
    assert!(page.contains("seller.strikes"), "{page}");
    assert!(std::fs::read_to_string(dir.join("index.html")).unwrap().contains("href=\"changes.html\""));
    // No change: said so.
    let same = build(&["policies"], &["--since", "policies"], "since-same");
    assert!(visible_text(&std::fs::read_to_string(same.join("changes.html")).unwrap()).contains("No case is handled differently"));
}

#[test]
fn the_handbook_opens_in_chromium() {
    if !Path::new("tools/browser/node_modules/playwright-core").exists() {
        common::skip("tools/browser is not installed (run `npm ci` there)");
        return;
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if Command::new("node").arg("--version").output().is_err() || Command::new(&chromium).arg("--version").output().is_err() {
        common::skip("node or chromium is not installed");
        return;
    }
    // Written where CI keeps it: target/handbook, with a screenshot of a flow page.
    let dir = Path::new("target/handbook");
    let _ = std::fs::remove_dir_all(dir);
    let o = sopflow(&["doc", "policies", "-o", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let o = Command::new("node").arg("tools/browser/handbook.mjs").arg(dir).arg("target/handbook-flow-page.png").env("CHROMIUM", &chromium).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("handbook: 9 pages opened, 9 written, 8 drawings, 0 problems"), "{out}");
    assert!(Path::new("target/handbook-flow-page.png").metadata().unwrap().len() > 10_000);
}

#[test]
fn a_long_flow_still_gets_its_worked_examples() {
    // 60 steps: more ways than are shown; the examples are `sopflow cases`'s first.
    let text = format!("{}{}", sopflow_tools::gen::declarations(20), sopflow_tools::gen::sop_flow("long", 60, 5));
    let r = common::check_source("long.sop", &text);
    let p = r.program.as_ref().unwrap();
    let h = sopflow::doc::build(p, &r.sources, &sopflow::doc::Options { title: "t".into(), scope: None, max_examples: 12, changes: None });
    let page = &h.flows[0];
    assert!(page.examples_capped);
    assert_eq!(page.examples.len(), 12);
    for e in &page.examples {
        let case = eval::case_from_json(p, &case_json(p, &e.inputs)).unwrap();
        let timeouts: Vec<usize> = e.timeouts.iter().map(|t| p.flows[0].steps.iter().position(|s| s.title.as_deref() == Some(t)).unwrap()).collect();
        let run = eval::run_flow_timed(p, 0, &case, &timeouts);
        assert_eq!(run.path.len(), e.steps.len(), "{}", e.title);
    }
}

/// 60 steps that each ask the same question: 2^60 routes through the step
/// graph, of which cases take two. The walk asks the solver before it
/// extends a route, so it finds both, and knows there are no more.
#[test]
fn a_long_flow_with_few_ways_shows_each_of_them() {
    let mut text = String::from("input a: bool\noutcome yes\noutcome no\nflow chain {\n  start s0\n");
    for i in 0..59 {
        text.push_str(&format!("  step s{i} {{\n    when a -> s{}\n    otherwise -> s{}\n  }}\n", i + 1, i + 1));
    }
    text.push_str("  step s59 {\n    when a -> outcome yes\n    otherwise -> outcome no\n  }\n}\n");
    let r = common::check_source("chain.sop", &text);
    let p = r.program.as_ref().unwrap();
    let h = sopflow::doc::build(p, &r.sources, &sopflow::doc::Options { title: "t".into(), scope: None, max_examples: 40, changes: None });
    let page = &h.flows[0];
    assert!(!page.examples_capped);
    let mut results: Vec<String> = page.examples.iter().map(|e| sopflow::doc::flat(&e.result)).collect();
    results.sort();
    assert_eq!(results, ["outcome no", "outcome yes"]);
    assert!(page.examples.iter().all(|e| e.steps.len() == 60));
}
