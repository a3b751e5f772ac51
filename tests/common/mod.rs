//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};

use sopflow::check::{check, CheckResult};

/// Checks a file or folder as its own project.
pub fn check_path(path: &Path) -> CheckResult {
    check(sopflow::project::load(&[path.to_path_buf()]).expect("fixture exists"))
}

/// Checks a source text given as one file named `name`, without a disk.
pub fn check_source(name: &str, text: &str) -> CheckResult {
    let mut sources = sopflow::source::SourceMap::default();
    let id = sources.add(name.into(), text.to_string());
    check(sopflow::project::Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] })
}

/// Every case of a suite folder: `.sop` files and folders, sorted.
pub fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir).map(|rd| rd.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    out.retain(|p| p.is_dir() || p.extension().is_some_and(|e| e == "sop"));
    out.sort();
    out
}

/// `(file name, line, code, level)` of what a check found.
pub fn found(result: &CheckResult) -> Vec<(String, usize, String, String)> {
    let mut out: Vec<_> = result
        .diagnostics
        .iter()
        .map(|d| {
            let file = result.sources.get(d.span.file);
            let (line, _) = file.line_col(d.span.start as usize);
            let name = Path::new(&file.path).file_name().unwrap().to_string_lossy().into_owned();
            (name, line, d.code.as_str().to_string(), d.level.as_str().to_string())
        })
        .collect();
    out.sort();
    out
}

/// `(file name, line, code, level or "")` of what a case says it expects,
/// from `// expect: code[:level], …` comments (`#` in TOML); witness
/// expressions after ` witness:` are left to the witness tests.
pub fn expected(case: &Path) -> Vec<(String, usize, String, String)> {
    let files: Vec<PathBuf> = if case.is_dir() { walk(case) } else { vec![case.to_path_buf()] };
    let mut out = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (n, line) in text.lines().enumerate() {
            let Some(pos) = line.find("expect:") else { continue };
            let before = &line[..pos];
            if !(before.trim_end().ends_with("//") || before.trim_end().ends_with('#')) {
                continue;
            }
            let body = line[pos + "expect:".len()..].split(" witness:").next().unwrap();
            for item in body.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (code, level) = item.split_once(':').unwrap_or((item, ""));
                out.push((name.clone(), n + 1, code.trim().to_string(), level.trim().to_string()));
            }
        }
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|e| e == "sop") || p.file_name().is_some_and(|n| n == "sopflow.toml") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Compares found with expected (levels only where the case names one).
pub fn compare(case: &Path, result: &CheckResult) -> Result<(), String> {
    let want = expected(case);
    let got = found(result);
    let got_cmp: Vec<_> = got.iter().map(|(f, l, c, _)| (f.clone(), *l, c.clone())).collect();
    let want_cmp: Vec<_> = want.iter().map(|(f, l, c, _)| (f.clone(), *l, c.clone())).collect();
    if got_cmp != want_cmp {
        return Err(format!("{}:\n  expected {want_cmp:?}\n  found    {got:?}", case.display()));
    }
    for ((_, _, _, want_level), (_, _, _, level)) in want.iter().zip(&got) {
        if !want_level.is_empty() && want_level != level {
            return Err(format!("{}: level {level}, expected {want_level}", case.display()));
        }
    }
    Ok(())
}

/// The codes a text's `// expect:` comments claim.
pub fn expected_text(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(pos) = line.find("expect:") else { continue };
        let body = line[pos + "expect:".len()..].split(" witness:").next().unwrap();
        out.extend(body.split(',').map(|s| s.trim().split(':').next().unwrap().to_string()).filter(|s| !s.is_empty()));
    }
    out
}

/// A test whose external consumer (Neovim, Graphviz, Node tools) is missing:
/// under `CI=true` (which `.ci/run` sets, after installing every consumer)
/// that is a failure; elsewhere the skip is written straight to the
/// terminal's standard error, past the test harness's capture, so that it
/// is seen.
pub fn skip(reason: &str) {
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}; .ci/run installs it, and a skipped test fails CI");
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\nSKIPPED: {reason} (under CI=true this fails)");
}

/// A small deterministic generator for the random-program tests.
pub struct Lcg(pub u64);

impl Lcg {
    /// A number below `n`.
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A finding's witness as the JSON a user gets (`check --format json`).
pub fn witness_json(d: &sopflow::diagnostics::Diagnostic) -> serde_json::Map<String, serde_json::Value> {
    serde_json::to_value(d.witness.as_ref().expect("a witness")).unwrap().as_object().expect("an object").clone()
}

/// A small domain for brute force: two booleans, a three-variant enum and
/// a number from 0 to 5, a team and two outcomes.
pub const SMALL_HEADER: &str = "input a: bool\ninput b: bool\ninput k: { x, y, z }\ninput n: int in 0 to 5\nteam t\noutcome o1\noutcome o2\n";

/// Every case of [`SMALL_HEADER`]'s domain.
pub fn small_cases() -> Vec<sopflow::eval::Case> {
    use sopflow::analysis::domain::Value;
    let mut out = Vec::new();
    for a in [false, true] {
        for b in [false, true] {
            for k in 0..3 {
                for n in 0..=5 {
                    out.push(vec![Some(Value::Bool(a)), Some(Value::Bool(b)), Some(Value::Variant(k)), Some(Value::Num(n))]);
                }
            }
        }
    }
    out
}

fn small_atom(rng: &mut Lcg) -> String {
    match rng.next(6) {
        0 => "a".into(),
        1 => "not b".into(),
        2 => format!("k == {}", ["x", "y", "z"][rng.next(3) as usize]),
        3 => format!("n {} {}", ["<", ">=", "=="][rng.next(3) as usize], rng.next(6)),
        4 => format!("k != {}", ["x", "y", "z"][rng.next(3) as usize]),
        _ => "b".into(),
    }
}

/// A random condition over [`SMALL_HEADER`]'s inputs, nested up to `depth`.
pub fn small_cond(rng: &mut Lcg, depth: u32) -> String {
    if depth == 0 || rng.next(3) == 0 {
        return small_atom(rng);
    }
    match rng.next(3) {
        0 => format!("{} and {}", small_cond(rng, depth - 1), small_cond(rng, depth - 1)),
        1 => format!("({} or {})", small_cond(rng, depth - 1), small_cond(rng, depth - 1)),
        _ => format!("not ({})", small_cond(rng, depth - 1)),
    }
}

/// A random flow `f` of three `first` steps over [`SMALL_HEADER`]: one to
/// three `when` rules each (conditions nested up to `depth`) sending cases
/// to a later step or an outcome, an `otherwise`, and on some steps a
/// deadline with a timeout route.
pub fn small_flow(rng: &mut Lcg, depth: u32) -> String {
    let mut text = format!("{SMALL_HEADER}flow f {{\n  start s0\n");
    for s in 0..3u64 {
        let timed = rng.next(2) == 0;
        text.push_str(&format!("  step s{s} first{} {{\n", if timed { " within 1h" } else { "" }));
        for _ in 0..1 + rng.next(3) {
            let to = if s < 2 && rng.next(2) == 0 {
                format!("s{}", s + 1 + rng.next(2 - s))
            } else {
                ["outcome o1", "outcome o2"][rng.next(2) as usize].to_string()
            };
            text.push_str(&format!("    when {} -> {to}\n", small_cond(rng, depth)));
        }
        text.push_str(&format!("    otherwise -> {}\n", if s < 2 { format!("s{}", s + 1) } else { "outcome o2".into() }));
        if timed {
            text.push_str("    timeout -> escalate t\n");
        }
        text.push_str("  }\n");
    }
    text.push_str("}\n");
    text
}

/// Every set of steps of flow 0 whose timeouts could fire together (each
/// subset of the steps with a `timeout` route), for brute force.
pub fn timeout_sets(p: &sopflow::model::Program) -> Vec<Vec<usize>> {
    let timed: Vec<usize> = (0..p.flows[0].steps.len()).filter(|s| p.flows[0].steps[*s].decision.timeout().is_some()).collect();
    (0..1usize << timed.len()).map(|mask| timed.iter().enumerate().filter(|(i, _)| mask >> i & 1 == 1).map(|(_, s)| *s).collect()).collect()
}

/// A copy of `policies/` in a fresh temporary folder, removed when dropped.
pub fn copy_policies() -> tempfile::TempDir {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    for f in std::fs::read_dir("policies").unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    scratch
}
