//! Stage 5: the flow and table lints, one file each. Every file holds the
//! rule's documentation (`DOC`, served by `sopflow explain`) and its check.
//! Front-end codes are checked in `resolve`, `config`, `syntax` and
//! `diagnostics::suppress`; their documentation lives in `front`.

pub mod analysis_incomplete;
pub mod conflicting_outcomes;
pub mod cycle;
pub mod dead_branch;
pub mod front;
pub mod missing_escalation;
pub mod missing_timeout;
pub mod non_exhaustive;
pub mod overlapping_branches;
pub mod shadowed_branch;
pub mod sla_exceeded;
pub mod unreachable_step;

use crate::analysis::domain::CaseSet;
use crate::analysis::sat::Answer;
use crate::analysis::sets::Point;
use crate::analysis::{Analysis, Cubes, DecisionView, Exact, FlowFacts, Question};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::Program;

/// The documentation of a code, with the headings What it finds, Why it
/// matters, Example and Fix.
pub fn doc(code: Code) -> &'static str {
    match code {
        Code::Cycle => cycle::DOC,
        Code::UnreachableStep => unreachable_step::DOC,
        Code::DeadBranch => dead_branch::DOC,
        Code::ShadowedBranch => shadowed_branch::DOC,
        Code::ConflictingOutcomes => conflicting_outcomes::DOC,
        Code::OverlappingBranches => overlapping_branches::DOC,
        Code::NonExhaustive => non_exhaustive::DOC,
        Code::MissingEscalation => missing_escalation::DOC,
        Code::SlaExceeded => sla_exceeded::DOC,
        Code::MissingTimeout => missing_timeout::DOC,
        Code::AnalysisIncomplete => analysis_incomplete::DOC,
        other => front::doc(other),
    }
}

/// What the lints found, and the flows and tables where a question was
/// left undecided when the solver's budget ran out.
#[derive(Debug, Default)]
pub struct LintReport {
    pub diagnostics: Vec<Diagnostic>,
    /// `(flow NAME or table NAME, its name span, what was left undecided)`, in declaration order.
    pub undecided: Vec<(String, crate::source::Span, Vec<String>)>,
}

/// Runs every flow and table lint on the flows and tables that resolved
/// cleanly (gating), in declaration order.
pub fn run(program: &Program) -> Vec<Diagnostic> {
    run_report(program).diagnostics
}

pub fn run_report(program: &Program) -> LintReport {
    run_report_in(program, &crate::ir::step_graphs(program), crate::analysis::sat::DEFAULT_BUDGET)
}

/// [`run_report`] with every flow's step graph already built (`check`
/// builds them as a stage of their own, for `--timings`).
pub fn run_report_in(program: &Program, graphs: &[petgraph::graph::DiGraph<crate::model::StepId, (crate::model::StepId, usize)>], budget: u64) -> LintReport {
    run_report_with(program, graphs, budget, None)
}

/// [`run_report_in`] that stops early when `cancel` says so (each flow or
/// table not yet begun is skipped, and the solver stops).
pub fn run_report_with(
    program: &Program,
    graphs: &[petgraph::graph::DiGraph<crate::model::StepId, (crate::model::StepId, usize)>],
    budget: u64,
    cancel: Option<crate::check::Cancel>,
) -> LintReport {
    let mut analysis = Analysis::new(program);
    analysis.budget = budget;
    analysis.cancel = cancel;
    let cancelled = || analysis.cancel.as_ref().is_some_and(|c| c());
    let mut report = LintReport::default();
    let full = CaseSet::full(&analysis.space);
    // Flows and tables are independent: analysed in parallel, reported in order.
    report.gather(
        &program.flows,
        |f| (format!("flow `{}`", f.name), f.name_span),
        |f, flow, out| {
            if !flow.ok || cancelled() {
                return Vec::new();
            }
            let mut facts = analysis.flow_facts_in(f, &graphs[f]);
            if cycle::check(&analysis, &facts, out) {
                return Vec::new();
            }
            let exact = Exact::new(&analysis);
            unreachable_step::check(&analysis, &mut facts, &exact, out);
            missing_timeout::check(&analysis, &facts, out);
            for view in analysis.step_views(&facts, &exact) {
                decision_lints(&analysis, &view, out);
            }
            missing_escalation::check_flow(&analysis, &facts, &exact, out);
            sla_exceeded::check_flow(&analysis, &facts, &exact, out);
            exact.undecided.take()
        },
    );
    report.gather(
        &program.tables,
        |t| (format!("table `{}`", t.name), t.name_span),
        |t, table, out| {
            if !table.ok || cancelled() {
                return Vec::new();
            }
            let exact = Exact::new(&analysis);
            let view = analysis.table_view(t, &full, &exact);
            decision_lints(&analysis, &view, out);
            missing_escalation::check_table(&analysis, t, &exact, out);
            exact.undecided.take()
        },
    );
    dedup(&mut report.diagnostics);
    for (item, span, undecided) in &report.undecided {
        report.diagnostics.push(analysis_incomplete::finding(item, *span, undecided, budget));
    }
    report
}

impl LintReport {
    /// Runs `check` on every item in parallel (it returns what it left
    /// undecided) and takes the findings in item order.
    fn gather<T: Sync>(
        &mut self,
        items: &[T],
        label: impl Fn(&T) -> (String, crate::source::Span),
        check: impl Fn(usize, &T, &mut Vec<Diagnostic>) -> Vec<String> + Sync + Send,
    ) {
        use rayon::prelude::*;
        // One item per task, as in `check::parse_all`: items differ a lot in size.
        let results: Vec<(Vec<Diagnostic>, Vec<String>)> = items
            .par_iter()
            .with_max_len(1)
            .enumerate()
            .map(|(i, item)| {
                let mut out = Vec::new();
                let undecided = check(i, item, &mut out);
                (out, undecided)
            })
            .collect();
        for ((diags, undecided), item) in results.into_iter().zip(items) {
            self.diagnostics.extend(diags);
            if !undecided.is_empty() {
                let (name, span) = label(item);
                self.undecided.push((name, span, undecided));
            }
        }
    }
}

fn decision_lints(analysis: &Analysis<'_>, view: &DecisionView<'_>, out: &mut Vec<Diagnostic>) {
    dead_branch::check(analysis, view, out);
    shadowed_branch::check(analysis, view, out);
    let pairs = overlapping_pairs(analysis, view);
    conflicting_outcomes::check(analysis, view, &pairs, out);
    overlapping_branches::check(analysis, view, &pairs, out);
    non_exhaustive::check(analysis, view, out);
}

/// A missing escalation inside a table is found once standalone and again
/// through every flow that delegates to it; it is reported once per target
/// and requirement (the first found, which carries a route when a flow has one).
fn dedup(out: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    out.retain(|d| d.code != Code::MissingEscalation || seen.insert((d.span, d.message.clone())));
}

/// Pairs of `when` branches of a unique decision that hold together for a
/// case reaching it, with such a case.
pub struct Overlap {
    pub first: usize,
    pub second: usize,
    pub point: Point,
}

pub fn overlapping_pairs(analysis: &Analysis<'_>, view: &DecisionView<'_>) -> Vec<Overlap> {
    if view.decision.first {
        return Vec::new();
    }
    let space = &analysis.space;
    let whens: Vec<(usize, &CaseSet)> = view.conds.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (i, c))).collect();
    let mut out = Vec::new();
    for (a, b) in candidate_pairs(analysis, &whens) {
        let ((i, ci), (j, cj)) = (whens[a], whens[b]);
        let hit = ci.cubes.iter().find_map(|x| {
            cj.cubes.iter().filter(|y| x.meets(space, y)).find_map(|y| {
                let meet = x.intersect(space, y)?;
                // The first reaching cube that meets it, then the one meet built.
                view.reach.cubes.iter().find(|r| r.meets(space, &meet)).and_then(|r| r.intersect(space, &meet))
            })
        });
        // Widened sets only grow: no meet is sure, a meet is checked.
        let approx = hit.is_some() && (ci.approx || cj.approx || view.reach.approx);
        let cubes = match hit {
            Some(cube) => Cubes::Found(cube.pick(space)),
            None => Cubes::None,
        };
        let d = view.decision;
        let q = Question { holds: vec![d.branches[i].cond().unwrap(), d.branches[j].cond().unwrap()], ..Question::new() };
        let what = || format!("whether branches {} and {} of {} can hold together", i + 1, j + 1, place(view));
        if let Answer::Found(point) = analysis.decide(view, &q, cubes, approx, "conflicting-outcomes", what) {
            out.push(Overlap { first: i, second: j, point });
        }
    }
    out
}

/// `step NAME` or `table NAME`, for what a question was about.
pub fn place(view: &DecisionView<'_>) -> String {
    match view.flow {
        Some(_) => format!("step `{}`", view.name),
        None => format!("table `{}`", view.name),
    }
}

/// Above this many branches, pairs are found through an index.
const INDEX_FROM: usize = 32;

/// An index of a decision's `when` branches by the variants of one enum or
/// bool input: two branches can only share a case on a variant both allow.
/// Positions are indices into the list of `when` sets given to [`BranchIndex::new`].
pub struct BranchIndex {
    /// For each variant, the positions of the branches that allow it.
    buckets: Vec<Vec<usize>>,
    /// For each position, its variants (`None`: it does not constrain the input).
    variants: Vec<Option<Vec<usize>>>,
    /// Positions that do not constrain the input.
    everywhere: Vec<usize>,
}

impl BranchIndex {
    /// `None` for small decisions, or when no input helps.
    pub fn new(analysis: &Analysis<'_>, sets: &[&CaseSet]) -> Option<BranchIndex> {
        let space = &analysis.space;
        let n = sets.len();
        if n <= INDEX_FROM {
            return None;
        }
        let mut inputs: Vec<usize> = sets.iter().flat_map(|set| set.cubes.iter().flat_map(|c| c.inputs(space))).filter(|i| space.is_variants(*i)).collect();
        inputs.sort_unstable();
        inputs.dedup();
        // A position's variants of `input` (`None`: it does not constrain
        // the input everywhere), shared by the cost and the index.
        let variants_of = |input: usize, set: &CaseSet, width: usize| -> Option<Vec<usize>> {
            if set.cubes.iter().any(|c| !c.constrains(input)) {
                return None;
            }
            let mut bits = vec![0u64; width];
            for c in &set.cubes {
                if let Some(b) = c.field(space, input) {
                    bits.iter_mut().zip(b).for_each(|(x, y)| *x |= y);
                }
            }
            // The set bits, word by word.
            let mut vs = Vec::new();
            for (w, word) in bits.into_iter().enumerate() {
                let mut word = word;
                while word != 0 {
                    vs.push(w * 64 + word.trailing_zeros() as usize);
                    word &= word - 1;
                }
            }
            Some(vs)
        };
        // The cost of an input's index (the pairs it leaves), counted without
        // building it: building every candidate was a third of the lints of
        // large tables (docs/PERFORMANCE.md).
        let cost_of = |input: usize| -> Option<usize> {
            let width = space.is_variants(input).then(|| space.full(input).words().len())?;
            let mut counts = vec![0usize; width * 64];
            let mut everywhere = 0;
            for set in sets {
                match variants_of(input, set, width) {
                    None => everywhere += 1,
                    Some(vs) => vs.into_iter().for_each(|v| counts[v] += 1),
                }
            }
            Some(counts.iter().map(|c| c * c).sum::<usize>() + everywhere * n)
        };
        let build = |input: usize| -> Option<BranchIndex> {
            let width = space.is_variants(input).then(|| space.full(input).words().len())?;
            let mut index = BranchIndex { buckets: vec![Vec::new(); width * 64], variants: Vec::with_capacity(n), everywhere: Vec::new() };
            for (pos, set) in sets.iter().enumerate() {
                let Some(vs) = variants_of(input, set, width) else {
                    index.everywhere.push(pos);
                    index.variants.push(None);
                    continue;
                };
                for &v in &vs {
                    index.buckets[v].push(pos);
                }
                index.variants.push(Some(vs));
            }
            Some(index)
        };
        // The input that leaves the fewest pairs (the first of those).
        let best = inputs.into_iter().filter_map(|i| cost_of(i).map(|c| (c, i))).min_by_key(|(c, _)| *c)?;
        build(best.1)
    }

    /// The positions that may share a case with `pos`, sorted, without `pos`.
    pub fn neighbours(&self, pos: usize) -> Vec<usize> {
        let mut out: Vec<usize> = match &self.variants[pos] {
            None => (0..self.variants.len()).collect(),
            Some(vs) => vs.iter().flat_map(|v| self.buckets[*v].iter().copied()).chain(self.everywhere.iter().copied()).collect(),
        };
        out.sort_unstable();
        out.dedup();
        out.retain(|&p| p != pos);
        out
    }
}

/// The pairs `(a, b)`, `a < b`, of positions in `whens` whose sets may meet,
/// in order: every pair for small decisions, the index's neighbours for large ones.
fn candidate_pairs(analysis: &Analysis<'_>, whens: &[(usize, &CaseSet)]) -> Vec<(usize, usize)> {
    let n = whens.len();
    let sets: Vec<&CaseSet> = whens.iter().map(|(_, s)| *s).collect();
    match BranchIndex::new(analysis, &sets) {
        None => (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).collect(),
        Some(index) => (0..n).flat_map(|a| index.neighbours(a).into_iter().filter(move |&b| b > a).map(move |b| (a, b))).collect(),
    }
}

/// The finding for an overlapping pair, at the later branch, with the earlier
/// as a label and the witness and route of the overlap.
pub fn pair_finding(analysis: &Analysis<'_>, view: &DecisionView<'_>, p: &Overlap, code: Code, message: &str, help: &str) -> Diagnostic {
    let (a, b) = (&view.decision.branches[p.first], &view.decision.branches[p.second]);
    let mut d = Diagnostic::new(code, b.span, message).with_label(a.span, "this earlier branch also holds").with_help(help);
    let (w, path) = analysis.witness(view, &p.point, None, &[a.cond().expect("a `when` branch"), b.cond().expect("a `when` branch")]);
    d.witness = Some(w);
    d.path = path;
    d
}

/// The conditions of the reachable branches that route into `step`, as
/// written, with the step each stands in; `None` when a route has no
/// condition (`otherwise`, `timeout`) or there are more than three.
pub fn route_conditions(analysis: &Analysis<'_>, facts: &FlowFacts, step: usize) -> Option<Vec<(String, String)>> {
    let flow = &analysis.program.flows[facts.flow];
    let routes: Vec<Option<(String, String)>> = facts.preds[step]
        .iter()
        .filter(|&&(p, _)| facts.structural[p])
        .map(|&(p, i)| flow.steps[p].decision.branches[i].cond_text.as_deref().map(|c| (c.to_string(), flow.steps[p].name.clone())))
        .collect();
    (!routes.is_empty() && routes.len() <= 3).then_some(())?;
    routes.into_iter().collect()
}

/// The branch spans of the steps that route to `step` under a condition.
pub fn incoming(analysis: &Analysis<'_>, facts: &FlowFacts, step: usize) -> Vec<crate::diagnostics::Label> {
    let flow = &analysis.program.flows[facts.flow];
    let mut labels = Vec::new();
    for &(s, i) in &facts.preds[step] {
        let st = &flow.steps[s];
        let b = &st.decision.branches[i];
        {
            if facts.structural[s] {
                let message = match &b.kind {
                    crate::model::BranchKind::When(_) => {
                        format!("cases arrive here under `{}`", b.cond_text.as_deref().unwrap_or("…"))
                    }
                    crate::model::BranchKind::Otherwise => format!("cases arrive here when no branch of `{}` holds", st.name),
                    crate::model::BranchKind::Timeout => format!("cases arrive here when `{}` times out", st.name),
                };
                labels.push(crate::diagnostics::Label { span: b.span, message });
            }
        }
    }
    labels
}
