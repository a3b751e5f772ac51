//! Operations on cubes and case sets, conditions to sets, and the search for
//! a point of a region that a list of cubes does not cover.

use super::domain::{AtomSet, CaseSet, Cube, CubeWords, Space, Value, MAX_CUBES};
use crate::model::{Cond, InputId};

/// A concrete case: a value for every input of the program.
pub type Point = Vec<Value>;

/// How many regions `uncovered` may split before it gives up (and the
/// question goes to the solver, `analysis::sat`).
pub const SPLIT_BUDGET: usize = 5_000;

/// The inputs whose bits are set in mask words, in order.
struct Inputs<'a> {
    words: &'a [u64],
    k: usize,
    cur: u64,
}

impl Iterator for Inputs<'_> {
    type Item = InputId;

    #[inline]
    fn next(&mut self) -> Option<InputId> {
        while self.cur == 0 {
            self.k += 1;
            self.cur = *self.words.get(self.k)?;
        }
        let b = self.cur.trailing_zeros() as usize;
        self.cur &= self.cur - 1;
        Some(self.k * 64 + b)
    }
}

fn inputs_of(words: &[u64]) -> Inputs<'_> {
    Inputs { words, k: 0, cur: words.first().copied().unwrap_or(0) }
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

/// Input `input`'s part of a cube's digest ([`Cube`]'s `sig`), from its
/// class bits (zero when unconstrained, as the bits are then).
#[inline]
fn field_sig(input: InputId, field: &[u64]) -> u64 {
    let mut h = 0u64;
    for &x in field {
        h = (h ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    (h >> 56) << (8 * (input % 8))
}

impl Cube {
    pub fn full(space: &Space) -> Cube {
        Cube { w: CubeWords::zeros(space.cube_words()), sig: 0 }
    }

    /// The digest of the cube's words, computed afresh (what `sig` holds).
    pub(super) fn digest(&self, space: &Space) -> u64 {
        self.inputs(space).fold(0, |h, input| {
            let (off, len) = space.field(input);
            h ^ field_sig(input, &self.w[off..off + len])
        })
    }

    /// Whether the cube constrains `input`.
    #[inline]
    pub fn constrains(&self, input: InputId) -> bool {
        self.w[input / 64] & (1 << (input % 64)) != 0
    }

    /// The constrained inputs, in order.
    pub fn inputs<'a>(&'a self, space: &Space) -> impl Iterator<Item = InputId> + 'a {
        inputs_of(&self.w[..space.mask_words()])
    }

    /// The class bits of a constrained input.
    pub fn field<'a>(&'a self, space: &Space, input: InputId) -> Option<&'a [u64]> {
        let (off, len) = space.field(input);
        self.constrains(input).then(|| &self.w[off..off + len])
    }

    pub fn get(&self, space: &Space, input: InputId) -> Option<AtomSet> {
        self.field(space, input).map(|f| AtomSet(f.into()))
    }

    /// The values `input` may take in the cube.
    pub fn values(&self, space: &Space, input: InputId) -> AtomSet {
        self.get(space, input).unwrap_or_else(|| space.full(input).clone())
    }

    /// Sets `input`'s bits to `f(k, word k)` for each of its words (word `k`
    /// of the full set when unconstrained): unconstrained when that is the
    /// full set; `false` when it is empty, and the cube is then void.
    #[inline]
    fn update(&mut self, space: &Space, input: InputId, f: impl Fn(usize, u64) -> u64) -> bool {
        let (off, len) = space.field(input);
        let full = space.full(input).words();
        let w: &mut [u64] = &mut self.w;
        let bit = 1 << (input % 64);
        let was = w[input / 64] & bit != 0;
        let field = &mut w[off..off + len];
        let before = field_sig(input, field);
        let (mut any, mut all) = (0, true);
        for (k, (x, f_k)) in field.iter_mut().zip(full).enumerate() {
            let v = f(k, if was { *x } else { *f_k });
            *x = v;
            any |= v;
            all &= v == *f_k;
        }
        if any == 0 {
            // Void (the field is all zeros, its part of the digest none).
            self.sig ^= before;
            return false;
        }
        if all {
            field.iter_mut().for_each(|x| *x = 0);
            w[input / 64] &= !bit;
        } else {
            w[input / 64] |= bit;
        }
        self.sig ^= before ^ field_sig(input, &self.w[off..off + len]);
        true
    }

    /// Sets `input` to `set` (unconstrained when full); `false` when empty.
    fn set(&mut self, space: &Space, input: InputId, set: &AtomSet) -> bool {
        self.update(space, input, |k, _| set.0[k])
    }

    pub fn atom(space: &Space, input: InputId, set: AtomSet) -> Option<Cube> {
        let mut c = Cube::full(space);
        c.set(space, input, &set).then_some(c)
    }

    pub fn intersect(&self, space: &Space, other: &Cube) -> Option<Cube> {
        let mut out = self.clone();
        let (o, b): (&mut [u64], &[u64]) = (&mut out.w, &other.w);
        for k in 0..space.mask_words() {
            let (mine, mut theirs) = (o[k], b[k]);
            while theirs != 0 {
                let bit = theirs & theirs.wrapping_neg();
                theirs &= theirs - 1;
                let (off, len) = space.field(k * 64 + bit.trailing_zeros() as usize);
                let (x, y) = (&mut o[off..off + len], &b[off..off + len]);
                if mine & bit != 0 {
                    let mut any = 0;
                    for (x, y) in x.iter_mut().zip(y) {
                        *x &= y;
                        any |= *x;
                    }
                    if any == 0 {
                        return None;
                    }
                } else {
                    x.copy_from_slice(y);
                }
            }
            o[k] |= b[k];
        }
        out.sig = out.digest(space);
        Some(out)
    }

    /// Whether the two cubes share a case, without building the meet: on
    /// every input both constrain, their bits share one.
    #[inline]
    pub fn meets(&self, space: &Space, other: &Cube) -> bool {
        let (a, b): (&[u64], &[u64]) = (&self.w, &other.w);
        for k in 0..space.mask_words() {
            let mut common = a[k] & b[k];
            while common != 0 {
                let input = k * 64 + common.trailing_zeros() as usize;
                common &= common - 1;
                let (off, len) = space.field(input);
                let meet = if len == 1 { a[off] & b[off] != 0 } else { a[off..off + len].iter().zip(&b[off..off + len]).any(|(x, y)| x & y != 0) };
                if !meet {
                    return false;
                }
            }
        }
        true
    }

    /// How `self` stands to `other`, from one walk over the inputs either
    /// constrains (inserting a cube into a set asks all three questions of
    /// every cube there; three walks were a third of the analysis).
    pub(super) fn relate(&self, space: &Space, other: &Cube) -> Relation {
        let (a, b): (&[u64], &[u64]) = (&self.w, &other.w);
        let m = space.mask_words();
        // An input only one cube constrains is full in the other.
        let (mut only_mine, mut only_theirs) = (0, 0);
        for k in 0..m {
            only_mine += (a[k] & !b[k]).count_ones();
            only_theirs += (b[k] & !a[k]).count_ones();
        }
        let mut r = Relation { within: only_theirs == 0, holds: only_mine == 0, differing: 0, on: 0 };
        // Neither holds the other and two inputs are constrained by one cube
        // only: they differ on two inputs, and nothing more is asked.
        if !r.within && !r.holds && only_mine + only_theirs >= 2 {
            r.differing = 2;
            return r;
        }
        for k in 0..m {
            let (mine, theirs) = (a[k], b[k]);
            let mut either = mine | theirs;
            while either != 0 {
                let bit = either & either.wrapping_neg();
                either &= either - 1;
                let input = k * 64 + bit.trailing_zeros() as usize;
                if mine & theirs & bit != 0 {
                    let (off, len) = space.field(input);
                    let (x, y) = (&a[off..off + len], &b[off..off + len]);
                    let within = x.iter().zip(y).all(|(x, y)| x & !y == 0);
                    let holds = x.iter().zip(y).all(|(x, y)| y & !x == 0);
                    if within && holds {
                        continue;
                    }
                    r.within &= within;
                    r.holds &= holds;
                }
                r.differing += 1;
                r.on = input;
                if r.differing > 1 && !r.within && !r.holds {
                    return r;
                }
            }
        }
        r
    }

    /// The one input on which `self` and `other` differ, if there is
    /// exactly one (`relate`'s `differing == 1`, without its other answers).
    /// An input constrained by one cube only has bits in that one only, so
    /// the cubes differ on exactly the inputs whose words differ.
    #[inline]
    fn differs_once(&self, space: &Space, other: &Cube) -> Option<InputId> {
        debug_assert!(self.sig == self.digest(space) && other.sig == other.digest(space), "a cube's digest is its words'");
        // Digests that differ in two bytes: two inputs differ.
        let d = self.sig ^ other.sig;
        if d != 0 && d >> (d.trailing_zeros() & !7) > 0xFF {
            return None;
        }
        let (a, b): (&[u64], &[u64]) = (&self.w, &other.w);
        // Two inputs that only one of the cubes constrains.
        let m = space.mask_words();
        let mut one_sided = 0;
        for k in 0..m {
            one_sided += (a[k] ^ b[k]).count_ones();
        }
        if one_sided >= 2 {
            return None;
        }
        let mut on = None;
        for ((x, y), &i) in a[m..].iter().zip(&b[m..]).zip(space.owners()) {
            if x != y {
                match on {
                    None => on = Some(i as usize),
                    Some(j) if j == i as usize => {}
                    Some(_) => return None,
                }
            }
        }
        on
    }

    /// The union of `self` and `other`, which differ on `input` only.
    fn merged_on(mut self, space: &Space, other: &Cube, input: InputId) -> Cube {
        self.unite_on(space, other, input);
        self
    }

    /// Widens `input` to the values it may take in `self` or in `other`.
    fn unite_on(&mut self, space: &Space, other: &Cube, input: InputId) {
        let (off, _) = space.field(input);
        let full = space.full(input).words();
        let theirs = other.constrains(input);
        self.update(space, input, |k, mine| mine | if theirs { other.w[off + k] } else { full[k] });
    }

    pub fn is_subset(&self, space: &Space, other: &Cube) -> bool {
        (0..space.mask_words()).all(|k| other.w[k] & !self.w[k] == 0)
            && other.inputs(space).all(|input| {
                let (off, len) = space.field(input);
                (off..off + len).all(|j| self.w[j] & !other.w[j] == 0)
            })
    }

    /// `self` minus `other`, as disjoint cubes pushed onto `out`.
    pub fn subtract_into(&self, space: &Space, other: &Cube, out: &mut Vec<Cube>) {
        if !self.meets(space, other) {
            out.push(self.clone());
            return;
        }
        let mut rest = self.clone();
        for input in other.inputs(space) {
            let (off, _) = space.field(input);
            let mut piece = rest.clone();
            if piece.update(space, input, |k, mine| mine & !other.w[off + k]) {
                out.push(piece);
            }
            if !rest.update(space, input, |k, mine| mine & other.w[off + k]) {
                return;
            }
        }
    }

    pub fn contains(&self, space: &Space, point: &Point) -> bool {
        self.inputs(space).all(|i| {
            let (off, len) = space.field(i);
            space.contains(i, &self.w[off..off + len], &point[i])
        })
    }

    /// A concrete case of this cube.
    pub fn pick(&self, space: &Space) -> Point {
        (0..space.inputs()).map(|i| space.pick(i, &self.values(space, i))).collect()
    }
}

impl CaseSet {
    pub fn empty() -> CaseSet {
        CaseSet::default()
    }

    pub fn full(space: &Space) -> CaseSet {
        CaseSet { cubes: vec![Cube::full(space)], approx: false, disjoint: true }
    }

    pub fn is_empty(&self) -> bool {
        self.cubes.is_empty()
    }

    /// Whether the two sets share a case, without building their meet
    /// (`!a.meets(b)` is `a.intersect(b).is_empty()`).
    pub fn meets(&self, space: &Space, other: &CaseSet) -> bool {
        self.cubes.iter().any(|a| other.cubes.iter().any(|b| a.meets(space, b)))
    }

    pub fn contains(&self, space: &Space, point: &Point) -> bool {
        self.cubes.iter().any(|c| c.contains(space, point))
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
            _ => self.disjoint && other.disjoint && !self.meets(space, &other),
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
            let Some((k, on)) = self.cubes.iter().enumerate().find_map(|(k, mine)| Some((k, c.differs_once(space, mine)?))) else {
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
                let r = c.relate(space, mine);
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
                    self.cubes.retain(|mine| !mine.is_subset(space, &c));
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
                if a.meets(space, b) {
                    out.cubes.extend(a.intersect(space, b));
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
        let hit: Vec<Cube> = self.cubes.extract_if(.., |a| other.cubes.iter().any(|b| a.meets(space, b))).collect();
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
            let constrained: Vec<InputId> = hull.inputs(space).collect();
            for input in constrained {
                hull.unite_on(space, c, input);
            }
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
                CaseSet::full(space)
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
                let mut acc = CaseSet::full(space);
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
    let mut cube = Cube::full(space);
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
        if !cube.update(space, a.input, |k, have| have & set.0[k]) {
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
    let first: Vec<usize> = (0..cover.len()).filter(|&k| cover[k].meets(space, region)).collect();
    let mut stack = vec![(region.clone(), first)];
    let mut budget = SPLIT_BUDGET;
    while let Some((r, cands)) = stack.pop() {
        if budget == 0 {
            return Uncovered::Unknown;
        }
        budget -= 1;
        let cands: Vec<usize> = cands.into_iter().filter(|&k| cover[k].meets(space, &r)).collect();
        let Some(&k) = cands.first() else { return Uncovered::Found(r) };
        if cands.iter().any(|&k| r.is_subset(space, cover[k])) {
            continue;
        }
        // Split `r` on the first input where the cube does not cover it
        // (an input `r` leaves free is never covered: the cube constrains it).
        let c = cover[k];
        let Some(input) = c.inputs(space).find(|&i| {
            let (off, len) = space.field(i);
            !r.constrains(i) || (off..off + len).any(|w| r.w[w] & !c.w[w] != 0)
        }) else {
            continue;
        };
        let (off, _) = space.field(input);
        let mut inside = r.clone();
        let mut outside = r;
        let has_in = inside.update(space, input, |k, mine| mine & c.w[off + k]);
        let has_out = outside.update(space, input, |k, mine| mine & !c.w[off + k]);
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
        Cond::Atom(a) => space.contains(a.input, space.pred_set(a.input, &a.pred).words(), &point[a.input]),
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
    fn program(rng: &mut Lcg, count: usize, fillers: usize) -> Program {
        let conds: Vec<String> = (0..count).map(|_| (0..=rng.next(3)).map(|_| atom(rng)).collect::<Vec<_>>().join(" and ")).collect();
        program_with(&conds, fillers)
    }

    /// A program whose table has these conditions.
    fn program_of(conds: &[String]) -> Program {
        program_with(conds, 0)
    }

    /// The same, after `fillers` bool inputs that no condition reads (66
    /// put the four inputs past the first mask word, and a cube's words
    /// on the heap).
    fn program_with(conds: &[String], fillers: usize) -> Program {
        let mut text: String = (0..fillers).map(|i| format!("input f{i}: bool\n")).collect();
        text += "input a: bool\ninput b: bool\ninput k: { x, y, z }\ninput n: int in 0 to 5\noutcome o\ntable t {\n";
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
    fn points(fillers: usize) -> Vec<Point> {
        let mut out = Vec::new();
        for a in [false, true] {
            for b in [false, true] {
                for k in 0..3 {
                    for n in 0..=5 {
                        let mut p = vec![Value::Bool(false); fillers];
                        p.extend([Value::Bool(a), Value::Bool(b), Value::Variant(k), Value::Num(n)]);
                        out.push(p);
                    }
                }
            }
        }
        out
    }

    fn assert_disjoint_if_flagged(space: &Space, set: &CaseSet) {
        if set.disjoint {
            for (i, x) in set.cubes.iter().enumerate() {
                for y in &set.cubes[i + 1..] {
                    assert!(!x.meets(space, y), "flagged disjoint, yet {x:?} meets {y:?}");
                }
            }
        }
    }

    #[test]
    fn sets_flagged_disjoint_are_and_keep_their_cases() {
        // With 66 more inputs, the inputs read sit in a cube's second mask
        // word, and the cubes on the heap.
        for fillers in [0, 66] {
            sets_flagged_disjoint_with(fillers);
        }
    }

    fn sets_flagged_disjoint_with(fillers: usize) {
        let all = points(fillers);
        let mut flagged = 0;
        for seed in 0..40 {
            let mut rng = Lcg(seed);
            let program = program(&mut rng, 8, fillers);
            let space = Space::new(&program);
            assert_eq!((space.mask_words(), matches!(Cube::full(&space).w, CubeWords::Heap(_))), if fillers > 0 { (2, true) } else { (1, false) });
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
                        x = CaseSet::full(&space);
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
                assert_disjoint_if_flagged(&space, &x);
                if x.approx {
                    // Widened past `MAX_CUBES` (intersections of large
                    // overlapping sets): a superset, not compared.
                    continue;
                }
                for (p, want) in all.iter().zip(&cases) {
                    assert_eq!(x.contains(&space, p), *want, "seed {seed}: {x:?} at {p:?}");
                }
                flagged += usize::from(x.disjoint && x.cubes.len() > 1);
                sets.push((x, cases));
            }
        }
        // The cheap insert is exercised, not only the full one.
        assert!(flagged > 200, "only {flagged} sets of several cubes were flagged disjoint ({fillers} more inputs)");
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
            let program = program(&mut rng, 8, 0);
            let space = Space::new(&program);
            let conds: Vec<CaseSet> = program.tables[0].decision.whens().map(|(_, c)| cond_set(&space, c, false)).collect();
            for (i, x) in conds.iter().enumerate() {
                // A disjoint set of several cubes and the cubes of another
                // condition outside it.
                let mut set = CaseSet::full(&space);
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
