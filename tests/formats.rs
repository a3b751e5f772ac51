//! Every output format on one fixture with errors, warnings, labels,
//! witnesses, a suppressed finding, CRLF line endings and multi-byte
//! characters before the spans; exit codes; atomic `--output`.

mod common;

use std::path::Path;
use std::process::Command;

fn fixture() -> sopflow::check::CheckResult {
    common::check_path(Path::new("tests/formats"))
}

#[test]
fn human_format() {
    insta::assert_snapshot!("format_human", sopflow::render::human::render(&fixture(), false));
}

#[test]
fn plain_format() {
    insta::assert_snapshot!("format_plain", sopflow::render::human::render_plain(&fixture()));
}

#[test]
fn json_format() {
    let json: serde_json::Value = serde_json::from_str(&sopflow::render::json::render(&fixture())).unwrap();
    insta::assert_json_snapshot!("format_json", json);
}

#[test]
fn sarif_format() {
    let mut json: serde_json::Value = serde_json::from_str(&sopflow::render::sarif::render(&fixture())).unwrap();
    // The source root is the working directory: machine-specific.
    json["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"] = "file:///[root]/".into();
    // The rule descriptors are the rule docs, pinned by tests/docs.rs.
    let rules = json["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 21);
    assert_eq!(rules[11]["id"], "conflicting-outcomes");
    assert_eq!(rules[11]["defaultConfiguration"]["level"], "error");
    assert!(rules[11]["helpUri"].as_str().unwrap().ends_with("docs/rules/conflicting-outcomes.md"));
    json["runs"][0]["tool"]["driver"]["rules"] = serde_json::json!(format!("[{} rules]", rules.len()));
    let results = json["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<_> = results.iter().filter(|r| r.get("suppressions").is_some()).collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["justification"], "kept for the 2025 audit export");
    insta::assert_json_snapshot!("format_sarif", json);
}

#[test]
fn github_format() {
    insta::assert_snapshot!("format_github", sopflow::render::github::render(&fixture()));
}

#[test]
fn github_escapes_percent_newlines_colons_and_commas() {
    use sopflow::render::github::{escape_data, escape_property};
    assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
    assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
}

fn sopflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sopflow")).args(args).output().unwrap()
}

#[test]
fn exit_codes_ci_can_rely_on() {
    let code = |args: &[&str]| sopflow(args).status.code();
    assert_eq!(code(&["check", "policies"]), Some(0), "clean");
    assert_eq!(code(&["check", "tests/fixtures/missing-timeout.sop"]), Some(0), "warnings");
    assert_eq!(code(&["check", "--deny-warnings", "tests/fixtures/missing-timeout.sop"]), Some(1), "warnings denied");
    assert_eq!(code(&["check", "tests/formats"]), Some(1), "errors");
    assert_eq!(code(&["check", "--format", "sarif", "tests/formats"]), Some(1), "errors, any format");
    assert_eq!(code(&["check", "--no-such-flag"]), Some(2), "bad arguments");
    assert_eq!(code(&["check", "no/such/path"]), Some(2), "missing path");
}

#[test]
fn quiet_shows_errors_only() {
    let o = sopflow(&["check", "--quiet", "--color", "never", "tests/formats"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("conflicting-outcomes"));
    assert!(!text.contains("unused-declaration"));
    assert!(!text.contains("errors,"), "no summary line: {text}");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn output_is_written_atomically_and_replaces_the_file() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let out = dir.join("report.sarif");
    std::fs::write(&out, "old").unwrap();
    let o = sopflow(&["check", "--format", "sarif", "-o", out.to_str().unwrap(), "tests/formats"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["version"], "2.1.0");
    // Only the report is left in the folder: no temporary file behind.
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
    let bad = sopflow(&["check", "-o", "/no/such/dir/report.txt", "tests/formats"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot write `/no/such/dir/report.txt`"));
}

#[test]
fn junit_lists_each_test() {
    let o = sopflow(&["test", "--format", "junit", "tests/run/failing.sop"]);
    assert_eq!(o.status.code(), Some(1));
    let xml = String::from_utf8(o.stdout).unwrap();
    // Every test case and suite carries its time; the values vary by run.
    let opened = xml.matches("<testcase ").count() + xml.matches("<testsuite ").count() + xml.matches("<testsuites ").count();
    assert_eq!(xml.matches(" time=\"").count(), opened, "{xml}");
    insta::assert_snapshot!("format_junit", redact_times(&xml));
}

/// `time="0.000012"` as `time="…"`.
fn redact_times(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find(" time=\"") {
        let value = i + " time=\"".len();
        let end = value + rest[value..].find('"').unwrap();
        out.push_str(&rest[..value]);
        out.push('…');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A project with a syntax error still gets its JUnit report, the error as
/// a failed case, so that a CI step has a report to upload.
#[test]
fn junit_is_written_when_the_project_has_syntax_errors() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let file = dir.join("broken.sop");
    std::fs::write(&file, "outcome a\nflow f {\n  start s\n  step s {\n    otherwise -> outcome\n  }\n}\n").unwrap();
    let report = dir.join("junit.xml");
    let o = sopflow(&["test", "--format", "junit", "-o", report.to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let xml = std::fs::read_to_string(&report).expect("the report is written");
    assert!(xml.contains("tests=\"1\" failures=\"1\""), "{xml}");
    assert!(xml.contains("<testcase name=\"syntax-error at 5:18\""), "{xml}");
    assert!(xml.contains("<failure message=") && xml.contains("type=\"syntax-error\""), "{xml}");
}

/// A condition shown in a message is its source on one line, without the
/// comments written inside it (string literals kept as written).
#[test]
fn condition_texts_leave_out_comments() {
    let text = "input a: bool\ninput s: string\noutcome x\noutcome y\ntable t first {\n  when a // why\n     and not a and s == \"http://x  y\" -> outcome x // after\n  otherwise -> outcome y\n}\n";
    let result = common::check_source("condition-text.sop", text);
    let d = result.diagnostics.iter().find(|d| d.code == sopflow::diagnostics::Code::DeadBranch).expect("a dead branch");
    assert!(d.message.contains("`a and not a and s == \"http://x  y\"`"), "{}", d.message);
}

/// Every SARIF result has a fingerprint that survives edits elsewhere in
/// the file (lines added above it), and an absolute path is an absolute
/// `file:` URI without `uriBaseId` (SARIF1004).
#[test]
fn sarif_fingerprints_are_stable_and_absolute_paths_are_uris() {
    let text = std::fs::read_to_string("tests/fixtures/conflicting-outcomes.sop").unwrap();
    let prints = |text: &str| -> Vec<String> {
        let result = common::check_source("fp.sop", text);
        let json: serde_json::Value = serde_json::from_str(&sopflow::render::sarif::render(&result)).unwrap();
        let mut out: Vec<String> =
            json["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["partialFingerprints"]["sopflow/v1"].as_str().unwrap().to_string()).collect();
        out.sort();
        out
    };
    let before = prints(&text);
    assert!(!before.is_empty());
    assert_eq!(prints(&format!("// a comment\n\n\n{text}")), before);
    let dir = tempfile::tempdir().unwrap();
    let abs = dir.path().join("abs.sop");
    std::fs::write(&abs, &text).unwrap();
    let result = common::check_path(&abs);
    let json: serde_json::Value = serde_json::from_str(&sopflow::render::sarif::render(&result)).unwrap();
    let loc = &json["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert!(loc["uri"].as_str().unwrap().starts_with("file:///"), "{loc}");
    assert!(loc.get("uriBaseId").is_none(), "{loc}");
}
