//! Development aid: time the stages of a check, and each analysis phase, on
//! one thread. `cargo run --release -p sopflow-tools --bin stage-times [-- DIR]` (without
//! DIR, a small generated project).

// The allocator of the binary, so that the figures match `sopflow check`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

fn main() {
    let mut sources = sopflow::source::SourceMap::default();
    let mut files = Vec::new();
    match std::env::args().nth(1) {
        Some(dir) => {
            let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("a readable folder").map(|e| e.unwrap().path()).collect();
            paths.sort();
            for p in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "sop")) {
                let text = std::fs::read_to_string(&p).expect("a text file");
                files.push(sources.add(p.display().to_string(), text));
            }
        }
        None => {
            for (name, text) in sopflow_tools::gen::project(10, 5, 20, 3) {
                files.push(sources.add(name, text));
            }
        }
    }
    let t = Instant::now();
    let asts: Vec<_> = files.iter().map(|id| sopflow::syntax::parse_file(*id, &sources.get(*id).text).unwrap()).collect();
    println!("parse {:?}", t.elapsed());
    let t = Instant::now();
    let (p, _) = sopflow::resolve::resolve(&asts);
    println!("resolve {:?}", t.elapsed());
    let t = Instant::now();
    let analysis = sopflow::analysis::Analysis::new(&p);
    println!("tables' condition sets {:?}", t.elapsed());
    // `REPEAT=N` computes the flow facts N more times first (for profiles).
    let repeat: usize = std::env::var("REPEAT").ok().and_then(|r| r.parse().ok()).unwrap_or(0);
    for _ in 0..repeat {
        let facts: Vec<_> = (0..p.flows.len()).map(|f| analysis.flow_facts(f)).collect();
        drop(facts);
    }
    let t = Instant::now();
    let mut facts: Vec<_> = (0..p.flows.len()).map(|f| analysis.flow_facts(f)).collect();
    println!("flow facts {:?}", t.elapsed());
    let exact = sopflow::analysis::Exact::new(&analysis);
    stats(&facts);
    let mut out = Vec::new();
    let t = Instant::now();
    for f in &mut facts {
        sopflow::lints::unreachable_step::check(&analysis, f, &exact, &mut out);
    }
    for f in &facts {
        sopflow::lints::missing_timeout::check(&analysis, f, &mut out);
    }
    println!("unreachable, timeout {:?}", t.elapsed());
    let t = Instant::now();
    for f in &facts {
        sopflow::lints::missing_escalation::check_flow(&analysis, f, &exact, &mut out);
    }
    println!("missing escalation {:?}", t.elapsed());
    let views = |each: &mut dyn FnMut(&sopflow::analysis::DecisionView<'_>)| {
        for f in &facts {
            for v in analysis.step_views(f, &exact) {
                each(&v);
            }
        }
        let full = sopflow::analysis::domain::CaseSet::full(&analysis.space);
        for t in 0..p.tables.len() {
            each(&analysis.table_view(t, &full, &exact));
        }
    };
    let t = Instant::now();
    views(&mut |v| sopflow::lints::dead_branch::check(&analysis, v, &mut out));
    println!("dead branch {:?}", t.elapsed());
    let t = Instant::now();
    views(&mut |v| sopflow::lints::shadowed_branch::check(&analysis, v, &mut out));
    println!("shadowed branch {:?}", t.elapsed());
    let t = Instant::now();
    views(&mut |v| {
        let _ = sopflow::lints::overlapping_pairs(&analysis, v);
    });
    println!("overlapping pairs {:?}", t.elapsed());
    let t = Instant::now();
    views(&mut |v| sopflow::lints::non_exhaustive::check(&analysis, v, &mut out));
    println!("non-exhaustive {:?}", t.elapsed());
    let t = Instant::now();
    let d = sopflow::lints::run(&p);
    println!("all lints {:?} ({} findings)", t.elapsed(), d.len());
}
#[allow(dead_code)]
fn stats(facts: &[sopflow::analysis::FlowFacts]) {
    let mut sizes: Vec<usize> = facts.iter().flat_map(|f| f.reach.iter().map(|r| r.cubes.len())).collect();
    sizes.sort();
    let approx = facts.iter().flat_map(|f| f.reach.iter()).filter(|r| r.approx).count();
    println!(
        "reach sets {}: median {} p90 {} max {} approx {}",
        sizes.len(),
        sizes[sizes.len() / 2],
        sizes[sizes.len() * 9 / 10],
        sizes.last().unwrap(),
        approx
    );
}
