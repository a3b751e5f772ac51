//! `cargo bench --bench diff`: `sopflow diff` on a generated 5,000-rule table
//! against a version with 50 rules changed (unique and `first`), and on a
//! generated 100k-line project against a version with 1% of its flows
//! changed. Each figure is the median of several runs of the whole diff:
//! both versions parsed and resolved, then compared. Figures are recorded
//! in docs/PERFORMANCE.md.

use std::time::{Duration, Instant};

use sopflow::source::SourceMap;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn program(files: &[(String, String)]) -> sopflow::model::Program {
    let mut sources = SourceMap::default();
    let ids: Vec<_> = files.iter().map(|(n, t)| (sources.add(n.clone(), t.clone()), None)).collect();
    let loaded = sopflow::project::Loaded { sources, files: ids, config: None, walk_notes: vec![] };
    let result = sopflow::check::check_with(loaded, sopflow::check::Options { skip_lints: true, ..Default::default() });
    result.program.expect("generated text parses")
}

/// The first `when` line of every `every` gets the target of the next line
/// of those with another target, and that line its target (`limit` pairs).
fn change_rules(text: &str, every: usize, limit: usize) -> (String, usize) {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let whens: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].trim_start().starts_with("when ")).collect();
    let mut changed = 0;
    for pair in whens.chunks(every) {
        if changed == limit || pair.len() < 2 {
            break;
        }
        let target = |l: &str| l.split_once(" -> ").map(|(h, t)| (h.to_string(), t.to_string())).unwrap();
        let a = pair[0];
        let (ha, ta) = target(&lines[a]);
        // The next line of the chunk with another target.
        if let Some(&b) = pair[1..].iter().find(|&&b| target(&lines[b]).1 != ta) {
            let (hb, tb) = target(&lines[b]);
            lines[a] = format!("{ha} -> {tb}");
            lines[b] = format!("{hb} -> {ta}");
            changed += 1;
        }
    }
    (lines.join("\n") + "\n", changed)
}

fn bench(name: &str, old: &[(String, String)], new: &[(String, String)], runs: usize) {
    let mut times = Vec::new();
    let mut regions = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let (a, b) = (program(old), program(new));
        let d = sopflow::diff::diff(&sopflow::diff::Request { old: &a, new: &b, only: None, slice: None });
        times.push(t.elapsed());
        regions = d.compared.iter().map(|c| c.regions.len()).sum();
    }
    let lines: usize = old.iter().map(|(_, t)| t.lines().count()).sum();
    println!("{name:<40} lines {lines:>7}  diff {:>9.1?}  regions {regions}", median(times));
}

fn main() {
    let runs = std::env::var("BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    for (name, first) in [("table-5000, 50 rules changed", false), ("table-5000 first, 50 rules changed", true)] {
        let old = sopflow_tools::gen::table_with(5000, 1, first, true);
        let (new, changed) = change_rules(&old, 100, 50);
        assert_eq!(changed, 50);
        bench(name, &[("t.sop".into(), old)], &[("t.sop".into(), new)], runs);
    }
    let old = sopflow_tools::gen::corpus(100_000, 1, 0);
    let flows: usize = old.iter().map(|(_, t)| t.matches("\nflow ").count()).sum();
    // 1% of the flows: one changed step (two branches' targets swapped) in
    // every hundredth flow.
    let mut seen = 0;
    let mut changed = 0;
    let new: Vec<(String, String)> = old
        .iter()
        .map(|(n, t)| {
            let mut out = String::new();
            for (k, part) in t.split("\nflow ").enumerate() {
                if k > 0 {
                    seen += 1;
                    out.push_str("\nflow ");
                    if seen % 100 == 0 {
                        let (p, c) = change_rules(part, 2, 1);
                        changed += c;
                        out.push_str(p.trim_end_matches('\n'));
                        if part.ends_with('\n') {
                            out.push('\n');
                        }
                        continue;
                    }
                }
                out.push_str(part);
            }
            (n.clone(), out)
        })
        .collect();
    println!("{flows} flows, {changed} changed");
    bench("project-100k, 1% of flows changed", &old, &new, runs);
}
