//! Stage 1: source text to AST. The parser never panics: it returns an AST
//! or one syntax error per file.

pub mod ast;
pub mod errors;
pub mod parser;
pub mod trivia;

pub use errors::SyntaxError;
pub use parser::parse_file;
