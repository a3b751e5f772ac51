//! Strings, comments and blanks as the grammar reads them. Comments are one
//! kind of `WHITESPACE` in the grammar, and a string's characters are read
//! as character ranges (docs/PERFORMANCE.md): these
//! pin what that must not change.

mod common;

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

/// Outside strings and comments a policy is ASCII (U+FEFF is whitespace):
/// a letter from another script is an error at that letter, in a name or
/// not; in strings and comments every character stands.
#[test]
fn outside_strings_and_comments_a_policy_is_ascii() {
    for (text, at) in [("action caf\u{e9}\n", 10), ("action a\u{a0}\n", 8), ("outcome a // caf\u{e9}\noutcome \u{e9}t\u{e9}\n", 27)] {
        let (found, message) = error(text);
        assert_eq!(found, at, "{text:?}: {message}");
        assert!(message.starts_with("unexpected `"), "{message}");
    }
    assert_eq!(description("\u{feff}action\u{feff}a\u{feff}\"caf\u{e9}\"// \u{e9}\n").as_deref(), Some("caf\u{e9}"));
    // An earlier error of the grammar is the one reported.
    let (found, message) = error("action 1\naction caf\u{e9}\n");
    assert_eq!(found, 7, "{message}");
}

/// `syntax::lexical::segments` against a reference lexer that reads one
/// character at a time, on every text of up to five characters from an
/// alphabet of the characters that matter (and on longer random ones).
#[test]
fn segments_agree_with_a_character_by_character_lexer() {
    use sopflow::syntax::lexical::{segments, Kind, Segment};
    fn reference(text: &str) -> Vec<Segment> {
        let b = text.as_bytes();
        let mut out: Vec<Segment> = Vec::new();
        let mut push = |kind: Kind, start: usize, end: usize| {
            if let Some(last) = out.last_mut().filter(|l| l.kind == Kind::Code && kind == Kind::Code) {
                last.end = end;
            } else if end > start {
                out.push(Segment { kind, start, end });
            }
        };
        let mut i = 0;
        while i < b.len() {
            let line_end = (i..b.len()).find(|&k| b[k] == b'\n' || b[k] == b'\r').unwrap_or(b.len());
            if b[i..].starts_with(b"//") {
                push(Kind::Comment, i, line_end);
                i = line_end;
            } else if b[i] == b'"' {
                let mut j = i + 1;
                let mut kind = Kind::OpenString;
                while j < line_end {
                    match b[j] {
                        b'"' => {
                            kind = Kind::String;
                            j += 1;
                            break;
                        }
                        b'\\' => j += 2,
                        _ => j += 1,
                    }
                }
                let end = if kind == Kind::String { j } else { line_end };
                push(kind, i, end);
                i = end;
            } else {
                let len = text[i..].chars().next().unwrap().len_utf8();
                push(Kind::Code, i, i + len);
                i += len;
            }
        }
        out
    }
    let alphabet = ["\"", "\\", "/", "\n", "\r", "a", "\u{e9}"];
    let mut texts: Vec<String> = vec![String::new()];
    let mut all = Vec::new();
    for _ in 0..5 {
        texts = texts.iter().flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}"))).collect();
        all.extend(texts.iter().cloned());
    }
    let mut rng = common::Lcg(7);
    for _ in 0..20_000 {
        let len = rng.next(40) as usize;
        all.push((0..len).map(|_| alphabet[rng.next(alphabet.len() as u64) as usize]).collect());
    }
    for text in &all {
        let got: Vec<Segment> = segments(text).collect();
        assert_eq!(got, reference(text), "{text:?}");
    }
    assert!(all.len() > 20_000);
}
