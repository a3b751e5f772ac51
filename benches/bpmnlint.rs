//! `cargo bench --bench bpmnlint [-- LINES]` (default 20,000): SOPflow against
//! bpmnlint side by side, in one run. A generated corpus with one planted copy
//! of each defect is checked by `sopflow check` on the source; the same flows
//! are exported to BPMN (`sopflow export --format bpmn`) and linted by
//! bpmnlint (`recommended` rules, through `tools/browser/lint.mjs`; run
//! `npm ci` in `tools/browser` first). Prints the times (median of 3), their
//! ratio, and which planted defect each tool reported. Figures in
//! docs/PERFORMANCE.md.
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn median3(mut run: impl FnMut() -> Duration) -> Duration {
    let mut v: Vec<Duration> = (0..3).map(|_| run()).collect();
    v.sort();
    v[1]
}

fn sopflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sopflow")).args(args).output().expect("sopflow runs")
}

/// Lints BPMN files; (the time bpmnlint took by its own clock, per file the rules that reported).
fn bpmnlint(files: &[&Path]) -> (Duration, serde_json::Value) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/browser/lint.mjs");
    let o = Command::new("node").arg(script).args(files).output().expect("node runs (install Node.js)");
    assert!(o.status.success(), "bpmnlint failed (run `npm ci` in tools/browser): {}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("lint.mjs prints JSON");
    (Duration::from_secs_f64(v["ms"].as_f64().unwrap() / 1000.0), v["files"].clone())
}

fn main() {
    let lines: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(20_000);
    let dir = std::env::temp_dir().join(format!("sopflow-bpmnlint-{lines}"));
    let _ = std::fs::remove_dir_all(&dir);
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let files = sopflow_tools::gen::corpus(lines, 1, 1);
    let planted = sopflow_tools::gen::planted_marks(&files);
    let mut total = 0;
    for (name, text) in &files {
        total += text.lines().count();
        std::fs::write(src.join(name), text).unwrap();
    }
    let src_arg = src.to_str().unwrap();

    // SOPflow on the source.
    let mut report = None;
    let check = median3(|| {
        let t = Instant::now();
        let o = sopflow(&["check", "--format", "json", src_arg]);
        let d = t.elapsed();
        report = Some(serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("JSON report"));
        d
    });
    let report = report.unwrap();
    let found = sopflow_tools::gen::reported(&report);

    // The same flows as BPMN, linted by bpmnlint.
    let bpmn = dir.join("flows.bpmn");
    let bpmn_arg = bpmn.to_str().unwrap();
    let export = median3(|| {
        let t = Instant::now();
        let o = sopflow(&["export", "--format", "bpmn", src_arg, "-o", bpmn_arg]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        t.elapsed()
    });
    let lint = median3(|| {
        let t = Instant::now();
        bpmnlint(&[&bpmn]);
        t.elapsed()
    });
    let (lint_own, _) = bpmnlint(&[&bpmn]);

    println!("{total} lines of SOPflow; BPMN export {} KB", std::fs::metadata(&bpmn).unwrap().len() / 1024);
    println!();
    println!("| step | time (median of 3) |");
    println!("|---|---:|");
    println!("| `sopflow check` (source) | {check:.2?} |");
    println!("| `sopflow export --format bpmn` | {export:.2?} |");
    println!("| bpmnlint `recommended` (node, process included) | {lint:.2?} |");
    println!("| bpmnlint, its own clock (parse and lint) | {lint_own:.2?} |");
    println!("| ratio bpmnlint / `sopflow check` | {:.0}× |", lint.as_secs_f64() / check.as_secs_f64());
    println!("| ratio (export + bpmnlint) / `sopflow check` | {:.0}× |", (export + lint).as_secs_f64() / check.as_secs_f64());
    println!();

    // Defect by defect: the planted flow alone, exported and linted.
    println!("| planted defect | in | `sopflow check` | bpmnlint on the exported flow |");
    println!("|---|---|---|---|");
    for sopflow_tools::gen::Planted { file, line, code, owner } in &planted {
        let ours = if found.iter().any(|(f, l, c)| f == file && l == line && c == code) { "reported" } else { "missed" };
        let theirs = if owner.starts_with("planted_") && is_flow(&src.join(file), owner) {
            let one = dir.join(format!("{owner}.bpmn"));
            let o = sopflow(&["export", "--format", "bpmn", "--flow", owner, src_arg, "-o", one.to_str().unwrap()]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let (_, files) = bpmnlint(&[&one]);
            let rules = files[one.to_str().unwrap()].as_object().cloned().unwrap_or_default();
            if rules.is_empty() {
                "nothing".to_string()
            } else {
                rules.keys().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
            }
        } else {
            "not in BPMN (a decision table; BPMN export covers flows)".to_string()
        };
        println!("| `{code}` | {owner} | {ours} | {theirs} |");
    }
}

/// Whether `name` is a flow of the file (tables are not exported to BPMN).
fn is_flow(file: &Path, name: &str) -> bool {
    std::fs::read_to_string(file).unwrap().lines().any(|l| l.strip_prefix("flow ").is_some_and(|r| r.split_whitespace().next() == Some(name)))
}
