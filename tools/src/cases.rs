//! Generated cases for a program's flows and tables: a value for every
//! input, drawn near the literals its conditions test (so every branch is
//! met), with a share of nulls (missing inputs) and of values outside the
//! input's domain (bad rows). Written as JSON lines (dotted input names,
//! what `sopflow eval --cases` reads), CSV or Parquet (`_` for `.`, the
//! column names SQL wants). Deterministic from a seed.

use std::sync::Arc;

use sopflow::model::{Cond, Pred, Program, Type};

use crate::gen::Rng;

/// One generated value.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
}

enum Gen {
    Bool,
    Num { picks: Vec<i64>, lo: i64, hi: i64 },
    Variants(Vec<String>),
    Str(Vec<String>),
}

/// How to generate the cases of one program.
pub struct Cases {
    pub names: Vec<String>,
    gens: Vec<Gen>,
    types: Vec<Type>,
    /// Per mille of values left out, and of rows with one value outside its domain.
    pub nulls: u64,
    pub invalid: u64,
    /// Only these inputs, when set.
    kept: Option<Vec<usize>>,
}

fn literals(c: &Cond, nums: &mut Vec<Vec<i64>>, strs: &mut Vec<Vec<String>>) {
    match c {
        Cond::Const(_) => {}
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| literals(c, nums, strs)),
        Cond::Not(c) => literals(c, nums, strs),
        Cond::Atom(a) => match &a.pred {
            Pred::Cmp(_, n) => nums[a.input].extend([n.saturating_sub(1), *n, n.saturating_add(1)]),
            Pred::NumIn(vals, _) => nums[a.input].extend(vals),
            Pred::StrIn(vals, _) => strs[a.input].extend(vals.iter().cloned()),
            _ => {}
        },
    }
}

impl Cases {
    pub fn new(program: &Program) -> Cases {
        let n = program.inputs.len();
        let (mut nums, mut strs) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        let decisions = program.flows.iter().flat_map(|f| f.steps.iter().map(|s| &s.decision)).chain(program.tables.iter().map(|t| &t.decision));
        for d in decisions {
            for (_, c) in d.whens() {
                literals(c, &mut nums, &mut strs);
            }
        }
        for r in &program.requires {
            literals(&r.cond, &mut nums, &mut strs);
        }
        let gens = program
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| match input.ty {
                Type::Bool => Gen::Bool,
                Type::Int { lo, hi } => Gen::Num { picks: nums[i].iter().copied().filter(|v| (lo..=hi).contains(v)).collect(), lo, hi },
                Type::Duration => Gen::Num { picks: nums[i].iter().copied().filter(|v| *v >= 0).collect(), lo: 0, hi: 30 * 86_400 },
                Type::Enum(e) => Gen::Variants(program.enums[e].variants.clone()),
                Type::String => {
                    let mut s = strs[i].clone();
                    s.push("something else".into());
                    Gen::Str(s)
                }
            })
            .collect();
        Cases {
            names: program.inputs.iter().map(|i| i.name.clone()).collect(),
            gens,
            types: program.inputs.iter().map(|i| i.ty).collect(),
            nulls: 20,
            invalid: 2,
            kept: None,
        }
    }

    /// Generates only these inputs (the others are always null, and not written).
    pub fn keep(&mut self, inputs: &[usize]) {
        self.kept = Some(inputs.to_vec());
    }

    fn written(&self, i: usize) -> bool {
        self.kept.as_ref().is_none_or(|k| k.contains(&i))
    }

    /// One row: a value per input.
    pub fn row(&self, rng: &mut Rng) -> Vec<V> {
        let mut row: Vec<V> = self
            .gens
            .iter()
            .enumerate()
            .map(|(i, g)| {
                if !self.written(i) || rng.below(1000) < self.nulls {
                    return V::Null;
                }
                match g {
                    Gen::Bool => V::Bool(rng.below(2) == 0),
                    Gen::Num { picks, lo, hi } => {
                        if !picks.is_empty() && rng.below(5) > 0 {
                            V::Int(picks[rng.below(picks.len() as u64) as usize])
                        } else {
                            let span = (*hi as i128 - *lo as i128).clamp(0, 1000) as u64;
                            V::Int(lo + rng.below(span + 1) as i64)
                        }
                    }
                    Gen::Variants(vs) => V::Str(vs[rng.below(vs.len() as u64) as usize].clone()),
                    Gen::Str(vs) => V::Str(vs[rng.below(vs.len() as u64) as usize].clone()),
                }
            })
            .collect();
        let written: Vec<usize> = (0..row.len()).filter(|i| self.written(*i)).collect();
        if !written.is_empty() && rng.below(1000) < self.invalid {
            let i = written[rng.below(written.len() as u64) as usize];
            row[i] = match self.types[i] {
                Type::Enum(_) => V::Str("not_a_variant".into()),
                Type::Int { hi, .. } if hi < i64::MAX => V::Int(hi + 1),
                Type::Duration => V::Int(-1),
                _ => row[i].clone(),
            };
        }
        row
    }

    /// A row as CSV fields (null: empty), in the order of [`Self::columns`].
    pub fn fields(&self, row: &[V]) -> Vec<String> {
        row.iter()
            .enumerate()
            .filter(|(i, _)| self.written(*i))
            .map(|(_, v)| match v {
                V::Null => String::new(),
                V::Bool(b) => b.to_string(),
                V::Int(n) => n.to_string(),
                V::Str(s) => s.clone(),
            })
            .collect()
    }

    /// The column names of CSV and Parquet: `_` for `.`.
    pub fn columns(&self) -> Vec<String> {
        self.names.iter().enumerate().filter(|(i, _)| self.written(*i)).map(|(_, n)| n.replace('.', "_")).collect()
    }

    /// The Arrow type of each input's column.
    pub fn schema(&self, extra: &[&str]) -> arrow_schema::Schema {
        let types = self.types.iter().enumerate().filter(|(i, _)| self.written(*i)).map(|(_, t)| t);
        let mut fields: Vec<arrow_schema::Field> = self
            .columns()
            .into_iter()
            .zip(types)
            .map(|(name, ty)| {
                let dt = match ty {
                    Type::Bool => arrow_schema::DataType::Boolean,
                    Type::Int { .. } | Type::Duration => arrow_schema::DataType::Int64,
                    _ => arrow_schema::DataType::Utf8,
                };
                arrow_schema::Field::new(name, dt, true)
            })
            .collect();
        fields.extend(extra.iter().map(|n| arrow_schema::Field::new(*n, arrow_schema::DataType::Utf8, true)));
        arrow_schema::Schema::new(fields)
    }
}

/// Columns of rows as an Arrow record batch (`extra`: string columns after the inputs).
pub fn batch(cases: &Cases, schema: &Arc<arrow_schema::Schema>, rows: &[Vec<V>], extra: &[Vec<Option<String>>]) -> arrow_array::RecordBatch {
    use arrow_array::{ArrayRef, BooleanArray, Int64Array, StringArray};
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (i, ty) in cases.types.iter().enumerate() {
        if !cases.written(i) {
            continue;
        }
        let col: ArrayRef = match ty {
            Type::Bool => Arc::new(rows.iter().map(|r| if let V::Bool(b) = r[i] { Some(b) } else { None }).collect::<BooleanArray>()),
            Type::Int { .. } | Type::Duration => Arc::new(rows.iter().map(|r| if let V::Int(n) = r[i] { Some(n) } else { None }).collect::<Int64Array>()),
            _ => Arc::new(rows.iter().map(|r| if let V::Str(s) = &r[i] { Some(s.as_str()) } else { None }).collect::<StringArray>()),
        };
        columns.push(col);
    }
    for e in extra {
        columns.push(Arc::new(e.iter().map(|s| s.as_deref()).collect::<StringArray>()));
    }
    arrow_array::RecordBatch::try_new(schema.clone(), columns).expect("columns match the schema")
}

/// A row as a JSON object keyed by dotted input names (nulls left out).
pub fn json(cases: &Cases, row: &[V], extra: &[(&str, Option<&str>)]) -> String {
    let mut map = serde_json::Map::new();
    for (i, (name, v)) in cases.names.iter().zip(row).enumerate() {
        if !cases.written(i) {
            continue;
        }
        let j = match v {
            V::Null => continue,
            V::Bool(b) => serde_json::Value::Bool(*b),
            V::Int(n) => serde_json::Value::from(*n),
            V::Str(s) => serde_json::Value::String(s.clone()),
        };
        map.insert(name.clone(), j);
    }
    for (k, v) in extra {
        if let Some(v) = v {
            map.insert(k.to_string(), serde_json::Value::String(v.to_string()));
        }
    }
    serde_json::Value::Object(map).to_string()
}

/// A row as a case of `program`, as `eval` takes it (a value outside its
/// input's domain, such as an unknown variant, is left out).
pub fn eval_case(program: &Program, row: &[V]) -> Vec<Option<sopflow::model::Value>> {
    use sopflow::model::Value;
    row.iter()
        .zip(&program.inputs)
        .map(|(v, input)| match (v, input.ty) {
            (V::Bool(b), _) => Some(Value::Bool(*b)),
            (V::Int(n), _) => Some(Value::Num(*n)),
            (V::Str(s), Type::Enum(e)) => program.enums[e].variants.iter().position(|x| x == s).map(|i| Value::Variant(i as u32)),
            (V::Str(s), _) => Some(Value::Str(s.clone())),
            (V::Null, _) => None,
        })
        .collect()
}
