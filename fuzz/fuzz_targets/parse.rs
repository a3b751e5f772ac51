//! The parser never panics, with or without recovery.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = sopflow::syntax::parse_file(sopflow::source::FileId(0), &text);
    let _ = sopflow::syntax::parse_recovering(sopflow::source::FileId(0), &text);
});
