//! The language features, each a function of the workspace and the request.

use lsp_types as lsp;

use super::convert::{offset, position, range};
use super::index::Symbol;
use super::state::Workspace;
use crate::analysis::domain::{AtomSet, CaseSet, SetView};
use crate::ast;
use crate::diagnostics::Code;
use crate::model::{End, Program, Requirement, Type};
use crate::source::Span;

fn location(ws: &Workspace, span: Span) -> lsp::Location {
    let file = ws.snapshot.result.sources.get(span.file);
    lsp::Location { uri: ws.uri(span.file), range: range(file, span) }
}

/// The symbol under the cursor.
fn symbol_at(ws: &Workspace, pos: &lsp::TextDocumentPositionParams) -> Option<Symbol> {
    let (id, file) = ws.file(&pos.text_document.uri)?;
    let at = offset(file, pos.position);
    ws.snapshot.index.at(id, at).map(|o| o.symbol.clone())
}

fn type_text(p: &Program, ty: Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::Int { lo: i64::MIN, hi: i64::MAX } => "int".into(),
        Type::Int { lo, hi } => format!("int in {lo} to {hi}"),
        Type::Duration => "duration".into(),
        Type::String => "string".into(),
        Type::Enum(e) => format!("{{ {} }}", p.enums[e].variants.join(", ")),
    }
}

/// A summary of the cases that reach a step: per input, the values every
/// route allows (the hull of the reaching set).
fn describe_reach(p: &Program, space: &crate::analysis::domain::Space, set: &CaseSet) -> String {
    if set.is_empty() {
        return "no case reaches this step".into();
    }
    let mut parts = Vec::new();
    for (i, input) in p.inputs.iter().enumerate() {
        let mut hull: Option<AtomSet> = None;
        let mut everywhere = true;
        for c in &set.cubes {
            match c.get(space, i) {
                Some(a) => hull = Some(hull.map_or_else(|| a.clone(), |h| h.union(&a))),
                None => everywhere = false,
            }
        }
        let (Some(h), true) = (hull, everywhere) else { continue };
        let text = match (space.describe(i, &h), input.ty) {
            (SetView::Variants(b), Type::Bool) => format!("{}", b[0] & 2 != 0),
            (SetView::Variants(b), Type::Enum(e)) => {
                let vs: Vec<&str> = p.enums[e].variants.iter().enumerate().filter(|(k, _)| b[k / 64] & (1 << (k % 64)) != 0).map(|(_, v)| v.as_str()).collect();
                format!("one of {}", vs.join(", "))
            }
            (SetView::Ints(iv), ty) => {
                let show = |n: i64| if ty == Type::Duration { crate::source::Duration::format_seconds(n) } else { n.to_string() };
                iv.iter().map(|(a, b)| if a == b { show(*a) } else { format!("{} to {}", show(*a), show(*b)) }).collect::<Vec<_>>().join(", ")
            }
            (SetView::Strs { values, negated }, _) => format!("{}{}", if negated { "none of " } else { "one of " }, values.join(", ")),
            _ => continue,
        };
        parts.push(format!("`{}`: {text}", input.name));
    }
    let approx = if set.approx { " (approximate)" } else { "" };
    if parts.is_empty() {
        format!("reached by every case that gets this far{approx}")
    } else {
        format!("reached by cases where {}{approx}", parts.join("; "))
    }
}

pub fn hover(ws: &mut Workspace, params: lsp::HoverParams) -> Option<lsp::Hover> {
    let symbol = symbol_at(ws, &params.text_document_position_params)?;
    let p = ws.snapshot.result.program.as_ref()?;
    let doc = |d: &Option<String>| d.as_ref().map(|d| format!("\n\n{d}")).unwrap_or_default();
    let text = match &symbol {
        Symbol::Global(name) => {
            if let Some(i) = p.inputs.iter().find(|i| &i.name == name) {
                format!("```sopflow\ninput {}: {}\n```{}", i.name, type_text(p, i.ty), doc(&i.doc))
            } else if let Some(o) = p.outcomes.iter().find(|o| &o.name == name) {
                let req = match o.requires {
                    None => String::new(),
                    Some(Requirement::Any) => " requires escalation".into(),
                    Some(Requirement::Team(t)) => format!(" requires escalation to {}", p.teams[t].name),
                };
                format!("```sopflow\noutcome {} {{ severity {}{req} }}\n```{}", o.name, serde_json::to_value(o.severity).ok()?.as_str()?, doc(&o.doc))
            } else if let Some(t) = p.teams.iter().find(|t| &t.name == name) {
                let sla = t.sla_seconds.map(|s| format!(" {{ sla {} }}", crate::source::Duration::format_seconds(s))).unwrap_or_default();
                format!("```sopflow\nteam {}{sla}\n```{}", t.name, doc(&t.doc))
            } else if let Some(a) = p.actions.iter().find(|a| &a.name == name) {
                format!("```sopflow\naction {}\n```\n\n{}{}", a.name, a.description.clone().unwrap_or_default(), doc(&a.doc))
            } else if let Some(e) = p.enums.iter().find(|e| &e.name == name) {
                format!("```sopflow\nenum {} {{ {} }}\n```", e.name, e.variants.join(", "))
            } else if let Some(t) = p.tables.iter().find(|t| &t.name == name) {
                format!(
                    "```sopflow\ntable {}{}\n```\n\n{} branches{}",
                    t.name,
                    if t.decision.first { " first" } else { "" },
                    t.decision.branches.len(),
                    doc(&t.doc)
                )
            } else if let Some(f) = p.flows.iter().find(|f| &f.name == name) {
                format!(
                    "```sopflow\nflow {}\n```\n\n{} steps, starting at `{}`{}",
                    f.name,
                    f.steps.len(),
                    f.steps.get(f.start).map_or("", |s| s.name.as_str()),
                    doc(&f.doc)
                )
            } else {
                return None;
            }
        }
        Symbol::Step { flow, step } => {
            let f = p.flows.iter().position(|x| &x.name == flow)?;
            let fl = &p.flows[f];
            let s = fl.steps.iter().position(|x| &x.name == step)?;
            let st = &fl.steps[s];
            let mut text = format!("```sopflow\nstep {}{}\n```", st.name, st.title.as_ref().map(|t| format!(" \"{t}\"")).unwrap_or_default());
            if let Some(w) = &st.within_text {
                text.push_str(&format!("\n\nwithin {w}"));
            }
            for i in &st.instructions {
                text.push_str(&format!("\n\n> {i}"));
            }
            text.push_str(&doc(&st.doc));
            if fl.ok {
                let analysis = crate::analysis::Analysis::for_flows(p);
                let facts = analysis.flow_facts(f);
                if facts.order.is_some() {
                    text.push_str(&format!("\n\n{}", describe_reach(p, &analysis.space, &facts.reach[s])));
                }
            }
            text
        }
        Symbol::Variant { enumeration, variant } => format!("```sopflow\n{variant}\n```\n\na variant of `{enumeration}`"),
    };
    Some(lsp::Hover { contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: text }), range: None })
}

pub fn definition(ws: &mut Workspace, params: lsp::GotoDefinitionParams) -> Option<lsp::GotoDefinitionResponse> {
    let symbol = symbol_at(ws, &params.text_document_position_params)?;
    let decl = ws.snapshot.index.declaration(&symbol)?;
    Some(lsp::GotoDefinitionResponse::Scalar(location(ws, decl.span)))
}

pub fn references(ws: &mut Workspace, params: lsp::ReferenceParams) -> Option<Vec<lsp::Location>> {
    let symbol = symbol_at(ws, &params.text_document_position)?;
    let include = params.context.include_declaration;
    Some(ws.snapshot.index.references(&symbol).filter(|o| include || !o.declaration).map(|o| location(ws, o.span)).collect())
}

pub fn rename(ws: &mut Workspace, params: lsp::RenameParams) -> Option<lsp::WorkspaceEdit> {
    let symbol = symbol_at(ws, &params.text_document_position)?;
    let new = params.new_name.trim();
    let dotted_ok = matches!(&symbol, Symbol::Global(n) if n.contains('.'));
    let valid = !new.is_empty()
        && new.split('.').all(|part| {
            let mut cs = part.chars();
            cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        && (dotted_ok || !new.contains('.'));
    if !valid {
        return None;
    }
    // `Uri` hashes its text, which does not change.
    #[allow(clippy::mutable_key_type)]
    let mut changes: std::collections::HashMap<lsp::Uri, Vec<lsp::TextEdit>> = Default::default();
    for o in ws.snapshot.index.references(&symbol) {
        let loc = location(ws, o.span);
        changes.entry(loc.uri).or_default().push(lsp::TextEdit { range: loc.range, new_text: new.to_string() });
    }
    Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() })
}

use crate::syntax::KEYWORDS;

fn item(label: &str, kind: lsp::CompletionItemKind, detail: Option<String>) -> lsp::CompletionItem {
    lsp::CompletionItem { label: label.to_string(), kind: Some(kind), detail, ..Default::default() }
}

/// The flow the cursor is in, by the text (the flow may not parse yet) and
/// the steps declared in it.
fn flow_context(text: &str, at: usize) -> Vec<String> {
    let before = &text[..at];
    let Some(start) = before.rfind("\nflow ").map(|i| i + 1).or_else(|| before.starts_with("flow ").then_some(0)) else { return Vec::new() };
    let end = text[start + 1..]
        .find("\nflow ")
        .or_else(|| text[start + 1..].find("\ntable "))
        .or_else(|| text[start + 1..].find("\ntest "))
        .map_or(text.len(), |i| start + 1 + i);
    let mut steps = Vec::new();
    for line in text[start..end].lines() {
        if let Some(rest) = line.trim_start().strip_prefix("step ") {
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                steps.push(name);
            }
        }
    }
    steps
}

pub fn completion(ws: &mut Workspace, params: lsp::CompletionParams) -> Option<lsp::CompletionResponse> {
    use lsp::CompletionItemKind as K;
    let (_, file) = ws.file(&params.text_document_position.text_document.uri)?;
    let at = offset(file, params.text_document_position.position);
    let text = file.text.clone();
    // Nothing to complete in a comment or a string.
    if crate::syntax::lexical::in_comment_or_string(&text, at) {
        return Some(lsp::CompletionResponse::Array(Vec::new()));
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..at];
    // The word being typed, and what stands before it.
    let word_start = line.char_indices().rev().find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.')).map_or(0, |(i, c)| i + c.len_utf8());
    let before = line[..word_start].trim_end();
    let p = ws.snapshot.result.program.as_ref()?;
    let mut items = Vec::new();
    let names = |kind: &str| -> Vec<String> {
        match kind {
            "outcome" => p.outcomes.iter().map(|o| o.name.clone()).collect(),
            "escalate" | "to" => p.teams.iter().map(|t| t.name.clone()).collect(),
            "do" => p.actions.iter().map(|a| a.name.clone()).collect(),
            "table" => p.tables.iter().map(|t| t.name.clone()).collect(),
            _ => Vec::new(),
        }
    };
    let last_word = before.rsplit(|c: char| c.is_whitespace() || c == '{' || c == ',').next().unwrap_or("");
    // `input == ` / `input != ` / `input in { …, `: the input's values.
    let value_input = {
        let t = before.trim_end_matches(|c: char| c == '{' || c == ',' || c.is_whitespace() || c.is_ascii_alphanumeric() || c == '_');
        let t = if before.ends_with("==") || before.ends_with("!=") {
            before.trim_end_matches(['=', '!']).trim_end()
        } else {
            t.trim_end_matches(" in").trim_end_matches(" not").trim_end()
        };
        let t = t.trim_end();
        let name: String = t.chars().rev().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.').collect::<Vec<_>>().into_iter().rev().collect();
        let is_value_position = before.ends_with("==") || before.ends_with("!=") || (before.contains(" in {") && !before.contains('}'));
        is_value_position.then_some(name).and_then(|n| p.input_by_name(&n))
    };
    if let Some(i) = value_input {
        match p.inputs[i].ty {
            Type::Enum(e) => items.extend(p.enums[e].variants.iter().map(|v| item(v, K::ENUM_MEMBER, Some(format!("variant of `{}`", p.enums[e].name))))),
            Type::Bool => items.extend(["true", "false"].iter().map(|v| item(v, K::KEYWORD, None))),
            _ => {}
        }
    } else if matches!(last_word, "outcome" | "escalate" | "do" | "table" | "to") {
        items.extend(names(last_word).iter().map(|n| item(n, K::REFERENCE, Some(last_word.to_string()))));
    } else if before.ends_with("->") {
        items.extend(flow_context(&text, at).iter().map(|s| item(s, K::FUNCTION, Some("step".into()))));
        for kw in ["outcome", "escalate", "do", "table"] {
            items.push(item(kw, K::KEYWORD, None));
        }
    } else if matches!(last_word, "when" | "and" | "or" | "not" | "(") || before.ends_with('(') {
        items.extend(p.inputs.iter().map(|i| item(&i.name, K::VARIABLE, Some(type_text(p, i.ty)))));
        items.extend(["not", "true", "false"].iter().map(|k| item(k, K::KEYWORD, None)));
    } else if last_word == "start" || last_word == "path" || before.ends_with("path") {
        items.extend(flow_context(&text, at).iter().map(|s| item(s, K::FUNCTION, Some("step".into()))));
    } else {
        items.extend(KEYWORDS.iter().map(|k| item(k, K::KEYWORD, None)));
        items.extend(p.inputs.iter().map(|i| item(&i.name, K::VARIABLE, Some(type_text(p, i.ty)))));
        for kind in ["outcome", "escalate", "do", "table"] {
            items.extend(names(kind).iter().map(|n| item(n, K::REFERENCE, Some(kind.to_string()))));
        }
    }
    Some(lsp::CompletionResponse::Array(items))
}

#[allow(deprecated, reason = "DocumentSymbol::deprecated is required by the type")]
fn symbol(
    name: &str,
    detail: Option<String>,
    kind: lsp::SymbolKind,
    range: lsp::Range,
    selection: lsp::Range,
    children: Option<Vec<lsp::DocumentSymbol>>,
) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol { name: name.to_string(), detail, kind, tags: None, deprecated: None, range, selection_range: selection, children }
}

/// The branches of a step or table as symbols: `when CONDITION`,
/// `otherwise`, `timeout`.
fn branch_symbols(file: &crate::source::SourceFile, branches: &[ast::Branch]) -> Vec<lsp::DocumentSymbol> {
    branches
        .iter()
        .map(|b| {
            let name = match (&b.kind, &b.cond_text) {
                (ast::BranchKind::When(_), Some(text)) => format!("when {text}"),
                (ast::BranchKind::When(_), None) => "when".to_string(),
                (ast::BranchKind::Otherwise, _) => "otherwise".to_string(),
                (ast::BranchKind::Timeout, _) => "timeout".to_string(),
            };
            symbol(&name, None, lsp::SymbolKind::EVENT, range(file, b.span), range(file, b.keyword), None)
        })
        .collect()
}

pub fn document_symbols(ws: &mut Workspace, params: lsp::DocumentSymbolParams) -> Option<lsp::DocumentSymbolResponse> {
    use lsp::SymbolKind as K;
    let (id, file) = ws.file(&params.text_document.uri)?;
    let (_, ast) = ws.snapshot.result.asts.iter().find(|(f, _)| *f == id)?;
    let mut out = Vec::new();
    for it in &ast.items {
        let r = range(file, it.span());
        let s = match it {
            ast::Item::Enum(d) => symbol(&d.name.text, Some("enum".into()), K::ENUM, r, range(file, d.name.span), None),
            ast::Item::Input(d) => symbol(&d.name.text, Some("input".into()), K::VARIABLE, r, range(file, d.name.span), None),
            ast::Item::Team(d) => symbol(&d.name.text, Some("team".into()), K::CLASS, r, range(file, d.name.span), None),
            ast::Item::Action(d) => symbol(&d.name.text, Some("action".into()), K::METHOD, r, range(file, d.name.span), None),
            ast::Item::Outcome(d) => symbol(&d.name.text, Some("outcome".into()), K::CONSTANT, r, range(file, d.name.span), None),
            ast::Item::Require(d) => symbol(&format!("require escalation to {}", d.team.text), None, K::EVENT, r, range(file, d.team.span), None),
            ast::Item::Resolution(d) => symbol(&format!("require resolution in {}", d.flow.text), None, K::EVENT, r, range(file, d.flow.span), None),
            ast::Item::Table(d) => symbol(&d.name.text, Some("table".into()), K::STRUCT, r, range(file, d.name.span), Some(branch_symbols(file, &d.branches))),
            ast::Item::Flow(d) => {
                let steps = d
                    .steps
                    .iter()
                    .map(|s| {
                        symbol(
                            &s.name.text,
                            s.title.clone(),
                            K::FUNCTION,
                            range(file, s.span),
                            range(file, s.name.span),
                            Some(branch_symbols(file, &s.branches)),
                        )
                    })
                    .collect();
                symbol(&d.name.text, Some("flow".into()), K::MODULE, r, range(file, d.name.span), Some(steps))
            }
            ast::Item::Test(d) => symbol(&d.name, Some("test".into()), K::EVENT, r, range(file, d.name_span), None),
        };
        out.push(s);
    }
    Some(lsp::DocumentSymbolResponse::Nested(out))
}

#[allow(deprecated, reason = "SymbolInformation::deprecated is required by the type")]
pub fn workspace_symbols(ws: &mut Workspace, params: lsp::WorkspaceSymbolParams) -> Option<lsp::WorkspaceSymbolResponse> {
    let query = params.query.to_lowercase();
    let mut out = Vec::new();
    for o in ws.snapshot.index.occurrences.iter().filter(|o| o.declaration) {
        let (name, kind, container) = match &o.symbol {
            Symbol::Global(n) => (n.clone(), lsp::SymbolKind::CONSTANT, None),
            Symbol::Step { flow, step } => (step.clone(), lsp::SymbolKind::FUNCTION, Some(flow.clone())),
            Symbol::Variant { enumeration, variant } => (variant.clone(), lsp::SymbolKind::ENUM_MEMBER, Some(enumeration.clone())),
        };
        if query.is_empty() || name.to_lowercase().contains(&query) {
            out.push(lsp::SymbolInformation { name, kind, tags: None, deprecated: None, location: location(ws, o.span), container_name: container });
        }
    }
    Some(lsp::WorkspaceSymbolResponse::Flat(out))
}

pub fn formatting(ws: &mut Workspace, params: lsp::DocumentFormattingParams) -> Option<Vec<lsp::TextEdit>> {
    let (_, file) = ws.file(&params.text_document.uri)?;
    let formatted = crate::fmt::format(&file.text).ok()?;
    if formatted == file.text {
        return Some(Vec::new());
    }
    let end = super::convert::position(file, file.text.len());
    Some(vec![lsp::TextEdit { range: lsp::Range { start: lsp::Position::new(0, 0), end }, new_text: formatted }])
}

/// The formatter's changes to the lines a range touches: the whole file is
/// formatted, and of the line differences only those that meet the range
/// are kept. A file with syntax errors is left alone (no edits).
pub fn range_formatting(ws: &mut Workspace, params: lsp::DocumentRangeFormattingParams) -> Option<Vec<lsp::TextEdit>> {
    let (_, file) = ws.file(&params.text_document.uri)?;
    let formatted = crate::fmt::format(&file.text).ok()?;
    let from = super::convert::offset(file, params.range.start);
    let to = super::convert::offset(file, params.range.end);
    // The range's lines, as byte offsets: from its first line's start to
    // its last line's end.
    let first = file.text[..from].rfind('\n').map_or(0, |i| i + 1);
    let last = file.text[to..].find('\n').map_or(file.text.len(), |i| to + i + 1);
    let diff = similar::TextDiff::from_lines(file.text.as_str(), formatted.as_str());
    let old: Vec<&str> = diff.old_slices().to_vec();
    let new: Vec<&str> = diff.new_slices().to_vec();
    let mut starts = Vec::with_capacity(old.len() + 1);
    let mut at = 0;
    for l in &old {
        starts.push(at);
        at += l.len();
    }
    starts.push(at);
    let mut edits = Vec::new();
    for op in diff.ops() {
        if op.tag() == similar::DiffTag::Equal {
            continue;
        }
        let (a, b) = (starts[op.old_range().start], starts[op.old_range().end]);
        // A change meets the range when its lines overlap the range's, or
        // (an insertion) it sits inside them.
        let meets = if a == b { first <= a && a <= last } else { a < last && first < b };
        if meets {
            let range = lsp::Range { start: super::convert::position(file, a), end: super::convert::position(file, b) };
            edits.push(lsp::TextEdit { range, new_text: new[op.new_range()].concat() });
        }
    }
    Some(edits)
}

fn insert(uri: &lsp::Uri, at: lsp::Position, text: String) -> lsp::WorkspaceEdit {
    // `Uri` hashes its text, which does not change.
    #[allow(clippy::mutable_key_type)]
    let mut changes = std::collections::HashMap::new();
    changes.insert(uri.clone(), vec![lsp::TextEdit { range: lsp::Range { start: at, end: at }, new_text: text }]);
    lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }
}

fn action(title: String, diag: &lsp::Diagnostic, edit: lsp::WorkspaceEdit) -> lsp::CodeActionOrCommand {
    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diag.clone()]),
        edit: Some(edit),
        ..Default::default()
    })
}

pub fn code_actions(ws: &mut Workspace, params: lsp::CodeActionParams) -> Option<lsp::CodeActionResponse> {
    let uri = params.text_document.uri.clone();
    let (id, file) = ws.file(&uri)?;
    let text = file.text.clone();
    let p = ws.snapshot.result.program.as_ref()?;
    let mut out = Vec::new();
    for d in &params.context.diagnostics {
        let Some(lsp::NumberOrString::String(code)) = &d.code else { continue };
        let Some(code) = Code::parse(code) else { continue };
        let start = offset(file, d.range.start);
        let line = file.line_col(start).0 - 1;
        let indent: String = file.line_text(line).chars().take_while(|c| c.is_whitespace()).collect();
        // Suppress: on the line before the innermost item holding the finding.
        if code.configurable() {
            let items: Vec<Span> = ws.snapshot.result.asts.iter().filter(|(f, _)| *f == id).flat_map(|(_, a)| crate::check::item_spans(a)).collect();
            let holder = items.iter().filter(|s| (s.start as usize) <= start && start <= s.end as usize).min_by_key(|s| s.end - s.start);
            let item_line = holder.map_or(line, |s| file.line_col(s.start as usize).0 - 1);
            let item_indent: String = file.line_text(item_line).chars().take_while(|c| c.is_whitespace()).collect();
            let edit =
                insert(&uri, lsp::Position::new(item_line as u32, 0), format!("{item_indent}// sopflow: allow({code}) -- TODO: say why this is acceptable\n"));
            out.push(action(format!("Suppress `{code}` here (with a reason)"), d, edit));
        }
        match code {
            Code::NonExhaustive => {
                // Before the closing brace of the innermost step or table
                // holding the finding (from the tree, not the text: a
                // flow's brace is not a step's).
                let decisions: Vec<Span> = ws
                    .snapshot
                    .result
                    .asts
                    .iter()
                    .filter(|(f, _)| *f == id)
                    .flat_map(|(_, a)| &a.items)
                    .flat_map(|item| match item {
                        ast::Item::Table(t) => vec![t.span],
                        ast::Item::Flow(f) => f.steps.iter().map(|s| s.span).collect(),
                        _ => vec![],
                    })
                    .collect();
                let holder = decisions.iter().filter(|s| (s.start as usize) <= start && start < s.end as usize).min_by_key(|s| s.end - s.start);
                if let Some(holder) = holder {
                    let brace = holder.end as usize - 1;
                    let brace_line = file.line_col(brace).0 - 1;
                    let line_start = file.line_start(brace_line);
                    let alone = text[line_start..brace].trim().is_empty();
                    // A choice of targets, none taken for the writer: every
                    // outcome, then a placeholder that does not check clean.
                    let mut targets: Vec<String> = p.outcomes.iter().take(8).map(|o| format!("outcome {}", o.name)).collect();
                    targets.push("TODO_choose_a_target".to_string());
                    for target in targets {
                        let (at, new_text) = if alone {
                            let indent: String = file.line_text(brace_line).chars().take_while(|c| c.is_whitespace()).collect();
                            (lsp::Position::new(brace_line as u32, 0), format!("{indent}  otherwise -> {target}\n"))
                        } else {
                            (super::convert::position(file, brace), format!("otherwise -> {target} "))
                        };
                        let title = format!("Add `otherwise -> {target}`");
                        out.push(action(title, d, insert(&uri, at, new_text)));
                    }
                }
            }
            Code::UndefinedName => {
                let name = d.message.split('`').nth(1).unwrap_or("").to_string();
                let kind = d.message.strip_prefix("no ").and_then(|m| m.split(' ').next()).unwrap_or("");
                let decl = match kind {
                    "outcome" => Some(format!("outcome {name}\n")),
                    "input" => Some(format!("input {name}: bool\n")),
                    "team" => Some(format!("team {name}\n")),
                    "action" => Some(format!("action {name}\n")),
                    _ => None,
                };
                if let Some(decl) = decl {
                    let edit = insert(&uri, lsp::Position::new(0, 0), decl.clone());
                    out.push(action(format!("Declare {kind} `{name}`"), d, edit));
                }
            }
            _ => {}
        }
        // A test case from the witness.
        let witness = d.data.as_ref().and_then(|data| data.get("witness")).and_then(|w| w.as_object()).cloned();
        if let Some(w) = witness {
            let flow = p.flows.iter().enumerate().find(|(_, f)| f.span.file == id && f.span.start as usize <= start && start <= f.span.end as usize);
            let table = p.tables.iter().enumerate().find(|(_, t)| t.span.file == id && t.span.start as usize <= start && start <= t.span.end as usize);
            let (run, target) = match (flow, table) {
                (Some((f, fl)), _) => (format!("run flow {}", fl.name), crate::model::RunTarget::Flow(f)),
                (None, Some((t, tb))) => (format!("run table {}", tb.name), crate::model::RunTarget::Table(t)),
                _ => continue,
            };
            let flow_id = match target {
                crate::model::RunTarget::Flow(f) => Some(f),
                crate::model::RunTarget::Table(_) => None,
            };
            let expect = match (crate::eval::case_from_json(p, &w), crate::eval::timeouts_from_json(p, flow_id, &w)) {
                (Ok(case), Ok(timeouts)) => {
                    let r = crate::eval::run(p, target, &case, &timeouts);
                    match r.end {
                        crate::eval::End::Outcome { outcome, .. } => format!("\n  expect outcome {}", p.outcomes[outcome].name),
                        crate::eval::End::Escalated { team, .. } => format!("\n  expect escalate {}", p.teams[team].name),
                        _ => String::new(),
                    }
                }
                _ => String::new(),
            };
            // The witness typed again by the program: the client sends back the JSON.
            let Ok(case) = crate::eval::case_from_json(p, &w) else { continue };
            let timeouts = crate::eval::timeouts_from_json(p, flow_id, &w).unwrap_or_default();
            let witness = crate::diagnostics::Witness {
                values: w
                    .keys()
                    .filter_map(|k| p.input_by_name(k))
                    .filter_map(|i| Some((p.inputs[i].name.clone(), p.witness_value(i, case[i].as_ref()?))))
                    .collect(),
                timeouts: timeouts.iter().filter_map(|s| Some(p.flows[flow_id?].steps[*s].name.clone())).collect(),
            };
            let given = crate::render::human::given_lines(&witness).join("\n  ");
            let test = format!("\ntest \"{code} at line {}\" {{\n  {run}\n  {given}{expect}\n}}\n", line + 1);
            let end = super::convert::position(file, text.len());
            out.push(action("Add a test case from the witness".into(), d, insert(&uri, end, test)));
        }
        let _ = &indent;
    }
    // On a flow's or table's name: the tests `sopflow cases --write` would
    // add (what the project's tests do not cover yet), appended to this file.
    let ok = |t: &crate::model::RunTarget| match *t {
        crate::model::RunTarget::Flow(f) => p.flows[f].ok,
        crate::model::RunTarget::Table(t) => p.tables[t].ok,
    };
    if let Some(target) = p.target_at(id, offset(file, params.range.start) as u32, true).filter(ok) {
        let options = crate::cases::Options { mcdc: true, skip_covered: true };
        if let Ok(plan) = crate::cases::generate(&crate::analysis::Analysis::new(p), &ws.snapshot.result.sources, target, &ws.snapshot.tests, &options) {
            if !plan.cases.is_empty() {
                let mut names: std::collections::HashSet<String> = p.tests.iter().map(|t| t.name.clone()).collect();
                let tests = crate::cases::render(p, &plan, &mut names);
                let end = super::convert::position(file, text.len());
                let sep = if text.ends_with('\n') { "" } else { "\n" };
                let title = format!("Add {} generated test(s) for what the tests do not cover yet", plan.cases.len());
                out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title,
                    kind: Some(lsp::CodeActionKind::new("source.sopflow.generateTests")),
                    edit: Some(insert(&uri, end, format!("{sep}{tests}"))),
                    ..Default::default()
                }));
            }
        }
    }
    Some(out)
}

pub fn code_lens(ws: &mut Workspace, params: lsp::CodeLensParams) -> Option<Vec<lsp::CodeLens>> {
    let (id, file) = ws.file(&params.text_document.uri)?;
    let p = ws.snapshot.result.program.as_ref()?;
    let mut out = Vec::new();
    for r in &ws.snapshot.tests {
        let t = &p.tests[r.test];
        if t.span.file != id {
            continue;
        }
        let title = if r.passed() {
            "▶ Run test · ✓ passed".to_string()
        } else {
            format!("▶ Run test · ✗ failed: {}", r.failures.first().cloned().unwrap_or_default())
        };
        out.push(lsp::CodeLens {
            range: range(file, t.name_span),
            command: Some(lsp::Command {
                title,
                command: "sopflow.runTest".into(),
                arguments: Some(vec![serde_json::json!(params.text_document.uri.as_str()), serde_json::json!(t.name)]),
            }),
            data: None,
        });
    }
    Some(out)
}

/// `sopflow.runTest [uri, name]`: runs the test and shows the result.
pub fn execute_command(ws: &mut Workspace, params: lsp::ExecuteCommandParams) -> Option<serde_json::Value> {
    if params.command != "sopflow.runTest" {
        return None;
    }
    let name = params.arguments.get(1)?.as_str()?.to_string();
    ws.refresh();
    let p = ws.snapshot.result.program.as_ref()?;
    let r = ws.snapshot.tests.iter().find(|r| p.tests[r.test].name == name)?;
    let message = if r.passed() { format!("test \"{name}\" passed") } else { format!("test \"{name}\" failed: {}", r.failures.join("; ")) };
    let kind = if r.passed() { lsp::MessageType::INFO } else { lsp::MessageType::ERROR };
    ws.outbox.push(lsp_server::Notification::new(
        <lsp::notification::ShowMessage as lsp::notification::Notification>::METHOD.to_string(),
        lsp::ShowMessageParams { typ: kind, message: message.clone() },
    ));
    Some(serde_json::json!({ "passed": r.passed(), "message": message }))
}

/// `textDocument/prepareRename`: the name under the cursor, when it is one
/// that `rename` renames.
pub fn prepare_rename(ws: &mut Workspace, params: lsp::TextDocumentPositionParams) -> Option<lsp::PrepareRenameResponse> {
    let (id, file) = ws.file(&params.text_document.uri)?;
    let at = offset(file, params.position);
    let o = ws.snapshot.index.at(id, at)?;
    let placeholder = file.text.get(o.span.start as usize..o.span.end as usize)?.to_string();
    Some(lsp::PrepareRenameResponse::RangeWithPlaceholder { range: range(file, o.span), placeholder })
}

/// `textDocument/documentHighlight`: every occurrence in this file of the
/// name under the cursor; its declaration as a write.
pub fn document_highlight(ws: &mut Workspace, params: lsp::DocumentHighlightParams) -> Option<Vec<lsp::DocumentHighlight>> {
    let (id, file) = ws.file(&params.text_document_position_params.text_document.uri)?;
    let symbol = symbol_at(ws, &params.text_document_position_params)?;
    let kind = |declaration: bool| Some(if declaration { lsp::DocumentHighlightKind::WRITE } else { lsp::DocumentHighlightKind::READ });
    Some(
        ws.snapshot
            .index
            .references(&symbol)
            .filter(|o| o.span.file == id)
            .map(|o| lsp::DocumentHighlight { range: range(file, o.span), kind: kind(o.declaration) })
            .collect(),
    )
}

/// `textDocument/foldingRange`: every declaration, step and test over more
/// than one line.
pub fn folding_ranges(ws: &mut Workspace, params: lsp::FoldingRangeParams) -> Option<Vec<lsp::FoldingRange>> {
    let (id, file) = ws.file(&params.text_document.uri)?;
    let (_, ast) = ws.snapshot.result.asts.iter().find(|(f, _)| *f == id)?;
    let mut spans: Vec<Span> = Vec::new();
    for it in &ast.items {
        spans.push(it.span());
        if let ast::Item::Flow(f) = it {
            spans.extend(f.steps.iter().map(|s| s.span));
        }
    }
    let mut out: Vec<lsp::FoldingRange> = spans
        .into_iter()
        .map(|s| range(file, s))
        .filter(|r| r.end.line > r.start.line)
        .map(|r| lsp::FoldingRange { start_line: r.start.line, end_line: r.end.line, kind: Some(lsp::FoldingRangeKind::Region), ..Default::default() })
        .collect();
    out.sort_by_key(|f| (f.start_line, f.end_line));
    Some(out)
}

/// `textDocument/selectionRange`: per position, from the name under it out
/// through its branch, its step, its declaration, to the whole file.
pub fn selection_ranges(ws: &mut Workspace, params: lsp::SelectionRangeParams) -> Option<Vec<lsp::SelectionRange>> {
    let (id, file) = ws.file(&params.text_document.uri)?;
    let (_, ast) = ws.snapshot.result.asts.iter().find(|(f, _)| *f == id)?;
    let contains = |s: Span, at: usize| s.start as usize <= at && at <= s.end as usize;
    let mut out = Vec::new();
    for position in params.positions {
        let at = offset(file, position);
        // Outermost first.
        let mut spans = vec![Span { file: id, start: 0, end: file.text.len() as u32 }];
        if let Some(it) = ast.items.iter().find(|it| contains(it.span(), at)) {
            spans.push(it.span());
            let branches: &[ast::Branch] = match it {
                ast::Item::Flow(f) => match f.steps.iter().find(|s| contains(s.span, at)) {
                    Some(step) => {
                        spans.push(step.span);
                        &step.branches
                    }
                    None => &[],
                },
                ast::Item::Table(t) => &t.branches,
                _ => &[],
            };
            if let Some(b) = branches.iter().find(|b| contains(b.span, at)) {
                spans.push(b.span);
            }
        }
        if let Some(o) = ws.snapshot.index.at(id, at) {
            spans.push(o.span);
        }
        spans.dedup_by_key(|s| (s.start, s.end));
        let mut chain: Option<lsp::SelectionRange> = None;
        for s in spans {
            chain = Some(lsp::SelectionRange { range: range(file, s), parent: chain.map(Box::new) });
        }
        out.push(chain.expect("the file's range at least"));
    }
    Some(out)
}

/// The token types of semantic highlighting, in the legend's order.
pub const TOKEN_TYPES: [lsp::SemanticTokenType; 13] = [
    lsp::SemanticTokenType::KEYWORD,
    lsp::SemanticTokenType::COMMENT,
    lsp::SemanticTokenType::STRING,
    lsp::SemanticTokenType::NUMBER,
    lsp::SemanticTokenType::VARIABLE,    // an input
    lsp::SemanticTokenType::ENUM_MEMBER, // a variant
    lsp::SemanticTokenType::ENUM,        // an enum
    lsp::SemanticTokenType::FUNCTION,    // a step
    lsp::SemanticTokenType::CLASS,       // a team
    lsp::SemanticTokenType::EVENT,       // an outcome
    lsp::SemanticTokenType::METHOD,      // an action
    lsp::SemanticTokenType::STRUCT,      // a table
    lsp::SemanticTokenType::NAMESPACE,   // a flow
];

/// The tokens of a file between two byte offsets, as (start, length, type
/// index), in order: comments and strings by the lexer, names by what they
/// name (the index), keywords, numbers and durations.
fn tokens(ws: &Workspace, id: crate::source::FileId, text: &str, from: usize, to: usize) -> Vec<(usize, usize, u32)> {
    let program = ws.snapshot.result.program.as_ref();
    let global_kind = |name: &str| -> Option<u32> {
        let p = program?;
        Some(if p.input_by_name(name).is_some() {
            4
        } else if p.enums.iter().any(|e| e.name == name) {
            6
        } else if p.teams.iter().any(|t| t.name == name) {
            8
        } else if p.outcomes.iter().any(|o| o.name == name) {
            9
        } else if p.actions.iter().any(|a| a.name == name) {
            10
        } else if p.tables.iter().any(|t| t.name == name) {
            11
        } else if p.flows.iter().any(|f| f.name == name) {
            12
        } else {
            return None;
        })
    };
    let mut out = Vec::new();
    for seg in crate::syntax::lexical::segments(text) {
        if seg.end <= from || seg.start >= to {
            continue;
        }
        match seg.kind {
            crate::syntax::lexical::Kind::Comment => out.push((seg.start, seg.end - seg.start, 1)),
            crate::syntax::lexical::Kind::String | crate::syntax::lexical::Kind::OpenString => out.push((seg.start, seg.end - seg.start, 2)),
            crate::syntax::lexical::Kind::Code => {
                let bytes = text.as_bytes();
                let mut at = seg.start;
                while at < seg.end {
                    let b = bytes[at];
                    if b.is_ascii_alphabetic() || b == b'_' {
                        if let Some(o) = ws.snapshot.index.at(id, at).filter(|o| o.span.start as usize == at) {
                            let kind = match &o.symbol {
                                Symbol::Global(name) => global_kind(name),
                                Symbol::Step { .. } => Some(7),
                                Symbol::Variant { .. } => Some(5),
                            };
                            let end = (o.span.end as usize).min(seg.end);
                            if let Some(kind) = kind {
                                out.push((at, end - at, kind));
                            }
                            at = end.max(at + 1);
                            continue;
                        }
                        let end = at + bytes[at..seg.end].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
                        if KEYWORDS.contains(&&text[at..end]) {
                            out.push((at, end - at, 0));
                        }
                        // A dotted name the index does not know: skip it whole.
                        at = end + bytes[end..seg.end].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'.').count();
                    } else if b.is_ascii_digit() {
                        let end = at + bytes[at..seg.end].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
                        out.push((at, end - at, 3));
                        at = end;
                    } else {
                        at += 1;
                    }
                }
            }
        }
    }
    out.retain(|(start, len, _)| start + len > from && *start < to);
    out
}

/// Tokens as LSP encodes them: each relative to the one before, in UTF-16.
fn encode(file: &crate::source::SourceFile, tokens: &[(usize, usize, u32)]) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut line, mut col) = (0u32, 0u32);
    for &(start, len, kind) in tokens {
        let p = position(file, start);
        let end = position(file, start + len);
        // A token does not cross a line (comments and strings end at theirs).
        let length = if end.line == p.line { end.character - p.character } else { continue };
        let delta_line = p.line - line;
        let delta_start = if delta_line == 0 { p.character - col } else { p.character };
        out.push(lsp::SemanticToken { delta_line, delta_start, length, token_type: kind, token_modifiers_bitset: 0 });
        (line, col) = (p.line, p.character);
    }
    out
}

pub fn semantic_tokens_full(ws: &mut Workspace, params: lsp::SemanticTokensParams) -> Option<lsp::SemanticTokensResult> {
    let (id, file) = ws.file(&params.text_document.uri)?;
    let data = encode(file, &tokens(ws, id, &file.text, 0, file.text.len()));
    Some(lsp::SemanticTokensResult::Tokens(lsp::SemanticTokens { result_id: None, data }))
}

pub fn semantic_tokens_range(ws: &mut Workspace, params: lsp::SemanticTokensRangeParams) -> Option<lsp::SemanticTokensRangeResult> {
    let (id, file) = ws.file(&params.text_document.uri)?;
    let (from, to) = (offset(file, params.range.start), offset(file, params.range.end));
    let data = encode(file, &tokens(ws, id, &file.text, from, to));
    Some(lsp::SemanticTokensRangeResult::Tokens(lsp::SemanticTokens { result_id: None, data }))
}

/// `textDocument/inlayHint`: after a step's header, its time limit's worst
/// case so far (the longest route to it, as `sla-exceeded` counts); after a
/// delegated table's name, its number of rules.
pub fn inlay_hints(ws: &mut Workspace, params: lsp::InlayHintParams) -> Option<Vec<lsp::InlayHint>> {
    let (id, file) = ws.file(&params.text_document.uri)?;
    let program = ws.snapshot.result.program.as_ref()?;
    let (from, to) = (offset(file, params.range.start), offset(file, params.range.end));
    let within = |s: Span| s.file == id && (s.start as usize) <= to && (s.end as usize) >= from;
    let hint = |at: usize, label: String| lsp::InlayHint {
        position: position(file, at),
        label: lsp::InlayHintLabel::String(label),
        kind: None,
        text_edits: None,
        tooltip: None,
        padding_left: Some(true),
        padding_right: None,
        data: None,
    };
    let mut out = Vec::new();
    for (f, flow) in program.flows.iter().enumerate().filter(|(_, f)| f.ok) {
        let times = crate::lints::sla_exceeded::worst_so_far(program, f);
        for (s, step) in flow.steps.iter().enumerate() {
            if !within(step.span) {
                continue;
            }
            if let (Some(times), Some(_)) = (&times, step.within_seconds) {
                if let Some(time) = times[s] {
                    // At the end of the header line (after its `{`).
                    let line_end = file.text[step.name_span.start as usize..].find(['\n', '\r']).map_or(file.text.len(), |i| step.name_span.start as usize + i);
                    let text = time.map_or_else(|| "no bound".to_string(), crate::source::Duration::format_seconds);
                    out.push(hint(line_end, format!("worst case so far: {text}")));
                }
            }
            for b in &step.decision.branches {
                if let End::Table(t) = b.target.end {
                    if within(b.target.end_span) {
                        let rules = program.tables[t].decision.branches.len();
                        out.push(hint(b.target.end_span.end as usize, format!("{rules} rule{}", if rules == 1 { "" } else { "s" })));
                    }
                }
            }
        }
    }
    out.sort_by_key(|h| (h.position.line, h.position.character));
    Some(out)
}
