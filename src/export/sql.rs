//! A flow or table as one SQL query over a table of cases: a `SELECT` of
//! `CASE` expressions, no user-defined function, that returns per row what
//! `sopflow eval` returns (result, outcome, team, path, tables, escalations,
//! actions). How a back-test runs where the data is (docs/sql.md).
//!
//! The query is built in layers, each a subquery that adds columns:
//! 1. every condition of every decision, three-valued as `eval` reads it
//!    (1 holds, 0 does not, 2 stops on a missing input; `and`/`or` read left
//!    to right and stop early), and whether a value does not fit its input;
//! 2. every decision's choice: its branch, or -1 missing input, -2 conflict,
//!    -3 fall-through (the first branch that holds, the first missing input
//!    before it; in a unique decision the first branch of a second target
//!    chain is a conflict);
//! 3. one layer per depth of the flow: the branch each step took, -9 when
//!    the run does not reach it (a step is reached by the branch of an
//!    earlier step that names it).
//!
//! The outer `SELECT` names the results from those columns. A flow with a
//! cycle has no such form; its export is an error.

use crate::model::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Spark,
    Trino,
    BigQuery,
    Postgres,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::Spark => "Spark SQL",
            Dialect::Trino => "Trino",
            Dialect::BigQuery => "BigQuery",
            Dialect::Postgres => "PostgreSQL",
        }
    }

    fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark | Dialect::BigQuery => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    fn string(self, s: &str) -> String {
        match self {
            Dialect::Spark | Dialect::BigQuery => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    fn empty(self) -> &'static str {
        match self {
            Dialect::DuckDb => "CAST([] AS VARCHAR[])",
            Dialect::Spark => "CAST(array() AS ARRAY<STRING>)",
            Dialect::Trino => "CAST(ARRAY[] AS ARRAY(VARCHAR))",
            Dialect::BigQuery => "ARRAY<STRING>[]",
            Dialect::Postgres => "ARRAY[]::text[]",
        }
    }

    fn one(self, s: &str) -> String {
        let s = self.string(s);
        match self {
            Dialect::DuckDb => format!("[{s}]"),
            Dialect::Spark => format!("array({s})"),
            Dialect::Trino => format!("ARRAY[{s}]"),
            Dialect::BigQuery => format!("ARRAY<STRING>[{s}]"),
            Dialect::Postgres => format!("ARRAY[{s}]::text[]"),
        }
    }

    fn concat(self, parts: &[String]) -> String {
        match parts.len() {
            0 => self.empty().to_string(),
            1 => parts[0].clone(),
            _ => match self {
                Dialect::Spark => format!("concat({})", parts.join(", ")),
                Dialect::BigQuery => format!("ARRAY_CONCAT({})", parts.join(", ")),
                _ => format!("({})", parts.join(" || ")),
            },
        }
    }
}

/// Where the query reads and what it keeps.
pub struct Options {
    pub dialect: Dialect,
    /// The table (or view) of cases.
    pub from: String,
    /// Columns passed through to the result, after the inputs' columns.
    pub keep: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("flow `{flow}` has a cycle through step `{step}`; a flow with a cycle has no SQL form (fix the `cycle` finding first)")]
    Cycle { flow: String, step: String },
}

/// A column's name in SQL: the input's name with `_` for `.`.
pub fn column(input: &str) -> String {
    input.replace('.', "_")
}

/// Above every branch index: "none" in `LEAST`.
const NONE: usize = 1_000_000;

struct Query<'a> {
    program: &'a Program,
    d: Dialect,
}

impl Query<'_> {
    fn col(&self, input: InputId) -> String {
        self.d.ident(&column(&self.program.inputs[input].name))
    }

    fn list(&self, items: impl Iterator<Item = String>) -> String {
        items.collect::<Vec<_>>().join(", ")
    }

    /// Whether a value satisfies the predicate (the value is not null).
    fn pred(&self, a: &Atom) -> String {
        let q = self.col(a.input);
        let op = |neg: bool| if neg { "NOT IN" } else { "IN" };
        let within = |items: Vec<String>, neg: bool| {
            if items.is_empty() {
                (if neg { "TRUE" } else { "FALSE" }).to_string()
            } else {
                format!("{q} {} ({})", op(neg), items.join(", "))
            }
        };
        match &a.pred {
            Pred::BoolIs(b) => format!("{q} = {}", if *b { "TRUE" } else { "FALSE" }),
            Pred::Cmp(c, n) => {
                let c = match c {
                    crate::ast::CmpOp::Eq => "=",
                    crate::ast::CmpOp::Ne => "<>",
                    crate::ast::CmpOp::Lt => "<",
                    crate::ast::CmpOp::Le => "<=",
                    crate::ast::CmpOp::Gt => ">",
                    crate::ast::CmpOp::Ge => ">=",
                };
                format!("{q} {c} {n}")
            }
            Pred::NumIn(vals, neg) => within(vals.iter().map(i64::to_string).collect(), *neg),
            Pred::EnumIn(vals, neg) => {
                let Type::Enum(e) = self.program.inputs[a.input].ty else { return "FALSE".into() };
                let variants = &self.program.enums[e].variants;
                within(vals.iter().map(|v| self.d.string(&variants[*v as usize])).collect(), *neg)
            }
            Pred::StrIn(vals, neg) => within(vals.iter().map(|v| self.d.string(v)).collect(), *neg),
        }
    }

    /// The condition holds (`true`) or does not (`false`), read without
    /// meeting a missing input.
    fn truth(&self, c: &Cond, want: bool) -> String {
        match c {
            Cond::Const(b) => (if *b == want { "TRUE" } else { "FALSE" }).to_string(),
            Cond::Not(inner) => self.truth(inner, !want),
            Cond::Atom(a) => {
                let p = self.pred(a);
                let p = if want { format!("({p})") } else { format!("NOT ({p})") };
                format!("({} IS NOT NULL AND {p})", self.col(a.input))
            }
            Cond::And(parts) | Cond::Or(parts) => {
                // `and` is true when every part is, false at the first false
                // part after true ones; `or` the other way round.
                let all = matches!(c, Cond::And(_)) == want;
                if all {
                    format!("({})", parts.iter().map(|p| self.truth(p, want)).collect::<Vec<_>>().join(" AND "))
                } else {
                    let ways: Vec<String> = (0..parts.len())
                        .map(|k| {
                            let mut terms: Vec<String> = parts[..k].iter().map(|p| self.truth(p, !want)).collect();
                            terms.push(self.truth(&parts[k], want));
                            format!("({})", terms.join(" AND "))
                        })
                        .collect();
                    format!("({})", ways.join(" OR "))
                }
            }
        }
    }

    /// The input check of `eval`: a value outside its input's domain.
    fn invalid(&self, inputs: &[InputId]) -> String {
        let mut checks = Vec::new();
        for &i in inputs {
            let q = self.col(i);
            let check = match self.program.inputs[i].ty {
                Type::Int { lo, hi } => {
                    let mut parts = Vec::new();
                    if lo > i64::MIN {
                        parts.push(format!("{q} < {lo}"));
                    }
                    if hi < i64::MAX {
                        parts.push(format!("{q} > {hi}"));
                    }
                    parts.join(" OR ")
                }
                Type::Duration => format!("{q} < 0"),
                Type::Enum(e) => format!("{q} NOT IN ({})", self.list(self.program.enums[e].variants.iter().map(|v| self.d.string(v)))),
                Type::Bool | Type::String => String::new(),
            };
            if !check.is_empty() {
                checks.push(format!("({q} IS NOT NULL AND ({check}))"));
            }
        }
        if checks.is_empty() {
            "FALSE".into()
        } else {
            checks.join("\n        OR ")
        }
    }

    fn least(&self, items: Vec<String>) -> String {
        match items.len() {
            0 => NONE.to_string(),
            1 => items.into_iter().next().expect("one"),
            _ => format!("LEAST({})", items.join(", ")),
        }
    }

    /// A decision's first branches, from its conditions' columns
    /// `{c}_{i}`, as columns of `{n}`: `{n}_m` the first branch stopped by
    /// a missing input, `{n}_f{k}` the first branch that holds of target
    /// chain `k` (one chain in a `first` decision: order alone decides).
    fn firsts(&self, d: &Decision, c: &str, n: &str, out: &mut Vec<String>) {
        let whens: Vec<usize> = d.whens().map(|(i, _)| i).collect();
        out.push(format!("{} AS {n}_m", self.least(whens.iter().map(|i| format!("CASE WHEN {c}_{i} = 2 THEN {i} ELSE {NONE} END")).collect())));
        for (k, chain) in chains(d).iter().enumerate() {
            out.push(format!("{} AS {n}_f{k}", self.least(chain.iter().map(|i| format!("CASE WHEN {c}_{i} = 1 THEN {i} ELSE {NONE} END")).collect())));
        }
    }

    /// A decision's choice from the columns of [`Self::firsts`]: its branch,
    /// or -1 (missing input), -2 (conflict), -3 (fall-through).
    fn choice(&self, d: &Decision, n: &str) -> String {
        let k = chains(d).len();
        let t = self.least((0..k).map(|k| format!("{n}_f{k}")).collect());
        let mut pairs = Vec::new();
        for a in 0..k {
            for b in a + 1..k {
                pairs.push(format!("GREATEST({n}_f{a}, {n}_f{b})"));
            }
        }
        let conflict = self.least(pairs);
        let fallback = d.otherwise().map_or_else(|| "-3".to_string(), |o| o.to_string());
        // A `first` decision stops at the branch that holds; a unique one
        // reads on, to a conflict.
        let missing = if d.first { format!("{n}_m < {t}") } else { format!("{n}_m < {conflict} AND {n}_m < {NONE}") };
        format!("CASE WHEN {missing} THEN -1 WHEN {conflict} < {NONE} THEN -2 WHEN {t} < {NONE} THEN {t} ELSE {fallback} END")
    }
}

/// A decision's `when` branches by target chain, in order: the first
/// branch that holds of a second chain is a conflict (in a unique
/// decision). A `first` decision is one chain: the first branch that holds
/// decides.
fn chains(d: &Decision) -> Vec<Vec<usize>> {
    let mut chains: Vec<Vec<usize>> = Vec::new();
    for (i, _) in d.whens() {
        match chains.iter_mut().find(|c| d.first || d.branches[c[0]].target.same_chain(&d.branches[i].target)) {
            Some(c) => c.push(i),
            None => chains.push(vec![i]),
        }
    }
    chains
}

/// What the run does when a condition (SQL) holds: in route order.
enum Event {
    Path(String),
    Table(String),
    Escalation(String),
    Action(String),
    Outcome(String),
    Team(String),
    Fail(&'static str),
}

/// The query for a flow or table.
pub fn render(program: &Program, target: RunTarget, options: &Options) -> Result<String, Error> {
    let q = Query { program, d: options.dialect };
    let inputs = program.target_inputs(target);
    // Decisions: the flow's steps it can reach, in order of depth, then the tables it delegates to.
    let (steps, depth, tables, flow) = match target {
        RunTarget::Table(t) => (vec![], vec![], vec![t], None),
        RunTarget::Flow(f) => {
            let (order, depth) = depths(program, f)?;
            let mut tables = Vec::new();
            for &s in &order {
                for b in &program.flows[f].steps[s].decision.branches {
                    if let End::Table(t) = b.target.end {
                        if !tables.contains(&t) {
                            tables.push(t);
                        }
                    }
                }
            }
            (order, depth, tables, Some(&program.flows[f]))
        }
    };
    let step_decision = |s: StepId| &flow.expect("a flow").steps[s].decision;
    // Layer 1: conditions.
    let mut conds = Vec::new();
    let mut add = |prefix: String, d: &Decision| {
        for (i, c) in d.whens() {
            conds.push(format!("CASE WHEN {} THEN 1 WHEN {} THEN 0 ELSE 2 END AS {prefix}_{i}", q.truth(c, true), q.truth(c, false)));
        }
    };
    for &s in &steps {
        add(format!("sop_c{s}"), step_decision(s));
    }
    for &t in &tables {
        add(format!("sop_tc{t}"), &program.tables[t].decision);
    }
    conds.push(format!("{} AS sop_invalid", q.invalid(&inputs)));
    // Layer 2: the first branches; layer 3: choices.
    let (mut firsts, mut choices) = (Vec::new(), Vec::new());
    for &s in &steps {
        q.firsts(step_decision(s), &format!("sop_c{s}"), &format!("sop_s{s}"), &mut firsts);
        choices.push(format!("{} AS sop_d{s}", q.choice(step_decision(s), &format!("sop_s{s}"))));
    }
    for &t in &tables {
        q.firsts(&program.tables[t].decision, &format!("sop_tc{t}"), &format!("sop_t{t}"), &mut firsts);
        choices.push(format!("{} AS sop_td{t}", q.choice(&program.tables[t].decision, &format!("sop_t{t}"))));
    }
    // Layer 3: the branch each step took, by depth.
    let mut layers: Vec<Vec<String>> = Vec::new();
    if let Some(f) = flow {
        for (k, &s) in steps.iter().enumerate() {
            let into: Vec<String> = steps
                .iter()
                .flat_map(|&p| {
                    f.steps[p]
                        .decision
                        .branches
                        .iter()
                        .enumerate()
                        .filter(move |(_, b)| b.target.end == End::Step(s))
                        .map(move |(b, _)| format!("sop_x{p} = {b}"))
                })
                .collect();
            let reached = if s == f.start {
                "TRUE".to_string()
            } else if into.is_empty() {
                "FALSE".into()
            } else {
                into.join(" OR ")
            };
            let expr = if s == f.start { format!("sop_d{s} AS sop_x{s}") } else { format!("CASE WHEN {reached} THEN sop_d{s} ELSE -9 END AS sop_x{s}") };
            if layers.len() <= depth[k] {
                layers.resize(depth[k] + 1, Vec::new());
            }
            layers[depth[k]].push(expr);
        }
    }
    // The route, event by event.
    let mut events: Vec<(String, Event)> = Vec::new();
    let table_events = |events: &mut Vec<(String, Event)>, t: TableId, when: &str| {
        let name = &program.tables[t].name;
        events.push((when.to_string(), Event::Table(name.clone())));
        let and = |c: String| if when == "TRUE" { c } else { format!("{when} AND {c}") };
        for (code, fail) in [(-1, "missing_input"), (-2, "conflict"), (-3, "fall_through")] {
            events.push((and(format!("sop_td{t} = {code}")), Event::Fail(fail)));
        }
        for (b, branch) in program.tables[t].decision.branches.iter().enumerate() {
            target_events(program, &branch.target, &and(format!("sop_td{t} = {b}")), events);
        }
    };
    match flow {
        None => table_events(&mut events, tables[0], "TRUE"),
        Some(f) => {
            for &s in &steps {
                events.push((format!("sop_x{s} <> -9"), Event::Path(f.steps[s].name.clone())));
                for (code, fail) in [(-1, "missing_input"), (-2, "conflict"), (-3, "fall_through")] {
                    events.push((format!("sop_x{s} = {code}"), Event::Fail(fail)));
                }
                for (b, branch) in f.steps[s].decision.branches.iter().enumerate() {
                    let when = format!("sop_x{s} = {b}");
                    target_events(program, &branch.target, &when, &mut events);
                    if let End::Table(t) = branch.target.end {
                        table_events(&mut events, t, &when);
                    }
                }
            }
        }
    }
    let any = |pick: &dyn Fn(&Event) -> bool| -> String {
        let conds: Vec<String> = events.iter().filter(|(_, e)| pick(e)).map(|(c, _)| format!("({c})")).collect();
        if conds.is_empty() {
            "FALSE".into()
        } else {
            conds.join(" OR ")
        }
    };
    let d = options.dialect;
    let result = format!(
        "CASE WHEN sop_invalid THEN 'invalid_case'\n    WHEN {} THEN 'missing_input'\n    WHEN {} THEN 'conflict'\n    WHEN {} THEN 'fall_through'\n    WHEN {} THEN 'escalated'\n    WHEN {} THEN 'outcome' END",
        any(&|e| matches!(e, Event::Fail("missing_input"))),
        any(&|e| matches!(e, Event::Fail("conflict"))),
        any(&|e| matches!(e, Event::Fail("fall_through"))),
        any(&|e| matches!(e, Event::Team(_))),
        any(&|e| matches!(e, Event::Outcome(_))),
    );
    let named = |pick: &dyn Fn(&Event) -> Option<&String>| -> String {
        let mut names: Vec<&String> = events.iter().filter_map(|(_, e)| pick(e)).collect();
        names.sort();
        names.dedup();
        let whens: Vec<String> = names.iter().map(|n| format!("\n    WHEN {} THEN {}", any(&|e| pick(e) == Some(*n)), d.string(n))).collect();
        format!("CASE WHEN sop_invalid THEN NULL{} END", whens.concat())
    };
    let outcome = named(&|e| if let Event::Outcome(n) = e { Some(n) } else { None });
    let team = named(&|e| if let Event::Team(n) = e { Some(n) } else { None });
    let array = |pick: &dyn Fn(&Event) -> Option<&String>| -> String {
        let parts: Vec<String> =
            events.iter().filter_map(|(c, e)| pick(e).map(|n| format!("CASE WHEN {c} THEN {} ELSE {} END", d.one(n), d.empty()))).collect();
        format!("CASE WHEN sop_invalid THEN {} ELSE {} END", d.empty(), d.concat(&parts))
    };
    let path = array(&|e| if let Event::Path(n) = e { Some(n) } else { None });
    let tables_out = array(&|e| if let Event::Table(n) = e { Some(n) } else { None });
    let escalations = array(&|e| if let Event::Escalation(n) = e { Some(n) } else { None });
    let actions = array(&|e| if let Event::Action(n) = e { Some(n) } else { None });

    // The text, innermost layer first.
    let what = match target {
        RunTarget::Flow(f) => format!("flow `{}`", program.flows[f].name),
        RunTarget::Table(t) => format!("table `{}`", program.tables[t].name),
    };
    let mut out = format!(
        "-- SOPflow: {what} as one {} query over the cases in `{}`.\n-- Per row, what `sopflow eval` returns: result, outcome, team, path, tables, escalations, actions.\n",
        d.name(),
        options.from
    );
    out.push_str(&format!(
        "-- Reads: {}.\n",
        if inputs.is_empty() { "no column".to_string() } else { q.list(inputs.iter().map(|i| column(&program.inputs[*i].name))) }
    ));
    let mut layers_all = vec![conds, firsts, choices];
    layers_all.extend(layers);
    let ctes: Vec<String> = layers_all
        .iter()
        .enumerate()
        .map(|(n, columns)| {
            let from = if n == 0 { options.from.clone() } else { format!("sop_l{}", n - 1) };
            format!("sop_l{n} AS (\n  SELECT *,\n    {}\n  FROM {from}\n)", columns.join(",\n    "))
        })
        .collect();
    let mut outputs: Vec<String> = inputs.iter().map(|i| q.col(*i)).collect();
    outputs.extend(options.keep.iter().map(|k| d.ident(k)));
    outputs.extend([
        format!("{result} AS result"),
        format!("{outcome} AS outcome"),
        format!("{team} AS team"),
        format!("{path} AS path"),
        format!("{tables_out} AS tables"),
        format!("{escalations} AS escalations"),
        format!("{actions} AS actions"),
    ]);
    out.push_str(&format!(
        "WITH {}
SELECT
  {}
FROM sop_l{}
",
        ctes.join(",\n"),
        outputs.join(",\n  "),
        ctes.len() - 1
    ));
    Ok(out)
}

/// The events of a target chain taken when `when` holds: its links, then its end.
fn target_events(program: &Program, target: &Target, when: &str, events: &mut Vec<(String, Event)>) {
    for link in &target.links {
        events.push((
            when.to_string(),
            match link {
                Link::Escalate(t) => Event::Escalation(program.teams[*t].name.clone()),
                Link::Do(a) => Event::Action(program.actions[*a].name.clone()),
            },
        ));
    }
    match target.end {
        End::Outcome(o) => events.push((when.to_string(), Event::Outcome(program.outcomes[o].name.clone()))),
        End::Escalate(t) => {
            events.push((when.to_string(), Event::Escalation(program.teams[t].name.clone())));
            events.push((when.to_string(), Event::Team(program.teams[t].name.clone())));
        }
        End::Step(_) | End::Table(_) => {}
    }
}

/// The steps a flow can reach from its start, in route order (by longest
/// distance from the start, then by position), with those distances.
fn depths(program: &Program, f: FlowId) -> Result<(Vec<StepId>, Vec<usize>), Error> {
    use petgraph::visit::{Dfs, EdgeRef, NodeFiltered};
    let flow = &program.flows[f];
    let g = crate::ir::step_graph(flow);
    let mut reach = vec![false; flow.steps.len()];
    let mut dfs = Dfs::new(&g, petgraph::graph::NodeIndex::new(flow.start));
    while let Some(x) = dfs.next(&g) {
        reach[x.index()] = true;
    }
    // The reachable steps in topological order; a cycle among them is an error.
    let reachable = NodeFiltered::from_fn(&g, |x| reach[x.index()]);
    let order =
        petgraph::algo::toposort(&reachable, None).map_err(|c| Error::Cycle { flow: flow.name.clone(), step: flow.steps[c.node_id().index()].name.clone() })?;
    let mut depth = vec![0usize; flow.steps.len()];
    for &x in &order {
        for e in g.edges(x) {
            depth[e.target().index()] = depth[e.target().index()].max(depth[x.index()] + 1);
        }
    }
    let mut done: Vec<StepId> = order.iter().map(|x| x.index()).collect();
    done.sort_by_key(|s| (depth[*s], *s));
    let depths = done.iter().map(|s| depth[*s]).collect();
    Ok((done, depths))
}
