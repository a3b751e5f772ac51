//! `cargo run --release -p sopflow-tools --bin scale -- [--dense] [LINES…]` (default 10000
//! 100000 1000000): generates corpora (`sopflow_tools::gen::corpus`, realistic style
//! unless `--dense`, 2 planted copies of every defect), runs
//! `target/release/sopflow check --format json --timings` on each (median of
//! 5 by wall time: the machine is shared and noisy), and reports lines per second, time per stage, peak memory
//! (GNU time), the ratio to `wc -l` over the same files, time per line
//! relative to the first size, whether every planted defect was reported at
//! its line, and whether anything else was reported. It also gives the
//! fastest of the 5 and the CPU time of the median run, user and system: on
//! this VM a run whose memory the host must first provide spends up to 1.5 s
//! more in the kernel (docs/PERFORMANCE.md). Build first:
//! `cargo build --release`. Figures in docs/PERFORMANCE.md.
use std::collections::HashSet;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let style = if args.iter().any(|a| a == "--dense") { sopflow_tools::gen::Style::Dense } else { sopflow_tools::gen::Style::Realistic };
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000, 1_000_000] } else { sizes };
    let bin = std::path::Path::new("target/release/sopflow");
    assert!(bin.exists(), "build first: cargo build --release");
    println!("style: {style:?}");
    println!("| lines | files | check (median of 5) | lines/s | fastest | user + system | time per line vs first | parse | resolve | graph | analysis | render | peak memory | `wc -l` | check / `wc -l` | planted found | other findings |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    let mut first_per_line = None;
    for lines in sizes {
        let dir = std::env::temp_dir().join(format!("sopflow-scale-{lines}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let files = sopflow_tools::gen::corpus_styled(lines, 1, 2, style);
        let planted: HashSet<(String, usize, String)> = sopflow_tools::gen::planted_marks(&files).into_iter().map(|p| (p.file, p.line, p.code)).collect();
        let mut total = 0;
        for (name, text) in &files {
            total += text.lines().count();
            std::fs::write(dir.join(name), text).unwrap();
        }
        let mut runs: Vec<(Duration, String, String)> = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let o = Command::new("/usr/bin/time")
                .arg("-f")
                .arg("peak %M KB\ncpu %U s user + %S s system")
                .arg(bin)
                .args(["check", "--format", "json", "--timings"])
                .arg(&dir)
                .output()
                .unwrap();
            runs.push((t.elapsed(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned()));
        }
        runs.sort_by_key(|r| r.0);
        let (time, stdout, stderr) = &runs[2];
        let fastest = runs[0].0;
        let cpu = stderr.lines().find(|l| l.starts_with("cpu ")).unwrap_or("cpu ?").trim_start_matches("cpu ").to_string();
        let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
        let found: HashSet<(String, usize, String)> = sopflow_tools::gen::reported(&report).into_iter().collect();
        let hit = planted.intersection(&found).count();
        let other = found.difference(&planted).count();
        let stage = |name: &str| stderr.split(&format!("{name} ")).nth(1).and_then(|s| s.split(',').next()).unwrap_or("?").to_string();
        let peak = stderr.lines().find(|l| l.starts_with("peak ")).unwrap_or("peak ?").trim_start_matches("peak ").to_string();
        let peak = peak.trim_end_matches(" KB").parse::<u64>().map_or(peak.clone(), |kb| format!("{:.0} MiB", kb as f64 / 1024.0));
        let paths: Vec<_> = files.iter().map(|(n, _)| dir.join(n)).collect();
        let mut wcs: Vec<Duration> = (0..3)
            .map(|_| {
                let t = Instant::now();
                Command::new("wc").arg("-l").args(&paths).output().unwrap();
                t.elapsed()
            })
            .collect();
        wcs.sort();
        let wc = wcs[1];
        let per_line = time.as_secs_f64() / total as f64;
        let first = *first_per_line.get_or_insert(per_line);
        println!(
            "| {total} | {} | {time:.2?} | {:.0} | {fastest:.2?} | {cpu} | {:.2}× | {} | {} | {} | {} | {} | {peak} | {wc:.2?} | {:.0}× | {hit}/{} | {other} |",
            files.len(),
            total as f64 / time.as_secs_f64(),
            per_line / first,
            stage("parse"),
            stage("resolve"),
            stage("graph"),
            stage("analysis"),
            stage("render").split(';').next().unwrap_or("?"),
            time.as_secs_f64() / wc.as_secs_f64(),
            planted.len(),
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
