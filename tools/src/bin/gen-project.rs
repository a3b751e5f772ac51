//! `cargo run --release -p sopflow-tools --bin gen-project -- DIR FILES FLOWS STEPS [SEED] [PLANT]`:
//! writes a generated project (see `sopflow_tools::gen::project`); with
//! PLANT, also PLANT copies of each planted defect (`gen::planted`) and a
//! unique table of 200 rules per copy.
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(a.first().expect("usage: gen_project DIR FILES FLOWS STEPS [SEED] [PLANT]"));
    let files = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let flows = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let steps = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let seed = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(1);
    let plant: usize = a.get(5).and_then(|s| s.parse().ok()).unwrap_or(0);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in sopflow_tools::gen::project(files, flows, steps, seed) {
        std::fs::write(dir.join(name), text).unwrap();
    }
    for k in 0..plant {
        std::fs::write(dir.join(format!("planted_{k:04}.sop")), sopflow_tools::gen::planted(k)).unwrap();
        std::fs::write(dir.join(format!("table_{k:04}.sop")), sopflow_tools::gen::table_only(&format!("rules_{k}"), 200, seed + k as u64)).unwrap();
    }
}
