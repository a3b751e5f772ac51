//! `export --format svg`: the diagrams drawn by SOPflow itself, from the
//! shared layout (`layout.rs`), with no Graphviz or browser involved. The
//! same drawing serves the editor's live preview (with a finding's witness
//! path highlighted) and the handbook.
//!
//! Each diagram is one `<svg role="img">` with a `<title>` and a `<desc>`
//! (a text alternative for screen readers); each node and edge is a group
//! with a class (`node step`, `edge witness`, …) and its notes as a
//! `<title>` tooltip. Colours come from a `<style>` element, so a page can
//! restyle them (print, dark themes).

use std::collections::HashSet;

use quick_xml::Writer;

use super::layout::{self, Outline, Rect};
use super::xml::{empty, end as close, start as open, text, W};
use super::{Diagram, Selection, Shape};
use crate::model::Program;

/// What to draw over a diagram: the nodes and edges of a witness's path,
/// and notes (a finding's code and message) on nodes.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    pub nodes: HashSet<String>,
    /// Indices into the diagram's edges.
    pub edges: HashSet<usize>,
    /// (node id, note): drawn as a badge on the node, the note its tooltip.
    pub notes: Vec<(String, String)>,
}

pub struct Options<'a> {
    /// Prefix of the ids inside the drawing (several drawings on one page).
    pub prefix: &'a str,
    /// The text alternative; the title and doc comment when absent.
    pub description: Option<String>,
    pub marks: Marks,
}

const FONT: f64 = 7.4; // px per character of 13px text, generously
const LINE: i64 = 17;
const LABEL_FONT: f64 = 6.6; // 11px text
const LABEL_LINE: i64 = 14;
const WRAP: usize = 26;
const LABEL_WRAP: usize = 28;
const TITLE: i64 = 30;

const STYLE: &str = "
.sop-title { font: 600 15px sans-serif; fill: #111827; }
.node text { font: 13px sans-serif; fill: #111827; }
.node .name { font-weight: 600; }
.node rect, .node polygon, .node path { fill: #ffffff; stroke: #374151; stroke-width: 1.2; }
.node.escalate polygon, .node.handoff polygon { fill: #ede9fe; }
.node.witness rect, .node.witness polygon, .node.witness path { stroke: #dc2626; stroke-width: 3; }
.edge path { fill: none; stroke: #4b5563; stroke-width: 1.2; }
.edge.dashed path { stroke-dasharray: 5 4; }
.edge.witness path { stroke: #dc2626; stroke-width: 3; }
.edge text { font: 11px sans-serif; fill: #374151; }
.badge circle { fill: #dc2626; }
.badge text { font: 700 12px sans-serif; fill: #ffffff; }
@media print { .edge.witness path, .node.witness rect { stroke: #000000; } }
";

/// The lines drawn in a node: each of its lines wrapped.
fn node_lines(lines: &[String]) -> Vec<(String, bool)> {
    lines.iter().enumerate().flat_map(|(k, l)| layout::wrap(l, WRAP).into_iter().map(move |x| (x, k == 0))).collect()
}

fn node_size(shape: Shape, lines: &[(String, bool)]) -> (i64, i64, Outline) {
    let longest = lines.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(1) as f64;
    let w = ((longest * FONT).ceil() as i64 + 28).max(96);
    let h = lines.len().max(1) as i64 * LINE + 18;
    match shape {
        Shape::Decision => (w + 40, h + 30, Outline::Diamond),
        Shape::Escalate | Shape::HandOff => (w + 16, h, Outline::Rect),
        _ => (w, h, Outline::Rect),
    }
}

fn fmt(points: &[(i64, i64)]) -> String {
    points.iter().map(|(x, y)| format!("{x},{y}")).collect::<Vec<_>>().join(" ")
}

fn class(shape: Shape) -> &'static str {
    match shape {
        Shape::Step => "step",
        Shape::Action => "action",
        Shape::Escalate => "escalate",
        Shape::HandOff => "handoff",
        Shape::Outcome => "outcome",
        Shape::Table => "table",
        Shape::Decision => "decision",
    }
}

/// The outline of a node's shape in its box.
fn outline(w: &mut W, shape: Shape, r: Rect, fill: Option<&str>) {
    let (x, y, wd, h) = (r.x, r.y, r.w, r.h);
    let style = fill.map(|f| format!("fill: {f}"));
    let mut attrs: Vec<(&str, String)> = Vec::new();
    let tag = match shape {
        Shape::Step | Shape::Outcome | Shape::Action | Shape::Table => {
            let rx = match shape {
                Shape::Outcome => h / 2,
                Shape::Step => 10,
                _ => 2,
            };
            attrs.extend([("x", x.to_string()), ("y", y.to_string()), ("width", wd.to_string()), ("height", h.to_string()), ("rx", rx.to_string())]);
            "rect"
        }
        Shape::Escalate => {
            attrs.push(("points", fmt(&[(x + 12, y), (x + wd - 12, y), (x + wd, y + h / 2), (x + wd - 12, y + h), (x + 12, y + h), (x, y + h / 2)])));
            "polygon"
        }
        Shape::HandOff => {
            attrs.push(("points", fmt(&[(x, y), (x + wd - 14, y), (x + wd, y + h / 2), (x + wd - 14, y + h), (x, y + h)])));
            "polygon"
        }
        Shape::Decision => {
            attrs.push(("points", fmt(&[(x + wd / 2, y), (x + wd, y + h / 2), (x + wd / 2, y + h), (x, y + h / 2)])));
            "polygon"
        }
    };
    if let Some(s) = &style {
        attrs.push(("style", s.clone()));
    }
    let refs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    empty(w, tag, &refs);
    match shape {
        // An action's bars, a table's tab.
        Shape::Action => {
            for bx in [x + 6, x + wd - 6] {
                empty(w, "path", &[("d", &format!("M{bx},{y} V{}", y + h))]);
            }
        }
        Shape::Table => empty(w, "path", &[("d", &format!("M{x},{} H{}", y + 8, x + wd))]),
        _ => {}
    }
}

/// A diagram laid out, ready to write.
struct Prepared<'d> {
    d: &'d Diagram,
    lines: Vec<Vec<(String, bool)>>,
    labels: Vec<Option<Vec<String>>>,
    index: std::collections::HashMap<&'d str, usize>,
    edges: Vec<layout::Edge>,
    l: layout::Layout,
    width: i64,
    height: i64,
}

fn prepare(d: &Diagram) -> Prepared<'_> {
    let lines: Vec<Vec<(String, bool)>> = d.nodes.iter().map(|n| node_lines(&n.lines)).collect();
    let index: std::collections::HashMap<&str, usize> = d.nodes.iter().enumerate().map(|(k, n)| (n.id.as_str(), k)).collect();
    let nodes: Vec<layout::Node> = d
        .nodes
        .iter()
        .zip(&lines)
        .map(|(n, l)| {
            let (w, h, o) = node_size(n.shape, l);
            layout::Node::plain(w, h, o)
        })
        .collect();
    let labels: Vec<Option<Vec<String>>> = d.edges.iter().map(|e| e.label.as_ref().map(|l| layout::wrap(l, LABEL_WRAP))).collect();
    // Every edge of a diagram joins two of its nodes.
    let edges: Vec<layout::Edge> = d
        .edges
        .iter()
        .zip(&labels)
        .map(|(e, l)| {
            let label = l.as_ref().map(|l| {
                let longest = l.iter().map(|x| x.chars().count()).max().unwrap_or(0) as f64;
                ((longest * LABEL_FONT).ceil() as i64 + 4, l.len() as i64 * LABEL_LINE)
            });
            layout::Edge { from: index[e.from.as_str()], to: index[e.to.as_str()], label, start: None }
        })
        .collect();
    let l = layout::layout(&nodes, &edges);
    let width = l.width.max((d.title.chars().count() as f64 * 8.5) as i64 + 20);
    let height = l.height + TITLE;
    Prepared { d, lines, labels, index, edges, l, width, height }
}

/// A diagram's layout as the drawing uses it (for tests and tools).
pub fn layout_of(d: &Diagram) -> layout::Layout {
    prepare(d).l
}

/// One diagram as an SVG document.
pub fn diagram(d: &Diagram, options: &Options<'_>) -> String {
    let p = prepare(d);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    write(&mut w, &p, options, None);
    String::from_utf8(w.into_inner()).expect("the writer writes UTF-8")
}

/// Writes a prepared diagram as an `<svg>` element, at height `y` inside
/// another drawing when given.
fn write(w: &mut W, p: &Prepared<'_>, options: &Options<'_>, y: Option<i64>) {
    let Prepared { d, lines, labels, index, edges, l, width, height } = p;
    let (width, height) = (*width, *height);
    let pre = options.prefix;
    let (title_id, desc_id) = (format!("{pre}title"), format!("{pre}desc"));
    let labelled = format!("{title_id} {desc_id}");
    let view = format!("0 0 {width} {height}");
    let (ws, hs, ys) = (width.to_string(), height.to_string(), y.unwrap_or(0).to_string());
    let mut attrs = vec![
        ("xmlns", "http://www.w3.org/2000/svg"),
        ("viewBox", view.as_str()),
        ("width", ws.as_str()),
        ("height", hs.as_str()),
        ("role", "img"),
        ("aria-labelledby", labelled.as_str()),
        ("class", "sopflow-diagram"),
    ];
    if y.is_some() {
        attrs.push(("y", ys.as_str()));
    }
    open(w, "svg", &attrs);
    text(w, "title", &[("id", &title_id)], &d.title);
    let description = options.description.clone().unwrap_or_else(|| d.doc.clone().unwrap_or_else(|| d.title.clone()));
    text(w, "desc", &[("id", &desc_id)], &description);
    text(w, "style", &[], STYLE);
    open(w, "defs", &[]);
    let arrow = format!("{pre}arrow");
    open(
        w,
        "marker",
        &[
            ("id", &arrow),
            ("viewBox", "0 0 10 10"),
            ("refX", "10"),
            ("refY", "5"),
            // In the drawing's units: a witness's thicker line keeps the same arrow.
            ("markerUnits", "userSpaceOnUse"),
            ("markerWidth", "8"),
            ("markerHeight", "8"),
            ("orient", "auto-start-reverse"),
        ],
    );
    empty(w, "path", &[("d", "M0,0 L10,5 L0,10 z"), ("fill", "#4b5563")]);
    close(w, "marker");
    close(w, "defs");
    text(w, "text", &[("class", "sop-title"), ("x", "10"), ("y", "20")], &d.title);
    open(w, "g", &[("transform", &format!("translate(0,{TITLE})"))]);
    // Edges first: shapes are drawn over their ends.
    let marker = format!("url(#{arrow})");
    for (k, (e, route)) in edges.iter().zip(&l.routes).enumerate() {
        let _ = e;
        let de = &d.edges[k];
        let mut class = String::from("edge");
        if de.dashed {
            class.push_str(" dashed");
        }
        if options.marks.edges.contains(&k) {
            class.push_str(" witness");
        }
        open(w, "g", &[("class", &class)]);
        let path = route.points.iter().enumerate().map(|(i, (x, y))| format!("{}{x},{y}", if i == 0 { "M" } else { "L" })).collect::<Vec<_>>().join(" ");
        empty(w, "path", &[("d", &path), ("marker-end", &marker)]);
        if let (Some(r), Some(lines)) = (route.label, &labels[k]) {
            for (i, line) in lines.iter().enumerate() {
                let y = r.y + (i as i64 + 1) * LABEL_LINE - 3;
                text(w, "text", &[("x", &(r.x + 2).to_string()), ("y", &y.to_string())], line);
            }
        }
        close(w, "g");
    }
    for (k, n) in d.nodes.iter().enumerate() {
        let r = l.boxes[k];
        let mut class = format!("node {}", class(n.shape));
        if options.marks.nodes.contains(&n.id) {
            class.push_str(" witness");
        }
        let id = format!("{pre}{}", n.id);
        open(w, "g", &[("class", &class), ("id", &id)]);
        if !n.notes.is_empty() {
            text(w, "title", &[], &n.notes.join("\n"));
        }
        let fill = (n.shape == Shape::Outcome).then(|| super::severity_color(n.severity));
        outline(w, n.shape, r, fill);
        let block = lines[k].len() as i64 * LINE;
        let top = r.y + (r.h - block) / 2;
        for (i, (line, first)) in lines[k].iter().enumerate() {
            let y = top + (i as i64 + 1) * LINE - 4;
            let mut attrs = vec![("x", (r.x + r.w / 2).to_string()), ("y", y.to_string()), ("text-anchor", "middle".to_string())];
            if *first {
                attrs.push(("class", "name".to_string()));
            }
            let refs: Vec<(&str, &str)> = attrs.iter().map(|(a, b)| (*a, b.as_str())).collect();
            text(w, "text", &refs, line);
        }
        close(w, "g");
    }
    // Badges for notes: a numbered circle at a node's top right corner.
    for (i, (node, note)) in options.marks.notes.iter().enumerate() {
        let Some(&k) = index.get(node.as_str()) else { continue };
        let r = l.boxes[k];
        open(w, "g", &[("class", "badge")]);
        text(w, "title", &[], note);
        empty(w, "circle", &[("cx", &(r.right() - 4).to_string()), ("cy", &(r.y + 4).to_string()), ("r", "9")]);
        text(w, "text", &[("x", &(r.right() - 4).to_string()), ("y", &(r.y + 8).to_string()), ("text-anchor", "middle")], &(i + 1).to_string());
        close(w, "g");
    }
    close(w, "g");
    close(w, "svg");
}

/// `export --format svg`: every selected flow and table, one drawing each,
/// stacked in one document.
pub fn render(p: &Program, selection: &Selection) -> String {
    let diagrams = super::diagrams(p, selection);
    let prepared: Vec<Prepared<'_>> = diagrams.iter().map(prepare).collect();
    const SPACE: i64 = 20;
    let width = prepared.iter().map(|p| p.width).max().unwrap_or(0);
    let height: i64 = prepared.iter().map(|p| p.height + SPACE).sum();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    let (view, ws, hs) = (format!("0 0 {width} {height}"), width.to_string(), height.to_string());
    open(&mut w, "svg", &[("xmlns", "http://www.w3.org/2000/svg"), ("viewBox", &view), ("width", &ws), ("height", &hs)]);
    let mut y = 0;
    for (k, p) in prepared.iter().enumerate() {
        write(&mut w, p, &Options { prefix: &format!("d{k}_"), description: None, marks: Marks::default() }, Some(y));
        y += p.height + SPACE;
    }
    close(&mut w, "svg");
    let mut out = String::from_utf8(w.into_inner()).expect("the writer writes UTF-8");
    out.push('\n');
    out
}
