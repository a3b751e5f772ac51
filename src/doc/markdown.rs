//! The handbook as Markdown for a wiki: `index.md`, a page per flow and
//! table, `changes.md` with `--since`, and each drawing as an SVG file next
//! to its page (its text alternative is the image's alt text and the list
//! under it).

use super::{Handbook, Inline, Rule};

/// Text with Markdown's special characters escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_[]<>#|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn inline(s: &[Inline]) -> String {
    s.iter()
        .map(|i| match i {
            Inline::Text(t) => esc(t),
            Inline::Code(c) => code(c),
            Inline::Link { text, page, anchor } => match anchor {
                Some(a) => format!("[{}]({page}.md#{a})", esc(text)),
                None => format!("[{}]({page}.md)", esc(text)),
            },
        })
        .collect()
}

fn doc(out: &mut String, d: &Option<String>) {
    if let Some(d) = d {
        for para in d.split("\n\n") {
            out.push_str(&format!("{}\n\n", esc(&para.replace('\n', " "))));
        }
    }
}

fn rules(out: &mut String, first: bool, rules: &[Rule]) {
    out.push_str(if first { "Take the first rule that applies:\n\n" } else { "Exactly one rule applies:\n\n" });
    for (k, r) in rules.iter().enumerate() {
        let bullet = if first { format!("{}.", k + 1) } else { "-".to_string() };
        out.push_str(&format!("{bullet} {}: {}.\n", inline(&r.when), inline(&r.then)));
    }
    out.push('\n');
}

fn scope(out: &mut String, h: &Handbook) {
    if let Some(s) = &h.scope {
        out.push_str(&format!("This handbook covers the cases where {}.\n\n", code(s)));
    }
}

fn row(cells: &[String]) -> String {
    format!("| {} |\n", cells.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | "))
}

fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str(&row(&head.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
    out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
    for r in rows {
        out.push_str(&row(r));
    }
    out.push('\n');
}

/// Every file: (name, content).
pub fn render(h: &Handbook) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut index = format!("# {}\n\n", esc(&h.title));
    scope(&mut index, h);
    if let Some(c) = &h.changes {
        index.push_str(&format!("[What changed since {}](changes.md)\n\n", esc(&c.since)));
    }
    index.push_str("## Flows\n\n");
    for f in &h.flows {
        let line = super::summary(&f.doc);
        index.push_str(&format!("- [{}]({}.md){}\n", esc(&f.name), f.page, if line.is_empty() { String::new() } else { format!(": {}", esc(&line)) }));
    }
    index.push('\n');
    if !h.tables.is_empty() {
        index.push_str("## Decision tables\n\n");
        for t in &h.tables {
            index.push_str(&format!("- [{}]({}.md)\n", esc(&t.name), t.page));
        }
        index.push('\n');
    }
    let first = super::summary;
    index.push_str("## Teams\n\n");
    table(
        &mut index,
        &["Team", "SLA", "About"],
        &h.teams.iter().map(|(n, s, d)| vec![n.clone(), s.clone().unwrap_or_else(|| "none".into()), first(d)]).collect::<Vec<_>>(),
    );
    index.push_str("## Outcomes\n\n");
    table(&mut index, &["Outcome", "Severity", "About"], &h.outcomes.iter().map(|(n, s, d)| vec![n.clone(), s.clone(), first(d)]).collect::<Vec<_>>());
    index.push_str("## Inputs\n\n");
    table(&mut index, &["Input", "Name", "Values"], &h.inputs.iter().map(|(n, l, t, _)| vec![l.clone(), n.clone(), t.clone()]).collect::<Vec<_>>());
    files.push(("index.md".to_string(), index));
    for f in &h.flows {
        let mut out = format!("# flow {}\n\n", esc(&f.name));
        scope(&mut out, h);
        doc(&mut out, &f.doc);
        for t in &f.targets {
            out.push_str(&format!("**{}.**\n\n", esc(t)));
        }
        out.push_str(&format!("![{}]({}.svg)\n\n", esc(&format!("flow {}: the steps and where each rule sends a case", f.name)), f.page));
        out.push_str("The diagram as text:\n\n");
        for (k, l) in f.narration.iter().enumerate() {
            out.push_str(&format!("{}. {}\n", k + 1, esc(l)));
        }
        out.push('\n');
        if !f.dropped.is_empty() {
            out.push_str("## Left out for this scope\n\n");
            for d in &f.dropped {
                out.push_str(&format!("- {}\n", esc(d)));
            }
            out.push('\n');
        }
        out.push_str("## Steps\n\n");
        for s in &f.steps {
            out.push_str(&format!("### {} {}\n\n", esc(&s.title), code(&format!("step {}", s.name))));
            if s.start {
                out.push_str("Every case starts here.\n\n");
            }
            for a in &s.arrives_from {
                out.push_str(&format!("- {}.\n", inline(a)));
            }
            if !s.arrives_from.is_empty() {
                out.push('\n');
            }
            if let Some(d) = &s.deadline {
                out.push_str(&format!("**Decide within {}.**\n\n", esc(d)));
            }
            doc(&mut out, &s.doc);
            for i in &s.instructions {
                out.push_str(&format!("- {}\n", esc(i)));
            }
            if !s.instructions.is_empty() {
                out.push('\n');
            }
            rules(&mut out, s.first, &s.rules);
        }
        if !f.teams.is_empty() {
            out.push_str("## Teams\n\n");
            table(&mut out, &["Team", "SLA"], &f.teams.iter().map(|(t, s)| vec![t.clone(), s.clone().unwrap_or_else(|| "none".into())]).collect::<Vec<_>>());
        }
        out.push_str("## Worked examples\n\nOne case for each way through the flow, found by sopflow and run by it.\n\n");
        for (k, e) in f.examples.iter().enumerate() {
            out.push_str(&format!("### Example {}: {}\n\n", k + 1, esc(&e.title)));
            if !e.inputs.is_empty() {
                table(
                    &mut out,
                    &["Input", "Value"],
                    &e.inputs.iter().map(|(l, n, v)| vec![if l == n { l.clone() } else { format!("{l} ({n})") }, v.clone()]).collect::<Vec<_>>(),
                );
            }
            if !e.timeouts.is_empty() {
                out.push_str(&format!("Time runs out at: {}.\n\n", esc(&e.timeouts.join(", "))));
            }
            out.push_str(&format!("Steps: {}.\n\nResult: {}.\n\n", esc(&e.steps.join(" → ")), inline(&e.result)));
        }
        out.push_str(&format!("---\nGenerated by sopflow from {}: the policy is the source, change it there.\n", code(&f.file)));
        files.push((format!("{}.md", f.page), out));
        files.push((format!("{}.svg", f.page), f.svg.clone()));
    }
    for t in &h.tables {
        let mut out = format!("# table {}\n\n", esc(&t.name));
        doc(&mut out, &t.doc);
        out.push_str(if t.first { "Take the first rule that applies.\n\n" } else { "Exactly one rule applies.\n\n" });
        out.push_str("| # | When | Then |\n|---|---|---|\n");
        for (k, r) in t.rules.iter().enumerate() {
            out.push_str(&format!("| {} | {} | {} |\n", k + 1, inline(&r.when), inline(&r.then)));
        }
        out.push_str(&format!("\n![{}]({}.svg)\n\n", esc(&format!("table {}: its rules, drawn", t.name)), t.page));
        out.push_str(&format!("---\nGenerated by sopflow from {}: the policy is the source, change it there.\n", code(&t.file)));
        files.push((format!("{}.md", t.page), out));
        files.push((format!("{}.svg", t.page), t.svg.clone()));
    }
    if let Some(c) = &h.changes {
        let mut out = format!("# What changed since {}\n\n", esc(&c.since));
        if c.changes.is_empty() && c.added.is_empty() && c.removed.is_empty() {
            out.push_str("No case is handled differently.\n\n");
        }
        for x in &c.changes {
            out.push_str(&format!(
                "- **{} ({})**: cases where {} were {}, and are now {}.",
                esc(&x.subject),
                x.direction,
                code(&x.cases),
                esc(&x.before),
                esc(&x.after)
            ));
            if !x.example.is_empty() {
                let shown: Vec<String> = x.example.iter().map(|(l, _, v)| format!("{l}: {v}")).collect();
                out.push_str(&format!(" For example: {}.", esc(&shown.join("; "))));
            }
            out.push('\n');
        }
        for (title, list) in [("New", &c.added), ("Removed", &c.removed), ("Notes", &c.notes)] {
            if !list.is_empty() {
                out.push_str(&format!("\n## {title}\n\n"));
                for x in list {
                    out.push_str(&format!("- {}\n", esc(x)));
                }
            }
        }
        files.push(("changes.md".to_string(), out));
    }
    files
}
