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

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::Selection;
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
    layer: usize,
    row: usize,
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
        self.elements.push(Element { id, kind, name, documentation: None, performer: None, attached_to: None, timer: None, default: None, layer: 0, row: 0 });
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
            let j = proc.add(Kind::Gateway, format!("{pre}_Join_{i}"), format!("to {}", s.name));
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

const TASK: (i64, i64) = (120, 80);
const GATEWAY: (i64, i64) = (50, 50);
const EVENT: (i64, i64) = (36, 36);
const COLUMN: i64 = 190;
const ROW: i64 = 130;

fn size(kind: Kind) -> (i64, i64) {
    match kind {
        Kind::Gateway => GATEWAY,
        Kind::Start | Kind::End | Kind::Boundary => EVENT,
        _ => TASK,
    }
}

/// Layers by longest path from the start (a boundary event shares its
/// task's layer), rows in order of appearance within a layer.
fn layout(proc: &mut Process) -> (i64, i64) {
    let n = proc.elements.len();
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for f in &proc.flows {
        out[f.from].push(f.to);
        indegree[f.to] += 1;
    }
    // A boundary event follows its host.
    for (i, e) in proc.elements.iter().enumerate() {
        if let Some(h) = e.attached_to {
            out[h].push(i);
            indegree[i] += 1;
        }
    }
    let mut queue: std::collections::VecDeque<usize> = (0..n).filter(|i| indegree[*i] == 0).collect();
    let mut layer = vec![0usize; n];
    while let Some(i) = queue.pop_front() {
        for &j in &out[i] {
            let step = usize::from(proc.elements[j].attached_to != Some(i));
            layer[j] = layer[j].max(layer[i] + step);
            indegree[j] -= 1;
            if indegree[j] == 0 {
                queue.push_back(j);
            }
        }
    }
    let mut rows: Vec<usize> = Vec::new();
    let mut max_row = 0;
    for (i, e) in proc.elements.iter_mut().enumerate() {
        e.layer = layer[i];
        if e.kind == Kind::Boundary {
            continue;
        }
        if rows.len() <= e.layer {
            rows.resize(e.layer + 1, 0);
        }
        e.row = rows[e.layer];
        rows[e.layer] += 1;
        max_row = max_row.max(e.row);
    }
    let hosts: Vec<(usize, usize)> = proc.elements.iter().enumerate().filter_map(|(i, e)| e.attached_to.map(|h| (i, h))).collect();
    for (i, h) in hosts {
        proc.elements[i].row = proc.elements[h].row;
    }
    let width = (rows.len() as i64) * COLUMN + 80;
    let height = (max_row as i64 + 1) * ROW + 40;
    (width, height)
}

/// The bounds of an element, inside a pool at `(x0, y0)`.
fn bounds(e: &Element, elements: &[Element], x0: i64, y0: i64) -> (i64, i64, i64, i64) {
    if let Some(h) = e.attached_to {
        let (hx, hy, hw, hh) = bounds(&elements[h], elements, x0, y0);
        return (hx + hw - EVENT.0 / 2 - 10, hy + hh - EVENT.1 / 2, EVENT.0, EVENT.1);
    }
    let (w, h) = size(e.kind);
    let cx = x0 + 80 + e.layer as i64 * COLUMN + TASK.0 / 2;
    let cy = y0 + 20 + e.row as i64 * ROW + TASK.1 / 2;
    (cx - w / 2, cy - h / 2, w, h)
}

type W = Writer<Vec<u8>>;

fn io(r: std::io::Result<()>) {
    r.expect("writing to memory does not fail");
}

fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) {
    let mut el = BytesStart::new(name);
    for a in attrs {
        el.push_attribute(*a);
    }
    io(w.write_event(Event::Start(el)));
}

fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) {
    let mut el = BytesStart::new(name);
    for a in attrs {
        el.push_attribute(*a);
    }
    io(w.write_event(Event::Empty(el)));
}

fn end(w: &mut W, name: &str) {
    io(w.write_event(Event::End(BytesEnd::new(name))));
}

fn text(w: &mut W, name: &str, attrs: &[(&str, &str)], body: &str) {
    start(w, name, attrs);
    io(w.write_event(Event::Text(BytesText::new(body))));
    end(w, name);
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
        let mut attrs = vec![("id", e.id.as_str()), ("name", e.name.as_str())];
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
    let mut procs: Vec<(FlowId, Process, (i64, i64))> = selection
        .flows
        .iter()
        .map(|&f| {
            let mut proc = build(p, f);
            let size = layout(&mut proc);
            (f, proc, size)
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
    // The diagram: pools stacked top to bottom.
    start(&mut w, "bpmndi:BPMNDiagram", &[("id", "Diagram_sopflow")]);
    start(&mut w, "bpmndi:BPMNPlane", &[("id", "Plane_sopflow"), ("bpmnElement", "Collaboration_sopflow")]);
    let mut y0 = 0;
    for (f, proc, (width, height)) in &mut procs {
        let pool_id = format!("Participant_{f}");
        let di_id = format!("{pool_id}_di");
        shape(&mut w, &di_id, &pool_id, (0, y0, *width + 30, *height), Some(("isHorizontal", "true")));
        let x0 = 30;
        for e in &proc.elements {
            let b = bounds(e, &proc.elements, x0, y0);
            let extra = (e.kind == Kind::Gateway).then_some(("isMarkerVisible", "true"));
            shape(&mut w, &format!("{}_di", e.id), &e.id, b, extra);
        }
        for fl in &proc.flows {
            let (sx, sy, sw, sh) = bounds(&proc.elements[fl.from], &proc.elements, x0, y0);
            let (tx, ty, _tw, th) = bounds(&proc.elements[fl.to], &proc.elements, x0, y0);
            let from_boundary = proc.elements[fl.from].kind == Kind::Boundary;
            let (ax, ay) = if from_boundary { (sx + sw / 2, sy + sh) } else { (sx + sw, sy + sh / 2) };
            let (bx, by) = (tx, ty + th / 2);
            let mut points = vec![(ax, ay)];
            if from_boundary {
                points.push((ax, by.max(ay + 20)));
                points.push((bx - 20, by.max(ay + 20)));
                points.push((bx - 20, by));
            } else if ay != by {
                let mx = if bx > ax { (ax + bx) / 2 } else { ax + 20 };
                points.push((mx, ay));
                points.push((mx, by));
            }
            points.push((bx, by));
            let edge_id = format!("{}_di", fl.id);
            start(&mut w, "bpmndi:BPMNEdge", &[("id", edge_id.as_str()), ("bpmnElement", fl.id.as_str())]);
            for (x, y) in points {
                empty(&mut w, "di:waypoint", &[("x", x.to_string().as_str()), ("y", y.to_string().as_str())]);
            }
            end(&mut w, "bpmndi:BPMNEdge");
        }
        y0 += *height + 40;
    }
    end(&mut w, "bpmndi:BPMNPlane");
    end(&mut w, "bpmndi:BPMNDiagram");
    end(&mut w, "bpmn:definitions");
    let mut out = String::from_utf8(w.into_inner()).expect("the writer writes UTF-8");
    out.push('\n');
    out
}

fn shape(w: &mut W, id: &str, element: &str, (x, y, width, height): (i64, i64, i64, i64), extra: Option<(&str, &str)>) {
    let mut attrs = vec![("id", id), ("bpmnElement", element)];
    if let Some(e) = extra {
        attrs.push(e);
    }
    start(w, "bpmndi:BPMNShape", &attrs);
    let (xs, ys, ws, hs) = (x.to_string(), y.to_string(), width.to_string(), height.to_string());
    empty(w, "dc:Bounds", &[("x", xs.as_str()), ("y", ys.as_str()), ("width", ws.as_str()), ("height", hs.as_str())]);
    end(w, "bpmndi:BPMNShape");
}
