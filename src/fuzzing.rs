//! The bodies of the fuzz targets that more than one place runs: the
//! `check` target and `tests/fuzz_regressions.rs` (every saved crash).

use crate::project::Loaded;
use crate::source::SourceMap;

/// Checks one text as a project of one file and renders the result in every
/// format: the body of the `check` fuzz target and its regression tests.
pub fn check_text_everywhere(text: &str) {
    for recover in [false, true] {
        let mut sources = SourceMap::default();
        let id = sources.add("fuzz.sop".into(), text.to_string());
        let loaded = Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
        let result = crate::check::check_with(loaded, crate::check::Options { recover, keep_trees: true, ..crate::check::Options::default() });
        let _ = crate::render::json::render(&result);
        let _ = crate::render::human::render(&result, false);
        let _ = crate::render::sarif::render(&result);
        let _ = crate::render::github::render(&result);
    }
}
