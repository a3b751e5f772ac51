//! `cargo bench --bench eval`: 1,000,000 generated cases (JSON lines)
//! through the largest example flow with batch mode, JSON in and JSON out.
//! Figures are recorded in docs/PERFORMANCE.md.

use std::time::{Duration, Instant};

use sopflow::model::{RunTarget, Type};
use sopflow_tools::gen::Rng;

fn main() {
    let count: usize = std::env::var("BENCH_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let result = sopflow::check::check(sopflow::project::load(&["policies".into()]).expect("policies load"));
    let program = result.program.expect("policies parse");
    // The largest example flow: the most branches.
    let (flow, f) = program.flows.iter().enumerate().max_by_key(|(_, f)| f.steps.iter().map(|s| s.decision.branches.len()).sum::<usize>()).unwrap();
    let mut read = Vec::new();
    for s in &f.steps {
        for (_, c) in s.decision.whens() {
            c.inputs(&mut read);
        }
    }
    let mut rng = Rng::new(7);
    let mut input = String::with_capacity(count * 160);
    for _ in 0..count {
        let fields: Vec<String> = read
            .iter()
            .map(|&i| {
                let inp = &program.inputs[i];
                let value = match inp.ty {
                    Type::Bool => (rng.below(2) == 1).to_string(),
                    Type::Int { lo, hi } => (lo + rng.below((hi - lo + 1).min(1000) as u64) as i64).to_string(),
                    Type::Duration => format!("\"{}h\"", rng.below(100)),
                    Type::String => "\"x\"".into(),
                    Type::Enum(e) => {
                        let vs = &program.enums[e].variants;
                        format!("\"{}\"", vs[rng.below(vs.len() as u64) as usize])
                    }
                };
                format!("\"{}\": {value}", inp.name)
            })
            .collect();
        input.push('{');
        input.push_str(&fields.join(", "));
        input.push_str("}\n");
    }
    println!("flow `{}` ({} steps), {count} cases, {} MB of JSON lines, {} threads", f.name, f.steps.len(), input.len() >> 20, rayon::current_num_threads());
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let mut out = Vec::with_capacity(input.len());
        let failed = sopflow::render::run::batch(&program, RunTarget::Flow(flow), input.as_bytes(), &mut out).expect("in memory");
        times.push(t.elapsed());
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), count);
        assert_eq!(failed, 0, "generated cases all end in an outcome or hand-off");
    }
    times.sort();
    let median = times[times.len() / 2];
    println!("batch: median {median:.2?} of 5 runs, {:.0} cases/s", count as f64 / median.as_secs_f64());
}
