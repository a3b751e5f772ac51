//! `cargo run --release -p sopflow-tools --bin families`: the adversarial families of
//! decisions at growing sizes, each checked once in process; prints the
//! time, the findings and whether every question was decided within the
//! default budget. Figures in docs/PERFORMANCE.md.

use std::time::Instant;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn run(family: &str, size: usize, text: &str) {
    let mut sources = sopflow::source::SourceMap::default();
    let id = sources.add("f.sop".into(), text.to_string());
    let loaded = sopflow::project::Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
    let clock = Instant::now();
    let result = sopflow::check::check(loaded);
    let took = clock.elapsed();
    let findings = result.diagnostics.iter().filter(|d| d.code != sopflow::diagnostics::Code::AnalysisIncomplete).count();
    let decided = if result.incomplete.is_empty() { "yes" } else { "no" };
    println!("| {family} | {size} | {:.1} ms | {findings} | {decided} |", took.as_secs_f64() * 1e3);
}

fn cnf(n: usize) -> String {
    let mut text: String = (0..n).map(|i| format!("input a{i}: bool\ninput b{i}: bool\n")).collect();
    let c = (0..n).map(|i| format!("(a{i} or b{i})")).collect::<Vec<_>>().join(" and ");
    text.push_str(&format!("outcome x\noutcome y\ntable t {{\n  when {c} -> outcome x\n  when not ({c}) -> outcome y\n}}\n"));
    text
}

fn three_sat(rng: &mut Lcg, n: usize, ratio: f64, first: bool) -> String {
    let mut text: String = (0..n).map(|i| format!("input v{i}: bool\n")).collect();
    text.push_str(&format!("outcome o0\noutcome o1\ntable t{} {{\n", if first { " first" } else { "" }));
    for b in 0..(n as f64 * ratio) as usize {
        let lits: Vec<String> = (0..3).map(|_| format!("{}v{}", if rng.next(2) == 0 { "not " } else { "" }, rng.next(n as u64))).collect();
        text.push_str(&format!("  when {} -> outcome o{}\n", lits.join(" and "), b % 2));
    }
    text.push_str("}\n");
    text
}

fn chain(n: usize, shadowed: usize) -> String {
    let mut text: String = (0..n).map(|i| format!("input v{i}: bool\n")).collect();
    text.push_str("outcome o0\noutcome o1\ntable t first {\n");
    let half = n / 2;
    for i in 0..half {
        text.push_str(&format!("  when v{i} and v{} -> outcome o0\n  when v{i} and not v{} -> outcome o1\n", i + half, i + half));
    }
    for j in 0..shadowed {
        let i = j % half;
        text.push_str(&format!("  when v{i} and v{} and not v{} -> outcome o1\n", (i + 7) % n, (i + 13) % n));
    }
    text.push_str("  otherwise -> outcome o0\n}\n");
    text
}

fn main() {
    println!("| family | size | check | findings | decided |\n|---|---:|---:|---:|---|");
    for n in [5, 10, 15, 20, 30] {
        run("CNF and its negation (pairs)", n, &cnf(n));
    }
    let mut rng = Lcg(426);
    for n in [20, 30, 45, 55, 60] {
        run("random 3-literal table, unique, ratio 4.26 (inputs)", n, &three_sat(&mut rng, n, 4.26, false));
        run("random 3-literal table, first, ratio 4.26 (inputs)", n, &three_sat(&mut rng, n, 4.26, true));
        run("random 3-literal table, first, ratio 2.5, gap (inputs)", n, &three_sat(&mut rng, n, 2.5, true));
    }
    run("random 3-literal table, 400 branches, unique (60 inputs)", 60, &three_sat(&mut rng, 60, 400.0 / 60.0, false));
    for n in [20, 40, 60] {
        run("shadowing chain, 68 shadowed (inputs)", n, &chain(n, 68));
    }
}
