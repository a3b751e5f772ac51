//! Development aid: one line per file, a hash of everything the parser
//! returns for it (`parse_file` and `parse_recovering`, through `Debug`), so
//! that two builds of the grammar can be compared on the same inputs:
//! `cargo run --release -p sopflow-tools --bin parse-dump -- DIR… > before.txt`, change
//! the grammar, run again, `diff`. Files are read as bytes (lossy UTF-8, as
//! the fuzz targets do), so fuzz corpora can be compared too.
use std::hash::{DefaultHasher, Hash, Hasher};

fn main() {
    let mut paths = Vec::new();
    for dir in std::env::args().skip(1) {
        for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let e = e.expect("a readable folder");
            if e.file_type().is_file() {
                paths.push(e.into_path());
            }
        }
    }
    for p in paths {
        let data = std::fs::read(&p).expect("a readable file");
        let text = String::from_utf8_lossy(&data);
        let id = sopflow::source::FileId(0);
        let one = format!("{:?}", sopflow::syntax::parse_file(id, &text));
        let all = format!("{:?}", sopflow::syntax::parse_recovering(id, &text));
        let mut h = DefaultHasher::new();
        (one, all).hash(&mut h);
        println!("{:016x} {}", h.finish(), p.display());
    }
}
