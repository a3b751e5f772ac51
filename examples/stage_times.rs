//! Development aid: time the stages of a check on a generated project.
use std::time::Instant;
fn main() {
    let mut sources = sopflow::source::SourceMap::default();
    let mut files = Vec::new();
    for (name, text) in sopflow::gen::project(10, 5, 20, 3) {
        files.push(sources.add(name, text));
    }
    let t = Instant::now();
    let asts: Vec<_> = files.iter().map(|id| sopflow::syntax::parse_file(*id, &sources.get(*id).text).unwrap()).collect();
    println!("parse {:?}", t.elapsed());
    let t = Instant::now();
    let (p, _) = sopflow::resolve::resolve(&asts);
    println!("resolve {:?}", t.elapsed());
    let analysis = sopflow::analysis::Analysis::new(&p);
    let t = Instant::now();
    let facts: Vec<_> = (0..p.flows.len()).map(|f| analysis.flow_facts(f)).collect();
    println!("flow facts {:?}", t.elapsed());
    let t = Instant::now();
    let mut out = Vec::new();
    for f in &facts {
        sopflow::lints::missing_escalation::check_flow(&analysis, f, &mut out);
    }
    println!("missing escalation {:?}", t.elapsed());
    let t = Instant::now();
    for f in &facts {
        for v in analysis.step_views(f) {
            sopflow::lints::dead_branch::check(&analysis, &v, &mut out);
        }
    }
    println!("dead branch {:?}", t.elapsed());
    let t = Instant::now();
    for f in &facts {
        for v in analysis.step_views(f) {
            let pairs = sopflow::lints::overlapping_pairs(&analysis, &v);
            let _ = pairs;
        }
    }
    println!("pairs {:?}", t.elapsed());
    let t = Instant::now();
    for f in &facts {
        for v in analysis.step_views(f) {
            sopflow::lints::non_exhaustive::check(&analysis, &v, &mut out);
        }
    }
    println!("non-exhaustive {:?}", t.elapsed());
    let t = Instant::now();
    let d = sopflow::lints::run(&p);
    println!("all lints {:?} ({} findings)", t.elapsed(), d.len());
}
