//! Formatting: the output parses, formats to itself, and keeps the AST.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(once) = sopflow::fmt::format(text) else { return };
    let twice = sopflow::fmt::format(&once).expect("formatted text parses");
    assert_eq!(once, twice, "formatting is idempotent");
    assert_eq!(sopflow::fmt::ast_shape(text), sopflow::fmt::ast_shape(&once), "formatting keeps the AST");
});
