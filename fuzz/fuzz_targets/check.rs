//! A full check of one file (the command line's and the language server's)
//! never panics, and every finding renders in every format.
#![no_main]
use sopflow::check::{check_with, Options};
use sopflow::project::Loaded;
use sopflow::source::SourceMap;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    for recover in [false, true] {
        let mut sources = SourceMap::default();
        let id = sources.add("fuzz.sop".into(), text.clone());
        let loaded = Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
        let result = check_with(loaded, Options { recover });
        let _ = sopflow::render::json::render(&result);
        let _ = sopflow::render::human::render(&result, false);
        let _ = sopflow::render::sarif::render(&result);
        let _ = sopflow::render::github::render(&result);
    }
});
