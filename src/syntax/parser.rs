//! Builds the AST from the pest parse tree.

use std::cell::Cell;

use pest::iterators::Pair;
use pest::Parser as _;

use super::ast::*;
use super::errors::{friendly_message, nesting_error, SyntaxError};
use super::trivia::Trivia;
use crate::source::{Duration, FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/sopflow.pest"]
pub struct PestParser;

/// Parses one file. A syntax error stops the parse of that file; the caller
/// reports it as `syntax-error`.
pub fn parse_file(file: FileId, text: &str) -> Result<File, SyntaxError> {
    if let Some(err) = nesting_error(file, text) {
        return Err(err);
    }
    let pairs = PestParser::parse(Rule::file, text).map_err(|e| friendly_message(file, text, &e))?;
    let trivia = Trivia::scan(text);
    let builder = Builder { file, trivia: &trivia, text, keyword_name: Cell::new(None) };
    let mut items = Vec::new();
    for pair in pairs.flatten().take(1).flat_map(|p| p.into_inner()) {
        if pair.as_rule() == Rule::EOI {
            continue;
        }
        items.push(builder.item(pair)?);
    }
    if let Some((start, end)) = builder.keyword_name.get() {
        return Err(keyword_as_name(file, &text[start..end], start));
    }
    Ok(File { items })
}

struct Builder<'a> {
    file: FileId,
    trivia: &'a Trivia,
    text: &'a str,
    /// The first keyword found where a name stands (the grammar lets it
    /// through; see `ident` in the grammar).
    keyword_name: Cell<Option<(usize, usize)>>,
}

/// The syntax error for a keyword written where a name belongs.
fn keyword_as_name(file: FileId, word: &str, start: usize) -> SyntaxError {
    SyntaxError {
        span: Span::new(file, start, start + word.len()),
        message: format!("expected a name, found `{word}`"),
        help: Some(format!("`{word}` is a keyword and cannot be used as a name")),
    }
}

type Res<T> = Result<T, SyntaxError>;

/// Children of a pair without punctuation.
fn kids(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| {
        !matches!(p.as_rule(), Rule::lbrace | Rule::rbrace | Rule::lparen | Rule::rparen | Rule::colon | Rule::comma | Rule::arrow)
    })
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Builder<'_> {
    /// The span of a pair, ending at its last token: a rule that ends in an
    /// optional or repeated part that is absent would otherwise reach over
    /// the whitespace and comments pest skipped looking for it.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), end_of(self.text, pair.clone()).max(s.start()))
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        self.no_keyword(&pair);
        Name { text: pair.as_str().into(), span: self.span(&pair) }
    }

    /// Notes the first keyword among the parts of a (dotted) name.
    fn no_keyword(&self, pair: &Pair<'_, Rule>) {
        let mut at = pair.as_span().start();
        for part in pair.as_str().split('.') {
            if super::is_keyword(part) {
                if self.keyword_name.get().is_none_or(|(s, _)| at < s) {
                    self.keyword_name.set(Some((at, at + part.len())));
                }
                return;
            }
            at += part.len() + 1;
        }
    }

    fn doc(&self, pair: &Pair<'_, Rule>) -> Option<String> {
        self.trivia.doc_before(pair.as_span().start())
    }

    fn string(&self, pair: Pair<'_, Rule>) -> String {
        unescape(pair.into_inner().next().map_or("", |p| p.as_str()))
    }

    fn duration(&self, pair: Pair<'_, Rule>) -> (Option<Duration>, Span) {
        (Duration::parse(pair.as_str()), self.span(&pair))
    }

    fn item(&self, pair: Pair<'_, Rule>) -> Res<Item> {
        let span = self.span(&pair);
        let doc = self.doc(&pair);
        let rule = pair.as_rule();
        let mut it = kids(pair).peekable();
        let _keyword = it.next();
        Ok(match rule {
            Rule::enum_decl => {
                let name = self.name(it.next().unwrap());
                let variants = kids(it.next().unwrap()).map(|p| self.name(p)).collect();
                Item::Enum(EnumDecl { name, variants, span, doc })
            }
            Rule::input_decl => {
                let name = self.name(it.next().unwrap());
                let ty = self.type_expr(it.next().unwrap());
                Item::Input(InputDecl { name, ty, span, doc })
            }
            Rule::team_decl => {
                let name = self.name(it.next().unwrap());
                let sla = it.next().map(|clause| self.duration(kids(clause).nth(1).unwrap()));
                Item::Team(TeamDecl { name, sla, span, doc })
            }
            Rule::action_decl => {
                let name = self.name(it.next().unwrap());
                let description = it.next().map(|p| self.string(p));
                Item::Action(ActionDecl { name, description, span, doc })
            }
            Rule::outcome_decl => {
                let name = self.name(it.next().unwrap());
                let mut severity = SeverityLevel::None;
                let mut requires = None;
                for clause in it {
                    match clause.as_rule() {
                        Rule::severity_clause => {
                            severity = match kids(clause).nth(1).unwrap().as_str() {
                                "low" => SeverityLevel::Low,
                                "medium" => SeverityLevel::Medium,
                                "high" => SeverityLevel::High,
                                "critical" => SeverityLevel::Critical,
                                _ => SeverityLevel::None,
                            }
                        }
                        Rule::requires_clause => {
                            let cspan = self.span(&clause);
                            let team = kids(clause).find(|p| p.as_rule() == Rule::ident).map(|p| self.name(p));
                            requires = Some((team, cspan));
                        }
                        _ => {}
                    }
                }
                Item::Outcome(OutcomeDecl { name, severity, requires, span, doc })
            }
            Rule::require_decl => {
                let mut team = None;
                let mut condition = None;
                for p in it {
                    match p.as_rule() {
                        Rule::ident => team = Some(self.name(p)),
                        Rule::condition => condition = Some(self.condition(p)?),
                        _ => {}
                    }
                }
                Item::Require(RequireDecl { team: team.unwrap(), condition: condition.unwrap(), span, doc })
            }
            Rule::table_decl => {
                let name = self.name(it.next().unwrap());
                let mut first = false;
                let mut branches = Vec::new();
                for p in it {
                    match p.as_rule() {
                        Rule::k_first => first = true,
                        _ => branches.push(self.branch(p)?),
                    }
                }
                Item::Table(TableDecl { name, first, branches, span, doc })
            }
            Rule::flow_decl => {
                let name = self.name(it.next().unwrap());
                let start = self.name(kids(it.next().unwrap()).nth(1).unwrap());
                let steps = it.map(|p| self.step(p)).collect::<Res<Vec<_>>>()?;
                Item::Flow(FlowDecl { name, start, steps, span, doc })
            }
            Rule::test_decl => self.test(it, span)?,
            other => unreachable!("not an item: {other:?}"),
        })
    }

    fn type_expr(&self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let inner = kids(pair).next().unwrap();
        let kind = match inner.as_rule() {
            Rule::k_bool => TypeExprKind::Bool,
            Rule::k_int => TypeExprKind::Int,
            Rule::k_duration => TypeExprKind::Duration,
            Rule::k_string => TypeExprKind::String,
            Rule::int_range => {
                let ints: Vec<_> = kids(inner).filter(|p| p.as_rule() == Rule::integer).map(|p| parse_int(p.as_str())).collect();
                TypeExprKind::IntRange(ints[0], ints[1])
            }
            Rule::inline_enum => {
                TypeExprKind::InlineEnum(kids(kids(inner).next().unwrap()).map(|p| self.name(p)).collect())
            }
            _ => TypeExprKind::Named(self.name(kids(inner).next().unwrap())),
        };
        TypeExpr { kind, span }
    }

    fn step(&self, pair: Pair<'_, Rule>) -> Res<Step> {
        let span = self.span(&pair);
        let doc = self.doc(&pair);
        let mut it = kids(pair);
        it.next();
        let name = self.name(it.next().unwrap());
        let mut step = Step { name, title: None, first: false, within: None, instructions: vec![], branches: vec![], span, doc };
        for p in it {
            match p.as_rule() {
                Rule::string => step.title = Some(self.string(p)),
                Rule::k_first => step.first = true,
                Rule::within_clause => step.within = Some(self.duration(kids(p).nth(1).unwrap())),
                Rule::instructions => step.instructions.push(self.string(kids(p).nth(1).unwrap())),
                _ => step.branches.push(self.branch(p)?),
            }
        }
        Ok(step)
    }

    fn branch(&self, pair: Pair<'_, Rule>) -> Res<Branch> {
        let span = self.span(&pair);
        let doc = self.doc(&pair);
        let rule = pair.as_rule();
        let mut it = kids(pair);
        let keyword = self.span(&it.next().unwrap());
        let mut cond_text = None;
        let kind = match rule {
            Rule::when_branch => {
                let c = it.next().unwrap();
                let span = self.span(&c);
                // Shared with the model's branch (`Arc`), not copied.
                cond_text = Some(super::trivia::one_line(&self.text[span.range()]).into());
                BranchKind::When(self.condition(c)?)
            }
            Rule::otherwise_branch => BranchKind::Otherwise,
            _ => BranchKind::Timeout,
        };
        let target = self.target(it.next().unwrap());
        Ok(Branch { kind, keyword, target, span, doc, cond_text })
    }

    fn target(&self, pair: Pair<'_, Rule>) -> Target {
        let span = self.span(&pair);
        let mut links = Vec::new();
        let mut end = None;
        for p in kids(pair) {
            let inner = p.into_inner().next().unwrap();
            let rule = inner.as_rule();
            let mut parts = kids(inner);
            let first = parts.next().unwrap();
            let name = match parts.next() {
                Some(n) => self.name(n),
                None => self.name(first),
            };
            match rule {
                Rule::link_escalate => links.push(Link::Escalate(name)),
                Rule::link_do => links.push(Link::Do(name)),
                Rule::end_outcome => end = Some(TargetEnd::Outcome(name)),
                Rule::end_escalate => end = Some(TargetEnd::Escalate(name)),
                Rule::end_table => end = Some(TargetEnd::Table(name)),
                _ => end = Some(TargetEnd::Step(name)),
            }
        }
        Target { links, end: end.unwrap(), span }
    }

    fn condition(&self, pair: Pair<'_, Rule>) -> Res<Cond> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        match rule {
            Rule::condition | Rule::and_expr => {
                let mut parts: Vec<Cond> = kids(pair)
                    .filter(|p| !matches!(p.as_rule(), Rule::k_or | Rule::k_and))
                    .map(|p| self.condition(p))
                    .collect::<Res<_>>()?;
                if parts.len() == 1 {
                    return Ok(parts.pop().unwrap());
                }
                let kind = if rule == Rule::condition { CondKind::Or(parts) } else { CondKind::And(parts) };
                Ok(Cond { kind, span })
            }
            Rule::unary => {
                let parts: Vec<_> = kids(pair).collect();
                let (nots, primary) = parts.split_at(parts.len() - 1);
                let mut cond = self.condition(primary[0].clone())?;
                for not in nots.iter().rev() {
                    let nspan = self.span(not).to(cond.span);
                    cond = Cond { kind: CondKind::Not(Box::new(cond)), span: nspan };
                }
                Ok(cond)
            }
            Rule::paren => {
                let inner = self.condition(kids(pair).next().unwrap())?;
                Ok(Cond { kind: inner.kind, span })
            }
            Rule::k_true => Ok(Cond { kind: CondKind::Const(true), span }),
            Rule::k_false => Ok(Cond { kind: CondKind::Const(false), span }),
            Rule::predicate => {
                let mut it = kids(pair);
                let input = self.name(it.next().unwrap());
                let Some(ask) = it.next() else {
                    return Ok(Cond { kind: CondKind::Input(input), span });
                };
                let mut it = kids(ask.clone());
                if ask.as_rule() == Rule::comparison {
                    let op = match it.next().unwrap().as_str() {
                        "==" => CmpOp::Eq,
                        "!=" => CmpOp::Ne,
                        "<" => CmpOp::Lt,
                        "<=" => CmpOp::Le,
                        ">" => CmpOp::Gt,
                        _ => CmpOp::Ge,
                    };
                    let value = self.literal(it.next().unwrap());
                    return Ok(Cond { kind: CondKind::Compare { input, op, value }, span });
                }
                let mut negated = false;
                let mut values = Vec::new();
                for p in it {
                    match p.as_rule() {
                        Rule::k_not => negated = true,
                        Rule::value => values.push(self.literal(p)),
                        _ => {}
                    }
                }
                Ok(Cond { kind: CondKind::In { input, negated, values }, span })
            }
            other => unreachable!("not a condition: {other:?}"),
        }
    }

    fn literal(&self, pair: Pair<'_, Rule>) -> Literal {
        let span = self.span(&pair);
        let inner = kids(pair).next().unwrap();
        let kind = match inner.as_rule() {
            Rule::duration => LiteralKind::Duration(Duration::parse(inner.as_str())),
            Rule::integer => LiteralKind::Int(parse_int(inner.as_str())),
            Rule::string => LiteralKind::Str(self.string(inner)),
            Rule::k_true => LiteralKind::Bool(true),
            Rule::k_false => LiteralKind::Bool(false),
            _ => {
                self.no_keyword(&inner);
                LiteralKind::Name(inner.as_str().into())
            }
        };
        Literal { kind, span }
    }

    fn test<'i>(&self, it: impl Iterator<Item = Pair<'i, Rule>>, span: Span) -> Res<Item> {
        let mut test = TestDecl {
            name: String::new(),
            name_span: span,
            run: RunTarget { is_table: false, name: Name { text: "".into(), span } },
            given: vec![],
            expects: vec![],
            span,
        };
        for p in it {
            match p.as_rule() {
                Rule::string => {
                    test.name_span = self.span(&p);
                    test.name = self.string(p);
                }
                Rule::test_run => {
                    let mut parts = kids(p);
                    parts.next();
                    let is_table = parts.next().unwrap().as_rule() == Rule::k_table;
                    test.run = RunTarget { is_table, name: self.name(parts.next().unwrap()) };
                }
                Rule::test_given => {
                    for pair in kids(p).filter(|p| p.as_rule() == Rule::given_pair) {
                        let mut kv = kids(pair);
                        let key = self.name(kv.next().unwrap());
                        let value = self.literal(kv.next().unwrap());
                        test.given.push((key, value));
                    }
                }
                Rule::test_expect => {
                    let e = kids(p).nth(1).unwrap();
                    let rule = e.as_rule();
                    let names: Vec<Name> = kids(e).skip(1).map(|n| self.name(n)).collect();
                    test.expects.push(match rule {
                        Rule::expect_outcome => Expect::Outcome(names[0].clone()),
                        Rule::expect_escalate => Expect::Escalate(names[0].clone()),
                        _ => Expect::Path(names),
                    });
                }
                _ => {}
            }
        }
        Ok(Item::Test(test))
    }
}

/// Where a pair's last token ends: its end, less the whitespace and comments
/// pest skipped after its last token (looking for an optional part).
/// Read backwards from the text, not down the pair's last children: that
/// walk recounted every level's children for every span (a tenth of the
/// parse). Comments run to the end of their line and strings never span
/// lines, so a line's first `//` outside a string starts its comment.
fn end_of(text: &str, pair: Pair<'_, Rule>) -> usize {
    let span = pair.as_span();
    let (start, mut end) = (span.start(), span.end());
    // Skipped trivia ends in whitespace: after a comment, pest skips the line
    // break too. Only a comment at the very end of the file ends otherwise.
    if end < text.len() && !text[start..end].ends_with(is_blank) {
        return end;
    }
    loop {
        end = start + text[start..end].trim_end_matches(is_blank).len();
        let line_start = text[..end].rfind(['\n', '\r']).map_or(0, |n| n + 1);
        match comment_start(&text[line_start..end]) {
            Some(c) if line_start + c >= start => end = line_start + c,
            _ => return end,
        }
    }
}

/// Where the comment of a line starts: its first `//` outside a string.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whitespace as the grammar counts it (a byte-order mark included).
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn parse_int(text: &str) -> Option<i64> {
    text.replace('_', "").parse().ok()
}
