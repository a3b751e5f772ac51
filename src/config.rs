//! `sopflow.toml`: per-project lint levels and the analysis budget.
//!
//! ```toml
//! [lints]
//! unused-declaration = "allow"   # allow | note | warn | error
//!
//! [analysis]
//! budget = 200000                # solver conflicts per flow or table
//! ```
//!
//! The file is looked for in the first given path and its parents, stopping
//! at the first folder that holds `.git`. Every mistake in it is an
//! `invalid-config` diagnostic at the key or value; the rest still applies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Code, Diagnostic, Level};
use crate::source::{FileId, Span};

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub levels: BTreeMap<Code, Level>,
    /// `[analysis] budget`: the solver's conflicts per flow or table.
    pub budget: Option<u64>,
}

impl Config {
    pub fn level(&self, code: Code) -> Level {
        self.levels.get(&code).copied().unwrap_or(code.default_level())
    }
}

/// Finds `sopflow.toml` for a project whose first path is `first`.
pub fn find(first: &Path) -> Option<PathBuf> {
    let start = if first.is_dir() { first.to_path_buf() } else { first.parent()?.to_path_buf() };
    let start = if start.as_os_str().is_empty() { PathBuf::from(".") } else { start };
    let mut dir = std::fs::canonicalize(&start).ok()?;
    loop {
        let candidate = dir.join("sopflow.toml");
        if candidate.is_file() {
            // Report it by the path the user gave, when it lies in that folder.
            let given = start.join("sopflow.toml");
            return Some(if given.is_file() && std::fs::canonicalize(&given).ok()? == candidate { given } else { candidate });
        }
        if dir.join(".git").exists() {
            return None;
        }
        dir = dir.parent()?.to_path_buf();
    }
}

/// Parses the text of `sopflow.toml` (file `file` of the source map).
pub fn parse(file: FileId, text: &str) -> (Config, Vec<Diagnostic>) {
    let mut config = Config::default();
    let mut diags = Vec::new();
    let span = |r: std::ops::Range<usize>| Span::new(file, r.start, r.end);
    let table = match DeTable::parse(text) {
        Ok(t) => t,
        Err(err) => {
            let r = err.span().unwrap_or(0..0);
            let message = err.message().lines().next().unwrap_or("invalid TOML").to_string();
            diags.push(Diagnostic::new(Code::InvalidConfig, span(r), format!("invalid TOML: {message}")));
            return (config, diags);
        }
    };
    for (key, value) in table.get_ref() {
        if key.get_ref().as_ref() == "analysis" {
            analysis(value, &span, &mut config, &mut diags);
            continue;
        }
        if key.get_ref().as_ref() != "lints" {
            diags.push(
                Diagnostic::new(Code::InvalidConfig, span(key.span()), format!("unknown table `{}`", key.get_ref()))
                    .with_help("`sopflow.toml` has two tables, `[lints]` and `[analysis]`"),
            );
            continue;
        }
        let DeValue::Table(lints) = value.get_ref() else {
            diags.push(Diagnostic::new(Code::InvalidConfig, span(value.span()), "`lints` must be a table of `code = \"level\"`"));
            continue;
        };
        for (name, level) in lints {
            let name_text = name.get_ref().as_ref();
            let Some(code) = Code::parse(name_text) else {
                let mut d = Diagnostic::new(Code::InvalidConfig, span(name.span()), format!("unknown lint code `{name_text}`"));
                if let Some(near) = crate::resolve::nearest(name_text, Code::ALL.iter().map(|c| c.as_str())) {
                    d = d.with_help(format!("did you mean `{near}`?"));
                } else {
                    d = d.with_help("`sopflow rules` lists every code");
                }
                diags.push(d);
                continue;
            };
            if !code.configurable() {
                diags.push(Diagnostic::new(Code::InvalidConfig, span(name.span()), format!("the level of `{code}` cannot be changed")));
                continue;
            }
            match level.get_ref() {
                DeValue::String(s) if Level::from_config(s).is_some() => {
                    config.levels.insert(code, Level::from_config(s).unwrap());
                }
                other => {
                    let shown = match other {
                        DeValue::String(s) => format!("`{s}`"),
                        _ => format!("`{}`", &text[level.span()]),
                    };
                    diags.push(
                        Diagnostic::new(Code::InvalidConfig, span(level.span()), format!("{shown} is not a lint level"))
                            .with_help("use \"allow\", \"note\", \"warn\" or \"error\""),
                    );
                }
            }
        }
    }
    (config, diags)
}

/// The `[analysis]` table: `budget`, a whole number of conflicts (0: no solver).
fn analysis(value: &toml::Spanned<DeValue<'_>>, span: &dyn Fn(std::ops::Range<usize>) -> Span, config: &mut Config, diags: &mut Vec<Diagnostic>) {
    let DeValue::Table(table) = value.get_ref() else {
        diags.push(Diagnostic::new(Code::InvalidConfig, span(value.span()), "`analysis` must be a table"));
        return;
    };
    for (name, v) in table {
        if name.get_ref().as_ref() != "budget" {
            diags.push(
                Diagnostic::new(Code::InvalidConfig, span(name.span()), format!("unknown key `{}` in `[analysis]`", name.get_ref()))
                    .with_help("`[analysis]` has one key, `budget` (solver conflicts per flow or table)"),
            );
            continue;
        }
        match v.get_ref() {
            DeValue::Integer(n) if n.as_str().replace('_', "").parse::<u64>().is_ok() => config.budget = n.as_str().replace('_', "").parse().ok(),
            _ => diags.push(
                Diagnostic::new(Code::InvalidConfig, span(v.span()), "`budget` must be a whole number of solver conflicts (0: no solver)")
                    .with_help(format!("the default is {}", crate::analysis::sat::DEFAULT_BUDGET)),
            ),
        }
    }
}
