//! Spans end at a construct's last token, not over the whitespace and
//! comments pest skipped after it (`end_of` in `syntax::parser`).

use sopflow::source::FileId;
use sopflow::syntax::ast::{BranchKind, Item};

fn parse(text: &str) -> sopflow::syntax::ast::File {
    sopflow::syntax::parse_file(FileId(0), text).expect("parses")
}

/// The texts of the conditions of the first table's `when` branches.
fn condition_texts(text: &str) -> Vec<&str> {
    let file = parse(text);
    let table = file.items.iter().find_map(|i| if let Item::Table(t) = i { Some(t) } else { None }).expect("a table");
    table
        .branches
        .iter()
        .filter_map(|b| match &b.kind {
            BranchKind::When(c) => Some(&text[c.span.range()]),
            _ => None,
        })
        .collect()
}

#[test]
fn a_condition_ends_before_the_comments_after_it() {
    let text = "table t {\n  when a and b   // why\n  // and more\n\n    -> outcome x\n  when c -> outcome x\n}\n";
    assert_eq!(condition_texts(text), ["a and b", "c"]);
}

#[test]
fn a_slash_pair_in_a_string_is_not_a_comment() {
    let text = "table t {\n  when s == \"a // b\"  // real comment\n   -> outcome x\n  when s in { \"//\", \"\\\"//\" }\n -> outcome x\n}\n";
    assert_eq!(condition_texts(text), ["s == \"a // b\"", "s in { \"//\", \"\\\"//\" }"]);
}

#[test]
fn an_item_at_the_end_of_the_file_ends_before_a_last_comment() {
    for text in ["team t // no newline after", "team t\n// and a comment line", "team t   \n\n"] {
        let file = parse(text);
        let Item::Team(team) = &file.items[0] else { panic!("a team") };
        assert_eq!(&text[team.span.range()], "team t", "in {text:?}");
    }
}

#[test]
fn a_comment_that_starts_a_line_within_a_condition_is_skipped() {
    let text = "table t {\n  when a\n  // between\n  and b // after\n  -> outcome x\n}\n";
    assert_eq!(condition_texts(text), ["a\n  // between\n  and b"]);
}

#[test]
fn a_condition_ends_before_blanks_and_comments_with_blanks_in_them() {
    // Blanks on the same line only; a comment with blanks (and a Unicode
    // space) before its line break; a comment line between two blank runs.
    let text = "table t {\n  when a and b   \t -> outcome x\n  when c // why \u{2028}  \t\n -> outcome x\n  when d or e  \n  // more  \n   -> outcome x\n}\n";
    assert_eq!(condition_texts(text), ["a and b", "c", "d or e"]);
}
