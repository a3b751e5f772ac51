//! `parse_file` parses a file declaration by declaration (docs/PERFORMANCE.md); `parse_whole` parses it in one piece. They must
//! give the same trees, spans and errors. Here on every policy, fixture and
//! conformance case, and on variants that put declaration keywords and doc
//! comments in the first column where the pieces are cut.

mod common;

use sopflow::source::FileId;
use sopflow::syntax::{parse_file, parse_whole};

fn assert_same(text: &str, what: &str) {
    let pieces = format!("{:?}", parse_file(FileId(3), text));
    let whole = format!("{:?}", parse_whole(FileId(3), text));
    assert_eq!(pieces, whole, "{what}: {text:?}");
}

fn sop_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["policies", "tests/fixtures", "tests/conformance"] {
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
    // Reported at the brace that is never closed.
    assert_eq!(e.span.start as usize, text.find("f {").unwrap() + 2, "{}", e.message);
    assert_eq!(e.message, "this `{` is never closed (`flow f {`)");
}

/// Branches and steps with line breaks between any two tokens, some with a
/// token replaced by a keyword or punctuation, so that keywords begin lines
/// everywhere (some in the first column): the pieces agree with the whole
/// parse on every text, whether it parses or not.
#[test]
fn broken_lines_in_declarations_parse_the_same_in_pieces() {
    const WORDS: [&str; 16] = ["when", "step", "otherwise", "timeout", "->", "escalate", "outcome", "table", "do", "(", ")", "{", "}", "and", "not", "// c"];
    const BRANCHES: [&str; 6] = [
        "when a -> outcome ok",
        "when n == 3 and not a -> escalate review -> outcome ok",
        "when ( a or n in { 1, 2 } ) -> do act -> escalate review",
        "when n >= 2 -> escalate review",
        "/// doc\nwhen a -> table t2",
        "when not not a -> s",
    ];
    let head = "team review\naction act\noutcome ok\ninput a: bool\ninput n: int in 0 to 9\ntable t2 { otherwise -> outcome ok }\n";
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    let mut parsed = 0;
    let cases = 2000;
    for case in 0..cases {
        let mut tokens: Vec<String> = Vec::new();
        for _ in 0..1 + next(6) {
            let b = BRANCHES[next(BRANCHES.len())];
            let b = if case % 2 == 1 && b.ends_with("-> s") { "when a -> z" } else { b };
            tokens.extend(b.split(' ').map(str::to_string));
        }
        if next(3) == 0 {
            let k = next(tokens.len());
            tokens[k] = WORDS[next(WORDS.len())].to_string();
        }
        let mut body = String::new();
        for t in &tokens {
            body.push_str(match next(4) {
                0 => "\n  ",
                1 => "\n",
                _ => " ",
            });
            body.push_str(t);
            if t.starts_with("//") {
                body.push('\n');
            }
        }
        let text = if case % 2 == 0 {
            format!("{head}table t {{\n  when a -> outcome ok{body}\n  otherwise -> outcome ok\n}}\n")
        } else {
            format!("{head}flow f {{\n  start s\n  step s {{ otherwise -> z }}\n  step y {{{body}\n  otherwise -> z }}\n  step z {{ otherwise -> outcome ok }}\n}}\n")
        };
        parsed += usize::from(parse_whole(FileId(3), &text).is_ok());
        assert_same(&text, "broken lines");
    }
    assert!(parsed > cases / 4 && parsed < cases * 9 / 10, "some texts parse, some do not ({parsed} of {cases})");
}

/// `check` reports one syntax error per broken declaration, in file order,
/// and nothing else (LANGUAGE.md section 10): the declarations between them
/// were parsed on.
#[test]
fn check_reports_one_syntax_error_per_broken_declaration() {
    let text = "outcome approve\n\
                table a {\n  when flagged => outcome approve\n}\n\
                input flagged: bool\n\
                flow f {\n  start s\n  step s {\n    otherwize -> outcome approve\n  }\n}\n\
                table b { otherwise -> outcome approve }\n\
                action x \"unclosed\n";
    let result = common::check_source("broken.sop", text);
    let found: Vec<(usize, String)> = common::found(&result).into_iter().map(|(_, line, code, _)| (line, code)).collect();
    assert_eq!(found, [(3, "syntax-error".to_string()), (9, "syntax-error".to_string()), (13, "syntax-error".to_string())]);
    let messages: Vec<&str> = result.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(messages[0].contains("`=>`"), "{messages:?}");
    assert!(messages[1].contains("otherwize"), "{messages:?}");
    assert!(messages[2].contains("string not closed"), "{messages:?}");
}
