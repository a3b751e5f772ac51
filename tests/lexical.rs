//! Strings, comments and blanks as the grammar reads them. Comments are one
//! kind of `WHITESPACE` in the grammar, and a string's characters are read
//! as character ranges (docs/PERFORMANCE.md): these
//! pin what that must not change.

use sopflow::source::FileId;
use sopflow::syntax::ast::Item;

/// The description of the file's only action.
fn description(text: &str) -> Option<String> {
    let file = sopflow::syntax::parse_file(FileId(0), text).unwrap_or_else(|e| panic!("{text:?} parses: {}", e.message));
    match &file.items[..] {
        [Item::Action(a)] => a.description.clone(),
        other => panic!("{text:?}: one action, got {} items", other.len()),
    }
}

/// Where the syntax error of `text` is, and what it says.
fn error(text: &str) -> (u32, String) {
    let e = sopflow::syntax::parse_file(FileId(0), text).expect_err(text);
    (e.span.start, e.message)
}

#[test]
fn a_string_keeps_every_character_but_quote_backslash_and_line_breaks() {
    assert_eq!(description("action a \"http://example.com // not a comment\"\n").as_deref(), Some("http://example.com // not a comment"));
    assert_eq!(description("action a \"tab\there # ! [ ] { } ~ \u{7f} é 😀\"").as_deref(), Some("tab\there # ! [ ] { } ~ \u{7f} é 😀"));
    assert_eq!(description("action a \"\u{0}\u{b}\u{c}\u{e}\u{1f}\"").as_deref(), Some("\u{0}\u{b}\u{c}\u{e}\u{1f}"));
    assert_eq!(description("action a \"say \\\"hi\\\" \\\\ \\n\\t\"").as_deref(), Some("say \"hi\" \\ \n\t"));
    assert_eq!(description("action a \"\"").as_deref(), Some(""));
}

#[test]
fn a_string_ends_at_a_line_break() {
    for text in ["action a \"one\ntwo\"\n", "action a \"one\rtwo\"\n", "action a \"one\r\n"] {
        let (at, message) = error(text);
        assert_eq!((at, message.as_str()), (9, "string not closed before the end of the line"), "{text:?}");
    }
}

#[test]
fn comments_stand_wherever_blanks_do() {
    assert_eq!(description("// first\naction a// right after the name\n").as_deref(), None);
    assert_eq!(description("action a \"x\"// right after the string").as_deref(), Some("x"));
    // One slash is not a comment.
    let (at, _) = error("action a / b\n");
    assert_eq!(at, 9);
}
