//! The condition domain: exact sets of cases over the inputs of a program.
//!
//! A [`Cube`] constrains some inputs, each to an [`AtomSet`] (bools and enums
//! as bit sets, ints and durations as interval sets within their declared
//! range, strings as "one of" / "none of" a list of literals); an input it
//! does not mention may take any value. A [`CaseSet`] is a union of cubes.
//! The language has no arithmetic, so every operation here is exact, except
//! where a set outgrows [`MAX_CUBES`]: then it is widened to a superset and
//! marked `approx`, which can still prove emptiness but not non-emptiness.

use smallvec::{smallvec, SmallVec};

use crate::ast::CmpOp;
use crate::model::{InputId, Pred, Program, Type};

/// Bit words of a bool or enum set: two words inline (128 variants).
pub type Words = SmallVec<[u64; 2]>;
/// Interval lists: one interval inline (an atom set stays 32 bytes).
pub type Intervals = SmallVec<[(i64, i64); 1]>;
/// A cube's constrained inputs: four inline, so that the cubes of typical
/// conditions are built, cloned and dropped without allocating.
pub type Atoms = SmallVec<[(InputId, AtomSet); 4]>;

/// Beyond this many cubes a set is widened (see the module docs).
pub const MAX_CUBES: usize = 512;

/// 128 bits as two words: a `u128` field would align atom sets to 16 bytes
/// and make every cube a quarter larger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bits128([u64; 2]);

impl Bits128 {
    fn new(b: u128) -> Bits128 {
        Bits128([b as u64, (b >> 64) as u64])
    }

    fn get(self) -> u128 {
        u128::from(self.0[0]) | u128::from(self.0[1]) << 64
    }
}

/// The values one input may take.
#[derive(Debug, Eq)]
pub enum AtomSet {
    /// Bools (bit 0 = false, bit 1 = true) and enums of at most 128
    /// variants (bit `i` = variant `i`): one word pair, so that the cube
    /// operations of the analysis are single instructions on them.
    Small(Bits128),
    /// Enums of more variants: bit `i % 64` of word `i / 64`.
    Bits(Words),
    /// Sorted, disjoint, non-adjacent inclusive intervals.
    Ints(Intervals),
    /// `negated == false`: one of `values`; `true`: none of them. Sorted.
    Strs { values: Box<[String]>, negated: bool },
}

// Written out rather than derived: the derived forms go through the generic
// `SmallVec` extend and `memcmp` paths, which dominated the analysis profile
// for sets of one or two words.
impl Clone for AtomSet {
    fn clone(&self) -> AtomSet {
        match self {
            AtomSet::Small(b) => AtomSet::Small(*b),
            AtomSet::Bits(b) => AtomSet::Bits(Words::from_slice(b)),
            AtomSet::Ints(iv) => AtomSet::Ints(Intervals::from_slice(iv)),
            AtomSet::Strs { values, negated } => AtomSet::Strs { values: values.clone(), negated: *negated },
        }
    }
}

impl PartialEq for AtomSet {
    fn eq(&self, other: &AtomSet) -> bool {
        match (self, other) {
            (AtomSet::Small(a), AtomSet::Small(b)) => a == b,
            (AtomSet::Bits(a), AtomSet::Bits(b)) => a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y),
            (AtomSet::Ints(a), AtomSet::Ints(b)) => a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y),
            (AtomSet::Strs { values: a, negated: na }, AtomSet::Strs { values: b, negated: nb }) => na == nb && a == b,
            _ => false,
        }
    }
}

impl std::hash::Hash for AtomSet {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            AtomSet::Small(b) => b.hash(state),
            AtomSet::Bits(b) => b.as_slice().hash(state),
            AtomSet::Ints(iv) => iv.as_slice().hash(state),
            AtomSet::Strs { values, negated } => (values, negated).hash(state),
        }
    }
}

/// The domain of every input, from its declared type.
#[derive(Clone, Debug)]
pub struct Space {
    full: Vec<AtomSet>,
    types: Vec<Type>,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Cube {
    /// Constrained inputs, sorted by id, never full.
    pub(super) atoms: Atoms,
    /// Bit `input % 64` set for every constrained input: a cheap necessary
    /// test for subset and merge (see `sets`). Always derived from `atoms`.
    pub(super) mask: u64,
}

// Written out: the derived clone goes through `SmallVec`'s generic extend,
// which was a tenth of the analysis profile.
impl Clone for Cube {
    fn clone(&self) -> Cube {
        let mut atoms = Atoms::new();
        if self.atoms.len() > atoms.inline_size() {
            atoms.reserve_exact(self.atoms.len());
        }
        for (input, set) in &self.atoms {
            atoms.push((*input, set.clone()));
        }
        Cube { atoms, mask: self.mask }
    }
}

#[derive(Clone, Debug)]
pub struct CaseSet {
    pub cubes: Vec<Cube>,
    /// A superset of the true set (widened or built from a widened set).
    pub approx: bool,
    /// Known to hold no two cubes that share a case. Then no cube can hold
    /// another, and adding cubes only asks for merges (`sets`). `false`
    /// says nothing: it only costs the full comparisons.
    pub(super) disjoint: bool,
}

impl Default for CaseSet {
    /// The empty set, disjoint (it has no two cubes at all).
    fn default() -> CaseSet {
        CaseSet { cubes: Vec::new(), approx: false, disjoint: true }
    }
}

/// A concrete value of one input.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Bool(bool),
    /// Int, or duration in seconds.
    Num(i64),
    Variant(u32),
    Str(String),
}

fn bits_len(n: usize) -> usize {
    n.div_ceil(64).max(1)
}

/// All `n` variants of a bool or enum.
fn full_set(n: usize) -> AtomSet {
    match n {
        0..=127 => AtomSet::Small(Bits128::new((1u128 << n) - 1)),
        128 => AtomSet::Small(Bits128::new(u128::MAX)),
        _ => AtomSet::Bits(full_bits(n)),
    }
}

fn full_bits(n: usize) -> Words {
    let mut v: Words = smallvec![u64::MAX; bits_len(n)];
    let rem = n % 64;
    if rem != 0 {
        *v.last_mut().unwrap() = (1u64 << rem) - 1;
    }
    if n == 0 {
        v[0] = 0;
    }
    v
}

impl AtomSet {
    /// The variants of a bool or enum set as bit words (bit `i % 64` of word
    /// `i / 64` for variant `i`); `None` for other sets.
    pub fn bit_words(&self) -> Option<Words> {
        match self {
            AtomSet::Small(b) => Some(smallvec![b.0[0], b.0[1]]),
            AtomSet::Bits(w) => Some(w.clone()),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            AtomSet::Small(b) => b.get() == 0,
            AtomSet::Bits(b) => b.iter().all(|w| *w == 0),
            AtomSet::Ints(iv) => iv.is_empty(),
            AtomSet::Strs { values, negated } => !negated && values.is_empty(),
        }
    }

    pub fn intersect(&self, other: &AtomSet) -> AtomSet {
        match (self, other) {
            (AtomSet::Small(a), AtomSet::Small(b)) => AtomSet::Small(Bits128::new(a.get() & b.get())),
            (AtomSet::Bits(a), AtomSet::Bits(b)) => AtomSet::Bits(a.iter().zip(b).map(|(x, y)| x & y).collect()),
            (AtomSet::Ints(a), AtomSet::Ints(b)) => {
                let mut out = Intervals::new();
                let (mut i, mut j) = (0, 0);
                while i < a.len() && j < b.len() {
                    let lo = a[i].0.max(b[j].0);
                    let hi = a[i].1.min(b[j].1);
                    if lo <= hi {
                        out.push((lo, hi));
                    }
                    if a[i].1 < b[j].1 {
                        i += 1;
                    } else {
                        j += 1;
                    }
                }
                AtomSet::Ints(out)
            }
            (AtomSet::Strs { values: a, negated: na }, AtomSet::Strs { values: b, negated: nb }) => match (na, nb) {
                (false, false) => AtomSet::Strs { values: a.iter().filter(|x| b.binary_search(x).is_ok()).cloned().collect::<Vec<_>>().into(), negated: false },
                (false, true) => AtomSet::Strs { values: a.iter().filter(|x| b.binary_search(x).is_err()).cloned().collect::<Vec<_>>().into(), negated: false },
                (true, false) => AtomSet::Strs { values: b.iter().filter(|x| a.binary_search(x).is_err()).cloned().collect::<Vec<_>>().into(), negated: false },
                (true, true) => {
                    let mut v: Vec<String> = a.iter().chain(b).cloned().collect();
                    v.sort();
                    v.dedup();
                    AtomSet::Strs { values: v.into(), negated: true }
                }
            },
            _ => self.clone(),
        }
    }

    /// Whether the two sets share a value (without building the meet).
    pub fn meets(&self, other: &AtomSet) -> bool {
        match (self, other) {
            (AtomSet::Small(a), AtomSet::Small(b)) => a.get() & b.get() != 0,
            (AtomSet::Bits(a), AtomSet::Bits(b)) => a.iter().zip(b).any(|(x, y)| x & y != 0),
            (AtomSet::Ints(a), AtomSet::Ints(b)) => {
                let (mut i, mut j) = (0, 0);
                while i < a.len() && j < b.len() {
                    if a[i].0.max(b[j].0) <= a[i].1.min(b[j].1) {
                        return true;
                    }
                    if a[i].1 < b[j].1 {
                        i += 1;
                    } else {
                        j += 1;
                    }
                }
                false
            }
            (AtomSet::Strs { values: a, negated: false }, AtomSet::Strs { values: b, negated: false }) => {
                a.iter().any(|x| b.binary_search(x).is_ok())
            }
            (AtomSet::Strs { values: a, negated: false }, AtomSet::Strs { values: b, negated: true })
            | (AtomSet::Strs { values: b, negated: true }, AtomSet::Strs { values: a, negated: false }) => {
                a.iter().any(|x| b.binary_search(x).is_err())
            }
            (AtomSet::Strs { .. }, AtomSet::Strs { .. }) => true,
            _ => false,
        }
    }

    /// The values of `full` not in `self`.
    pub fn complement(&self, full: &AtomSet) -> AtomSet {
        match (self, full) {
            (AtomSet::Small(a), AtomSet::Small(f)) => AtomSet::Small(Bits128::new(!a.get() & f.get())),
            (AtomSet::Bits(a), AtomSet::Bits(f)) => AtomSet::Bits(a.iter().zip(f).map(|(x, y)| !x & y).collect()),
            (AtomSet::Ints(a), AtomSet::Ints(f)) => {
                let (lo, hi) = (f[0].0, f[f.len() - 1].1);
                let mut out = Intervals::new();
                let mut next = Some(lo);
                for &(a_lo, a_hi) in a {
                    if let Some(n) = next {
                        if a_lo > n {
                            out.push((n, a_lo - 1));
                        }
                    }
                    next = a_hi.checked_add(1);
                }
                if let Some(n) = next {
                    if n <= hi {
                        out.push((n, hi));
                    }
                }
                AtomSet::Ints(out)
            }
            (AtomSet::Strs { values, negated }, _) => AtomSet::Strs { values: values.clone(), negated: !negated },
            _ => self.clone(),
        }
    }

    /// Whether `self` ⊆ `other` and whether `other` ⊆ `self` (both when
    /// equal), at once for bools and small enums.
    pub fn order(&self, other: &AtomSet) -> (bool, bool) {
        match (self, other) {
            (AtomSet::Small(a), AtomSet::Small(b)) => {
                let (a, b) = (a.get(), b.get());
                (a & !b == 0, b & !a == 0)
            }
            _ if self == other => (true, true),
            _ => (self.is_subset(other), other.is_subset(self)),
        }
    }

    pub fn is_subset(&self, other: &AtomSet) -> bool {
        match (self, other) {
            (AtomSet::Small(a), AtomSet::Small(b)) => a.get() & !b.get() == 0,
            (AtomSet::Bits(a), AtomSet::Bits(b)) => a.iter().zip(b).all(|(x, y)| x & !y == 0),
            (AtomSet::Ints(a), AtomSet::Ints(b)) => {
                let mut j = 0;
                for &(lo, hi) in a {
                    while j < b.len() && b[j].1 < lo {
                        j += 1;
                    }
                    if j == b.len() || b[j].0 > lo || b[j].1 < hi {
                        return false;
                    }
                }
                true
            }
            (AtomSet::Strs { values: a, negated: false }, AtomSet::Strs { values: b, negated: false }) => {
                a.iter().all(|x| b.binary_search(x).is_ok())
            }
            (AtomSet::Strs { values: a, negated: false }, AtomSet::Strs { values: b, negated: true }) => {
                a.iter().all(|x| b.binary_search(x).is_err())
            }
            (AtomSet::Strs { negated: true, .. }, AtomSet::Strs { negated: false, .. }) => false,
            (AtomSet::Strs { values: a, negated: true }, AtomSet::Strs { values: b, negated: true }) => {
                b.iter().all(|x| a.binary_search(x).is_ok())
            }
            _ => false,
        }
    }

    pub fn contains(&self, v: &Value) -> bool {
        match (self, v) {
            (AtomSet::Small(b), Value::Bool(x)) => b.get() & (1 << (*x as u32)) != 0,
            (AtomSet::Small(b), Value::Variant(i)) => *i < 128 && b.get() & (1 << i) != 0,
            (AtomSet::Bits(b), Value::Bool(x)) => b[0] & (1 << (*x as u64)) != 0,
            (AtomSet::Bits(b), Value::Variant(i)) => b.get(*i as usize / 64).is_some_and(|w| w & (1 << (i % 64)) != 0),
            (AtomSet::Ints(iv), Value::Num(n)) => iv.iter().any(|(lo, hi)| lo <= n && n <= hi),
            (AtomSet::Strs { values, negated }, Value::Str(s)) => values.binary_search(s).is_ok() != *negated,
            _ => false,
        }
    }

    /// Union of two sets of one input (used to widen).
    pub fn union(&self, other: &AtomSet, full: &AtomSet) -> AtomSet {
        self.complement(full).intersect(&other.complement(full)).complement(full)
    }
}

impl Space {
    pub fn new(program: &Program) -> Space {
        let full = program
            .inputs
            .iter()
            .map(|i| match i.ty {
                Type::Bool => AtomSet::Small(Bits128::new(0b11)),
                Type::Enum(e) => full_set(program.enums[e].variants.len()),
                Type::Int { lo, hi } => AtomSet::Ints(smallvec![(lo, hi)]),
                Type::Duration => AtomSet::Ints(smallvec![(0, i64::MAX)]),
                Type::String => AtomSet::Strs { values: Box::default(), negated: true },
            })
            .collect();
        Space { full, types: program.inputs.iter().map(|i| i.ty).collect() }
    }

    pub fn full(&self, input: InputId) -> &AtomSet {
        &self.full[input]
    }

    pub fn inputs(&self) -> usize {
        self.full.len()
    }

    /// The set of values of `input` that satisfy `pred`.
    pub fn pred_set(&self, input: InputId, pred: &Pred) -> AtomSet {
        let full = &self.full[input];
        let set = match pred {
            Pred::BoolIs(b) => AtomSet::Small(Bits128::new(1 << (*b as u32))),
            Pred::Cmp(op, v) => {
                let v = *v;
                let (lo, hi) = match full {
                    AtomSet::Ints(f) => (f[0].0, f[f.len() - 1].1),
                    _ => (i64::MIN, i64::MAX),
                };
                let iv: Intervals = match op {
                    CmpOp::Eq => smallvec![(v, v)],
                    CmpOp::Ne => {
                        let mut out = Intervals::new();
                        if v > lo {
                            out.push((lo, v - 1));
                        }
                        if v < hi {
                            out.push((v + 1, hi));
                        }
                        return AtomSet::Ints(out).intersect(full);
                    }
                    CmpOp::Lt => match v.checked_sub(1) {
                        Some(m) => smallvec![(lo, m)],
                        None => Intervals::new(),
                    },
                    CmpOp::Le => smallvec![(lo, v)],
                    CmpOp::Gt => match v.checked_add(1) {
                        Some(m) => smallvec![(m, hi)],
                        None => Intervals::new(),
                    },
                    CmpOp::Ge => smallvec![(v, hi)],
                };
                let iv: Intervals = iv.into_iter().filter(|(a, b)| a <= b).collect();
                AtomSet::Ints(iv)
            }
            Pred::NumIn(vals, negated) => {
                let mut v = vals.clone();
                v.sort();
                v.dedup();
                let mut iv = Intervals::new();
                for n in v {
                    match iv.last_mut() {
                        Some(last) if last.1.checked_add(1) == Some(n) => last.1 = n,
                        _ => iv.push((n, n)),
                    }
                }
                let set = AtomSet::Ints(iv);
                if *negated {
                    return set.complement(full);
                }
                set
            }
            Pred::EnumIn(vals, negated) if matches!(full, AtomSet::Small(_)) => {
                let bits = vals.iter().filter(|v| **v < 128).fold(0u128, |b, v| b | 1 << v);
                let set = AtomSet::Small(Bits128::new(bits));
                if *negated {
                    return set.complement(full);
                }
                set
            }
            Pred::EnumIn(vals, negated) => {
                let AtomSet::Bits(f) = full else { return full.clone() };
                let mut bits: Words = smallvec![0u64; f.len()];
                for v in vals {
                    if let Some(w) = bits.get_mut(*v as usize / 64) {
                        *w |= 1 << (v % 64);
                    }
                }
                let set = AtomSet::Bits(bits);
                if *negated {
                    return set.complement(full);
                }
                set
            }
            Pred::StrIn(vals, negated) => {
                let mut v = vals.clone();
                v.sort();
                v.dedup();
                AtomSet::Strs { values: v.into(), negated: *negated }
            }
        };
        set.intersect(full)
    }

    /// A value of `set` for `input`, preferring `false`, the first variant,
    /// the number closest to zero, a listed string or a fresh one.
    pub fn pick(&self, input: InputId, set: &AtomSet) -> Value {
        match set {
            AtomSet::Small(b) if self.types[input] == Type::Bool => Value::Bool(b.get() & 1 == 0),
            AtomSet::Small(b) => Value::Variant(if b.get() == 0 { 0 } else { b.get().trailing_zeros() }),
            AtomSet::Bits(b) if self.types[input] == Type::Bool => Value::Bool(b[0] & 1 == 0),
            AtomSet::Bits(b) => {
                let i = b.iter().enumerate().find(|(_, w)| **w != 0).map(|(i, w)| i * 64 + w.trailing_zeros() as usize).unwrap_or(0);
                Value::Variant(i as u32)
            }
            AtomSet::Ints(iv) => {
                let best = iv
                    .iter()
                    .map(|&(lo, hi)| if lo <= 0 && 0 <= hi { 0 } else if lo > 0 { lo } else { hi })
                    .min_by_key(|n| n.unsigned_abs())
                    .unwrap_or(0);
                Value::Num(best)
            }
            AtomSet::Strs { values, negated: false } => Value::Str(values.first().cloned().unwrap_or_default()),
            AtomSet::Strs { values, negated: true } => {
                let mut candidate = "other".to_string();
                let mut n = 1;
                while values.binary_search(&candidate).is_ok() {
                    candidate = format!("other_{n}");
                    n += 1;
                }
                Value::Str(candidate)
            }
        }
    }
}
