//! Syntax errors in words a policy writer understands.

use pest::error::{ErrorVariant, InputLocation};

use super::parser::Rule;
use crate::source::{FileId, Span};

use super::lexical::{string_error, unclosed_brace};
pub use super::lexical::{MAX_NESTING, MAX_STRING};

#[derive(Clone, Debug)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        arrow => "`->`",
        lbrace => "`{`",
        rbrace => "`}`",
        lparen => "`(`",
        rparen => "`)`",
        colon => "`:`",
        comma => "`,`",
        ident => "a name",
        dotted => "an input name",
        integer => "a whole number",
        duration => "a duration such as `24h`",
        string | str_inner => "a quoted string",
        level => "a severity level (`none`, `low`, `medium`, `high` or `critical`)",
        type_expr | type_name | int_range | inline_enum => "a type (`bool`, `int`, `int in LO to HI`, `duration`, `string`, an enum)",
        condition | paren => "a condition",
        membership => "`in { … }` or a comparison",
        cmp_op => "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        value => "a value",
        link_escalate | link_do | end_outcome | end_escalate | end_table | end_step => {
            "a target (a step, `outcome NAME`, `escalate TEAM`, `do ACTION -> …` or `table NAME`)"
        }
        when_branch => "a `when` branch",
        otherwise_branch => "`otherwise`",
        timeout_branch => "`timeout`",
        instructions => "`instructions`",
        step_decl => "a `step`",
        sla_clause => "`sla`",
        severity_clause => "`severity`",
        requires_clause => "`requires escalation`",
        enum_decl | input_decl | team_decl | action_decl | outcome_decl | require_decl | resolution_decl | test_decl => {
            "a declaration (`enum`, `input`, `team`, `action`, `outcome`, `require`, `table`, `flow` or `test`)"
        }
        table_decl => "`table`",
        flow_decl => "`flow`",
        test_run => "`run flow NAME` or `run table NAME`",
        test_given => "`given { … }`",
        test_expect => "`expect`",
        given_pair => "`input: value`",
        expect_outcome | expect_escalate | expect_path | expect_within => "`outcome`, `escalate`, `path` or `within`",
        EOI => "the end of the file",
        k_enum => "`enum`",
        k_input => "`input`",
        k_team => "`team`",
        k_action => "`action`",
        k_outcome => "`outcome`",
        k_table => "`table`",
        k_flow => "`flow`",
        k_start => "`start STEP`",
        k_when => "`when`",
        k_timeout => "`timeout`",
        k_escalate => "`escalate`",
        k_escalation => "`escalation`",
        k_to => "`to`",
        k_first => "`first`",
        k_test => "`test`",
        k_run => "`run`",
        k_given => "`given`",
        k_expect => "`expect`",
        k_path => "`path`",
        k_severity => "`severity`",
        k_requires => "`requires`",
        k_require => "`require`",
        k_and => "`and`",
        k_or => "`or`",
        k_not => "`not`",
        k_in => "`in`",
        k_true => "`true`",
        k_false => "`false`",
        k_bool => "`bool`",
        k_int => "`int`",
        k_duration => "`duration`",
        k_string => "`string`",
        k_sla => "`sla`",
        k_resolution => "`resolution`",
        k_within => "`within`",
        _ => return None,
    })
}

/// The token at `pos`, for "found …".
fn found_at(text: &str, pos: usize) -> (String, usize) {
    let rest = &text[pos..];
    if rest.is_empty() {
        return ("the end of the file".into(), 0);
    }
    let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.').collect();
    if !word.is_empty() {
        return (format!("`{word}`"), word.len());
    }
    let c = rest.chars().next().unwrap();
    if c == '\n' || c == '\r' {
        return ("the end of the line".into(), 0);
    }
    (format!("`{c}`"), c.len_utf8())
}

/// Turns pest's error into one sentence naming what was expected.
pub fn friendly_message(file: FileId, text: &str, err: &pest::error::Error<super::parser::Rule>) -> SyntaxError {
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    if let Some(err) = string_error(file, text, pos) {
        return err;
    }
    let (found, len) = found_at(text, pos);
    let span = Span::new(file, pos, pos + len);
    let positives: Vec<Rule> = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => vec![],
    };
    if let Some(err) = mistake(file, text, pos, &positives) {
        return err;
    }
    // The `->` of a `when` branch (not of `otherwise`, `timeout` or a link):
    // what else was tried there can only go on with the condition.
    let before = text[..pos].trim_end();
    let after_condition = positives.contains(&Rule::arrow)
        && positives.iter().all(|r| matches!(r, Rule::arrow | Rule::k_and | Rule::k_or | Rule::cmp_op | Rule::k_in | Rule::k_not | Rule::membership))
        && !before.ends_with("otherwise")
        && !before.ends_with("timeout");
    let message = if after_condition {
        format!("expected `->` after the condition, found {found}")
    } else {
        let mut words: Vec<&str> = Vec::new();
        // A value in a condition is no node of its own: its kinds stand for it.
        let value_kinds = [Rule::ident, Rule::integer, Rule::duration, Rule::string];
        let a_value = value_kinds.iter().all(|r| positives.contains(r));
        for rule in &positives {
            let word = if a_value && value_kinds.contains(rule) { describe(Rule::value) } else { describe(*rule) };
            if let Some(w) = word {
                if !words.contains(&w) {
                    words.push(w);
                }
            }
        }
        match words.len() {
            0 => format!("unexpected {found}"),
            1 => format!("expected {}, found {found}", words[0]),
            n => format!("expected {} or {}, found {found}", words[..n - 1].join(", "), words[n - 1]),
        }
    };
    let word = found.trim_matches('`');
    let help = if positives.contains(&Rule::rbrace) && matches!(word, "when" | "otherwise" | "instructions" | "timeout") {
        Some("inside a step or table: `instructions` lines, then `when` branches, then at most one `otherwise`, then at most one `timeout`".into())
    } else if positives.iter().any(|r| matches!(r, Rule::ident | Rule::dotted)) && super::is_keyword(word) {
        Some(format!("`{word}` is a keyword and cannot be used as a name"))
    } else {
        None
    };
    SyntaxError { span, message, help }
}

/// The words a misspelled keyword is compared with, and what other
/// languages call them.
const KEYWORD_WORDS: &[&str] = &["otherwise", "outcome", "escalate", "table", "when", "timeout", "within", "instructions", "first", "step", "start", "do"];
const SYNONYMS: &[(&str, &str)] = &[("else", "otherwise"), ("default", "otherwise"), ("if", "when"), ("outcomes", "outcome"), ("escalation", "escalate")];

fn error(file: FileId, start: usize, end: usize, message: String, help: &str) -> Option<SyntaxError> {
    Some(SyntaxError { span: Span::new(file, start, end), message, help: Some(help.to_string()) })
}

/// The mistakes policy writers make most, each in its own words with the
/// fix: operators from other languages, misspelled keywords (at the
/// misspelled word), an unclosed `{` (at the brace), durations with other
/// units, the input on the right of a comparison, modifiers in the wrong
/// order. `None` leaves the error to the general description.
fn mistake(file: FileId, text: &str, pos: usize, positives: &[Rule]) -> Option<SyntaxError> {
    let rest = &text[pos..];
    let in_condition = positives.iter().any(|r| matches!(r, Rule::arrow | Rule::cmp_op | Rule::k_and | Rule::k_or | Rule::condition | Rule::dotted));
    // Operators from other languages.
    for (wrong, right, help) in [
        ("=>", "->", "a branch leads to its target with `->`: `when flagged -> outcome remove`"),
        ("&&", "and", "conditions combine with `and`, `or` and `not`: `when flagged and seller.strikes >= 3`"),
        ("||", "or", "conditions combine with `and`, `or` and `not`: `when flagged or reported`"),
    ] {
        if rest.starts_with(wrong) {
            return error(file, pos, pos + wrong.len(), format!("`{wrong}` is written `{right}` in SOPflow"), help);
        }
    }
    if rest.starts_with('!') && !rest.starts_with("!=") {
        return error(file, pos, pos + 1, "`!` is written `not` in SOPflow".into(), "negate a condition with `not`: `when not brand.authorized`");
    }
    if in_condition && rest.starts_with('=') && !rest.starts_with("==") {
        return error(
            file,
            pos,
            pos + 1,
            "`=` is not a comparison: write `==`".into(),
            "compare an input with a value using `==`: `when report.kind == counterfeit`",
        );
    }
    // A word where something else was expected.
    let word_len = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').map(char::len_utf8).sum::<usize>();
    let word = &rest[..word_len];
    // Durations: a number with a unit SOPflow does not know, or two units.
    if positives.contains(&Rule::duration) || positives.contains(&Rule::value) {
        let digits = word.chars().take_while(|c| c.is_ascii_digit() || *c == '_').count();
        let after_number = &rest[digits..];
        let spaced_unit = after_number.trim_start_matches(' ');
        let is_spaced = digits > 0
            && after_number.starts_with(' ')
            && ["day", "days", "hour", "hours", "minute", "minutes", "week", "weeks", "second", "seconds", "min", "hr", "hrs"]
                .iter()
                .any(|u| spaced_unit.starts_with(u));
        if digits > 0 && (word.len() > digits || is_spaced) && super::super::source::Duration::parse(word).is_none() {
            let shown_end = if is_spaced {
                pos + digits + (after_number.len() - spaced_unit.len()) + spaced_unit.chars().take_while(|c| c.is_alphabetic()).count()
            } else {
                pos + word_len
            };
            return error(
                file,
                pos,
                shown_end,
                format!("`{}` is not a duration", &text[pos..shown_end]),
                "a duration is a whole number and one unit, written together: `30s`, `15m`, `24h`, `7d`, `2w` (`1d12h` is `36h`)",
            );
        }
    }
    // `1 day`: a number, a space and a unit word.
    const UNIT_WORDS: [&str; 15] = ["s", "m", "h", "d", "w", "day", "days", "hour", "hours", "min", "minute", "minutes", "week", "weeks", "hrs"];
    if UNIT_WORDS.contains(&word) {
        let before = &text[..pos];
        let number = before.trim_end_matches(' ');
        let digits = number.chars().rev().take_while(|c| c.is_ascii_digit() || *c == '_').count();
        if digits > 0 && number.len() < before.len() {
            let start = number.len() - digits;
            return error(
                file,
                start,
                pos + word_len,
                format!("`{}` is not a duration", &text[start..pos + word_len]),
                "a duration is a whole number and one unit, written together: `30s`, `15m`, `24h`, `7d`, `2w` (`1d12h` is `36h`)",
            );
        }
    }
    // A number or duration where a condition starts: the input goes on the left.
    if positives.iter().any(|r| matches!(r, Rule::condition | Rule::paren | Rule::dotted)) && rest.starts_with(|c: char| c.is_ascii_digit()) {
        let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = &rest[..line_end];
        let value: String = line.chars().take_while(|c| !c.is_whitespace()).collect();
        let after = line[value.len()..].trim_start();
        let flipped = [("<=", ">="), (">=", "<="), ("<", ">"), (">", "<"), ("==", "=="), ("!=", "!=")].into_iter().find(|(op, _)| after.starts_with(op));
        if let Some((op, other)) = flipped {
            let input: String = after[op.len()..].trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.').collect();
            if !input.is_empty() {
                return error(
                    file,
                    pos,
                    pos + value.len(),
                    format!("a comparison puts the input on the left: `{input} {other} {value}`"),
                    "conditions compare an input with a value, in that order",
                );
            }
        }
    }
    // Modifiers of a step in the wrong order.
    if word == "first" && positives.contains(&Rule::lbrace) && text[..pos].trim_end().rsplit(char::is_whitespace).nth(1) == Some("within") {
        return error(
            file,
            pos,
            pos + word_len,
            "`first` comes before `within`".into(),
            "a step's header is `step NAME [\"title\"] [first] [within DURATION]`, in that order",
        );
    }
    // A misspelled target keyword reads as a step name, and the error comes
    // at the word after it (`-> escalte legal`): point at the misspelling.
    if !word.is_empty() {
        let before = text[..pos].trim_end();
        let prev: &str = before.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("");
        let prev_start = before.len() - prev.len();
        let arrow_before = text[..prev_start].trim_end().ends_with("->");
        if arrow_before && !prev.is_empty() && !super::is_keyword(prev) {
            let target_words = ["outcome", "escalate", "table", "do"];
            let near = SYNONYMS.iter().find(|(w, _)| *w == prev).map(|(_, r)| *r).or_else(|| crate::resolve::nearest(prev, target_words.iter().copied()));
            if let Some(right) = near {
                return error(
                    file,
                    prev_start,
                    prev_start + prev.len(),
                    format!("unknown word `{prev}`: did you mean `{right}`?"),
                    "a target is a step, `outcome NAME`, `escalate TEAM`, `do ACTION -> …` or `table NAME`",
                );
            }
        }
    }
    // A misspelled keyword where keywords were expected.
    let expects_keyword = positives.iter().any(|r| describe(*r).is_some_and(|d| d.starts_with('`')));
    if expects_keyword && word.chars().count() >= 3 && !super::is_keyword(word) {
        let synonym = SYNONYMS.iter().find(|(w, _)| *w == word).map(|(_, right)| *right);
        if let Some(right) = synonym.or_else(|| crate::resolve::nearest(word, KEYWORD_WORDS.iter().copied())) {
            return error(
                file,
                pos,
                pos + word_len,
                format!("unknown word `{word}`: did you mean `{right}`?"),
                "SOPflow's keywords: `when`, `otherwise`, `timeout` in steps; `outcome`, `escalate`, `do`, `table` in targets",
            );
        }
    }
    // A block that is never closed: at its opening brace.
    let declaration_next = super::DECLARATION_KEYWORDS.contains(&word);
    if positives.contains(&Rule::rbrace) && (rest.is_empty() || declaration_next) {
        if let Some(open) = unclosed_brace(&text[..pos]) {
            let line_start = text[..open].rfind('\n').map_or(0, |i| i + 1);
            let head = text[line_start..open].trim();
            return error(
                file,
                open,
                open + 1,
                format!("this `{{` is never closed{}", if head.is_empty() { String::new() } else { format!(" (`{head} {{`)") }),
                "add the `}` that ends the block before the next declaration",
            );
        }
    }
    let _ = in_condition;
    None
}
