//! The condition domain: exact sets of cases over the inputs of a program.
//!
//! The values of every input fall into finitely many *classes* that no
//! condition of the program tells apart ([`Space`]): a bool's two values, an
//! enum's variants, the intervals between the numbers an int or duration is
//! compared with, and for a string each literal it is compared with plus
//! "any other string". An [`AtomSet`] is a set of one input's classes, as
//! bits. A [`Cube`] constrains some inputs, each to a set that is neither
//! empty nor full; an input it does not constrain may take any value. A
//! cube is flat: a bit per input says which inputs it constrains, then
//! every input's class bits sit at the input's fixed offset (zero when
//! unconstrained), so that the operations of the analysis are a few word
//! operations per constrained input (docs/PERFORMANCE.md). A [`CaseSet`] is a union of cubes. The language has no
//! arithmetic, so every operation here is exact, except where a set
//! outgrows [`MAX_CUBES`]: then it is widened to a superset and marked
//! `approx`, which can still prove emptiness but not non-emptiness.

use smallvec::{smallvec, SmallVec};

use crate::ast::CmpOp;
use crate::model::{Cond, InputId, Pred, Program, Type};

/// Class bits of one input: two words inline (128 classes).
pub type Words = SmallVec<[u64; 2]>;
/// A cube's words: the mask words, then every input's class bits. Twelve
/// inline, always copied whole (a fixed copy is a few vector moves, a copy
/// of the used words a call to `memcpy`): the cubes of a project of a few
/// inputs never allocate. Words past the space's are zero.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CubeWords {
    Inline([u64; INLINE_WORDS]),
    Heap(Box<[u64]>),
}

const INLINE_WORDS: usize = 12;

impl CubeWords {
    /// `n` zero words.
    pub(super) fn zeros(n: usize) -> CubeWords {
        if n <= INLINE_WORDS {
            CubeWords::Inline([0; INLINE_WORDS])
        } else {
            CubeWords::Heap(vec![0; n].into_boxed_slice())
        }
    }
}

impl std::ops::Deref for CubeWords {
    type Target = [u64];

    #[inline]
    fn deref(&self) -> &[u64] {
        match self {
            CubeWords::Inline(w) => w,
            CubeWords::Heap(w) => w,
        }
    }
}

impl std::ops::DerefMut for CubeWords {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u64] {
        match self {
            CubeWords::Inline(w) => w,
            CubeWords::Heap(w) => w,
        }
    }
}

/// Beyond this many cubes a set is widened (see the module docs).
pub const MAX_CUBES: usize = 512;

/// The values one input may take: bit `k % 64` of word `k / 64` for class
/// `k` of the input ([`Space`]). Always as many words as the input's field.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AtomSet(pub(super) Words);

// Written out: the derived clone goes through `SmallVec`'s generic extend.
impl Clone for AtomSet {
    fn clone(&self) -> AtomSet {
        AtomSet(Words::from_slice(&self.0))
    }
}

/// The classes of one input's values.
#[derive(Clone, Debug)]
enum Classes {
    /// Bools (class 0 = false, 1 = true) and enums (class `i` = variant `i`).
    Variants,
    /// Ints and durations: class `k` is `starts[k]` to the next start less
    /// one (to `hi` for the last).
    Ints { starts: Vec<i64>, hi: i64 },
    /// Strings: class `k` is `lits[k]` (sorted); class `lits.len()` is every
    /// other string.
    Strs { lits: Vec<String> },
}

/// The domain of every input: its classes, and where its bits sit in a cube.
#[derive(Clone, Debug)]
pub struct Space {
    full: Vec<AtomSet>,
    types: Vec<Type>,
    classes: Vec<Classes>,
    /// Each input's first word in a cube, and its number of words.
    fields: Vec<(u32, u32)>,
    /// The input of each word after the mask words.
    owners: Vec<u32>,
    mask_words: usize,
    cube_words: usize,
}

/// A cube: see the module docs. Equal cubes have equal words.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cube {
    pub(super) w: CubeWords,
    /// A digest of the words, byte `i % 8` for input `i` (the inputs that
    /// share a byte folded together): two cubes whose digests differ in
    /// two bytes differ on two inputs, so they cannot merge, and inserting
    /// a cube into a set rejects most cubes there with one comparison
    /// (`sets`, `Cube::differs_once`). A function of `w`, kept up to date
    /// by the two places that write `w`: `Cube::update` and
    /// `Cube::intersect`.
    pub(super) sig: u64,
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

pub use crate::model::Value;

/// An input's set of values as written in messages: variants as bits,
/// numbers as sorted, disjoint, non-adjacent inclusive intervals, strings as
/// "one of" / "none of" (`negated`) a sorted list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetView {
    Variants(Words),
    Ints(Vec<(i64, i64)>),
    Strs { values: Vec<String>, negated: bool },
}

fn bits_len(n: usize) -> usize {
    n.div_ceil(64).max(1)
}

/// The first `n` classes.
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
    /// The class bits.
    pub fn words(&self) -> &[u64] {
        &self.0
    }

    pub(super) fn has(&self, class: usize) -> bool {
        self.0.get(class / 64).is_some_and(|w| w & (1 << (class % 64)) != 0)
    }

    /// The classes in the set, in order.
    pub(super) fn classes(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(k, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let b = w.trailing_zeros() as usize;
                    w &= w - 1;
                    k * 64 + b
                })
            })
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The set of class `class` alone, in the shape of `full`.
    pub(super) fn single(full: &AtomSet, class: usize) -> AtomSet {
        let mut w: Words = smallvec![0u64; full.0.len()];
        w[class / 64] = 1 << (class % 64);
        AtomSet(w)
    }

    pub fn intersect(&self, other: &AtomSet) -> AtomSet {
        AtomSet(self.0.iter().zip(&other.0).map(|(x, y)| x & y).collect())
    }

    /// The values of `full` not in `self`.
    pub fn complement(&self, full: &AtomSet) -> AtomSet {
        AtomSet(self.0.iter().zip(&full.0).map(|(x, f)| !x & f).collect())
    }

    /// Union of two sets of one input.
    pub fn union(&self, other: &AtomSet) -> AtomSet {
        AtomSet(self.0.iter().zip(&other.0).map(|(x, y)| x | y).collect())
    }
}

/// The numbers of `lo..=hi` that satisfy a comparison or membership, as
/// sorted, disjoint inclusive intervals (`None`: not a numeric predicate).
fn num_set(lo: i64, hi: i64, pred: &Pred) -> Option<Vec<(i64, i64)>> {
    let iv = match pred {
        Pred::Cmp(op, v) => {
            let v = *v;
            match op {
                CmpOp::Eq => vec![(v, v)],
                CmpOp::Ne => [v.checked_sub(1).map(|m| (lo, m)), v.checked_add(1).map(|m| (m, hi))].into_iter().flatten().collect(),
                CmpOp::Lt => v.checked_sub(1).map(|m| (lo, m)).into_iter().collect(),
                CmpOp::Le => vec![(lo, v)],
                CmpOp::Gt => v.checked_add(1).map(|m| (m, hi)).into_iter().collect(),
                CmpOp::Ge => vec![(v, hi)],
            }
        }
        Pred::NumIn(vals, negated) => {
            let mut v = vals.clone();
            v.sort();
            v.dedup();
            let mut iv: Vec<(i64, i64)> = v.into_iter().map(|n| (n, n)).collect();
            if *negated {
                let mut out = Vec::new();
                let mut next = Some(lo);
                for &(n, _) in &iv {
                    if let Some(m) = next {
                        if n > m {
                            out.push((m, n - 1));
                        }
                    }
                    next = n.checked_add(1);
                }
                if let Some(m) = next {
                    out.push((m, hi));
                }
                iv = out;
            }
            iv
        }
        _ => return None,
    };
    Some(iv.into_iter().map(|(a, b)| (a.max(lo), b.min(hi))).filter(|(a, b)| a <= b).collect())
}

/// Calls `f` on every atom of a condition.
fn walk(c: &Cond, f: &mut impl FnMut(InputId, &Pred)) {
    match c {
        Cond::Const(_) => {}
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| walk(c, f)),
        Cond::Not(c) => walk(c, f),
        Cond::Atom(a) => f(a.input, &a.pred),
    }
}

/// Every condition of the program: its flows' and tables' branches and its
/// `require` rules (the classes must tell apart whatever any of them does).
#[cfg(test)]
fn each_atom(program: &Program, f: &mut impl FnMut(InputId, &Pred)) {
    for d in program.flows.iter().flat_map(|fl| fl.steps.iter().map(|s| &s.decision)).chain(program.tables.iter().map(|t| &t.decision)) {
        for (_, c) in d.whens() {
            walk(c, f);
        }
    }
    for r in &program.requires {
        walk(&r.cond, f);
    }
    for c in program.resolutions.iter().filter_map(|r| r.cond.as_ref()) {
        walk(c, f);
    }
}

/// The numbers and strings each input is compared with anywhere in the
/// program (flows, tables, `require` rules, resolution targets): where its classes start. Read
/// in parallel, flow by flow and table by table (a serial walk over every
/// condition of a large project was a tenth of the analysis stage).
fn comparisons(program: &Program) -> (Vec<Vec<i64>>, Vec<Vec<String>>) {
    use rayon::prelude::*;
    let n = program.inputs.len();
    let empty = || (vec![Vec::new(); n], vec![Vec::<String>::new(); n]);
    let add = |(mut cuts, mut lits): (Vec<Vec<i64>>, Vec<Vec<String>>), c: &Cond| {
        walk(c, &mut |input, pred| match pred {
            // Where the set of the comparison starts or ends.
            Pred::Cmp(CmpOp::Lt | CmpOp::Ge, v) => cuts[input].push(*v),
            Pred::Cmp(CmpOp::Le | CmpOp::Gt, v) => cuts[input].extend(v.checked_add(1)),
            Pred::Cmp(CmpOp::Eq | CmpOp::Ne, v) => cuts[input].extend([Some(*v), v.checked_add(1)].into_iter().flatten()),
            Pred::NumIn(vals, _) => cuts[input].extend(vals.iter().flat_map(|v| [Some(*v), v.checked_add(1)]).flatten()),
            Pred::StrIn(vals, _) => lits[input].extend(vals.iter().cloned()),
            _ => {}
        });
        (cuts, lits)
    };
    let decisions: Vec<&crate::model::Decision> =
        program.flows.iter().flat_map(|fl| fl.steps.iter().map(|s| &s.decision)).chain(program.tables.iter().map(|t| &t.decision)).collect();
    let merge = |(mut c1, mut l1): (Vec<Vec<i64>>, Vec<Vec<String>>), (c2, l2): (Vec<Vec<i64>>, Vec<Vec<String>>)| {
        c1.iter_mut().zip(c2).for_each(|(a, b)| a.extend(b));
        l1.iter_mut().zip(l2).for_each(|(a, b)| a.extend(b));
        (c1, l1)
    };
    let found = decisions.par_iter().with_min_len(64).fold(empty, |acc, d| d.whens().fold(acc, |acc, (_, c)| add(acc, c))).reduce(empty, merge);
    let found = program.requires.iter().fold(found, |acc, r| add(acc, &r.cond));
    program.resolutions.iter().filter_map(|r| r.cond.as_ref()).fold(found, add)
}

impl Space {
    pub fn new(program: &Program) -> Space {
        let n = program.inputs.len();
        let types: Vec<Type> = program.inputs.iter().map(|i| i.ty).collect();
        let (cuts, mut lits) = comparisons(program);
        let classes: Vec<Classes> = types
            .iter()
            .enumerate()
            .map(|(i, ty)| {
                let range = match ty {
                    Type::Int { lo, hi } => (*lo, *hi),
                    Type::Duration => (0, i64::MAX),
                    Type::String => {
                        let mut l = std::mem::take(&mut lits[i]);
                        l.sort();
                        l.dedup();
                        return Classes::Strs { lits: l };
                    }
                    Type::Bool | Type::Enum(_) => return Classes::Variants,
                };
                let (lo, hi) = range;
                let mut starts: Vec<i64> = std::iter::once(lo).chain(cuts[i].iter().copied().filter(|c| lo < *c && *c <= hi)).collect();
                starts.sort();
                starts.dedup();
                Classes::Ints { starts, hi }
            })
            .collect();
        let count = |i: usize| match (&classes[i], types[i]) {
            (Classes::Variants, Type::Bool) => 2,
            (Classes::Variants, Type::Enum(e)) => program.enums[e].variants.len(),
            (Classes::Ints { starts, .. }, _) => starts.len(),
            (Classes::Strs { lits }, _) => lits.len() + 1,
            _ => 0,
        };
        let full: Vec<AtomSet> = (0..n).map(|i| AtomSet(full_bits(count(i)))).collect();
        let mask_words = bits_len(n);
        let mut at = mask_words;
        let fields = full
            .iter()
            .map(|f| {
                let field = (at as u32, f.0.len() as u32);
                at += f.0.len();
                field
            })
            .collect();
        let owners = full.iter().enumerate().flat_map(|(i, f)| std::iter::repeat_n(i as u32, f.0.len())).collect();
        Space { full, types, classes, fields, owners, mask_words, cube_words: at }
    }

    pub fn full(&self, input: InputId) -> &AtomSet {
        &self.full[input]
    }

    pub fn inputs(&self) -> usize {
        self.full.len()
    }

    /// Whether the input is a bool or an enum (its classes are its values).
    pub fn is_variants(&self, input: InputId) -> bool {
        matches!(self.classes[input], Classes::Variants)
    }

    /// The first word of an input's bits in a cube, and their number.
    #[inline]
    pub(super) fn field(&self, input: InputId) -> (usize, usize) {
        let (off, len) = self.fields[input];
        (off as usize, len as usize)
    }

    /// The input of each word after the mask words, in order.
    pub(super) fn owners(&self) -> &[u32] {
        &self.owners
    }

    pub(super) fn mask_words(&self) -> usize {
        self.mask_words
    }

    pub(super) fn cube_words(&self) -> usize {
        self.cube_words
    }

    /// The set of values of `input` that satisfy `pred`.
    pub fn pred_set(&self, input: InputId, pred: &Pred) -> AtomSet {
        let full = &self.full[input];
        let mut bits: Words = smallvec![0u64; full.0.len()];
        let mut put = |class: usize| {
            if let Some(w) = bits.get_mut(class / 64) {
                *w |= 1 << (class % 64);
            }
        };
        let negated = match (pred, &self.classes[input]) {
            (Pred::BoolIs(b), _) => {
                put(usize::from(*b));
                false
            }
            (Pred::EnumIn(vals, negated), _) => {
                vals.iter().for_each(|v| put(*v as usize));
                *negated
            }
            (Pred::StrIn(vals, negated), Classes::Strs { lits }) => {
                for v in vals {
                    // Every literal of the program has its class (`Space::new`).
                    if let Ok(k) = lits.binary_search(v) {
                        put(k);
                    }
                }
                *negated
            }
            (_, Classes::Ints { starts, hi }) => {
                // Every class lies wholly inside or outside the set: the
                // classes whose start is in an interval.
                for (a, b) in num_set(starts[0], *hi, pred).unwrap_or_default() {
                    (starts.partition_point(|s| *s < a)..starts.partition_point(|s| *s <= b)).for_each(&mut put);
                }
                false
            }
            _ => false,
        };
        let set = AtomSet(bits);
        if negated {
            set.complement(full)
        } else {
            set.intersect(full)
        }
    }

    /// The class of a value of `input`, if it is one of the input's values.
    fn class_of(&self, input: InputId, v: &Value) -> Option<usize> {
        match (&self.classes[input], v) {
            (Classes::Variants, Value::Bool(x)) => Some(usize::from(*x)),
            (Classes::Variants, Value::Variant(i)) => Some(*i as usize),
            (Classes::Ints { starts, hi }, Value::Num(x)) if starts[0] <= *x && x <= hi => Some(starts.partition_point(|s| s <= x) - 1),
            (Classes::Strs { lits }, Value::Str(s)) => Some(lits.binary_search(s).unwrap_or(lits.len())),
            _ => None,
        }
    }

    /// Whether `set` of `input` holds the value.
    pub fn contains(&self, input: InputId, set: &[u64], v: &Value) -> bool {
        self.class_of(input, v).is_some_and(|k| set.get(k / 64).is_some_and(|w| w & (1 << (k % 64)) != 0))
    }

    /// The numbers of class `k` of an int or duration input.
    fn interval(starts: &[i64], hi: i64, k: usize) -> (i64, i64) {
        (starts[k], starts.get(k + 1).map_or(hi, |s| s - 1))
    }

    /// A value of `set` for `input`, preferring `false`, the first variant,
    /// the number closest to zero, a listed string or a fresh one.
    pub fn pick(&self, input: InputId, set: &AtomSet) -> Value {
        match &self.classes[input] {
            Classes::Variants if self.types[input] == Type::Bool => Value::Bool(!set.has(0)),
            Classes::Variants => Value::Variant(set.classes().next().unwrap_or(0) as u32),
            Classes::Ints { starts, hi } => {
                let best = set
                    .classes()
                    .map(|k| {
                        let (lo, hi) = Space::interval(starts, *hi, k);
                        if lo <= 0 && 0 <= hi {
                            0
                        } else if lo > 0 {
                            lo
                        } else {
                            hi
                        }
                    })
                    .min_by_key(|n| n.unsigned_abs())
                    .unwrap_or(0);
                Value::Num(best)
            }
            // The first listed string of the set; without one, a fresh
            // string that is none of the listed strings outside the set.
            Classes::Strs { lits } if !set.has(lits.len()) => Value::Str(set.classes().next().and_then(|k| lits.get(k)).cloned().unwrap_or_default()),
            Classes::Strs { lits } => {
                let outside = |c: &str| lits.binary_search_by(|l| l.as_str().cmp(c)).is_ok_and(|k| !set.has(k));
                let mut candidate = "other".to_string();
                let mut n = 1;
                while outside(&candidate) {
                    candidate = format!("other_{n}");
                    n += 1;
                }
                Value::Str(candidate)
            }
        }
    }

    /// The values of `set` as written in messages.
    pub fn describe(&self, input: InputId, set: &AtomSet) -> SetView {
        match &self.classes[input] {
            Classes::Variants => SetView::Variants(set.0.clone()),
            Classes::Ints { starts, hi } => {
                let mut out: Vec<(i64, i64)> = Vec::new();
                for k in set.classes() {
                    let (lo, hi) = Space::interval(starts, *hi, k);
                    match out.last_mut() {
                        Some(last) if last.1.checked_add(1) == Some(lo) => last.1 = hi,
                        _ => out.push((lo, hi)),
                    }
                }
                SetView::Ints(out)
            }
            Classes::Strs { lits } => {
                let negated = set.has(lits.len());
                let values = lits.iter().enumerate().filter(|(k, _)| set.has(*k) != negated).map(|(_, l)| l.clone()).collect();
                SetView::Strs { values, negated }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The classes: every value of the declared range (and a few outside)
    //! is in a predicate's set exactly when the evaluator says it holds; the
    //! picked value is in the set and the one `pick` promises; messages show
    //! the set's values.
    use super::*;
    use crate::eval::pred_holds;

    fn program() -> Program {
        let text = r#"input n: int in -10 to 10
input d: duration
input s: string
input b: bool
input e: { x, y, z }
outcome o
table t {
  when n < 3 -> outcome o
  when n >= -2 and n <= 4 -> outcome o
  when n == 5 or n != 0 -> outcome o
  when n in { 1, 2, 7, 40 } -> outcome o
  when n not in { -10, 10 } -> outcome o
  when n > 8 -> outcome o
  when n > -20 -> outcome o
  when d <= 2h and d > 30m -> outcome o
  when s == "a" -> outcome o
  when s in { "b", "other" } -> outcome o
  when s not in { "a" } -> outcome o
  when b -> outcome o
  when e in { y, z } -> outcome o
}
"#;
        let mut sources = crate::source::SourceMap::default();
        let id = sources.add("t.sop".into(), text.into());
        let loaded = crate::project::Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
        crate::check::check(loaded).program.expect("the table resolves")
    }

    /// Every predicate of the program, with its input.
    fn atoms(p: &Program) -> Vec<(InputId, Pred)> {
        let mut out = Vec::new();
        each_atom(p, &mut |i, pred| out.push((i, pred.clone())));
        out
    }

    fn values(p: &Program, input: InputId) -> Vec<Value> {
        match p.inputs[input].ty {
            Type::Int { .. } => (-12..=12).map(Value::Num).collect(),
            Type::Duration => [0, 1, 1799, 1800, 1801, 7199, 7200, 7201, i64::MAX].into_iter().map(Value::Num).collect(),
            Type::String => ["", "a", "b", "c", "other", "other_1"].into_iter().map(|s| Value::Str(s.into())).collect(),
            Type::Bool => vec![Value::Bool(false), Value::Bool(true)],
            Type::Enum(_) => (0..3).map(Value::Variant).collect(),
        }
    }

    /// Whether `v` is a value of the input's declared type and range.
    fn in_range(p: &Program, input: InputId, v: &Value) -> bool {
        match (p.inputs[input].ty, v) {
            (Type::Int { lo, hi }, Value::Num(n)) => lo <= *n && *n <= hi,
            (Type::Duration, Value::Num(n)) => *n >= 0,
            _ => true,
        }
    }

    #[test]
    fn a_predicates_set_holds_the_values_it_holds_for() {
        let p = program();
        let space = Space::new(&p);
        let atoms = atoms(&p);
        assert!(atoms.len() >= 16, "{atoms:?}");
        for (input, pred) in &atoms {
            let set = space.pred_set(*input, pred);
            let not = set.complement(space.full(*input));
            for v in values(&p, *input) {
                let want = in_range(&p, *input, &v) && pred_holds(pred, &v);
                assert_eq!(space.contains(*input, set.words(), &v), want, "{pred:?} at {v:?}");
                assert_eq!(space.contains(*input, not.words(), &v), in_range(&p, *input, &v) && !want, "not {pred:?} at {v:?}");
            }
        }
    }

    #[test]
    fn the_picked_value_is_in_the_set_and_the_one_promised() {
        let p = program();
        let space = Space::new(&p);
        for (input, pred) in atoms(&p) {
            let set = space.pred_set(input, &pred);
            for set in [set.clone(), set.complement(space.full(input))] {
                let members: Vec<Value> = values(&p, input).into_iter().filter(|v| space.contains(input, set.words(), v)).collect();
                let picked = space.pick(input, &set);
                if members.is_empty() {
                    continue;
                }
                assert!(space.contains(input, set.words(), &picked), "{pred:?}: picked {picked:?} outside the set");
                let want = match (p.inputs[input].ty, space.describe(input, &set)) {
                    // The number closest to zero, the negative one of two.
                    (Type::Int { .. }, _) => members.iter().min_by_key(|v| match v {
                        Value::Num(n) => (n.unsigned_abs(), *n > 0),
                        _ => unreachable!(),
                    }),
                    // A fresh string for "none of", else the first listed.
                    (Type::String, SetView::Strs { negated: true, .. }) => members.iter().find(|v| matches!(v, Value::Str(s) if s.starts_with("other"))),
                    // `false`, the first variant, the shortest duration.
                    _ => members.first(),
                };
                assert_eq!(Some(&picked), want, "{pred:?} over {:?}", space.describe(input, &set));
            }
        }
        // A string set of every other string picks a fresh one.
        let s = 2;
        let other = space.pred_set(s, &Pred::StrIn(vec!["b".into(), "other".into()], true));
        assert_eq!(space.pick(s, &other), Value::Str("other_1".into()));
    }

    #[test]
    fn messages_show_the_values_of_a_set() {
        let p = program();
        let space = Space::new(&p);
        let n = space.pred_set(0, &Pred::Cmp(CmpOp::Ge, -2)).intersect(&space.pred_set(0, &Pred::Cmp(CmpOp::Le, 4)));
        let not_zero = n.intersect(&space.pred_set(0, &Pred::Cmp(CmpOp::Ne, 0)));
        assert_eq!(space.describe(0, &not_zero), SetView::Ints(vec![(-2, -1), (1, 4)]));
        assert_eq!(space.describe(0, space.full(0)), SetView::Ints(vec![(-10, 10)]));
        let d = space.pred_set(1, &Pred::Cmp(CmpOp::Gt, 1800));
        assert_eq!(space.describe(1, &d), SetView::Ints(vec![(1801, i64::MAX)]));
        let s = space.pred_set(2, &Pred::StrIn(vec!["a".into()], true));
        assert_eq!(space.describe(2, &s), SetView::Strs { values: vec!["a".into()], negated: true });
        let s = space.pred_set(2, &Pred::StrIn(vec!["other".into(), "b".into()], false));
        assert_eq!(space.describe(2, &s), SetView::Strs { values: vec!["b".into(), "other".into()], negated: false });
    }
}
