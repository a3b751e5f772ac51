//! `cargo bench --bench analysis`: the decision analysis on a generated
//! 5,000-rule table over eight inputs and a generated 10,000-step flow
//! (also with time limits and resolution targets).
//! Prints the median of several runs of each stage; figures are recorded in
//! docs/PERFORMANCE.md.

use std::time::{Duration, Instant};

use sopflow::source::SourceMap;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench(name: &str, text: &str, runs: usize) {
    let mut sources = SourceMap::default();
    let id = sources.add(format!("{name}.sop"), text.to_string());
    let mut parse = Vec::new();
    let mut resolve = Vec::new();
    let mut analyse = Vec::new();
    let mut findings = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let ast = sopflow::syntax::parse_file(id, &sources.get(id).text).expect("generated text parses");
        parse.push(t.elapsed());
        let t = Instant::now();
        let (program, diags) = sopflow::resolve::resolve(std::slice::from_ref(&ast));
        resolve.push(t.elapsed());
        assert!(diags.iter().all(|d| d.code == sopflow::diagnostics::Code::UnusedDeclaration), "{diags:?}");
        let t = Instant::now();
        findings = sopflow::lints::run(&program).len();
        analyse.push(t.elapsed());
    }
    println!(
        "{name:<28} lines {:>6}  parse {:>8.1?}  resolve {:>8.1?}  analysis {:>8.1?}  findings {findings}",
        text.lines().count(),
        median(parse),
        median(resolve),
        median(analyse)
    );
}

fn main() {
    let runs = std::env::var("BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    bench("table-5000-rules-8-inputs", &sopflow_tools::gen::table(5000, 1), runs);
    bench("table-5000-first", &sopflow_tools::gen::table_with(5000, 1, true, true), runs);
    bench("table-5000-no-otherwise", &sopflow_tools::gen::table_with(5000, 1, false, false), runs);
    bench("flow-10000-steps", &sopflow_tools::gen::flow(10_000, 1), runs);
    // The same flow with a time limit on every step, a team SLA and two
    // resolution targets (one conditional): `sla-exceeded` adds the times
    // up path by path.
    let timed = sopflow_tools::gen::flow(10_000, 1)
        .replace("team review\n", "team review { sla 24h }\nrequire resolution within 30d in long\nrequire resolution within 10d in long when market == TH\n")
        .replace("\" {\n", "\" within 2h {\n");
    bench("flow-10000-steps-with-targets", &timed, runs);
}
