//! The evaluator: runs one case through a flow or table of the program,
//! with the contract's semantics (unique steps check every branch, `first`
//! steps take the first that holds, `and`/`or` short-circuit, a run reads
//! only the inputs it needs). It is independent of the analysis, which uses
//! it to confirm witnesses.

pub mod batch;

use crate::ast::CmpOp;
use crate::model::Value;
use crate::model::*;
use crate::source::Span;

/// A case: a value or nothing for every input of the program.
pub type Case = Vec<Option<Value>>;

#[derive(Clone, Debug, PartialEq)]
pub enum End {
    Outcome {
        outcome: OutcomeId,
        target: Span,
    },
    Escalated {
        team: TeamId,
        target: Span,
    },
    /// Two branches of a unique decision hold and lead to different targets.
    Conflict {
        decision: Where,
        first: usize,
        second: usize,
    },
    /// No branch holds and there is no `otherwise`.
    FallThrough {
        decision: Where,
    },
    /// The run needs an input the case does not give.
    Missing {
        input: InputId,
    },
    /// The run came back to a step it had passed (a cycle).
    Cycle {
        step: StepId,
    },
}

/// A decision: a step of the flow being run, or a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Where {
    Step(StepId),
    Table(TableId),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub end: End,
    /// Steps visited, in order.
    pub path: Vec<StepId>,
    /// Tables visited.
    pub tables: Vec<TableId>,
    /// Inputs read, in first-read order.
    pub reads: Vec<InputId>,
    pub escalations: Vec<TeamId>,
    pub actions: Vec<ActionId>,
    /// Every atomic condition evaluated, with its value (for `--explain`).
    pub trace: Vec<(Span, bool)>,
    /// Every decision met and the branch it took.
    pub taken: Vec<(Where, usize)>,
}

struct Missing(InputId);

struct Runner<'a> {
    program: &'a Program,
    case: &'a Case,
    run: Run,
}

pub fn run_flow(program: &Program, flow: FlowId, case: &Case) -> Run {
    run_flow_timed(program, flow, case, &[])
}

/// [`run_flow`] where the steps in `timeouts` time out: such a step takes
/// its `timeout` route without reading its branches (a step without one
/// decides as usual).
pub fn run_flow_timed(program: &Program, flow: FlowId, case: &Case, timeouts: &[StepId]) -> Run {
    let mut r = Runner::new(program, case);
    let f = &program.flows[flow];
    let mut step = f.start;
    loop {
        if r.run.path.contains(&step) {
            r.run.end = End::Cycle { step };
            return r.run;
        }
        r.run.path.push(step);
        let decision = &f.steps[step].decision;
        let fired = timeouts.contains(&step).then(|| decision.timeout()).flatten();
        let taken = match fired {
            Some(t) => {
                r.run.taken.push((Where::Step(step), t));
                Ok(t)
            }
            None => r.decide(decision, Where::Step(step)),
        };
        match taken {
            Ok(b) => {
                let target = &f.steps[step].decision.branches[b].target;
                match r.follow(target) {
                    Some(next) => step = next,
                    None => return r.run,
                }
            }
            Err(end) => {
                r.run.end = end;
                return r.run;
            }
        }
    }
}

pub fn run_table(program: &Program, table: TableId, case: &Case) -> Run {
    let mut r = Runner::new(program, case);
    r.table(table);
    r.run
}

impl<'a> Runner<'a> {
    fn new(program: &'a Program, case: &'a Case) -> Runner<'a> {
        Runner {
            program,
            case,
            run: Run {
                end: End::Cycle { step: 0 },
                path: vec![],
                tables: vec![],
                reads: vec![],
                escalations: vec![],
                actions: vec![],
                trace: vec![],
                taken: vec![],
            },
        }
    }

    fn table(&mut self, table: TableId) {
        self.run.tables.push(table);
        let t = &self.program.tables[table];
        match self.decide(&t.decision, Where::Table(table)) {
            Ok(b) => {
                // Tables never name steps (resolution guarantees it).
                let _ = self.follow(&t.decision.branches[b].target);
            }
            Err(end) => self.run.end = end,
        }
    }

    /// Follows a target chain; returns the next step, or `None` at an end.
    fn follow(&mut self, target: &Target) -> Option<StepId> {
        for link in &target.links {
            match link {
                Link::Escalate(t) => self.run.escalations.push(*t),
                Link::Do(a) => self.run.actions.push(*a),
            }
        }
        match target.end {
            crate::model::End::Step(s) => Some(s),
            crate::model::End::Outcome(o) => {
                self.run.end = End::Outcome { outcome: o, target: target.end_span };
                None
            }
            crate::model::End::Escalate(t) => {
                self.run.escalations.push(t);
                self.run.end = End::Escalated { team: t, target: target.end_span };
                None
            }
            crate::model::End::Table(t) => {
                self.table(t);
                None
            }
        }
    }

    /// The branch a decision takes.
    fn decide(&mut self, d: &Decision, at: Where) -> Result<usize, End> {
        let mut taken: Option<usize> = None;
        for (i, c) in d.whens() {
            let holds = self.cond(c).map_err(|Missing(input)| End::Missing { input })?;
            if !holds {
                continue;
            }
            if d.first {
                self.run.taken.push((at, i));
                return Ok(i);
            }
            match taken {
                None => taken = Some(i),
                Some(j) if !d.branches[j].target.same_chain(&d.branches[i].target) => {
                    return Err(End::Conflict { decision: at, first: j, second: i });
                }
                Some(_) => {}
            }
        }
        let chosen = taken.or(d.otherwise()).ok_or(End::FallThrough { decision: at })?;
        self.run.taken.push((at, chosen));
        Ok(chosen)
    }

    fn read(&mut self, input: InputId) -> Result<&'a Value, Missing> {
        if !self.run.reads.contains(&input) {
            self.run.reads.push(input);
        }
        self.case[input].as_ref().ok_or(Missing(input))
    }

    fn cond(&mut self, c: &Cond) -> Result<bool, Missing> {
        Ok(match c {
            Cond::Const(b) => *b,
            Cond::Not(inner) => !self.cond(inner)?,
            Cond::And(parts) => {
                for p in parts {
                    if !self.cond(p)? {
                        return Ok(false);
                    }
                }
                true
            }
            Cond::Or(parts) => {
                for p in parts {
                    if self.cond(p)? {
                        return Ok(true);
                    }
                }
                false
            }
            Cond::Atom(a) => {
                let v = self.read(a.input)?;
                let result = pred_holds(&a.pred, v);
                self.run.trace.push((a.span, result));
                result
            }
        })
    }
}

/// Whether a value satisfies a predicate.
pub fn pred_holds(pred: &Pred, v: &Value) -> bool {
    match (pred, v) {
        (Pred::BoolIs(b), Value::Bool(x)) => b == x,
        (Pred::Cmp(op, n), Value::Num(x)) => match op {
            CmpOp::Eq => x == n,
            CmpOp::Ne => x != n,
            CmpOp::Lt => x < n,
            CmpOp::Le => x <= n,
            CmpOp::Gt => x > n,
            CmpOp::Ge => x >= n,
        },
        (Pred::NumIn(vals, neg), Value::Num(x)) => vals.contains(x) != *neg,
        (Pred::EnumIn(vals, neg), Value::Variant(x)) => vals.contains(x) != *neg,
        (Pred::StrIn(vals, neg), Value::Str(x)) => vals.contains(x) != *neg,
        _ => false,
    }
}

/// A value as JSON, per the contract (durations in source syntax).
pub fn value_json(program: &Program, input: InputId, v: &Value) -> serde_json::Value {
    program.witness_value(input, v).json()
}

/// Whether a condition holds for a case; `Err` names an input the case lacks.
pub fn cond_holds(program: &Program, cond: &Cond, case: &Case) -> Result<bool, InputId> {
    let mut r = Runner::new(program, case);
    r.cond(cond).map_err(|Missing(i)| i)
}

/// A case as read from JSON: its object, and the first key given twice (a
/// map would silently keep the last).
pub struct CaseObject {
    pub map: serde_json::Map<String, serde_json::Value>,
    pub duplicate: Option<String>,
}

impl<'de> serde::Deserialize<'de> for CaseObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = CaseObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object of input values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<CaseObject, A::Error> {
                let mut out = CaseObject { map: serde_json::Map::new(), duplicate: None };
                while let Some((key, value)) = access.next_entry::<String, serde_json::Value>()? {
                    if out.map.contains_key(&key) && out.duplicate.is_none() {
                        out.duplicate = Some(key.clone());
                    }
                    out.map.insert(key, value);
                }
                Ok(out)
            }
        }
        d.deserialize_map(Visitor)
    }
}

pub use crate::model::shorten;

pub use crate::diagnostics::TIMEOUTS_KEY;

/// Reads a case from a JSON object keyed by dotted input names. Every
/// problem (unknown input, wrong type, out of range, unknown variant) is
/// returned as a message naming the input; inputs not given stay `None`.
/// The `"@timeouts"` key is read by [`timeouts_from_json`].
pub fn case_from_json(program: &Program, json: &serde_json::Map<String, serde_json::Value>) -> Result<Case, Vec<String>> {
    let mut case: Case = vec![None; program.inputs.len()];
    let mut errors = Vec::new();
    for (key, value) in json {
        if key == TIMEOUTS_KEY {
            continue;
        }
        let Some(id) = program.input_by_name(key) else {
            let near = if key.len() <= 200 { crate::resolve::nearest(key, program.inputs.iter().map(|i| i.name.as_str())) } else { None };
            let key = shorten(key);
            errors.push(match near {
                Some(n) => format!("unknown input `{key}` (did you mean `{n}`?)"),
                None => format!("unknown input `{key}`"),
            });
            continue;
        };
        match value_from_json(program, id, value) {
            Ok(v) => case[id] = Some(v),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(case)
    } else {
        Err(errors)
    }
}

/// The steps whose timeout fires, from a case's `"@timeouts"` key (a list
/// of step names of `flow`, each with a `timeout` route); none without it.
pub fn timeouts_from_json(program: &Program, flow: Option<FlowId>, json: &serde_json::Map<String, serde_json::Value>) -> Result<Vec<StepId>, Vec<String>> {
    let Some(value) = json.get(TIMEOUTS_KEY) else { return Ok(Vec::new()) };
    let Some(list) = value.as_array() else {
        return Err(vec![format!("`{TIMEOUTS_KEY}` must be a list of step names, not {value}")]);
    };
    let Some(f) = flow else {
        return if list.is_empty() { Ok(Vec::new()) } else { Err(vec![format!("`{TIMEOUTS_KEY}` names steps, and a table has none")]) };
    };
    let names: Vec<Option<&str>> = list.iter().map(|v| v.as_str()).collect();
    timeouts_by_name(program, f, &names)
}

/// The steps of `flow` named in `names` (`None`: not a name), each with a
/// `timeout` route; every problem as a message.
pub fn timeouts_by_name(program: &Program, flow: FlowId, names: &[Option<&str>]) -> Result<Vec<StepId>, Vec<String>> {
    let f = &program.flows[flow];
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        let Some(name) = name else {
            errors.push(format!("`{TIMEOUTS_KEY}` must list step names as strings"));
            continue;
        };
        match f.steps.iter().position(|s| s.name == *name) {
            None => {
                let near = crate::resolve::nearest(name, f.steps.iter().map(|s| s.name.as_str()));
                errors.push(match near {
                    Some(n) => format!("flow `{}` has no step `{name}` (did you mean `{n}`?)", f.name),
                    None => format!("flow `{}` has no step `{name}`", f.name),
                });
            }
            Some(s) if f.steps[s].decision.timeout().is_none() => {
                errors.push(format!("step `{name}` has no `timeout` route, so it cannot time out"));
            }
            Some(s) => out.push(s),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// One input's value from JSON, checked against the input's type.
pub fn value_from_json(program: &Program, id: InputId, value: &serde_json::Value) -> Result<Value, String> {
    use crate::model::Raw;
    use serde_json::Value as J;
    let shown = value.to_string();
    let raw = match value {
        J::Bool(b) => Raw::Bool(*b),
        J::Number(n) => Raw::Number(n.as_i64(), &shown),
        J::String(s) => Raw::Text(s),
        _ => Raw::Other(&shown),
    };
    program.typed_value(id, raw)
}

/// The flow that a run target runs, if it is one.
pub fn flow_of(target: RunTarget) -> Option<FlowId> {
    match target {
        RunTarget::Flow(f) => Some(f),
        RunTarget::Table(_) => None,
    }
}

/// Runs one case, with the steps in `timeouts` timing out.
pub fn run(program: &Program, target: RunTarget, case: &Case, timeouts: &[StepId]) -> Run {
    match target {
        RunTarget::Flow(f) => run_flow_timed(program, f, case, timeouts),
        RunTarget::Table(t) => run_table(program, t, case),
    }
}

/// A JSON case as read for a target.
pub enum CaseRead {
    /// The case, and the steps whose timeout fires.
    Case(Case, Vec<StepId>),
    /// What is wrong with it, every problem naming its input.
    Invalid(Vec<String>),
}

/// Reads one JSON case; `Err` when the text is not a JSON object.
pub fn read_case(program: &Program, target: RunTarget, text: &str) -> Result<CaseRead, String> {
    let map = match serde_json::from_str::<CaseObject>(text) {
        Ok(CaseObject { map, duplicate: None }) => map,
        Ok(CaseObject { duplicate: Some(key), .. }) => return Ok(CaseRead::Invalid(vec![format!("input `{}` is given twice", shorten(&key))])),
        Err(e) if e.is_data() => return Err("a case must be a JSON object of input values".into()),
        Err(e) => return Err(format!("not valid JSON: {e}")),
    };
    Ok(match (case_from_json(program, &map), timeouts_from_json(program, flow_of(target), &map)) {
        (Ok(case), Ok(timeouts)) => CaseRead::Case(case, timeouts),
        (case, timeouts) => CaseRead::Invalid(case.err().into_iter().chain(timeouts.err()).flatten().collect()),
    })
}
