//! Every crash the fuzzers found, kept as a regression test: each input in
//! `tests/fuzz-regressions/` goes through the bodies of all fuzz targets.

use sopflow::source::FileId;

fn run_all(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = sopflow::syntax::parse_file(FileId(0), &text);
    let _ = sopflow::syntax::parse_recovering(FileId(0), &text);
    sopflow::check::check_text_everywhere(&text);
    if let Ok(once) = sopflow::fmt::format(&text) {
        assert_eq!(sopflow::fmt::format(&once).expect("formatted text parses"), once);
        assert_eq!(sopflow::fmt::ast_shape(&text), sopflow::fmt::ast_shape(&once), "formatting keeps the AST");
    }
}

#[test]
fn every_saved_fuzz_input_runs_clean() {
    let mut inputs: Vec<_> = std::fs::read_dir("tests/fuzz-regressions").unwrap().flatten().map(|e| e.path()).collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    for path in inputs {
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run_all(&data));
        assert!(outcome.is_ok(), "{} panics", path.display());
    }
}
