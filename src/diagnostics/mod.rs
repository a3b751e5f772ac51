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

/// A witness case: the inputs it sets, by dotted name in name order,
/// and the steps whose timeout fires on its route, in path order. Typed:
/// the renderers and the language server write it as JSON (an object of
/// input values, with `"@timeouts"`) or as a test's `given` block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Witness {
    pub values: Vec<(String, WitnessValue)>,
    pub timeouts: Vec<String>,
}

/// One input's value in a witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WitnessValue {
    Bool(bool),
    Int(i64),
    /// A duration, in seconds.
    Duration(i64),
    Variant(String),
    Str(String),
}

/// The key of a case's timeouts in JSON (no input name starts with `@`).
pub const TIMEOUTS_KEY: &str = "@timeouts";

impl WitnessValue {
    /// The value as JSON, per the contract (durations in source syntax).
    pub fn json(&self) -> serde_json::Value {
        match self {
            WitnessValue::Bool(b) => serde_json::Value::Bool(*b),
            WitnessValue::Int(n) => serde_json::Value::from(*n),
            WitnessValue::Duration(n) => serde_json::Value::String(crate::source::Duration::format_seconds(*n)),
            WitnessValue::Variant(s) | WitnessValue::Str(s) => serde_json::Value::String(s.clone()),
        }
    }

    /// The value as a literal of the language, as a test's `given` writes it.
    pub fn literal(&self) -> String {
        match self {
            WitnessValue::Bool(b) => b.to_string(),
            WitnessValue::Int(n) => n.to_string(),
            WitnessValue::Duration(n) => crate::source::Duration::format_seconds(*n),
            WitnessValue::Variant(s) => s.clone(),
            WitnessValue::Str(s) => crate::syntax::lexical::quote(s),
        }
    }
}

impl serde::Serialize for Witness {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.values.len() + usize::from(!self.timeouts.is_empty())))?;
        for (name, value) in &self.values {
            map.serialize_entry(name, &value.json())?;
        }
        if !self.timeouts.is_empty() {
            map.serialize_entry(TIMEOUTS_KEY, &self.timeouts)?;
        }
        map.end()
    }
}

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
