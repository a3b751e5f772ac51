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
    let mut out = declarations(categories.max(20));
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
        let text: Vec<String> =
            (0..flows_per_file).map(|j| clean_flow(&format!("flow_{k}_{j}"), steps_per_flow, seed + (k * flows_per_file + j) as u64)).collect();
        out.push((format!("flows_{k:03}.sop"), text.join("\n")));
    }
    out
}

/// A flow without declarations, as a real SOP is built: each step ends the
/// cases of one category above a strike threshold (lower each time the
/// category comes back), sends verified sellers of another category a few
/// steps ahead, and passes the rest on. Nothing in it is dead or ambiguous,
/// and its reaching sets stay as small as the number of categories. At most
/// 200 steps (the thresholds must keep falling).
pub fn clean_flow(name: &str, steps: usize, seed: u64) -> String {
    routed_flow(name, steps, seed, Style::Dense)
}

/// [`clean_flow`]'s routing in a [`Style`]: `Realistic` adds market
/// conditions to the exits, `instructions`, doc comments and blank lines.
fn routed_flow(name: &str, steps: usize, seed: u64, style: Style) -> String {
    let mut rng = Rng::new(seed);
    let realistic = style == Style::Realistic;
    let mut out = if realistic {
        format!("/// Generated flow {name}: marketplace listing review, stage by stage.\nflow {name} {{\n  start s0\n")
    } else {
        format!("/// Generated flow {name}.\nflow {name} {{\n  start s0\n")
    };
    for i in 0..steps {
        if realistic {
            out.push('\n');
            if i % 3 == 0 {
                out.push_str(&format!("  /// Stage {i}: the specialist checks the listing against the category rules.\n"));
            }
        }
        let within = if i % 10 == 0 { " within 24h" } else { "" };
        out.push_str(&format!("  step s{i} \"Review stage {i}\"{within} {{\n"));
        if realistic && i % 2 == 0 {
            out.push_str(&format!("    instructions \"Open the listing and the seller history; compare with the stage {i} checklist.\"\n"));
        }
        if i + 1 == steps {
            out.push_str("    otherwise -> outcome allow\n");
        } else {
            let exit = i % 20;
            let threshold = 100 - 10 * ((i / 20) % 10);
            let jump = (i * 7 + 3) % 20;
            let skip = (i + 2 + rng.below(3) as usize).min(steps - 1);
            let markets = if realistic { ["market in { ID, VN } and ", "market != SG and ", "market in { MY, PH, TH } and "][i % 3] } else { "" };
            out.push_str(&format!("    when {markets}category == c{exit} and seller.strikes >= {threshold} -> escalate review -> outcome suspend\n"));
            out.push_str(&format!("    when category == c{jump} and seller.verified -> s{skip}\n"));
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

/// The defects `corpus` can plant, with the code each must be reported as.
pub const PLANTED: [&str; 9] = [
    "conflicting-outcomes",
    "overlapping-branches",
    "non-exhaustive",
    "unreachable-step",
    "dead-branch",
    "shadowed-branch",
    "missing-escalation",
    "missing-timeout",
    "cycle",
];

/// One planted defect of each kind, named with `k`; each defect's line ends
/// with `// planted: CODE`.
pub fn planted(k: usize) -> String {
    format!(
        "flow planted_conflict_{k} {{\n  start s\n  step s {{\n    when market == ID -> outcome allow\n    when category == c1 -> outcome remove // planted: conflicting-outcomes\n    otherwise -> outcome hold\n  }}\n}}\n\n\
         table planted_overlap_{k} {{\n  when market == ID -> outcome hold\n  when category == c2 -> outcome hold // planted: overlapping-branches\n  otherwise -> outcome allow\n}}\n\n\
         table planted_gap_{k} {{ // planted: non-exhaustive\n  when seller.strikes < 10 -> outcome allow\n  when seller.strikes > 10 -> outcome hold\n}}\n\n\
         flow planted_orphan_{k} {{\n  start s\n  step s {{\n    otherwise -> outcome allow\n  }}\n  step orphan {{ // planted: unreachable-step\n    otherwise -> outcome hold\n  }}\n}}\n\n\
         table planted_dead_{k} first {{\n  when market == ID and market == VN -> outcome hold // planted: dead-branch\n  otherwise -> outcome allow\n}}\n\n\
         table planted_shadow_{k} first {{\n  when seller.strikes >= 10 -> outcome hold\n  when seller.strikes >= 20 -> outcome remove // planted: shadowed-branch\n  otherwise -> outcome allow\n}}\n\n\
         flow planted_escalation_{k} {{\n  start s\n  step s {{\n    when seller.strikes >= 50 -> outcome suspend // planted: missing-escalation\n    otherwise -> outcome allow\n  }}\n}}\n\n\
         flow planted_timeout_{k} {{\n  start s\n  step s within 24h {{ // planted: missing-timeout\n    otherwise -> outcome allow\n  }}\n}}\n\n\
         flow planted_cycle_{k} {{\n  start a\n  step a {{\n    when seller.verified -> b\n    otherwise -> outcome allow\n  }}\n  step b {{\n    otherwise -> a // planted: cycle\n  }}\n}}\n"
    )
}

/// How a generated corpus reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Like the example policies (`policies/`): a blank line between steps,
    /// doc comments on some steps, `instructions` on every other step.
    Realistic,
    /// Nothing but branches: the parser's and the analysis's worst case per line.
    Dense,
}

/// Categories declared by a corpus: enough for its largest table (5,000
/// rules over six markets and ten strike bands).
const CORPUS_CATEGORIES: usize = 100;

/// A project of about `lines` lines: shared declarations, files of three
/// flows (20 to 200 steps each, with a test), every tenth file a decision
/// table of 10 to 5,000 rules (the fourth, fourteenth, …), and `plant` copies of each defect of
/// [`PLANTED`], each on a line marked `// planted: CODE`. Apart from those it
/// checks clean. Deterministic from `seed`.
pub fn corpus(lines: usize, seed: u64, plant: usize) -> Vec<(String, String)> {
    corpus_styled(lines, seed, plant, Style::Realistic)
}

/// [`corpus`] in a chosen [`Style`].
pub fn corpus_styled(lines: usize, seed: u64, plant: usize, style: Style) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let mut out = vec![("decls.sop".to_string(), declarations(CORPUS_CATEGORIES))];
    let mut total = out[0].1.lines().count();
    for k in 0..plant {
        let text = planted(k);
        total += text.lines().count();
        out.push((format!("planted_{k:04}.sop"), text));
    }
    let mut n = 0;
    while total < lines {
        let (name, text) = if n % 10 == 3 {
            let rules = (10 + rng.below(5000) as usize).min((lines / 10).max(10));
            (format!("table_{n:05}.sop"), table_only(&format!("rules_{n}"), rules, seed + n as u64))
        } else {
            let mut text = String::new();
            // A file of flows, each 20 to 200 steps, and a test per flow.
            for j in 0..3 {
                let steps = 20 + rng.below(181) as usize;
                let name = format!("flow_{n}_{j}");
                let flow_seed = seed + (n * 3 + j) as u64;
                text.push_str(&match style {
                    Style::Realistic => sop_flow(&name, steps, flow_seed),
                    Style::Dense => clean_flow(&name, steps, flow_seed),
                });
                text.push_str(&format!(
                    "\ntest \"{name} lets a first-time seller through\" {{\n  run flow {name}\n  given {{ market: SG, category: c19, seller.strikes: 0, seller.verified: false }}\n  expect outcome allow\n}}\n\n"
                ));
            }
            (format!("flows_{n:05}.sop"), text)
        };
        total += text.lines().count();
        out.push((name, text));
        n += 1;
    }
    out
}

/// A flow written the way the example policies are: [`clean_flow`]'s routing
/// (so it checks clean), with market conditions, `instructions`, doc
/// comments and a blank line between steps.
pub fn sop_flow(name: &str, steps: usize, seed: u64) -> String {
    routed_flow(name, steps, seed, Style::Realistic)
}

/// A unique table without declarations (see [`table`]).
pub fn table_only(name: &str, rules: usize, seed: u64) -> String {
    let full = table_with(rules, seed, false, true);
    let start = full.find("table big").unwrap_or(0);
    full[start..].replacen("table big", &format!("table {name}"), 1)
}

/// A defect planted in generated files, found by its `// planted: CODE` mark.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Planted {
    /// The file's name.
    pub file: String,
    /// 1-based line of the mark.
    pub line: usize,
    pub code: String,
    /// The flow or table the line belongs to (the last one declared above it).
    pub owner: String,
}

/// Every planted defect of a generated project (see [`corpus`]).
pub fn planted_marks(files: &[(String, String)]) -> Vec<Planted> {
    let mut out = Vec::new();
    for (name, text) in files {
        let mut owner = "";
        for (n, line) in text.lines().enumerate() {
            if let Some(rest) = line.strip_prefix("flow ").or_else(|| line.strip_prefix("table ")) {
                owner = rest.split_whitespace().next().unwrap_or("");
            }
            if let Some(code) = line.split("// planted: ").nth(1) {
                out.push(Planted { file: name.clone(), line: n + 1, code: code.trim().to_string(), owner: owner.to_string() });
            }
        }
    }
    out
}

/// `(file name, line, code)` of each finding of a `check --format json` report.
pub fn reported(report: &serde_json::Value) -> Vec<(String, usize, String)> {
    report["diagnostics"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    let file = d["file"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_string();
                    (file, d["line"].as_u64().unwrap_or(0) as usize, d["code"].as_str().unwrap_or("").to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}
