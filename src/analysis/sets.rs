//! Operations on cubes and case sets, conditions to sets, and the search for
//! a point of a region that a list of cubes does not cover.

use super::domain::{AtomSet, CaseSet, Cube, Space, Value, MAX_CUBES};
use crate::model::{Cond, InputId};

/// A concrete case: a value for every input of the program.
pub type Point = Vec<Value>;

/// How many regions `uncovered` may split before it gives up.
pub const SPLIT_BUDGET: usize = 200_000;

impl Cube {
    pub fn full() -> Cube {
        Cube { atoms: Vec::new() }
    }

    pub fn get(&self, input: InputId) -> Option<&AtomSet> {
        self.atoms.binary_search_by_key(&input, |(i, _)| *i).ok().map(|k| &self.atoms[k].1)
    }

    /// Sets `input` to `set` (dropping it when full); `false` when empty.
    fn set(&mut self, space: &Space, input: InputId, set: AtomSet) -> bool {
        if set.is_empty() {
            return false;
        }
        let is_full = &set == space.full(input);
        match self.atoms.binary_search_by_key(&input, |(i, _)| *i) {
            Ok(k) if is_full => {
                self.atoms.remove(k);
            }
            Ok(k) => self.atoms[k].1 = set,
            Err(_) if is_full => {}
            Err(k) => self.atoms.insert(k, (input, set)),
        }
        true
    }

    pub fn atom(space: &Space, input: InputId, set: AtomSet) -> Option<Cube> {
        let mut c = Cube::full();
        c.set(space, input, set).then_some(c)
    }

    pub fn intersect(&self, other: &Cube) -> Option<Cube> {
        let mut atoms = Vec::with_capacity(self.atoms.len() + other.atoms.len());
        let (a, b) = (&self.atoms, &other.atoms);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
                atoms.push(a[i].clone());
                i += 1;
            } else if i == a.len() || b[j].0 < a[i].0 {
                atoms.push(b[j].clone());
                j += 1;
            } else {
                let s = a[i].1.intersect(&b[j].1);
                if s.is_empty() {
                    return None;
                }
                atoms.push((a[i].0, s));
                i += 1;
                j += 1;
            }
        }
        Some(Cube { atoms })
    }

    /// Whether the three cubes share a case, without building the meets.
    pub fn meets3(&self, b: &Cube, c: &Cube) -> bool {
        self.meets(b) && self.meets(c) && b.meets(c) && self.intersect(b).is_some_and(|ab| ab.meets(c))
    }

    /// Whether the two cubes share a case, without building the meet.
    pub fn meets(&self, other: &Cube) -> bool {
        let (a, b) = (&self.atoms, &other.atoms);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    if !a[i].1.meets(&b[j].1) {
                        return false;
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        true
    }

    /// The union of two cubes when it is a cube: they agree on every input
    /// but one.
    pub fn merge(&self, space: &Space, other: &Cube) -> Option<Cube> {
        let (a, b) = (&self.atoms, &other.atoms);
        if a.len().abs_diff(b.len()) > 1 {
            return None;
        }
        let mut differing = None;
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let input = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    i += 1;
                    j += 1;
                    if x.1 == y.1 {
                        continue;
                    }
                    x.0
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    i += 1;
                    x.0
                }
                (Some(_), Some(y)) => {
                    j += 1;
                    y.0
                }
                (Some(x), None) => {
                    i += 1;
                    x.0
                }
                (None, Some(y)) => {
                    j += 1;
                    y.0
                }
                (None, None) => unreachable!(),
            };
            if differing.replace(input).is_some() {
                return None;
            }
        }
        let input = differing?;
        let full = space.full(input);
        let x = self.get(input).unwrap_or(full);
        let y = other.get(input).unwrap_or(full);
        let mut out = self.clone();
        out.set(space, input, x.union(y, full));
        Some(out)
    }

    pub fn is_subset(&self, other: &Cube) -> bool {
        other.atoms.iter().all(|(input, set)| self.get(*input).is_some_and(|mine| mine.is_subset(set)))
    }

    /// `self` minus `other`, as disjoint cubes.
    pub fn subtract(&self, space: &Space, other: &Cube) -> Vec<Cube> {
        if !self.meets(other) {
            return vec![self.clone()];
        }
        let mut out = Vec::new();
        let mut rest = self.clone();
        for (input, set) in &other.atoms {
            let mine = rest.get(*input).cloned().unwrap_or_else(|| space.full(*input).clone());
            let outside = mine.intersect(&set.complement(space.full(*input)));
            let mut piece = rest.clone();
            if piece.set(space, *input, outside) {
                out.push(piece);
            }
            if !rest.set(space, *input, mine.intersect(set)) {
                return out;
            }
        }
        out
    }

    pub fn contains(&self, point: &Point) -> bool {
        self.atoms.iter().all(|(i, set)| set.contains(&point[*i]))
    }

    /// A concrete case of this cube.
    pub fn pick(&self, space: &Space) -> Point {
        (0..space.inputs())
            .map(|i| match self.get(i) {
                Some(set) => space.pick(i, set),
                None => space.pick(i, space.full(i)),
            })
            .collect()
    }
}

impl CaseSet {
    pub fn empty() -> CaseSet {
        CaseSet::default()
    }

    pub fn full() -> CaseSet {
        CaseSet { cubes: vec![Cube::full()], approx: false }
    }

    pub fn is_empty(&self) -> bool {
        self.cubes.is_empty()
    }

    pub fn contains(&self, point: &Point) -> bool {
        self.cubes.iter().any(|c| c.contains(point))
    }

    pub fn union_with(&mut self, space: &Space, other: &CaseSet) {
        self.approx |= other.approx;
        for c in &other.cubes {
            self.insert(space, c.clone());
        }
        self.bound(space);
    }

    /// Adds a cube, dropping it when a cube already holds it and merging it
    /// with a cube that differs from it in one input only (so that the two
    /// sides of an if/else join back into one cube).
    fn insert(&mut self, space: &Space, mut c: Cube) {
        loop {
            if self.cubes.iter().any(|mine| c.is_subset(mine)) {
                return;
            }
            let Some((k, merged)) = self.cubes.iter().enumerate().find_map(|(k, mine)| mine.merge(space, &c).map(|m| (k, m))) else {
                self.cubes.retain(|mine| !mine.is_subset(&c));
                self.cubes.push(c);
                return;
            };
            self.cubes.swap_remove(k);
            c = merged;
        }
    }

    pub fn intersect(&self, space: &Space, other: &CaseSet) -> CaseSet {
        let mut out = CaseSet { cubes: Vec::new(), approx: self.approx || other.approx };
        for a in &self.cubes {
            for b in &other.cubes {
                if let Some(c) = a.intersect(b) {
                    out.cubes.push(c);
                }
            }
        }
        out.bound(space);
        out
    }

    /// `self` minus `other`. Subtracting an approximate set cannot be done
    /// soundly, so the result is then `self`, marked approximate.
    pub fn subtract(&self, space: &Space, other: &CaseSet) -> CaseSet {
        if other.approx {
            return CaseSet { cubes: self.cubes.clone(), approx: true };
        }
        let mut out = CaseSet { cubes: Vec::new(), approx: self.approx };
        for a in &self.cubes {
            let mut pieces = vec![a.clone()];
            for b in &other.cubes {
                if pieces.len() > MAX_CUBES {
                    out.approx = true;
                    break;
                }
                pieces = pieces.iter().flat_map(|p| p.subtract(space, b)).collect();
                if pieces.is_empty() {
                    break;
                }
            }
            out.cubes.extend(pieces);
        }
        out.bound(space);
        out
    }

    /// Keeps the set within [`MAX_CUBES`] by widening it to the smallest
    /// cube that holds it (then `approx`).
    pub fn bound(&mut self, space: &Space) {
        if self.cubes.len() <= MAX_CUBES {
            return;
        }
        let mut hull = self.cubes[0].clone();
        for c in &self.cubes[1..] {
            let mut atoms = Vec::new();
            for (input, set) in &hull.atoms {
                if let Some(other) = c.get(*input) {
                    let u = set.union(other, space.full(*input));
                    if &u != space.full(*input) {
                        atoms.push((*input, u));
                    }
                }
            }
            hull = Cube { atoms };
        }
        self.cubes = vec![hull];
        self.approx = true;
    }
}

/// The cases that satisfy `cond` (negated when `negate`), in disjunctive form.
pub fn cond_set(space: &Space, cond: &Cond, negate: bool) -> CaseSet {
    match cond {
        Cond::Const(b) => {
            if *b != negate {
                CaseSet::full()
            } else {
                CaseSet::empty()
            }
        }
        Cond::Atom(a) => {
            let mut set = space.pred_set(a.input, &a.pred);
            if negate {
                set = set.complement(space.full(a.input));
            }
            CaseSet { cubes: Cube::atom(space, a.input, set).into_iter().collect(), approx: false }
        }
        Cond::Not(inner) => cond_set(space, inner, !negate),
        Cond::And(parts) | Cond::Or(parts) => {
            let conj = matches!(cond, Cond::And(_)) != negate;
            if conj {
                let mut acc = CaseSet::full();
                for p in parts {
                    acc = acc.intersect(space, &cond_set(space, p, negate));
                    if acc.is_empty() {
                        break;
                    }
                }
                acc
            } else {
                let mut acc = CaseSet::empty();
                for p in parts {
                    acc.union_with(space, &cond_set(space, p, negate));
                }
                acc
            }
        }
    }
}

/// The outcome of a search for an uncovered point.
pub enum Uncovered {
    /// A non-empty part of the region that no cube of the cover touches.
    Found(Cube),
    Covered,
    /// The split budget ran out; nothing is known.
    Unknown,
}

/// Finds a part of `region` outside every cube of `cover`, by recursive
/// splitting on the boundaries of the cubes that touch the region.
pub fn uncovered(space: &Space, region: &Cube, cover: &[&Cube]) -> Uncovered {
    let first: Vec<usize> = (0..cover.len()).filter(|&k| cover[k].meets(region)).collect();
    let mut stack = vec![(region.clone(), first)];
    let mut budget = SPLIT_BUDGET;
    while let Some((r, cands)) = stack.pop() {
        if budget == 0 {
            return Uncovered::Unknown;
        }
        budget -= 1;
        let cands: Vec<usize> = cands.into_iter().filter(|&k| cover[k].meets(&r)).collect();
        let Some(&k) = cands.first() else { return Uncovered::Found(r) };
        if cands.iter().any(|&k| r.is_subset(cover[k])) {
            continue;
        }
        // Split `r` on the first input where the cube does not cover it.
        let c = cover[k];
        let Some((input, set)) = c.atoms.iter().find(|(i, s)| !r.get(*i).map_or_else(|| space.full(*i).is_subset(s), |mine| mine.is_subset(s))) else {
            continue;
        };
        let mine = r.get(*input).cloned().unwrap_or_else(|| space.full(*input).clone());
        let mut inside = r.clone();
        let mut outside = r;
        let has_in = inside.set(space, *input, mine.intersect(set));
        let has_out = outside.set(space, *input, mine.intersect(&set.complement(space.full(*input))));
        if has_out {
            stack.push((outside, cands.clone()));
        }
        if has_in {
            stack.push((inside, cands));
        }
    }
    Uncovered::Covered
}

/// Evaluates a condition on a full point (no read tracking).
pub fn holds(space: &Space, cond: &Cond, point: &Point) -> bool {
    match cond {
        Cond::Const(b) => *b,
        Cond::Atom(a) => space.pred_set(a.input, &a.pred).contains(&point[a.input]),
        Cond::Not(c) => !holds(space, c, point),
        Cond::And(cs) => cs.iter().all(|c| holds(space, c, point)),
        Cond::Or(cs) => cs.iter().any(|c| holds(space, c, point)),
    }
}
