//! `sopflow backtest`: the tallies agree with `eval` case by case, in every
//! file format; bad rows are counted and the run goes on; what cannot be
//! read is a clear error.

use std::path::Path;
use std::process::Command;

use sopflow::backtest::{self, report, Format, Plan};
use sopflow::model::{Program, RunTarget};
use sopflow_tools::cases::{self, Cases};
use sopflow_tools::gen::Rng;

fn sopflow(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sopflow")).args(args).env("CI", "true").output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn policies() -> sopflow::check::CheckResult {
    sopflow::check::check(sopflow::project::load(&[Path::new("policies").to_path_buf()]).expect("loads"))
}

/// Writes `rows` generated cases as JSON lines, CSV and Parquet; returns the rows.
fn write_cases(program: &Program, dir: &Path, rows: usize, seed: u64) -> Vec<Vec<cases::V>> {
    let gen = Cases::new(program);
    let mut rng = Rng::new(seed);
    let data: Vec<Vec<cases::V>> = (0..rows).map(|_| gen.row(&mut rng)).collect();
    let json: String = data.iter().map(|r| cases::json(&gen, r, &[]) + "\n").collect();
    std::fs::write(dir.join("cases.jsonl"), json).unwrap();
    let mut csv = csv::Writer::from_path(dir.join("cases.csv")).unwrap();
    csv.write_record(gen.columns()).unwrap();
    for r in &data {
        csv.write_record(gen.fields(r)).unwrap();
    }
    csv.flush().unwrap();
    let schema = std::sync::Arc::new(gen.schema(&[]));
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(700)).build();
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(dir.join("cases.parquet")).unwrap(), schema.clone(), Some(props)).unwrap();
    w.write(&cases::batch(&gen, &schema, &data, &[])).unwrap();
    w.close().unwrap();
    data
}

/// What `eval` decides for a row, by the same rule as the back-test: only
/// the inputs the target reads are given.
fn eval_label(program: &Program, target: RunTarget, gen: &Cases, row: &[cases::V]) -> (String, Option<String>) {
    let reads = program.target_inputs(target);
    let kept: Vec<cases::V> = row.iter().enumerate().map(|(i, v)| if reads.contains(&i) { v.clone() } else { cases::V::Null }).collect();
    let text = cases::json(gen, &kept, &[]);
    let json = sopflow::render::run::eval_text(program, target, &text, None).expect("a JSON object");
    let name = json.outcome.or(json.team).or_else(|| {
        if json.result == "missing_input" {
            json.error.as_ref().and_then(|e| e.split('`').nth(1).map(str::to_string))
        } else {
            None
        }
    });
    (json.result.to_string(), name)
}

#[test]
fn tallies_agree_with_eval_case_by_case_in_every_format() {
    let checked = policies();
    let program = checked.program.as_ref().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = write_cases(program, dir.path(), 3000, 11);
    let gen = Cases::new(program);
    let targets: Vec<RunTarget> = (0..program.flows.len()).map(RunTarget::Flow).chain((0..program.tables.len()).map(RunTarget::Table)).collect();
    let mut kinds = std::collections::BTreeSet::new();
    for target in targets {
        let mut want: std::collections::BTreeMap<(String, Option<String>), u64> = Default::default();
        for row in &data {
            *want.entry(eval_label(program, target, &gen, row)).or_default() += 1;
        }
        kinds.extend(want.keys().map(|k| k.0.clone()));
        let mut reports = Vec::new();
        for (file, format) in [("cases.jsonl", Format::JsonLines), ("cases.csv", Format::Csv), ("cases.parquet", Format::Parquet)] {
            let plan = Plan::new((program, target), None, None, None, None);
            let tally = backtest::run(&plan, &dir.path().join(file), format, &indicatif::ProgressBar::hidden()).unwrap();
            let r = report::build(&plan, &tally, "cases", None, None);
            let got: std::collections::BTreeMap<(String, Option<String>), u64> =
                r.results.iter().map(|s| ((s.result.result.to_string(), s.result.name.clone()), s.rows)).collect();
            assert_eq!(got, want, "{target:?} from {file}");
            assert_eq!(r.rows, 3000);
            reports.push(serde_json::to_value(&r).unwrap());
        }
        assert_eq!(reports[0], reports[1], "JSON lines and CSV agree");
        assert_eq!(reports[0], reports[2], "JSON lines and Parquet agree");
    }
    for kind in ["outcome", "escalated", "missing_input", "invalid_case"] {
        assert!(kinds.contains(kind), "the cases reach {kind}: {kinds:?}");
    }
}

#[test]
fn groups_changes_and_adherence_count_every_row() {
    let checked = policies();
    let program = checked.program.as_ref().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = write_cases(program, dir.path(), 2000, 5);
    let gen = Cases::new(program);
    let flow = program.flows.iter().position(|f| f.name == "safety_report").unwrap();
    let target = RunTarget::Flow(flow);
    // The baseline: the same policies with the child-safety review's branches swapped.
    let base_dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir("policies").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.replace(
            "when content.severe -> outcome report_to_authorities\n    otherwise           -> outcome remove_content",
            "when content.severe -> outcome remove_content\n    otherwise           -> outcome remove_content",
        );
        std::fs::write(base_dir.path().join(path.file_name().unwrap()), text).unwrap();
    }
    let base = sopflow::check::check(sopflow::project::load(&[base_dir.path().to_path_buf()]).unwrap());
    let base_program = base.program.as_ref().unwrap();
    // A recorded decision: the SOP's for two rows in three, `no_action` otherwise.
    let mut lines = String::new();
    let mut agree = 0;
    let mut changed = 0;
    for (k, row) in data.iter().enumerate() {
        let (result, name) = eval_label(program, target, &gen, row);
        let recorded = if k % 3 == 0 { "no_action".to_string() } else { name.clone().unwrap_or_default() };
        if matches!(result.as_str(), "outcome" | "escalated") && name.as_deref() == Some(recorded.as_str()) {
            agree += 1;
        }
        if eval_label(base_program, target, &gen, row) != (result, name) {
            changed += 1;
        }
        let mut json: serde_json::Value = serde_json::from_str(&cases::json(&gen, row, &[])).unwrap();
        json["decision"] = serde_json::Value::String(recorded);
        json["case_id"] = serde_json::Value::String(format!("case-{k}"));
        lines.push_str(&(json.to_string() + "\n"));
    }
    std::fs::write(dir.path().join("decided.jsonl"), lines).unwrap();
    assert!(changed > 0, "the swap changes some rows");
    let mut plan = Plan::new((program, target), Some((base_program, target)), Some("safety.report"), Some("decision"), Some("case_id"));
    plan.strict = false;
    let tally = backtest::run(&plan, &dir.path().join("decided.jsonl"), Format::JsonLines, &indicatif::ProgressBar::hidden()).unwrap();
    let r = report::build(&plan, &tally, "decided", Some("base"), None);
    let by = r.by.as_ref().unwrap();
    assert_eq!(by.groups.iter().map(|g| g.rows).sum::<u64>(), 2000);
    let changes = r.changes.as_ref().unwrap();
    assert_eq!(changes.changed, changed);
    assert!(changes.cells.iter().all(|c| c.from.label() != c.to.label() && !c.cases.is_empty() && c.cases.iter().all(|id| id.starts_with("case-"))));
    assert!(changes.cells.iter().any(|c| c.to.label() == "report_to_authorities" && c.direction == "stricter"), "{:?}", changes.cells);
    let adherence = r.adherence.as_ref().unwrap();
    assert_eq!(adherence.agree, agree);
    assert_eq!(adherence.confusion.iter().map(|c| c.rows).sum::<u64>(), adherence.compared);
    assert!(adherence.branches.iter().all(|b| b.otherwise <= b.rows && b.otherwise > 0));
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const GOOD: &str = r#"{"safety.report": "self_harm"}"#;

#[test]
fn a_bad_row_in_the_middle_is_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
        GOOD,
        GOOD,
        r#"{"safety.report": "spam"}"#,
        "not json",
        r#"{"safety.report": "harassment"}"#,
        r#"{"safety.report": "harassment", "content.severe": false}"#,
    ]
    .join("\n");
    let file = write(dir.path(), "cases.jsonl", &text);
    let (code, out, _) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &file, "--format", "json"]);
    assert_eq!(code, 1, "bad rows: exit 1");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["rows"], 6);
    assert_eq!(r["evaluated"], 3);
    assert_eq!(r["results"][0]["name"], "wellbeing");
    assert_eq!(r["bad_rows"]["rows"], 3);
    let first = &r["bad_rows"]["first"];
    assert_eq!(first[0]["row"], 3);
    assert!(first[0]["reason"].as_str().unwrap().contains("has no variant `spam`"), "{first}");
    assert_eq!(first[1]["row"], 4);
    assert_eq!(first[2]["row"], 5);
    assert!(first[2]["reason"].as_str().unwrap().contains("`content.severe` is missing"), "{first}");
    // The same file under --strict stops at row 3.
    let (code, _, err) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &file, "--strict"]);
    assert_eq!(code, 2);
    assert!(err.contains("row 3 of") && err.contains("spam"), "{err}");
    // CSV: the data rows are numbered from 1, under the header.
    let csv = write(
        dir.path(),
        "cases.csv",
        "safety_report,content_severe,user_minor,recovery_id_match,recovery_device_known\nself_harm,,,,\nharassment,maybe,,,\nself_harm,,,,\n",
    );
    let (code, out, _) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &csv, "--format", "json"]);
    assert_eq!(code, 1);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((r["rows"].as_u64(), r["bad_rows"]["first"][0]["row"].as_u64()), (Some(3), Some(2)));
    assert!(r["bad_rows"]["first"][0]["reason"].as_str().unwrap().contains("content.severe"), "{r}");
}

#[test]
fn an_empty_file_reports_no_cases_and_is_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("empty.jsonl", ""), ("blank.jsonl", "\n\n"), ("empty.csv", "")] {
        let file = write(dir.path(), name, text);
        let (code, out, err) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &file]);
        assert_eq!(code, 1, "{name}: {out}{err}");
        assert!(err.contains("holds no cases") && out.contains("0 rows"), "{name}: {out}{err}");
    }
}

#[test]
fn a_missing_column_is_a_clear_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "cases.csv", "safety_report,user_minor\nself_harm,true\n");
    let (code, _, err) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &csv]);
    assert_eq!(code, 2);
    assert!(err.contains("column `recovery.id_match` is not in") && err.contains("`recovery_id_match`") && err.contains("`safety_report`"), "{err}");
    // JSON lines leave out what is null: a key in no row is missing when a run needs it.
    let jsonl = write(dir.path(), "cases.jsonl", "{\"safety.report\": \"self_harm\"}\n");
    let (code, _, _) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &jsonl]);
    assert_eq!(code, 0, "no run needs recovery.id_match");
    let jsonl = write(dir.path(), "cases.jsonl", "{\"safety.report\": \"self_harm\"}\n{\"safety.report\": \"account_recovery\"}\n");
    let (code, _, err) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &jsonl]);
    assert_eq!(code, 2);
    assert!(err.contains("column `recovery.id_match` is in no row"), "{err}");
    let jsonl = write(dir.path(), "cases.jsonl", "{\"safety.report\": \"self_harm\"}\n");
    let (code, _, err) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &jsonl, "--by", "market_of_listing"]);
    assert_eq!(code, 2);
    assert!(err.contains("`market_of_listing`"), "{err}");
    // Not a Parquet file.
    let bad = write(dir.path(), "cases.parquet", "PAR1 but not really");
    let (code, _, err) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &bad]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot read"), "{err}");
}

#[test]
fn a_baseline_that_cannot_be_read_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "cases.jsonl", &format!("{GOOD}\n"));
    let (code, out, err) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &file, "--baseline", "no-such-revision-or-path"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("no-such-revision-or-path"), "{err}");
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("a.sop"), "flow {").unwrap();
    let (code, _, err) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &file, "--baseline", &broken.to_string_lossy()]);
    assert_eq!(code, 2);
    assert!(err.contains("the baseline must parse"), "{err}");
    let (code, _, err) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &file, "--baseline", "examples/diff/before"]);
    assert_eq!(code, 2);
    assert!(err.contains("in the baseline") && err.contains("no flow named `safety_report`"), "{err}");
}

#[test]
fn human_and_csv_reports() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "cases.jsonl", &[GOOD, GOOD, r#"{"safety.report": "harassment", "content.severe": true, "user.minor": false}"#].join("\n"));
    let (code, out, _) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &file]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 rows, 3 evaluated"), "{out}");
    assert!(out.contains("escalate wellbeing") && out.contains("66.7%"), "{out}");
    let (code, out, _) = sopflow(&["backtest", "policies", "--flow", "safety_report", "--cases", &file, "--format", "csv"]);
    assert_eq!(code, 0);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("section,group,result,compared,rows,share"));
    assert_eq!(lines.next(), Some("result,,escalate wellbeing,,2,0.666667"));
    assert_eq!(lines.next(), Some("result,,remove_content,,1,0.333333"));
}

#[test]
fn damaged_files_are_errors_or_bad_rows_never_a_panic() {
    let checked = policies();
    let program = checked.program.as_ref().unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_cases(program, dir.path(), 300, 9);
    let flow = RunTarget::Flow(program.flows.iter().position(|f| f.name == "safety_report").unwrap());
    let plan = Plan::new((program, flow), None, None, None, None);
    let mut rng = Rng::new(77);
    for (file, format) in [("cases.parquet", Format::Parquet), ("cases.csv", Format::Csv), ("cases.jsonl", Format::JsonLines)] {
        let original = std::fs::read(dir.path().join(file)).unwrap();
        let damaged = dir.path().join(format!("damaged-{file}"));
        for round in 0..150 {
            let mut bytes = original.clone();
            match round % 3 {
                // A few bytes changed.
                0 | 1 => {
                    for _ in 0..1 + rng.below(4) {
                        let at = rng.below(bytes.len() as u64) as usize;
                        bytes[at] = rng.below(256) as u8;
                    }
                }
                // Cut short.
                _ => bytes.truncate(rng.below(bytes.len() as u64) as usize),
            }
            std::fs::write(&damaged, &bytes).unwrap();
            let done = std::panic::catch_unwind(|| backtest::run(&plan, &damaged, format, &indicatif::ProgressBar::hidden()).map(|t| t.rows));
            assert!(done.is_ok(), "{file}, round {round}: a panic");
        }
    }
}
