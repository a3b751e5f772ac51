//! `sopflow eval` (human, JSON, explain, batch, case validation) and
//! `sopflow test` (pass, fail, filter, coverage).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sopflow(args: &[&str], stdin: &str) -> Output {
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_sopflow")).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("runs");
    // Written from a thread: a streaming command answers while it reads.
    let mut pipe = child.stdin.take().unwrap();
    let text = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CASE: &str = r#"{"report.kind": "counterfeit", "brand.authorized": false, "brand.registered": true,
  "report.source": "rights_holder", "seller.strikes": 4, "bp.confirmed": true}"#;

#[test]
fn eval_prints_the_result_path_escalations_and_actions() {
    let o = sopflow(&["eval", "policies", "--flow", "counterfeit_review", "--case", "-"], CASE);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    insta::assert_snapshot!("eval_human", out(&o));
}

#[test]
fn eval_json_and_explain() {
    let o = sopflow(&["eval", "policies", "--flow", "counterfeit_review", "--case", "-", "--format", "json", "--explain"], CASE);
    assert_eq!(o.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["result"], "outcome");
    assert_eq!(json["outcome"], "suspend_seller");
    assert_eq!(json["path"], serde_json::json!(["intake", "brand_check", "confirm"]));
    assert_eq!(json["escalations"], serde_json::json!(["brand_protection"]));
    insta::assert_json_snapshot!("eval_json_explain", json);
}

#[test]
fn eval_reads_a_case_file_and_delegated_tables() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let file = dir.join("case.json");
    std::fs::write(&file, r#"{"fraud.signal": "fake_tracking", "fraud.confirmed": true, "order.value_usd": 50000, "seller.strikes": 2}"#).unwrap();
    let o = sopflow(&["eval", "policies", "--flow", "fraud_case", "--case", file.to_str().unwrap(), "--format", "json"], "");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["outcome"], "suspend_seller");
    assert_eq!(json["tables"], serde_json::json!(["strike_sanctions"]));
    assert_eq!(json["actions"], serde_json::json!(["freeze_payouts"]));
    assert_eq!(json["escalations"], serde_json::json!(["seller_integrity"]));
}

#[test]
fn eval_reports_conflicts_and_fall_through_as_failures() {
    let o = sopflow(
        &["eval", "tests/conformance/02_conflicting_outcomes.sop", "--flow", "review", "--case", "-", "--format", "json"],
        r#"{"brand.authorized": true, "seller.strikes": 3}"#,
    );
    assert_eq!(o.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["result"], "conflict");
    assert!(json["error"].as_str().unwrap().contains("branch 1 (`brand.authorized`) and branch 2 (`seller.strikes >= 3`) both hold"), "{json}");
}

#[test]
fn every_case_validation_error_names_the_input() {
    let cases = [
        (r#"{"report.kind": "counterfeit", "brand.authorised": true}"#, "unknown input `brand.authorised` (did you mean `brand.authorized`?)"),
        (r#"{"report.kind": "counterfeit", "brand.authorized": "yes"}"#, "input `brand.authorized` must be `true` or `false`, not \"yes\""),
        (r#"{"report.kind": "counterfeit", "seller.strikes": 101}"#, "input `seller.strikes` is 101, outside its range 0 to 100"),
        (r#"{"report.kind": "counterfiet"}"#, "input `report.kind` has no variant `counterfiet` (did you mean `counterfeit`?)"),
        (r#"{"report.kind": "counterfeit"}"#, "the run needs input `brand.authorized`, which the case does not give"),
        (r#"{"report.kind": "counterfeit", "seller.strikes": 2.5}"#, "input `seller.strikes` must be a whole number"),
    ];
    for (case, message) in cases {
        let o = sopflow(&["eval", "policies", "--flow", "counterfeit_review", "--case", "-", "--format", "json"], case);
        assert_eq!(o.status.code(), Some(1), "{case}");
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(json["error"].as_str().unwrap().contains(message), "{case}: {json}");
    }
    let o = sopflow(&["eval", "policies", "--flow", "counterfeit_review", "--case", "-"], "[1, 2]");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("must be a JSON object"), "{}", err(&o));
    let o = sopflow(&["eval", "policies", "--flow", "counterfeit_reveiw", "--case", "-"], "{}");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no flow named `counterfeit_reveiw` (did you mean `counterfeit_review`?)"), "{}", err(&o));
}

#[test]
fn durations_are_read_as_text_or_seconds() {
    for age in [r#""13h""#, "46800"] {
        let case = format!(r#"{{"ticket.topic": "listing_blocked", "ticket.resolved_by_agent": false, "seller.tier": "mall", "ticket.age": {age}}}"#);
        let o = sopflow(&["eval", "policies", "--flow", "seller_ticket", "--case", "-", "--format", "json"], &case);
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(json["team"], "ts_leads", "{age}");
    }
}

/// Every input line gets one output line, with its line number: a blank
/// line, a line that is not JSON, a case with a key given twice; an
/// enormous value is not echoed whole.
#[test]
fn batch_mode_keeps_order_and_reports_bad_lines() {
    let huge = "x".repeat(100_000);
    let input = [
        r#"{"report.kind": "other"}"#.to_string(),
        r#"{"report.kind": "fraud", "market": "ID"}"#.to_string(),
        r#"{"report.kind": "fraud", "market": "#.to_string(),
        String::new(),
        r#"{"report.kind": "fraud", "market": "SG"}"#.to_string(),
        r#"{"report.kind": "fraud", "market": "SG", "market": "ID"}"#.to_string(),
        format!(r#"{{"report.kind": "{huge}"}}"#),
    ]
    .join("\n");
    let o = sopflow(&["eval", "policies", "--flow", "counterfeit_review", "--cases", "-"], &input);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = out(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 7);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["line"], i + 1, "{l}");
    }
    assert_eq!(lines[0]["outcome"], "no_action");
    assert_eq!(lines[1]["team"], "fraud_ops");
    assert_eq!(lines[2]["result"], "invalid_line");
    assert!(lines[2]["error"].as_str().unwrap().starts_with("not valid JSON"));
    assert_eq!(lines[3]["result"], "blank");
    assert_eq!(lines[4]["outcome"], "remove_listing");
    assert_eq!(lines[5]["result"], "invalid_case");
    assert_eq!(lines[5]["error"], "input `market` is given twice");
    assert_eq!(lines[6]["result"], "invalid_case");
    assert!(lines[6]["error"].as_str().unwrap().len() < 300, "{}", lines[6]["error"]);
}

#[test]
fn batch_mode_is_in_order_for_many_cases() {
    let kinds = ["counterfeit", "fraud", "prohibited", "other"];
    let input: String = (0..20_000)
        .map(|i| format!(r#"{{"report.kind": "{}", "market": "SG", "brand.authorized": true, "seller.strikes": {}}}"#, kinds[i % 4], i % 50) + "\n")
        .collect();
    let o = sopflow(&["eval", "policies", "--flow", "counterfeit_review", "--cases", "-"], &input);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let results: Vec<serde_json::Value> = out(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(results.len(), 20_000);
    for (i, r) in results.iter().enumerate() {
        let want = ["no_action", "", "no_action", "no_action"][i % 4];
        if i % 4 == 1 {
            assert_eq!(r["outcome"], "remove_listing", "line {}", i + 1);
        } else {
            assert_eq!(r["outcome"], want, "line {}", i + 1);
        }
    }
}

#[test]
fn test_passes_on_the_policies_with_full_coverage() {
    let o = sopflow(&["test", "policies", "--coverage", "--coverage-format", "json"], "");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // The JSON report is the whole of standard output; the test report goes
    // to standard error, still ending with the contract's line.
    let json: serde_json::Value = serde_json::from_str(&out(&o)).expect("standard output is JSON alone");
    assert!(err(&o).ends_with("\n56 passed, 0 failed\n"), "{}", err(&o));
    assert_eq!(json["branches_total"], json["branches_taken"]);
    assert!(json["units"].as_array().unwrap().iter().all(|u| u["untaken"].as_array().unwrap().is_empty()));
    // Timeout routes are branches too, and the policies' tests take them all.
    let timeouts: u64 = json["units"].as_array().unwrap().iter().map(|u| u["timeouts_taken"].as_u64().unwrap()).sum();
    assert_eq!(timeouts, 11);
}

/// With `--output`, the JSON coverage report is the file alone; with
/// `--coverage-output`, the coverage goes to its own file and the test
/// report keeps standard output.
#[test]
fn a_json_coverage_report_is_json_alone() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let file = dir.join("cov.json");
    let o = sopflow(&["test", "policies", "--coverage", "--coverage-format", "json", "-o", file.to_str().unwrap()], "");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).expect("the file is JSON alone");
    assert!(json["units"].is_array());
    let side = dir.join("side.json");
    let o = sopflow(&["test", "policies", "--coverage", "--coverage-format", "json", "--coverage-output", side.to_str().unwrap()], "");
    assert!(out(&o).ends_with("\n56 passed, 0 failed\n"), "{}", out(&o));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&side).unwrap()).expect("the coverage file is JSON alone");
    assert!(json["units"].is_array());
}

/// A test can say which steps time out; a step without a `timeout` route
/// cannot, and a step the flow does not have is an undefined name.
#[test]
fn tests_take_timeout_routes() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let file = dir.join("t.sop");
    let policy = "input x: bool\nteam l2\noutcome a\nflow f {\n  start s\n  step s within 1h {\n    when x -> outcome a\n    otherwise -> u\n    timeout -> escalate l2\n  }\n  step u {\n    otherwise -> outcome a\n  }\n}\n";
    let tests = "test \"late\" {\n  run flow f\n  given { x: true }\n  timeout s\n  expect escalate l2\n  expect path s\n}\n\
                 test \"no route\" {\n  run flow f\n  given { x: false }\n  timeout s, u\n  expect escalate l2\n}\n";
    std::fs::write(&file, format!("{policy}{tests}")).unwrap();
    let o = sopflow(&["test", file.to_str().unwrap(), "--color", "never"], "");
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("\"late\" ... ok"), "{text}");
    assert!(text.contains("step `u` has no `timeout` route, so it cannot time out"), "{text}");
    assert!(text.ends_with("1 passed, 1 failed\n"), "{text}");
    std::fs::write(&file, format!("{policy}test \"typo\" {{\n  run flow f\n  given {{ x: true }}\n  timeout q\n  expect escalate l2\n}}\n")).unwrap();
    let o = sopflow(&["check", file.to_str().unwrap(), "--format", "json"], "");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["code"], "undefined-name", "{json}");
    assert_eq!(json["diagnostics"][0]["message"], "no step `q` in flow `f`");
}

/// `eval` takes a case's timeouts under `"@timeouts"`, and rejects steps
/// that cannot time out.
#[test]
fn eval_takes_timeouts() {
    let case = r#"{"ticket.topic": "fees", "@timeouts": ["first_line"]}"#;
    let o = sopflow(&["eval", "policies", "--flow", "seller_ticket", "--case", "-", "--format", "json"], case);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["team"], "ts_leads", "{json}");
    assert_eq!(json["path"], serde_json::json!(["route", "first_line"]));
    let o = sopflow(&["eval", "policies", "--flow", "seller_ticket", "--case", "-", "--format", "json"], r#"{"ticket.topic": "fees", "@timeouts": ["route"]}"#);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["result"], "invalid_case");
    assert!(json["error"].as_str().unwrap().contains("step `route` has no `timeout` route"), "{json}");
}

/// The note about `check`'s errors says what the tests do: an analysis
/// error (a conflict) does not stop a run, and the tests pass or fail on
/// their own cases.
#[test]
fn the_note_on_errors_agrees_with_the_results() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let file = dir.join("t.sop");
    std::fs::write(&file, "input x: bool\ninput y: bool\noutcome a\noutcome b\ntable t {\n  when x -> outcome a\n  when y -> outcome b\n  otherwise -> outcome a\n}\ntest \"x only\" {\n  run table t\n  given { x: true, y: false }\n  expect outcome a\n}\n").unwrap();
    let o = sopflow(&["test", file.to_str().unwrap(), "--color", "never"], "");
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("1 other error(s) (conflicting-outcomes); tests run the policy as written"), "{text}");
    assert!(!text.contains("tests of the flows and tables they"), "{text}");
    assert!(text.ends_with("1 passed, 0 failed\n"));
}

/// A filter that matches no test, or a project without tests, runs
/// nothing: that is an error naming the filter, never a green run.
#[test]
fn a_test_run_that_runs_nothing_fails() {
    let o = sopflow(&["test", "policies", "--filter", "no such test"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no test name contains `no such test`"), "{}", err(&o));
    let o = sopflow(&["test", "tests/conformance/02_conflicting_outcomes.sop"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no `test` blocks"), "{}", err(&o));
}

#[test]
fn test_failures_show_expected_and_actual_with_the_span() {
    let o = sopflow(&["test", "tests/run/failing.sop", "--color", "never"], "");
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    assert!(text.ends_with("1 passed, 3 failed\n"), "{text}");
    insta::assert_snapshot!("test_failures", text);
}

#[test]
fn test_filter_and_coverage_table() {
    let o = sopflow(&["test", "tests/run/failing.sop", "--filter", "flagged", "--coverage", "--color", "never"], "");
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).ends_with("\n1 passed, 0 failed\n"));
    insta::assert_snapshot!("test_filter_coverage", out(&o));
}
