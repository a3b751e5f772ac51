//! `cargo run -p sopflow-tools --bin fmt-one -- FILE`: prints the formatted file (a
//! development aid; `sopflow fmt` is the command).
fn main() {
    let path = std::env::args().nth(1).expect("usage: fmt_one FILE");
    let text = std::fs::read_to_string(&path).expect("readable");
    match sopflow::fmt::format(&text) {
        Ok(out) => print!("{out}"),
        Err(e) => eprintln!("syntax error: {}", e.message),
    }
}
