//! The layered layout of flow diagrams, left to right, shared by the BPMN
//! diagram (its DI) and the SVG drawings (`export --format svg`, the
//! editor's preview, the handbook).
//!
//! - Nodes take columns by their longest path from a source, every other
//!   column: the columns between hold edge labels, so a label sits in its
//!   own slot, never on a shape or another label. An edge that spans more
//!   columns passes each one in a slot of its own (a point).
//! - Within a column, boxes are ordered by the mean position of their
//!   neighbours (a few sweeps each way) and stacked top to bottom, each at
//!   the height of the ports that feed it or lower.
//! - Edges are orthogonal. Each edge leaves and enters a shape at a port
//!   of its own (spread along the shape's side), runs straight through the
//!   columns, and changes height only in the gap between two columns, on a
//!   vertical channel of its own there; edges that go back (a cycle) run
//!   above the diagram, each in a lane of its own. So no two edges share a
//!   segment, and no edge runs through a box.
//!
//! Coordinates are integers, y grows downwards.

/// A rectangle: top-left corner and size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rect {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

impl Rect {
    pub fn new(x: i64, y: i64, w: i64, h: i64) -> Rect {
        Rect { x, y, w, h }
    }

    pub fn right(&self) -> i64 {
        self.x + self.w
    }

    pub fn bottom(&self) -> i64 {
        self.y + self.h
    }

    pub fn center(&self) -> (i64, i64) {
        (self.x + self.w / 2, self.y + self.h / 2)
    }

    /// Whether the interiors intersect (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }

    fn shifted(&self, dx: i64, dy: i64) -> Rect {
        Rect { x: self.x + dx, y: self.y + dy, ..*self }
    }
}

/// The outline edges attach to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outline {
    Rect,
    Diamond,
    Circle,
}

/// A node to place: its box (everything drawn for it, labels included)
/// and the body inside the box that edges attach to.
#[derive(Clone, Copy, Debug)]
pub struct Node {
    pub width: i64,
    pub height: i64,
    /// Relative to the box's top-left corner.
    pub body: Rect,
    pub outline: Outline,
}

impl Node {
    /// A node that is all body.
    pub fn plain(width: i64, height: i64, outline: Outline) -> Node {
        Node { width, height, body: Rect::new(0, 0, width, height), outline }
    }
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// The size of the edge's label, if it has one.
    pub label: Option<(i64, i64)>,
    /// A fixed start, relative to the source box (a BPMN boundary event),
    /// instead of a port on the body's right side.
    pub start: Option<(i64, i64)>,
}

#[derive(Clone, Debug, Default)]
pub struct Route {
    pub points: Vec<(i64, i64)>,
    pub label: Option<Rect>,
}

#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Each node's box.
    pub boxes: Vec<Rect>,
    /// Each node's body (the box's body, placed).
    pub bodies: Vec<Rect>,
    pub routes: Vec<Route>,
    pub width: i64,
    pub height: i64,
}

/// Space between boxes in a column.
const GAP: i64 = 20;
/// Space between a column and the first or last channel of a gap.
const MARGIN: i64 = 16;
/// Space between channels, and between lanes.
const SPACING: i64 = 10;
/// Space between a label and its edge.
const UNDER_LABEL: i64 = 4;

/// A slot in a column: a node, or a point (or a label) of an edge.
struct Slot {
    width: i64,
    height: i64,
    /// Real node index.
    node: Option<usize>,
    layer: usize,
    top: i64,
}

/// A change of height in a gap: the edge, the height it leaves at and the
/// height it arrives at (`None` for a back edge's leg up to or down from its
/// lane).
type Bend = (usize, Option<i64>, Option<i64>);

/// A piece of an edge between two slots in adjacent columns.
struct Hop {
    edge: usize,
    from: usize,
    to: usize,
}

pub fn layout(nodes: &[Node], edges: &[Edge]) -> Layout {
    let n = nodes.len();
    if n == 0 {
        return Layout::default();
    }
    let back = back_edges(n, edges);
    // Layers: nodes on even columns, by longest path.
    let mut layer = vec![0usize; n];
    {
        let mut indegree = vec![0usize; n];
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, e) in edges.iter().enumerate() {
            if !back[k] {
                out[e.from].push(e.to);
                indegree[e.to] += 1;
            }
        }
        let mut queue: std::collections::VecDeque<usize> = (0..n).filter(|i| indegree[*i] == 0).collect();
        while let Some(i) = queue.pop_front() {
            for &j in &out[i] {
                layer[j] = layer[j].max(layer[i] + 2);
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    queue.push_back(j);
                }
            }
        }
    }
    let mut slots: Vec<Slot> = (0..n).map(|i| Slot { width: nodes[i].width, height: nodes[i].height, node: Some(i), layer: layer[i], top: 0 }).collect();
    let mut hops: Vec<Hop> = Vec::new();
    // Each edge's chain of slots; a back edge's chain ends at its label.
    let mut chains: Vec<Vec<usize>> = Vec::new();
    for (k, e) in edges.iter().enumerate() {
        let a = layer[e.from];
        let mut chain = vec![e.from];
        // The slots this edge passes: its label's (or a point) in the next
        // column, then a point in each column up to its target's.
        let last = if back[k] { a + 1 } else { layer[e.to] - 1 };
        for l in a + 1..=last {
            let (w, h) = match (l == a + 1, e.label) {
                (true, Some((w, h))) => (w, h + UNDER_LABEL),
                _ => (0, 0),
            };
            slots.push(Slot { width: w, height: h, node: None, layer: l, top: 0 });
            chain.push(slots.len() - 1);
        }
        if !back[k] {
            chain.push(e.to);
        }
        for w in chain.windows(2) {
            hops.push(Hop { edge: k, from: w[0], to: w[1] });
        }
        chains.push(chain);
    }
    let layers = slots.iter().map(|s| s.layer).max().unwrap_or(0) + 1;
    // Order within columns.
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for (i, s) in slots.iter().enumerate() {
        columns[s.layer].push(i);
    }
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); slots.len()];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); slots.len()];
    for h in &hops {
        succs[h.from].push(h.to);
        preds[h.to].push(h.from);
    }
    let mut pos = vec![0f64; slots.len()];
    let set_pos = |columns: &Vec<Vec<usize>>, pos: &mut Vec<f64>| {
        for c in columns {
            for (k, &s) in c.iter().enumerate() {
                pos[s] = k as f64;
            }
        }
    };
    set_pos(&columns, &mut pos);
    for _ in 0..4 {
        for l in 1..layers {
            sort_by_mean(&mut columns[l], &preds, &pos);
            set_pos(&columns, &mut pos);
        }
        for l in (0..layers.saturating_sub(1)).rev() {
            sort_by_mean(&mut columns[l], &succs, &pos);
            set_pos(&columns, &mut pos);
        }
    }
    // Ports: the hops out of and into each slot, in the order of the slots
    // at their other end (back edges enter from above: first).
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); slots.len()];
    let mut ins: Vec<Vec<usize>> = vec![Vec::new(); slots.len()];
    for (k, h) in hops.iter().enumerate() {
        if edges[h.edge].start.is_none() || h.from != edges[h.edge].from {
            outs[h.from].push(k);
        }
        ins[h.to].push(k);
    }
    for list in outs.iter_mut() {
        list.sort_by(|a, b| pos[hops[*a].to].total_cmp(&pos[hops[*b].to]));
    }
    for list in ins.iter_mut() {
        list.sort_by(|a, b| pos[hops[*a].from].total_cmp(&pos[hops[*b].from]));
    }
    // Back edges entering a node: they come from the lanes above.
    let mut back_ins: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in edges.iter().enumerate() {
        if back[k] {
            back_ins[e.to].push(k);
        }
    }
    let port_y = |s: &Slot, rank: usize, count: usize| -> i64 {
        match s.node {
            Some(i) => {
                let b = nodes[i].body;
                b.y + b.h * (rank as i64 + 1) / (count as i64 + 1)
            }
            None => s.height,
        }
    };
    // The y of each hop's two ends, relative to the slots' tops.
    let mut out_dy = vec![0i64; hops.len()];
    let mut in_dy = vec![0i64; hops.len()];
    for (s, list) in outs.iter().enumerate() {
        for (r, &h) in list.iter().enumerate() {
            out_dy[h] = port_y(&slots[s], r, list.len());
        }
    }
    for (k, h) in hops.iter().enumerate() {
        if let (Some(start), true) = (edges[h.edge].start, h.from == edges[h.edge].from) {
            out_dy[k] = start.1;
        }
    }
    let mut back_in_dy = vec![0i64; edges.len()];
    for (s, list) in ins.iter().enumerate() {
        let extra = slots[s].node.map_or(0, |i| back_ins[i].len());
        for (r, &e) in slots[s].node.map(|i| &back_ins[i][..]).unwrap_or(&[]).iter().enumerate() {
            back_in_dy[e] = port_y(&slots[s], r, list.len() + extra);
        }
        for (r, &h) in list.iter().enumerate() {
            in_dy[h] = port_y(&slots[s], r + extra, list.len() + extra);
        }
    }
    // Heights, column by column: at the ports that feed a slot, or lower.
    let lanes = back.iter().filter(|b| **b).count() as i64;
    let top = MARGIN + lanes * SPACING + if lanes > 0 { MARGIN } else { 0 };
    let mut into: Vec<Vec<usize>> = vec![Vec::new(); slots.len()];
    for (k, h) in hops.iter().enumerate() {
        into[h.to].push(k);
    }
    for column in &columns {
        let mut floor = top;
        for &s in column {
            let wanted: Vec<i64> = into[s].iter().map(|&h| slots[hops[h].from].top + out_dy[h] - in_dy[h]).collect();
            let want = if wanted.is_empty() { floor } else { wanted.iter().sum::<i64>() / wanted.len() as i64 };
            slots[s].top = want.max(floor);
            floor = slots[s].top + slots[s].height + GAP;
        }
    }
    // Gaps: gap `l` lies before column `l`, the last after every column.
    let y_out = |h: usize| slots[hops[h].from].top + out_dy[h];
    let y_in = |h: usize| slots[hops[h].to].top + in_dy[h];
    // Each gap's bends: (edge, y leaving, y arriving); `None` for a back
    // edge's leg to or from its lane.
    let mut gaps: Vec<Vec<Bend>> = vec![Vec::new(); layers + 1];
    let mut bend_of_hop: Vec<Option<usize>> = vec![None; hops.len()];
    for (k, h) in hops.iter().enumerate() {
        if y_out(k) != y_in(k) {
            let g = slots[h.to].layer;
            bend_of_hop[k] = Some(gaps[g].len());
            gaps[g].push((h.edge, Some(y_out(k)), Some(y_in(k))));
        }
    }
    let mut back_legs: Vec<(usize, usize)> = vec![(0, 0); edges.len()];
    for (k, e) in edges.iter().enumerate() {
        if back[k] {
            let label = *chains[k].last().expect("a chain has a slot");
            let up = slots[label].layer + 1;
            let leg_up = gaps[up].len();
            gaps[up].push((k, Some(slots[label].top + slots[label].height), None));
            let down = layer[e.to];
            let leg_down = gaps[down].len();
            gaps[down].push((k, None, Some(0)));
            back_legs[k] = (leg_up, leg_down);
        }
    }
    // The arrival heights of back edges, now that tops are known.
    for (k, e) in edges.iter().enumerate() {
        if back[k] {
            let y = slots[e.to].top + back_in_dy[k];
            gaps[layer[e.to]][back_legs[k].1].2 = Some(y);
        }
    }
    let channels: Vec<Vec<usize>> = gaps.iter().map(|g| channel_order(g)).collect();
    // Columns and gaps from left to right.
    let mut widths = vec![0i64; layers];
    for s in &slots {
        widths[s.layer] = widths[s.layer].max(s.width);
    }
    let gap_width = |g: usize| 2 * MARGIN + (gaps[g].len() as i64 - 1).max(0) * SPACING;
    let mut gap_x = vec![0i64; layers + 1];
    let mut column_x = vec![0i64; layers];
    let mut x = 0;
    for l in 0..=layers {
        gap_x[l] = x;
        x += gap_width(l);
        if l < layers {
            column_x[l] = x;
            x += widths[l];
        }
    }
    let width = x;
    let sx: Vec<i64> = slots.iter().map(|s| column_x[s.layer] + (widths[s.layer] - s.width) / 2).collect();
    let channel_x = |g: usize, bend: usize| gap_x[g] + MARGIN + channels[g][bend] as i64 * SPACING;
    // Routes.
    let boxes: Vec<Rect> = (0..n).map(|i| Rect::new(sx[i], slots[i].top, slots[i].width, slots[i].height)).collect();
    let bodies: Vec<Rect> = (0..n).map(|i| nodes[i].body.shifted(boxes[i].x, boxes[i].y)).collect();
    let side = |i: usize, y: i64, right: bool| -> i64 {
        let b = bodies[i];
        let (cx, cy) = (b.x as f64 + b.w as f64 / 2.0, b.y as f64 + b.h as f64 / 2.0);
        let (hw, hh) = (b.w as f64 / 2.0, b.h as f64 / 2.0);
        let dy = (y as f64 - cy).abs().min(hh);
        let half = match nodes[i].outline {
            Outline::Rect => hw,
            Outline::Diamond => hw - dy * hw / hh.max(1.0),
            Outline::Circle => (hh * hh - dy * dy).max(0.0).sqrt() * hw / hh.max(1.0),
        };
        (if right { cx + half } else { cx - half }).round() as i64
    };
    let mut routes: Vec<Route> = Vec::with_capacity(edges.len());
    let lane_y = |k: usize| MARGIN + back[..k].iter().filter(|b| **b).count() as i64 * SPACING;
    let mut hop_of_edge: Vec<Vec<usize>> = vec![Vec::new(); edges.len()];
    for (k, h) in hops.iter().enumerate() {
        hop_of_edge[h.edge].push(k);
    }
    for (k, e) in edges.iter().enumerate() {
        let mut pts: Vec<(i64, i64)> = Vec::new();
        let first = &hop_of_edge[k];
        let start = match e.start {
            Some((dx, dy)) => (boxes[e.from].x + dx, boxes[e.from].y + dy),
            None => (side(e.from, y_out(first[0]), true), y_out(first[0])),
        };
        pts.push(start);
        for &h in first {
            let (a, b) = (hops[h].from, hops[h].to);
            if slots[a].node.is_none() {
                pts.push((sx[a] + slots[a].width, y_out(h)));
            }
            if let Some(bend) = bend_of_hop[h] {
                let g = slots[b].layer;
                let cx = channel_x(g, bend);
                pts.push((cx, y_out(h)));
                pts.push((cx, y_in(h)));
            }
            match slots[b].node {
                Some(t) => pts.push((side(t, y_in(h), false), y_in(h))),
                None => pts.push((sx[b], y_in(h))),
            }
        }
        if back[k] {
            let label = *chains[k].last().expect("a chain has a slot");
            let y = slots[label].top + slots[label].height;
            pts.push((sx[label] + slots[label].width, y));
            let up = slots[label].layer + 1;
            let cx = channel_x(up, back_legs[k].0);
            let ly = lane_y(k);
            pts.push((cx, y));
            pts.push((cx, ly));
            let down = layer[e.to];
            let dx = channel_x(down, back_legs[k].1);
            let ty = slots[e.to].top + back_in_dy[k];
            pts.push((dx, ly));
            pts.push((dx, ty));
            pts.push((side(e.to, ty, false), ty));
        }
        let label = e.label.map(|(w, h)| {
            let s = chains[k][1];
            Rect::new(sx[s], slots[s].top, w, h)
        });
        routes.push(Route { points: simplify(pts), label });
    }
    let height = slots.iter().map(|s| s.top + s.height).max().unwrap_or(0) + MARGIN;
    Layout { boxes, bodies, routes, width, height }
}

/// Edges that close a cycle, found by a depth-first search from each node
/// in order (self-loops included).
fn back_edges(n: usize, edges: &[Edge]) -> Vec<bool> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in edges.iter().enumerate() {
        out[e.from].push(k);
    }
    let mut back = vec![false; edges.len()];
    // 0 new, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some((v, i)) = stack.pop() {
            if i < out[v].len() {
                stack.push((v, i + 1));
                let k = out[v][i];
                let w = edges[k].to;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => back[k] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
            }
        }
    }
    back
}

fn sort_by_mean(column: &mut [usize], neighbours: &[Vec<usize>], pos: &[f64]) {
    let key = |s: usize| {
        let ns = &neighbours[s];
        if ns.is_empty() {
            None
        } else {
            Some(ns.iter().map(|x| pos[*x]).sum::<f64>() / ns.len() as f64)
        }
    };
    // Slots without neighbours keep their place relative to the others.
    let mut keyed: Vec<(f64, usize)> = Vec::with_capacity(column.len());
    let mut last = -1.0;
    for (k, &s) in column.iter().enumerate() {
        let v = key(s).unwrap_or(if k == 0 { -1.0 } else { last });
        last = v;
        keyed.push((v, s));
    }
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (k, (_, s)) in keyed.into_iter().enumerate() {
        column[k] = s;
    }
}

/// The channel of each bend in a gap: ordered by height, with one rule that
/// keeps segments apart: a bend that leaves at height `y` takes a channel
/// left of any bend that arrives at `y` (their horizontal pieces then meet
/// at most at a point).
fn channel_order(bends: &[Bend]) -> Vec<usize> {
    let key = |b: &Bend| (b.1.or(b.2).unwrap_or(0), b.2.or(b.1).unwrap_or(0), b.0);
    let mut order: Vec<usize> = (0..bends.len()).collect();
    order.sort_by_key(|k| key(&bends[*k]));
    // Kahn's order over "leaves at y → arrives at y", by key otherwise.
    let mut before: Vec<Vec<usize>> = vec![Vec::new(); bends.len()];
    let mut indegree = vec![0usize; bends.len()];
    for (a, x) in bends.iter().enumerate() {
        for (b, y) in bends.iter().enumerate() {
            if a != b && x.1.is_some() && x.1 == y.2 {
                before[a].push(b);
                indegree[b] += 1;
            }
        }
    }
    let mut placed = vec![false; bends.len()];
    let mut channel = vec![0usize; bends.len()];
    let mut next = 0;
    while next < bends.len() {
        let pick = order.iter().copied().find(|k| !placed[*k] && indegree[*k] == 0).or_else(|| order.iter().copied().find(|k| !placed[*k]));
        let k = pick.expect("some bend is left");
        placed[k] = true;
        channel[k] = next;
        next += 1;
        for &b in &before[k] {
            indegree[b] = indegree[b].saturating_sub(1);
        }
    }
    channel
}

/// Drops repeated points and the middle of three points on one line.
fn simplify(points: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(points.len());
    for p in points {
        if out.last() == Some(&p) {
            continue;
        }
        if out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            if (a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1) {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

/// The size of a text wrapped at `max_width`, at `char_width` per
/// character and `line_height` per line: a conservative estimate for a
/// sans-serif font (words longer than a line are broken).
pub fn text_size(text: &str, max_width: i64, char_width: f64, line_height: i64) -> (i64, i64) {
    let lines = wrap(text, (max_width as f64 / char_width).floor().max(1.0) as usize);
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    (((longest as f64) * char_width).ceil() as i64, lines.len().max(1) as i64 * line_height)
}

/// Greedy word wrap at `width` characters.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            while word.len() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(word.drain(..width).collect());
            }
            let word: String = word.into_iter().collect();
            if word.is_empty() {
                continue;
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}
