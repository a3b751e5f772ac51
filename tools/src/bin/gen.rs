//! `cargo run --release -p sopflow-tools --bin gen -- table|flow SIZE [SEED]`: prints a
//! generated policy (see `sopflow_tools::gen`).
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    match args.first().map(String::as_str) {
        Some("table") => print!("{}", sopflow_tools::gen::table(size, seed)),
        Some("flow") => print!("{}", sopflow_tools::gen::flow(size, seed)),
        _ => {
            eprintln!("usage: gen table|flow SIZE [SEED]");
            std::process::exit(2);
        }
    }
}
