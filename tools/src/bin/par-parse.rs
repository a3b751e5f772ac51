//! Development aid: parses the `.sop` files of a folder in parallel, as
//! `sopflow check` does, three times, and prints the wall time and, per
//! worker thread, how long it was busy, how many bytes and files it parsed.
//! Busy times far apart mean the work was badly shared (docs/PERFORMANCE.md). `cargo run --release -p sopflow-tools --bin par-parse -- DIR`
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use rayon::prelude::*;
use std::time::Instant;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: par_parse DIR");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("a readable folder").map(|e| e.unwrap().path()).collect();
    paths.sort();
    let texts: Vec<String> = paths.iter().filter(|p| p.extension().is_some_and(|e| e == "sop")).map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let threads = rayon::current_num_threads();
    for _ in 0..3 {
        let clock = Instant::now();
        let parsed: Vec<_> = texts
            .par_iter()
            .with_max_len(1)
            .map(|text| {
                let t = Instant::now();
                let tree = sopflow::syntax::parse_file(sopflow::source::FileId(0), text);
                (rayon::current_thread_index().unwrap_or(0), t.elapsed(), text.len(), tree)
            })
            .collect();
        let wall = clock.elapsed();
        let mut busy = vec![std::time::Duration::ZERO; threads];
        let mut bytes = vec![0; threads];
        let mut files = vec![0; threads];
        for (thread, time, len, _) in &parsed {
            busy[*thread] += *time;
            bytes[*thread] += len;
            files[*thread] += 1;
        }
        println!("wall {wall:.2?}; busy {busy:.2?}; bytes {bytes:?}; files {files:?}");
    }
}
