//! Exports of the example policies: snapshots of every format, the JSON IR
//! against its committed schema, and real consumers (Graphviz renders every
//! DOT export; bpmn-moddle parses and bpmnlint's `recommended` rules accept
//! every BPMN export). Under `CI=true` a missing consumer fails the test;
//! elsewhere it is reported and skipped.

mod common;

use std::path::Path;
use std::process::Command;

use sopflow::export::{self, Selection};

fn policies() -> sopflow::check::CheckResult {
    let result = common::check_path(Path::new("policies"));
    assert!(result.diagnostics.is_empty());
    result
}

/// Every export the example policies allow: the whole project and each flow.
fn selections(p: &sopflow::model::Program) -> Vec<(String, Selection)> {
    let mut out = vec![("all".to_string(), Selection::all(p))];
    for (f, flow) in p.flows.iter().enumerate() {
        out.push((flow.name.clone(), Selection { flows: vec![f], tables: vec![] }));
    }
    for (t, table) in p.tables.iter().enumerate() {
        out.push((table.name.clone(), Selection { flows: vec![], tables: vec![t] }));
    }
    out
}

#[test]
fn snapshots_of_every_format() {
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let all = Selection::all(p);
    let json: serde_json::Value = serde_json::from_str(&export::json::render(p, &r.sources, &all)).unwrap();
    insta::assert_json_snapshot!("export_json", json);
    insta::assert_snapshot!("export_dot", export::dot::render(p, &all));
    insta::assert_snapshot!("export_mermaid", export::mermaid::render(p, &all));
    insta::assert_snapshot!("export_bpmn", export::bpmn::render(p, &all));
}

#[test]
fn the_committed_schema_is_current() {
    let path = Path::new("docs/sopflow-ir.schema.json");
    let schema = export::json::schema();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &schema).unwrap();
    }
    assert_eq!(std::fs::read_to_string(path).unwrap_or_default(), schema, "run `UPDATE_DOCS=1 cargo test --test exports`");
}

#[test]
fn every_json_export_validates_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&export::json::schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema");
    let r = policies();
    let p = r.program.as_ref().unwrap();
    for (name, sel) in selections(p) {
        let doc: serde_json::Value = serde_json::from_str(&export::json::render(p, &r.sources, &sel)).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    // A document that breaks the schema is rejected (the validator is real).
    let mut bad: serde_json::Value = serde_json::from_str(&export::json::render(p, &r.sources, &Selection::all(p))).unwrap();
    bad["flows"][0]["nodes"][0]["kind"] = "nonsense".into();
    assert!(!validator.is_valid(&bad));
    // Closed: a field the schema does not name is rejected, at the top, in
    // a flow, in a branch's condition and target.
    let good: serde_json::Value = serde_json::from_str(&export::json::render(p, &r.sources, &Selection::all(p))).unwrap();
    for pointer in ["", "/flows/0", "/tables/0/branches/0/condition", "/tables/0/branches/0/target/end"] {
        let mut extra = good.clone();
        extra.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")).as_object_mut().unwrap().insert("extra".into(), 1.into());
        assert!(!validator.is_valid(&extra), "`extra` accepted at {pointer:?}");
    }
    // No format the standard does not define (ajv rejects them by default).
    assert!(!export::json::schema().contains("\"uint") && !export::json::schema().contains("int64"));
}

/// Whether a tool can be run; under CI a missing tool is a failure.
fn available(program: &str, args: &[&str]) -> bool {
    let ok = Command::new(program).args(args).output().is_ok_and(|o| o.status.success());
    if !ok {
        common::skip(&format!("`{program}` is not installed"));
    }
    ok
}

#[test]
fn graphviz_renders_every_dot_export() {
    if !available("dot", &["-V"]) {
        return;
    }
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let dir = std::env::temp_dir().join(format!("sopflow-dot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, sel) in selections(p) {
        let file = dir.join(format!("{name}.dot"));
        std::fs::write(&file, export::dot::render(p, &sel)).unwrap();
        let o = Command::new("dot").arg("-Tsvg").arg(&file).output().unwrap();
        assert!(o.status.success() && o.stderr.is_empty(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("<svg"));
    }
}

#[test]
fn bpmnlint_and_bpmn_moddle_accept_every_bpmn_export() {
    let tools = Path::new("tools/bpmn/node_modules/bpmnlint");
    if !tools.exists() {
        common::skip("tools/bpmn is not installed (run `npm ci` there)");
        return;
    }
    if !available("node", &["--version"]) {
        return;
    }
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let dir = std::env::temp_dir().join(format!("sopflow-bpmn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, sel) in selections(p).into_iter().filter(|(_, s)| !s.flows.is_empty()) {
        let file = dir.join(format!("{name}.bpmn"));
        std::fs::write(&file, export::bpmn::render(p, &sel)).unwrap();
        files.push(file);
    }
    // Steps with one way out (no gateway) and a generated flow like the scale corpus.
    let mut sources = sopflow::source::SourceMap::default();
    let text = format!(
        "{}team legal\nflow single {{\n  start a\n  step a within 1h {{\n    otherwise -> b\n  }}\n  step b {{\n    otherwise -> escalate legal -> outcome allow\n  }}\n}}\n{}",
        sopflow_tools::gen::declarations(20),
        sopflow_tools::gen::sop_flow("generated", 25, 1)
    );
    let id = sources.add("single.sop".into(), text);
    let ast = sopflow::syntax::parse_file(id, &sources.get(id).text).expect("parses");
    let (program, _) = sopflow::resolve::resolve(std::slice::from_ref(&ast));
    let file = dir.join("single.bpmn");
    std::fs::write(&file, export::bpmn::render(&program, &Selection::all(&program))).unwrap();
    files.push(file);
    let o = Command::new("node").arg("tools/bpmn/check.mjs").args(&files).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    // No warnings either: none is documented as allowed (docs/exports.md).
    assert!(out.contains(&format!("bpmn: {} files, 0 errors, 0 warnings", files.len())), "{out}");
}

#[test]
fn the_export_command_writes_every_format() {
    for format in ["json", "dot", "mermaid", "bpmn"] {
        let o = Command::new(env!("CARGO_BIN_EXE_sopflow")).args(["export", "policies", "--format", format, "--flow", "fraud_case"]).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{format}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("Investigate the orders"), "{format}: the step title travels");
        assert!(text.contains("Pull the last 90 days"), "{format}: the instructions travel");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_sopflow")).args(["export", "policies", "--format", "bpmn", "--table", "strike_sanctions"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(env!("CARGO_BIN_EXE_sopflow")).args(["export", "tests/fixtures/undefined-name.sop", "--format", "json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("errors; run `sopflow check`"));
}

#[test]
fn mermaid_stacks_one_top_to_bottom_diagram_per_flow_and_tells_hand_offs_from_escalations() {
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let text = export::mermaid::render(p, &Selection::all(p));
    let subgraphs = text.lines().filter(|l| l.trim_start().starts_with("subgraph ")).count();
    assert_eq!(subgraphs, p.flows.len() + p.tables.len());
    assert_eq!(text.matches("    direction TB\n").count(), subgraphs, "every subgraph is laid out top to bottom");
    // Stacked: each diagram linked invisibly to the one before it.
    for k in 1..subgraphs {
        assert!(text.contains(&format!("  g{} ~~~ g{k}\n", k - 1)), "g{k} is stacked");
    }
    // A passing escalation and a final hand-off have different shapes.
    let hand_off = |team: &str| text.contains(&format!(">\"escalate {team}"));
    let passing = |team: &str| text.contains(&format!("{{{{\"escalate {team}"));
    assert!(p.teams.iter().any(|t| hand_off(&t.name)) && p.teams.iter().any(|t| passing(&t.name)), "{text}");
}
