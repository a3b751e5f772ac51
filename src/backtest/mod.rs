//! Back-testing: a flow or table run over a file of historical cases (JSON
//! lines, CSV or Parquet) and what it decided, tallied: results, results per
//! group, changes against a baseline version, agreement with the decisions
//! moderators recorded. The readers (`read`) turn each row into cells; a
//! [`Worker`] types the cells against the inputs, runs `eval` and counts;
//! [`report`] turns the counts into the report the renderers print.
//!
//! Rows are read a block at a time and evaluated in parallel; memory is
//! bounded by the block, not the file.

mod read;
pub mod report;

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::eval::{self, End, Where};
use crate::model::{InputId, OutcomeId, Program, Raw, RunTarget, StepId, TeamId, Type, Value};

pub use read::{run, Format};

/// One value of a row, as the file holds it.
#[derive(Clone, Debug, Default)]
pub enum Cell<'a> {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string value (JSON, Parquet).
    Str(Cow<'a, str>),
    /// Untyped text (a CSV field), read as the input's type asks.
    Text(&'a str),
    /// Anything else (a list, an object), as written.
    Other(String),
}

impl Cell<'_> {
    /// The value as text (group keys, recorded decisions, case ids).
    pub fn text(&self) -> Option<Cow<'_, str>> {
        Some(match self {
            Cell::Null => return None,
            Cell::Bool(b) => Cow::Owned(b.to_string()),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Float(f) => Cow::Owned(f.to_string()),
            Cell::Str(s) => Cow::Borrowed(s.as_ref()),
            Cell::Text(s) => Cow::Borrowed(*s),
            Cell::Other(s) => Cow::Borrowed(s.as_str()),
        })
    }
}

/// A column the back-test reads, and the names it may have in a file.
#[derive(Clone, Debug)]
pub struct Column {
    /// As the user or the program names it (`seller.strikes`).
    pub name: String,
    /// The names that match it: the name, and with `.` as `_`.
    pub spellings: Vec<String>,
}

impl Column {
    fn new(name: &str) -> Column {
        let mut spellings = vec![name.to_string()];
        let underscored = name.replace('.', "_");
        if underscored != name {
            spellings.push(underscored);
        }
        Column { name: name.to_string(), spellings }
    }
}

/// A version of the policy being back-tested: its program, what it runs,
/// and the column of each input it can read.
pub struct Version<'p> {
    pub program: &'p Program,
    pub target: RunTarget,
    inputs: Vec<(InputId, usize)>,
}

/// What to run over the rows, and what to tally.
pub struct Plan<'p> {
    pub columns: Vec<Column>,
    pub new: Version<'p>,
    pub baseline: Option<Version<'p>>,
    /// Columns of `--by`, `--decision-column` and `--id-column`.
    pub by: Option<usize>,
    pub decision: Option<usize>,
    pub id: Option<usize>,
    /// Stop at the first bad row.
    pub strict: bool,
}

impl<'p> Plan<'p> {
    pub fn new(
        new: (&'p Program, RunTarget),
        baseline: Option<(&'p Program, RunTarget)>,
        by: Option<&str>,
        decision: Option<&str>,
        id: Option<&str>,
    ) -> Plan<'p> {
        let mut columns: Vec<Column> = Vec::new();
        let mut column = |name: &str| match columns.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                columns.push(Column::new(name));
                columns.len() - 1
            }
        };
        let mut version = |(program, target): (&'p Program, RunTarget)| Version {
            program,
            target,
            inputs: program.target_inputs(target).into_iter().map(|i| (i, column(&program.inputs[i].name))).collect(),
        };
        let new = version(new);
        let baseline = baseline.map(version);
        Plan { new, baseline, by: by.map(&mut column), decision: decision.map(&mut column), id: id.map(&mut column), strict: false, columns }
    }

    /// Whether column `c` was named by the user (`--by`, `--decision-column`, `--id-column`).
    fn named(&self, c: usize) -> bool {
        [self.by, self.decision, self.id].contains(&Some(c))
    }
}

/// What a run decided, by kind (ids of its version's program).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decided {
    Outcome(OutcomeId),
    Escalated(TeamId),
    Conflict(Where),
    FallThrough(Where),
    Missing(InputId),
    Cycle(StepId),
    /// A value of the row does not fit its input.
    Invalid,
}

/// No string (a null group or decision, no case id).
const NONE: u32 = u32::MAX;

/// The cell of the tally a row falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    new: Decided,
    old: Option<Decided>,
    /// The last branch taken (with `--decision-column`).
    branch: Option<(Where, usize)>,
    by: u32,
    recorded: u32,
}

/// The first rows of a cell, as (row, case id).
type Samples = SmallVec<[(u64, u32); SAMPLES]>;

/// Case ids kept per cell of the change matrix.
pub const SAMPLES: usize = 3;
/// Bad rows kept, with their reasons.
pub const BAD_SHOWN: usize = 10;

/// The counts of a back-test (of a block, merged into the whole).
#[derive(Default)]
pub struct Tally {
    strings: Vec<String>,
    index: FxHashMap<String, u32>,
    cells: FxHashMap<Key, (u64, Samples)>,
    /// Rows read (blank lines of JSON lines are not rows).
    pub rows: u64,
    /// Rows whose input was missing, or not valid.
    pub missing: u64,
    pub invalid: u64,
    /// The first bad rows: row, reason.
    pub bad: Vec<(u64, String)>,
    /// Per column: whether any row held it (JSON lines, which has no header).
    seen: Vec<bool>,
}

impl Tally {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }

    fn add(&mut self, key: Key, row: u64, id: u32) {
        let (count, samples) = self.cells.entry(key).or_default();
        *count += 1;
        keep_first(samples, (row, id), SAMPLES);
    }

    fn bad_row(&mut self, row: u64, reason: String) {
        if self.bad.len() < BAD_SHOWN || self.bad.last().is_some_and(|(r, _)| *r > row) {
            self.bad.push((row, reason));
            self.bad.sort_by_key(|(r, _)| *r);
            self.bad.truncate(BAD_SHOWN);
        }
    }

    /// Adds another block's counts (blocks may merge in any order: every
    /// kept sample is among the first rows).
    pub fn merge(&mut self, other: Tally) {
        let map: Vec<u32> = other.strings.iter().map(|s| self.intern(s)).collect();
        let at = |i: u32| if i == NONE { NONE } else { map[i as usize] };
        for (mut key, (count, samples)) in other.cells {
            key.by = at(key.by);
            key.recorded = at(key.recorded);
            let (mine, kept) = self.cells.entry(key).or_default();
            *mine += count;
            for (row, id) in samples {
                keep_first(kept, (row, at(id)), SAMPLES);
            }
        }
        self.rows += other.rows;
        self.missing += other.missing;
        self.invalid += other.invalid;
        for (row, reason) in other.bad {
            self.bad_row(row, reason);
        }
        if self.seen.len() < other.seen.len() {
            self.seen.resize(other.seen.len(), false);
        }
        for (mine, theirs) in self.seen.iter_mut().zip(other.seen) {
            *mine |= theirs;
        }
    }

    /// Whether some run stopped for want of an input read from column `c`.
    fn needed(&self, plan: &Plan, c: usize) -> bool {
        let wanted = |v: &Version, d: Option<Decided>| matches!(d, Some(Decided::Missing(i)) if v.inputs.iter().any(|&(input, col)| input == i && col == c));
        self.cells.keys().any(|k| wanted(&plan.new, Some(k.new)) || plan.baseline.as_ref().is_some_and(|b| wanted(b, k.old)))
    }

    fn string(&self, i: u32) -> Option<&str> {
        (i != NONE).then(|| self.strings[i as usize].as_str())
    }
}

fn keep_first(samples: &mut Samples, item: (u64, u32), n: usize) {
    if samples.len() < n {
        samples.push(item);
        samples.sort_unstable();
    } else if samples.last().is_some_and(|last| item.0 < last.0) {
        samples.pop();
        samples.push(item);
        samples.sort_unstable();
    }
}

/// A bad row under `--strict`: where, and why.
#[derive(Debug)]
pub struct Stop {
    pub row: u64,
    pub reason: String,
}

/// Evaluates rows into a tally; one per block of rows.
pub struct Worker<'a, 'p> {
    plan: &'a Plan<'p>,
    new: eval::Case,
    old: eval::Case,
    pub tally: Tally,
}

impl<'a, 'p> Worker<'a, 'p> {
    pub fn new(plan: &'a Plan<'p>) -> Worker<'a, 'p> {
        Worker {
            plan,
            new: vec![None; plan.new.program.inputs.len()],
            old: plan.baseline.as_ref().map_or_else(Vec::new, |b| vec![None; b.program.inputs.len()]),
            tally: Tally { seen: vec![false; plan.columns.len()], ..Tally::default() },
        }
    }

    /// A row that could not be read at all (not JSON, not UTF-8).
    pub fn unreadable(&mut self, row: u64, reason: String) -> Result<(), Stop> {
        self.tally.rows += 1;
        self.tally.invalid += 1;
        if self.plan.strict {
            return Err(Stop { row, reason });
        }
        self.tally.bad_row(row, reason);
        let key = Key { new: Decided::Invalid, old: self.plan.baseline.as_ref().map(|_| Decided::Invalid), branch: None, by: NONE, recorded: NONE };
        self.tally.add(key, row, NONE);
        Ok(())
    }

    /// Evaluates one row: `cells` holds a cell per column of the plan.
    pub fn row(&mut self, row: u64, cells: &[Cell]) -> Result<(), Stop> {
        self.tally.rows += 1;
        for (seen, cell) in self.tally.seen.iter_mut().zip(cells) {
            *seen |= !matches!(cell, Cell::Null);
        }
        let plan = self.plan;
        let wants_branch = plan.decision.is_some();
        let (new, branch, why) = decide(&plan.new, &mut self.new, cells, wants_branch);
        let (old, why) = match &plan.baseline {
            Some(b) => {
                let (old, _, old_why) = decide(b, &mut self.old, cells, false);
                (Some(old), why.or(old_why))
            }
            None => (None, why),
        };
        if let Some((reason, missing)) = why {
            if plan.strict {
                return Err(Stop { row, reason });
            }
            if missing {
                self.tally.missing += 1;
            } else {
                self.tally.invalid += 1;
            }
            self.tally.bad_row(row, reason);
        }
        let text = |c: Option<usize>| c.and_then(|c| cells[c].text());
        let by = text(plan.by).map_or(NONE, |s| self.tally.intern(&s));
        let recorded = text(plan.decision).map_or(NONE, |s| self.tally.intern(&s));
        let id = text(plan.id).map_or(NONE, |s| self.tally.intern(&s));
        self.tally.add(Key { new, old, branch, by, recorded }, row, id);
        Ok(())
    }
}

/// Why a row is bad, and whether for a missing input.
type Bad = (String, bool);

/// Types a row's cells against a version's inputs and runs it: what it
/// decided, its last branch (when asked), and why the row is bad (the
/// reason, and whether an input was missing) if it is.
fn decide(v: &Version, case: &mut eval::Case, cells: &[Cell], branch: bool) -> (Decided, Option<(Where, usize)>, Option<Bad>) {
    for &(input, column) in &v.inputs {
        match typed(v.program, input, &cells[column]) {
            Ok(value) => case[input] = value,
            Err(reason) => return (Decided::Invalid, None, Some((reason, false))),
        }
    }
    let run = eval::run(v.program, v.target, case, &[]);
    let decided = match run.end {
        End::Outcome { outcome, .. } => Decided::Outcome(outcome),
        End::Escalated { team, .. } => Decided::Escalated(team),
        End::Conflict { decision, .. } => Decided::Conflict(decision),
        End::FallThrough { decision } => Decided::FallThrough(decision),
        End::Missing { input } => {
            let reason = format!("input `{}` is missing, and the run needs it", v.program.inputs[input].name);
            return (Decided::Missing(input), None, Some((reason, true)));
        }
        End::Cycle { step } => Decided::Cycle(step),
    };
    (decided, branch.then(|| run.taken.last().copied()).flatten(), None)
}

/// A cell as a value of input `id` (`None`: null), with the one value check
/// of `eval` and tests ([`Program::typed_value`]).
fn typed(program: &Program, id: InputId, cell: &Cell) -> Result<Option<Value>, String> {
    let ty = program.inputs[id].ty;
    let raw = match cell {
        Cell::Null => return Ok(None),
        Cell::Bool(b) => Raw::Bool(*b),
        Cell::Int(n) => {
            return program.typed_value(id, Raw::Number(Some(*n), "")).map(Some).map_err(|_| {
                let shown = n.to_string();
                program.typed_value(id, Raw::Number(Some(*n), &shown)).expect_err("failed once")
            })
        }
        Cell::Float(f) => {
            let shown = f.to_string();
            return program.typed_value(id, Raw::Number(None, &shown)).map(Some);
        }
        Cell::Str(s) => Raw::Text(s),
        Cell::Text(s) => match ty {
            Type::Bool => match *s {
                "true" => Raw::Bool(true),
                "false" => Raw::Bool(false),
                _ => Raw::Text(s),
            },
            Type::Int { .. } | Type::Duration => match s.parse::<i64>() {
                Ok(n) => Raw::Number(Some(n), s),
                Err(_) if matches!(ty, Type::Duration) => Raw::Text(s),
                Err(_) => Raw::Other(s),
            },
            _ => Raw::Text(s),
        },
        Cell::Other(s) => Raw::Other(s),
    };
    program.typed_value(id, raw).map(Some)
}
