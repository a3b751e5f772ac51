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

    /// The one input on which `self` and `other` differ, if there is
    /// exactly one (`relate`'s `differing == 1`, without its other answers:
    /// the walk stops at the second difference).
    fn differs_once(&self, other: &Cube) -> Option<InputId> {
        // Two inputs that only one of the cubes constrains (two bits of
        // the masks' difference are two such inputs, whatever their ids).
        if (self.mask ^ other.mask).count_ones() >= 2 {
            return None;
        }
        let (a, b) = (&self.atoms, &other.atoms);
        let (mut i, mut j) = (0, 0);
        let mut on = None;
        loop {
            let input = match (a.get(i), b.get(j)) {
                (None, None) => return on,
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
                (Some(x), None) => {
                    i += 1;
                    x.0
                }
                (_, Some(y)) => {
                    j += 1;
                    y.0
                }
            };
            if on.replace(input).is_some() {
                return None;
            }
        }
    }

    /// The union of `self` and `other`, which differ on `input` only.
    fn merged_on(mut self, space: &Space, other: &Cube, input: InputId) -> Cube {
        let full = space.full(input);
        let y = other.get(input).unwrap_or(full);
        let union = self.get(input).unwrap_or(full).union(y, full);
        self.set(space, input, union);
        self
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
        CaseSet { cubes: vec![Cube::full()], approx: false, disjoint: true }
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
        // Two disjoint sets whose cubes pairwise share no case make a
        // disjoint union, and the cheaper insert (one comparison of every
        // pair here spares about three in the inserts).
        self.disjoint = match (self.cubes.is_empty(), other.cubes.is_empty()) {
            (true, _) => other.disjoint,
            (_, true) => self.disjoint,
            _ => self.disjoint && other.disjoint && !self.meets(&other),
        };
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
    fn insert(&mut self, space: &Space, c: Cube) {
        if self.disjoint {
            self.insert_disjoint(space, c);
        } else {
            self.insert_any(space, c);
        }
    }

    /// [`CaseSet::insert`] into a disjoint set of a cube that shares no case
    /// with its cubes: no cube can hold another, so only the first cube that
    /// `c` merges with is looked for (what `insert_any` finds, as the rest of
    /// its questions all answer no). The merged cube shares no case with
    /// the others either, and goes in the same way.
    fn insert_disjoint(&mut self, space: &Space, mut c: Cube) {
        loop {
            let Some((k, on)) = self.cubes.iter().enumerate().find_map(|(k, mine)| Some((k, c.differs_once(mine)?))) else {
                self.cubes.push(c);
                return;
            };
            c = self.cubes.swap_remove(k).merged_on(space, &c, on);
        }
    }

    /// [`CaseSet::insert`] into any set.
    fn insert_any(&mut self, space: &Space, mut c: Cube) {
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
                        merge = Some((k, r.on));
                    } else {
                        holds_one = holds_one || r.holds;
                    }
                }
            }
            let Some((k, on)) = merge else {
                if holds_one {
                    self.cubes.retain(|mine| !mine.is_subset(&c));
                }
                self.cubes.push(c);
                return;
            };
            c = self.cubes.swap_remove(k).merged_on(space, &c, on);
        }
    }

    pub fn intersect(&self, space: &Space, other: &CaseSet) -> CaseSet {
        let cubes = Vec::with_capacity(self.cubes.len().max(other.cubes.len()));
        // The meets of two cubes of disjoint sets lie in different cubes of
        // one of them, so they share no case.
        let mut out = CaseSet { cubes, approx: self.approx || other.approx, disjoint: self.disjoint && other.disjoint };
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
        self.disjoint = true;
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
            CaseSet { cubes: Cube::atom(space, a.input, set).into_iter().collect(), approx: false, disjoint: true }
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
    Some(CaseSet { cubes: vec![cube], approx: false, disjoint: true })
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

#[cfg(test)]
mod tests {
    //! The `disjoint` flag: every set built by the operations here that says
    //! it is disjoint is, and inserting into it the cheap way gives the same
    //! cubes as the full insert.
    use super::*;
    use crate::model::Program;

    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    fn atom(rng: &mut Lcg) -> String {
        let k = ["x", "y", "z"];
        match rng.next(6) {
            0 => "a".into(),
            1 => "not b".into(),
            2 => format!("k == {}", k[rng.next(3) as usize]),
            3 => format!("k in {{ {}, {} }}", k[rng.next(3) as usize], k[rng.next(3) as usize]),
            4 => format!("n {} {}", ["<", "<=", ">", ">=", "==", "!="][rng.next(6) as usize], rng.next(6)),
            _ => format!("(n in {{ {}, {} }} or a)", rng.next(6), rng.next(6)),
        }
    }

    /// A program whose table has `count` random conditions (conjunctions of
    /// one to three atoms).
    fn program(rng: &mut Lcg, count: usize) -> Program {
        let conds: Vec<String> = (0..count).map(|_| (0..=rng.next(3)).map(|_| atom(rng)).collect::<Vec<_>>().join(" and ")).collect();
        program_of(&conds)
    }

    /// A program whose table has these conditions.
    fn program_of(conds: &[String]) -> Program {
        let mut text = "input a: bool\ninput b: bool\ninput k: { x, y, z }\ninput n: int in 0 to 5\noutcome o\ntable t {\n".to_string();
        for c in conds {
            text += &format!("  when {c} -> outcome o\n");
        }
        text += "}\n";
        let mut sources = crate::source::SourceMap::default();
        let id = sources.add("t.sop".into(), text);
        let loaded = crate::project::Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
        crate::check::check(loaded).program.expect("the generated table resolves")
    }

    /// Every case of the program's four inputs.
    fn points() -> Vec<Point> {
        let mut out = Vec::new();
        for a in [false, true] {
            for b in [false, true] {
                for k in 0..3 {
                    for n in 0..=5 {
                        out.push(vec![Value::Bool(a), Value::Bool(b), Value::Variant(k), Value::Num(n)]);
                    }
                }
            }
        }
        out
    }

    fn assert_disjoint_if_flagged(set: &CaseSet) {
        if set.disjoint {
            for (i, x) in set.cubes.iter().enumerate() {
                for y in &set.cubes[i + 1..] {
                    assert!(!x.meets(y), "flagged disjoint, yet {x:?} meets {y:?}");
                }
            }
        }
    }

    #[test]
    fn sets_flagged_disjoint_are_and_keep_their_cases() {
        let all = points();
        let mut flagged = 0;
        for seed in 0..40 {
            let mut rng = Lcg(seed);
            let program = program(&mut rng, 8);
            let space = Space::new(&program);
            let conds: Vec<&Cond> = program.tables[0].decision.whens().map(|(_, c)| c).collect();
            // Each set with the cases it must hold (by brute force).
            let mut sets: Vec<(CaseSet, Vec<bool>)> =
                conds.iter().map(|c| (cond_set(&space, c, false), all.iter().map(|p| holds(&space, c, p)).collect())).collect();
            for _ in 0..60 {
                let (i, j) = (rng.next(sets.len() as u64) as usize, rng.next(sets.len() as u64) as usize);
                let (mut x, xs) = sets[i].clone();
                let (y, ys) = &sets[j];
                let cases: Vec<bool> = match rng.next(4) {
                    3 => {
                        x = CaseSet::full();
                        x.subtract_assign(&space, y);
                        ys.iter().map(|b| !*b).collect()
                    }
                    0 => {
                        x.union_owned(&space, y.clone());
                        xs.iter().zip(ys).map(|(a, b)| *a || *b).collect()
                    }
                    1 => {
                        x = x.intersect(&space, y);
                        xs.iter().zip(ys).map(|(a, b)| *a && *b).collect()
                    }
                    _ => {
                        x.subtract_assign(&space, y);
                        xs.iter().zip(ys).map(|(a, b)| *a && !*b).collect()
                    }
                };
                assert_disjoint_if_flagged(&x);
                if x.approx {
                    // Widened past `MAX_CUBES` (intersections of large
                    // overlapping sets): a superset, not compared.
                    continue;
                }
                for (p, want) in all.iter().zip(&cases) {
                    assert_eq!(x.contains(p), *want, "seed {seed}: {x:?} at {p:?}");
                }
                flagged += usize::from(x.disjoint && x.cubes.len() > 1);
                sets.push((x, cases));
            }
        }
        // The cheap insert is exercised, not only the full one.
        assert!(flagged > 200, "only {flagged} sets of several cubes were flagged disjoint");
    }

    #[test]
    fn the_cheap_insert_finds_what_the_full_insert_finds() {
        // A cube that merges with either of two: the first one takes it.
        let fixed = program_of(&["a and not b".into(), "not a and b".into(), "not a and not b".into(), "n == 3".into()]);
        let space = Space::new(&fixed);
        let sets: Vec<CaseSet> = fixed.tables[0].decision.whens().map(|(_, c)| cond_set(&space, c, false)).collect();
        let mut set = sets[0].clone();
        set.union_owned(&space, sets[1].clone());
        assert!(set.disjoint && set.cubes.len() == 2);
        let (mut cheap, mut full) = (set.clone(), set.clone());
        cheap.insert_disjoint(&space, sets[2].cubes[0].clone());
        full.insert_any(&space, sets[2].cubes[0].clone());
        assert_eq!(cheap.cubes, full.cubes);
        assert_eq!(cheap.cubes.len(), 2, "{:?}", cheap.cubes);
        // One that meets a cube of the set: not disjoint any more.
        set.union_owned(&space, sets[3].clone());
        assert!(!set.disjoint);

        let mut compared = 0;
        for seed in 0..40 {
            let mut rng = Lcg(1000 + seed);
            let program = program(&mut rng, 8);
            let space = Space::new(&program);
            let conds: Vec<CaseSet> = program.tables[0].decision.whens().map(|(_, c)| cond_set(&space, c, false)).collect();
            for (i, x) in conds.iter().enumerate() {
                // A disjoint set of several cubes and the cubes of another
                // condition outside it.
                let mut set = CaseSet::full();
                set.subtract_assign(&space, x);
                let mut outside = conds[(i + 1) % conds.len()].clone();
                outside.subtract_assign(&space, &set);
                assert!(set.disjoint);
                if !outside.disjoint {
                    continue;
                }
                // And cubes taken out of a disjoint set, put back.
                let mut rest = set.clone();
                rest.subtract_assign(&space, &conds[(i + 2) % conds.len()]);
                let mut taken = set.clone();
                taken.subtract_assign(&space, &rest);
                for (set, cubes) in [(&set, &outside.cubes), (&rest, &taken.cubes)] {
                    let (mut cheap, mut full) = (set.clone(), set.clone());
                    for c in cubes {
                        cheap.insert_disjoint(&space, c.clone());
                        full.insert_any(&space, c.clone());
                        compared += 1;
                    }
                    assert_eq!(cheap.cubes, full.cubes, "seed {seed}, condition {i}");
                }
            }
        }
        assert!(compared > 100, "only {compared} inserts compared");
    }
}
