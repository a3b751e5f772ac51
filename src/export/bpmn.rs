//! `export --format bpmn`: BPMN 2.0 XML, one process (pool) per flow in one
//! collaboration, with a BPMNDI diagram laid out left to right.
//!
//! - a start event leads to the `start` step;
//! - each step is a labelled task (its doc comment and instructions as
//!   documentation); where several routes join, a converging exclusive
//!   gateway stands in front of it;
//! - a step with more than one route out (or a conditional one) is followed
//!   by an exclusive gateway: `when` routes carry the condition as a
//!   `conditionExpression` and as their name, `otherwise` is the gateway's
//!   default flow; in a `first` step the names are numbered in order;
//! - `timeout` is a boundary timer event on the task;
//! - `do ACTION` is a service task, `escalate TEAM ->` a user task performed by
//!   the team, a final `escalate TEAM` a user task then an end event, `table
//!   NAME` a business-rule task then an end event, an outcome an end event.

use quick_xml::events::{BytesDecl, Event};
use quick_xml::Writer;

use super::xml::{empty, end, io, start, text, W};
use super::{layout, Selection};
use crate::model::*;
use crate::source::Duration;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Start,
    Task,
    ServiceTask,
    UserTask,
    BusinessRuleTask,
    Gateway,
    Boundary,
    End,
}

struct Element {
    id: String,
    kind: Kind,
    name: String,
    documentation: Option<String>,
    /// The team performing a user task.
    performer: Option<String>,
    /// A boundary event's host task and timer duration.
    attached_to: Option<usize>,
    timer: Option<String>,
    /// A gateway's default flow.
    default: Option<usize>,
}

struct SeqFlow {
    id: String,
    from: usize,
    to: usize,
    name: Option<String>,
    condition: Option<String>,
}

struct Process {
    elements: Vec<Element>,
    flows: Vec<SeqFlow>,
}

impl Process {
    fn add(&mut self, kind: Kind, id: String, name: String) -> usize {
        self.elements.push(Element { id, kind, name, documentation: None, performer: None, attached_to: None, timer: None, default: None });
        self.elements.len() - 1
    }

    fn connect(&mut self, from: usize, to: usize, name: Option<String>, condition: Option<String>) -> usize {
        let id = format!("{}_Flow_{}", self.prefix(), self.flows.len());
        self.flows.push(SeqFlow { id, from, to, name, condition });
        self.flows.len() - 1
    }

    fn prefix(&self) -> String {
        self.elements[0].id.trim_end_matches("_Start").to_string()
    }
}

/// ISO 8601 duration of a number of seconds: `PT24H`, `P7D`, `PT90M`.
pub fn iso_duration(seconds: i64) -> String {
    if seconds > 0 && seconds % 86_400 == 0 {
        return format!("P{}D", seconds / 86_400);
    }
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || (h == 0 && m == 0) {
        out.push_str(&format!("{s}S"));
    }
    out
}

fn build(p: &Program, f: FlowId) -> Process {
    let flow = &p.flows[f];
    let pre = format!("F{f}");
    let mut proc = Process { elements: Vec::new(), flows: Vec::new() };
    let start = proc.add(Kind::Start, format!("{pre}_Start"), "Case received".into());
    // Routes into each step, to know where a converging gateway is needed.
    let mut incoming = vec![0usize; flow.steps.len()];
    incoming[flow.start] += 1;
    for s in &flow.steps {
        for b in &s.decision.branches {
            if let End::Step(t) = b.target.end {
                incoming[t] += 1;
            }
        }
    }
    // Entry (join gateway or task) and task of each step.
    let mut entry = Vec::new();
    let mut task = Vec::new();
    for (i, s) in flow.steps.iter().enumerate() {
        let t = proc.add(Kind::Task, format!("{pre}_Step_{i}"), s.title.clone().unwrap_or_else(|| s.name.clone()));
        let docs: Vec<String> = s.doc.iter().cloned().chain(s.instructions.iter().cloned()).collect();
        proc.elements[t].documentation = (!docs.is_empty()).then(|| docs.join("\n"));
        if incoming[i] > 1 {
            // A joining gateway needs no name (bpmnlint's `label-required`).
            let j = proc.add(Kind::Gateway, format!("{pre}_Join_{i}"), String::new());
            proc.connect(j, t, None, None);
            entry.push(j);
        } else {
            entry.push(t);
        }
        task.push(t);
    }
    proc.connect(start, entry[flow.start], None, None);
    for (i, s) in flow.steps.iter().enumerate() {
        let d = &s.decision;
        let routes: Vec<usize> = (0..d.branches.len()).filter(|k| !matches!(d.branches[*k].kind, BranchKind::Timeout)).collect();
        let needs_gateway = routes.len() > 1 || routes.iter().any(|k| d.branches[*k].cond().is_some());
        let from = if needs_gateway {
            let g = proc.add(Kind::Gateway, format!("{pre}_Decide_{i}"), format!("{}?", s.title.clone().unwrap_or_else(|| s.name.clone())));
            proc.connect(task[i], g, None, None);
            Some(g)
        } else {
            None
        };
        for (n, &k) in routes.iter().enumerate() {
            let b = &d.branches[k];
            let (name, condition) = match &b.cond_text {
                Some(c) if d.first => (Some(format!("{}. {c}", n + 1)), Some(c.to_string())),
                Some(c) => (Some(c.to_string()), Some(c.to_string())),
                // An `otherwise` leaving a gateway is named; the only way out of a
                // step needs no name (bpmnlint: `superfluous-label`).
                None if from.is_some() => (Some("otherwise".to_string()), None),
                None => (None, None),
            };
            let src = from.unwrap_or(task[i]);
            let flow_id = chain(&mut proc, p, &pre, i, k, src, name, condition, &b.target, &entry);
            if let (Some(g), BranchKind::Otherwise) = (from, &b.kind) {
                proc.elements[g].default = Some(flow_id);
            }
        }
        if let Some(k) = d.timeout() {
            let within = s.within_seconds.unwrap_or(0);
            let shown = s.within_text.clone().unwrap_or_else(|| Duration::format_seconds(within));
            let ev = proc.add(Kind::Boundary, format!("{pre}_Timeout_{i}"), format!("timeout {shown}"));
            proc.elements[ev].attached_to = Some(task[i]);
            proc.elements[ev].timer = Some(iso_duration(within));
            chain(&mut proc, p, &pre, i, k, ev, None, None, &d.branches[k].target, &entry);
        }
    }
    proc
}

/// Adds a branch's target chain from `src`; returns the first flow's index.
#[allow(clippy::too_many_arguments)]
fn chain(
    proc: &mut Process,
    p: &Program,
    pre: &str,
    step: usize,
    branch: usize,
    src: usize,
    name: Option<String>,
    condition: Option<String>,
    target: &Target,
    entry: &[usize],
) -> usize {
    let mut first_flow = None;
    let mut from = src;
    let mut name = name;
    let mut condition = condition;
    let mut link = |proc: &mut Process, to: usize, name: &mut Option<String>, condition: &mut Option<String>| {
        let f = proc.connect(from, to, name.take(), condition.take());
        first_flow.get_or_insert(f);
        from = to;
    };
    for (n, l) in target.links.iter().enumerate() {
        let id = format!("{pre}_S{step}_B{branch}_L{n}");
        let el = match l {
            Link::Do(a) => {
                let act = &p.actions[*a];
                let e = proc.add(Kind::ServiceTask, id, act.description.clone().map_or_else(|| format!("do {}", act.name), |d| format!("{}: {d}", act.name)));
                proc.elements[e].documentation = act.doc.clone();
                e
            }
            Link::Escalate(t) => {
                let e = proc.add(Kind::UserTask, id, format!("Escalate to {}", p.teams[*t].name));
                proc.elements[e].performer = Some(p.teams[*t].name.clone());
                e
            }
        };
        link(proc, el, &mut name, &mut condition);
    }
    let id = format!("{pre}_S{step}_B{branch}_End");
    match target.end {
        End::Step(t) => link(proc, entry[t], &mut name, &mut condition),
        End::Outcome(o) => {
            let out = &p.outcomes[o];
            let e = proc.add(Kind::End, id, out.name.clone());
            proc.elements[e].documentation = out.doc.clone();
            link(proc, e, &mut name, &mut condition);
        }
        End::Escalate(t) => {
            let u = proc.add(Kind::UserTask, format!("{id}_Task"), format!("Escalate to {}", p.teams[t].name));
            proc.elements[u].performer = Some(p.teams[t].name.clone());
            link(proc, u, &mut name, &mut condition);
            let e = proc.add(Kind::End, id, format!("handed to {}", p.teams[t].name));
            link(proc, e, &mut name, &mut condition);
        }
        End::Table(t) => {
            let table = &p.tables[t];
            let r = proc.add(Kind::BusinessRuleTask, format!("{id}_Rule"), format!("Decide with table {}", table.name));
            proc.elements[r].documentation = table.doc.clone();
            link(proc, r, &mut name, &mut condition);
            let e = proc.add(Kind::End, id, format!("decided by {}", table.name));
            link(proc, e, &mut name, &mut condition);
        }
    }
    first_flow.expect("every chain has an end")
}

/// Shapes, as bpmn-js draws them: events 36 across, gateways 50, tasks
/// sized to their name (12px text) with room for the type icon at the top
/// left, external labels (11px text) wrapped at 90 pixels.
const EVENT: i64 = 36;
const GATEWAY: i64 = 50;
const TASK_WIDTH: i64 = 150;
const LABEL_WIDTH: i64 = 90;

/// The bounds of an external label: its estimated text, at most 90 wide.
fn label_size(text: &str) -> (i64, i64) {
    let (w, h) = layout::text_size(text, LABEL_WIDTH, 6.5, 14);
    (w.clamp(10, LABEL_WIDTH), h)
}

/// What the layout places for each element, and where its label and
/// boundary events go inside its box.
struct Placed {
    node: layout::Node,
    /// The element's external label, relative to its box.
    label: Option<layout::Rect>,
}

fn place(e: &Element, boundaries: &[&Element]) -> Placed {
    match e.kind {
        Kind::Task | Kind::ServiceTask | Kind::UserTask | Kind::BusinessRuleTask => {
            let lines = layout::wrap(&e.name, 19).len().max(1) as i64;
            // Text is centred; an icon (every kind but a plain task) takes
            // the top left corner, so the text keeps clear of it.
            let room = if e.kind == Kind::Task { 30 } else { 76 };
            let (w, h) = (TASK_WIDTH, (lines * 15 + room).max(80));
            let body = layout::Rect::new(0, 0, w, h);
            let mut width = w;
            let mut height = h;
            if let Some(b) = boundaries.first() {
                let (lw, lh) = label_size(&b.name);
                width = width.max(w - 14 + lw / 2 + 1);
                height += EVENT / 2 + 2 + lh;
            }
            Placed { node: layout::Node { width, height, body, outline: layout::Outline::Rect }, label: None }
        }
        Kind::Gateway | Kind::Start | Kind::End | Kind::Boundary => {
            let (size, outline) = if e.kind == Kind::Gateway { (GATEWAY, layout::Outline::Diamond) } else { (EVENT, layout::Outline::Circle) };
            if e.name.is_empty() {
                return Placed { node: layout::Node::plain(size, size, outline), label: None };
            }
            let (lw, lh) = label_size(&e.name);
            let width = size.max(lw);
            let body = layout::Rect::new((width - size) / 2, 0, size, size);
            let label = layout::Rect::new((width - lw) / 2, size + 4, lw, lh);
            Placed { node: layout::Node { width, height: size + 4 + lh, body, outline }, label: Some(label) }
        }
    }
}

/// A boundary event on its host's bottom edge, near the right corner, its
/// label under it; relative to the host's box.
fn boundary_bounds(host: layout::Rect, name: &str) -> (layout::Rect, layout::Rect) {
    let cx = host.w - 14;
    let event = layout::Rect::new(cx - EVENT / 2, host.h - EVENT / 2, EVENT, EVENT);
    let (lw, lh) = label_size(name);
    (event, layout::Rect::new(cx - lw / 2, host.h + EVENT / 2 + 2, lw, lh))
}

/// The diagram of one process: each element's shape and label bounds, each
/// flow's waypoints and label bounds, relative to the pool's content.
struct Drawing {
    shapes: Vec<layout::Rect>,
    labels: Vec<Option<layout::Rect>>,
    routes: Vec<layout::Route>,
    width: i64,
    height: i64,
}

fn draw(proc: &Process) -> Drawing {
    let n = proc.elements.len();
    let boundaries_of = |h: usize| -> Vec<&Element> { proc.elements.iter().filter(|e| e.attached_to == Some(h)).collect() };
    // Layout nodes: every element but boundary events, which ride on their host.
    let mut node_of = vec![usize::MAX; n];
    let mut nodes = Vec::new();
    let mut placed = Vec::new();
    for (i, e) in proc.elements.iter().enumerate() {
        if e.kind == Kind::Boundary {
            continue;
        }
        let p = place(e, &boundaries_of(i));
        node_of[i] = nodes.len();
        nodes.push(p.node);
        placed.push((i, p));
    }
    let edges: Vec<layout::Edge> = proc
        .flows
        .iter()
        .map(|f| {
            let source = &proc.elements[f.from];
            let label = f.name.as_deref().map(label_size);
            match source.attached_to {
                Some(h) => {
                    let body = placed[node_of[h]].1.node.body;
                    let (event, _) = boundary_bounds(body, &source.name);
                    layout::Edge { from: node_of[h], to: node_of[f.to], label, start: Some((event.right(), body.h)) }
                }
                None => layout::Edge { from: node_of[f.from], to: node_of[f.to], label, start: None },
            }
        })
        .collect();
    let l = layout::layout(&nodes, &edges);
    let mut shapes = vec![layout::Rect::default(); n];
    let mut labels = vec![None; n];
    for (i, p) in &placed {
        let b = l.boxes[node_of[*i]];
        shapes[*i] = l.bodies[node_of[*i]];
        labels[*i] = p.label.map(|r| layout::Rect::new(b.x + r.x, b.y + r.y, r.w, r.h));
    }
    for (i, e) in proc.elements.iter().enumerate() {
        if let Some(h) = e.attached_to {
            let host = l.bodies[node_of[h]];
            let (event, label) = boundary_bounds(layout::Rect::new(0, 0, host.w, host.h), &e.name);
            shapes[i] = layout::Rect::new(host.x + event.x, host.y + event.y, event.w, event.h);
            labels[i] = Some(layout::Rect::new(host.x + label.x, host.y + label.y, label.w, label.h));
        }
    }
    Drawing { shapes, labels, routes: l.routes, width: l.width, height: l.height }
}

fn write_process(w: &mut W, id: &str, name: &str, doc: Option<&str>, proc: &Process) {
    start(w, "bpmn:process", &[("id", id), ("name", name), ("isExecutable", "false")]);
    if let Some(d) = doc {
        text(w, "bpmn:documentation", &[], d);
    }
    let mut incoming = vec![Vec::new(); proc.elements.len()];
    let mut outgoing = vec![Vec::new(); proc.elements.len()];
    for (k, f) in proc.flows.iter().enumerate() {
        outgoing[f.from].push(k);
        incoming[f.to].push(k);
    }
    for (i, e) in proc.elements.iter().enumerate() {
        let tag = match e.kind {
            Kind::Start => "bpmn:startEvent",
            Kind::Task => "bpmn:task",
            Kind::ServiceTask => "bpmn:serviceTask",
            Kind::UserTask => "bpmn:userTask",
            Kind::BusinessRuleTask => "bpmn:businessRuleTask",
            Kind::Gateway => "bpmn:exclusiveGateway",
            Kind::Boundary => "bpmn:boundaryEvent",
            Kind::End => "bpmn:endEvent",
        };
        let default = e.default.map(|f| proc.flows[f].id.clone());
        let host = e.attached_to.map(|h| proc.elements[h].id.clone());
        let mut attrs = vec![("id", e.id.as_str())];
        if !e.name.is_empty() {
            attrs.push(("name", e.name.as_str()));
        }
        if let Some(d) = &default {
            attrs.push(("default", d.as_str()));
        }
        if let Some(h) = &host {
            attrs.push(("attachedToRef", h.as_str()));
            attrs.push(("cancelActivity", "true"));
        }
        start(w, tag, &attrs);
        if let Some(d) = &e.documentation {
            text(w, "bpmn:documentation", &[], d);
        }
        for &f in &incoming[i] {
            text(w, "bpmn:incoming", &[], &proc.flows[f].id);
        }
        for &f in &outgoing[i] {
            text(w, "bpmn:outgoing", &[], &proc.flows[f].id);
        }
        if let Some(team) = &e.performer {
            let hp = format!("{}_Performer", e.id);
            let ra = format!("{}_Assignment", e.id);
            start(w, "bpmn:humanPerformer", &[("id", hp.as_str())]);
            start(w, "bpmn:resourceAssignmentExpression", &[("id", ra.as_str())]);
            text(w, "bpmn:formalExpression", &[], team);
            end(w, "bpmn:resourceAssignmentExpression");
            end(w, "bpmn:humanPerformer");
        }
        if let Some(t) = &e.timer {
            let td = format!("{}_Timer", e.id);
            start(w, "bpmn:timerEventDefinition", &[("id", td.as_str())]);
            text(w, "bpmn:timeDuration", &[("xsi:type", "bpmn:tFormalExpression")], t);
            end(w, "bpmn:timerEventDefinition");
        }
        end(w, tag);
    }
    for f in &proc.flows {
        let from = &proc.elements[f.from].id;
        let to = &proc.elements[f.to].id;
        let mut attrs = vec![("id", f.id.as_str()), ("sourceRef", from.as_str()), ("targetRef", to.as_str())];
        if let Some(n) = &f.name {
            attrs.push(("name", n.as_str()));
        }
        match &f.condition {
            Some(c) => {
                start(w, "bpmn:sequenceFlow", &attrs);
                text(w, "bpmn:conditionExpression", &[("xsi:type", "bpmn:tFormalExpression")], c);
                end(w, "bpmn:sequenceFlow");
            }
            None => empty(w, "bpmn:sequenceFlow", &attrs),
        }
    }
    end(w, "bpmn:process");
}

pub fn render(p: &Program, selection: &Selection) -> String {
    let procs: Vec<(FlowId, Process, Drawing)> = selection
        .flows
        .iter()
        .map(|&f| {
            let proc = build(p, f);
            let drawing = draw(&proc);
            (f, proc, drawing)
        })
        .collect();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    io(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))));
    start(
        &mut w,
        "bpmn:definitions",
        &[
            ("xmlns:bpmn", "http://www.omg.org/spec/BPMN/20100524/MODEL"),
            ("xmlns:bpmndi", "http://www.omg.org/spec/BPMN/20100524/DI"),
            ("xmlns:dc", "http://www.omg.org/spec/DD/20100524/DC"),
            ("xmlns:di", "http://www.omg.org/spec/DD/20100524/DI"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("id", "Definitions_sopflow"),
            ("targetNamespace", "urn:sopflow:bpmn"),
            ("exporter", "sopflow"),
            ("exporterVersion", env!("CARGO_PKG_VERSION")),
        ],
    );
    start(&mut w, "bpmn:collaboration", &[("id", "Collaboration_sopflow")]);
    for (f, _, _) in &procs {
        let (pid, proc_id) = (format!("Participant_{f}"), format!("Process_{f}"));
        let name = format!("flow {}", p.flows[*f].name);
        empty(&mut w, "bpmn:participant", &[("id", pid.as_str()), ("name", name.as_str()), ("processRef", proc_id.as_str())]);
    }
    end(&mut w, "bpmn:collaboration");
    for (f, proc, _) in &procs {
        let flow = &p.flows[*f];
        write_process(&mut w, &format!("Process_{f}"), &flow.name, flow.doc.as_deref(), proc);
    }
    // The diagram: pools stacked top to bottom, each with its name in a
    // band on the left.
    const BAND: i64 = 30;
    start(&mut w, "bpmndi:BPMNDiagram", &[("id", "Diagram_sopflow")]);
    start(&mut w, "bpmndi:BPMNPlane", &[("id", "Plane_sopflow"), ("bpmnElement", "Collaboration_sopflow")]);
    let mut y0 = 0;
    for (f, proc, d) in &procs {
        let pool_id = format!("Participant_{f}");
        let di_id = format!("{pool_id}_di");
        let pool = layout::Rect::new(0, y0, BAND + d.width, d.height);
        shape(&mut w, &di_id, &pool_id, pool, None, Some(("isHorizontal", "true")));
        let at = |r: layout::Rect| layout::Rect::new(r.x + BAND, r.y + y0, r.w, r.h);
        for (i, e) in proc.elements.iter().enumerate() {
            let extra = (e.kind == Kind::Gateway).then_some(("isMarkerVisible", "true"));
            shape(&mut w, &format!("{}_di", e.id), &e.id, at(d.shapes[i]), d.labels[i].map(at), extra);
        }
        for (fl, route) in proc.flows.iter().zip(&d.routes) {
            let edge_id = format!("{}_di", fl.id);
            start(&mut w, "bpmndi:BPMNEdge", &[("id", edge_id.as_str()), ("bpmnElement", fl.id.as_str())]);
            for (x, y) in &route.points {
                empty(&mut w, "di:waypoint", &[("x", (x + BAND).to_string().as_str()), ("y", (y + y0).to_string().as_str())]);
            }
            if let (Some(r), Some(_)) = (route.label, &fl.name) {
                label(&mut w, at(r));
            }
            end(&mut w, "bpmndi:BPMNEdge");
        }
        y0 += d.height + 40;
    }
    end(&mut w, "bpmndi:BPMNPlane");
    end(&mut w, "bpmndi:BPMNDiagram");
    end(&mut w, "bpmn:definitions");
    let mut out = String::from_utf8(w.into_inner()).expect("the writer writes UTF-8");
    out.push('\n');
    out
}

fn bounds(w: &mut W, r: layout::Rect) {
    let (xs, ys, ws, hs) = (r.x.to_string(), r.y.to_string(), r.w.to_string(), r.h.to_string());
    empty(w, "dc:Bounds", &[("x", xs.as_str()), ("y", ys.as_str()), ("width", ws.as_str()), ("height", hs.as_str())]);
}

fn label(w: &mut W, r: layout::Rect) {
    start(w, "bpmndi:BPMNLabel", &[]);
    bounds(w, r);
    end(w, "bpmndi:BPMNLabel");
}

fn shape(w: &mut W, id: &str, element: &str, r: layout::Rect, text: Option<layout::Rect>, extra: Option<(&str, &str)>) {
    let mut attrs = vec![("id", id), ("bpmnElement", element)];
    if let Some(e) = extra {
        attrs.push(e);
    }
    start(w, "bpmndi:BPMNShape", &attrs);
    bounds(w, r);
    if let Some(t) = text {
        label(w, t);
    }
    end(w, "bpmndi:BPMNShape");
}
