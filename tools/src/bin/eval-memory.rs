//! `cargo run --release -p sopflow-tools --bin eval-memory -- [MIB]`: writes a file of
//! MIB mebibytes (default 1024) of JSON-lines cases, runs
//! `target/release/sopflow eval policies --flow counterfeit_review --cases
//! FILE` on it (output to /dev/null) under `/usr/bin/time`, and prints the
//! lines, the time and the peak resident memory. `eval --cases` streams:
//! the peak does not grow with the file. Figures in docs/PERFORMANCE.md.

use std::io::Write;

fn main() {
    let mib: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1024);
    let bin = std::path::Path::new("target/release/sopflow");
    assert!(bin.exists(), "build first: cargo build --release");
    let path = std::env::temp_dir().join(format!("sopflow-cases-{mib}.jsonl"));
    let kinds = ["counterfeit", "fraud", "prohibited", "other"];
    let markets = ["ID", "MY", "PH", "SG", "TH", "VN"];
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
    let (mut bytes, mut lines) = (0u64, 0u64);
    while bytes < mib << 20 {
        let line = format!(
            "{{\"report.kind\": \"{}\", \"market\": \"{}\", \"brand.authorized\": {}, \"brand.registered\": true, \"report.source\": \"buyer\", \"seller.strikes\": {}, \"bp.confirmed\": {}}}\n",
            kinds[(lines % 4) as usize],
            markets[(lines % 6) as usize],
            lines % 3 == 0,
            lines % 13,
            lines % 2 == 0
        );
        out.write_all(line.as_bytes()).unwrap();
        bytes += line.len() as u64;
        lines += 1;
    }
    out.flush().unwrap();
    drop(out);
    let o = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%e s, peak %M KiB"])
        .arg(bin)
        .args(["eval", "policies", "--flow", "counterfeit_review", "--cases"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .output()
        .expect("/usr/bin/time runs");
    let report = String::from_utf8_lossy(&o.stderr);
    let last = report.lines().last().unwrap_or("");
    println!("{mib} MiB, {lines} lines of cases: {last} (exit {:?})", o.status.code());
    let _ = std::fs::remove_file(&path);
}
