//! Development aid: single-threaded parse throughput over the `.sop` files of
//! a folder (median of 5). `cargo run --release -p sopflow-tools --bin parse-speed -- DIR`

// The allocator of the binary, so that the figures match `sopflow check`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).expect("usage: parse_speed DIR");
    let mut texts = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "sop") {
            texts.push(std::fs::read_to_string(p).unwrap());
        }
    }
    let lines: usize = texts.iter().map(|t| t.lines().count()).sum();
    let mut pest_only = Vec::new();
    let mut full = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for text in &texts {
            let _ = <sopflow::syntax::parser::PestParser as pest::Parser<_>>::parse(sopflow::syntax::parser::Rule::file, text).unwrap();
        }
        pest_only.push(t.elapsed());
        let t = Instant::now();
        for (i, text) in texts.iter().enumerate() {
            sopflow::syntax::parse_file(sopflow::source::FileId(i as u32), text).unwrap();
        }
        full.push(t.elapsed());
    }
    pest_only.sort();
    full.sort();
    let rate = |d: std::time::Duration| lines as f64 / d.as_secs_f64();
    println!("{lines} lines: pest {:.1?} ({:.0} lines/s), parse_file {:.1?} ({:.0} lines/s)", pest_only[2], rate(pest_only[2]), full[2], rate(full[2]));
}
