//! Output of `sopflow diff`: the change matrix as JSON (its schema is
//! `sopflow diff --schema`, documented in docs/diff.md), as a terminal
//! summary, and as Markdown for a pull-request comment.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::diff::{Diff, Outcome, Subject};
use crate::model::Program;
use crate::source::{SourceMap, Span};

/// How a cell's cases changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A less severe outcome than before (a hand-off counts as high).
    Milder,
    /// A more severe outcome than before.
    Stricter,
    /// Anything else: another path, another outcome of the same severity,
    /// other escalations or actions, a failure.
    Other,
}

/// A region of cases of one cell.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RegionJson {
    /// The region in the language's terms (its first cubes).
    #[serde(rename = "where")]
    pub where_: String,
    /// A case of the region: paste it into a `test`, or replay it with
    /// `sopflow eval` in each version.
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub witness: crate::diagnostics::Witness,
    /// The branches that decide it, as `file:line`, in each version.
    pub old_lines: Vec<String>,
    pub new_lines: Vec<String>,
}

/// Every region with one old result and one new result.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CellJson {
    pub old: Outcome,
    pub new: Outcome,
    pub change: Change,
    /// The new result misses an escalation the policy requires and the old
    /// one did not (checked on each region's witness).
    pub escalation_lost: bool,
    pub regions: Vec<RegionJson>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SubjectJson {
    #[serde(flatten)]
    pub subject: Subject,
    pub cells: Vec<CellJson>,
    /// Outcomes no case reaches any more, and outcomes newly reached.
    pub outcomes_lost: Vec<String>,
    pub outcomes_gained: Vec<String>,
    /// A case set was widened: differences may be missing (each one
    /// listed was confirmed by `eval`).
    pub widened: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Summary {
    /// Flows and tables with a difference.
    pub changed: usize,
    pub cells: usize,
    pub regions: usize,
    pub milder: usize,
    pub stricter: usize,
    pub escalation_lost: usize,
    pub outcomes_lost: usize,
}

/// The JSON document of `sopflow diff --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiffJson {
    /// `"sopflow-diff"`.
    pub format: &'static str,
    pub old: String,
    pub new: String,
    pub summary: Summary,
    /// Flows and tables in both versions whose results differ.
    pub changed: Vec<SubjectJson>,
    pub added: Vec<Subject>,
    pub removed: Vec<Subject>,
    /// What was not compared, and why.
    pub notes: Vec<String>,
}

/// One version: its program and where its files are.
pub struct Version<'a> {
    pub name: &'a str,
    pub program: &'a Program,
    pub sources: &'a SourceMap,
}

fn line(sources: &SourceMap, span: Span) -> String {
    let file = sources.get(span.file);
    format!("{}:{}", file.path, file.line_col(span.start as usize).0)
}

/// The report of a diff.
pub fn report(diff: &Diff, old: &Version<'_>, new: &Version<'_>) -> DiffJson {
    let mut changed = Vec::new();
    let mut summary = Summary { changed: 0, cells: 0, regions: 0, milder: 0, stricter: 0, escalation_lost: 0, outcomes_lost: 0 };
    for c in &diff.compared {
        if c.regions.is_empty() && c.outcomes_lost.is_empty() && c.outcomes_gained.is_empty() && !c.widened {
            continue;
        }
        let mut cells: Vec<CellJson> = Vec::new();
        for r in &c.regions {
            let case_old = case_of(old.program, &r.witness);
            let case_new = case_of(new.program, &r.witness);
            let lost = crate::diff::escalation_met(old.program, &r.old, &case_old) && !crate::diff::escalation_met(new.program, &r.new, &case_new);
            let region = RegionJson {
                where_: r.text.clone(),
                witness: crate::diagnostics::Witness { values: r.witness.clone(), timeouts: r.timeouts.clone() },
                old_lines: r.old_lines.iter().map(|s| line(old.sources, *s)).collect(),
                new_lines: r.new_lines.iter().map(|s| line(new.sources, *s)).collect(),
            };
            match cells.last_mut().filter(|cell| cell.old == r.old && cell.new == r.new) {
                Some(cell) => {
                    cell.escalation_lost |= lost;
                    cell.regions.push(region);
                }
                None => {
                    let (was, is) = (crate::diff::severity(old.program, &r.old.end), crate::diff::severity(new.program, &r.new.end));
                    let change = if is < was {
                        Change::Milder
                    } else if is > was {
                        Change::Stricter
                    } else {
                        Change::Other
                    };
                    cells.push(CellJson { old: r.old.clone(), new: r.new.clone(), change, escalation_lost: lost, regions: vec![region] });
                }
            }
        }
        summary.changed += usize::from(!cells.is_empty());
        summary.cells += cells.len();
        summary.regions += c.regions.len();
        summary.milder += cells.iter().filter(|c| c.change == Change::Milder).count();
        summary.stricter += cells.iter().filter(|c| c.change == Change::Stricter).count();
        summary.escalation_lost += cells.iter().filter(|c| c.escalation_lost).count();
        summary.outcomes_lost += c.outcomes_lost.len();
        changed.push(SubjectJson {
            subject: c.subject.clone(),
            cells,
            outcomes_lost: c.outcomes_lost.clone(),
            outcomes_gained: c.outcomes_gained.clone(),
            widened: c.widened,
        });
    }
    let mut notes = diff.notes.clone();
    for c in &diff.compared {
        if c.widened {
            notes.push(format!("`{}`: a set of cases was widened; differences may be missing (each one listed was confirmed by `eval`)", c.subject.name()));
        }
    }
    DiffJson {
        format: "sopflow-diff",
        old: old.name.to_string(),
        new: new.name.to_string(),
        summary,
        changed,
        added: diff.added.clone(),
        removed: diff.removed.clone(),
        notes,
    }
}

/// A witness as a case of a program (by input name).
fn case_of(program: &Program, values: &[(String, crate::diagnostics::WitnessValue)]) -> crate::eval::Case {
    let json: serde_json::Map<String, serde_json::Value> = values.iter().map(|(n, v)| (n.clone(), v.json())).collect();
    program.inputs.iter().map(|i| json.get(&i.name).and_then(|v| crate::eval::value_from_json(program, program.input_by_name(&i.name)?, v).ok())).collect()
}

/// The JSON Schema of [`DiffJson`].
pub fn schema() -> String {
    crate::export::strict_schema(&schemars::schema_for!(DiffJson))
}

fn end_text(o: &Outcome) -> String {
    let end = match &o.end {
        crate::diff::EndKey::Outcome(x) => format!("outcome {x}"),
        crate::diff::EndKey::Escalated(x) => format!("escalate {x}"),
        crate::diff::EndKey::Conflict(x) => format!("conflict at {x}"),
        crate::diff::EndKey::FallThrough(x) => format!("fall-through at {x}"),
        crate::diff::EndKey::Cycle(x) => format!("cycle at step {x}"),
    };
    let mut extra = Vec::new();
    if !o.escalations.is_empty() && !matches!(o.end, crate::diff::EndKey::Escalated(_)) || o.escalations.len() > 1 {
        extra.push(format!("escalations {}", o.escalations.join(", ")));
    }
    if !o.actions.is_empty() {
        extra.push(format!("actions {}", o.actions.join(", ")));
    }
    if !o.path.is_empty() {
        extra.push(format!("path {}", o.path.join(" → ")));
    }
    if extra.is_empty() {
        end
    } else {
        format!("{end} ({})", extra.join("; "))
    }
}

fn change_word(c: Change) -> &'static str {
    match c {
        Change::Milder => "MILDER",
        Change::Stricter => "stricter",
        Change::Other => "changed",
    }
}

/// The terminal report: counts, then each cell.
pub fn human(r: &DiffJson) -> String {
    let mut out = String::new();
    let s = &r.summary;
    if s.regions == 0 && r.added.is_empty() && r.removed.is_empty() && s.outcomes_lost == 0 {
        out.push_str(&format!("no case changes result between {} and {}\n", r.old, r.new));
    } else {
        out.push_str(&format!(
            "{} → {}: {} flow(s) or table(s) changed, {} change(s) of result in {} region(s): {} milder, {} stricter, {} lose a required escalation\n",
            r.old, r.new, s.changed, s.cells, s.regions, s.milder, s.stricter, s.escalation_lost
        ));
    }
    for x in &r.removed {
        out.push_str(&format!("removed {}\n", subject_text(x)));
    }
    for x in &r.added {
        out.push_str(&format!("added {}\n", subject_text(x)));
    }
    for subject in &r.changed {
        out.push_str(&format!("\n{}\n", subject_text(&subject.subject)));
        for o in &subject.outcomes_lost {
            out.push_str(&format!("  outcome `{o}` is no longer reached\n"));
        }
        for o in &subject.outcomes_gained {
            out.push_str(&format!("  outcome `{o}` is newly reached\n"));
        }
        for cell in &subject.cells {
            let lost = if cell.escalation_lost { ", loses a required escalation" } else { "" };
            out.push_str(&format!("  [{}{lost}] {}\n        → {}\n", change_word(cell.change), end_text(&cell.old), end_text(&cell.new)));
            for region in &cell.regions {
                out.push_str(&format!("    when {}\n", region.where_));
                out.push_str(&format!("      witness: {}\n", crate::render::human::given_block(&region.witness)));
                out.push_str(&format!("      decided at {} → {}\n", region.old_lines.join(", "), region.new_lines.join(", ")));
            }
        }
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

fn subject_text(s: &Subject) -> String {
    match s {
        Subject::Flow(n) => format!("flow `{n}`"),
        Subject::Table(n) => format!("table `{n}`"),
    }
}

/// Markdown for a pull-request comment: a summary table, then each flow or
/// table's cells, collapsed.
pub fn markdown(r: &DiffJson) -> String {
    let mut out = String::from("### SOPflow: what this change does to cases\n\n");
    let s = &r.summary;
    if s.regions == 0 && r.added.is_empty() && r.removed.is_empty() && s.outcomes_lost == 0 {
        out.push_str(&format!("No case changes result between `{}` and `{}`.\n", r.old, r.new));
    }
    if s.cells > 0 {
        out.push_str("| flow or table | old result | new result | change | regions |\n|---|---|---|---|---:|\n");
        for subject in &r.changed {
            for cell in &subject.cells {
                let mut change = change_word(cell.change).to_lowercase();
                if cell.change == Change::Milder {
                    change = "**milder**".into();
                }
                if cell.escalation_lost {
                    change.push_str(", **escalation lost**");
                }
                out.push_str(&format!(
                    "| {} | {} | {} | {change} | {} |\n",
                    subject_text(&subject.subject),
                    md(&end_text(&cell.old)),
                    md(&end_text(&cell.new)),
                    cell.regions.len()
                ));
            }
        }
        out.push('\n');
    }
    for x in &r.removed {
        out.push_str(&format!("- removed {}\n", subject_text(x)));
    }
    for x in &r.added {
        out.push_str(&format!("- added {}\n", subject_text(x)));
    }
    for subject in &r.changed {
        for o in &subject.outcomes_lost {
            out.push_str(&format!("- {}: outcome `{o}` is no longer reached\n", subject_text(&subject.subject)));
        }
        for o in &subject.outcomes_gained {
            out.push_str(&format!("- {}: outcome `{o}` is newly reached\n", subject_text(&subject.subject)));
        }
    }
    for subject in &r.changed {
        for cell in &subject.cells {
            out.push_str(&format!(
                "\n<details><summary>{}: {} → {}</summary>\n\n",
                subject_text(&subject.subject),
                md(&end_text(&cell.old)),
                md(&end_text(&cell.new))
            ));
            for region in &cell.regions {
                out.push_str(&format!("- when `{}`\n", region.where_));
                out.push_str(&format!("  - witness: `{}`\n", crate::render::human::given_block(&region.witness)));
                out.push_str(&format!("  - decided at {} → {}\n", region.old_lines.join(", "), region.new_lines.join(", ")));
            }
            out.push_str("\n</details>\n");
        }
    }
    if !r.notes.is_empty() {
        out.push('\n');
        for n in &r.notes {
            out.push_str(&format!("> {n}\n"));
        }
    }
    out
}

/// Text for a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|")
}
