//! Development aid: where formatting changes a file's AST shape.
fn main() {
    let path = std::env::args().nth(1).expect("usage: fmt_diff FILE");
    let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
    let once = sopflow::fmt::format(&text).expect("parses");
    let (a, b) = (sopflow::fmt::ast_shape(&text).unwrap(), sopflow::fmt::ast_shape(&once).unwrap());
    let i = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    println!("before: …{}…\nafter:  …{}…", &a[i.saturating_sub(80)..(i + 80).min(a.len())], &b[i.saturating_sub(80)..(i + 80).min(b.len())]);
    println!("--- formatted:\n{once}");
}
