//! `sopflow doc`: the handbook agents work from, generated from the policy.
//!
//! [`build`] makes the [`Handbook`], a model of pages made only of the
//! policy's own words (names, titles, doc comments, instructions, action
//! descriptions, conditions in plain language by `plain`), of the
//! drawings of `export::svg`, and of worked examples the analysis finds and
//! the evaluator runs; `html` and `markdown` write it. With a `where`
//! condition every flow is restricted to the cases it admits: branches no
//! such case takes and steps none reaches are left out.

pub mod html;
pub mod markdown;
pub mod plain;

use crate::analysis::sat::Answer;
use crate::analysis::{Analysis, Cubes, Exact, Question};
use crate::ast::SeverityLevel;
use crate::eval::{self, Where};
use crate::export;
use crate::model::*;
use crate::source::Duration;

/// A piece of running text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    /// A name from the policy, shown as code.
    Code(String),
    /// A link to a page of the handbook (`page`: its file stem), and an
    /// anchor on it.
    Link {
        text: String,
        page: String,
        anchor: Option<String>,
    },
}

pub type Sentence = Vec<Inline>;

fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

/// A branch as the agent reads it.
#[derive(Clone, Debug)]
pub struct Rule {
    /// `If …` (a `when`), `Otherwise`, or `If the step is not done within …`.
    pub when: Sentence,
    pub then: Sentence,
    /// The policy's line of the branch (for "see the policy").
    pub line: usize,
}

#[derive(Clone, Debug)]
pub struct StepPage {
    pub name: String,
    pub title: String,
    pub anchor: String,
    pub deadline: Option<String>,
    pub doc: Option<String>,
    pub instructions: Vec<String>,
    /// Take the first rule that applies (`first`), or exactly one applies.
    pub first: bool,
    pub rules: Vec<Rule>,
    /// Where cases come from: `From step X`.
    pub arrives_from: Vec<Sentence>,
    pub start: bool,
}

#[derive(Clone, Debug)]
pub struct Example {
    /// The (step, branch) decisions of the way through the flow it shows.
    pub route: Vec<(StepId, usize)>,
    pub title: String,
    /// (input label, input name, value)
    pub inputs: Vec<(String, String, String)>,
    /// Titles of the steps whose time runs out.
    pub timeouts: Vec<String>,
    /// Titles of the steps taken.
    pub steps: Vec<String>,
    pub result: Sentence,
}

#[derive(Clone, Debug)]
pub struct FlowPage {
    pub name: String,
    pub page: String,
    pub doc: Option<String>,
    pub file: String,
    pub targets: Vec<String>,
    pub svg: String,
    /// The flow step by step, as text: the drawing's text alternative.
    pub narration: Vec<String>,
    pub steps: Vec<StepPage>,
    pub examples: Vec<Example>,
    /// More paths than examples shown.
    pub examples_capped: bool,
    /// Teams the flow escalates to: (name, SLA).
    pub teams: Vec<(String, Option<String>)>,
    /// Under `--where`: steps no case reaches and branches none takes.
    pub dropped: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct TablePage {
    pub name: String,
    pub page: String,
    pub doc: Option<String>,
    pub file: String,
    pub first: bool,
    pub rules: Vec<Rule>,
    pub svg: String,
    pub used_by: Vec<Inline>,
}

#[derive(Clone, Debug)]
pub struct Change {
    /// `flow NAME` or `table NAME`.
    pub subject: String,
    /// `stricter`, `milder` or `changed`.
    pub direction: &'static str,
    /// The cases, as the diff describes them.
    pub cases: String,
    /// An example case: (input label, name, value).
    pub example: Vec<(String, String, String)>,
    pub before: String,
    pub after: String,
}

#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub since: String,
    pub changes: Vec<Change>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Handbook {
    pub title: String,
    /// The `--where` condition as given.
    pub scope: Option<String>,
    pub flows: Vec<FlowPage>,
    pub tables: Vec<TablePage>,
    /// (name, SLA, doc)
    pub teams: Vec<(String, Option<String>, Option<String>)>,
    /// (name, severity, doc)
    pub outcomes: Vec<(String, String, Option<String>)>,
    /// (name, label, type, doc)
    pub inputs: Vec<(String, String, String, Option<String>)>,
    /// (name, description, doc)
    pub actions: Vec<(String, Option<String>, Option<String>)>,
    pub changes: Option<Changes>,
}

pub struct Options<'a> {
    pub title: String,
    /// Restrict every flow to the cases of this condition (as written, and resolved).
    pub scope: Option<(String, &'a Cond)>,
    /// Examples per flow at most.
    pub max_examples: usize,
    pub changes: Option<Changes>,
}

pub fn flow_page_name(name: &str) -> String {
    format!("flow-{name}")
}

pub fn table_page_name(name: &str) -> String {
    format!("table-{name}")
}

fn team_sla(p: &Program, t: TeamId) -> Option<String> {
    p.teams[t].sla_seconds.map(Duration::format_seconds)
}

fn type_name(p: &Program, i: InputId) -> String {
    match &p.inputs[i].ty {
        Type::Bool => "yes or no".into(),
        Type::Int { lo, hi } => format!("a number from {lo} to {hi}"),
        Type::Duration => "a duration".into(),
        Type::String => "text".into(),
        Type::Enum(e) => format!("one of: {}", p.enums[*e].variants.join(", ")),
    }
}

fn step_title(s: &Step) -> String {
    s.title.clone().unwrap_or_else(|| s.name.clone())
}

/// What a branch's target does, as a sentence.
fn then(p: &Program, flow: Option<FlowId>, t: &Target) -> Sentence {
    let mut out: Sentence = Vec::new();
    for l in &t.links {
        match l {
            Link::Do(a) => {
                let act = &p.actions[*a];
                out.push(text("do "));
                out.push(Inline::Code(act.name.clone()));
                if let Some(d) = &act.description {
                    out.push(text(format!(" ({d})")));
                }
                out.push(text(", then "));
            }
            Link::Escalate(team) => {
                out.push(text("escalate to "));
                out.push(Inline::Code(p.teams[*team].name.clone()));
                if let Some(s) = team_sla(p, *team) {
                    out.push(text(format!(" (SLA {s})")));
                }
                out.push(text(", then "));
            }
        }
    }
    match t.end {
        End::Step(s) => {
            let f = flow.expect("a step target is in a flow");
            let step = &p.flows[f].steps[s];
            out.push(text("go to step "));
            out.push(Inline::Link { text: step_title(step), page: flow_page_name(&p.flows[f].name), anchor: Some(format!("step-{}", step.name)) });
        }
        End::Outcome(o) => {
            out.push(text("outcome "));
            out.push(Inline::Code(p.outcomes[o].name.clone()));
            let sev = p.outcomes[o].severity;
            if sev != SeverityLevel::None {
                out.push(text(format!(" (severity {})", sev.as_str())));
            }
        }
        End::Escalate(team) => {
            out.push(text("hand the case to "));
            out.push(Inline::Code(p.teams[team].name.clone()));
            if let Some(s) = team_sla(p, team) {
                out.push(text(format!(" (SLA {s})")));
            }
        }
        End::Table(tb) => {
            out.push(text("decide with table "));
            out.push(Inline::Link { text: p.tables[tb].name.clone(), page: table_page_name(&p.tables[tb].name), anchor: None });
        }
    }
    out
}

fn rule(p: &Program, flow: Option<FlowId>, sources: &crate::source::SourceMap, step: Option<&Step>, b: &Branch) -> Rule {
    let when = match &b.kind {
        BranchKind::When(c) => vec![text(format!("If {}", plain::cond(p, sources, c)))],
        BranchKind::Otherwise => vec![text("Otherwise")],
        BranchKind::Timeout => {
            let within = step.and_then(|s| s.within_text.clone()).unwrap_or_default();
            vec![text(format!("If the step is not done within {within}"))]
        }
    };
    let line = sources.get(b.span.file).line_col(b.span.start as usize).0;
    Rule { when, then: then(p, flow, &b.target), line }
}

/// A doc comment's first paragraph, on one line (empty without one).
pub fn summary(doc: &Option<String>) -> String {
    doc.as_deref().map(|d| d.split("\n\n").next().unwrap_or(d).replace('\n', " ")).unwrap_or_default()
}

/// Sentences as plain text (for narration and text alternatives).
pub fn flat(s: &[Inline]) -> String {
    s.iter()
        .map(|i| match i {
            Inline::Text(t) | Inline::Code(t) => t.as_str(),
            Inline::Link { text, .. } => text.as_str(),
        })
        .collect()
}

/// What a walk through a flow found: the worked examples of the ways some
/// case takes, and whether it stopped before it had seen every way.
struct Ways {
    examples: Vec<Example>,
    more: bool,
}

/// A flow under a scope, with its analysis: what the walk for worked
/// examples asks its questions of.
struct Walk<'a> {
    p: &'a Program,
    analysis: &'a Analysis<'a>,
    facts: &'a crate::analysis::FlowFacts,
    exact: &'a Exact,
    f: FlowId,
    scope: Option<&'a Cond>,
}

/// The ways through a flow that some case (of the scope) takes, up to
/// `max`, in depth-first order. A route is extended only when some case
/// takes it so far, so the walk never wanders into routes no case takes;
/// it stops at `max` ways, or when the solver cannot say.
fn ways(w: &Walk<'_>, keep: &dyn Fn(StepId, usize) -> bool, max: usize) -> Ways {
    let flow = &w.p.flows[w.f];
    let mut examples = Vec::new();
    let mut stack: Vec<Vec<(StepId, usize)>> = vec![vec![]];
    while let Some(route) = stack.pop() {
        let at = route.last().map_or(Some(flow.start), |(s, b)| match flow.steps[*s].decision.branches[*b].target.end {
            End::Step(t) => Some(t),
            _ => None,
        });
        let Some(s) = at else {
            match example(w, &route) {
                Some(_) if examples.len() == max => return Ways { examples, more: true },
                Some(e) => examples.push(e),
                None => {}
            }
            continue;
        };
        for b in (0..flow.steps[s].decision.branches.len()).rev() {
            if !keep(s, b) {
                continue;
            }
            let mut r = route.clone();
            r.push((s, b));
            match case_of(w, &r) {
                Answer::Found(_) => stack.push(r),
                Answer::None => {}
                Answer::Unknown => return Ways { examples, more: true },
            }
        }
    }
    Ways { examples, more: false }
}

pub fn build(p: &Program, sources: &crate::source::SourceMap, options: &Options<'_>) -> Handbook {
    let analysis = Analysis::new(p);
    let scope = options.scope.as_ref().map(|(_, c)| *c);
    let mut flows = Vec::new();
    for (f, flow) in p.flows.iter().enumerate() {
        if !flow.ok {
            continue;
        }
        flows.push(flow_page(p, sources, &analysis, f, scope, options.max_examples));
    }
    let tables = p
        .tables
        .iter()
        .enumerate()
        .filter(|(_, t)| t.ok)
        .map(|(t, table)| {
            let used_by = p
                .flows
                .iter()
                .filter(|f| f.steps.iter().any(|s| s.decision.branches.iter().any(|b| b.target.end == End::Table(t))))
                .map(|f| Inline::Link { text: f.name.clone(), page: flow_page_name(&f.name), anchor: None })
                .collect();
            let d = export::table_diagram(p, t, "t_");
            let description = format!("table {}: {} rules", table.name, table.decision.branches.len());
            TablePage {
                name: table.name.clone(),
                page: table_page_name(&table.name),
                doc: table.doc.clone(),
                file: sources.get(table.span.file).path.clone(),
                first: table.decision.first,
                rules: table.decision.branches.iter().map(|b| rule(p, None, sources, None, b)).collect(),
                svg: export::svg::diagram(&d, &export::svg::Options { prefix: "t_", description: Some(description), marks: Default::default() }),
                used_by,
            }
        })
        .collect();
    Handbook {
        title: options.title.clone(),
        scope: options.scope.as_ref().map(|(s, _)| s.clone()),
        flows,
        tables,
        teams: p.teams.iter().enumerate().map(|(t, team)| (team.name.clone(), team_sla(p, t), team.doc.clone())).collect(),
        outcomes: p.outcomes.iter().map(|o| (o.name.clone(), o.severity.as_str().to_string(), o.doc.clone())).collect(),
        inputs: p.inputs.iter().enumerate().map(|(i, x)| (x.name.clone(), plain::label(p, i), type_name(p, i), x.doc.clone())).collect(),
        actions: p.actions.iter().map(|a| (a.name.clone(), a.description.clone(), a.doc.clone())).collect(),
        changes: options.changes.clone(),
    }
}

fn flow_page(p: &Program, sources: &crate::source::SourceMap, analysis: &Analysis<'_>, f: FlowId, scope: Option<&Cond>, max_examples: usize) -> FlowPage {
    let flow = &p.flows[f];
    let facts = analysis.flow_facts(f);
    let exact = Exact::new(analysis);
    // Which branches some case (of the scope) takes.
    let n = flow.steps.len();
    let mut kept: Vec<Vec<bool>> = flow.steps.iter().map(|s| vec![true; s.decision.branches.len()]).collect();
    let mut reached = vec![true; n];
    if let Some(w) = scope {
        for s in 0..n {
            let view = analysis.step_view(&facts, s, &exact);
            let d = view.decision;
            let mut any = false;
            for (i, keep) in kept[s].iter_mut().enumerate() {
                let q = Question { holds: vec![w], takes: vec![(d, i)], ..Question::new() };
                let found = !view.reach.is_empty()
                    && matches!(
                        analysis.decide(&view, &q, Cubes::Unsure, true, "doc", || format!("branch {} of step {}", i + 1, flow.steps[s].name)),
                        Answer::Found(_)
                    );
                *keep = found;
                any |= found;
            }
            reached[s] = any;
        }
    }
    let mut dropped = Vec::new();
    for (s, step) in flow.steps.iter().enumerate() {
        if !reached[s] {
            dropped.push(format!("step {} ({}): no case of this scope reaches it", step.name, step_title(step)));
            continue;
        }
        for (i, b) in step.decision.branches.iter().enumerate() {
            if !kept[s][i] {
                let what = b.written();
                dropped.push(format!("step {}, `{what}`: no case of this scope takes it", step.name));
            }
        }
    }
    // Steps, with where their cases come from.
    let mut arrives: Vec<Vec<Sentence>> = vec![Vec::new(); n];
    for (s, step) in flow.steps.iter().enumerate() {
        for (i, b) in step.decision.branches.iter().enumerate() {
            if let (End::Step(t), true, true) = (b.target.end, kept[s][i], reached[s]) {
                let mut from = vec![
                    text("From step "),
                    Inline::Link { text: step_title(step), page: flow_page_name(&flow.name), anchor: Some(format!("step-{}", step.name)) },
                ];
                match &b.kind {
                    BranchKind::When(c) => from.push(text(format!(", if {}", plain::cond(p, sources, c)))),
                    BranchKind::Otherwise => from.push(text(", otherwise")),
                    BranchKind::Timeout => from.push(text(", when its time runs out")),
                }
                arrives[t].push(from);
            }
        }
    }
    let steps: Vec<StepPage> = flow
        .steps
        .iter()
        .enumerate()
        .filter(|(s, _)| reached[*s])
        .map(|(s, step)| StepPage {
            name: step.name.clone(),
            title: step_title(step),
            anchor: format!("step-{}", step.name),
            deadline: step.within_text.clone(),
            doc: step.doc.clone(),
            instructions: step.instructions.clone(),
            first: step.decision.first,
            rules: step.decision.branches.iter().enumerate().filter(|(i, _)| kept[s][*i]).map(|(_, b)| rule(p, Some(f), sources, Some(step), b)).collect(),
            arrives_from: std::mem::take(&mut arrives[s]),
            start: s == flow.start,
        })
        .collect();
    // Worked examples: one case per route, found by the analysis, run by `eval`.
    let mut examples = Vec::new();
    let mut capped = false;
    if facts.order.is_some() {
        let keep = |s: StepId, b: usize| kept[s][b] && reached[s];
        let walk = Walk { p, analysis, facts: &facts, exact: &exact, f, scope };
        let found = ways(&walk, &keep, max_examples);
        capped = found.more;
        // More ways than are shown: first a way through for every rule,
        // the cases `sopflow cases` makes (without a scope, which it does
        // not know), then the ways in the walk's order.
        if found.more && scope.is_none() {
            let options = crate::cases::Options { mcdc: false, skip_covered: false };
            if let Ok(plan) = crate::cases::generate(analysis, sources, RunTarget::Flow(f), &[], &options) {
                for c in plan.cases.iter().take(max_examples) {
                    let Ok(json) = serde_json::to_value(&c.witness) else { continue };
                    let Some(map) = json.as_object() else { continue };
                    let (Ok(case), Ok(timeouts)) = (eval::case_from_json(p, map), eval::timeouts_from_json(p, Some(f), map)) else { continue };
                    if let Some(e) = shown(p, f, &case, &timeouts) {
                        examples.push(e);
                    }
                }
            }
        }
        for e in found.examples {
            if examples.len() == max_examples {
                break;
            }
            if !examples.iter().any(|x: &Example| x.route == e.route) {
                examples.push(e);
            }
        }
    }
    // The drawing, with dead branches left out under a scope.
    let mut d = export::flow_diagram(p, f, "f_");
    if scope.is_some() {
        d.edges.retain(|e| match e.taken {
            Some((Where::Step(s), b)) => reached[s] && kept[s][b],
            _ => true,
        });
        let ends: std::collections::HashSet<String> = d.edges.iter().flat_map(|e| [e.from.clone(), e.to.clone()]).collect();
        d.nodes.retain(|x| ends.contains(&x.id) || x.step == Some(flow.start));
    }
    let mut narration = Vec::new();
    for st in &steps {
        let mut line = format!("Step {} ({})", st.title, st.name);
        if let Some(dl) = &st.deadline {
            line.push_str(&format!(", within {dl}"));
        }
        line.push_str(": ");
        let rules: Vec<String> = st.rules.iter().map(|r| format!("{}: {}", flat(&r.when), flat(&r.then))).collect();
        line.push_str(&rules.join("; "));
        line.push('.');
        narration.push(line);
    }
    let description = format!("flow {}. {}", flow.name, narration.join(" "));
    let svg = export::svg::diagram(&d, &export::svg::Options { prefix: "f_", description: Some(description), marks: Default::default() });
    let mut teams: Vec<(String, Option<String>)> = Vec::new();
    for step in &flow.steps {
        for b in &step.decision.branches {
            let mut ts: Vec<TeamId> = b.target.links.iter().filter_map(|l| if let Link::Escalate(t) = l { Some(*t) } else { None }).collect();
            if let End::Escalate(t) = b.target.end {
                ts.push(t);
            }
            for t in ts {
                if !teams.iter().any(|(n, _)| *n == p.teams[t].name) {
                    teams.push((p.teams[t].name.clone(), team_sla(p, t)));
                }
            }
        }
    }
    let targets = p
        .resolutions
        .iter()
        .filter(|r| r.flow == f)
        .map(|r| match &r.cond {
            Some(c) => format!("Resolved within {} when {}", r.text, plain::cond(p, sources, c)),
            None => format!("Resolved within {}", r.text),
        })
        .collect();
    FlowPage {
        name: flow.name.clone(),
        page: flow_page_name(&flow.name),
        doc: flow.doc.clone(),
        file: sources.get(flow.span.file).path.clone(),
        targets,
        svg,
        narration,
        steps,
        examples,
        examples_capped: capped,
        teams,
        dropped,
    }
}

/// A case that follows `route`, if some case does.
fn example(w: &Walk<'_>, route: &[(StepId, usize)]) -> Option<Example> {
    let (p, f) = (w.p, w.f);
    let flow = &p.flows[f];
    let timeouts: Vec<StepId> =
        route.iter().filter(|(s, b)| matches!(flow.steps[*s].decision.branches[*b].kind, BranchKind::Timeout)).map(|(s, _)| *s).collect();
    let Answer::Found(point) = case_of(w, route) else { return None };
    let full: eval::Case = point.into_iter().map(Some).collect();
    let first = eval::run_flow_timed(p, f, &full, &timeouts);
    let mut case: eval::Case = vec![None; p.inputs.len()];
    for &i in &first.reads {
        case[i] = full[i].clone();
    }
    let e = shown(p, f, &case, &timeouts)?;
    (e.route == route).then_some(e)
}

/// Whether some case (of the scope) takes `route` so far: the analysis's
/// question at the route's last step, with every branch of the route taken.
fn case_of(w: &Walk<'_>, route: &[(StepId, usize)]) -> Answer {
    let flow = &w.p.flows[w.f];
    let Some(&(last, _)) = route.last() else { return Answer::None };
    let view = w.analysis.step_view(w.facts, last, w.exact);
    let takes: Vec<(&Decision, usize)> = route
        .iter()
        .filter(|(s, b)| !matches!(flow.steps[*s].decision.branches[*b].kind, BranchKind::Timeout))
        .map(|(s, b)| (&flow.steps[*s].decision, *b))
        .collect();
    let q = Question { holds: w.scope.into_iter().collect(), takes, ..Question::new() };
    w.analysis.decide(&view, &q, Cubes::Unsure, true, "doc", || "an example".into())
}

/// The worked example of a case (with the steps whose time runs out).
fn shown(p: &Program, f: FlowId, case: &eval::Case, timeouts: &[StepId]) -> Option<Example> {
    let flow = &p.flows[f];
    let run = eval::run_flow_timed(p, f, case, timeouts);
    let route: Vec<(StepId, usize)> = run.taken.iter().filter_map(|(w, b)| if let Where::Step(s) = w { Some((*s, *b)) } else { None }).collect();
    let mut inputs: Vec<(String, String, String)> =
        run.reads.iter().filter_map(|&i| Some((plain::label(p, i), p.inputs[i].name.clone(), plain::value(p, i, case[i].as_ref()?)))).collect();
    inputs.sort_by(|a, b| a.1.cmp(&b.1));
    let result = match &run.end {
        eval::End::Outcome { outcome, .. } => vec![text("outcome "), Inline::Code(p.outcomes[*outcome].name.clone())],
        eval::End::Escalated { team, .. } => vec![text("handed to "), Inline::Code(p.teams[*team].name.clone())],
        _ => vec![text("no result (see `sopflow check`)")],
    };
    let steps: Vec<String> = run.path.iter().map(|s| step_title(&flow.steps[*s])).collect();
    let title = format!("{} → {}", steps.join(" → "), flat(&result));
    Some(Example { route, title, inputs, timeouts: timeouts.iter().map(|s| step_title(&flow.steps[*s])).collect(), steps, result })
}
