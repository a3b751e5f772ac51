//! Operations on cubes and case sets, conditions to sets, and the search for
//! a point of a region that a list of cubes does not cover.

use std::cmp::Ordering;

use super::domain::{AtomSet, Atoms, CaseSet, Cube, Space, Value, MAX_CUBES};
use crate::model::{Cond, InputId};

/// A concrete case: a value for every input of the program.
pub type Point = Vec<Value>;

/// How many regions `uncovered` may split before it gives up.
pub const SPLIT_BUDGET: usize = 200_000;

/// The bit of `input` in a cube's mask.
fn bit(input: InputId) -> u64 {
    1 << (input % 64)
}

/// The mask of a cube with these atoms.
fn mask_of(atoms: &Atoms) -> u64 {
    atoms.iter().fold(0, |m, (i, _)| m | bit(*i))
}

/// How one cube stands to another ([`Cube::relate`]).
pub(super) struct Relation {
    /// The first cube lies within the second.
    within: bool,
    /// The first cube holds the second.
    holds: bool,
    /// On how many inputs they differ (counting stops early at two when
    /// neither holds the other); at one, their union is a cube.
    differing: u32,
    /// The last input they differ on.
    on: InputId,
}

impl Cube {
    pub fn full() -> Cube {
        Cube { atoms: Atoms::new(), mask: 0 }
    }

    fn from_atoms(atoms: Atoms) -> Cube {
        Cube { mask: mask_of(&atoms), atoms }
    }

    /// The constrained inputs, sorted by id.
    pub fn atoms(&self) -> &[(InputId, AtomSet)] {
        &self.atoms
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
                self.mask = mask_of(&self.atoms);
            }
            Ok(k) => self.atoms[k].1 = set,
            Err(_) if is_full => {}
            Err(k) => {
                self.atoms.insert(k, (input, set));
                self.mask |= bit(input);
            }
        }
        true
    }

    pub fn atom(space: &Space, input: InputId, set: AtomSet) -> Option<Cube> {
        let mut c = Cube::full();
        c.set(space, input, set).then_some(c)
    }

    pub fn intersect(&self, other: &Cube) -> Option<Cube> {
        let mut atoms = Atoms::new();
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
        Some(Cube { atoms, mask: self.mask | other.mask })
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

    /// How `self` stands to `other`, from one walk over both atom lists
    /// (inserting a cube into a set asks all three questions of every cube
    /// there; three walks were a third of the analysis).
    pub(super) fn relate(&self, other: &Cube) -> Relation {
        let (a, b) = (&self.atoms, &other.atoms);
        // An input that only one cube constrains is full in the other, and
        // a constrained atom is never full.
        let mut r = Relation { within: other.mask & !self.mask == 0, holds: self.mask & !other.mask == 0, differing: 0, on: 0 };
        // Neither holds the other and two inputs are constrained by one cube
        // only: they differ on two inputs, and nothing more is asked. The
        // mask bit of an input is its id modulo 64, so this needs every
        // input below 64 (`differing` is then a lower bound, as the loop's).
        let one_sided = self.mask ^ other.mask;
        if !r.within && !r.holds && one_sided.count_ones() >= 2 && a.last().is_none_or(|x| x.0 < 64) && b.last().is_none_or(|x| x.0 < 64) {
            r.differing = 2;
            return r;
        }
        let (mut i, mut j) = (0, 0);
        loop {
            let order = match (a.get(i), b.get(j)) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => x.0.cmp(&y.0),
            };
            let input = match order {
                Ordering::Equal => {
                    let ((input, x), (_, y)) = (&a[i], &b[j]);
                    i += 1;
                    j += 1;
                    let (within, holds) = x.order(y);
                    if within && holds {
                        continue;
                    }
                    r.within = r.within && within;
                    r.holds = r.holds && holds;
                    *input
                }
                Ordering::Less => {
                    i += 1;
                    r.holds = false;
                    a[i - 1].0
                }
                Ordering::Greater => {
                    j += 1;
                    r.within = false;
                    b[j - 1].0
                }
            };
            r.differing += 1;
            r.on = input;
            if r.differing > 1 && !r.within && !r.holds {
                break;
            }
        }
        r
    }

    /// The union of `self` and `other`, which differ on `input` only.
    fn merged_on(&self, space: &Space, other: &Cube, input: InputId) -> Cube {
        let full = space.full(input);
        let x = self.get(input).unwrap_or(full);
        let y = other.get(input).unwrap_or(full);
        let mut out = self.clone();
        out.set(space, input, x.union(y, full));
        out
    }

    pub fn is_subset(&self, other: &Cube) -> bool {
        if other.mask & !self.mask != 0 {
            return false;
        }
        // Both lists are sorted by input: one walk.
        let mut mine = self.atoms.iter();
        other.atoms.iter().all(|(input, set)| loop {
            match mine.next() {
                Some((i, m)) if i == input => break m.is_subset(set),
                Some((i, _)) if i < input => continue,
                _ => break false,
            }
        })
    }

    /// `self` minus `other`, as disjoint cubes pushed onto `out`.
    pub fn subtract_into(&self, space: &Space, other: &Cube, out: &mut Vec<Cube>) {
        if !self.meets(other) {
            out.push(self.clone());
            return;
        }
        let mut rest = self.clone();
        for (input, set) in &other.atoms {
            let full = space.full(*input);
            let mine = rest.get(*input).unwrap_or(full);
            let (outside, inside) = (mine.intersect(&set.complement(full)), mine.intersect(set));
            let mut piece = rest.clone();
            if piece.set(space, *input, outside) {
                out.push(piece);
            }
            if !rest.set(space, *input, inside) {
                return;
            }
        }
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

    /// Whether the two sets share a case, without building their meet
    /// (`!a.meets(b)` is `a.intersect(b).is_empty()`).
    pub fn meets(&self, other: &CaseSet) -> bool {
        self.cubes.iter().any(|a| other.cubes.iter().any(|b| a.meets(b)))
    }

    pub fn contains(&self, point: &Point) -> bool {
        self.cubes.iter().any(|c| c.contains(point))
    }

    /// Adds the cases of `other`, taking its cubes.
    pub fn union_owned(&mut self, space: &Space, other: CaseSet) {
        self.approx |= other.approx;
        // The smaller set is inserted into the larger, whose cubes stay as
        // they are (sets built here hold no cube inside or mergeable with
        // another, so this loses no merge that inserting them all would make).
        let mut other = other.cubes;
        if self.cubes.len() < other.len() {
            std::mem::swap(&mut self.cubes, &mut other);
        }
        self.cubes.reserve(other.len());
        for c in other {
            self.insert(space, c);
        }
        self.bound(space);
    }

    /// Adds a cube, dropping it when a cube already holds it and merging it
    /// with a cube that differs from it in one input only (so that the two
    /// sides of an if/else join back into one cube).
    fn insert(&mut self, space: &Space, mut c: Cube) {
        loop {
            // One pass: a cube holding `c` ends the insert; otherwise the
            // first cube `c` merges with (if any) takes it.
            // It also notes whether `c` holds some cube, which then goes.
            let mut merge = None;
            let mut holds_one = false;
            for (k, mine) in self.cubes.iter().enumerate() {
                let r = c.relate(mine);
                if r.within {
                    return;
                }
                if merge.is_none() {
                    if r.differing == 1 {
                        merge = Some((k, mine.merged_on(space, &c, r.on)));
                    } else {
                        holds_one = holds_one || r.holds;
                    }
                }
            }
            let Some((k, merged)) = merge else {
                if holds_one {
                    self.cubes.retain(|mine| !mine.is_subset(&c));
                }
                self.cubes.push(c);
                return;
            };
            self.cubes.swap_remove(k);
            c = merged;
        }
    }

    pub fn intersect(&self, space: &Space, other: &CaseSet) -> CaseSet {
        let cubes = Vec::with_capacity(self.cubes.len().max(other.cubes.len()));
        let mut out = CaseSet { cubes, approx: self.approx || other.approx };
        for a in &self.cubes {
            for b in &other.cubes {
                // `meets` first: most pairs are disjoint, and it builds nothing.
                if a.meets(b) {
                    out.cubes.extend(a.intersect(b));
                }
            }
        }
        out.bound(space);
        out
    }

    /// `self` minus `other`, in place: cubes that meet no cube of `other`
    /// stay, uncopied. Subtracting an approximate set cannot be done soundly,
    /// so the result is then `self`, marked approximate.
    pub fn subtract_assign(&mut self, space: &Space, other: &CaseSet) {
        if other.approx {
            self.approx = true;
            return;
        }
        // The cubes that meet `other` leave; the others stay where they are.
        let hit: Vec<Cube> = self.cubes.extract_if(.., |a| other.cubes.iter().any(|b| a.meets(b))).collect();
        if hit.is_empty() {
            self.bound(space);
            return;
        }
        let (mut pieces, mut next, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
        for a in hit {
            pieces.clear();
            pieces.push(a);
            for b in &other.cubes {
                if pieces.len() > MAX_CUBES {
                    self.approx = true;
                    break;
                }
                next.clear();
                for p in &pieces {
                    p.subtract_into(space, b, &mut next);
                }
                std::mem::swap(&mut pieces, &mut next);
                if pieces.is_empty() {
                    break;
                }
            }
            fresh.append(&mut pieces);
        }
        // The cubes that met nothing are as they were (none holds another,
        // none merges with another, if the set was built here); the pieces
        // of the others are merged in, so that the result is as compact and
        // a union can insert the smaller set into it (`union_owned`).
        for p in fresh {
            self.insert(space, p);
        }
        self.bound(space);
    }

    /// Keeps the set within [`MAX_CUBES`] by widening it to the smallest
    /// cube that holds it (then `approx`).
    pub fn bound(&mut self, space: &Space) {
        if self.cubes.len() <= MAX_CUBES {
            return;
        }
        let mut hull = self.cubes[0].clone();
        for c in &self.cubes[1..] {
            let mut atoms = Atoms::new();
            for (input, set) in &hull.atoms {
                if let Some(other) = c.get(*input) {
                    let u = set.union(other, space.full(*input));
                    if &u != space.full(*input) {
                        atoms.push((*input, u));
                    }
                }
            }
            hull = Cube::from_atoms(atoms);
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
                if let Some(set) = conjunction_of_atoms(space, parts, negate) {
                    return set;
                }
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
                    acc.union_owned(space, cond_set(space, p, negate));
                }
                acc
            }
        }
    }
}

/// A conjunction of atoms and negated atoms (most conditions) as its one
/// cube, built in place: what intersecting the parts' sets one by one gives,
/// without a set per part (a third of `cond_set`). `None` when a part is
/// anything else.
fn conjunction_of_atoms(space: &Space, parts: &[Cond], negate: bool) -> Option<CaseSet> {
    let mut cube = Cube::full();
    for p in parts {
        let (a, negated) = match p {
            Cond::Atom(a) => (a, negate),
            Cond::Not(inner) => match &**inner {
                Cond::Atom(a) => (a, !negate),
                _ => return None,
            },
            _ => return None,
        };
        let mut set = space.pred_set(a.input, &a.pred);
        if negated {
            set = set.complement(space.full(a.input));
        }
        let set = match cube.get(a.input) {
            Some(have) => have.intersect(&set),
            None => set,
        };
        if !cube.set(space, a.input, set) {
            return Some(CaseSet::empty());
        }
    }
    Some(CaseSet { cubes: vec![cube], approx: false })
}

/// The outcome of a search for an uncovered point.
// Returned once per search, never stored: boxing the cube would buy nothing.
#[allow(clippy::large_enum_variant)]
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
