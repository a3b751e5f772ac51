//! A full check of one file (the command line's and the language server's)
//! never panics, and every finding renders in every format.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sopflow::fuzzing::check_text_everywhere(&String::from_utf8_lossy(data));
});
