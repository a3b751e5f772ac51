//! The handbook as a static HTML site: `index.html`, a page per flow and
//! table, `changes.html` with `--since`, and `handbook.css`. Offline (no
//! script, no font or CDN), each drawing inline with its text alternative,
//! a skip link and landmarks for keyboard and screen-reader users, and a
//! print style. Markup is written by quick-xml (escaped, well-formed); void
//! elements are the only empty ones.

use quick_xml::Writer;

use crate::export::xml;

use super::{Change, Example, FlowPage, Handbook, Inline, Rule, StepPage, TablePage};

pub const CSS: &str = "\
:root { color-scheme: light; --ink: #111827; --muted: #4b5563; --line: #d1d5db; --accent: #1d4ed8; }
body { font: 16px/1.55 system-ui, sans-serif; color: var(--ink); margin: 0 auto; max-width: 72rem; padding: 0 1.25rem 3rem; }
a { color: var(--accent); }
a:focus-visible, main:focus-visible, summary:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header nav { border-bottom: 1px solid var(--line); padding: .75rem 0; }
header nav a { margin-right: 1rem; }
code { font-family: ui-monospace, monospace; background: #f3f4f6; padding: 0 .2em; border-radius: 3px; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .3rem .6rem; text-align: left; vertical-align: top; }
figure { margin: 1rem 0; overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: .5rem; background: #fff; }
figcaption { color: var(--muted); font-size: .9rem; }
.step { border-left: 4px solid var(--line); padding-left: 1rem; margin: 1.5rem 0; }
.deadline { font-weight: 600; }
.example { border: 1px solid var(--line); border-radius: 6px; padding: .25rem 1rem; margin: 1rem 0; }
.muted { color: var(--muted); }
@media print {
  header nav, .skip, details { display: none; }
  body { max-width: none; font-size: 11pt; }
  .step, .example, figure, table { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
";

struct Page {
    w: Writer<Vec<u8>>,
}

const VOID: [&str; 4] = ["meta", "link", "br", "img"];

impl Page {
    fn new() -> Page {
        Page { w: Writer::new(Vec::new()) }
    }

    fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        if VOID.contains(&tag) {
            xml::empty(&mut self.w, tag, attrs);
        } else {
            xml::start(&mut self.w, tag, attrs);
        }
    }

    fn close(&mut self, tag: &str) {
        xml::end(&mut self.w, tag);
    }

    fn text(&mut self, s: &str) {
        xml::chars(&mut self.w, s);
    }

    fn el(&mut self, tag: &str, attrs: &[(&str, &str)], s: &str) {
        self.open(tag, attrs);
        self.text(s);
        self.close(tag);
    }

    fn nl(&mut self) {
        self.w.get_mut().push(b'\n');
    }

    /// Markup SOPflow made itself (a drawing from `export::svg`).
    fn raw(&mut self, markup: &str) {
        self.w.get_mut().extend_from_slice(markup.as_bytes());
    }

    fn inline(&mut self, s: &[Inline]) {
        for i in s {
            match i {
                Inline::Text(t) => self.text(t),
                Inline::Code(c) => self.el("code", &[], c),
                Inline::Link { text, page, anchor } => {
                    let href = match anchor {
                        Some(a) => format!("{page}.html#{a}"),
                        None => format!("{page}.html"),
                    };
                    self.el("a", &[("href", &href)], text);
                }
            }
        }
    }

    fn paragraphs(&mut self, doc: &str) {
        for para in doc.split("\n\n") {
            self.el("p", &[], &para.replace('\n', " "));
            self.nl();
        }
    }

    fn finish(self) -> String {
        let mut out = String::from("<!DOCTYPE html>\n");
        out.push_str(&String::from_utf8(self.w.into_inner()).expect("the writer writes UTF-8"));
        out.push('\n');
        out
    }
}

fn start(h: &Handbook, title: &str) -> Page {
    let mut p = Page::new();
    p.open("html", &[("lang", "en")]);
    p.nl();
    p.open("head", &[]);
    p.open("meta", &[("charset", "utf-8")]);
    p.open("meta", &[("name", "viewport"), ("content", "width=device-width, initial-scale=1")]);
    p.el("title", &[], &format!("{title} · {}", h.title));
    p.open("link", &[("rel", "stylesheet"), ("href", "handbook.css")]);
    p.close("head");
    p.nl();
    p.open("body", &[]);
    p.el("a", &[("class", "skip"), ("href", "#main")], "Skip to content");
    p.open("header", &[]);
    p.open("nav", &[("aria-label", "Handbook")]);
    p.el("a", &[("href", "index.html")], "Index");
    for f in &h.flows {
        p.el("a", &[("href", &format!("{}.html", f.page))], &f.name);
    }
    if h.changes.is_some() {
        p.el("a", &[("href", "changes.html")], "What changed");
    }
    p.close("nav");
    p.close("header");
    p.nl();
    p.open("main", &[("id", "main"), ("tabindex", "-1")]);
    p.nl();
    if let Some(scope) = &h.scope {
        p.open("p", &[("class", "muted")]);
        p.text("This handbook covers the cases where ");
        p.el("code", &[], scope);
        p.text(".");
        p.close("p");
        p.nl();
    }
    p
}

fn end(mut p: Page, source: Option<&str>) -> String {
    p.close("main");
    p.nl();
    p.open("footer", &[("class", "muted")]);
    match source {
        Some(file) => {
            p.text("Generated by sopflow from ");
            p.el("code", &[], file);
            p.text(": the policy is the source, change it there.");
        }
        None => p.text("Generated by sopflow from the policy: the policy is the source, change it there."),
    }
    p.close("footer");
    p.close("body");
    p.close("html");
    p.finish()
}

fn cells(p: &mut Page, head: bool, row: &[&str]) {
    p.open("tr", &[]);
    for c in row {
        p.el(if head { "th" } else { "td" }, if head { &[("scope", "col")] } else { &[] }, c);
    }
    p.close("tr");
    p.nl();
}

/// Every page: (file name, content).
pub fn render(h: &Handbook) -> Vec<(String, String)> {
    let mut out = vec![("index.html".to_string(), index(h)), ("handbook.css".to_string(), CSS.to_string())];
    for f in &h.flows {
        out.push((format!("{}.html", f.page), flow(h, f)));
    }
    for t in &h.tables {
        out.push((format!("{}.html", t.page), table(h, t)));
    }
    if let Some(c) = &h.changes {
        out.push(("changes.html".to_string(), changes(h, c)));
    }
    out
}

/// A page in a list: its file stem, name, doc comment, and notes after it.
type Listed<'a> = (&'a str, &'a str, &'a Option<String>, &'a [String]);

/// A section listing pages: each a link, its doc comment's first
/// paragraph, and its notes (a flow's resolution targets).
fn listed(p: &mut Page, id: &str, title: &str, items: &[Listed<'_>]) {
    p.open("section", &[("aria-labelledby", id)]);
    p.el("h2", &[("id", id)], title);
    p.open("ul", &[]);
    for (page, name, doc, notes) in items {
        p.open("li", &[]);
        p.el("a", &[("href", &format!("{page}.html"))], name);
        let line = super::summary(doc);
        if !line.is_empty() {
            p.text(&format!(": {line}"));
        }
        for t in *notes {
            p.text(&format!(" {t}."));
        }
        p.close("li");
        p.nl();
    }
    p.close("ul");
    p.close("section");
    p.nl();
}

fn index(h: &Handbook) -> String {
    let mut p = start(h, "Index");
    p.el("h1", &[], &h.title);
    p.nl();
    if let Some(c) = &h.changes {
        p.open("p", &[]);
        p.el("a", &[("href", "changes.html")], &format!("What changed since {}", c.since));
        p.text(&format!(": {} change(s).", c.changes.len() + c.added.len() + c.removed.len()));
        p.close("p");
    }
    let flows: Vec<Listed<'_>> = h.flows.iter().map(|f| (f.page.as_str(), f.name.as_str(), &f.doc, &f.targets[..])).collect();
    listed(&mut p, "flows", "Flows", &flows);
    if !h.tables.is_empty() {
        let tables: Vec<Listed<'_>> = h.tables.iter().map(|t| (t.page.as_str(), t.name.as_str(), &t.doc, &[][..])).collect();
        listed(&mut p, "tables", "Decision tables", &tables);
    }
    let section = |p: &mut Page, id: &str, title: &str, head: &[&str], rows: Vec<Vec<String>>| {
        if rows.is_empty() {
            return;
        }
        p.open("section", &[("aria-labelledby", id)]);
        p.el("h2", &[("id", id)], title);
        p.open("table", &[]);
        cells(p, true, head);
        for r in &rows {
            let r: Vec<&str> = r.iter().map(String::as_str).collect();
            cells(p, false, &r);
        }
        p.close("table");
        p.close("section");
        p.nl();
    };
    let teams = h.teams.iter().map(|(n, sla, doc)| vec![n.clone(), sla.clone().unwrap_or_else(|| "none".into()), super::summary(doc)]).collect();
    section(&mut p, "teams", "Teams", &["Team", "SLA", "About"], teams);
    let outcomes = h.outcomes.iter().map(|(n, s, doc)| vec![n.clone(), s.clone(), super::summary(doc)]).collect();
    section(&mut p, "outcomes", "Outcomes", &["Outcome", "Severity", "About"], outcomes);
    let inputs = h.inputs.iter().map(|(n, label, ty, _)| vec![label.clone(), n.clone(), ty.clone()]).collect();
    section(&mut p, "inputs", "Inputs", &["Input", "Name", "Values"], inputs);
    let actions = h.actions.iter().map(|(n, d, doc)| vec![n.clone(), d.clone().unwrap_or_default(), super::summary(doc)]).collect();
    section(&mut p, "actions", "Actions", &["Action", "What it does", "About"], actions);
    end(p, None)
}

fn rules(p: &mut Page, first: bool, rules: &[Rule]) {
    p.el("p", &[], if first { "Take the first rule that applies:" } else { "Exactly one rule applies:" });
    let list = if first { "ol" } else { "ul" };
    p.open(list, &[]);
    for r in rules {
        p.open("li", &[]);
        p.inline(&r.when);
        p.text(": ");
        p.inline(&r.then);
        p.text(".");
        p.close("li");
        p.nl();
    }
    p.close(list);
}

fn step(p: &mut Page, s: &StepPage) {
    p.open("section", &[("class", "step"), ("id", &s.anchor), ("aria-labelledby", &format!("{}-h", s.anchor))]);
    p.open("h3", &[("id", &format!("{}-h", s.anchor))]);
    p.text(&s.title);
    p.text(" ");
    p.el("code", &[], &format!("step {}", s.name));
    p.close("h3");
    p.nl();
    if s.start {
        p.el("p", &[], "Every case starts here.");
    }
    if !s.arrives_from.is_empty() {
        p.open("ul", &[("class", "muted")]);
        for a in &s.arrives_from {
            p.open("li", &[]);
            p.inline(a);
            p.text(".");
            p.close("li");
        }
        p.close("ul");
    }
    if let Some(d) = &s.deadline {
        p.el("p", &[("class", "deadline")], &format!("Decide within {d}."));
    }
    if let Some(doc) = &s.doc {
        p.paragraphs(doc);
    }
    if !s.instructions.is_empty() {
        p.open("ul", &[("aria-label", "Instructions")]);
        for i in &s.instructions {
            p.el("li", &[], i);
        }
        p.close("ul");
    }
    rules(p, s.first, &s.rules);
    p.close("section");
    p.nl();
}

fn example(p: &mut Page, k: usize, e: &Example) {
    p.open("section", &[("class", "example"), ("aria-labelledby", &format!("example-{k}"))]);
    p.el("h3", &[("id", &format!("example-{k}"))], &format!("Example {k}: {}", e.title));
    if e.inputs.is_empty() {
        p.el("p", &[], "Any case.");
    } else {
        p.open("table", &[]);
        cells(p, true, &["Input", "Value"]);
        for (label, name, value) in &e.inputs {
            p.open("tr", &[]);
            p.open("td", &[]);
            p.text(label);
            if label != name {
                p.text(" ");
                p.el("code", &[], name);
            }
            p.close("td");
            p.el("td", &[], value);
            p.close("tr");
        }
        p.close("table");
    }
    if !e.timeouts.is_empty() {
        p.el("p", &[], &format!("Time runs out at: {}.", e.timeouts.join(", ")));
    }
    p.el("p", &[], &format!("Steps: {}.", e.steps.join(" → ")));
    p.open("p", &[]);
    p.text("Result: ");
    p.inline(&e.result);
    p.text(".");
    p.close("p");
    p.close("section");
    p.nl();
}

fn flow(h: &Handbook, f: &FlowPage) -> String {
    let mut p = start(h, &format!("flow {}", f.name));
    p.el("h1", &[], &format!("flow {}", f.name));
    p.nl();
    if let Some(doc) = &f.doc {
        p.paragraphs(doc);
    }
    if !f.targets.is_empty() {
        p.open("ul", &[("aria-label", "Resolution targets")]);
        for t in &f.targets {
            p.el("li", &[("class", "deadline")], &format!("{t}."));
        }
        p.close("ul");
    }
    p.open("figure", &[("aria-labelledby", "diagram-caption")]);
    p.raw(&f.svg);
    p.el("figcaption", &[("id", "diagram-caption")], &format!("flow {}: the steps and where each rule sends a case (described below).", f.name));
    p.close("figure");
    p.nl();
    p.open("details", &[]);
    p.el("summary", &[], "The diagram as text");
    p.open("ol", &[]);
    for line in &f.narration {
        p.el("li", &[], line);
    }
    p.close("ol");
    p.close("details");
    p.nl();
    if !f.dropped.is_empty() {
        p.el("h2", &[], "Left out for this scope");
        p.open("ul", &[]);
        for d in &f.dropped {
            p.el("li", &[], d);
        }
        p.close("ul");
    }
    p.el("h2", &[], "Steps");
    p.nl();
    for s in &f.steps {
        step(&mut p, s);
    }
    if !f.teams.is_empty() {
        p.el("h2", &[], "Teams");
        p.open("table", &[]);
        cells(&mut p, true, &["Team", "SLA"]);
        for (t, sla) in &f.teams {
            cells(&mut p, false, &[t, sla.as_deref().unwrap_or("none")]);
        }
        p.close("table");
        p.nl();
    }
    p.el("h2", &[], "Worked examples");
    p.el("p", &[("class", "muted")], "One case for each way through the flow, found by sopflow and run by it.");
    for (k, e) in f.examples.iter().enumerate() {
        example(&mut p, k + 1, e);
    }
    if f.examples_capped {
        p.el("p", &[("class", "muted")], "More ways through the flow exist than are shown here.");
    }
    end(p, Some(&f.file))
}

fn table(h: &Handbook, t: &TablePage) -> String {
    let mut p = start(h, &format!("table {}", t.name));
    p.el("h1", &[], &format!("table {}", t.name));
    p.nl();
    if let Some(doc) = &t.doc {
        p.paragraphs(doc);
    }
    p.el("p", &[], if t.first { "Take the first rule that applies." } else { "Exactly one rule applies." });
    p.open("table", &[]);
    cells(&mut p, true, &["#", "When", "Then"]);
    for (k, r) in t.rules.iter().enumerate() {
        p.open("tr", &[]);
        p.el("td", &[], &(k + 1).to_string());
        p.open("td", &[]);
        p.inline(&r.when);
        p.close("td");
        p.open("td", &[]);
        p.inline(&r.then);
        p.close("td");
        p.close("tr");
        p.nl();
    }
    p.close("table");
    p.open("figure", &[("aria-labelledby", "diagram-caption")]);
    p.raw(&t.svg);
    p.el("figcaption", &[("id", "diagram-caption")], &format!("table {}: its rules (the table above, drawn).", t.name));
    p.close("figure");
    if !t.used_by.is_empty() {
        p.open("p", &[]);
        p.text("Used by: ");
        for (k, u) in t.used_by.iter().enumerate() {
            if k > 0 {
                p.text(", ");
            }
            p.inline(std::slice::from_ref(u));
        }
        p.text(".");
        p.close("p");
    }
    end(p, Some(&t.file))
}

fn change(p: &mut Page, c: &Change) {
    p.open("li", &[]);
    p.el("strong", &[], &format!("{} ({})", c.subject, c.direction));
    p.text(": cases where ");
    p.el("code", &[], &c.cases);
    p.text(&format!(" were {}, and are now {}.", c.before, c.after));
    if !c.example.is_empty() {
        let shown: Vec<String> = c.example.iter().map(|(l, _, v)| format!("{l}: {v}")).collect();
        p.text(&format!(" For example: {}.", shown.join("; ")));
    }
    p.close("li");
    p.nl();
}

fn changes(h: &Handbook, c: &super::Changes) -> String {
    let mut p = start(h, "What changed");
    p.el("h1", &[], &format!("What changed since {}", c.since));
    if c.changes.is_empty() && c.added.is_empty() && c.removed.is_empty() {
        p.el("p", &[], "No case is handled differently.");
    }
    if !c.changes.is_empty() {
        p.el("h2", &[], "Cases handled differently");
        p.open("ul", &[]);
        for x in &c.changes {
            change(&mut p, x);
        }
        p.close("ul");
    }
    for (title, list) in [("New", &c.added), ("Removed", &c.removed), ("Notes", &c.notes)] {
        if !list.is_empty() {
            p.el("h2", &[], title);
            p.open("ul", &[]);
            for x in list {
                p.el("li", &[], x);
            }
            p.close("ul");
        }
    }
    end(p, None)
}
