//! Exports of the example policies: snapshots of every format, the JSON IR
//! against its committed schema, and real consumers (Graphviz renders every
//! DOT export; bpmn-moddle parses and bpmnlint's `recommended` rules accept
//! every BPMN export; bpmn-js renders each flow and Mermaid every Mermaid
//! export in headless Chromium), and the BPMN and SVG layouts checked
//! geometrically. Under `CI=true` a missing consumer fails the test;
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

/// Chromium, when it, Node and `tools/browser`'s packages (with `package`)
/// are installed; reported as a skip otherwise.
fn browser(package: &str) -> Option<String> {
    let modules = Path::new("tools/browser/node_modules");
    if !modules.join(package).exists() || !modules.join("playwright-core").exists() {
        common::skip("tools/browser is not installed (run `npm ci` there)");
        return None;
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    (available("node", &["--version"]) && available(&chromium, &["--version"])).then_some(chromium)
}

#[test]
fn graphviz_renders_every_dot_export() {
    if !available("dot", &["-V"]) {
        return;
    }
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
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
    let tools = Path::new("tools/browser/node_modules/bpmnlint");
    if !tools.exists() {
        common::skip("tools/browser is not installed (run `npm ci` there)");
        return;
    }
    if !available("node", &["--version"]) {
        return;
    }
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
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
    let o = Command::new("node").arg("tools/browser/check.mjs").args(&files).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    // No warnings either: none is documented as allowed (docs/exports.md).
    assert!(out.contains(&format!("bpmn: {} files, 0 errors, 0 warnings", files.len())), "{out}");
}

#[test]
fn the_export_command_writes_every_format() {
    for format in ["json", "dot", "mermaid", "bpmn", "svg"] {
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

/// The BPMN diagram's geometry, read back from its DI.
#[derive(Default)]
struct Geometry {
    /// (element, bounds) of every shape but the pools.
    shapes: Vec<(String, [i64; 4])>,
    /// (owner, bounds) of every label.
    labels: Vec<(String, [i64; 4])>,
    /// (flow, waypoints) of every edge.
    edges: Vec<(String, Vec<(i64, i64)>)>,
    /// flow → (source, target)
    ends: std::collections::HashMap<String, (String, String)>,
}

fn geometry(xml: &str) -> Geometry {
    use quick_xml::events::Event;
    let mut g = Geometry::default();
    let mut reader = quick_xml::Reader::from_str(xml);
    let attr =
        |e: &quick_xml::events::BytesStart, k: &str| -> Option<String> { e.try_get_attribute(k).unwrap().map(|a| a.unescape_value().unwrap().into_owned()) };
    let num = |e: &quick_xml::events::BytesStart, k: &str| -> i64 { attr(e, k).unwrap().parse::<f64>().unwrap() as i64 };
    let (mut owner, mut in_label) = (String::new(), false);
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"bpmndi:BPMNShape" | b"bpmndi:BPMNEdge" => {
                    owner = attr(&e, "bpmnElement").unwrap();
                    if e.name().as_ref() == b"bpmndi:BPMNEdge" {
                        g.edges.push((owner.clone(), Vec::new()));
                    }
                }
                b"bpmndi:BPMNLabel" => in_label = true,
                b"dc:Bounds" => {
                    let b = [num(&e, "x"), num(&e, "y"), num(&e, "width"), num(&e, "height")];
                    if in_label {
                        g.labels.push((owner.clone(), b));
                    } else if !owner.starts_with("Participant_") {
                        g.shapes.push((owner.clone(), b));
                    }
                }
                b"di:waypoint" => g.edges.last_mut().unwrap().1.push((num(&e, "x"), num(&e, "y"))),
                b"bpmn:sequenceFlow" => {
                    g.ends.insert(attr(&e, "id").unwrap(), (attr(&e, "sourceRef").unwrap(), attr(&e, "targetRef").unwrap()));
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == b"bpmndi:BPMNLabel" => in_label = false,
            _ => {}
        }
    }
    g
}

fn overlap(a: [i64; 4], b: [i64; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

/// Whether an axis-parallel segment passes through a box's interior.
fn crosses(p: (i64, i64), q: (i64, i64), b: [i64; 4]) -> bool {
    let (x0, x1, y0, y1) = (p.0.min(q.0), p.0.max(q.0), p.1.min(q.1), p.1.max(q.1));
    if y0 == y1 {
        b[1] < y0 && y0 < b[1] + b[3] && x0 < b[0] + b[2] && b[0] < x1
    } else {
        b[0] < x0 && x0 < b[0] + b[2] && y0 < b[1] + b[3] && b[1] < y1
    }
}

type Segment = ((i64, i64), (i64, i64));

/// Whether two axis-parallel segments lie on one line and share a piece of
/// positive length.
fn share(a: Segment, b: Segment) -> bool {
    let horizontal = |s: Segment| s.0 .1 == s.1 .1;
    if horizontal(a) && horizontal(b) && a.0 .1 == b.0 .1 {
        let (a0, a1) = (a.0 .0.min(a.1 .0), a.0 .0.max(a.1 .0));
        let (b0, b1) = (b.0 .0.min(b.1 .0), b.0 .0.max(b.1 .0));
        return a0.max(b0) < a1.min(b1);
    }
    if !horizontal(a) && !horizontal(b) && a.0 .0 == b.0 .0 {
        let (a0, a1) = (a.0 .1.min(a.1 .1), a.0 .1.max(a.1 .1));
        let (b0, b1) = (b.0 .1.min(b.1 .1), b.0 .1.max(b.1 .1));
        return a0.max(b0) < a1.min(b1);
    }
    false
}

/// The layout rules of the BPMN diagram, checked on its DI: no label box
/// overlaps a shape or another label; no two edges share a segment; edges
/// are orthogonal, and no edge runs through a label or a shape other than
/// its own ends (the host of a boundary event counts as one of them).
fn layout_faults(xml: &str) -> Vec<String> {
    let g = geometry(xml);
    let mut faults = Vec::new();
    for (i, (a, la)) in g.labels.iter().enumerate() {
        for (s, b) in &g.shapes {
            if overlap(*la, *b) {
                faults.push(format!("label of {a} {la:?} overlaps shape {s} {b:?}"));
            }
        }
        for (b, lb) in &g.labels[i + 1..] {
            if overlap(*la, *lb) {
                faults.push(format!("label of {a} {la:?} overlaps label of {b} {lb:?}"));
            }
        }
    }
    let segments: Vec<(usize, Segment)> = g.edges.iter().enumerate().flat_map(|(k, (_, pts))| pts.windows(2).map(move |w| (k, (w[0], w[1])))).collect();
    for (k, s) in &segments {
        if s.0 .0 != s.1 .0 && s.0 .1 != s.1 .1 {
            faults.push(format!("edge {} has a diagonal segment {s:?}", g.edges[*k].0));
        }
    }
    for (i, (k, a)) in segments.iter().enumerate() {
        for (m, b) in &segments[i + 1..] {
            if k != m && share(*a, *b) {
                faults.push(format!("edges {} and {} share a segment: {a:?} {b:?}", g.edges[*k].0, g.edges[*m].0));
            }
        }
    }
    for (k, s) in &segments {
        let flow = &g.edges[*k].0;
        let (from, to) = &g.ends[flow];
        for (owner, l) in &g.labels {
            if owner != flow && crosses(s.0, s.1, *l) {
                faults.push(format!("edge {flow} {s:?} runs through the label of {owner} {l:?}"));
            }
        }
        for (el, b) in &g.shapes {
            let host = from.contains("_Timeout_") && from.replace("_Timeout_", "_Step_") == *el;
            if el != from && el != to && !host && crosses(s.0, s.1, *b) {
                faults.push(format!("edge {flow} {s:?} runs through shape {el} {b:?}"));
            }
        }
    }
    faults
}

#[test]
fn bpmn_layout_keeps_labels_clear_and_edges_apart() {
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let mut checked = 0;
    for (f, flow) in p.flows.iter().enumerate() {
        let xml = export::bpmn::render(p, &Selection { flows: vec![f], tables: vec![] });
        let faults = layout_faults(&xml);
        assert!(faults.is_empty(), "flow {}:\n{}", flow.name, faults.join("\n"));
        checked += 1;
    }
    assert_eq!(checked, p.flows.len());
    // A generated 100-step flow, and flows with cycles (drawn above the diagram).
    let mut sources = sopflow::source::SourceMap::default();
    let text = format!("{}{}{}", sopflow_tools::gen::declarations(20), sopflow_tools::gen::sop_flow("generated", 100, 3), sopflow_tools::gen::planted(0));
    let id = sources.add("generated.sop".into(), text);
    let ast = sopflow::syntax::parse_file(id, &sources.get(id).text).expect("parses");
    let (program, _) = sopflow::resolve::resolve(std::slice::from_ref(&ast));
    for (f, flow) in program.flows.iter().enumerate() {
        let xml = export::bpmn::render(&program, &Selection { flows: vec![f], tables: vec![] });
        let g = geometry(&xml);
        assert!(!g.edges.is_empty() && !g.labels.is_empty());
        let faults = layout_faults(&xml);
        assert!(faults.is_empty(), "flow {}:\n{}", flow.name, faults.join("\n"));
    }
}

#[test]
fn the_layout_check_finds_faults() {
    // Two labels on one another, two edges on one segment, an edge through a shape.
    let xml = r#"<x xmlns:bpmn="b" xmlns:bpmndi="d" xmlns:dc="c" xmlns:di="i">
      <bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="b"/>
      <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="c"/>
      <bpmndi:BPMNShape bpmnElement="a"><dc:Bounds x="0" y="0" width="10" height="10"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape bpmnElement="m"><dc:Bounds x="40" y="0" width="10" height="10"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge bpmnElement="f1"><di:waypoint x="10" y="5"/><di:waypoint x="100" y="5"/>
        <bpmndi:BPMNLabel><dc:Bounds x="200" y="200" width="50" height="20"/></bpmndi:BPMNLabel></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge bpmnElement="f2"><di:waypoint x="10" y="5"/><di:waypoint x="30" y="5"/>
        <bpmndi:BPMNLabel><dc:Bounds x="220" y="210" width="50" height="20"/></bpmndi:BPMNLabel></bpmndi:BPMNEdge>
    </x>"#;
    let faults = layout_faults(xml).join("\n");
    assert!(faults.contains("overlaps label"), "{faults}");
    assert!(faults.contains("share a segment"), "{faults}");
    assert!(faults.contains("runs through shape m"), "{faults}");
}

/// Every flow of `policies/` (and a generated 100-step flow) rendered by
/// bpmn-js in headless Chromium: no import warning, no console error, and
/// no rendered label text on a shape or on another label's text.
/// Screenshots go to `target/bpmn-js/`.
#[test]
fn bpmn_js_renders_every_flow_cleanly_in_chromium() {
    let Some(chromium) = browser("bpmn-js/dist") else { return };
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bpmn-js");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (f, flow) in p.flows.iter().enumerate() {
        let file = dir.join(format!("{}.bpmn", flow.name));
        std::fs::write(&file, export::bpmn::render(p, &Selection { flows: vec![f], tables: vec![] })).unwrap();
        files.push(file);
    }
    let mut sources = sopflow::source::SourceMap::default();
    let text = format!("{}{}", sopflow_tools::gen::declarations(20), sopflow_tools::gen::sop_flow("generated", 100, 3));
    let id = sources.add("generated.sop".into(), text);
    let ast = sopflow::syntax::parse_file(id, &sources.get(id).text).expect("parses");
    let (program, _) = sopflow::resolve::resolve(std::slice::from_ref(&ast));
    let file = dir.join("generated_100_steps.bpmn");
    std::fs::write(&file, export::bpmn::render(&program, &Selection::all(&program))).unwrap();
    files.push(file);
    let shots = Path::new("target/bpmn-js");
    let o = Command::new("node").arg("tools/browser/render.mjs").arg("--screenshots").arg(shots).args(&files).env("CHROMIUM", &chromium).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains(&format!("bpmn-js: {} files rendered, 0 with problems", files.len())), "{out}");
}

/// The SVG drawings: well-formed XML with a title and a text alternative,
/// and the layout they draw keeps boxes, labels and edges apart, on every
/// flow and table of `policies/`, a generated 100-step flow and a cycle.
#[test]
fn svg_drawings_are_well_formed_and_keep_shapes_apart() {
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let mut sources = sopflow::source::SourceMap::default();
    let text = format!("{}{}{}", sopflow_tools::gen::declarations(20), sopflow_tools::gen::sop_flow("generated", 100, 3), sopflow_tools::gen::planted(0));
    let id = sources.add("generated.sop".into(), text);
    let ast = sopflow::syntax::parse_file(id, &sources.get(id).text).expect("parses");
    let (generated, _) = sopflow::resolve::resolve(std::slice::from_ref(&ast));
    let mut drawn = 0;
    for program in [p, &generated] {
        let all = Selection::all(program);
        let svg = export::svg::render(program, &all);
        let mut reader = quick_xml::Reader::from_str(&svg);
        let (mut depth, mut titles, mut descs) = (0i64, 0, 0);
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Start(e) => {
                    depth += 1;
                    titles += usize::from(e.name().as_ref() == b"title");
                    descs += usize::from(e.name().as_ref() == b"desc");
                }
                quick_xml::events::Event::End(_) => depth -= 1,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
        let diagrams = export::diagrams(program, &all);
        assert_eq!(descs, diagrams.len(), "one text alternative per drawing");
        assert!(titles >= diagrams.len());
        for d in &diagrams {
            let l = export::svg::layout_of(d);
            let rect = |r: export::layout::Rect| [r.x, r.y, r.w, r.h];
            let labels: Vec<[i64; 4]> = l.routes.iter().filter_map(|r| r.label.map(rect)).collect();
            let mut faults = Vec::new();
            for (i, a) in l.boxes.iter().enumerate() {
                for b in &l.boxes[i + 1..] {
                    if a.overlaps(b) {
                        faults.push(format!("boxes {a:?} and {b:?} overlap"));
                    }
                }
                for lb in &labels {
                    if overlap(rect(*a), *lb) {
                        faults.push(format!("label {lb:?} on box {a:?}"));
                    }
                }
            }
            for (i, a) in labels.iter().enumerate() {
                for b in &labels[i + 1..] {
                    if overlap(*a, *b) {
                        faults.push(format!("labels {a:?} and {b:?} overlap"));
                    }
                }
            }
            let segments: Vec<(usize, Segment)> = l.routes.iter().enumerate().flat_map(|(k, r)| r.points.windows(2).map(move |w| (k, (w[0], w[1])))).collect();
            for (i, (k, a)) in segments.iter().enumerate() {
                for (m, b) in &segments[i + 1..] {
                    if k != m && share(*a, *b) {
                        faults.push(format!("edges {k} and {m} share a segment"));
                    }
                }
            }
            assert!(faults.is_empty(), "{}:\n{}", d.title, faults.join("\n"));
            drawn += 1;
        }
    }
    assert!(drawn > p.flows.len() + p.tables.len());
}

/// Every Mermaid export of `policies/` rendered by Mermaid itself in
/// headless Chromium without an error, and the export of every flow and
/// table taller than wide: one diagram per flow, laid out top to bottom and
/// stacked (not one very wide row). Screenshots go to `target/mermaid/`.
#[test]
fn mermaid_renders_every_export_in_chromium() {
    let Some(chromium) = browser("mermaid/dist") else { return };
    let r = policies();
    let p = r.program.as_ref().unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mermaid");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, sel) in selections(p) {
        let file = dir.join(format!("{name}.mmd"));
        std::fs::write(&file, export::mermaid::render(p, &sel)).unwrap();
        files.push(file);
    }
    let run = |extra: &[&str], files: &[std::path::PathBuf]| {
        let o = Command::new("node").arg("tools/browser/mermaid.mjs").args(extra).args(files).env("CHROMIUM", &chromium).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
        assert!(out.contains(&format!("mermaid: {} files rendered, 0 with problems", files.len())), "{out}");
    };
    run(&["--screenshots", "target/mermaid"], &files);
    run(&["--tall"], &files[..1]);
}
