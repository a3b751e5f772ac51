//! Each file or folder under `tests/fixtures/` is one project named after the
//! code it exercises: what must be found carries `// expect: code`, the near
//! misses carry nothing. The human report of each is pinned with insta.

mod common;

use std::path::Path;

use sopflow::diagnostics::Code;

#[test]
fn every_fixture_finds_exactly_what_it_expects() {
    let mut failures = Vec::new();
    for case in common::cases(Path::new("tests/fixtures")) {
        let result = common::check_path(&case);
        if let Err(e) = common::compare(&case, &result) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_has_a_fixture_with_a_finding() {
    for code in Code::ALL {
        let case = Path::new("tests/fixtures").join(code.as_str());
        let case = if case.is_dir() { case } else { case.with_extension("sop") };
        assert!(case.exists(), "no fixture for `{code}`");
        let wanted = common::expected(&case);
        assert!(wanted.iter().any(|(_, _, c, _)| c == code.as_str()), "fixture for `{code}` expects no `{code}`");
    }
}

#[test]
fn human_reports_are_pinned() {
    for case in common::cases(Path::new("tests/fixtures")) {
        let result = common::check_path(&case);
        let text = sopflow::render::human::render(&result, false);
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(format!("human_{name}"), text);
    }
}

#[test]
fn plain_reports_are_pinned() {
    let case = Path::new("tests/fixtures/conflicting-outcomes.sop");
    let text = sopflow::render::human::render_plain(&common::check_path(case));
    insta::assert_snapshot!("plain_conflicting_outcomes", text);
}
