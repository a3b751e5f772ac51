//! Conditions and targets in plain language, from the policy's own words:
//! an input is named by its doc comment (its first sentence) when it has
//! one, by its name otherwise; values, teams, outcomes and actions by their
//! names and descriptions. The connecting words are a small fixed set
//! (`is`, `at least`, `and`, `or`, `yes`, `no`, …): nothing else is made up.

use crate::model::*;
use crate::source::{Duration, SourceMap, Span};
use crate::syntax::ast::CmpOp;

/// How an input is called: the first sentence of its doc comment (without
/// the final full stop), or its name.
pub fn label(p: &Program, input: InputId) -> String {
    let i = &p.inputs[input];
    match &i.doc {
        Some(_) => {
            let first = super::summary(&i.doc);
            let sentence = first.split_inclusive(". ").next().unwrap_or(&first).trim().trim_end_matches('.').to_string();
            // Inside a sentence: `the market …`, not `The market …` (an
            // acronym such as `KYC …` keeps its capitals).
            let mut chars = sentence.chars();
            match (chars.next(), chars.next()) {
                (None, _) => i.name.clone(),
                (Some(c), Some(d)) if c.is_uppercase() && d.is_lowercase() => c.to_lowercase().chain(sentence.chars().skip(1)).collect(),
                _ => sentence,
            }
        }
        None => i.name.clone(),
    }
}

/// A value of an input as the policy writes it.
pub fn value(p: &Program, input: InputId, v: &Value) -> String {
    match (v, &p.inputs[input].ty) {
        (Value::Bool(true), _) => "yes".into(),
        (Value::Bool(false), _) => "no".into(),
        (Value::Num(n), Type::Duration) => Duration::format_seconds(*n),
        (Value::Num(n), _) => n.to_string(),
        (Value::Variant(k), Type::Enum(e)) => p.enums[*e].variants.get(*k as usize).cloned().unwrap_or_default(),
        (Value::Variant(k), _) => k.to_string(),
        (Value::Str(s), _) => format!("\u{201c}{s}\u{201d}"),
    }
}

/// A number of a condition: a duration as the condition writes it (`14d`
/// stays `14d`, though it is two weeks), else in its largest exact unit.
fn number(p: &Program, input: InputId, n: i64, written: &[Duration]) -> String {
    match p.inputs[input].ty {
        Type::Duration => written.iter().find(|d| d.seconds == n).map_or_else(|| Duration::format_seconds(n), |d| d.text.clone()),
        _ => n.to_string(),
    }
}

/// The duration literals in the text of `span` (none when the span is not
/// the sources': a condition made for a comparison).
fn written(sources: &SourceMap, span: Span) -> Vec<Duration> {
    let text = if (span.file.0 as usize) < sources.len() { sources.get(span.file).text.get(span.range()).unwrap_or("") } else { "" };
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with(|c: char| c.is_ascii_digit())).filter_map(Duration::parse).collect()
}

/// `a`, `a or b`, `a, b or c`.
fn alternatives(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn atom(p: &Program, sources: &SourceMap, a: &Atom, negated: bool) -> String {
    let l = label(p, a.input);
    let written = written(sources, a.span);
    let variants = |ks: &[u32]| -> Vec<String> {
        match &p.inputs[a.input].ty {
            Type::Enum(e) => ks.iter().map(|k| p.enums[*e].variants.get(*k as usize).cloned().unwrap_or_default()).collect(),
            _ => ks.iter().map(|k| k.to_string()).collect(),
        }
    };
    let is = if negated { "is not" } else { "is" };
    match &a.pred {
        Pred::BoolIs(b) => format!("{l}: {}", if *b != negated { "yes" } else { "no" }),
        Pred::Cmp(op, n) => {
            let n = number(p, a.input, *n, &written);
            let op = if negated {
                match op {
                    CmpOp::Eq => CmpOp::Ne,
                    CmpOp::Ne => CmpOp::Eq,
                    CmpOp::Lt => CmpOp::Ge,
                    CmpOp::Le => CmpOp::Gt,
                    CmpOp::Gt => CmpOp::Le,
                    CmpOp::Ge => CmpOp::Lt,
                }
            } else {
                *op
            };
            let words = match op {
                CmpOp::Eq => "is",
                CmpOp::Ne => "is not",
                CmpOp::Lt => "is less than",
                CmpOp::Le => "is at most",
                CmpOp::Gt => "is more than",
                CmpOp::Ge => "is at least",
            };
            format!("{l} {words} {n}")
        }
        Pred::NumIn(ns, not) => {
            let items: Vec<String> = ns.iter().map(|n| number(p, a.input, *n, &written)).collect();
            format!("{l} {} {}", if *not != negated { "is not" } else { "is" }, alternatives(&items))
        }
        Pred::EnumIn(ks, not) => format!("{l} {} {}", if *not != negated { "is not" } else { is }, alternatives(&variants(ks))),
        Pred::StrIn(ss, not) => {
            let items: Vec<String> = ss.iter().map(|s| format!("\u{201c}{s}\u{201d}")).collect();
            format!("{l} {} {}", if *not != negated { "is not" } else { "is" }, alternatives(&items))
        }
    }
}

/// A condition as a sentence (without a capital or a full stop).
pub fn cond(p: &Program, sources: &SourceMap, c: &Cond) -> String {
    render(p, sources, c, false, true)
}

fn render(p: &Program, sources: &SourceMap, c: &Cond, negated: bool, top: bool) -> String {
    match c {
        Cond::Const(b) => (if *b != negated { "always" } else { "never" }).into(),
        Cond::Atom(a) => atom(p, sources, a, negated),
        Cond::Not(inner) => render(p, sources, inner, !negated, top),
        Cond::And(cs) | Cond::Or(cs) => {
            // De Morgan under a negation: `not (a and b)` reads `a is not …, or b is not …`.
            let and = matches!(c, Cond::And(_)) != negated;
            let parts: Vec<String> = cs.iter().map(|x| render(p, sources, x, negated, false)).collect();
            let joined = parts.join(if and { ", and " } else { ", or " });
            if top {
                joined
            } else if and {
                format!("({joined})")
            } else {
                format!("(either {joined})")
            }
        }
    }
}
