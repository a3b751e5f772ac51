//! `export --format mermaid`: a `flowchart TD` with the same content as the
//! DOT export, one subgraph per flow or table, each laid out top to bottom
//! and stacked under the one before (an invisible link between them: side
//! by side, every flow of a project made one very wide row). Node ids are
//! generated (`f0_n3`), labels are quoted with Mermaid's entity codes, so
//! any title renders.

use super::{Diagram, Selection, Shape};
use crate::model::Program;

/// A label inside `"…"`: quotes and markup as entity codes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn node(n: &super::DiagramNode) -> String {
    let mut lines: Vec<String> = n.lines.iter().map(|l| escape(l)).collect();
    lines.extend(n.notes.iter().map(|l| format!("<i>{}</i>", escape(l))));
    let label = lines.join("<br/>");
    let (open, close) = match n.shape {
        Shape::Step => ("(\"", "\")"),
        Shape::Action => ("[[\"", "\"]]"),
        // A passing escalation (`escalate T ->`) is a hexagon; a final
        // hand-off (`-> escalate T`), where the case leaves the flow, a flag.
        Shape::Escalate => ("{{\"", "\"}}"),
        Shape::HandOff => (">\"", "\"]"),
        Shape::Outcome => ("([\"", "\"])"),
        Shape::Table => ("[/\"", "\"/]"),
        Shape::Decision => ("{\"", "\"}"),
    };
    format!("{}{open}{label}{close}", n.id)
}

fn subgraph(out: &mut String, k: usize, d: &Diagram) {
    out.push_str(&format!("  subgraph g{k}[\"{}\"]\n    direction TB\n", escape(&d.title)));
    if let Some(doc) = &d.doc {
        for line in doc.lines() {
            out.push_str(&format!("    %% {line}\n"));
        }
    }
    for n in &d.nodes {
        out.push_str(&format!("    {}\n", node(n)));
        match n.shape {
            Shape::Outcome => out.push_str(&format!("    style {} fill:{}\n", n.id, super::severity_color(n.severity))),
            Shape::Escalate => out.push_str(&format!("    style {} fill:#e9d5ff\n", n.id)),
            Shape::HandOff => out.push_str(&format!("    style {} fill:#c4b5fd,stroke-width:2px\n", n.id)),
            _ => {}
        }
    }
    for e in &d.edges {
        let arrow = if e.dashed { "-.->" } else { "-->" };
        match &e.label {
            Some(l) => out.push_str(&format!("    {} {arrow}|\"{}\"| {}\n", e.from, escape(l), e.to)),
            None => out.push_str(&format!("    {} {arrow} {}\n", e.from, e.to)),
        }
    }
    out.push_str("  end\n");
}

pub fn render(p: &Program, selection: &Selection) -> String {
    let mut out = String::from("flowchart TD\n");
    let diagrams = super::diagrams(p, selection);
    for (k, d) in diagrams.iter().enumerate() {
        subgraph(&mut out, k, d);
    }
    for k in 1..diagrams.len() {
        out.push_str(&format!("  g{} ~~~ g{k}\n", k - 1));
    }
    out
}
