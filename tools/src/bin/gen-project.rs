//! `cargo run --release -p sopflow-tools --bin gen-project -- DIR FILES FLOWS STEPS [SEED]`:
//! writes a generated project (see `sopflow_tools::gen::project`).
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(a.first().expect("usage: gen_project DIR FILES FLOWS STEPS [SEED]"));
    let files = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let flows = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let steps = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let seed = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(1);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in sopflow_tools::gen::project(files, flows, steps, seed) {
        std::fs::write(dir.join(name), text).unwrap();
    }
}
