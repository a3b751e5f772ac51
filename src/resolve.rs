//! Stage 2: name resolution and type checking, from the AST of every file to
//! the typed [`Program`]. Reports `undefined-name`, `duplicate-definition`,
//! `type-mismatch`, `unknown-variant`, `invalid-target` and
//! `unused-declaration`. Never stops at the first finding.

// Fx hashing: every name of every condition is looked up here, and SipHash
// was most of the lookup (docs/PERFORMANCE.md).
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::ast::{self, CmpOp, CondKind, LiteralKind, TypeExprKind};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::*;
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Enum,
    Input,
    Team,
    Action,
    Outcome,
    Table,
    Flow,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Enum => "enum",
            Kind::Input => "input",
            Kind::Team => "team",
            Kind::Action => "action",
            Kind::Outcome => "outcome",
            Kind::Table => "table",
            Kind::Flow => "flow",
        }
    }
}

/// The closest candidate to `name`, when one is close enough to suggest.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates.into_iter().map(|c| (strsim::damerau_levenshtein(name, c), c)).filter(|(d, _)| *d <= limit).min_by_key(|(d, c)| (*d, *c)).map(|(_, c)| c)
}

/// Resolves every file of a project into one program.
pub fn resolve(files: &[ast::File]) -> (Program, Vec<Diagnostic>) {
    let mut r = Resolver::default();
    r.collect(files);
    r.declarations(files);
    r.bodies(files.iter().flat_map(|f| &f.items));
    r.unused();
    (r.program, r.diags)
}

/// [`resolve`], consuming the trees: each flow's and table's tree is dropped
/// as soon as it is lowered, so the program grows into the memory the trees
/// free (the command line's peak memory; docs/PERFORMANCE.md).
pub fn resolve_owned(files: Vec<ast::File>) -> (Program, Vec<Diagnostic>) {
    let mut r = Resolver::default();
    r.collect(&files);
    r.declarations(&files);
    r.bodies(files.into_iter().flat_map(|f| f.items));
    r.unused();
    (r.program, r.diags)
}

#[derive(Default)]
struct Resolver {
    program: Program,
    diags: Vec<Diagnostic>,
    /// Global names: first definition's kind, index and name span.
    names: HashMap<String, (Kind, usize, Span)>,
    used: HashSet<(Kind, usize)>,
    /// The AST items that won their name, by span start (duplicates lose).
    winners: HashSet<(Span, Kind)>,
    /// Each enum's variants by name (built once the enums are known, at the
    /// end of the declarations): a condition's variants were found by
    /// comparing every variant's name, a hundred for a category enum.
    variant_index: Vec<HashMap<ast::Sym, u32>>,
}

impl Resolver {
    fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Pass 1: every global name, in file order; later duplicates reported.
    fn collect(&mut self, files: &[ast::File]) {
        let mut counts: HashMap<Kind, usize> = HashMap::default();
        for item in files.iter().flat_map(|f| &f.items) {
            let (kind, name) = match item {
                ast::Item::Enum(d) => (Kind::Enum, &d.name),
                ast::Item::Input(d) => (Kind::Input, &d.name),
                ast::Item::Team(d) => (Kind::Team, &d.name),
                ast::Item::Action(d) => (Kind::Action, &d.name),
                ast::Item::Outcome(d) => (Kind::Outcome, &d.name),
                ast::Item::Table(d) => (Kind::Table, &d.name),
                ast::Item::Flow(d) => (Kind::Flow, &d.name),
                ast::Item::Require(_) | ast::Item::Resolution(_) | ast::Item::Test(_) => continue,
            };
            if let Some((other, _, first)) = self.names.get(&*name.text) {
                let (other, first) = (*other, *first);
                let d = Diagnostic::new(Code::DuplicateDefinition, name.span, format!("`{}` is defined more than once", name.text))
                    .with_label(first, format!("first defined here as {} `{}`", other.noun(), name.text))
                    .with_help("every name is declared once in the whole project; rename or remove one of them");
                self.diags.push(d);
                continue;
            }
            let n = counts.entry(kind).or_default();
            self.names.insert(name.text.to_string(), (kind, *n, name.span));
            self.winners.insert((item.span(), kind));
            *n += 1;
        }
    }

    fn wins(&self, span: Span, kind: Kind) -> bool {
        self.winners.contains(&(span, kind))
    }

    /// Pass 2: enums, inputs, teams, actions and outcomes.
    fn declarations(&mut self, files: &[ast::File]) {
        let items: Vec<&ast::Item> = files.iter().flat_map(|f| &f.items).collect();
        for item in &items {
            if let ast::Item::Enum(d) = item {
                if self.wins(d.span, Kind::Enum) {
                    let variants = self.variants(&d.variants);
                    self.program.enums.push(Enum { name: d.name.text.to_string(), variants, span: d.name.span });
                }
            }
        }
        for item in &items {
            match item {
                ast::Item::Input(d) if self.wins(d.span, Kind::Input) => {
                    let ty = self.type_expr(&d.ty, &d.name.text);
                    let typed = !matches!(d.ty.kind, TypeExprKind::Named(_)) || matches!(ty, Type::Enum(_));
                    self.program.inputs.push(Input { name: d.name.text.to_string(), ty, typed, span: d.name.span, doc: d.doc.clone() });
                }
                ast::Item::Team(d) if self.wins(d.span, Kind::Team) => {
                    let sla_seconds = d.sla.as_ref().and_then(|(dur, _)| dur.as_ref().map(|d| d.seconds));
                    if let Some((None, span)) = &d.sla {
                        self.report(Diagnostic::new(Code::TypeMismatch, *span, "duration does not fit in 64 bits"));
                    }
                    self.program.teams.push(Team { name: d.name.text.to_string(), sla_seconds, span: d.name.span, doc: d.doc.clone() });
                }
                ast::Item::Action(d) if self.wins(d.span, Kind::Action) => {
                    self.program.actions.push(Action {
                        name: d.name.text.to_string(),
                        description: d.description.clone(),
                        span: d.name.span,
                        doc: d.doc.clone(),
                    });
                }
                _ => {}
            }
        }
        for item in &items {
            if let ast::Item::Outcome(d) = item {
                if self.wins(d.span, Kind::Outcome) {
                    let requires = match &d.requires {
                        None => None,
                        Some((None, _)) => Some(Requirement::Any),
                        Some((Some(team), _)) => self.lookup(Kind::Team, team, true).map(Requirement::Team),
                    };
                    self.program.outcomes.push(Outcome {
                        name: d.name.text.to_string(),
                        severity: d.severity,
                        requires,
                        span: d.name.span,
                        doc: d.doc.clone(),
                    });
                }
            }
        }
        // Every enum is known now (inline ones came with their inputs).
        self.variant_index = self.program.enums.iter().map(|e| e.variants.iter().enumerate().map(|(i, v)| (ast::Sym::new(v), i as u32)).collect()).collect();
    }

    fn variants(&mut self, names: &[ast::Name]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, v) in names.iter().enumerate() {
            if let Some(first) = names[..i].iter().find(|f| f.text == v.text) {
                self.report(
                    Diagnostic::new(Code::DuplicateDefinition, v.span, format!("variant `{}` is listed twice", v.text))
                        .with_label(first.span, "first listed here"),
                );
                continue;
            }
            out.push(v.text.to_string());
        }
        out
    }

    fn type_expr(&mut self, ty: &ast::TypeExpr, input: &str) -> Type {
        match &ty.kind {
            TypeExprKind::Bool => Type::Bool,
            TypeExprKind::Int => Type::Int { lo: i64::MIN, hi: i64::MAX },
            TypeExprKind::IntRange(Some(lo), Some(hi)) if lo <= hi => Type::Int { lo: *lo, hi: *hi },
            TypeExprKind::IntRange(Some(lo), Some(hi)) => {
                self.report(
                    Diagnostic::new(Code::TypeMismatch, ty.span, format!("empty range: {lo} is greater than {hi}"))
                        .with_help(format!("write `int in {hi} to {lo}`")),
                );
                Type::Int { lo: *hi, hi: *lo }
            }
            TypeExprKind::IntRange(..) => {
                self.report(Diagnostic::new(Code::TypeMismatch, ty.span, "range end does not fit in 64 bits"));
                Type::Int { lo: i64::MIN, hi: i64::MAX }
            }
            TypeExprKind::Duration => Type::Duration,
            TypeExprKind::String => Type::String,
            TypeExprKind::InlineEnum(variants) => {
                let variants = self.variants(variants);
                self.program.enums.push(Enum { name: input.to_string(), variants, span: ty.span });
                Type::Enum(self.program.enums.len() - 1)
            }
            TypeExprKind::Named(name) => match self.lookup(Kind::Enum, name, true) {
                Some(e) => Type::Enum(e),
                None => Type::Bool,
            },
        }
    }

    /// Pass 3: requirements, tables and flows in order, then the tests (they
    /// read the flows' steps). Items are taken by value or by reference.
    /// Each item is lowered on its own (`Lower`), in parallel; the results
    /// and findings are taken in item order, so the output is as if serial.
    fn bodies<I: std::borrow::Borrow<ast::Item> + Send>(&mut self, items: impl Iterator<Item = I>) {
        use rayon::prelude::*;
        enum Lowered {
            Require(Option<RequireRule>),
            Resolution(Option<Resolution>),
            Table(Table),
            Flow(Flow),
            Nothing,
        }
        let (tests, work): (Vec<I>, Vec<I>) = items.partition(|item| matches!(item.borrow(), ast::Item::Test(_)));
        let (program, names, winners, variants) = (&self.program, &self.names, &self.winners, &self.variant_index);
        // One item per task: a table of 5,000 rules next to flows of 20 steps.
        let lowered: Vec<(Lowered, Sink)> = work
            .into_par_iter()
            .with_max_len(1)
            .map(|item| {
                let mut l = Lower::new(program, names, variants);
                let lowered = match item.borrow() {
                    ast::Item::Require(d) => Lowered::Require(l.require(d)),
                    ast::Item::Resolution(d) => Lowered::Resolution(l.resolution(d)),
                    ast::Item::Table(d) if winners.contains(&(d.span, Kind::Table)) => Lowered::Table(l.table(d)),
                    ast::Item::Flow(d) if winners.contains(&(d.span, Kind::Flow)) => Lowered::Flow(l.flow(d)),
                    _ => Lowered::Nothing,
                };
                (lowered, l.out)
            })
            .collect();
        for (lowered, sink) in lowered {
            self.absorb(sink);
            match lowered {
                Lowered::Require(r) => self.program.requires.extend(r),
                Lowered::Resolution(r) => self.program.resolutions.extend(r),
                Lowered::Table(t) => self.program.tables.push(t),
                Lowered::Flow(f) => self.program.flows.push(f),
                Lowered::Nothing => {}
            }
        }
        // A flow that delegates to a broken table is not analysed either.
        let broken_tables: Vec<bool> = self.program.tables.iter().map(|t| !t.ok).collect();
        for flow in &mut self.program.flows {
            let delegates_broken = flow.steps.iter().flat_map(|s| &s.decision.branches).any(|b| matches!(b.target.end, End::Table(t) if broken_tables[t]));
            if delegates_broken {
                flow.ok = false;
            }
        }
        for item in &tests {
            if let ast::Item::Test(t) = item.borrow() {
                let test = self.lowering(|l| l.test(t));
                self.program.tests.push(test);
            }
        }
    }

    /// Takes in what lowering one item found and used.
    fn absorb(&mut self, sink: Sink) {
        self.diags.extend(sink.diags);
        self.used.extend(sink.used);
        for s in sink.strings {
            if !self.program.string_literals.contains(&s) {
                self.program.string_literals.push(s);
            }
        }
    }

    /// Runs `f` on a `Lower` of the program so far, taking in what it found.
    fn lowering<T>(&mut self, f: impl FnOnce(&mut Lower<'_>) -> T) -> T {
        let mut l = Lower::new(&self.program, &self.names, &self.variant_index);
        let out = f(&mut l);
        let sink = l.out;
        self.absorb(sink);
        out
    }

    /// Looks up a global name of `kind` (see [`Lower::lookup`]).
    fn lookup(&mut self, kind: Kind, name: &ast::Name, count_use: bool) -> Option<usize> {
        self.lowering(|l| l.lookup(kind, name, count_use))
    }

    /// Inputs, outcomes, teams, actions and enums that nothing uses.
    fn unused(&mut self) {
        let mut found = Vec::new();
        for (name, (kind, idx, span)) in &self.names {
            if matches!(kind, Kind::Table | Kind::Flow) || self.used.contains(&(*kind, *idx)) {
                continue;
            }
            found.push(
                Diagnostic::new(Code::UnusedDeclaration, *span, format!("{} `{name}` is never used", kind.noun()))
                    .with_help(format!("remove the {} or use it in a flow or table", kind.noun())),
            );
        }
        self.diags.extend(found);
    }
}

/// What lowering one item found: its findings, the declarations it used,
/// whether it got a gating finding, and its string literals.
#[derive(Default)]
struct Sink {
    diags: Vec<Diagnostic>,
    used: Vec<(Kind, usize)>,
    broken: bool,
    strings: Vec<String>,
}

/// Lowers the body of one item (a requirement, table, flow or test) against
/// the declarations, which it only reads: items are lowered in parallel.
struct Lower<'r> {
    program: &'r Program,
    names: &'r HashMap<String, (Kind, usize, Span)>,
    /// [`Resolver::variant_index`] (empty while the declarations are read,
    /// when no condition is lowered).
    variants: &'r [HashMap<ast::Sym, u32>],
    out: Sink,
}

impl<'r> Lower<'r> {
    fn new(program: &'r Program, names: &'r HashMap<String, (Kind, usize, Span)>, variants: &'r [HashMap<ast::Sym, u32>]) -> Lower<'r> {
        Lower { program, names, variants, out: Sink::default() }
    }

    fn report(&mut self, d: Diagnostic) {
        if d.code.gates_analysis() {
            self.out.broken = true;
        }
        self.out.diags.push(d);
    }

    fn resolution(&mut self, d: &ast::ResolutionDecl) -> Option<Resolution> {
        let flow = self.lookup(Kind::Flow, &d.flow, true);
        let cond = match &d.condition {
            Some(c) => Some(self.cond(c)?),
            None => None,
        };
        let seconds = d.within.0.as_ref()?.seconds;
        let text = d.within.0.as_ref()?.text.clone();
        Some(Resolution { flow: flow?, seconds, text, cond, span: d.span })
    }

    fn require(&mut self, d: &ast::RequireDecl) -> Option<RequireRule> {
        let team = self.lookup(Kind::Team, &d.team, true);
        let cond = self.cond(&d.condition);
        let (team, cond) = (team?, cond?);
        let mut inputs = Vec::new();
        cond.inputs(&mut inputs);
        Some(RequireRule { team, cond, inputs, span: d.span })
    }

    fn table(&mut self, d: &ast::TableDecl) -> Table {
        let branches = self.branches(&d.branches, None);
        Table {
            name: d.name.text.to_string(),
            name_span: d.name.span,
            decision: Decision { first: d.first, branches },
            span: d.span,
            doc: d.doc.clone(),
            ok: !self.out.broken,
        }
    }

    /// Looks up a global name of `kind`, reporting `undefined-name`.
    fn lookup(&mut self, kind: Kind, name: &ast::Name, count_use: bool) -> Option<usize> {
        match self.names.get(&*name.text) {
            Some((k, idx, _)) if *k == kind => {
                let idx = *idx;
                if count_use {
                    self.out.used.push((kind, idx));
                }
                Some(idx)
            }
            Some((other, _, decl)) => {
                let (other, decl) = (*other, *decl);
                let d = Diagnostic::new(Code::UndefinedName, name.span, format!("no {} named `{}`", kind.noun(), name.text))
                    .with_label(decl, format!("`{}` is {} {}", name.text, article(other.noun()), other.noun()));
                let d = match self.nearest_of(kind, &name.text) {
                    Some(n) => d.with_help(format!("did you mean `{n}`?")),
                    None => d,
                };
                self.report(d);
                None
            }
            None => {
                let d = Diagnostic::new(Code::UndefinedName, name.span, format!("no {} named `{}`", kind.noun(), name.text));
                // A variant where an input is read (`kind == a or b`): the
                // condition meant `kind in { a, b }`.
                let variant_of = (kind == Kind::Input)
                    .then(|| {
                        let e = self.program.enums.iter().position(|e| e.variants.iter().any(|v| **v == *name.text))?;
                        self.program.inputs.iter().find(|i| i.ty == Type::Enum(e))
                    })
                    .flatten();
                let d = match (variant_of, self.nearest_of(kind, &name.text)) {
                    (Some(input), _) => d.with_help(format!(
                        "`{v}` is a variant of `{i}`, not an input: to test several variants write `{i} in {{ …, {v} }}`",
                        v = name.text,
                        i = input.name
                    )),
                    (None, Some(n)) => d.with_help(format!("did you mean `{n}`?")),
                    (None, None) => d.with_help(format!("declare it with `{} {}`", kind.noun(), name.text)),
                };
                self.report(d);
                None
            }
        }
    }

    fn nearest_of(&self, kind: Kind, name: &str) -> Option<String> {
        nearest(name, self.names.iter().filter(|(_, (k, _, _))| *k == kind).map(|(n, _)| n.as_str())).map(str::to_string)
    }

    fn flow(&mut self, d: &ast::FlowDecl) -> Flow {
        let mut step_ids: HashMap<&str, usize> = HashMap::default();
        let mut steps_ast: Vec<&ast::Step> = Vec::new();
        for s in &d.steps {
            if let Some(&first) = step_ids.get(&*s.name.text) {
                let first_span = steps_ast[first].name.span;
                self.report(
                    Diagnostic::new(
                        Code::DuplicateDefinition,
                        s.name.span,
                        format!("step `{}` is defined more than once in flow `{}`", s.name.text, d.name.text),
                    )
                    .with_label(first_span, "first defined here"),
                );
                continue;
            }
            step_ids.insert(&s.name.text, steps_ast.len());
            steps_ast.push(s);
        }
        let start = match step_ids.get(&*d.start.text) {
            Some(&s) => s,
            None => {
                let near = nearest(&d.start.text, step_ids.keys().copied());
                let mut diag = Diagnostic::new(Code::UndefinedName, d.start.span, format!("no step `{}` in flow `{}`", d.start.text, d.name.text));
                if let Some(n) = near {
                    diag = diag.with_help(format!("did you mean `{n}`?"));
                }
                self.report(diag);
                0
            }
        };
        let mut steps = Vec::new();
        for s in &steps_ast {
            let branches = self.branches(&s.branches, Some((&step_ids, &d.name.text)));
            let within_seconds = s.within.as_ref().and_then(|(dur, _)| dur.as_ref().map(|d| d.seconds));
            if let Some((None, span)) = &s.within {
                self.report(Diagnostic::new(Code::TypeMismatch, *span, "duration does not fit in 64 bits"));
            }
            if s.within.is_none() {
                if let Some(b) = s.branches.iter().find(|b| matches!(b.kind, ast::BranchKind::Timeout)) {
                    self.report(
                        Diagnostic::new(Code::InvalidTarget, b.keyword, format!("`timeout` in step `{}`, which has no time limit", s.name.text))
                            .with_label(s.name.span, "this step has no `within`")
                            .with_help(format!("add `within DURATION` to step `{}` or remove the `timeout` route", s.name.text)),
                    );
                }
            }
            steps.push(Step {
                name: s.name.text.to_string(),
                name_span: s.name.span,
                title: s.title.clone(),
                within_seconds,
                within_text: s.within.as_ref().and_then(|(d, _)| d.as_ref().map(|d| d.text.clone())),
                instructions: s.instructions.clone(),
                decision: Decision { first: s.first, branches },
                span: s.span,
                doc: s.doc.clone(),
            });
        }
        if steps.is_empty() {
            self.out.broken = true;
        }
        Flow { name: d.name.text.to_string(), name_span: d.name.span, start, steps, span: d.span, doc: d.doc.clone(), ok: !self.out.broken }
    }

    /// Branches of a table (`steps == None`) or of a step of a flow.
    fn branches(&mut self, branches: &[ast::Branch], steps: Option<(&HashMap<&str, usize>, &str)>) -> Vec<Branch> {
        let mut out = Vec::with_capacity(branches.len());
        for b in branches {
            let kind = match &b.kind {
                ast::BranchKind::When(c) => match self.cond(c) {
                    Some(c) => BranchKind::When(c),
                    None => BranchKind::When(Cond::Const(false)),
                },
                ast::BranchKind::Otherwise => BranchKind::Otherwise,
                ast::BranchKind::Timeout => {
                    if steps.is_none() {
                        self.report(
                            Diagnostic::new(Code::InvalidTarget, b.keyword, "`timeout` in a table")
                                .with_help("tables decide at once; put time limits on the steps of a flow"),
                        );
                    }
                    BranchKind::Timeout
                }
            };
            if let Some(target) = self.target(&b.target, steps) {
                out.push(Branch { kind, target, span: b.span, keyword: b.keyword, doc: b.doc.clone(), cond_text: b.cond_text.clone() });
            } else {
                self.out.broken = true;
            }
        }
        out
    }

    fn target(&mut self, t: &ast::Target, steps: Option<(&HashMap<&str, usize>, &str)>) -> Option<Target> {
        let mut links = Vec::with_capacity(t.links.len());
        let mut ok = true;
        for link in &t.links {
            match link {
                ast::Link::Escalate(n) => match self.lookup(Kind::Team, n, true) {
                    Some(t) => links.push(Link::Escalate(t)),
                    None => ok = false,
                },
                ast::Link::Do(n) => match self.lookup(Kind::Action, n, true) {
                    Some(a) => links.push(Link::Do(a)),
                    None => ok = false,
                },
            }
        }
        let end_span = t.end.name().span;
        let end = match (&t.end, steps) {
            (ast::TargetEnd::Outcome(n), _) => self.lookup(Kind::Outcome, n, true).map(End::Outcome),
            (ast::TargetEnd::Escalate(n), _) => self.lookup(Kind::Team, n, true).map(End::Escalate),
            (ast::TargetEnd::Table(n), Some(_)) => self.lookup(Kind::Table, n, true).map(End::Table),
            (ast::TargetEnd::Table(n), None) => {
                self.report(
                    Diagnostic::new(Code::InvalidTarget, t.span, format!("a table cannot delegate to table `{}`", n.text))
                        .with_help("tables end in an outcome, an escalation or an action chain; delegate from a flow step instead"),
                );
                None
            }
            (ast::TargetEnd::Step(n), None) => {
                let mut d = Diagnostic::new(Code::InvalidTarget, n.span, format!("a table cannot route to step `{}`", n.text))
                    .with_help("a table's targets are `outcome NAME`, `escalate TEAM` or `do ACTION -> …`");
                if let Some((Kind::Outcome, _, _)) = self.names.get(&*n.text) {
                    d = d.with_help(format!("did you mean `outcome {}`?", n.text));
                }
                self.report(d);
                None
            }
            (ast::TargetEnd::Step(n), Some((ids, flow))) => match ids.get(&*n.text) {
                Some(&s) => Some(End::Step(s)),
                None => {
                    let mut d = Diagnostic::new(Code::UndefinedName, n.span, format!("no step `{}` in flow `{}`", n.text, flow));
                    d = match self.names.get(&*n.text) {
                        Some((k @ (Kind::Outcome | Kind::Table), _, _)) => d.with_help(format!("did you mean `{} {}`?", k.noun(), n.text)),
                        Some((Kind::Team, _, _)) => d.with_help(format!("did you mean `escalate {}`?", n.text)),
                        _ => match nearest(&n.text, ids.keys().copied()) {
                            Some(near) => d.with_help(format!("did you mean `{near}`?")),
                            None => d,
                        },
                    };
                    self.report(d);
                    None
                }
            },
        };
        let end = end?;
        ok.then_some(Target { links, end, span: t.span, end_span })
    }

    /// An input a condition reads, with its type; `None` when it is not
    /// declared, or its type is not (reported at the type): then there is
    /// nothing to check against, and nothing to analyse.
    fn typed_input(&mut self, name: &ast::Name) -> Option<(InputId, Type)> {
        let input = self.lookup(Kind::Input, name, true)?;
        if !self.program.inputs[input].typed {
            self.out.broken = true;
            return None;
        }
        Some((input, self.program.inputs[input].ty))
    }

    /// Resolves and type-checks a condition; `None` after a finding.
    fn cond(&mut self, c: &ast::Cond) -> Option<Cond> {
        match &c.kind {
            CondKind::Or(cs) | CondKind::And(cs) => {
                let mut parts = Vec::with_capacity(cs.len());
                let mut ok = true;
                for part in cs {
                    match self.cond(part) {
                        Some(p) => parts.push(p),
                        None => ok = false,
                    }
                }
                ok.then_some(())?;
                Some(if matches!(c.kind, CondKind::Or(_)) { Cond::Or(parts) } else { Cond::And(parts) })
            }
            CondKind::Not(inner) => self.cond(inner).map(|i| Cond::Not(Box::new(i))),
            CondKind::Const(b) => Some(Cond::Const(*b)),
            CondKind::Input(name) => {
                let (input, ty) = self.typed_input(name)?;
                if ty != Type::Bool {
                    self.report(
                        Diagnostic::new(Code::TypeMismatch, c.span, format!("`{}` is {}, not a bool", name.text, self.type_name(ty)))
                            .with_help(format!("compare it with a value, e.g. `{} == …`", name.text)),
                    );
                    return None;
                }
                Some(Cond::Atom(Atom { input, pred: Pred::BoolIs(true), span: c.span }))
            }
            CondKind::Compare { input: name, op, value } => {
                let (input, ty) = self.typed_input(name)?;
                let ordered = matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge);
                if ordered && !matches!(ty, Type::Int { .. } | Type::Duration) {
                    self.report(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            c.span,
                            format!("`{}` applies to ints and durations, and `{}` is {}", op.as_str(), name.text, self.type_name(ty)),
                        )
                        .with_help("use `==`, `!=` or `in { … }`"),
                    );
                    return None;
                }
                let negated = *op == CmpOp::Ne;
                let pred = match ty {
                    Type::Bool => Pred::BoolIs(self.bool_value(name, value, c.span)? != negated),
                    Type::Int { .. } | Type::Duration => Pred::Cmp(*op, self.num_value(name, ty, value, c.span)?),
                    Type::String => Pred::StrIn(vec![self.str_value(name, value, c.span)?], negated),
                    Type::Enum(e) => Pred::EnumIn(vec![self.variant_value(name, e, value, c.span)?], negated),
                };
                Some(Cond::Atom(Atom { input, pred, span: c.span }))
            }
            CondKind::In { input: name, negated, values } => {
                let (input, ty) = self.typed_input(name)?;
                let mut ok = true;
                let pred = match ty {
                    Type::Bool => {
                        let mut set = [false, false];
                        for v in values {
                            match self.bool_value(name, v, c.span) {
                                Some(b) => set[b as usize] = true,
                                None => ok = false,
                            }
                        }
                        let allowed: Vec<bool> = [false, true].into_iter().filter(|b| set[*b as usize] != *negated).collect();
                        match allowed.as_slice() {
                            [b] => Pred::BoolIs(*b),
                            [] => return ok.then_some(Cond::Const(false)),
                            _ => return ok.then_some(Cond::Const(true)),
                        }
                    }
                    Type::Int { .. } | Type::Duration => {
                        let nums = values
                            .iter()
                            .filter_map(|v| {
                                self.num_value(name, ty, v, c.span).or_else(|| {
                                    ok = false;
                                    None
                                })
                            })
                            .collect();
                        Pred::NumIn(nums, *negated)
                    }
                    Type::String => {
                        let strs = values
                            .iter()
                            .filter_map(|v| {
                                self.str_value(name, v, c.span).or_else(|| {
                                    ok = false;
                                    None
                                })
                            })
                            .collect();
                        Pred::StrIn(strs, *negated)
                    }
                    Type::Enum(e) => {
                        let vs = values
                            .iter()
                            .filter_map(|v| {
                                self.variant_value(name, e, v, c.span).or_else(|| {
                                    ok = false;
                                    None
                                })
                            })
                            .collect();
                        Pred::EnumIn(vs, *negated)
                    }
                };
                ok.then_some(Cond::Atom(Atom { input, pred, span: c.span }))
            }
        }
    }

    fn type_name(&self, ty: Type) -> String {
        match ty {
            Type::Bool => "a bool".into(),
            Type::Int { .. } => "an int".into(),
            Type::Duration => "a duration".into(),
            Type::String => "a string".into(),
            Type::Enum(e) => format!("an enum of `{}`", self.program.enums[e].name),
        }
    }

    fn mismatch(&mut self, name: &ast::Name, value: &ast::Literal, cmp: Span, expected: &str) -> Option<std::convert::Infallible> {
        let input = self.program.input_by_name(&name.text);
        let ty = input.map(|i| self.type_name(self.program.inputs[i].ty)).unwrap_or_default();
        let shown = match &value.kind {
            LiteralKind::Int(_) => "a number".to_string(),
            LiteralKind::Duration(_) => "a duration".to_string(),
            LiteralKind::Str(_) => "a string".to_string(),
            LiteralKind::Bool(_) => "a bool".to_string(),
            LiteralKind::Name(n) => format!("`{n}`"),
        };
        self.report(
            Diagnostic::new(Code::TypeMismatch, cmp, format!("`{}` is {ty} and cannot be compared with {shown}", name.text))
                .with_label(value.span, format!("expected {expected}")),
        );
        None
    }

    fn bool_value(&mut self, name: &ast::Name, v: &ast::Literal, cmp: Span) -> Option<bool> {
        match v.kind {
            LiteralKind::Bool(b) => Some(b),
            _ => self.mismatch(name, v, cmp, "`true` or `false`").map(|_| false),
        }
    }

    fn num_value(&mut self, name: &ast::Name, ty: Type, v: &ast::Literal, cmp: Span) -> Option<i64> {
        match (&v.kind, ty) {
            (LiteralKind::Int(Some(n)), Type::Int { .. }) => Some(*n),
            (LiteralKind::Int(None), _) | (LiteralKind::Duration(None), _) => {
                self.report(Diagnostic::new(Code::TypeMismatch, v.span, "number does not fit in 64 bits"));
                None
            }
            (LiteralKind::Duration(Some(d)), Type::Duration) => Some(d.seconds),
            (_, Type::Duration) => self.mismatch(name, v, cmp, "a duration such as `24h`").map(|_| 0),
            _ => self.mismatch(name, v, cmp, "a whole number").map(|_| 0),
        }
    }

    fn str_value(&mut self, name: &ast::Name, v: &ast::Literal, cmp: Span) -> Option<String> {
        match &v.kind {
            LiteralKind::Str(s) => {
                if !self.out.strings.contains(s) {
                    self.out.strings.push(s.clone());
                }
                Some(s.clone())
            }
            _ => self.mismatch(name, v, cmp, "a quoted string").map(|_| String::new()),
        }
    }

    fn variant_value(&mut self, name: &ast::Name, e: EnumId, v: &ast::Literal, cmp: Span) -> Option<u32> {
        match &v.kind {
            LiteralKind::Name(n) => {
                let variants = &self.program.enums[e].variants;
                let found = match self.variants.get(e) {
                    Some(index) => index.get(n).copied(),
                    None => variants.iter().position(|x| **x == **n).map(|i| i as u32),
                };
                if let Some(i) = found {
                    return Some(i);
                }
                let near = nearest(n, variants.iter().map(String::as_str))
                    .or_else(|| variants.iter().min_by_key(|x| strsim::damerau_levenshtein(n, x)).map(String::as_str));
                let mut d = Diagnostic::new(Code::UnknownVariant, v.span, format!("`{n}` is not a variant of `{}`", self.program.enums[e].name))
                    .with_label(self.program.enums[e].span, "variants declared here");
                if let Some(near) = near {
                    d = d.with_help(format!("did you mean `{near}`?"));
                }
                self.report(d);
                None
            }
            LiteralKind::Str(s) => {
                // A variant written as a string: drop the quotes.
                let variants = self.program.enums[e].variants.join(", ");
                let d = Diagnostic::new(Code::TypeMismatch, cmp, format!("`{}` is an enum: its values are variants, not strings", name.text))
                    .with_label(v.span, "a string")
                    .with_help(if self.program.enums[e].variants.iter().any(|x| x == s) {
                        format!("drop the quotes: `{} == {s}` (the variants: {variants})", name.text)
                    } else {
                        format!("write a variant without quotes; the variants: {variants}")
                    });
                self.report(d);
                None
            }
            _ => self.mismatch(name, v, cmp, "a variant").map(|_| 0),
        }
    }

    fn test(&mut self, t: &ast::TestDecl) -> Test {
        let run = if t.run.is_table {
            self.lookup(Kind::Table, &t.run.name, false).map(RunTarget::Table)
        } else {
            self.lookup(Kind::Flow, &t.run.name, false).map(RunTarget::Flow)
        };
        for (key, _) in &t.given {
            self.lookup(Kind::Input, key, false);
        }
        let mut test = Test {
            name: t.name.clone(),
            span: t.span,
            name_span: t.name_span,
            run,
            given: t
                .given
                .iter()
                .map(|(k, v)| {
                    let typed = match self.program.input_by_name(&k.text) {
                        Some(id) => self.program.typed_value(id, crate::testing::raw_literal(v)).map(|value| (id, value)),
                        None => Err(format!("`{}` is not an input", k.text)),
                    };
                    crate::model::Given { name: k.text.to_string(), span: k.span, value: typed }
                })
                .collect(),
            timeouts: t.timeouts.iter().map(|n| (n.text.to_string(), n.span)).collect(),
            expect_outcome: None,
            expect_escalate: None,
            expect_path: None,
            expect_within: None,
        };
        let flow_steps: Vec<String> = match run {
            Some(RunTarget::Flow(f)) => self.program.flows.get(f).map(|f| f.steps.iter().map(|s| s.name.clone()).collect()).unwrap_or_default(),
            _ => Vec::new(),
        };
        for s in &t.timeouts {
            match run {
                Some(RunTarget::Flow(_)) if !flow_steps.iter().any(|f| **f == *s.text) => {
                    self.report(Diagnostic::new(Code::UndefinedName, s.span, format!("no step `{}` in flow `{}`", s.text, t.run.name.text)));
                }
                Some(RunTarget::Table(_)) => {
                    self.report(
                        Diagnostic::new(Code::InvalidTarget, s.span, "a table has no steps to time out")
                            .with_help("`timeout STEP` names steps of the flow the test runs"),
                    );
                }
                _ => {}
            }
        }
        for e in &t.expects {
            match e {
                ast::Expect::Outcome(n) => test.expect_outcome = self.lookup(Kind::Outcome, n, false),
                ast::Expect::Escalate(n) => test.expect_escalate = self.lookup(Kind::Team, n, false),
                ast::Expect::Path(steps) => {
                    for s in steps {
                        if !flow_steps.iter().any(|f| **f == *s.text) && matches!(run, Some(RunTarget::Flow(_))) {
                            self.report(Diagnostic::new(Code::UndefinedName, s.span, format!("no step `{}` in flow `{}`", s.text, t.run.name.text)));
                        }
                    }
                    test.expect_path = Some(steps.iter().map(|s| s.text.to_string()).collect());
                }
                ast::Expect::Within(d, _) => test.expect_within = d.as_ref().map(|d| d.seconds),
            }
        }
        test
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
