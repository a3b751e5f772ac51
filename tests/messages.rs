//! The messages for the mistakes policy writers make most, each with its
//! help line, pinned with insta (the catalogue in docs/language-decisions.md).

mod common;

fn report(name: &str, text: &str) -> String {
    let result = common::check_source(&format!("{name}.sop"), text);
    let d = result.diagnostics.iter().find(|d| d.code != sopflow::diagnostics::Code::UnusedDeclaration).unwrap_or_else(|| panic!("{name}: no finding"));
    let file = result.sources.get(d.span.file);
    let (line, col) = file.line_col(d.span.start as usize);
    format!("{}:{line}:{col} {}: {}\nhelp: {}\n", name, d.code, d.message, d.help.as_deref().unwrap_or("-"))
}

const TABLE: &str = "input kind: { counterfeit, fraud, other }\ninput flagged: bool\ninput age: duration\nteam legal\noutcome x\noutcome y\n";

fn table(branch: &str) -> String {
    format!("{TABLE}table t {{\n  {branch}\n  otherwise -> outcome y\n}}\n")
}

#[test]
fn the_common_mistakes_get_their_own_messages() {
    let cases: Vec<(&str, String)> = vec![
        ("single-equals", table("when kind = fraud -> outcome x")),
        ("and-and", table("when flagged && kind == fraud -> outcome x")),
        ("or-or", table("when flagged || kind == fraud -> outcome x")),
        ("bang", table("when !flagged -> outcome x")),
        ("fat-arrow", table("when flagged => outcome x")),
        ("otherwize", format!("{TABLE}table t {{\n  when flagged -> outcome x\n  otherwize -> outcome y\n}}\n")),
        ("else", format!("{TABLE}table t {{\n  when flagged -> outcome x\n  else -> outcome y\n}}\n")),
        ("outcomes", table("when flagged -> outcomes x")),
        ("escalte", table("when flagged -> escalte legal")),
        ("unclosed-brace", format!("{TABLE}table t {{\n  when flagged -> outcome x\n  otherwise -> outcome y\n\ntable u {{\n  otherwise -> outcome y\n}}\n")),
        ("duration-hrs", format!("{TABLE}flow f {{\n  start s\n  step s within 24hrs {{\n    otherwise -> outcome x\n  }}\n}}\n")),
        ("duration-min", table("when age > 90min -> outcome x")),
        ("duration-two-units", table("when age > 1d12h -> outcome x")),
        ("duration-spaced", table("when age > 1 day -> outcome x")),
        ("input-on-the-right", table("when 24h < age -> outcome x")),
        ("modifier-order", format!("{TABLE}flow f {{\n  start s\n  step s within 2h first {{\n    otherwise -> outcome x\n  }}\n}}\n")),
        ("variant-as-input", table("when kind == counterfeit or fraud -> outcome x")),
        ("variant-as-string", table("when kind == \"fraud\" -> outcome x")),
    ];
    let mut out = String::new();
    for (name, text) in cases {
        out.push_str(&report(name, &text));
    }
    insta::assert_snapshot!("common_mistakes", out);
}
