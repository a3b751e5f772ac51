//! Keywords are not names. The grammar does not look ahead for them at every
//! identifier (docs/PERFORMANCE.md); the AST builder rejects them instead, at
//! the keyword, wherever a name stands.
mod common;

use sopflow::diagnostics::Code;
use sopflow::syntax::parser::Rule;
use sopflow::syntax::KEYWORDS;

#[test]
fn the_keyword_list_matches_the_grammar() {
    let mut from_grammar: Vec<String> = Rule::all_rules().iter().filter_map(|r| format!("{r:?}").strip_prefix("kw_").map(str::to_string)).collect();
    let mut listed: Vec<String> = KEYWORDS.iter().map(|k| k.to_string()).collect();
    from_grammar.sort();
    listed.sort();
    assert_eq!(from_grammar, listed);
}

/// `is_keyword` is written as a `match` for speed; it must say yes to every
/// listed keyword and to nothing else, near misses included.
#[test]
fn is_keyword_agrees_with_the_keyword_list() {
    for k in KEYWORDS {
        assert!(sopflow::syntax::is_keyword(k), "{k}");
        // Same length, first and last letter, another middle (what the
        // `match` looks at before its one comparison).
        let same_ends = format!("{}{}{}", &k[..1], "x".repeat(k.len().saturating_sub(2)), &k[k.len() - 1..]);
        for near in [format!("{k}s"), format!("_{k}"), k[..k.len() - 1].to_string(), k.to_uppercase(), same_ends] {
            assert_eq!(sopflow::syntax::is_keyword(&near), KEYWORDS.contains(&near.as_str()), "{near}");
        }
    }
    for word in ["", "x", "market", "seller", "strikes", "category", "i", "o"] {
        assert!(!sopflow::syntax::is_keyword(word), "{word}");
    }
}

const BASE: &str = "input seller.strikes: int in 0 to 10\ninput flagged: bool\nenum Market { ID, MY }\ninput market: Market\noutcome approve\n";

/// Each case puts a keyword where a name belongs, on line 6.
#[test]
fn a_keyword_used_as_a_name_is_a_syntax_error_at_the_keyword() {
    let cases = [
        ("outcome int", "int"),
        ("team when", "when"),
        ("enum E { A, sla }", "sla"),
        ("input seller.in: bool", "in"),
        ("table t { when market == true -> outcome approve otherwise -> outcome flow }", "flow"),
        ("table t { when market in { ID, not } -> outcome approve otherwise -> outcome approve }", "not"),
        ("table t { when flagged -> escalate }", "escalate"),
        ("flow f { start step step s { otherwise -> outcome approve } }", "step"),
    ];
    for (k, (line, word)) in cases.into_iter().enumerate() {
        let text = format!("{BASE}{line}\n");
        let result = common::check_source(&format!("keyword-{k}.sop"), &text);
        let codes: Vec<Code> = result.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::SyntaxError], "{line}");
        let d = &result.diagnostics[0];
        assert_eq!(common::found(&result)[0].1, 6, "{line}");
        let at = &text[d.span.start as usize..d.span.end as usize];
        assert_eq!(at, word, "{line}: {}", d.message);
    }
}

#[test]
fn names_that_start_like_keywords_are_names() {
    let text = format!(
        "{BASE}input internal: bool\ninput order.not_in: bool\noutcome flow_done\nteam whenever\n\
         table t {{ when internal and order.not_in -> escalate whenever -> outcome flow_done otherwise -> outcome approve }}\n"
    );
    let result = common::check_source("names.sop", &text);
    assert!(result.diagnostics.iter().all(|d| d.code != Code::SyntaxError), "{:?}", result.diagnostics);
}
