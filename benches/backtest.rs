//! `cargo bench --bench backtest`: `sopflow backtest` on generated cases,
//! next to its peers in the same run (docs/PERFORMANCE.md, "Back-testing").
//!
//! - flow `safety_report` (policies/) over 10 and 20 million rows of
//!   Parquet and 4 and 8 million rows of JSON lines: median seconds of five
//!   runs of the release binary, rows per second, peak resident memory
//!   (flat when the file doubles);
//! - DuckDB (Python package, 2 threads) running the exported SQL of the
//!   same flow over the same files;
//! - a generated 200-rule decision table, evaluated by SOPflow and by
//!   GoRules' zen-engine (Python package: `evaluate_batch`, and one
//!   decision's `evaluate` case by case) on the same cases.
//!
//! Files are written once to target/bench-data/backtest. The peers need
//! `pip install duckdb zen-engine`; without them their lines say so.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use sopflow::model::RunTarget;
use sopflow_tools::cases::{self, Cases};
use sopflow_tools::gen::Rng;

const BIN: &str = env!("CARGO_BIN_EXE_sopflow");

fn program(paths: &[PathBuf]) -> sopflow::check::CheckResult {
    sopflow::check::check(sopflow::project::load(paths).expect("loads"))
}

/// Writes `rows` cases of the inputs `target` reads, as Parquet or JSON lines (by extension).
fn write(program: &sopflow::model::Program, target: RunTarget, path: &Path, rows: usize, with_outcome: bool) {
    if path.exists() {
        return;
    }
    let mut gen = Cases::new(program);
    gen.nulls = 0;
    gen.invalid = 0;
    gen.keep(&program.target_inputs(target));
    let mut rng = Rng::new(42);
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp).unwrap();
    let chunk = 1 << 20;
    if path.extension().is_some_and(|e| e == "parquet") {
        let schema = Arc::new(gen.schema(&[]));
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_max_row_group_row_count(Some(chunk))
            .build();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
        for start in (0..rows).step_by(chunk) {
            let batch: Vec<_> = (start..(start + chunk).min(rows)).map(|_| gen.row(&mut rng)).collect();
            w.write(&cases::batch(&gen, &schema, &batch, &[])).unwrap();
        }
        w.close().unwrap();
    } else {
        use std::io::Write;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        for _ in 0..rows {
            let row = gen.row(&mut rng);
            let line = cases::json(&gen, &row, &[]);
            if with_outcome {
                let value = cases::eval_case(program, &row);
                let outcome = match sopflow::eval::run(program, target, &value, &[]).end {
                    sopflow::eval::End::Outcome { outcome, .. } => program.outcomes[outcome].name.clone(),
                    sopflow::eval::End::Escalated { team, .. } => program.teams[team].name.clone(),
                    _ => String::new(),
                };
                writeln!(w, "{},\"outcome\":\"{outcome}\"}}", &line[..line.len() - 1]).unwrap();
            } else {
                writeln!(w, "{line}").unwrap();
            }
        }
        w.flush().unwrap();
    }
    std::fs::rename(tmp, path).unwrap();
}

/// Median seconds and the largest peak resident memory (MiB) of `runs` runs.
fn timed(args: &[&str], runs: usize) -> (f64, f64) {
    let mut times = Vec::new();
    let mut peak: f64 = 0.0;
    for _ in 0..runs {
        let out =
            Command::new("/usr/bin/time").args(["-f", "%e %M"]).arg(BIN).args(args).stdout(std::process::Stdio::null()).output().expect("runs /usr/bin/time");
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or_default();
        let mut parts = last.split_whitespace();
        let (Some(s), Some(kib)) = (parts.next().and_then(|s| s.parse::<f64>().ok()), parts.next().and_then(|s| s.parse::<f64>().ok())) else {
            panic!("sopflow {args:?} failed: {err}");
        };
        times.push(s);
        peak = peak.max(kib / 1024.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], peak)
}

fn peer(args: &[&str]) -> Option<serde_json::Value> {
    let out = Command::new("python3").arg("benches/backtest_peers.py").args(args).output().ok()?;
    if !out.status.success() {
        eprintln!("  (peer failed: {})", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default());
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

fn main() {
    let dir = PathBuf::from("target/bench-data/backtest");
    std::fs::create_dir_all(&dir).unwrap();
    let policies = program(&[PathBuf::from("policies")]);
    let p = policies.program.as_ref().unwrap();
    let flow = RunTarget::Flow(p.flows.iter().position(|f| f.name == "safety_report").unwrap());
    let files = [("s10m.parquet", 10_000_000usize), ("s20m.parquet", 20_000_000), ("s4m.jsonl", 4_000_000), ("s8m.jsonl", 8_000_000)];
    for (name, rows) in files {
        write(p, flow, &dir.join(name), rows, false);
    }
    println!("flow safety_report (5 inputs), median of 5 runs of the release binary:");
    println!("{:<14} {:>11} {:>8} {:>13} {:>9}", "file", "rows", "seconds", "rows/s", "peak MiB");
    for (name, rows) in files {
        let path = dir.join(name);
        let (s, mib) = timed(&["backtest", "policies", "--flow", "safety_report", "--cases", path.to_str().unwrap()], 5);
        println!("{:<14} {:>11} {:>8.2} {:>13.0} {:>9.0}", name, rows, s, rows as f64 / s, mib);
    }
    let sql = dir.join("safety_report.sql");
    let out = Command::new(BIN).args(["export", "policies", "--format", "sql", "--flow", "safety_report", "-o", sql.to_str().unwrap()]).status().unwrap();
    assert!(out.success());
    let parquet = dir.join("s10m.parquet");
    let jsonl = dir.join("s4m.jsonl");
    match peer(&["duckdb", sql.to_str().unwrap(), parquet.to_str().unwrap(), jsonl.to_str().unwrap()]) {
        Some(d) => {
            let (pq, js) = (d["parquet_s"].as_f64().unwrap(), d["jsonl_s"].as_f64().unwrap());
            println!("DuckDB, exported SQL, 2 threads: s10m.parquet {pq:.2} s ({:.0} rows/s); s4m.jsonl {js:.2} s ({:.0} rows/s)", 1e7 / pq, 4e6 / js);
        }
        None => println!("DuckDB: not measured (pip install duckdb)"),
    }

    // A generated 200-rule unique table, against zen-engine.
    let gen_dir = dir.join("table-project");
    if !gen_dir.exists() {
        std::fs::create_dir_all(&gen_dir).unwrap();
        std::fs::write(gen_dir.join("decls.sop"), sopflow_tools::gen::declarations(20)).unwrap();
        std::fs::write(gen_dir.join("table.sop"), sopflow_tools::gen::table_only("rules", 200, 3)).unwrap();
    }
    let project = program(std::slice::from_ref(&gen_dir));
    let tp = project.program.as_ref().unwrap();
    let table = RunTarget::Table(0);
    let rows = 1_000_000;
    let cases = dir.join("table1m.jsonl");
    write(tp, table, &cases, rows, true);
    let (s, _) = timed(&["backtest", gen_dir.to_str().unwrap(), "--table", "rules", "--cases", cases.to_str().unwrap()], 5);
    println!("table `rules` (200 rules), {rows} cases of JSON lines:");
    println!("  SOPflow backtest: {s:.2} s, {:.0} cases/s", rows as f64 / s);
    let ir = dir.join("table.json");
    let out =
        Command::new(BIN).args(["export", gen_dir.to_str().unwrap(), "--format", "json", "--table", "rules", "-o", ir.to_str().unwrap()]).status().unwrap();
    assert!(out.success());
    let n = 20_000;
    match peer(&["zen", ir.to_str().unwrap(), cases.to_str().unwrap(), &n.to_string()]) {
        Some(z) => {
            let zs = z["seconds"].as_f64().unwrap();
            let zen_rate = n as f64 / zs;
            println!(
                "  zen-engine (Python package): {n} cases, evaluate_batch {:.2} s, evaluate case by case {:.2} s: {zen_rate:.0} cases/s at best ({} of {n} agree with SOPflow)",
                z["batch_s"].as_f64().unwrap(),
                z["loop_s"].as_f64().unwrap(),
                z["agree"]
            );
            println!("  ratio: SOPflow {:.1}x zen-engine", (rows as f64 / s) / zen_rate);
        }
        None => println!("  zen-engine: not measured (pip install zen-engine)"),
    }
}
