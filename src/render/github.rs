//! `--format github`: one workflow command per finding, which GitHub Actions
//! shows as an annotation on the line:
//! `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=CODE::MESSAGE`.

use crate::check::CheckResult;
use crate::diagnostics::Level;

/// Escapes the message (data) of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (also `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(result: &CheckResult) -> String {
    let mut out = String::new();
    for d in &result.diagnostics {
        let loc = result.sources.location(d.span);
        let command = match d.level {
            Level::Error => "error",
            Level::Note => "notice",
            _ => "warning",
        };
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        if let Some(w) = &d.witness {
            message.push_str(&format!("\nwitness: {}", super::human::given_block(w)));
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&loc.file),
            loc.line,
            loc.column,
            loc.end_line,
            loc.end_column,
            escape_property(d.code.as_str()),
            escape_data(&message)
        ));
    }
    out
}
