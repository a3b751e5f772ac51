//! `cargo run --release --example scale -- [LINES…]` (default 10000 100000
//! 1000000): generates corpora (`gen-corpus`, 2 planted copies of every
//! defect), runs `target/release/sopflow check --format json --timings` on
//! each (median of 3), and reports lines per second, time per stage, peak
//! memory (GNU time), the ratio to `wc -l` over the same files, and whether
//! every planted defect was reported at its line. Build first:
//! `cargo build --release`.
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000, 1_000_000] } else { sizes };
    let bin = std::path::Path::new("target/release/sopflow");
    assert!(bin.exists(), "build first: cargo build --release");
    println!("| lines | files | check (median of 3) | lines/s | parse | resolve | analysis | peak memory | wc -l | ratio to wc -l | planted found |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for lines in sizes {
        let dir = std::env::temp_dir().join(format!("sopflow-scale-{lines}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let files = sopflow::gen::corpus(lines, 1, 2);
        let mut planted = Vec::new();
        let mut total = 0;
        for (name, text) in &files {
            total += text.lines().count();
            for (n, line) in text.lines().enumerate() {
                if let Some(code) = line.split("// planted: ").nth(1) {
                    planted.push((name.clone(), n + 1, code.trim().to_string()));
                }
            }
            std::fs::write(dir.join(name), text).unwrap();
        }
        let mut runs: Vec<(Duration, String, String)> = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let o = Command::new("/usr/bin/time").arg("-f").arg("peak %M KB").arg(bin).args(["check", "--format", "json", "--timings"]).arg(&dir).output().unwrap();
            runs.push((t.elapsed(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned()));
        }
        runs.sort_by_key(|r| r.0);
        let (time, stdout, stderr) = &runs[1];
        let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
        let found: std::collections::HashSet<(String, usize, String)> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let file = d["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
                (file, d["line"].as_u64().unwrap() as usize, d["code"].as_str().unwrap().to_string())
            })
            .collect();
        let missing = planted.iter().filter(|p| !found.contains(p)).count();
        let stage = |name: &str| stderr.split(&format!("{name} ")).nth(1).and_then(|s| s.split(',').next()).unwrap_or("?").to_string();
        let peak = stderr.lines().find(|l| l.starts_with("peak ")).unwrap_or("peak ?").trim_start_matches("peak ").to_string();
        let t = Instant::now();
        let paths: Vec<_> = files.iter().map(|(n, _)| dir.join(n)).collect();
        Command::new("wc").arg("-l").args(&paths).output().unwrap();
        let wc = t.elapsed();
        println!(
            "| {total} | {} | {time:.2?} | {:.0} | {} | {} | {} | {peak} | {wc:.2?} | {:.1}× | {}/{} |",
            files.len(),
            total as f64 / time.as_secs_f64(),
            stage("parse"),
            stage("resolve"),
            stage("analysis"),
            time.as_secs_f64() / wc.as_secs_f64(),
            planted.len() - missing,
            planted.len()
        );
    }
}
