//! Generators of large, realistic policy sources for benchmarks: a decision
//! table of many rules over eight inputs, and a long flow. Deterministic from
//! a seed; the output checks clean unless a defect is planted.

/// A small deterministic random generator (no dependency, stable across versions).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

const MARKETS: [&str; 6] = ["ID", "MY", "PH", "SG", "TH", "VN"];

/// Declarations of the eight inputs the generated rules read.
pub fn declarations(categories: usize) -> String {
    let cats: Vec<String> = (0..categories).map(|i| format!("c{i}")).collect();
    format!(
        "enum Market {{ {} }}\n\
         input market: Market\n\
         input category: {{ {} }}\n\
         input seller.strikes: int in 0 to 100\n\
         input seller.verified: bool\n\
         input order.value: int in 0 to 1_000_000\n\
         input report.age: duration\n\
         input channel: {{ app, web, api, partner }}\n\
         input risk: {{ minimal, low, medium, high, severe }}\n\
         team review\n\
         outcome allow\n\
         outcome hold {{ severity low }}\n\
         outcome remove {{ severity medium }}\n\
         outcome suspend {{ severity high requires escalation }}\n",
        MARKETS.join(", "),
        cats.join(", ")
    )
}

/// A unique table of `rules` rules: one per (market, category, strike band),
/// exclusive by construction, with an `otherwise`. Conditions also read the
/// other inputs so that every rule constrains several of the eight.
pub fn table(rules: usize, seed: u64) -> String {
    table_with(rules, seed, false, true)
}

/// [`table`] with a choice of `first` (the order decides) and `otherwise`
/// (without it, the gap search runs over the whole table).
pub fn table_with(rules: usize, seed: u64, first: bool, otherwise: bool) -> String {
    let mut rng = Rng::new(seed);
    let bands = 10usize;
    let categories = rules.div_ceil(MARKETS.len() * bands).max(1);
    let mut out = declarations(categories);
    out.push_str(if first { "table big first {\n" } else { "table big {\n" });
    let mut n = 0;
    'outer: for c in 0..categories {
        for m in MARKETS {
            for b in 0..bands {
                if n == rules {
                    break 'outer;
                }
                let lo = b * 10;
                let extra = match rng.below(4) {
                    0 => format!(" and (seller.verified or order.value < {})", 1000 * (1 + rng.below(50))),
                    1 => format!(" and report.age <= {}h and channel != api", 1 + rng.below(72)),
                    2 => format!(" and risk in {{ {}, severe }}", ["low", "medium", "high"][rng.below(3) as usize]),
                    _ => String::new(),
                };
                let target = ["outcome allow", "outcome hold", "outcome remove", "escalate review -> outcome suspend"][rng.below(4) as usize];
                out.push_str(&format!(
                    "  when market == {m} and category == c{c} and seller.strikes >= {lo} and seller.strikes < {}{extra} -> {target}\n",
                    lo + 10
                ));
                n += 1;
            }
        }
    }
    if otherwise {
        out.push_str("  otherwise -> outcome hold\n");
    }
    out.push_str("}\n");
    out
}

/// A project of `files` files: the declarations, then `flows_per_file`
/// flows of `steps_per_flow` steps in each other file. It checks clean (each
/// exit takes one distinct kind of case, so no later branch is dead), apart
/// from warnings about the declared inputs it does not read.
pub fn project(files: usize, flows_per_file: usize, steps_per_flow: usize, seed: u64) -> Vec<(String, String)> {
    let mut out = vec![("decls.sop".to_string(), declarations(20))];
    for k in 0..files.saturating_sub(1) {
        let text: Vec<String> = (0..flows_per_file)
            .map(|j| clean_flow(&format!("flow_{k}_{j}"), steps_per_flow, seed + (k * flows_per_file + j) as u64))
            .collect();
        out.push((format!("flows_{k:03}.sop"), text.join("\n")));
    }
    out
}

/// A flow without declarations whose steps each end one distinct kind of
/// case and route another onward (each by its own order value, so no branch
/// is ever drained by an earlier one).
pub fn clean_flow(name: &str, steps: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = format!("/// Generated flow {name}.\nflow {name} {{\n  start s0\n");
    for i in 0..steps {
        let within = if i % 10 == 0 { " within 24h" } else { "" };
        out.push_str(&format!("  step s{i} \"Review stage {i}\"{within} {{\n"));
        if i + 1 == steps {
            out.push_str("    otherwise -> outcome allow\n");
        } else {
            let (c, m) = (i % 20, MARKETS[(i / 20) % 6]);
            let skip = (i + 2 + rng.below(3) as usize).min(steps - 1);
            out.push_str(&format!("    when market == {m} and category == c{c} and order.value == {} -> escalate review -> outcome suspend\n", 2 * i));
            out.push_str(&format!("    when category == c{} and seller.strikes >= {} and order.value == {} -> s{skip}\n", rng.below(20), rng.below(50), 2 * i + 1));
            out.push_str(&format!("    otherwise -> s{}\n", i + 1));
        }
        if !within.is_empty() {
            out.push_str("    timeout -> escalate review\n");
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// A flow of `steps` steps: each step routes some cases onward (to the next
/// steps) and ends the others, with a timeout every tenth step. The random
/// exits drain some markets early, so many later branches are dead: a
/// stress test for reporting.
pub fn flow(steps: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut out = declarations(20);
    out.push_str("flow long {\n  start s0\n");
    for i in 0..steps {
        let last = i + 1 == steps;
        let within = if i % 10 == 0 { " within 24h" } else { "" };
        out.push_str(&format!("  step s{i} \"Step {i}\"{within} {{\n"));
        if last {
            out.push_str("    otherwise -> outcome allow\n");
        } else {
            let next = i + 1;
            let skip = (i + 2 + rng.below(3) as usize).min(steps - 1);
            let m = MARKETS[rng.below(6) as usize];
            let k = rng.below(100);
            out.push_str(&format!("    when market == {m} and seller.strikes >= {k} -> escalate review -> outcome suspend\n"));
            out.push_str(&format!("    when market != {m} and category == c{} -> s{skip}\n", rng.below(20)));
            out.push_str(&format!("    otherwise -> s{next}\n"));
        }
        if !within.is_empty() {
            out.push_str("    timeout -> escalate review\n");
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}
