//! The formatter on every policy, fixture and conformance case: idempotent,
//! the same AST (spans aside), every comment kept with its exact text.

mod common;

use std::path::{Path, PathBuf};

fn sop_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sop_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "sop") {
            out.push(p);
        }
    }
}

fn corpus() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["policies", "tests/fixtures", "tests/formats", "tests/run", "examples/sop", "tests/conformance"] {
        sop_files(Path::new(dir), &mut out);
    }
    out
}

fn shape(text: &str) -> Option<String> {
    sopflow::fmt::ast_shape(text)
}

fn comments(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().filter_map(|l| l.find("//").map(|i| l[i..].trim_end().to_string())).filter(|c| !c.is_empty()).collect();
    v.sort();
    v
}

#[test]
fn formatting_is_idempotent_keeps_meaning_and_comments() {
    let mut formatted = 0;
    let mut failures = Vec::new();
    for path in corpus() {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok(once) = sopflow::fmt::format(&text) else {
            continue; // syntax errors are left alone (tested below)
        };
        formatted += 1;
        let twice = sopflow::fmt::format(&once).expect("formatted text parses");
        if once != twice {
            failures.push(format!("{}: not idempotent:\n--- once\n{once}\n--- twice\n{twice}", path.display()));
        }
        if shape(&text) != shape(&once) {
            failures.push(format!("{}: the AST changed:\n{once}", path.display()));
        }
        // Strings with `//` inside are not comments; compare what the scan finds.
        let (a, b) = (comments(&text), comments(&once));
        if a != b {
            failures.push(format!("{}: comments changed:\n  before {a:?}\n  after  {b:?}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(formatted >= 40, "only {formatted} files formatted");
}

#[test]
fn formatted_policies_are_pinned() {
    let mut files = Vec::new();
    sop_files(Path::new("policies"), &mut files);
    for path in files {
        let out = sopflow::fmt::format(&std::fs::read_to_string(&path).unwrap()).unwrap();
        insta::assert_snapshot!(format!("fmt_{}", path.file_stem().unwrap().to_string_lossy()), out);
    }
}

#[test]
fn layout_aligns_arrows_and_moves_inner_comments_before_the_line() {
    let text =
        "input a: bool\ninput b: int\noutcome x\ntable t first {\nwhen a and   // inner\n (b > 1 or b < -1) -> outcome x // end\notherwise->outcome x\n}\n";
    let out = sopflow::fmt::format(text).unwrap();
    insta::assert_snapshot!("fmt_layout", out);
}

#[test]
fn crlf_and_bom_are_kept() {
    let text = "\u{feff}input a: bool\r\noutcome x\r\ntable t {\r\n  when a -> outcome x\r\n  otherwise -> outcome x\r\n}\r\n";
    let out = sopflow::fmt::format(text).unwrap();
    assert!(out.starts_with('\u{feff}'));
    assert!(out.contains("\r\n") && !out.replace("\r\n", "").contains('\n'));
}

#[test]
fn a_file_with_a_syntax_error_is_not_formatted() {
    assert!(sopflow::fmt::format("table t { when a outcome x }").is_err());
}

#[test]
fn the_fmt_command_checks_rewrites_and_reads_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let bin = env!("CARGO_BIN_EXE_sopflow");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let messy = "input a: bool\noutcome x\ntable t {\nwhen a->outcome x\notherwise->outcome x\n}\n";
    std::fs::write(dir.join("a.sop"), messy).unwrap();
    let o = Command::new(bin).args(["fmt", "--check"]).arg(dir).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("a.sop"));
    assert_eq!(std::fs::read_to_string(dir.join("a.sop")).unwrap(), messy, "--check changes nothing");
    let o = Command::new(bin).arg("fmt").arg(dir).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let formatted = std::fs::read_to_string(dir.join("a.sop")).unwrap();
    assert_eq!(formatted, sopflow::fmt::format(messy).unwrap());
    let o = Command::new(bin).args(["fmt", "--check"]).arg(dir).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let mut child = Command::new(bin).args(["fmt", "--stdin"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(messy.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), formatted);
}

/// The formatter's invariant on mutated files: comments of every kind
/// (suppressions included, on lines of their own and at the ends of lines)
/// and line breaks dropped at random places of every policy and fixture.
/// Where the mutant parses, formatting keeps its findings (codes, levels
/// and what suppressions silence) and is idempotent.
#[test]
fn formatting_mutants_keeps_findings_and_is_idempotent() {
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }
    let inserts = [
        "// sopflow: allow(conflicting-outcomes, overlapping-branches, dead-branch, shadowed-branch, non-exhaustive, unreachable-step, unused-declaration, missing-escalation) -- reviewed\n",
        " // sopflow: allow(conflicting-outcomes, dead-branch, non-exhaustive) -- reviewed\n",
        "// a plain note\n",
        "/// a doc comment\n",
        " /// a doc at the end of a line\n",
        "\n",
        "\n\n",
    ];
    let findings = |text: &str| {
        let r = common::check_source("m.sop", text);
        let mut v: Vec<(String, String)> = r.diagnostics.iter().map(|d| (d.code.as_str().to_string(), d.level.as_str().to_string())).collect();
        v.sort();
        (v, r.suppressed)
    };
    let mut rng = Lcg(24);
    let (mut tried, mut failures) = (0, Vec::new());
    for path in corpus() {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if sopflow::fmt::format(&text).is_err() {
            continue;
        }
        // Places between tokens: after a space or a line break.
        let places: Vec<usize> = text.char_indices().filter(|(_, c)| *c == ' ' || *c == '\n').map(|(i, _)| i + 1).collect();
        if places.is_empty() {
            continue;
        }
        for _ in 0..32 {
            let mut mutant = text.clone();
            for _ in 0..1 + rng.next(3) {
                let at = places[rng.next(places.len())].min(mutant.len());
                if !mutant.is_char_boundary(at) {
                    continue;
                }
                mutant.insert_str(at, inserts[rng.next(inserts.len())]);
            }
            let Ok(once) = sopflow::fmt::format(&mutant) else { continue };
            tried += 1;
            let twice = sopflow::fmt::format(&once).expect("formatted text parses");
            if once != twice {
                failures.push(format!("{}: not idempotent:\n--- mutant\n{mutant}\n--- once\n{once}\n--- twice\n{twice}", path.display()));
                continue;
            }
            if findings(&mutant) != findings(&once) {
                failures.push(format!(
                    "{}: findings changed {:?} -> {:?}:\n--- mutant\n{mutant}\n--- once\n{once}",
                    path.display(),
                    findings(&mutant),
                    findings(&once)
                ));
            }
        }
    }
    assert!(tried > 1000, "only {tried} mutants parsed");
    if let Ok(dir) = std::env::var("FMT_MUTANT_DUMP") {
        for (k, f) in failures.iter().enumerate() {
            std::fs::write(format!("{dir}/failure{k}.txt"), f).unwrap();
        }
    }
    assert!(failures.is_empty(), "{} of {tried} mutants:\n{}", failures.len(), failures[..failures.len().min(2)].join("\n"));
}

/// The two cases that changed meaning or moved on every run: a suppression
/// after `->` (which covers nothing) stays where it covers nothing, and a
/// `///` inside `given { … }` settles after one run.
#[test]
fn a_suppression_after_an_arrow_and_a_doc_inside_given_stay_put() {
    let text = "input x: bool\noutcome a\noutcome b\ntable t {\n  when x -> outcome a\n  when x -> // sopflow: allow(conflicting-outcomes) -- reviewed\n    outcome b\n  otherwise -> outcome a\n}\ntest \"t\" {\n  run table t\n  given { /// doc\n    x: true }\n  expect outcome a\n}\n";
    let once = sopflow::fmt::format(text).unwrap();
    assert_eq!(sopflow::fmt::format(&once).unwrap(), once);
    assert!(once.contains("  when x    -> outcome b // sopflow: allow(conflicting-outcomes) -- reviewed\n"), "{once}");
    let codes = |t: &str| common::check_source("keep.sop", t).diagnostics.iter().map(|d| d.code.as_str()).collect::<Vec<_>>();
    assert_eq!(codes(text), ["conflicting-outcomes"]);
    assert_eq!(codes(&once), ["conflicting-outcomes"]);
}
