//! The command line as CI and policy writers use it: exit codes, the JSON
//! contract, colours, missing paths, unknown options, explain and rules.

use std::process::{Command, Output};

fn sopflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sopflow")).args(args).output().expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn example_policies_check_clean() {
    let o = sopflow(&["check", "policies/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("0 errors, 0 warnings in 6 files\n"), "{}", stdout(&o));
}

#[test]
fn json_summary_counts_files() {
    let o = sopflow(&["check", "--format", "json", "policies"]);
    assert_eq!(o.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    assert_eq!(report["summary"]["files"], 6);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0);
}

#[test]
fn json_diagnostics_follow_the_contract() {
    let o = sopflow(&["check", "--format", "json", "tests/fixtures/conflicting-outcomes.sop"]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &report["diagnostics"][0];
    assert_eq!(d["code"], "conflicting-outcomes");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "tests/fixtures/conflicting-outcomes.sop");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(13), Some(5)));
    assert_eq!(d["end_line"], 13);
    assert_eq!(d["labels"][0]["line"], 12);
    assert_eq!(d["labels"][0]["file"], "tests/fixtures/conflicting-outcomes.sop");
    assert_eq!(d["witness"], serde_json::json!({"brand.authorized": true, "seller.strikes": 3}));
    assert_eq!(d["path"], serde_json::json!(["s"]));
    assert!(d["help"].is_string());
    assert_eq!(report["summary"]["errors"], 3);
}

#[test]
fn json_lines_and_columns_count_characters_and_ignore_crlf() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let text = "input flag: bool\r\n// é é é\r\noutcome ok\r\naction a \"né né\" outcome late\r\n";
    std::fs::write(dir.join("a.sop"), text).unwrap();
    let o = sopflow(&["check", "--format", "json", dir.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let diags = report["diagnostics"].as_array().unwrap();
    // `late` is unused: line 4, after 25 characters of which two are `é`.
    let d = diags.iter().find(|d| d["message"].as_str().unwrap().contains("`late`")).unwrap();
    assert_eq!((d["line"].as_u64(), d["column"].as_u64(), d["end_column"].as_u64()), (Some(4), Some(26), Some(30)));
}

#[test]
fn a_missing_path_is_exit_2_and_named() {
    let o = sopflow(&["check", "no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`no/such/dir` does not exist"), "{}", stderr(&o));
}

#[test]
fn an_unknown_option_is_exit_2_and_named() {
    let o = sopflow(&["check", "--frobnicate", "policies"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--frobnicate"), "{}", stderr(&o));
    let o = sopflow(&["check", "--format", "xml", "policies"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("xml"), "{}", stderr(&o));
}

#[test]
fn an_unreadable_file_is_reported_and_the_rest_checked() {
    let o = sopflow(&["check", "--format", "json", "tests/fixtures/unreadable-file"]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["unused-declaration", "unreadable-file"]);
    assert_eq!(report["summary"]["files"], 2);
}

#[test]
fn warnings_alone_exit_0_unless_denied() {
    let file = "tests/fixtures/missing-timeout.sop";
    assert_eq!(sopflow(&["check", file]).status.code(), Some(0));
    assert_eq!(sopflow(&["check", "--deny-warnings", file]).status.code(), Some(1));
}

#[test]
fn colours_only_when_asked_or_on_a_terminal() {
    let file = "tests/fixtures/missing-timeout.sop";
    assert!(!stdout(&sopflow(&["check", file])).contains('\u{1b}'), "piped output has no colour");
    assert!(stdout(&sopflow(&["check", "--color", "always", file])).contains('\u{1b}'));
    assert!(!stdout(&sopflow(&["check", "--color", "never", file])).contains('\u{1b}'));
}

#[test]
fn explain_prints_each_rule_and_names_unknown_codes() {
    let o = sopflow(&["explain", "conflicting-outcomes"]);
    assert_eq!(o.status.code(), Some(0));
    for heading in ["## What it finds", "## Why it matters", "## Example", "## Fix"] {
        assert!(stdout(&o).contains(heading), "missing {heading}");
    }
    let o = sopflow(&["explain", "conflicting-outcome"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `conflicting-outcomes`?"), "{}", stderr(&o));
}

#[test]
fn rules_lists_every_code_with_its_level() {
    let o = sopflow(&["rules"]);
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 21);
    assert!(text.contains("analysis-incomplete    note"));
    assert!(text.contains("dead-branch            warning"));
    assert!(text.contains("missing-escalation     error"));
}

#[test]
fn timings_name_every_stage_on_stderr_and_leave_the_report_alone() {
    let with = sopflow(&["check", "--format", "json", "--timings", "policies"]);
    let without = sopflow(&["check", "--format", "json", "policies"]);
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    let err = stderr(&with);
    let line = err.lines().find(|l| l.starts_with("timings: ")).expect("a timings line");
    for stage in ["read ", "parse ", "resolve ", "graph ", "analysis ", "finish ", "render "] {
        assert!(line.contains(stage), "no `{stage}` in {line}");
        // In milliseconds, so that the stages add up.
        let value = line.split(stage).nth(1).and_then(|v| v.split([',', ';']).next()).unwrap_or_default();
        let number = value.strip_suffix(" ms").and_then(|n| n.parse::<f64>().ok());
        assert!(number.is_some(), "`{stage}` is not in milliseconds in {line}");
    }
    assert!(err.lines().any(|l| l.starts_with("memory: after parse ")), "{err}");
    assert_eq!(stdout(&with), stdout(&without));
}

/// Parsing, lowering and the lints run in parallel; the report must not
/// depend on the thread count. A generated project with planted defects,
/// plus a file of front-end findings spread over several flows and tables
/// (lowered in parallel, reported in item order).
#[test]
fn the_report_does_not_depend_on_the_thread_count() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    for (name, text) in sopflow_tools::gen::corpus(20_000, 7, 2) {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let mut broken = String::new();
    for k in 0..12 {
        broken.push_str(&format!(
            "table broken_t{k} {{\n  when nosuch_{k} -> outcome nowhere_{k}\n  otherwise -> outcome allow\n}}\nflow broken_f{k} {{\n  start a\n  step a {{\n    when market == XX{k} -> escalate nobody_{k} -> b\n    otherwise -> missing_{k}\n  }}\n  step b {{ otherwise -> outcome allow }}\n}}\n"
        ));
    }
    std::fs::write(dir.join("zz_broken.sop"), broken).unwrap();
    let run = |threads: &str| {
        let out =
            Command::new(env!("CARGO_BIN_EXE_sopflow")).env("RAYON_NUM_THREADS", threads).args(["check", "--format", "json"]).arg(dir).output().expect("runs");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        stdout(&out)
    };
    let one = run("1");
    assert!(one.contains("undefined-name") && one.contains("unknown-variant") && one.contains("conflicting-outcomes"), "{one}");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("3"));
}

/// A folder without a policy is an error naming it, never a clean report:
/// a CI gate pointed at the wrong folder must fail.
#[test]
fn a_folder_without_policies_is_an_error() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(dir.join("docs/readme.md"), "no policies here").unwrap();
    let shown = dir.to_str().unwrap();
    for args in [vec!["check", shown], vec!["check", "--format", "json", shown], vec!["test", shown], vec!["export", "--format", "json", shown]] {
        let o = sopflow(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stderr(&o).contains(&format!("no `*.sop` file under `{shown}`")), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?}");
    }
}

/// `--quiet` hides warnings; when they fail the check with
/// `--deny-warnings`, one line says why.
#[test]
fn every_failing_exit_says_why() {
    let o = sopflow(&["check", "--quiet", "--deny-warnings", "tests/fixtures/dead-branch.sop"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(stderr(&o).contains("warning") && stderr(&o).contains("--deny-warnings"), "{}", stderr(&o));
    let o = sopflow(&["check", "--quiet", "tests/fixtures/dead-branch.sop"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).is_empty());
}

/// Checking one file of a multi-file project: a name declared in another
/// file of the folder is named as such, not "declare it".
#[test]
fn undefined_names_declared_in_another_file_say_where() {
    let o = sopflow(&["check", "--format", "json", "policies/counterfeit.sop"]);
    assert_eq!(o.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let market = diagnostics.iter().find(|d| d["message"] == "no input named `market`").expect("market is undefined here");
    assert_eq!(
        market["help"],
        "`market` is declared in policies/common.sop, which this check does not include; check the whole folder: `sopflow check policies`"
    );
    assert!(diagnostics.iter().all(|d| !d["help"].as_str().unwrap_or("").starts_with("declare it")), "{report}");
    // A name declared nowhere keeps its help.
    let o = sopflow(&["check", "--format", "json", "tests/fixtures/undefined-name.sop"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(report["diagnostics"].as_array().unwrap().iter().any(|d| d["help"] == "declare it with `enum Region`"), "{report}");
}
