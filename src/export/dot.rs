//! `export --format dot`: Graphviz. Steps are boxes, outcomes ellipses
//! coloured by severity, escalations hexagons (octagons for a final
//! hand-off), actions components, tables folders; branch conditions label
//! the edges in the policy's own syntax; doc comments and instructions are
//! tooltips.

use super::{Diagram, Selection, Shape};
use crate::model::Program;

/// A DOT double-quoted string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn cluster(out: &mut String, k: usize, d: &Diagram) {
    out.push_str(&format!("  subgraph cluster_{k} {{\n    label={};\n", quote(&d.title)));
    if let Some(doc) = &d.doc {
        out.push_str(&format!("    tooltip={};\n", quote(doc)));
    }
    for n in &d.nodes {
        let (shape, style) = match n.shape {
            Shape::Step => ("box", "rounded"),
            Shape::Action => ("component", "solid"),
            Shape::Escalate => ("hexagon", "filled"),
            Shape::HandOff => ("octagon", "filled"),
            Shape::Outcome => ("ellipse", "filled"),
            Shape::Table => ("folder", "solid"),
            Shape::Decision => ("diamond", "solid"),
        };
        let fill = match n.shape {
            Shape::Outcome => super::severity_color(n.severity),
            Shape::Escalate | Shape::HandOff => "#e9d5ff",
            _ => "white",
        };
        out.push_str(&format!("    {} [label={}, shape={shape}, style={style}, fillcolor={}", quote(&n.id), quote(&n.lines.join("\n")), quote(fill)));
        if !n.notes.is_empty() {
            out.push_str(&format!(", tooltip={}", quote(&n.notes.join("\n"))));
        }
        out.push_str("];\n");
    }
    for e in &d.edges {
        out.push_str(&format!("    {} -> {}", quote(&e.from), quote(&e.to)));
        let mut attrs = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label={}", quote(l)));
        }
        if e.dashed {
            attrs.push("style=dashed".into());
        }
        if !attrs.is_empty() {
            out.push_str(&format!(" [{}]", attrs.join(", ")));
        }
        out.push_str(";\n");
    }
    out.push_str("  }\n");
}

pub fn render(p: &Program, selection: &Selection) -> String {
    let mut out = String::from("digraph sopflow {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (k, d) in super::diagrams(p, selection).iter().enumerate() {
        cluster(&mut out, k, d);
    }
    out.push_str("}\n");
    out
}
