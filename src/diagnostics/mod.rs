//! Diagnostics: the codes of the contract, their levels, and the finding
//! type every stage produces. Rendering lives in `render`.

pub mod code;
pub mod suppress;

pub use code::{Code, Level};

use crate::source::Span;

/// A secondary location with a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A witness case: input values keyed by dotted input name, in declaration order.
pub type Witness = serde_json::Map<String, serde_json::Value>;

/// One finding. `level` is the default level until `config` applies the
/// project's levels and `suppress` the suppression comments.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub level: Level,
    pub message: String,
    pub span: Span,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub witness: Option<Witness>,
    pub path: Option<Vec<String>>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, level: code.default_level(), message: message.into(), span, labels: Vec::new(), help: None, witness: None, path: None }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into() });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// Sorts by file, position, then code: the stable order of every report.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| (a.span.file, a.span.start, a.span.end, a.code.as_str()).cmp(&(b.span.file, b.span.start, b.span.end, b.code.as_str())));
}
