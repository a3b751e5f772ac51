//! The exact fallback: a question about a flow or table asked of a SAT
//! solver (BatSat, a MiniSat in Rust). The cube sets answer most questions
//! exactly; when a set was widened or a search gave up, the lints ask here.
//!
//! The encoding: each input is a one-hot choice of its classes (the
//! classes `domain::Space` computes, so integers, durations and strings are
//! exact); a condition is a literal (Tseitin); the cases that reach a step
//! are a literal per step, defined over the branches that route to it
//! exactly as `Analysis::guard_set` takes cases (a case that meets a
//! conflict stops there; a timeout route takes every case that reaches its
//! step). A model is a case, checked by the evaluator before a lint reports
//! it.
//!
//! Work is counted in solver conflicts, a deterministic unit: the same
//! project gives the same answers on any machine. One budget serves a whole
//! flow or table; once it is spent every further question is `Unknown`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use batsat::{lbool, Callbacks, Lit, SolverInterface, SolverOpts};

use super::domain::{AtomSet, Space};
use super::sets::Point;
use super::FlowFacts;
use crate::model::*;

/// The default budget of a flow or table, in solver conflicts.
pub const DEFAULT_BUDGET: u64 = 200_000;

/// What a question got.
#[derive(Debug)]
pub enum Answer {
    /// A case that satisfies every literal asked.
    Found(Point),
    /// No case does.
    None,
    /// The budget ran out first.
    Unknown,
}

/// Counts conflicts (one learnt clause each) and stops the solver at the budget.
struct Budget {
    spent: u64,
    limit: u64,
    cancel: Option<crate::check::Cancel>,
}

impl Callbacks for Budget {
    fn on_new_clause(&mut self, _: &[Lit], kind: batsat::ClauseKind) {
        if matches!(kind, batsat::ClauseKind::Learnt) {
            self.spent += 1;
        }
    }

    fn stop(&self) -> bool {
        self.spent >= self.limit || self.cancel.as_ref().is_some_and(|c| c())
    }
}

/// The solver for one flow or table, with what is encoded so far (the
/// program and its space are passed to each call: the solver outlives no
/// borrow).
pub struct Sat {
    solver: batsat::Solver<Budget>,
    truth: Lit,
    /// Each input's class literals, once encoded.
    inputs: Vec<Option<Vec<Lit>>>,
    /// What the program owns: the only conditions and decisions whose
    /// literals are kept.
    owned: Arc<Owned>,
    /// A condition's literal, by the condition's address in the program.
    conds: HashMap<usize, Lit>,
    /// The literal of "the case takes branch `i` of decision `d`", by
    /// (the decision's address, `i`).
    takes: HashMap<(usize, usize), Lit>,
    /// The reach literal of a step under a filter (`key`, step).
    reach: HashMap<(u64, StepId), Lit>,
}

/// The addresses of a program's conditions (with their parts) and
/// decisions. The solver keeps the literals of these alone: their addresses
/// cannot be reused while the program lives, whereas a condition a caller
/// builds for one question may be freed and its memory given to another.
#[derive(Default)]
pub struct Owned {
    conds: HashSet<usize>,
    decisions: HashSet<usize>,
}

impl Owned {
    pub fn of(program: &Program) -> Owned {
        fn walk(c: &Cond, out: &mut HashSet<usize>) {
            out.insert(c as *const Cond as usize);
            match c {
                Cond::Not(inner) => walk(inner, out),
                Cond::And(parts) | Cond::Or(parts) => parts.iter().for_each(|p| walk(p, out)),
                Cond::Atom(_) | Cond::Const(_) => {}
            }
        }
        let mut owned = Owned::default();
        for d in program.flows.iter().flat_map(|f| f.steps.iter().map(|s| &s.decision)).chain(program.tables.iter().map(|t| &t.decision)) {
            owned.decisions.insert(d as *const Decision as usize);
            for (_, c) in d.whens() {
                walk(c, &mut owned.conds);
            }
        }
        owned
    }
}

impl Sat {
    /// The solver of one flow or table of `program`; `owned` is
    /// `Owned::of(program)`, made once for every solver of the program.
    pub fn new(program: &Program, budget: u64, cancel: Option<crate::check::Cancel>, owned: Arc<Owned>) -> Sat {
        let mut solver = batsat::Solver::new(SolverOpts::default(), Budget { spent: 0, limit: budget, cancel });
        let truth = Lit::new(solver.new_var_default(), true);
        solver.add_clause_reuse(&mut vec![truth]);
        Sat { solver, truth, inputs: vec![None; program.inputs.len()], owned, conds: HashMap::new(), takes: HashMap::new(), reach: HashMap::new() }
    }

    /// Conflicts spent so far.
    pub fn spent(&self) -> u64 {
        self.solver.cb().spent
    }

    fn fresh(&mut self) -> Lit {
        Lit::new(self.solver.new_var_default(), true)
    }

    fn clause(&mut self, lits: &[Lit]) {
        self.solver.add_clause_reuse(&mut lits.to_vec());
    }

    /// The literals of an input's classes (exactly one holds).
    fn classes(&mut self, space: &Space, input: InputId) -> Vec<Lit> {
        if let Some(lits) = &self.inputs[input] {
            return lits.clone();
        }
        let n = space.full(input).classes().count();
        let lits: Vec<Lit> = if n == 2 {
            let v = self.fresh();
            vec![!v, v]
        } else {
            let lits: Vec<Lit> = (0..n).map(|_| self.fresh()).collect();
            self.clause(&lits);
            // At most one: pairwise for few classes, a ladder for more.
            if n <= 6 {
                for i in 0..n {
                    for j in i + 1..n {
                        self.clause(&[!lits[i], !lits[j]]);
                    }
                }
            } else {
                let ladder: Vec<Lit> = (0..n - 1).map(|_| self.fresh()).collect();
                for i in 0..n - 1 {
                    // ladder[i]: some class at or before i holds.
                    self.clause(&[!lits[i], ladder[i]]);
                    if i > 0 {
                        self.clause(&[!ladder[i - 1], ladder[i]]);
                    }
                    self.clause(&[!ladder[i], !lits[i + 1]]);
                }
            }
            lits
        };
        self.inputs[input] = Some(lits.clone());
        lits
    }

    /// A literal equivalent to the conjunction of `lits`.
    pub fn and(&mut self, lits: &[Lit]) -> Lit {
        match lits {
            [] => self.truth,
            [one] => *one,
            _ => {
                let t = self.fresh();
                for l in lits {
                    self.clause(&[!t, *l]);
                }
                let mut back: Vec<Lit> = lits.iter().map(|l| !*l).collect();
                back.push(t);
                self.clause(&back);
                t
            }
        }
    }

    /// A literal equivalent to the disjunction of `lits`.
    pub fn or(&mut self, lits: &[Lit]) -> Lit {
        let negated: Vec<Lit> = lits.iter().map(|l| !*l).collect();
        !self.and(&negated)
    }

    pub fn falsity(&self) -> Lit {
        !self.truth
    }

    /// The literal of a condition: one of the program's, kept, or one built
    /// for a question, encoded afresh each time.
    pub fn cond(&mut self, space: &Space, c: &Cond) -> Lit {
        let key = c as *const Cond as usize;
        if let Some(l) = self.conds.get(&key) {
            return *l;
        }
        let lit = match c {
            Cond::Const(b) => {
                if *b {
                    self.truth
                } else {
                    !self.truth
                }
            }
            Cond::Not(inner) => !self.cond(space, inner),
            Cond::And(parts) | Cond::Or(parts) => {
                let lits: Vec<Lit> = parts.iter().map(|p| self.cond(space, p)).collect();
                if matches!(c, Cond::And(_)) {
                    self.and(&lits)
                } else {
                    self.or(&lits)
                }
            }
            Cond::Atom(a) => {
                let set = space.pred_set(a.input, &a.pred);
                let classes = self.classes(space, a.input);
                let (inside, outside): (Vec<Lit>, Vec<Lit>) = (0..classes.len()).partition_map(|k| (set.has(k), classes[k]));
                // Exactly one class holds: the smaller side says it.
                if inside.len() <= outside.len() {
                    self.or(&inside)
                } else {
                    !self.or(&outside)
                }
            }
        };
        if self.owned.conds.contains(&key) {
            self.conds.insert(key, lit);
        }
        lit
    }

    /// The literal of "the case takes branch `i`" of a decision reached by
    /// the case: the evaluator's choice (`Analysis::excluded`); a timeout
    /// route is always open.
    pub fn takes(&mut self, space: &Space, d: &Decision, i: usize) -> Lit {
        let key = (d as *const Decision as usize, i);
        if let Some(l) = self.takes.get(&key) {
            return *l;
        }
        let lit = self.encode_takes(space, d, i);
        if self.owned.decisions.contains(&key.0) {
            self.takes.insert(key, lit);
        }
        lit
    }

    fn encode_takes(&mut self, space: &Space, d: &Decision, i: usize) -> Lit {
        match &d.branches[i].kind {
            BranchKind::Timeout => self.truth,
            BranchKind::When(c) => {
                let mut lits = vec![self.cond(space, c)];
                for (j, cj) in d.whens() {
                    if d.excludes(i, j) {
                        lits.push(!self.cond(space, cj));
                    }
                }
                self.and(&lits)
            }
            BranchKind::Otherwise => {
                let lits: Vec<Lit> = d.whens().map(|(_, c)| !self.cond(space, c)).collect::<Vec<_>>();
                self.and(&lits)
            }
        }
    }

    /// The literal of "the case reaches `step`" along branches whose target
    /// passes `keep` (`key` names the filter: 0 for every branch).
    pub fn reaches(&mut self, program: &Program, space: &Space, facts: &FlowFacts, step: StepId, key: u64, keep: &dyn Fn(&Target) -> bool) -> Lit {
        if let Some(l) = self.reach.get(&(key, step)) {
            return *l;
        }
        let flow = &program.flows[facts.flow];
        // The steps in topological order up to `step`, defined in turn (no recursion).
        let order: Vec<StepId> = facts.order.clone().unwrap_or_default();
        for &s in &order {
            if self.reach.contains_key(&(key, s)) {
                if s == step {
                    break;
                }
                continue;
            }
            let lit = if s == flow.start {
                self.truth
            } else if !facts.structural[s] {
                !self.truth
            } else {
                let mut ways = Vec::new();
                for &(p, i) in &facts.preds[s] {
                    let d = &flow.steps[p].decision;
                    if !facts.structural[p] || !keep(&d.branches[i].target) {
                        continue;
                    }
                    let from = self.reach[&(key, p)];
                    let take = self.takes(space, d, i);
                    ways.push(self.and(&[from, take]));
                }
                self.or(&ways)
            };
            self.reach.insert((key, s), lit);
            if s == step {
                break;
            }
        }
        self.reach.get(&(key, step)).copied().unwrap_or(!self.truth)
    }

    /// A case that satisfies every literal of `lits`.
    pub fn find(&mut self, program: &Program, space: &Space, lits: &[Lit]) -> Answer {
        if self.solver.cb().stop() {
            return Answer::Unknown;
        }
        match self.solver.solve_limited(lits) {
            r if r == lbool::TRUE => Answer::Found(self.point(program, space)),
            r if r == lbool::FALSE => Answer::None,
            _ => Answer::Unknown,
        }
    }

    /// The case of the last model: each encoded input's class, any value of
    /// it; the other inputs any value.
    fn point(&self, program: &Program, space: &Space) -> Point {
        let model = self.solver.get_model();
        let holds = |l: Lit| {
            let v = model.get(l.var().idx() as usize).copied().unwrap_or(lbool::UNDEF);
            if l.sign() {
                v == lbool::TRUE
            } else {
                v == lbool::FALSE
            }
        };
        (0..program.inputs.len())
            .map(|i| {
                let full = space.full(i);
                let set = match &self.inputs[i] {
                    Some(lits) => lits.iter().position(|l| holds(*l)).map_or_else(|| full.clone(), |k| AtomSet::single(full, k)),
                    None => full.clone(),
                };
                space.pick(i, &set)
            })
            .collect()
    }
}

/// `Iterator::partition_map` for two vectors of the mapped values.
trait PartitionMap: Iterator + Sized {
    fn partition_map<T>(self, f: impl Fn(Self::Item) -> (bool, T)) -> (Vec<T>, Vec<T>) {
        let (mut yes, mut no) = (Vec::new(), Vec::new());
        for item in self {
            let (side, v) = f(item);
            if side {
                yes.push(v);
            } else {
                no.push(v);
            }
        }
        (yes, no)
    }
}

impl<I: Iterator> PartitionMap for I {}
