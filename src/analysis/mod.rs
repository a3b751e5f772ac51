//! Stage 4: the decision analyses. For every flow that passed resolution,
//! the set of cases that can reach each step (propagated along the DAG in
//! topological order); for every step and table, the sets of cases each
//! branch takes. The lints ask their questions of these facts. No IO here.

pub mod domain;
pub mod sat;
pub mod sets;

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use petgraph::visit::EdgeRef;

use crate::diagnostics::Witness;
use crate::eval::{self, Where};
use crate::model::*;
use domain::{CaseSet, Cube, Space};
use sets::{cond_set, holds, uncovered, Point, Uncovered};

/// Program-wide analysis context.
pub struct Analysis<'a> {
    pub program: &'a Program,
    pub space: Space,
    /// The solver's budget per flow or table, in conflicts.
    pub budget: u64,
    /// Polled by the solver: stop now (the language server's text changed).
    pub cancel: Option<crate::check::Cancel>,
    /// Condition sets of every table's branches.
    pub tables: Vec<Vec<Option<CaseSet>>>,
    /// What the program owns, for the solvers: made when one is first needed.
    owned: Arc<OnceLock<Arc<sat::Owned>>>,
}

/// The facts about one flow.
pub struct FlowFacts {
    pub flow: FlowId,
    /// Steps reachable from `start` along any route.
    pub structural: Vec<bool>,
    /// Steps in topological order (reachable ones first); `None` with a cycle.
    pub order: Option<Vec<StepId>>,
    /// Cases that can reach each step.
    pub reach: Vec<CaseSet>,
    /// Condition sets of each step's branches.
    pub conds: Vec<Vec<Option<CaseSet>>>,
    /// For each step, the branches `(step, branch)` that route to it, in source order.
    pub preds: Vec<Vec<(StepId, usize)>>,
}

/// A route through a flow: its steps from `start`, and the steps on it
/// whose timeout fires (in path order).
#[derive(Clone, Debug, Default)]
pub struct Route {
    pub steps: Vec<StepId>,
    pub timeouts: Vec<StepId>,
}

/// The exact fallback of one flow or table: its SAT solver (made when a
/// question first needs it), and the questions left undecided when its
/// budget ran out.
pub struct Exact {
    budget: u64,
    cancel: Option<crate::check::Cancel>,
    owned: Arc<OnceLock<Arc<sat::Owned>>>,
    sat: RefCell<Option<sat::Sat>>,
    /// What was left undecided, in the order asked (`lint: what`).
    pub undecided: RefCell<Vec<String>>,
}

impl Exact {
    pub fn new(analysis: &Analysis<'_>) -> Exact {
        Exact {
            budget: analysis.budget,
            cancel: analysis.cancel.clone(),
            owned: analysis.owned.clone(),
            sat: RefCell::new(None),
            undecided: RefCell::new(Vec::new()),
        }
    }

    /// Runs `f` with the solver of `program`.
    pub fn with<R>(&self, program: &Program, f: impl FnOnce(&mut sat::Sat) -> R) -> R {
        let mut cell = self.sat.borrow_mut();
        f(cell.get_or_insert_with(|| {
            let owned = self.owned.get_or_init(|| Arc::new(sat::Owned::of(program))).clone();
            sat::Sat::new(program, self.budget, self.cancel.clone(), owned)
        }))
    }

    /// Notes a question left undecided.
    pub fn undecided(&self, what: String) {
        let mut list = self.undecided.borrow_mut();
        if !list.contains(&what) {
            list.push(what);
        }
    }

    /// Whether the solver was needed.
    pub fn used(&self) -> bool {
        self.sat.borrow().is_some()
    }
}

/// A question a lint asks about a decision: is there a case that reaches
/// it (along branches whose target passes `keep`), satisfies every
/// condition of `holds` and none of `fails`, and takes each `(decision,
/// branch)` of `takes` (as the evaluator chooses)?
pub struct Question<'q> {
    /// The filter on the route, with its key for the solver's memo (0: none).
    pub keep: (u64, &'q dyn Fn(&Target) -> bool),
    pub holds: Vec<&'q Cond>,
    pub fails: Vec<&'q Cond>,
    pub takes: Vec<(&'q Decision, usize)>,
}

impl<'q> Question<'q> {
    pub fn new() -> Question<'q> {
        Question { keep: (0, &|_| true), holds: Vec::new(), fails: Vec::new(), takes: Vec::new() }
    }
}

impl Default for Question<'_> {
    fn default() -> Self {
        Question::new()
    }
}

/// What the cube sets said of a question.
pub enum Cubes {
    /// A case (exact when the sets were exact; checked otherwise).
    Found(Point),
    /// No case, by exact sets (or by sets that only over-approximate).
    None,
    /// The sets cannot say: widened in the way that matters, or a search gave up.
    Unsure,
}

/// A decision with its facts: a step of a flow, or a table.
pub struct DecisionView<'a> {
    pub at: Where,
    pub flow: Option<&'a FlowFacts>,
    pub decision: &'a Decision,
    pub conds: &'a [Option<CaseSet>],
    pub reach: &'a CaseSet,
    /// The step or table name.
    pub name_span: crate::source::Span,
    pub name: &'a str,
    /// The exact fallback of the flow or table.
    pub exact: &'a Exact,
}

impl<'a> Analysis<'a> {
    pub fn new(program: &'a Program) -> Analysis<'a> {
        let space = Space::new(program);
        // Each table's condition sets, in parallel (large tables dominate).
        let tables = {
            use rayon::prelude::*;
            program.tables.par_iter().map(|t| decision_sets(&space, &t.decision)).collect()
        };
        Analysis { program, space, tables, budget: sat::DEFAULT_BUDGET, cancel: None, owned: Arc::default() }
    }

    /// The context for flow facts alone: the tables' branch sets are not
    /// built (a hover on a step needs its flow, not every table).
    pub fn for_flows(program: &'a Program) -> Analysis<'a> {
        Analysis { program, space: Space::new(program), tables: Vec::new(), budget: sat::DEFAULT_BUDGET, cancel: None, owned: Arc::default() }
    }

    pub fn flow_facts(&self, flow_id: FlowId) -> FlowFacts {
        self.flow_facts_in(flow_id, &crate::ir::step_graph(&self.program.flows[flow_id]))
    }

    /// [`Analysis::flow_facts`] on the flow's step graph, already built.
    pub fn flow_facts_in(&self, flow_id: FlowId, g: &petgraph::graph::DiGraph<StepId, (StepId, usize)>) -> FlowFacts {
        let flow = &self.program.flows[flow_id];
        let n = flow.steps.len();
        let mut structural = vec![false; n];
        let mut stack = vec![flow.start];
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut structural[s], true) {
                continue;
            }
            for e in g.edges(petgraph::graph::NodeIndex::new(s)) {
                stack.push(e.target().index());
            }
        }
        let conds: Vec<_> = flow.steps.iter().map(|s| decision_sets(&self.space, &s.decision)).collect();
        let order = petgraph::algo::toposort(g, None).ok().map(|o| o.into_iter().map(|n| n.index()).collect::<Vec<_>>());
        let mut preds = vec![Vec::new(); n];
        for (s, step) in flow.steps.iter().enumerate() {
            for (i, b) in step.decision.branches.iter().enumerate() {
                if let End::Step(t) = b.target.end {
                    preds[t].push((s, i));
                }
            }
        }
        let mut facts = FlowFacts { flow: flow_id, structural, order, reach: vec![CaseSet::empty(); n], conds, preds };
        if facts.order.is_some() {
            facts.reach = self.propagate(&facts, |_| true);
        }
        facts
    }

    /// Cases reaching each step along branches whose target passes `keep`.
    pub fn propagate(&self, facts: &FlowFacts, keep: impl Fn(&Target) -> bool) -> Vec<CaseSet> {
        let flow = &self.program.flows[facts.flow];
        let mut reach = vec![CaseSet::empty(); flow.steps.len()];
        reach[flow.start] = CaseSet::full(&self.space);
        for &s in facts.order.as_deref().unwrap_or(&[]) {
            if reach[s].is_empty() {
                continue;
            }
            let d = &flow.steps[s].decision;
            for (i, b) in d.branches.iter().enumerate() {
                if let End::Step(t) = b.target.end {
                    if keep(&b.target) {
                        let g = self.guard_set(d, &facts.conds[s], &reach[s], i);
                        reach[t].union_owned(&self.space, g);
                    }
                }
            }
        }
        reach
    }

    /// The conditions a case of `when` branch `i` must not satisfy to take
    /// it: the earlier branches, and in a unique decision also the later
    /// ones with another chain (a case that satisfies both conflicts, and the
    /// run stops there). An earlier branch with the same chain leads where
    /// `i` does: the evaluator names the earlier one as taken.
    pub fn excluded<'c>(&self, d: &'c Decision, conds: &'c [Option<CaseSet>], i: usize) -> impl Iterator<Item = &'c CaseSet> + use<'c, '_> {
        conds.iter().enumerate().filter_map(move |(j, c)| d.excludes(i, j).then_some(c.as_ref()?))
    }

    /// The cases of `from` that branch `i` takes: the cases the evaluator
    /// sends down it (conflicting cases stop at the decision).
    pub fn guard_set(&self, d: &Decision, conds: &[Option<CaseSet>], from: &CaseSet, i: usize) -> CaseSet {
        let space = &self.space;
        match &d.branches[i].kind {
            BranchKind::Timeout => from.clone(),
            BranchKind::When(_) => {
                let mut g = from.intersect(space, conds[i].as_ref().unwrap());
                for c in self.excluded(d, conds, i) {
                    if g.is_empty() {
                        break;
                    }
                    g.subtract_assign(space, c);
                }
                g
            }
            BranchKind::Otherwise => {
                let mut g = from.clone();
                for c in conds.iter().flatten() {
                    if g.is_empty() {
                        break;
                    }
                    g.subtract_assign(space, c);
                }
                g
            }
        }
    }

    /// A case of `from` (and of `extra`) that branch `i` takes, as the cube
    /// sets see it: `Unsure` when the search gave up or a set it would
    /// subtract was widened.
    pub fn guard_region(&self, d: &Decision, conds: &[Option<CaseSet>], from: &CaseSet, extra: Option<&CaseSet>, i: usize) -> Cubes {
        let space = &self.space;
        let from = match extra {
            Some(x) => from.intersect(space, x),
            None => from.clone(),
        };
        let (regions, cover, widened): (CaseSet, Vec<&Cube>, bool) = match &d.branches[i].kind {
            BranchKind::Timeout => return from.cubes.first().map_or(Cubes::None, |c| Cubes::Found(c.pick(space))),
            BranchKind::When(_) => {
                let region = from.intersect(space, conds[i].as_ref().unwrap());
                let widened = self.excluded(d, conds, i).any(|c| c.approx);
                (region, self.excluded(d, conds, i).filter(|c| !c.approx).flat_map(|c| &c.cubes).collect(), widened)
            }
            BranchKind::Otherwise => {
                (from, conds.iter().flatten().filter(|c| !c.approx).flat_map(|c| &c.cubes).collect(), conds.iter().flatten().any(|c| c.approx))
            }
        };
        let mut unsure = widened;
        for r in &regions.cubes {
            match uncovered(space, r, &cover) {
                Uncovered::Found(c) => return Cubes::Found(c.pick(space)),
                Uncovered::Unknown => unsure = true,
                Uncovered::Covered => {}
            }
        }
        if unsure {
            Cubes::Unsure
        } else {
            Cubes::None
        }
    }

    /// Whether a point takes branch `i` of a decision (a timeout route
    /// whenever the step times out).
    pub fn point_takes(&self, d: &Decision, i: usize, point: &Point) -> bool {
        matches!(d.branches[i].kind, BranchKind::Timeout) || self.point_runs(d, i, point)
    }

    /// Whether the evaluator, at a decision that does not time out, takes
    /// branch `i` for `point` without a conflict: `i` is the first branch
    /// that holds (for `otherwise`: none does), and in a unique decision
    /// every later branch that holds has its chain.
    pub fn point_runs(&self, d: &Decision, i: usize, point: &Point) -> bool {
        let space = &self.space;
        match &d.branches[i].kind {
            BranchKind::Timeout => false,
            BranchKind::Otherwise => !d.whens().any(|(_, c)| holds(space, c, point)),
            BranchKind::When(c) if d.first => holds(space, c, point) && !d.whens().take_while(|(j, _)| *j < i).any(|(_, c)| holds(space, c, point)),
            BranchKind::When(c) => {
                holds(space, c, point)
                    && d.whens().all(|(j, cj)| j == i || (j > i && d.branches[j].target.same_chain(&d.branches[i].target)) || !holds(space, cj, point))
            }
        }
    }

    /// A route from `start` to `step` that the evaluator follows for
    /// `point` when the route's timeouts fire, along branches whose target
    /// passes `keep`, with those timeouts; `None` when there is none. At each
    /// step the branch the case takes comes first, then the timeout route.
    pub fn route(&self, facts: &FlowFacts, step: StepId, point: &Point, keep: &dyn Fn(&Target) -> bool) -> Option<Route> {
        let flow = &self.program.flows[facts.flow];
        // Depth-first over the DAG; a step that cannot lead to `step` is
        // tried once. A frame: the step, the next choice to try there (the
        // branch the case takes, then the timeout), and whether the route
        // came in through a timeout.
        let mut dead = vec![false; flow.steps.len()];
        let mut stack: Vec<(StepId, u8, bool)> = vec![(flow.start, 0, false)];
        while let Some(top) = stack.last_mut() {
            let (s, choice) = (top.0, top.1);
            if s == step {
                let steps = stack.iter().map(|f| f.0).collect();
                let timeouts = stack.windows(2).filter(|w| w[1].2).map(|w| w[0].0).collect();
                return Some(Route { steps, timeouts });
            }
            top.1 += 1;
            let d = &flow.steps[s].decision;
            let pick = match choice {
                0 => (0..d.branches.len()).find(|&i| !matches!(d.branches[i].kind, BranchKind::Timeout) && self.point_runs(d, i, point)).map(|i| (i, false)),
                1 => d.timeout().map(|i| (i, true)),
                _ => {
                    dead[s] = true;
                    stack.pop();
                    continue;
                }
            };
            let Some((i, timeout)) = pick else { continue };
            let b = &d.branches[i];
            let End::Step(next) = b.target.end else { continue };
            if keep(&b.target) && !dead[next] && !stack.iter().any(|f| f.0 == next) {
                stack.push((next, 0, timeout));
            }
        }
        None
    }

    /// Whether `point` answers the question at the view's decision.
    pub fn answers(&self, view: &DecisionView<'_>, q: &Question<'_>, point: &Point) -> bool {
        let space = &self.space;
        q.holds.iter().all(|c| holds(space, c, point))
            && !q.fails.iter().any(|c| holds(space, c, point))
            && q.takes.iter().all(|(d, i)| matches!(d.branches[*i].kind, BranchKind::Timeout) || self.point_runs(d, *i, point))
            && match (view.flow, view.at) {
                (Some(facts), Where::Step(s)) => self.route(facts, s, point, q.keep.1).is_some(),
                _ => true,
            }
    }

    /// Decides a question: the cube sets' answer when it is sure (a case
    /// they found is checked when `approx`), the solver's otherwise. `lint`
    /// and `what` name a question left undecided.
    pub fn decide(&self, view: &DecisionView<'_>, q: &Question<'_>, cubes: Cubes, approx: bool, lint: &str, what: impl FnOnce() -> String) -> sat::Answer {
        match cubes {
            Cubes::Found(p) if !approx || self.answers(view, q, &p) => return sat::Answer::Found(p),
            Cubes::None if !approx => return sat::Answer::None,
            _ => {}
        }
        let (program, space) = (self.program, &self.space);
        let answer = view.exact.with(program, |sat| {
            let mut lits = Vec::new();
            if let (Some(facts), Where::Step(s)) = (view.flow, view.at) {
                lits.push(sat.reaches(program, space, facts, s, q.keep.0, q.keep.1));
            }
            lits.extend(q.holds.iter().map(|c| sat.cond(space, c)));
            lits.extend(q.fails.iter().map(|c| !sat.cond(space, c)));
            for (d, i) in &q.takes {
                lits.push(sat.takes(space, d, *i));
            }
            sat.find(program, space, &lits)
        });
        match answer {
            // The model is checked by the evaluator's rules before use.
            sat::Answer::Found(p) if self.answers(view, q, &p) => sat::Answer::Found(p),
            sat::Answer::Found(_) => {
                view.exact.undecided(format!("{lint}: {} (the solver's case did not check)", what()));
                sat::Answer::Unknown
            }
            sat::Answer::None => sat::Answer::None,
            sat::Answer::Unknown => {
                view.exact.undecided(format!("{lint}: {}", what()));
                sat::Answer::Unknown
            }
        }
    }

    /// The decision views of a flow's reachable steps.
    pub fn step_views<'f>(&'f self, facts: &'f FlowFacts, exact: &'f Exact) -> impl Iterator<Item = DecisionView<'f>> {
        (0..facts.reach.len()).filter(move |s| !facts.reach[*s].is_empty()).map(move |s| self.step_view(facts, s, exact))
    }

    /// The decision view of step `s` of a flow.
    pub fn step_view<'f>(&'f self, facts: &'f FlowFacts, s: StepId, exact: &'f Exact) -> DecisionView<'f> {
        let step = &self.program.flows[facts.flow].steps[s];
        DecisionView {
            at: Where::Step(s),
            flow: Some(facts),
            decision: &step.decision,
            conds: &facts.conds[s],
            reach: &facts.reach[s],
            name_span: step.name_span,
            name: &step.name,
            exact,
        }
    }

    pub fn table_view<'f>(&'f self, table: TableId, full: &'f CaseSet, exact: &'f Exact) -> DecisionView<'f> {
        let t = &self.program.tables[table];
        DecisionView {
            at: Where::Table(table),
            flow: None,
            decision: &t.decision,
            conds: &self.tables[table],
            reach: full,
            name_span: t.name_span,
            name: &t.name,
            exact,
        }
    }

    /// The witness JSON of a point found at a decision, and the route of
    /// steps when in a flow. The witness holds the inputs a run of that case
    /// reads along the route (falling back to every input the route's
    /// conditions name), every input the conditions in `about` name (the
    /// conditions the finding is about, which the point satisfies), and the
    /// steps whose timeout fires on the route under `"@timeouts"`.
    pub fn witness(&self, view: &DecisionView<'_>, point: &Point, route: Option<Route>, about: &[&Cond]) -> (Witness, Option<Vec<String>>) {
        let case: eval::Case = point.iter().cloned().map(Some).collect();
        let mut timeouts = Vec::new();
        let (mut reads, path) = match (view.flow, view.at) {
            (Some(facts), Where::Step(step)) => {
                let flow = &self.program.flows[facts.flow];
                let route = route.or_else(|| self.route(facts, step, point, &|_| true)).unwrap_or_else(|| Route { steps: vec![step], timeouts: vec![] });
                let run = eval::run_flow_timed(self.program, facts.flow, &case, &route.timeouts);
                let reads = if run.path.starts_with(&route.steps) {
                    run.reads
                } else {
                    let mut inputs = Vec::new();
                    for s in &route.steps {
                        for (_, c) in flow.steps[*s].decision.whens() {
                            c.inputs(&mut inputs);
                        }
                    }
                    inputs
                };
                timeouts = route.timeouts.iter().map(|s| flow.steps[*s].name.clone()).collect();
                (reads, Some(route.steps.iter().map(|s| flow.steps[*s].name.clone()).collect()))
            }
            (_, Where::Table(t)) => (eval::run_table(self.program, t, &case).reads, None),
            _ => (Vec::new(), None),
        };
        for c in about {
            c.inputs(&mut reads);
        }
        reads.sort_unstable();
        reads.dedup();
        let mut values: Vec<_> = reads.iter().map(|&i| (self.program.inputs[i].name.clone(), self.program.witness_value(i, &point[i]))).collect();
        values.sort_by(|a, b| a.0.cmp(&b.0));
        (Witness { values, timeouts }, path)
    }
}

/// The condition set of every `when` branch of a decision.
pub fn decision_sets(space: &Space, d: &Decision) -> Vec<Option<CaseSet>> {
    d.branches.iter().map(|b| b.cond().map(|c| cond_set(space, c, false))).collect()
}

/// How a decision splits a set of cases, as the evaluator decides.
pub enum Choice {
    /// The cases take this branch (a `when`, or `otherwise`).
    Branch(usize),
    /// Two branches with different targets hold: the run stops.
    Conflict,
    /// No branch holds and there is no `otherwise`: the run stops.
    FallThrough,
}

/// The parts of `set` by the branch a decision takes for them (`conds`:
/// the decision's branch sets, empty for `otherwise` and `timeout`): a
/// `first` decision takes the first `when` that holds; a unique one stops
/// on a conflict (two that hold with different target chains), else takes
/// the first that holds; then `otherwise`, or a fall-through.
pub fn partition(space: &Space, d: &Decision, conds: &[CaseSet], set: &CaseSet) -> Vec<(CaseSet, Choice)> {
    let mut out = Vec::new();
    let hold: Vec<(usize, CaseSet)> = d.whens().map(|(i, _)| (i, set.intersect(space, &conds[i]))).filter(|(_, s)| !s.is_empty()).collect();
    let mut rem = set.clone();
    let mut conflict = CaseSet::empty();
    if !d.first {
        for (a, (i, si)) in hold.iter().enumerate() {
            for (j, _) in &hold[a + 1..] {
                if !d.branches[*i].target.same_chain(&d.branches[*j].target) {
                    let both = si.intersect(space, &conds[*j]);
                    if !both.is_empty() {
                        conflict.union_owned(space, both);
                    }
                }
            }
        }
        rem.subtract_assign(space, &conflict);
    }
    for (i, _) in &hold {
        let part = rem.intersect(space, &conds[*i]);
        if !part.is_empty() {
            rem.subtract_assign(space, &conds[*i]);
            out.push((part, Choice::Branch(*i)));
        }
    }
    if !conflict.is_empty() {
        out.push((conflict, Choice::Conflict));
    }
    if !rem.is_empty() {
        out.push((rem, d.otherwise().map_or(Choice::FallThrough, Choice::Branch)));
    }
    out
}
