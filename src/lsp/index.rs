//! Every name of the project with what it refers to: declarations and
//! references, for definition, references, rename and hover.

use crate::ast::*;
use crate::model::{Program, Type};
use crate::source::Span;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// An input, enum, team, action, outcome, table or flow (one namespace).
    Global(String),
    /// A step of a flow.
    Step { flow: String, step: String },
    /// A variant of an enum (an inline enum is named after its input).
    Variant { enumeration: String, variant: String },
}

#[derive(Clone, Debug)]
pub struct Occurrence {
    pub span: Span,
    pub symbol: Symbol,
    pub declaration: bool,
}

#[derive(Default)]
pub struct Index {
    pub occurrences: Vec<Occurrence>,
}

impl Index {
    pub fn build(files: &[(crate::source::FileId, File)], program: &Program) -> Index {
        let mut ix = Index::default();
        for (_, file) in files {
            for item in &file.items {
                ix.item(item, program);
            }
        }
        ix.occurrences.sort_by_key(|o| (o.span.file, o.span.start));
        ix
    }

    /// The occurrence under a byte offset of a file.
    pub fn at(&self, file: crate::source::FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.span.file == file && (o.span.start as usize) <= offset && offset <= o.span.end as usize)
            .min_by_key(|o| o.span.end - o.span.start)
    }

    pub fn declaration(&self, symbol: &Symbol) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| o.declaration && &o.symbol == symbol)
    }

    pub fn references<'a>(&'a self, symbol: &'a Symbol) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences.iter().filter(move |o| &o.symbol == symbol)
    }

    fn add(&mut self, name: &Name, symbol: Symbol, declaration: bool) {
        self.occurrences.push(Occurrence { span: name.span, symbol, declaration });
    }

    fn global(&mut self, name: &Name, declaration: bool) {
        self.add(name, Symbol::Global(name.text.to_string()), declaration);
    }

    /// The enum an input's values come from.
    fn enum_of(program: &Program, input: &str) -> Option<String> {
        let i = program.input_by_name(input)?;
        match program.inputs[i].ty {
            Type::Enum(e) => Some(program.enums[e].name.clone()),
            _ => None,
        }
    }

    fn value(&mut self, program: &Program, input: &Name, value: &Literal) {
        if let (LiteralKind::Name(v), Some(e)) = (&value.kind, Self::enum_of(program, &input.text)) {
            self.occurrences.push(Occurrence { span: value.span, symbol: Symbol::Variant { enumeration: e, variant: v.to_string() }, declaration: false });
        }
    }

    fn cond(&mut self, c: &Cond, program: &Program) {
        // An explicit stack: conditions may nest deeply.
        let mut stack = vec![c];
        while let Some(c) = stack.pop() {
            match &c.kind {
                CondKind::Or(cs) | CondKind::And(cs) => stack.extend(cs.iter()),
                CondKind::Not(inner) => stack.push(inner),
                CondKind::Const(_) => {}
                CondKind::Input(n) => self.global(n, false),
                CondKind::Compare { input, value, .. } => {
                    self.global(input, false);
                    self.value(program, input, value);
                }
                CondKind::In { input, values, .. } => {
                    self.global(input, false);
                    for v in values {
                        self.value(program, input, v);
                    }
                }
            }
        }
    }

    fn target(&mut self, t: &Target, flow: Option<&str>) {
        for l in &t.links {
            match l {
                Link::Escalate(n) | Link::Do(n) => self.global(n, false),
            }
        }
        match &t.end {
            TargetEnd::Outcome(n) | TargetEnd::Escalate(n) | TargetEnd::Table(n) => self.global(n, false),
            TargetEnd::Step(n) => {
                if let Some(f) = flow {
                    self.add(n, Symbol::Step { flow: f.to_string(), step: n.text.to_string() }, false);
                }
            }
        }
    }

    fn branches(&mut self, branches: &[Branch], flow: Option<&str>, program: &Program) {
        for b in branches {
            if let BranchKind::When(c) = &b.kind {
                self.cond(c, program);
            }
            self.target(&b.target, flow);
        }
    }

    fn item(&mut self, item: &Item, program: &Program) {
        match item {
            Item::Enum(d) => {
                self.global(&d.name, true);
                for v in &d.variants {
                    self.add(v, Symbol::Variant { enumeration: d.name.text.to_string(), variant: v.text.to_string() }, true);
                }
            }
            Item::Input(d) => {
                self.global(&d.name, true);
                match &d.ty.kind {
                    TypeExprKind::Named(n) => self.global(n, false),
                    TypeExprKind::InlineEnum(vs) => {
                        for v in vs {
                            self.add(v, Symbol::Variant { enumeration: d.name.text.to_string(), variant: v.text.to_string() }, true);
                        }
                    }
                    _ => {}
                }
            }
            Item::Team(d) => self.global(&d.name, true),
            Item::Action(d) => self.global(&d.name, true),
            Item::Outcome(d) => {
                self.global(&d.name, true);
                if let Some((Some(team), _)) = &d.requires {
                    self.global(team, false);
                }
            }
            Item::Require(d) => {
                self.global(&d.team, false);
                self.cond(&d.condition, program);
            }
            Item::Resolution(d) => {
                self.global(&d.flow, false);
                if let Some(c) = &d.condition {
                    self.cond(c, program);
                }
            }
            Item::Table(d) => {
                self.global(&d.name, true);
                self.branches(&d.branches, None, program);
            }
            Item::Flow(d) => {
                self.global(&d.name, true);
                let flow = &*d.name.text;
                self.add(&d.start, Symbol::Step { flow: flow.into(), step: d.start.text.to_string() }, false);
                for s in &d.steps {
                    self.add(&s.name, Symbol::Step { flow: flow.into(), step: s.name.text.to_string() }, true);
                    self.branches(&s.branches, Some(flow), program);
                }
            }
            Item::Test(d) => {
                self.global(&d.run.name, false);
                for (k, v) in &d.given {
                    self.global(k, false);
                    self.value(program, k, v);
                }
                if !d.run.is_table {
                    for n in &d.timeouts {
                        self.add(n, Symbol::Step { flow: d.run.name.text.to_string(), step: n.text.to_string() }, false);
                    }
                }
                for e in &d.expects {
                    match e {
                        Expect::Outcome(n) | Expect::Escalate(n) => self.global(n, false),
                        Expect::Path(ns) if !d.run.is_table => {
                            for n in ns {
                                self.add(n, Symbol::Step { flow: d.run.name.text.to_string(), step: n.text.to_string() }, false);
                            }
                        }
                        Expect::Path(_) | Expect::Within(..) => {}
                    }
                }
            }
        }
    }
}
