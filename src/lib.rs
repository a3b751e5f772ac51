//! SOPflow: a policy-as-code compiler and linter for moderation SOPs.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! `project` (files) → `syntax` (pest → AST) → `resolve` (names, types →
//! `model`) → `ir` (petgraph) → `analysis` (condition domain, reaching sets)
//! → `lints` → `diagnostics` → `render` / `eval`. `check` runs them in order;
//! `cli` is the only module that prints.

extern crate alloc; // pest_derive without `std` names `alloc::`
pub mod analysis;
pub mod backtest;
pub mod cases;
pub mod check;
pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod diff;
pub mod doc;
pub mod eval;
pub mod export;
pub mod fmt;
pub mod fuzzing;
pub mod ir;
pub mod lints;
pub mod lsp;
pub mod model;
pub mod project;
pub mod render;
pub mod resolve;
pub mod source;
pub mod syntax;
pub mod testing;

pub use syntax::ast;
