//! The report of a back-test, built from its tally: what the renderers
//! print (human tables, CSV) and what `--format json` serializes. Every
//! list is in a stable order: by count, largest first, then by name.

use serde::Serialize;

use super::{Decided, Plan, Tally, Version};
use crate::eval::Where;
use crate::model::{Program, RunTarget};
use crate::source::SourceMap;

/// What a run decided, named.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Result {
    /// `outcome`, `escalated`, `conflict`, `fall_through`, `missing_input`,
    /// `cycle` or `invalid_case`, as `sopflow eval` names them.
    pub result: &'static str,
    /// The outcome, the team, or the missing input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The step or table of a failure (`step review`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl Result {
    /// One line: `remove_content`, `escalate child_safety`, `fall_through at step review`.
    pub fn label(&self) -> String {
        match (self.result, &self.name, &self.at) {
            ("outcome", Some(n), _) => n.clone(),
            ("escalated", Some(n), _) => format!("escalate {n}"),
            (r, Some(n), _) => format!("{r} {n}"),
            (r, None, Some(at)) => format!("{r} at {at}"),
            (r, None, None) => r.to_string(),
        }
    }

    /// The decision a moderator would record for it: the outcome or the
    /// team; none for a failure.
    fn decision(&self) -> Option<&str> {
        matches!(self.result, "outcome" | "escalated").then_some(self.name.as_deref()).flatten()
    }
}

#[derive(Debug, Serialize)]
pub struct Share {
    #[serde(flatten)]
    pub result: Result,
    pub rows: u64,
    /// Of the rows counted (all rows, or the group's).
    pub share: f64,
}

#[derive(Debug, Serialize)]
pub struct Group {
    /// The column's value (`null`: no value).
    pub value: Option<String>,
    pub rows: u64,
    pub results: Vec<Share>,
}

#[derive(Debug, Serialize)]
pub struct By {
    pub column: String,
    pub groups: Vec<Group>,
}

#[derive(Debug, Serialize)]
pub struct BadRows {
    /// Rows not evaluated to an end: a needed input missing, or a value
    /// that does not fit its input (or a line that is not a JSON object).
    pub rows: u64,
    pub missing_input: u64,
    pub invalid: u64,
    /// The first of them, by row.
    pub first: Vec<BadRow>,
}

#[derive(Debug, Serialize)]
pub struct BadRow {
    pub row: u64,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Change {
    pub from: Result,
    pub to: Result,
    /// `stricter` (a more severe end), `milder`, or `other`: severity as
    /// `sopflow diff` ranks it (an outcome's severity, a hand-off as high,
    /// a failure as none).
    pub direction: &'static str,
    pub rows: u64,
    pub share: f64,
    /// The first cases of the cell: the `--id-column` value, or the row.
    pub cases: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Changes {
    /// The baseline, as given.
    pub baseline: String,
    pub changed: u64,
    pub share: f64,
    pub cells: Vec<Change>,
}

#[derive(Debug, Serialize)]
pub struct Confusion {
    /// The SOP's decision (outcome or team).
    pub sop: String,
    pub recorded: String,
    pub rows: u64,
}

#[derive(Debug, Serialize)]
pub struct Branch {
    /// `step review` or `table fraud_matrix`.
    pub at: String,
    /// `when content.severe`, `otherwise`.
    pub branch: String,
    /// Where the branch is written (`policies/user_safety.sop:40`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// Rows compared whose run ended on this branch, and how many of them
    /// moderators decided otherwise.
    pub rows: u64,
    pub otherwise: u64,
    pub share: f64,
}

#[derive(Debug, Serialize)]
pub struct Adherence {
    pub column: String,
    /// Rows with a recorded decision and an SOP outcome or hand-off.
    pub compared: u64,
    pub agree: u64,
    pub rate: f64,
    /// Compared rows, by SOP decision and recorded decision.
    pub confusion: Vec<Confusion>,
    /// The branches where moderators most often decide otherwise.
    pub branches: Vec<Branch>,
}

/// Branches listed under adherence.
const BRANCHES_SHOWN: usize = 10;

#[derive(Debug, Serialize)]
pub struct Report {
    /// `flow NAME` or `table NAME`.
    pub target: String,
    pub file: String,
    pub rows: u64,
    /// Rows that ran to an end (an outcome, a hand-off or a policy failure).
    pub evaluated: u64,
    pub results: Vec<Share>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<By>,
    pub bad_rows: BadRows,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adherence: Option<Adherence>,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn place(v: &Version, w: Where) -> String {
    match (w, v.target) {
        (Where::Step(s), RunTarget::Flow(f)) => format!("step {}", v.program.flows[f].steps[s].name),
        (Where::Table(t), _) => format!("table {}", v.program.tables[t].name),
        (Where::Step(s), RunTarget::Table(_)) => format!("step {s}"),
    }
}

fn named(v: &Version, d: Decided) -> Result {
    let p = v.program;
    let (result, name, at) = match d {
        Decided::Outcome(o) => ("outcome", Some(p.outcomes[o].name.clone()), None),
        Decided::Escalated(t) => ("escalated", Some(p.teams[t].name.clone()), None),
        Decided::Conflict(w) => ("conflict", None, Some(place(v, w))),
        Decided::FallThrough(w) => ("fall_through", None, Some(place(v, w))),
        Decided::Missing(i) => ("missing_input", Some(p.inputs[i].name.clone()), None),
        Decided::Cycle(s) => ("cycle", None, Some(place(v, Where::Step(s)))),
        Decided::Invalid => ("invalid_case", None, None),
    };
    Result { result, name, at }
}

/// Counts by result, largest first.
fn shares(counts: std::collections::BTreeMap<Result, u64>, whole: u64) -> Vec<Share> {
    let mut out: Vec<Share> = counts.into_iter().map(|(result, rows)| Share { result, rows, share: share(rows, whole) }).collect();
    out.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.result.cmp(&b.result)));
    out
}

fn severity(program: &Program, r: &Result) -> crate::ast::SeverityLevel {
    let key = match (r.result, &r.name) {
        ("outcome", Some(n)) => crate::diff::EndKey::Outcome(n.clone()),
        ("escalated", Some(n)) => crate::diff::EndKey::Escalated(n.clone()),
        _ => crate::diff::EndKey::Cycle(String::new()),
    };
    crate::diff::severity(program, &key)
}

/// The report of a finished back-test. `baseline` names the baseline as
/// given; `sources` places branches in their files.
pub fn build(plan: &Plan, tally: &Tally, file: &str, baseline: Option<&str>, sources: Option<&SourceMap>) -> Report {
    use std::collections::BTreeMap;
    let new = &plan.new;
    let target = match new.target {
        RunTarget::Flow(f) => format!("flow {}", new.program.flows[f].name),
        RunTarget::Table(t) => format!("table {}", new.program.tables[t].name),
    };
    let bad = tally.missing + tally.invalid;
    let mut results: BTreeMap<Result, u64> = BTreeMap::new();
    let mut groups: BTreeMap<Option<&str>, BTreeMap<Result, u64>> = BTreeMap::new();
    // (baseline's result, new result) → rows, and the first cases: (row, id).
    type Cases = Vec<(u64, String)>;
    let mut cells: BTreeMap<(Result, Result), (u64, Cases)> = BTreeMap::new();
    let mut confusion: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut branches: BTreeMap<(Where, usize), (u64, u64)> = BTreeMap::new();
    let (mut compared, mut agree) = (0u64, 0u64);
    for (key, (count, samples)) in &tally.cells {
        let result = named(new, key.new);
        *results.entry(result.clone()).or_default() += count;
        if plan.by.is_some() {
            *groups.entry(tally.string(key.by)).or_default().entry(result.clone()).or_default() += count;
        }
        if let (Some(b), Some(old)) = (&plan.baseline, key.old) {
            let from = named(b, old);
            if from.label() != result.label() {
                let (rows, cases) = cells.entry((from, result.clone())).or_default();
                *rows += count;
                cases.extend(samples.iter().map(|(row, id)| (*row, tally.string(*id).map_or_else(|| format!("row {row}"), str::to_string))));
            }
        }
        if let (Some(sop), Some(recorded)) = (result.decision(), tally.string(key.recorded)) {
            compared += count;
            let same = sop == recorded;
            agree += if same { *count } else { 0 };
            *confusion.entry((sop.to_string(), recorded.to_string())).or_default() += count;
            if let Some(branch) = key.branch {
                let (rows, otherwise) = branches.entry(branch).or_default();
                *rows += count;
                *otherwise += if same { 0 } else { *count };
            }
        }
    }
    let by = plan.by.map(|c| {
        let mut groups: Vec<Group> = groups
            .into_iter()
            .map(|(value, counts)| {
                let rows = counts.values().sum();
                Group { value: value.map(str::to_string), rows, results: shares(counts, rows) }
            })
            .collect();
        groups.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.value.cmp(&b.value)));
        By { column: plan.columns[c].name.clone(), groups }
    });
    let changes = plan.baseline.as_ref().map(|b| {
        let mut list: Vec<Change> = cells
            .into_iter()
            .map(|((from, to), (rows, mut cases))| {
                cases.sort();
                cases.truncate(super::SAMPLES);
                let (was, is) = (severity(b.program, &from), severity(new.program, &to));
                let direction = match is.cmp(&was) {
                    std::cmp::Ordering::Greater => "stricter",
                    std::cmp::Ordering::Less => "milder",
                    std::cmp::Ordering::Equal => "other",
                };
                Change { from, to, direction, rows, share: share(rows, tally.rows), cases: cases.into_iter().map(|(_, c)| c).collect() }
            })
            .collect();
        list.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to))));
        let changed = list.iter().map(|c| c.rows).sum();
        Changes { baseline: baseline.unwrap_or_default().to_string(), changed, share: share(changed, tally.rows), cells: list }
    });
    let adherence = plan.decision.map(|c| {
        let mut confusion: Vec<Confusion> = confusion.into_iter().map(|((sop, recorded), rows)| Confusion { sop, recorded, rows }).collect();
        confusion.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| (&a.sop, &a.recorded).cmp(&(&b.sop, &b.recorded))));
        let mut list: Vec<Branch> = branches
            .into_iter()
            .filter(|(_, (_, otherwise))| *otherwise > 0)
            .map(|((w, i), (rows, otherwise))| {
                let decision = match (w, new.target) {
                    (Where::Step(s), RunTarget::Flow(f)) => &new.program.flows[f].steps[s].decision,
                    (Where::Table(t), _) => &new.program.tables[t].decision,
                    (Where::Step(_), RunTarget::Table(_)) => unreachable!("a table's run has no steps"),
                };
                let b = &decision.branches[i];
                let branch = b.written();
                let line = sources.map(|s| {
                    let file = s.get(b.span.file);
                    format!("{}:{}", file.path, file.line_col(b.span.start as usize).0)
                });
                Branch { at: place(new, w), branch, line, rows, otherwise, share: share(otherwise, rows) }
            })
            .collect();
        list.sort_by(|a, b| b.otherwise.cmp(&a.otherwise).then_with(|| (&a.at, &a.branch).cmp(&(&b.at, &b.branch))));
        list.truncate(BRANCHES_SHOWN);
        Adherence { column: plan.columns[c].name.clone(), compared, agree, rate: share(agree, compared), confusion, branches: list }
    });
    Report {
        target,
        file: file.to_string(),
        rows: tally.rows,
        evaluated: tally.rows - bad,
        results: shares(results, tally.rows),
        by,
        bad_rows: BadRows {
            rows: bad,
            missing_input: tally.missing,
            invalid: tally.invalid,
            first: tally.bad.iter().map(|(row, reason)| BadRow { row: *row, reason: reason.clone() }).collect(),
        },
        changes,
        adherence,
    }
}
