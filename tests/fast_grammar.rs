//! The tree is built from the fast grammar (`grammar/fast.pest`, rule
//! `fast_file`); syntax errors come from the language's grammar
//! (`grammar/sopflow.pest`, rule `file`). The two must accept exactly the
//! same files. Here on every policy, fixture and conformance case, and on
//! thousands of variants of them with tokens dropped, repeated, swapped and
//! inserted (keywords, punctuation, comments, odd whitespace), so that most
//! variants are syntax errors somewhere in a flow, a table or a condition.

use pest::Parser as _;
use sopflow::syntax::parser::{fast_applies, grammars_agree, PestParser, Rule};

fn accepts(rule: Rule, text: &str) -> bool {
    PestParser::parse(rule, text).is_ok()
}

/// Asserts that the two grammars agree on `text`: whether it parses. The
/// fast grammar reads only the files that `fast_applies` lets through: its
/// names are Unicode classes that agree with the language's on ASCII, and
/// its strings run to the next quote or backslash, line breaks and all.
fn assert_agree(text: &str, what: &str) -> bool {
    let reference = accepts(Rule::file, text);
    assert_eq!(
        fast_applies(text) && accepts(Rule::fast_file, text),
        reference,
        "{what}: the language's grammar {}, the fast one does not: {text:?}",
        if reference { "accepts" } else { "rejects" }
    );
    assert!(grammars_agree(text));
    // And the check's parser, whatever path it takes, reads it as the
    // parser in one piece does (the tree, or the error).
    let id = sopflow::source::FileId(0);
    let (file, whole) = (sopflow::syntax::parse_file(id, text), sopflow::syntax::parse_whole(id, text));
    assert!(file.is_err() || reference, "{what}: parse_file accepts {text:?}");
    assert_eq!(format!("{file:?}"), format!("{whole:?}"), "{what}: parse_file and parse_whole: {text:?}");
    reference
}

fn sop_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["policies", "tests/fixtures", "tests/fuzz-regressions", "tests/conformance", "examples/sop"] {
        for e in walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().flatten() {
            if e.file_type().is_file() {
                if let Ok(text) = std::fs::read_to_string(e.path()) {
                    out.push((e.path().display().to_string(), text));
                }
            }
        }
    }
    assert!(out.len() > 50, "found the policies and fixtures ({})", out.len());
    out
}

/// The file cut into tokens: blanks, comments, strings, words, arrows and
/// comparisons, and single characters.
fn tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        } else if text[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
        } else if ["->", "==", "!=", "<=", ">="].iter().any(|op| text[i..].starts_with(op)) {
            i += 2;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
        while !text.is_char_boundary(i) {
            i += 1;
        }
        out.push(&text[start..i]);
    }
    out
}

/// What a mutation may insert: every keyword and piece of punctuation, and
/// the trivia the grammars skip.
const INSERTS: [&str; 60] = [
    "when",
    "otherwise",
    "timeout",
    "step",
    "flow",
    "table",
    "start",
    "within",
    "instructions",
    "escalate",
    "do",
    "outcome",
    "first",
    "and",
    "or",
    "not",
    "in",
    "true",
    "false",
    "->",
    "{",
    "}",
    "(",
    ")",
    ",",
    ":",
    "==",
    "!=",
    "<=",
    ">=",
    "<",
    ">",
    "\"x\"",
    "24h",
    "3",
    "-1",
    "x.y",
    "foo",
    "require",
    "escalation",
    "to",
    "test",
    "run",
    "given",
    "// c\n",
    "\n",
    " ",
    "\t",
    "/// d\n",
    "\r\n",
    "\u{a0}",
    "1_0",
    // Non-ASCII letters (the fast grammar's names are Unicode classes,
    // `fast_applies` keeps such files from it): Latin, Thai, a combining
    // mark (a letter's continuation, not a start), in and out of strings.
    "\u{e9}",
    "x\u{e9}",
    "\u{e01}",
    "\u{301}",
    "\"\u{e15}\u{e23}\u{e27}\u{e08}\"",
    "// \u{e9}\n",
    "\u{feff}",
    "\"a\\\"\u{e9}\"",
];

/// A small deterministic generator (no dependency for a test's dice).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn mutate(toks: &[&str], rng: &mut Lcg) -> String {
    let mut t: Vec<String> = toks.iter().map(|s| s.to_string()).collect();
    for _ in 0..1 + rng.below(3) {
        let j = rng.below(t.len());
        match rng.below(6) {
            0 => {
                t.remove(j);
            }
            1 => t.insert(j, INSERTS[rng.below(INSERTS.len())].to_string()),
            2 => t.insert(j, format!(" {} ", INSERTS[rng.below(INSERTS.len())])),
            3 => {
                let k = rng.below(t.len());
                t.swap(j, k);
            }
            4 => {
                let k = rng.below(t.len());
                let copy = t[k].clone();
                t.insert(j, copy);
            }
            _ => {
                let mut chars: Vec<char> = t[j].chars().collect();
                if !chars.is_empty() {
                    chars.remove(rng.below(chars.len()));
                }
                t[j] = chars.into_iter().collect();
            }
        }
        if t.is_empty() {
            break;
        }
    }
    t.concat()
}

#[test]
fn the_grammars_agree_on_every_policy_and_fixture() {
    for (path, text) in sop_files() {
        assert_agree(&text, &path);
    }
}

#[test]
fn the_grammars_agree_on_mutated_policies_and_fixtures() {
    let mut rng = Lcg(0x5eed);
    let (mut accepted, mut rejected) = (0, 0);
    for (path, text) in sop_files() {
        if text.len() > 20_000 {
            continue;
        }
        let toks = tokens(&text);
        if toks.is_empty() {
            continue;
        }
        for _ in 0..100 {
            let variant = mutate(&toks, &mut rng);
            if assert_agree(&variant, &path) {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
    }
    // The variants reach both sides of the question.
    assert!(accepted > 200 && rejected > 1000, "accepted {accepted}, rejected {rejected}");
}

/// Small hand-written cases at the edges of the rewrite: whitespace and
/// comments between every two tokens, keywords glued to names, conditions
/// that end early.
#[test]
fn the_grammars_agree_on_edge_cases() {
    let head = "input a: bool\ninput b: int in 0 to 9\nenum E { X, Y }\ninput e: E\noutcome ok\nteam t\naction act\n";
    let bodies = [
        "flow f { start s step s { when a -> outcome ok } }",
        "flow f{start s step s{when a->outcome ok}}",
        "flow f { start s step s \"t\" first within 24h { instructions \"i\" when a -> outcome ok otherwise -> outcome ok timeout -> escalate t } }",
        "flow f { start s step s { when not not a and b > 3 or (e in {X, Y,}) -> do act -> escalate t -> outcome ok } }",
        "flow f { start s step s { when a // c\n and // d\n b == 1 // e\n -> // f\n outcome ok // g\n } }",
        "flow f { start s step s { when a and -> outcome ok } }",
        "flow f { start s step s { when a or -> outcome ok } }",
        "flow f { start s step s { when nota -> outcome ok } }",
        "flow f { start s step s { when not -> outcome ok } }",
        "flow f { start s step s { when a not in {X} -> outcome ok } }",
        "flow f { start s step s { when a not b -> outcome ok } }",
        "flow f { start s step s { when true.x -> outcome ok } }",
        "flow f { start s step s { when truex -> outcome ok } }",
        "flow f { start s step s { whena -> outcome ok } }",
        "flow f { start s step s { when a -> outcomeok } }",
        "flow f { start s step s { when a -> escalate t } }",
        "flow f { start s step s { when a -> escalate t -> } }",
        "flow f { start s step s { when a -> do act } }",
        "flow f { start s step s { when (a -> outcome ok } }",
        "flow f { start s step s { when () -> outcome ok } }",
        "flow f { start s step s { when e in {} -> outcome ok } }",
        "flow f { start s step s { when e in {X,,} -> outcome ok } }",
        "flow f { start s step s { when e in{X}-> outcome ok } }",
        "flow f { start s step s { when b==-1 -> outcome ok } }",
        "flow f { start s step s { when b == 1_0 -> table x } }",
        "flow f { start s step s { otherwise -> outcome ok when a -> outcome ok } }",
        "flow f { start s step s { timeout -> outcome ok otherwise -> outcome ok } }",
        "flow f { start s step s { instructions \"a\" instructions \"b\" } }",
        "flow f { start s step s first \"t\" { } }",
        "flow f { start s step s within 24 { } }",
        "flow f { startx s step s { } }",
        "flow f { start s }",
        "flow f { }",
        "table t first { when a -> outcome ok otherwise -> outcome ok }",
        "table t { when a -> outcome ok } table u { }",
        "table t {when a->outcome ok}",
        "require escalation to t when a and b > 1",
        "require escalation to t when",
        "require escalationto t when a",
        "require escalation to t when a\nflow f { start s step s { } }",
        "test \"x\" { run flow f given { a: true, b: 1, } expect outcome ok }",
        // Non-ASCII letters in names, after keywords, in strings and comments.
        "flow f { start s step s { when a\u{e9} -> outcome ok } }",
        "flow f { start s step s { when \u{e9} -> outcome ok } }",
        "flow f { start s step s { when e == X\u{301} -> outcome ok } }",
        "flow f { start s step s { when\u{301} a -> outcome ok } }",
        "flow f { start s step s { when a -> outcome ok\u{e01} } }",
        "flow f\u{e01} { start s step s { when a -> outcome ok } }",
        "flow f { start s step s\u{e9} { when a -> outcome ok } }",
        "flow f { start s step s \"\u{e15}\u{e23}\u{e27}\u{e08}\" { instructions \"\u{e9}\\\"\u{e9}\" when a -> outcome ok // \u{e9}\n } }",
        "flow f { start s step s { instructions \"\u{e9}\n\" when a -> outcome ok } }",
        "flow f { start s step s { instructions \"\\q\u{e9}\" when a -> outcome ok } }",
        "table t { when a and\u{feff}b > 1 -> outcome ok }",
        // Strings and comments (the fast grammar skips through both).
        "flow f { start s step s { instructions \"a\rb\" when a -> outcome ok } }",
        "flow f { start s step s { instructions \"a\r\n\" when a -> outcome ok } }",
        "flow f { start s step s { instructions \"a // b\" when a -> outcome ok } }",
        "flow f { start s step s { instructions \"a\\\\\" when a -> outcome ok } }",
        "flow f { start s step s { instructions \"a\\\"// b\" when a -> outcome ok } }",
        "flow f { start s step s { instructions \"a\\",
        "flow f { start s step s { instructions \"abc",
        "flow f { start s step s { // \"x\n when a -> outcome ok } }",
        "flow f { start s step s { when a / b -> outcome ok } }",
        "flow f { start s step s { when a -> outcome ok } } // end",
        "flow f { start s step s \"x\"// c\n{ when a -> outcome ok } }",
        "flow f { start s step s \"\"{ when e == \"\" -> outcome ok } }",
        "flow f { start s step s { when a -> outcome ok /// d\r} }",
        "flow f { start s step s { when\u{feff}a -> escalate\u{feff}t -> outcome\u{feff}ok } }",
    ];
    for body in bodies {
        for text in [format!("{head}{body}\n"), format!("{head}{body}"), format!("\u{feff}{head}\t{body}\r\n// end")] {
            assert_agree(&text, body);
        }
    }
}

/// Every character that could be whitespace, between the tokens of a flow,
/// a table and a `require`: the fast grammar spells whitespace out
/// (`ws_char`), and it must be exactly `sopflow.pest`'s `WHITESPACE`.
#[test]
fn the_grammars_agree_on_what_whitespace_is() {
    let head = "input a: bool\ninput b: int in 0 to 9\noutcome ok\nteam t\n";
    let pieces: [&[&str]; 3] = [
        &["flow", "f", "{", "start", "s", "step", "s", "{", "when", "a", "and", "b", ">", "1", "->", "escalate", "t", "->", "outcome", "ok", "}", "}"],
        &["table", "x", "first", "{", "when", "not", "a", "or", "b", "in", "{", "1", ",", "2", "}", "->", "outcome", "ok", "}"],
        &["require", "escalation", "to", "t", "when", "(", "a", ")", "or", "b", "<=", "3"],
    ];
    let mut odd: Vec<char> = (0u8..=0x20).map(char::from).collect();
    odd.extend(['\u{7f}', '\u{85}', '\u{a0}', '\u{feff}', '\u{2028}', '\u{3000}']);
    for words in pieces {
        for c in &odd {
            for gap in 1..words.len() {
                let mut text = String::from(head);
                for (i, w) in words.iter().enumerate() {
                    if i > 0 {
                        text.push(if i == gap { *c } else { ' ' });
                    }
                    text.push_str(w);
                }
                assert_agree(&text, &format!("{c:?} in gap {gap}"));
            }
        }
    }
}
