//! Builds the AST from pest's token stream (`grammar/sopflow.pest`): flows,
//! tables and their branches come without keyword tokens and without
//! wrapper nodes (a condition is its operands and `and`/`or` tokens in
//! order, a target its links and its end side by side).
//!
//! The builder reads the flat stream of start and end tokens (`Pairs::tokens`)
//! with a cursor, rather than walking `Pair`s: every `Pair` step clones two
//! reference counts and every `into_inner` recounts the children, which cost
//! half of the builder's time (docs/PERFORMANCE.md). Each method starts at a
//! node's start token and leaves after its end token.

use std::iter::Peekable;

use smallvec::SmallVec;

use pest::iterators::Tokens;
use pest::{Parser as _, Token};

use super::ast::*;
use super::errors::{friendly_message, SyntaxError};
use super::lexical::{self, is_blank, Lexical};
use super::trivia::Trivia;
use crate::source::{Duration, FileId, Span};

/// The language's grammar (`grammar/sopflow.pest`): the tree and every
/// syntax error come from it.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/sopflow.pest"]
pub struct PestParser;

/// Parses one file. A syntax error stops the parse of that file; the caller
/// reports it as `syntax-error` ([`super::parse_recovering`] goes on past it).
pub fn parse_file(file: FileId, text: &str) -> Result<File, SyntaxError> {
    let lexical = match lexical::check(file, text) {
        Lexical::Clean => None,
        Lexical::Fatal(err) => return Err(err),
        Lexical::Error(err) => Some(err),
    };
    let trivia = Trivia::scan(text);
    if let Some(err) = lexical {
        return Err(whole(file, text, &trivia).err().filter(|e| e.span.start < err.span.start).unwrap_or(err));
    }
    // Declaration by declaration, so that pest's token queue stays small and
    // its memory is reused: one queue for a whole file grew by copying into
    // fresh pages (docs/PERFORMANCE.md). The pieces
    // parse exactly when the whole file does, into the same items: every
    // piece but the first starts at a line that starts a declaration, and no
    // declaration can go on with such a line (a declaration keyword stands
    // where no part of a declaration can continue). Where a piece does not
    // parse (such a keyword in the first column inside a declaration, or a
    // syntax error), the whole file is parsed, so that errors read the same.
    let starts = lexical::declaration_starts(text);
    let bounds: Vec<usize> = std::iter::once(0).chain(starts.into_iter().filter(|&s| s > 0)).chain([text.len()]).collect();
    let mut keyword_name = None;
    let mut items = Vec::new();
    for piece in bounds.windows(2) {
        let Ok(pairs) = PestParser::parse(Rule::file, &text[piece[0]..piece[1]]) else {
            return whole(file, text, &trivia);
        };
        let mut b = Builder { file, trivia: &trivia, text, keyword_name, base: piece[0], tokens: pairs.tokens().peekable() };
        b.items(&mut items);
        keyword_name = b.keyword_name;
    }
    finish_file(file, text, keyword_name, items)
}

/// [`parse_file`] in one piece: the reference that the tests and the
/// `parse` fuzz target hold it to.
pub fn parse_whole(file: FileId, text: &str) -> Result<File, SyntaxError> {
    let trivia = Trivia::scan(text);
    match lexical::check(file, text) {
        Lexical::Clean => whole(file, text, &trivia),
        Lexical::Fatal(err) => Err(err),
        Lexical::Error(err) => Err(whole(file, text, &trivia).err().filter(|e| e.span.start < err.span.start).unwrap_or(err)),
    }
}

/// The file parsed in one piece (after the lexical check).
fn whole(file: FileId, text: &str, trivia: &Trivia) -> Result<File, SyntaxError> {
    let pairs = PestParser::parse(Rule::file, text).map_err(|e| friendly_message(file, text, &e))?;
    let mut b = Builder { file, trivia, text, keyword_name: None, base: 0, tokens: pairs.tokens().peekable() };
    let mut items = Vec::new();
    b.items(&mut items);
    finish_file(file, text, b.keyword_name, items)
}

/// The file of these items, or the error of the first keyword used as a name.
fn finish_file(file: FileId, text: &str, keyword_name: Option<(usize, usize)>, items: Vec<Item>) -> Result<File, SyntaxError> {
    match keyword_name {
        Some((start, end)) => Err(keyword_as_name(file, &text[start..end], start)),
        None => Ok(File { items }),
    }
}

struct Builder<'a> {
    file: FileId,
    trivia: &'a Trivia,
    text: &'a str,
    /// The first keyword found where a name stands (the grammar lets it
    /// through; see `ident` in the grammar).
    keyword_name: Option<(usize, usize)>,
    /// The tokens of the piece of `text` being read.
    tokens: Peekable<Tokens<'a, Rule>>,
    /// Where that piece starts in `text` (pest's positions are relative to it).
    base: usize,
}

/// The syntax error for a keyword written where a name belongs.
fn keyword_as_name(file: FileId, word: &str, start: usize) -> SyntaxError {
    SyntaxError {
        span: Span::new(file, start, start + word.len()),
        message: format!("expected a name, found `{word}`"),
        help: Some(format!("`{word}` is a keyword and cannot be used as a name")),
    }
}

/// Punctuation and comments, which the builder steps over.
fn is_punctuation(rule: Rule) -> bool {
    matches!(rule, Rule::lbrace | Rule::rbrace | Rule::lparen | Rule::rparen | Rule::colon | Rule::comma | Rule::arrow | Rule::comment)
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
    /// The items of the `file` node at the cursor, appended to `items`.
    fn items(&mut self, items: &mut Vec<Item>) {
        self.open();
        while let Some((rule, _)) = self.peek_kid() {
            if rule == Rule::EOI {
                self.skip();
            } else {
                items.push(self.item());
            }
        }
    }

    // ---- The cursor -------------------------------------------------------
    // pest's tokens are balanced, and the methods below follow the grammar,
    // so a start or end token is always where they expect one.

    /// Enters the node at the cursor: its rule and where it starts.
    fn open(&mut self) -> (Rule, usize) {
        match self.tokens.next() {
            Some(Token::Start { rule, pos }) => (rule, self.base + pos.pos()),
            other => unreachable!("expected a start token, found {other:?}"),
        }
    }

    /// Leaves the current node, stepping over the children not read (closing
    /// punctuation, mostly): where it ends.
    fn close(&mut self) -> usize {
        while self.peek_kid().is_some() {
            self.skip();
        }
        match self.tokens.next() {
            Some(Token::End { pos, .. }) => self.base + pos.pos(),
            other => unreachable!("expected an end token, found {other:?}"),
        }
    }

    /// The next child of the current node, punctuation stepped over: its
    /// rule and start, or `None` at the node's end.
    fn peek_kid(&mut self) -> Option<(Rule, usize)> {
        loop {
            match self.tokens.peek() {
                Some(Token::Start { rule, .. }) if is_punctuation(*rule) => {
                    self.skip();
                }
                Some(Token::Start { rule, pos }) => return Some((*rule, self.base + pos.pos())),
                _ => return None,
            }
        }
    }

    /// Steps over the node at the cursor, children and all: its start and end.
    fn skip(&mut self) -> (usize, usize) {
        let (_, start) = self.open();
        (start, self.close())
    }

    /// Steps over the next child (a keyword, mostly).
    fn skip_kid(&mut self) -> (usize, usize) {
        self.peek_kid();
        self.skip()
    }

    /// The span of a node: from its start to its last token (a rule that
    /// ends in an optional or repeated part that is absent would otherwise
    /// reach over the whitespace and comments pest skipped looking for it).
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end_of(self.text, start, end).max(start))
    }

    /// Leaves the current node, which started at `start`: its span.
    fn finish(&mut self, start: usize) -> Span {
        let end = self.close();
        self.span(start, end)
    }

    // ---- Leaves -----------------------------------------------------------

    /// A name (`ident` or `dotted`) as the next child.
    fn name(&mut self) -> Name {
        let (start, end) = self.skip_kid();
        self.no_keyword(start, end);
        Name { text: self.text[start..end].into(), span: self.span(start, end) }
    }

    /// Notes the first keyword among the parts of a (dotted) name.
    fn no_keyword(&mut self, start: usize, end: usize) {
        // The parts by hand (names are short): `split('.')` was a fifth of
        // the builder's names.
        let bytes = self.text.as_bytes();
        let mut at = start;
        while at <= end {
            let stop = bytes[at..end].iter().position(|b| *b == b'.').map_or(end, |n| at + n);
            if super::is_keyword(&self.text[at..stop]) {
                if self.keyword_name.is_none_or(|(s, _)| at < s) {
                    self.keyword_name = Some((at, stop));
                }
                return;
            }
            at = stop + 1;
        }
    }

    /// A string literal as the next child, unescaped.
    fn string(&mut self) -> String {
        self.string_spanned().0
    }

    /// A string literal as the next child, unescaped, and its span.
    fn string_spanned(&mut self) -> (String, Span) {
        self.peek_kid();
        let (_, start) = self.open();
        let raw = match self.peek_kid() {
            Some(_) => {
                let (s, e) = self.skip();
                &self.text[s..e]
            }
            None => "",
        };
        let text = unescape(raw);
        (text, self.finish(start))
    }

    /// A duration as the next child.
    fn duration(&mut self) -> (Option<Duration>, Span) {
        let (start, end) = self.skip_kid();
        (Duration::parse(&self.text[start..end]), self.span(start, end))
    }

    /// A clause `KEYWORD VALUE` as the next child: the value read by `value`.
    fn clause<T>(&mut self, value: impl FnOnce(&mut Self) -> T) -> T {
        self.peek_kid();
        self.open();
        self.skip_kid();
        let out = value(self);
        self.close();
        out
    }

    // ---- Declarations -----------------------------------------------------

    fn item(&mut self) -> Item {
        let (rule, start) = self.open();
        let doc = self.trivia.doc_before(start);
        // Tables and flows have no keyword token.
        if !matches!(rule, Rule::table_decl | Rule::flow_decl) {
            self.skip_kid(); // the keyword
        }
        let item = match rule {
            Rule::enum_decl => {
                let name = self.name();
                let variants = self.name_list();
                let span = self.finish(start);
                Item::Enum(EnumDecl { name, variants, span, doc })
            }
            Rule::input_decl => {
                let name = self.name();
                let ty = self.type_expr();
                let span = self.finish(start);
                Item::Input(InputDecl { name, ty, span, doc })
            }
            Rule::team_decl => {
                let name = self.name();
                let sla = self.peek_kid().is_some().then(|| self.clause(|b| b.duration()));
                let span = self.finish(start);
                Item::Team(TeamDecl { name, sla, span, doc })
            }
            Rule::action_decl => {
                let name = self.name();
                let description = self.peek_kid().is_some().then(|| self.string());
                let span = self.finish(start);
                Item::Action(ActionDecl { name, description, span, doc })
            }
            Rule::outcome_decl => {
                let name = self.name();
                let mut severity = SeverityLevel::None;
                let mut requires = None;
                while let Some((clause, cstart)) = self.peek_kid() {
                    match clause {
                        Rule::severity_clause => {
                            severity = self.clause(|b| {
                                let (s, e) = b.skip_kid();
                                match &b.text[s..e] {
                                    "low" => SeverityLevel::Low,
                                    "medium" => SeverityLevel::Medium,
                                    "high" => SeverityLevel::High,
                                    "critical" => SeverityLevel::Critical,
                                    _ => SeverityLevel::None,
                                }
                            })
                        }
                        Rule::requires_clause => {
                            self.open();
                            let mut team = None;
                            while let Some((kid, _)) = self.peek_kid() {
                                if kid == Rule::ident {
                                    team = Some(self.name());
                                } else {
                                    self.skip();
                                }
                            }
                            let cend = self.close();
                            requires = Some((team, self.span(cstart, cend)));
                        }
                        _ => {
                            self.skip();
                        }
                    }
                }
                let span = self.finish(start);
                Item::Outcome(OutcomeDecl { name, severity, requires, span, doc })
            }
            Rule::require_decl => {
                self.skip_kid(); // `escalation`
                self.skip_kid(); // `to`
                let team = self.name();
                self.skip_kid(); // `when`
                let condition = self.condition();
                let span = self.finish(start);
                Item::Require(RequireDecl { team, condition, span, doc })
            }
            Rule::resolution_decl => {
                self.skip_kid(); // `resolution`
                self.skip_kid(); // `within`
                let within = self.duration();
                self.skip_kid(); // `in`
                let flow = self.name();
                let condition = self.peek_kid().is_some().then(|| {
                    self.skip_kid(); // `when`
                    self.condition()
                });
                let span = self.finish(start);
                Item::Resolution(ResolutionDecl { within, flow, condition, span, doc })
            }
            Rule::table_decl => {
                let name = self.name();
                let mut first = false;
                let mut branches = Vec::new();
                while let Some((kid, _)) = self.peek_kid() {
                    if kid == Rule::k_first {
                        self.skip();
                        first = true;
                    } else {
                        branches.push(self.branch());
                    }
                }
                let span = self.finish(start);
                Item::Table(TableDecl { name, first, branches, span, doc })
            }
            Rule::flow_decl => {
                let name = self.name();
                self.skip_kid(); // `start`
                let start_step = self.name();
                let mut steps = Vec::new();
                while self.peek_kid().is_some() {
                    steps.push(self.step());
                }
                let span = self.finish(start);
                Item::Flow(FlowDecl { name, start: start_step, steps, span, doc })
            }
            Rule::test_decl => {
                let mut test = self.test(start);
                test.span = self.finish(start);
                Item::Test(test)
            }
            other => unreachable!("not an item: {other:?}"),
        };
        item
    }

    /// A `variant_list` as the next child: its names.
    fn name_list(&mut self) -> Vec<Name> {
        self.peek_kid();
        self.open();
        let mut names = Vec::new();
        while self.peek_kid().is_some() {
            names.push(self.name());
        }
        self.close();
        names
    }

    fn type_expr(&mut self) -> TypeExpr {
        self.peek_kid();
        let (_, start) = self.open();
        let (inner, _) = self.peek_kid().unwrap();
        let kind = match inner {
            Rule::k_bool | Rule::k_int | Rule::k_duration | Rule::k_string => {
                self.skip();
                match inner {
                    Rule::k_bool => TypeExprKind::Bool,
                    Rule::k_int => TypeExprKind::Int,
                    Rule::k_duration => TypeExprKind::Duration,
                    _ => TypeExprKind::String,
                }
            }
            Rule::int_range => {
                self.open();
                let mut ints = Vec::new();
                while let Some((kid, _)) = self.peek_kid() {
                    let (s, e) = self.skip();
                    if kid == Rule::integer {
                        ints.push(parse_int(&self.text[s..e]));
                    }
                }
                self.close();
                TypeExprKind::IntRange(ints[0], ints[1])
            }
            Rule::inline_enum => {
                self.open();
                let names = self.name_list();
                self.close();
                TypeExprKind::InlineEnum(names)
            }
            _ => {
                self.open();
                let name = self.name();
                self.close();
                TypeExprKind::Named(name)
            }
        };
        let span = self.finish(start);
        TypeExpr { kind, span }
    }

    /// A `step_decl` node.
    fn step(&mut self) -> Step {
        let (_, start) = self.open();
        let doc = self.trivia.doc_before(start);
        let keyword = self.span(start, start + "step".len()); // a placeholder until the step's end is read
        let name = self.name();
        let mut step = Step { name, title: None, first: false, within: None, instructions: vec![], branches: vec![], span: keyword, doc };
        let mut branches: SmallVec<[Branch; 4]> = SmallVec::new();
        let mut instructions: SmallVec<[String; 2]> = SmallVec::new();
        while let Some((kid, _)) = self.peek_kid() {
            match kid {
                Rule::string => step.title = Some(self.string()),
                Rule::k_first => {
                    self.skip();
                    step.first = true;
                }
                Rule::duration => step.within = Some(self.duration()),
                Rule::instructions => {
                    self.open();
                    instructions.push(self.string());
                    self.close();
                }
                _ => branches.push(self.branch()),
            }
        }
        (step.branches, step.instructions) = (exact(branches), exact(instructions));
        step.span = self.finish(start);
        step
    }

    /// A `when_branch`, `otherwise_branch` or `timeout_branch` node.
    fn branch(&mut self) -> Branch {
        let (rule, start) = self.open();
        let doc = self.trivia.doc_before(start);
        let word = match rule {
            Rule::when_branch => "when",
            Rule::otherwise_branch => "otherwise",
            _ => "timeout",
        };
        let keyword = self.span(start, start + word.len());
        let mut cond_text = None;
        let kind = match rule {
            Rule::when_branch => {
                let (cond, span) = self.condition_node();
                // Shared with the model's branch (`Arc`), not copied.
                cond_text = Some(std::sync::Arc::from(&*super::trivia::folded(&self.text[span.range()])));
                BranchKind::When(cond)
            }
            Rule::otherwise_branch => BranchKind::Otherwise,
            _ => BranchKind::Timeout,
        };
        let target = self.target();
        let span = self.finish(start);
        Branch { kind, keyword, target, span, doc, cond_text }
    }

    /// The target that ends a branch: its links and its end, the branch's
    /// remaining children.
    fn target(&mut self) -> Target {
        let mut links: SmallVec<[Link; 2]> = SmallVec::new();
        let mut first = None;
        loop {
            let (rule, start) = self.peek_kid().expect("a target ends every branch");
            let from = *first.get_or_insert(start);
            if rule == Rule::end_step {
                let name = self.name();
                let span = self.span(from, name.span.end as usize);
                return Target { links: exact(links), end: TargetEnd::Step(name), span };
            }
            self.open();
            let name = self.name();
            let close = self.close();
            let end = match rule {
                Rule::link_escalate => {
                    links.push(Link::Escalate(name));
                    continue;
                }
                Rule::link_do => {
                    links.push(Link::Do(name));
                    continue;
                }
                Rule::end_outcome => TargetEnd::Outcome(name),
                Rule::end_escalate => TargetEnd::Escalate(name),
                _ => TargetEnd::Table(name),
            };
            return Target { links: exact(links), end, span: self.span(from, close) };
        }
    }

    // ---- Conditions -------------------------------------------------------

    /// A `condition` node as the next child.
    fn condition(&mut self) -> Cond {
        self.condition_node().0
    }

    /// A `condition` node as the next child, with the node's span (which
    /// the condition's own span equals but for a parenthesised one). The
    /// node holds operands with `and` and `or` between them; `and` binds
    /// tighter, and a group of one operand is that operand.
    fn condition_node(&mut self) -> (Cond, Span) {
        self.peek_kid();
        let (_, start) = self.open();
        let mut ors: SmallVec<[Cond; 4]> = SmallVec::new();
        let mut ands: SmallVec<[Cond; 4]> = SmallVec::new();
        loop {
            ands.push(self.operand());
            match self.peek_kid() {
                Some((Rule::k_and, _)) => {
                    self.skip();
                }
                Some((Rule::k_or, _)) => {
                    self.skip();
                    ors.push(conjunction(std::mem::take(&mut ands)));
                }
                _ => break,
            }
        }
        let span = self.finish(start);
        if ors.is_empty() {
            return (conjunction(ands), span);
        }
        ors.push(conjunction(ands));
        (Cond { kind: CondKind::Or(exact(ors)), span }, span)
    }

    /// An operand of a condition: its `not`s, then a primary.
    fn operand(&mut self) -> Cond {
        let mut nots: SmallVec<[Span; 2]> = SmallVec::new();
        while let Some((Rule::k_not, _)) = self.peek_kid() {
            let (s, e) = self.skip();
            nots.push(self.span(s, e));
        }
        let mut cond = self.primary();
        for not in nots.iter().rev() {
            let nspan = not.to(cond.span);
            cond = Cond { kind: CondKind::Not(Box::new(cond)), span: nspan };
        }
        cond
    }

    /// A parenthesised condition, `true`, `false` or a predicate (an input,
    /// then `in {…}` or a comparison, or nothing).
    fn primary(&mut self) -> Cond {
        let (rule, start) = self.peek_kid().expect("an operand");
        match rule {
            Rule::paren => {
                self.open();
                let kind = self.condition().kind;
                Cond { kind, span: self.finish(start) }
            }
            Rule::k_true | Rule::k_false => {
                let (s, e) = self.skip();
                Cond { kind: CondKind::Const(rule == Rule::k_true), span: self.span(s, e) }
            }
            _ => {
                let input = self.name();
                match self.peek_kid() {
                    Some((Rule::cmp_op, _)) => {
                        let (s, e) = self.skip();
                        let op = match &self.text[s..e] {
                            "==" => CmpOp::Eq,
                            "!=" => CmpOp::Ne,
                            "<" => CmpOp::Lt,
                            "<=" => CmpOp::Le,
                            ">" => CmpOp::Gt,
                            _ => CmpOp::Ge,
                        };
                        let value = self.literal();
                        let span = self.span(start, value.span.end as usize);
                        Cond { kind: CondKind::Compare { input, op, value }, span }
                    }
                    Some((Rule::membership, _)) => {
                        self.open();
                        let mut negated = false;
                        let mut values: SmallVec<[Literal; 4]> = SmallVec::new();
                        while let Some((kid, _)) = self.peek_kid() {
                            if kid == Rule::k_not {
                                self.skip();
                                negated = true;
                            } else {
                                values.push(self.literal());
                            }
                        }
                        let span = self.finish(start);
                        Cond { kind: CondKind::In { input, negated, values: exact(values) }, span }
                    }
                    _ => {
                        let span = input.span;
                        Cond { kind: CondKind::Input(input), span }
                    }
                }
            }
        }
    }

    /// A value as the next child: in a condition, the value's own node; in
    /// a test's `given`, a `value` node around it.
    fn literal(&mut self) -> Literal {
        let (inner, _) = self.peek_kid().expect("a value");
        if inner == Rule::value {
            self.open();
            let literal = self.literal();
            self.close();
            return literal;
        }
        if inner == Rule::string {
            let (text, span) = self.string_spanned();
            return Literal { kind: LiteralKind::Str(text), span };
        }
        let (s, e) = self.skip();
        let raw = &self.text[s..e];
        let kind = match inner {
            Rule::duration => LiteralKind::Duration(Duration::parse(raw)),
            Rule::integer => LiteralKind::Int(parse_int(raw)),
            Rule::k_true => LiteralKind::Bool(true),
            Rule::k_false => LiteralKind::Bool(false),
            _ => {
                self.no_keyword(s, e);
                LiteralKind::Name(raw.into())
            }
        };
        Literal { kind, span: self.span(s, e) }
    }

    // ---- Tests ------------------------------------------------------------

    /// The parts of a test after its keyword (the caller sets its span).
    fn test(&mut self, start: usize) -> TestDecl {
        // The string and `run` are not optional: the placeholders go.
        let at = Span::new(self.file, start, start);
        let mut test = TestDecl {
            name: String::new(),
            name_span: at,
            run: RunTarget { is_table: false, name: Name { text: "".into(), span: at } },
            given: vec![],
            timeouts: vec![],
            expects: vec![],
            span: at,
        };
        while let Some((kid, _)) = self.peek_kid() {
            match kid {
                Rule::string => (test.name, test.name_span) = self.string_spanned(),
                Rule::test_run => {
                    self.open();
                    self.skip_kid(); // `run`
                    let (kind, _) = self.peek_kid().unwrap();
                    self.skip();
                    let name = self.name();
                    self.close();
                    test.run = RunTarget { is_table: kind == Rule::k_table, name };
                }
                Rule::test_given => {
                    self.open();
                    while let Some((kid, _)) = self.peek_kid() {
                        if kid != Rule::given_pair {
                            self.skip();
                            continue;
                        }
                        self.open();
                        let key = self.name();
                        let value = self.literal();
                        self.close();
                        test.given.push((key, value));
                    }
                    self.close();
                }
                Rule::test_timeout => {
                    self.open();
                    self.skip_kid(); // `timeout`
                    while let Some((kid, _)) = self.peek_kid() {
                        if kid == Rule::comma {
                            self.skip();
                        } else {
                            test.timeouts.push(self.name());
                        }
                    }
                    self.close();
                }
                Rule::test_expect => {
                    self.open();
                    self.skip_kid(); // `expect`
                    let (rule, _) = self.peek_kid().unwrap();
                    self.open();
                    self.skip_kid(); // `outcome`, `escalate`, `path` or `within`
                    if rule == Rule::expect_within {
                        let (d, span) = self.duration();
                        self.close();
                        self.close();
                        test.expects.push(Expect::Within(d, span));
                        continue;
                    }
                    let mut names = Vec::new();
                    while self.peek_kid().is_some() {
                        names.push(self.name());
                    }
                    self.close();
                    self.close();
                    test.expects.push(match rule {
                        Rule::expect_outcome => Expect::Outcome(names.swap_remove(0)),
                        Rule::expect_escalate => Expect::Escalate(names.swap_remove(0)),
                        _ => Expect::Path(names),
                    });
                }
                _ => {
                    self.skip();
                }
            }
        }
        test
    }
}

/// Where a pair's last token ends: its end, less the whitespace and comments
/// pest skipped after its last token (looking for an optional part).
/// Read backwards from the text, not down the pair's last children: that
/// walk recounted every level's children for every span (a tenth of the
/// parse). Comments run to the end of their line and strings never span
/// lines, so a line's first `//` outside a string starts its comment.
fn end_of(text: &str, start: usize, mut end: usize) -> usize {
    // Skipped trivia ends in whitespace: after a comment, pest skips the line
    // break too. Only a comment at the very end of the file ends otherwise.
    if end < text.len() && !text[start..end].ends_with(is_blank) {
        return end;
    }
    loop {
        let trimmed = start + text[start..end].trim_end_matches(is_blank).len();
        // A comment runs to a line break, which pest skips too: where the
        // blanks trimmed hold none (and the file goes on), no comment ends
        // here, and the line need not be read (it was, for every condition).
        if end < text.len() && !text[trimmed..end].contains(['\n', '\r']) {
            return trimmed;
        }
        end = trimmed;
        let line_start = text[..end].rfind(['\n', '\r']).map_or(0, |n| n + 1);
        match lexical::comment_start(&text[line_start..end]) {
            Some(c) if line_start + c >= start => end = line_start + c,
            _ => return end,
        }
    }
}

/// The list as a `Vec` of exactly its length. Lists in the tree are short
/// (two or three parts of a condition, one link of a target), and a `Vec`
/// grown by pushing holds at least four: a quarter of the tree's memory was
/// such slack, and fresh memory costs a page fault per 4 KiB on this VM
/// (docs/PERFORMANCE.md).
fn exact<T, const N: usize>(items: SmallVec<[T; N]>) -> Vec<T> {
    // Written out: `into_vec` on inline items goes through a generic
    // collect, 0.5% more instructions for the whole check.
    if items.spilled() {
        let mut v = items.into_vec();
        v.shrink_to_fit();
        return v;
    }
    let mut v = Vec::with_capacity(items.len());
    v.extend(items);
    v
}

/// The operands of an `and` chain as one condition: the operand itself when
/// it stands alone.
fn conjunction(mut parts: SmallVec<[Cond; 4]>) -> Cond {
    if parts.len() == 1 {
        return parts.pop().unwrap();
    }
    let span = parts[0].span.to(parts[parts.len() - 1].span);
    Cond { kind: CondKind::And(exact(parts)), span }
}

fn parse_int(text: &str) -> Option<i64> {
    if text.contains('_') {
        return text.replace('_', "").parse().ok();
    }
    text.parse().ok()
}
