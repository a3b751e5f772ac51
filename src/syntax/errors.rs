//! Syntax errors in words a policy writer understands, and the nesting limit
//! that keeps deeply nested conditions from overflowing the parser's stack.

use pest::error::{ErrorVariant, InputLocation};

use super::parser::Rule;
use crate::source::{FileId, Span};

/// Deepest nesting of parentheses and `not` a condition may have.
pub const MAX_NESTING: usize = 200;

/// The longest string literal, in bytes.
pub const MAX_STRING: usize = 64 << 10;

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
        ident | end_step => "a name",
        dotted => "an input name",
        integer => "a whole number",
        duration => "a duration such as `24h`",
        string | str_inner => "a quoted string",
        level => "a severity level (`none`, `low`, `medium`, `high` or `critical`)",
        type_expr | type_name | int_range | inline_enum => "a type (`bool`, `int`, `int in LO to HI`, `duration`, `string`, an enum)",
        condition | and_expr | unary | paren | predicate => "a condition",
        membership | comparison => "`in { … }` or a comparison",
        cmp_op => "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        value => "a value",
        target | target_end | chain_link | link_escalate | link_do | end_outcome | end_escalate | end_table => {
            "a target (a step, `outcome NAME`, `escalate TEAM`, `do ACTION -> …` or `table NAME`)"
        }
        when_branch => "a `when` branch",
        otherwise_branch => "`otherwise`",
        timeout_branch => "`timeout`",
        instructions => "`instructions`",
        step_decl => "a `step`",
        start_decl => "`start STEP`",
        within_clause => "`within`",
        sla_clause => "`sla`",
        severity_clause => "`severity`",
        requires_clause => "`requires escalation`",
        enum_decl | input_decl | team_decl | action_decl | outcome_decl | require_decl | table_decl | flow_decl | test_decl => {
            "a declaration (`enum`, `input`, `team`, `action`, `outcome`, `require`, `table`, `flow` or `test`)"
        }
        test_run => "`run flow NAME` or `run table NAME`",
        test_given => "`given { … }`",
        test_expect => "`expect`",
        given_pair => "`input: value`",
        expect_outcome | expect_escalate | expect_path => "`outcome`, `escalate` or `path`",
        EOI => "the end of the file",
        k_enum => "`enum`",
        k_input => "`input`",
        k_team => "`team`",
        k_action => "`action`",
        k_outcome => "`outcome`",
        k_table => "`table`",
        k_flow => "`flow`",
        k_step => "`step`",
        k_start => "`start`",
        k_when => "`when`",
        k_otherwise => "`otherwise`",
        k_timeout => "`timeout`",
        k_within => "`within`",
        k_instructions => "`instructions`",
        k_escalate => "`escalate`",
        k_escalation => "`escalation`",
        k_do => "`do`",
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
    let after_condition = positives.contains(&Rule::arrow) && positives.iter().any(|r| matches!(r, Rule::k_and | Rule::k_or | Rule::cmp_op | Rule::k_in));
    let message = if after_condition {
        format!("expected `->` after the condition, found {found}")
    } else {
        let mut words: Vec<&str> = Vec::new();
        for rule in &positives {
            if let Some(w) = describe(*rule) {
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
    let in_condition =
        positives.iter().any(|r| matches!(r, Rule::arrow | Rule::cmp_op | Rule::k_and | Rule::k_or | Rule::condition | Rule::predicate | Rule::unary));
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
    if positives.iter().any(|r| matches!(r, Rule::condition | Rule::unary | Rule::predicate | Rule::dotted)) && rest.starts_with(|c: char| c.is_ascii_digit()) {
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
    let declaration_next = ["enum", "input", "team", "action", "outcome", "require", "table", "flow", "test"].contains(&word);
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

/// The innermost `{` of `text` that no `}` closes (strings and comments skipped).
fn unclosed_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut stack = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' => stack.push(i),
            b'}' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    // The outermost open block is the one the writer forgot to close.
    stack.first().copied()
}

/// Scans the text for conditions nested deeper than [`MAX_NESTING`]
/// (parentheses and chains of `not`), which the recursive parser and the
/// analyses could not handle without a deep stack.
pub fn nesting_error(file: FileId, text: &str) -> Option<SyntaxError> {
    if surely_shallow(text.as_bytes()) {
        return None;
    }
    scan_nesting(file, text)
}

/// The byte-by-byte scan of [`nesting_error`].
fn scan_nesting(file: FileId, text: &str) -> Option<SyntaxError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    // Each open parenthesis remembers the `not` run in front of it.
    let mut stack: Vec<usize> = Vec::new();
    let mut run = 0usize;
    let mut depth_sum = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                // Like the grammar: a comment ends at `\n` or `\r`.
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let open = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i - open > MAX_STRING {
                    return Some(SyntaxError {
                        span: Span::new(file, open, open + 1),
                        message: format!("string longer than {} KiB", MAX_STRING >> 10),
                        help: Some("keep long instructions in the team's handbook and link to them".into()),
                    });
                }
                run = 0;
            }
            b'(' => {
                stack.push(run);
                depth_sum += run + 1;
                run = 0;
            }
            b')' => {
                if let Some(r) = stack.pop() {
                    depth_sum -= r + 1;
                }
                run = 0;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.') {
                    i += 1;
                }
                if &text[start..i] == "not" {
                    run += 1;
                } else {
                    run = 0;
                }
                if depth_sum + run > MAX_NESTING {
                    return Some(too_deep(file, start, i));
                }
                continue;
            }
            b if b.is_ascii_whitespace() => {}
            _ => run = 0,
        }
        if depth_sum + run > MAX_NESTING {
            return Some(too_deep(file, i, i + 1));
        }
        i += 1;
    }
    None
}

/// A quick test that the scan of [`nesting_error`] cannot fail, so that most
/// files skip it (it read every byte one by one: a twenty-fifth of the
/// parse). The depth it tracks never exceeds the number of `(` plus the
/// number of `not`s in the text; a string it reads ends at its line's end
/// unless a backslash stands right before the line break.
fn surely_shallow(bytes: &[u8]) -> bool {
    let opens = memchr::memchr_iter(b'(', bytes).count();
    if opens > MAX_NESTING || opens + memchr::memmem::find_iter(bytes, b"not").count() > MAX_NESTING {
        return false;
    }
    if bytes.len() <= MAX_STRING {
        return true;
    }
    if memchr::memmem::find(bytes, b"\\\n").is_some() || memchr::memmem::find(bytes, b"\\\r").is_some() {
        return false;
    }
    // No line longer than `MAX_STRING`: a line break in every block of half
    // that length but the last (then no run without one is as long), one
    // `memchr` per block, not one per line (a line each was a fiftieth of
    // the parse). A block without one leaves the answer to the scan.
    let blocks = bytes.chunks(MAX_STRING / 2);
    let last = blocks.len() - 1;
    blocks.take(last).all(|block| memchr::memchr2(b'\n', b'\r', block).is_some())
}

fn too_deep(file: FileId, start: usize, end: usize) -> SyntaxError {
    SyntaxError {
        span: Span::new(file, start, end),
        message: format!("condition nested more than {MAX_NESTING} levels deep"),
        help: Some("split the condition into several branches or steps".into()),
    }
}

/// A string literal starting at `pos` that has a bad escape or no closing
/// quote on its line: pest reports only "expected a string" there.
fn string_error(file: FileId, text: &str, pos: usize) -> Option<SyntaxError> {
    let rest = text.get(pos..)?;
    if !rest.starts_with('"') {
        return None;
    }
    let mut chars = rest.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return None,
            '\\' => match chars.next() {
                Some((_, '"' | '\\' | 'n' | 't')) => {}
                Some((j, other)) => {
                    let end = pos + j + other.len_utf8();
                    return Some(SyntaxError {
                        span: Span::new(file, pos + i, end),
                        message: format!("unknown escape `\\{other}` in a string"),
                        help: Some("strings know the escapes `\\\"`, `\\\\`, `\\n` and `\\t`".into()),
                    });
                }
                None => break,
            },
            '\n' | '\r' => {
                return Some(SyntaxError {
                    span: Span::new(file, pos, pos + i),
                    message: "string not closed before the end of the line".into(),
                    help: Some("add the closing `\"`; write `\\n` for a line break inside a string".into()),
                })
            }
            _ => {}
        }
    }
    Some(SyntaxError {
        span: Span::new(file, pos, text.len()),
        message: "string not closed before the end of the file".into(),
        help: Some("add the closing `\"`".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whenever the quick test lets a text through, the scan finds nothing
    /// in it; and it lets the everyday texts through.
    #[test]
    fn the_quick_test_never_hides_what_the_scan_finds() {
        let file = FileId(0);
        let long = "x".repeat(MAX_STRING + 10);
        let mut texts = Vec::new();
        for n in (190..=210).chain([0, 1, 50, 400]) {
            texts.push(format!("{}x{}", "(".repeat(n), ")".repeat(n)));
            texts.push(format!("when {}x -> y", "not ".repeat(n)));
            texts.push(format!("{}{}x", "(".repeat(n / 2), "not ".repeat(n - n / 2)));
            texts.push(format!("// {}\n{}x", "(".repeat(n), "not (".repeat(n / 3)));
        }
        for (head, tail) in [("\"", "\""), ("\"\\\n", "\""), ("\"\\\r", "\""), ("\"", "\n\""), ("\"\\\r\n", "")] {
            texts.push(format!("{head}{long}{tail}"));
            texts.push(format!("{head}{}\n{}{tail}", &long[..MAX_STRING / 2], &long[..MAX_STRING / 2]));
        }
        texts.push(format!("\"{}\\\n{}\"", &long[..MAX_STRING / 2], &long[..MAX_STRING / 2]));
        // Long files of short lines, ending in a long line (with or without
        // an open string, at or past the limit).
        let lines = "x\n".repeat(MAX_STRING);
        for last in [MAX_STRING / 2 + 100, MAX_STRING - 2, MAX_STRING + 10] {
            texts.push(format!("{lines}\"{}", &long[..last]));
            texts.push(format!("{lines}{}", &long[..last]));
        }
        let mut let_through = 0;
        for t in &texts {
            if surely_shallow(t.as_bytes()) {
                let_through += 1;
                assert!(scan_nesting(file, t).is_none(), "{:?}", &t[..t.len().min(80)]);
            }
        }
        assert!(let_through > 10);
        assert!(scan_nesting(file, texts.iter().find(|t| t.starts_with("\"\\\n")).unwrap()).is_some());
        assert!(surely_shallow(include_str!("../../policies/counterfeit.sop").as_bytes()));
        assert!(surely_shallow(format!("{lines}{}", &long[..1000]).as_bytes()));
        assert!(scan_nesting(file, &format!("{lines}\"{}", &long[..MAX_STRING + 10])).is_some());
    }
}
