//! Stage 3: the IR graph. Each flow compiles to a petgraph graph: steps,
//! actions, escalations, outcomes and delegated tables as nodes; branches as
//! edges carrying their decision, order and kind. A table is a one-decision
//! graph. The analyses, the evaluator's tests and the exporters read it.

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::model::{self, Flow, FlowId, Link, Program, StepId, TableId};

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Node {
    Step {
        step: StepId,
        name: String,
    },
    Action {
        action: model::ActionId,
    },
    /// An escalation that continues (`escalate T -> …`).
    Escalate {
        team: model::TeamId,
    },
    /// A final hand-off to a team.
    HandOff {
        team: model::TeamId,
    },
    Outcome {
        outcome: model::OutcomeId,
    },
    Table {
        table: TableId,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    When,
    Otherwise,
    Timeout,
    /// Inside a target chain: from a link to what follows it.
    Then,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub kind: EdgeKind,
    /// The step the branch belongs to, and its index (its order) in the step.
    pub step: StepId,
    pub branch: usize,
    /// A `when` edge's condition as written (the typed condition is
    /// `model::Flow::steps[step].decision.branches[branch]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// The graph of one flow. `steps[s]` is the node of step `s`.
#[derive(Clone, Debug)]
pub struct FlowGraph {
    pub flow: FlowId,
    pub graph: DiGraph<Node, Edge>,
    pub steps: Vec<NodeIndex>,
}

/// The step-to-step graph of a flow (timeouts and chains included), for
/// reachability, cycles and topological order.
pub fn step_graph(flow: &Flow) -> DiGraph<StepId, (StepId, usize)> {
    let mut g = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..flow.steps.len()).map(|s| g.add_node(s)).collect();
    for (s, step) in flow.steps.iter().enumerate() {
        for (i, b) in step.decision.branches.iter().enumerate() {
            if let model::End::Step(t) = b.target.end {
                g.add_edge(nodes[s], nodes[t], (s, i));
            }
        }
    }
    g
}

/// The steps of a flow in an order where every step comes after each step
/// that leads to it; `None` when its steps form a cycle.
pub fn step_order(flow: &Flow) -> Option<Vec<StepId>> {
    let g = step_graph(flow);
    petgraph::algo::toposort(&g, None).ok().map(|o| o.into_iter().map(|n| g[n]).collect())
}

/// The step graph of every flow, built in parallel (the `graph` stage of
/// `check --timings`).
pub fn step_graphs(program: &Program) -> Vec<DiGraph<StepId, (StepId, usize)>> {
    use rayon::prelude::*;
    program.flows.par_iter().map(step_graph).collect()
}

pub fn build(program: &Program, flow_id: FlowId) -> FlowGraph {
    let flow = &program.flows[flow_id];
    let mut graph = DiGraph::new();
    let steps: Vec<NodeIndex> = flow.steps.iter().enumerate().map(|(s, st)| graph.add_node(Node::Step { step: s, name: st.name.clone() })).collect();
    for (s, step) in flow.steps.iter().enumerate() {
        for (i, b) in step.decision.branches.iter().enumerate() {
            let kind = match b.kind {
                model::BranchKind::When(_) => EdgeKind::When,
                model::BranchKind::Otherwise => EdgeKind::Otherwise,
                model::BranchKind::Timeout => EdgeKind::Timeout,
            };
            let mut from = steps[s];
            let mut edge = Edge { kind, step: s, branch: i, condition: b.cond_text.as_deref().map(str::to_string) };
            for link in &b.target.links {
                let node = graph.add_node(match link {
                    Link::Escalate(t) => Node::Escalate { team: *t },
                    Link::Do(a) => Node::Action { action: *a },
                });
                graph.add_edge(from, node, edge);
                from = node;
                edge = Edge { kind: EdgeKind::Then, step: s, branch: i, condition: None };
            }
            let end = match b.target.end {
                model::End::Step(t) => steps[t],
                model::End::Outcome(o) => graph.add_node(Node::Outcome { outcome: o }),
                model::End::Escalate(t) => graph.add_node(Node::HandOff { team: t }),
                model::End::Table(t) => graph.add_node(Node::Table { table: t }),
            };
            graph.add_edge(from, end, edge);
        }
    }
    FlowGraph { flow: flow_id, graph, steps }
}

/// The graph as JSON: `{ "flow", "nodes": [{ "id", "kind", … }], "edges":
/// [{ "from", "to", "kind", "step", "branch" }] }`, nodes in creation order
/// (steps first, in source order).
impl Serialize for FlowGraph {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct N<'a> {
            id: usize,
            #[serde(flatten)]
            node: &'a Node,
        }
        #[derive(Serialize)]
        struct E<'a> {
            from: usize,
            to: usize,
            #[serde(flatten)]
            edge: &'a Edge,
        }
        #[derive(Serialize)]
        struct G<'a> {
            flow: FlowId,
            nodes: Vec<N<'a>>,
            edges: Vec<E<'a>>,
        }
        use petgraph::visit::EdgeRef;
        let g = G {
            flow: self.flow,
            nodes: self.graph.node_indices().map(|i| N { id: i.index(), node: &self.graph[i] }).collect(),
            edges: self.graph.edge_references().map(|e| E { from: e.source().index(), to: e.target().index(), edge: e.weight() }).collect(),
        };
        g.serialize(serializer)
    }
}
