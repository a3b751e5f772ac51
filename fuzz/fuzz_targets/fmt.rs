//! Formatting: the output parses, formats to itself, and keeps the AST.
#![no_main]
use sopflow::source::FileId;

fn shape(text: &str) -> Option<String> {
    let file = sopflow::syntax::parse_file(FileId(0), text).ok()?;
    let debug = format!("{file:?}");
    let mut out = String::new();
    let mut rest = debug.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find('}').unwrap() + 1..];
    }
    out.push_str(rest);
    let mut cleaned = String::new();
    let mut rest = out.as_str();
    while let Some(i) = rest.find("cond_text: ") {
        cleaned.push_str(&rest[..i]);
        let after = &rest[i..];
        rest = &after[after.find(" }").unwrap_or(after.len())..];
    }
    cleaned.push_str(rest);
    Some(cleaned)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(once) = sopflow::fmt::format(text) else { return };
    let twice = sopflow::fmt::format(&once).expect("formatted text parses");
    assert_eq!(once, twice, "formatting is idempotent");
    assert_eq!(shape(text), shape(&once), "formatting keeps the AST");
});
