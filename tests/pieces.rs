//! `parse_file` parses a file declaration by declaration (docs/PERFORMANCE.md,
//! issue 8, fourth round); `parse_whole` parses it in one piece. They must
//! give the same trees, spans and errors. Here on every policy, fixture and
//! conformance case, and on variants that put declaration keywords and doc
//! comments in the first column where the pieces are cut.

use sopflow::source::FileId;
use sopflow::syntax::{parse_file, parse_whole};

fn assert_same(text: &str, what: &str) {
    let pieces = format!("{:?}", parse_file(FileId(3), text));
    let whole = format!("{:?}", parse_whole(FileId(3), text));
    assert_eq!(pieces, whole, "{what}: {text:?}");
}

fn sop_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["policies", "tests/fixtures", "../shared/conformance/cases"] {
        for e in walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().flatten() {
            if e.path().extension().is_some_and(|x| x == "sop") {
                if let Ok(text) = std::fs::read_to_string(e.path()) {
                    out.push((e.path().display().to_string(), text));
                }
            }
        }
    }
    assert!(out.len() > 50, "found the policies and fixtures ({})", out.len());
    out
}

const DECLARATIONS: [&str; 9] = ["enum ", "input ", "team ", "action ", "outcome ", "require ", "table ", "flow ", "test "];

/// The file with every line moved to the first column: `outcome`, `table`
/// and `flow` inside declarations then start lines too.
fn flush_left(text: &str) -> String {
    text.lines().map(str::trim_start).collect::<Vec<_>>().join("\n")
}

#[test]
fn every_policy_and_fixture_parses_the_same_in_pieces() {
    for (path, text) in sop_files() {
        assert_same(&text, &path);
        assert_same(&text.replace('\n', "\r\n"), &path);
        assert_same(&format!("\u{feff}{text}"), &path);
        let left = flush_left(&text);
        assert_same(&left, &path);
        // Targets split after each arrow: `outcome X` and `table X` begin lines.
        assert_same(&flush_left(&text.replace("-> ", "->\n")), &path);
        let mut documented = String::new();
        for line in left.lines() {
            if DECLARATIONS.iter().any(|k| line.starts_with(k)) {
                documented.push_str("/// doc\n// note\n\n");
            }
            documented.push_str(line);
            documented.push('\n');
        }
        assert_same(&documented, &path);
        // Cut at each declaration start: unfinished declarations.
        let starts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).filter(|&i| DECLARATIONS.iter().any(|k| text[i..].starts_with(k))).collect();
        for &cut in starts.iter().take(4) {
            assert_same(&text[..cut - 1], &path);
            assert_same(&format!("{}}}\n{}", &text[..cut], &text[cut..]), &path);
            assert_same(&format!("{}{{\n{}", &text[..cut], &text[cut..]), &path);
        }
    }
}

#[test]
fn a_declaration_keyword_in_the_first_column_inside_a_declaration() {
    let text = "outcome done\ntable t {\n  when true ->\noutcome done\n}\nflow f {\n  start s\n  step s {\n    otherwise -> table\nt\n  }\n}\n";
    assert_same(text, "keyword lines inside declarations");
    let file = parse_file(FileId(0), text).expect("parses");
    assert_eq!(file.items.len(), 3);
}

#[test]
fn an_error_in_a_later_declaration_reads_as_in_the_whole_file() {
    let text = "outcome done\nflow f {\n  start s\n  step s {\n    otherwise -> outcome done\n  }\n\nflow g {\n  start s\n}\n";
    let e = parse_file(FileId(0), text).expect_err("the first flow is not closed");
    assert_eq!(e.message, parse_whole(FileId(0), text).expect_err("whole").message);
    assert_eq!(e.span.start as usize, text.find("flow g").unwrap(), "{}", e.message);
    assert!(e.message.ends_with("found `flow`"), "{}", e.message);
}
