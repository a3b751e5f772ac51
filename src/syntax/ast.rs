//! The abstract syntax tree. Every name, reference, condition and target
//! keeps its span; declarations, steps and branches keep their doc comment.

use crate::source::{Duration, Span};

/// An interned name: one copy of each distinct text for the whole process
/// (`ustr`'s global cache, never freed: the distinct names of a project are
/// few), so that a name in the tree is a pointer, copied and compared
/// without allocating (names are interned). It reads as the
/// `str` it stands for, and prints as one (`Debug` too).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sym(ustr::Ustr);

thread_local! {
    /// Each thread's names interned last, by a cheap slot of their text:
    /// the few inputs and outcomes a project's conditions name over and over
    /// are found here without hashing the text and taking the global
    /// cache's lock, which both threads wanted for the same names.
    static RECENT: [std::cell::Cell<Option<ustr::Ustr>>; 64] = const { [const { std::cell::Cell::new(None) }; 64] };
}

impl Sym {
    pub fn new(text: &str) -> Sym {
        let b = text.as_bytes();
        let Some((&first, &last)) = b.first().zip(b.last()) else {
            return Sym(ustr::Ustr::from(text));
        };
        let slot = (usize::from(first) * 31 + usize::from(last) * 7 + usize::from(b[b.len() / 2]) + b.len() * 13) % 64;
        RECENT.with(|recent| {
            let cell = &recent[slot];
            match cell.get() {
                Some(u) if u.as_str() == text => Sym(u),
                _ => {
                    let u = ustr::Ustr::from(text);
                    cell.set(Some(u));
                    Sym(u)
                }
            }
        })
    }

    pub fn as_str(&self) -> &'static str {
        self.0.as_str()
    }
}

impl std::ops::Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl From<&str> for Sym {
    fn from(text: &str) -> Sym {
        Sym::new(text)
    }
}

impl std::fmt::Debug for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Sym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: Sym,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Enum(EnumDecl),
    Input(InputDecl),
    Team(TeamDecl),
    Action(ActionDecl),
    Outcome(OutcomeDecl),
    Require(RequireDecl),
    Resolution(ResolutionDecl),
    Table(TableDecl),
    Flow(FlowDecl),
    Test(TestDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Enum(d) => d.span,
            Item::Input(d) => d.span,
            Item::Team(d) => d.span,
            Item::Action(d) => d.span,
            Item::Outcome(d) => d.span,
            Item::Require(d) => d.span,
            Item::Resolution(d) => d.span,
            Item::Table(d) => d.span,
            Item::Flow(d) => d.span,
            Item::Test(d) => d.span,
        }
    }
}

#[derive(Clone, Debug)]
pub struct EnumDecl {
    pub name: Name,
    pub variants: Vec<Name>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct InputDecl {
    pub name: Name,
    pub ty: TypeExpr,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum TypeExprKind {
    Bool,
    Int,
    /// `int in LO to HI`; `None` ends did not fit in 64 bits.
    IntRange(Option<i64>, Option<i64>),
    Duration,
    String,
    InlineEnum(Vec<Name>),
    Named(Name),
}

#[derive(Clone, Debug)]
pub struct TeamDecl {
    pub name: Name,
    pub sla: Option<(Option<Duration>, Span)>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ActionDecl {
    pub name: Name,
    pub description: Option<String>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeverityLevel {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityLevel {
    /// The level as the language writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            SeverityLevel::None => "none",
            SeverityLevel::Low => "low",
            SeverityLevel::Medium => "medium",
            SeverityLevel::High => "high",
            SeverityLevel::Critical => "critical",
        }
    }
}

#[derive(Clone, Debug)]
pub struct OutcomeDecl {
    pub name: Name,
    pub severity: SeverityLevel,
    /// `requires escalation [to TEAM]`, with the span of the clause.
    pub requires: Option<(Option<Name>, Span)>,
    pub span: Span,
    pub doc: Option<String>,
}

/// `require resolution within DURATION in FLOW [when CONDITION]`.
#[derive(Clone, Debug)]
pub struct ResolutionDecl {
    pub within: (Option<Duration>, Span),
    pub flow: Name,
    pub condition: Option<Cond>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct RequireDecl {
    pub team: Name,
    pub condition: Cond,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct TableDecl {
    pub name: Name,
    pub first: bool,
    pub branches: Vec<Branch>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct FlowDecl {
    pub name: Name,
    pub start: Name,
    pub steps: Vec<Step>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub name: Name,
    pub title: Option<String>,
    pub first: bool,
    pub within: Option<(Option<Duration>, Span)>,
    pub instructions: Vec<String>,
    pub branches: Vec<Branch>,
    pub span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Branch {
    pub kind: BranchKind,
    /// The `when`, `otherwise` or `timeout` keyword.
    pub keyword: Span,
    pub target: Target,
    pub span: Span,
    pub doc: Option<String>,
    /// The condition as written (whitespace folded), for messages and exports.
    pub cond_text: Option<std::sync::Arc<str>>,
}

#[derive(Clone, Debug)]
pub enum BranchKind {
    When(Cond),
    Otherwise,
    Timeout,
}

#[derive(Clone, Debug)]
pub struct Target {
    pub links: Vec<Link>,
    pub end: TargetEnd,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum Link {
    Escalate(Name),
    Do(Name),
}

#[derive(Clone, Debug)]
pub enum TargetEnd {
    Outcome(Name),
    Escalate(Name),
    Table(Name),
    Step(Name),
}

impl TargetEnd {
    pub fn name(&self) -> &Name {
        match self {
            TargetEnd::Outcome(n) | TargetEnd::Escalate(n) | TargetEnd::Table(n) | TargetEnd::Step(n) => n,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Cond {
    pub kind: CondKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CmpOp {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Debug)]
pub enum CondKind {
    Or(Vec<Cond>),
    And(Vec<Cond>),
    Not(Box<Cond>),
    Const(bool),
    /// A bool input is true.
    Input(Name),
    Compare {
        input: Name,
        op: CmpOp,
        value: Literal,
    },
    In {
        input: Name,
        negated: bool,
        values: Vec<Literal>,
    },
}

#[derive(Clone, Debug)]
pub struct Literal {
    pub kind: LiteralKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiteralKind {
    /// `None` when the literal does not fit in 64 bits.
    Int(Option<i64>),
    Duration(Option<Duration>),
    Str(String),
    Bool(bool),
    /// A bare name: an enum variant.
    Name(Sym),
}

#[derive(Clone, Debug)]
pub struct TestDecl {
    pub name: String,
    pub name_span: Span,
    pub run: RunTarget,
    pub given: Vec<(Name, Literal)>,
    /// `timeout STEP, …`: the steps whose timeout fires, in path order.
    pub timeouts: Vec<Name>,
    pub expects: Vec<Expect>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct RunTarget {
    pub is_table: bool,
    pub name: Name,
}

#[derive(Clone, Debug)]
pub enum Expect {
    Outcome(Name),
    Escalate(Name),
    Path(Vec<Name>),
    /// `expect within 24h`: the run's worst-case time is at most this.
    Within(Option<Duration>, Span),
}

#[cfg(test)]
mod sym_tests {
    use super::Sym;

    /// Names that share a slot of the recent cache, asked for in turns, are
    /// each their own text; equal texts are one symbol.
    #[test]
    fn interned_names_are_their_text() {
        let texts: Vec<String> = (0..500).map(|i| format!("n{}", i % 97)).chain(["", "a", "é", "a.b", "ab", "ba"].map(String::from)).collect();
        for t in &texts {
            let s = Sym::new(t);
            assert_eq!(s.as_str(), t);
            assert_eq!(s, Sym::new(&t.clone()));
        }
        assert_ne!(Sym::new("ab"), Sym::new("ba"));
    }
}
