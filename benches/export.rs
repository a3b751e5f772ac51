//! `cargo bench --bench export`: every export format of a generated
//! 10,000-step flow (median of 5 runs). Figures in docs/PERFORMANCE.md.

use std::time::{Duration, Instant};

use sopflow::export::{self, Selection};
use sopflow::source::SourceMap;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let steps = std::env::var("BENCH_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let text = sopflow_tools::gen::flow(steps, 1);
    let mut sources = SourceMap::default();
    let id = sources.add("flow.sop".into(), text);
    let ast = sopflow::syntax::parse_file(id, &sources.get(id).text).expect("parses");
    let (program, _) = sopflow::resolve::resolve(std::slice::from_ref(&ast));
    let all = Selection::all(&program);
    type Render<'a> = Box<dyn Fn() -> String + 'a>;
    let formats: Vec<(&str, Render)> = vec![
        ("json", Box::new(|| export::json::render(&program, &sources, &all))),
        ("dot", Box::new(|| export::dot::render(&program, &all))),
        ("mermaid", Box::new(|| export::mermaid::render(&program, &all))),
        ("bpmn", Box::new(|| export::bpmn::render(&program, &all))),
    ];
    for (name, render) in formats {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..5 {
            let t = Instant::now();
            bytes = render().len();
            times.push(t.elapsed());
        }
        println!("export {name:<8} {steps} steps  median {:>8.1?}  {:>6} KB", median(times), bytes >> 10);
    }
}
