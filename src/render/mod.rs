//! Renderers: a finished [`CheckResult`] to text. Renderers return strings;
//! only `cli` prints.

pub mod backtest;
pub mod diff;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod run;
pub mod sarif;

use crate::check::CheckResult;
use crate::diagnostics::Level;

/// `2 errors, 1 warning in 3 files` (plus suppressed findings, if any).
pub fn summary_line(result: &CheckResult) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line =
        format!("{}, {} in {}", plural(result.count(Level::Error), "error"), plural(result.count(Level::Warning), "warning"), plural(result.files, "file"));
    if result.count(Level::Note) > 0 {
        line.push_str(&format!(", {}", plural(result.count(Level::Note), "note")));
    }
    if result.suppressed > 0 {
        line.push_str(&format!(" ({} suppressed)", result.suppressed));
    }
    line
}
