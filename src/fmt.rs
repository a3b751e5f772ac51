//! `sopflow fmt`: one canonical layout. Two-space indentation; the `->` of
//! the branches of a step or table aligned; one blank line between steps,
//! and between declarations where the source had one or where either is a
//! block (at most one); literals as written. Every comment is kept, with its
//! exact text: a comment on its own line stays before what follows it, a
//! comment at the end of a line stays at the end of that line, and a comment
//! inside a construct that is printed on one line moves to the line before it.
//! Formatting never changes meaning: the result parses to the same AST.

use crate::ast::*;
use crate::source::Span;

/// A `//` comment of the source.
struct Comment {
    start: usize,
    text: String,
}

/// Formats a file; `Err` with the syntax error when it does not parse.
pub fn format(text: &str) -> Result<String, crate::syntax::SyntaxError> {
    let file = crate::syntax::parse_file(crate::source::FileId(0), text)?;
    // The suppression comments that suppress something where they stand.
    let source = crate::source::SourceFile::new(String::new(), text.to_string());
    let items = crate::check::item_spans(&file);
    let suppressions = crate::diagnostics::suppress::scan(crate::source::FileId(0), &source, &items);
    let effective = suppressions.iter().filter(|s| s.item.is_some()).map(|s| s.span.start as usize).collect();
    let mut f = Formatter {
        src: text,
        trivia: crate::syntax::trivia::Trivia::scan(text),
        comments: comments(text),
        next: 0,
        out: String::new(),
        indent: 0,
        deferred: Vec::new(),
        effective,
    };
    f.file(&file);
    let mut out = f.out;
    if text.starts_with('\u{feff}') {
        out.insert(0, '\u{feff}');
    }
    if text.contains("\r\n") {
        out = out.replace('\n', "\r\n");
    }
    Ok(out)
}

/// Every comment, skipping string literals.
fn comments(text: &str) -> Vec<Comment> {
    use crate::syntax::lexical::{segments, Kind};
    segments(text).filter(|s| s.kind == Kind::Comment).map(|s| Comment { start: s.start, text: text[s.start..s.end].trim_end().to_string() }).collect()
}

struct Formatter<'a> {
    src: &'a str,
    trivia: crate::syntax::trivia::Trivia,
    comments: Vec<Comment>,
    /// The first comment not yet printed.
    next: usize,
    out: String,
    indent: usize,
    /// Suppression comments that stood at the end of a line inside the
    /// construct being printed: they end its line, where they still
    /// suppress nothing (see `leading_for`).
    deferred: Vec<String>,
    /// The starts of the suppression comments that cover an item.
    effective: std::collections::HashSet<usize>,
}

impl Formatter<'_> {
    fn pad(&self) -> String {
        "  ".repeat(self.indent)
    }

    /// Prints, each on its own line, the comments before a construct that
    /// starts at `pos`.
    fn leading(&mut self, pos: usize) {
        self.leading_for(pos, pos);
    }

    /// Prints the comments before `pos` where no construct follows (before a
    /// closing brace, at the end of the file): in order, none is a doc comment.
    /// A blank line between two of them is kept (one, however many there were).
    fn dangling(&mut self, pos: usize) {
        let mut prev_end: Option<usize> = None;
        while self.next < self.comments.len() && self.comments[self.next].start < pos {
            let c = &self.comments[self.next];
            if let Some(end) = prev_end {
                let between = &self.src[end.min(c.start)..c.start];
                if between.trim().is_empty() && between.matches('\n').count() >= 2 {
                    self.blank();
                }
            }
            let c = &self.comments[self.next];
            prev_end = Some(c.start + c.text.len());
            let line = format!("{}{}\n", self.pad(), c.text);
            self.out.push_str(&line);
            self.next += 1;
        }
    }

    /// The comments before `pos`, printed before a construct that starts at
    /// `start`. Its doc comment (the `///` lines right above it) goes last,
    /// just above it; any other `///` comment (one that stood inside the
    /// construct, say) goes first with a blank line after it, so that it can
    /// never become a doc comment: formatting must not change meaning.
    ///
    /// A suppression comment (`// sopflow: …`) that covers no item where it
    /// stands must not start to cover one: one at the end of a line (which
    /// suppresses nothing) ends the printed line instead, and one on a line
    /// of its own (which had nothing to suppress) keeps a blank line after
    /// it (still nothing to suppress).
    fn leading_for(&mut self, start: usize, pos: usize) {
        let docs = self.doc_run(start);
        let mut own = Vec::new();
        // Comments that must not touch the construct: `///` comments that
        // are not its doc, and suppressions that cover nothing. They go first,
        // with a blank line after, so that what stays next to the construct
        // (a suppression that covers it) still does.
        let mut detached = Vec::new();
        let mut adjacent = Vec::new();
        let _ = start;
        while self.next < self.comments.len() && self.comments[self.next].start < pos {
            let c = &self.comments[self.next];
            let idle_suppression =
                !self.effective.contains(&c.start) && c.text.strip_prefix("//").is_some_and(|b| !b.starts_with('/') && b.trim_start().starts_with("sopflow:"));
            if docs.contains(&c.start) {
                own.push(c.text.clone());
            } else if idle_suppression {
                let line_start = self.src[..c.start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
                if self.src[line_start..c.start].trim().is_empty() {
                    detached.push(c.text.clone());
                } else {
                    self.deferred.push(c.text.clone());
                }
            } else if c.text.starts_with("///") {
                detached.push(c.text.clone());
            } else {
                adjacent.push(c.text.clone());
            }
            self.next += 1;
        }
        for text in &detached {
            let line = format!("{}{text}\n", self.pad());
            self.out.push_str(&line);
        }
        if !detached.is_empty() {
            self.blank();
        }
        for text in adjacent.into_iter().chain(own) {
            let line = format!("{}{text}\n", self.pad());
            self.out.push_str(&line);
        }
    }

    /// The starts of the `///` comments that form the doc comment of a
    /// construct at `start`, exactly as the parser attaches them.
    fn doc_run(&self, start: usize) -> Vec<usize> {
        self.trivia.doc_run(start.min(self.src.len()))
    }

    /// Ends the current line, with the comment that follows `end` on the
    /// same source line when only blanks stand between.
    fn end_line(&mut self, end: usize) {
        if let Some(c) = self.comments.get(self.next) {
            let between = &self.src[end.min(c.start)..c.start];
            if c.start >= end && !between.contains(['\n', '\r']) && between.trim().is_empty() {
                self.out.push_str(&format!(" {}", c.text));
                self.next += 1;
            }
        }
        for text in std::mem::take(&mut self.deferred) {
            self.out.push_str(&format!(" {text}"));
        }
        self.out.push('\n');
    }

    /// Prints a one-line construct: its comments first, then the line.
    fn line(&mut self, span: Span, text: &str) {
        self.leading_for(span.start as usize, span.end as usize);
        let line = format!("{}{text}", self.pad());
        self.out.push_str(&line);
        self.end_line(span.end as usize);
    }

    /// The `}` that closes a block whose last member ends at `from`
    /// (blanks, commas and comments may stand between).
    fn closing_brace(&self, from: usize) -> usize {
        use crate::syntax::lexical::{segments, Kind};
        let rest = &self.src[from..];
        segments(rest)
            .filter(|s| s.kind == Kind::Code)
            .find_map(|s| memchr::memchr(b'}', &rest.as_bytes()[s.start..s.end]).map(|k| from + s.start + k))
            .unwrap_or(from)
    }

    fn raw(&self, span: Span) -> &str {
        &self.src[span.range()]
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn file(&mut self, file: &File) {
        let mut prev: Option<&Item> = None;
        for item in &file.items {
            let from = prev.map_or(0, |p| p.span().end as usize);
            let gap = &self.src[from..item.span().start as usize];
            let segments: Vec<&str> = gap.split('\n').collect();
            let inner = if prev.is_some() { &segments[1.min(segments.len())..] } else { &segments[..] };
            let had_blank = inner.len() > 1 && inner[..inner.len() - 1].iter().any(|l| is_blank_line(l));
            let blocks = prev.is_some_and(|p| is_block(p) || is_block(item));
            if had_blank || blocks {
                self.leading_until_blank(from, item.span().start as usize);
            }
            self.item(item);
            prev = Some(item);
        }
        self.dangling(self.src.len() + 1);
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
    }

    /// Between two declarations separated by a blank line: the comments
    /// before the last blank line of the gap stay above it.
    fn leading_until_blank(&mut self, from: usize, pos: usize) {
        let gap = &self.src[from..pos];
        let mut last_blank = None;
        let mut offset = 0;
        let mut first_blank = None;
        for (k, line) in gap.split('\n').enumerate() {
            if k > 0 && is_blank_line(line) && offset + line.len() < gap.len() {
                last_blank = Some(from + offset);
                first_blank.get_or_insert(from + offset);
            }
            offset += line.len() + 1;
        }
        if let Some(at) = last_blank {
            // Comments that stood after a blank line keep a blank line above them.
            let first_comment = self.comments.get(self.next).map(|c| c.start).filter(|c| *c < at);
            if let (Some(blank), Some(comment)) = (first_blank, first_comment) {
                if blank < comment {
                    self.blank();
                }
            }
            self.dangling(at);
        }
        self.blank();
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Enum(d) => {
                let vs: Vec<&str> = d.variants.iter().map(|v| &*v.text).collect();
                self.line(d.span, &format!("enum {} {{ {} }}", d.name.text, vs.join(", ")));
            }
            Item::Input(d) => {
                let ty = match &d.ty.kind {
                    TypeExprKind::Bool => "bool".to_string(),
                    TypeExprKind::Int => "int".to_string(),
                    TypeExprKind::IntRange(..) => crate::syntax::trivia::one_line(self.raw(d.ty.span)),
                    TypeExprKind::Duration => "duration".to_string(),
                    TypeExprKind::String => "string".to_string(),
                    TypeExprKind::InlineEnum(vs) => format!("{{ {} }}", vs.iter().map(|v| &*v.text).collect::<Vec<_>>().join(", ")),
                    TypeExprKind::Named(n) => n.text.to_string(),
                };
                self.line(d.span, &format!("input {}: {ty}", d.name.text));
            }
            Item::Team(d) => {
                let sla = d.sla.as_ref().map(|(_, s)| format!(" {{ sla {} }}", self.raw(*s))).unwrap_or_default();
                self.line(d.span, &format!("team {}{sla}", d.name.text));
            }
            Item::Action(d) => {
                let desc = d.description.as_ref().map(|s| format!(" {}", quote(s))).unwrap_or_default();
                self.line(d.span, &format!("action {}{desc}", d.name.text));
            }
            Item::Outcome(d) => {
                let mut parts = Vec::new();
                if d.severity != SeverityLevel::None || self.raw(d.span).contains("severity") {
                    parts.push(format!("severity {}", d.severity.as_str()));
                }
                if let Some((team, _)) = &d.requires {
                    parts.push(match team {
                        Some(t) => format!("requires escalation to {}", t.text),
                        None => "requires escalation".to_string(),
                    });
                }
                let body = if parts.is_empty() {
                    if self.raw(d.span).contains('{') {
                        " {}".to_string()
                    } else {
                        String::new()
                    }
                } else {
                    format!(" {{ {} }}", parts.join(" "))
                };
                self.line(d.span, &format!("outcome {}{body}", d.name.text));
            }
            Item::Require(d) => {
                let c = self.cond(&d.condition, None);
                self.line(d.span, &format!("require escalation to {} when {c}", d.team.text));
            }
            Item::Resolution(d) => {
                let when = d.condition.as_ref().map(|c| format!(" when {}", self.cond(c, None))).unwrap_or_default();
                self.line(d.span, &format!("require resolution within {} in {}{when}", self.raw(d.within.1), d.flow.text));
            }
            Item::Table(d) => {
                self.leading(d.span.start as usize);
                let head = format!("table {}{} {{", d.name.text, if d.first { " first" } else { "" });
                self.open(d.span.start as usize, &head, d.branches.first().map(|b| b.span.start as usize));
                self.branches(&d.branches);
                self.close(d.span);
            }
            Item::Flow(d) => {
                self.leading(d.span.start as usize);
                self.open(d.span.start as usize, &format!("flow {} {{", d.name.text), Some(d.start.span.start as usize));
                self.line(d.start.span, &format!("start {}", d.start.text));
                for s in &d.steps {
                    self.blank();
                    self.step(s);
                }
                self.close(d.span);
            }
            Item::Test(d) => {
                self.leading(d.span.start as usize);
                self.open(d.span.start as usize, &format!("test {} {{", quote(&d.name)), Some(d.run.name.span.start as usize));
                let kind = if d.run.is_table { "table" } else { "flow" };
                self.line(d.run.name.span, &format!("run {kind} {}", d.run.name.text));
                if let (Some(first), Some(last)) = (d.given.first(), d.given.last()) {
                    // What stands before the first pair is inside `given { … }`:
                    // never a doc comment of anything.
                    self.leading_for(d.span.start as usize, first.0.span.start as usize);
                    let pairs: Vec<String> = d.given.iter().map(|(k, v)| format!("{}: {}", k.text, self.raw(v.span))).collect();
                    // The line ends at the block's `}`, so that a comment after it stays there.
                    let brace = self.closing_brace(last.1.span.end as usize);
                    self.line(first.0.span.to(Span::new(first.0.span.file, brace, brace + 1)), &format!("given {{ {} }}", pairs.join(", ")));
                } else if self.raw(d.span).contains("given") {
                    self.line(d.run.name.span, "given {}");
                }
                if let (Some(first), Some(last)) = (d.timeouts.first(), d.timeouts.last()) {
                    let names: Vec<&str> = d.timeouts.iter().map(|n| &*n.text).collect();
                    self.line(first.span.to(last.span), &format!("timeout {}", names.join(", ")));
                }
                for e in &d.expects {
                    match e {
                        Expect::Outcome(n) => self.line(n.span, &format!("expect outcome {}", n.text)),
                        Expect::Escalate(n) => self.line(n.span, &format!("expect escalate {}", n.text)),
                        Expect::Within(_, span) => self.line(*span, &format!("expect within {}", self.raw(*span))),
                        Expect::Path(ns) => {
                            let span = ns[0].span.to(ns[ns.len() - 1].span);
                            let names: Vec<&str> = ns.iter().map(|n| &*n.text).collect();
                            self.line(span, &format!("expect path {}", names.join(", ")));
                        }
                    }
                }
                self.close(d.span);
            }
        }
    }

    /// A block's first line; comments between it and the first member stay
    /// inside the block.
    fn open(&mut self, start: usize, head: &str, first_member: Option<usize>) {
        let line = format!("{}{head}", self.pad());
        self.out.push_str(&line);
        let brace = self.src[start..].find('{').map_or(start, |i| start + i + 1);
        let _ = first_member;
        self.end_line(brace);
        self.indent += 1;
    }

    fn close(&mut self, span: Span) {
        let end = span.end as usize;
        self.dangling(end.saturating_sub(1));
        self.indent -= 1;
        let line = format!("{}}}", self.pad());
        self.out.push_str(&line);
        self.end_line(end);
    }

    fn step(&mut self, s: &Step) {
        self.leading(s.span.start as usize);
        let mut head = format!("step {}", s.name.text);
        if let Some(t) = &s.title {
            head.push_str(&format!(" {}", quote(t)));
        }
        if s.first {
            head.push_str(" first");
        }
        if let Some((_, span)) = &s.within {
            head.push_str(&format!(" within {}", self.raw(*span)));
        }
        head.push_str(" {");
        self.open(s.span.start as usize, &head, None);
        // Instructions: their spans are not kept; each is one line of the
        // source between the header and the first branch.
        let body_start = self.src[s.span.start as usize..].find('{').map_or(s.span.start as usize, |i| s.span.start as usize + i + 1);
        let body_end = s.branches.first().map_or(s.span.end as usize - 1, |b| b.span.start as usize);
        let mut search = body_start;
        for text in &s.instructions {
            let at = self.src[search..body_end].find("instructions").map_or(search, |i| search + i);
            let lit = quote(text);
            let end = self.src[at..body_end].find('"').and_then(|q| {
                let open = at + q;
                string_end(self.src, open)
            });
            let end = end.unwrap_or(at);
            self.line(Span::new(s.span.file, at, end), &format!("instructions {lit}"));
            search = end;
        }
        self.branches(&s.branches);
        self.close(s.span);
    }

    fn branches(&mut self, branches: &[Branch]) {
        let heads: Vec<String> = branches
            .iter()
            .map(|b| match &b.kind {
                BranchKind::When(c) => format!("when {}", self.cond(c, None)),
                BranchKind::Otherwise => "otherwise".to_string(),
                BranchKind::Timeout => "timeout".to_string(),
            })
            .collect();
        let width = heads.iter().map(|h| h.chars().count()).max().unwrap_or(0);
        for (b, head) in branches.iter().zip(heads) {
            let padding = " ".repeat(width - head.chars().count());
            let target = self.target(&b.target);
            self.line(b.span, &format!("{head}{padding} -> {target}"));
        }
    }

    fn target(&self, t: &Target) -> String {
        let mut parts: Vec<String> = t
            .links
            .iter()
            .map(|l| match l {
                Link::Escalate(n) => format!("escalate {}", n.text),
                Link::Do(n) => format!("do {}", n.text),
            })
            .collect();
        parts.push(match &t.end {
            TargetEnd::Outcome(n) => format!("outcome {}", n.text),
            TargetEnd::Escalate(n) => format!("escalate {}", n.text),
            TargetEnd::Table(n) => format!("table {}", n.text),
            TargetEnd::Step(n) => n.text.to_string(),
        });
        parts.join(" -> ")
    }

    /// A condition, with the parentheses the AST needs to parse back the
    /// same: around `or` inside `and`, around a nested `and`/`or` of the same
    /// kind, and around `and`/`or` under `not`.
    fn cond(&self, c: &Cond, parent: Option<&CondKind>) -> String {
        let text = match &c.kind {
            CondKind::Or(parts) => parts.iter().map(|p| self.cond(p, Some(&c.kind))).collect::<Vec<_>>().join(" or "),
            CondKind::And(parts) => parts.iter().map(|p| self.cond(p, Some(&c.kind))).collect::<Vec<_>>().join(" and "),
            CondKind::Not(inner) => format!("not {}", self.cond(inner, Some(&c.kind))),
            CondKind::Const(b) => b.to_string(),
            CondKind::Input(n) => n.text.to_string(),
            CondKind::Compare { input, op, value } => format!("{} {} {}", input.text, op.as_str(), self.raw(value.span)),
            CondKind::In { input, negated, values } => {
                let vs: Vec<String> = values.iter().map(|v| self.raw(v.span).to_string()).collect();
                format!("{}{} in {{ {} }}", input.text, if *negated { " not" } else { "" }, vs.join(", "))
            }
        };
        let needs = matches!(
            (parent, &c.kind),
            (Some(CondKind::And(_)), CondKind::Or(_) | CondKind::And(_))
                | (Some(CondKind::Or(_)), CondKind::Or(_))
                | (Some(CondKind::Not(_)), CondKind::Or(_) | CondKind::And(_))
        );
        if needs {
            format!("({text})")
        } else {
            text
        }
    }
}

/// A line with nothing but blanks (a byte-order mark included, as
/// `syntax::trivia` counts it).
fn is_blank_line(line: &str) -> bool {
    line.trim_matches(['\u{feff}', ' ', '\t', '\r']).is_empty()
}

fn is_block(item: &Item) -> bool {
    matches!(item, Item::Table(_) | Item::Flow(_) | Item::Test(_))
}

pub use crate::syntax::lexical::quote;

/// The offset after the string literal that opens at `open`.
fn string_end(src: &str, open: usize) -> Option<usize> {
    use crate::syntax::lexical::{segments, Kind};
    segments(&src[open..]).next().filter(|s| s.kind == Kind::String).map(|s| open + s.end)
}

/// A file's syntax tree without spans and source text, to compare two
/// texts' meaning (`None` when it does not parse). The formatter keeps it.
pub fn ast_shape(text: &str) -> Option<String> {
    let file = crate::syntax::parse_file(crate::source::FileId(0), text).ok()?;
    let debug = format!("{file:?}");
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}')?;
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    let mut cleaned = String::with_capacity(out.len());
    let mut rest = out.as_str();
    // The condition's text may change (parentheses dropped, comments moved):
    // leave out `cond_text: None` or `cond_text: Some("…")`, escapes and all.
    while let Some(i) = rest.find("cond_text: ") {
        cleaned.push_str(&rest[..i]);
        let after = &rest[i + "cond_text: ".len()..];
        rest = match after.strip_prefix("Some(\"") {
            Some(literal) => {
                let mut end = literal.len();
                let mut chars = literal.char_indices();
                while let Some((k, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = k + 1;
                            break;
                        }
                        _ => {}
                    }
                }
                literal[end..].strip_prefix(')').unwrap_or(&literal[end..])
            }
            None => after.strip_prefix("None").unwrap_or(after),
        };
    }
    cleaned.push_str(rest);
    Some(cleaned)
}
