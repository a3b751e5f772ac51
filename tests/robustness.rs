//! Bad input gets a clear diagnostic, never a panic: truncated policy files,
//! random bytes, token soup, and conditions nested far too deep.

mod common;

use sopflow::diagnostics::Code;

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn check_text(text: &str) -> Vec<Code> {
    let mut sources = sopflow::source::SourceMap::default();
    let id = sources.add("fuzz.sop".into(), text.to_string());
    let loaded = sopflow::project::Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
    sopflow::check::check(loaded).diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn truncated_policy_files_never_panic() {
    let mut checked = 0;
    for entry in std::fs::read_dir("policies").unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                check_text(&text[..cut]);
                checked += 1;
            }
            cut += 7;
        }
    }
    assert!(checked > 500);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Lcg(7);
    for _ in 0..300 {
        let len = (rng.next() % 400) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() % 256) as u8).collect();
        check_text(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn token_soup_never_panics() {
    let tokens = [
        "enum", "input", "team", "action", "outcome", "table", "flow", "step", "start", "when", "otherwise", "timeout",
        "within", "escalate", "do", "->", "{", "}", "(", ")", "x", "y.z", "==", "in", "not", "and", "or", ":", ",", "1",
        "24h", "\"s\"", "first", "bool", "int", "to", "test", "run", "given", "expect", "path", "require", "escalation",
        "requires", "severity", "high", "\n", "///doc\n", "// sopflow: allow(dead-branch)\n",
    ];
    let mut rng = Lcg(11);
    for _ in 0..500 {
        let n = (rng.next() % 60) as usize;
        let text: Vec<&str> = (0..n).map(|_| tokens[(rng.next() as usize) % tokens.len()]).collect();
        check_text(&text.join(" "));
    }
}

#[test]
fn deep_parentheses_are_a_clear_syntax_error() {
    let text = format!(
        "input a: bool\noutcome x\ntable t {{\n  when {}a{} -> outcome x\n  otherwise -> outcome x\n}}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let result = common::check_source("deep.sop", &text);
    assert_eq!(result.diagnostics.len(), 1);
    assert_eq!(result.diagnostics[0].code, Code::SyntaxError);
    assert!(result.diagnostics[0].message.contains("nested more than"), "{}", result.diagnostics[0].message);
}

#[test]
fn deep_negation_is_a_clear_syntax_error() {
    let text = format!("input a: bool\noutcome x\ntable t {{\n  when {}a -> outcome x\n  otherwise -> outcome x\n}}\n", "not ".repeat(10_000));
    let codes = check_text(&text);
    assert_eq!(codes, [Code::SyntaxError]);
}

#[test]
fn nesting_within_the_limit_is_analysed() {
    let text = format!(
        "input a: bool\noutcome x\noutcome y\ntable t {{\n  when {}a{} -> outcome x\n  otherwise -> outcome y\n}}\n",
        "(not ".repeat(50),
        ")".repeat(50)
    );
    assert_eq!(check_text(&text), []);
}

#[test]
fn a_long_chain_of_steps_is_fine() {
    let mut text = String::from("input n: int in 0 to 100000\noutcome done\nflow long {\n  start s0\n");
    for i in 0..3000 {
        text.push_str(&format!("  step s{i} {{\n    when n == {i} -> outcome done\n    otherwise -> s{}\n  }}\n", i + 1));
    }
    text.push_str("  step s3000 {\n    otherwise -> outcome done\n  }\n}\n");
    assert_eq!(check_text(&text), []);
}
