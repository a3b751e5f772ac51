//! Bad input gets a clear diagnostic, never a panic: truncated policy files,
//! random bytes, token soup, and conditions nested far too deep.

mod common;

use sopflow::diagnostics::Code;

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn check_text(text: &str) -> Vec<Code> {
    let mut sources = sopflow::source::SourceMap::default();
    let id = sources.add("fuzz.sop".into(), text.to_string());
    let loaded = sopflow::project::Loaded { sources, files: vec![(id, None)], config: None, walk_notes: vec![] };
    sopflow::check::check(loaded).diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn truncated_policy_files_never_panic() {
    let mut checked = 0;
    for entry in std::fs::read_dir("policies").unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                check_text(&text[..cut]);
                checked += 1;
            }
            cut += 7;
        }
    }
    assert!(checked > 500);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Lcg(7);
    for _ in 0..300 {
        let len = (rng.next() % 400) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() % 256) as u8).collect();
        check_text(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn token_soup_never_panics() {
    let tokens = [
        "enum", "input", "team", "action", "outcome", "table", "flow", "step", "start", "when", "otherwise", "timeout",
        "within", "escalate", "do", "->", "{", "}", "(", ")", "x", "y.z", "==", "in", "not", "and", "or", ":", ",", "1",
        "24h", "\"s\"", "first", "bool", "int", "to", "test", "run", "given", "expect", "path", "require", "escalation",
        "requires", "severity", "high", "\n", "///doc\n", "// sopflow: allow(dead-branch)\n",
    ];
    let mut rng = Lcg(11);
    for _ in 0..500 {
        let n = (rng.next() % 60) as usize;
        let text: Vec<&str> = (0..n).map(|_| tokens[(rng.next() as usize) % tokens.len()]).collect();
        check_text(&text.join(" "));
    }
}

#[test]
fn deep_parentheses_are_a_clear_syntax_error() {
    let text = format!(
        "input a: bool\noutcome x\ntable t {{\n  when {}a{} -> outcome x\n  otherwise -> outcome x\n}}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let result = common::check_source("deep.sop", &text);
    assert_eq!(result.diagnostics.len(), 1);
    assert_eq!(result.diagnostics[0].code, Code::SyntaxError);
    assert!(result.diagnostics[0].message.contains("nested more than"), "{}", result.diagnostics[0].message);
}

#[test]
fn deep_negation_is_a_clear_syntax_error() {
    let text = format!("input a: bool\noutcome x\ntable t {{\n  when {}a -> outcome x\n  otherwise -> outcome x\n}}\n", "not ".repeat(10_000));
    let codes = check_text(&text);
    assert_eq!(codes, [Code::SyntaxError]);
}

#[test]
fn nesting_within_the_limit_is_analysed() {
    let text = format!(
        "input a: bool\noutcome x\noutcome y\ntable t {{\n  when {}a{} -> outcome x\n  otherwise -> outcome y\n}}\n",
        "(not ".repeat(50),
        ")".repeat(50)
    );
    assert_eq!(check_text(&text), []);
}

#[test]
fn a_long_chain_of_steps_is_fine() {
    let mut text = String::from("input n: int in 0 to 100000\noutcome done\nflow long {\n  start s0\n");
    for i in 0..3000 {
        text.push_str(&format!("  step s{i} {{\n    when n == {i} -> outcome done\n    otherwise -> s{}\n  }}\n", i + 1));
    }
    text.push_str("  step s3000 {\n    otherwise -> outcome done\n  }\n}\n");
    assert_eq!(check_text(&text), []);
}

fn sopflow(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sopflow"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sopflow-limits-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_file_over_the_size_limit_is_unreadable_and_the_rest_is_checked() {
    let dir = tempdir("size");
    std::fs::write(dir.join("a.sop"), "input x: bool\n").unwrap();
    let big = "// filler\n".repeat((sopflow::project::MAX_FILE_BYTES as usize / 10) + 10);
    std::fs::write(dir.join("big.sop"), big).unwrap();
    let o = sopflow(&["check", "--format", "json", dir.to_str().unwrap()], &[]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["unused-declaration", "unreadable-file"]);
    assert!(report["diagnostics"][1]["message"].as_str().unwrap().contains("too large to check"));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn too_many_files_is_exit_2_with_the_limit_named() {
    let dir = tempdir("count");
    for k in 0..6 {
        std::fs::write(dir.join(format!("f{k}.sop")), "").unwrap();
    }
    let o = sopflow(&["check", dir.to_str().unwrap()], &[("SOPFLOW_MAX_FILES", "5")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("more than 5 `*.sop` files"));
}

#[test]
fn a_string_over_the_length_limit_is_a_syntax_error() {
    let text = format!("action a \"{}\"\n", "x".repeat(70_000));
    let result = common::check_source("long.sop", &text);
    assert_eq!(result.diagnostics.len(), 1);
    assert!(result.diagnostics[0].message.contains("string longer than 64 KiB"));
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_detected_and_the_rest_is_checked() {
    let dir = tempdir("loop");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/a.sop"), "input x: bool\n").unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("sub/back")).unwrap();
    let o = sopflow(&["check", "--format", "json", dir.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("symbolic link loop"), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["summary"]["files"], 1);
}

#[test]
fn a_byte_order_mark_and_crlf_are_accepted() {
    let result = common::check_source("bom.sop", "\u{feff}input a: bool\r\noutcome x\r\noutcome y\r\ntable t {\r\n  when a -> outcome x\r\n  otherwise -> outcome y\r\n}\r\n");
    assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
}

#[test]
fn interrupted_writes_leave_the_original_intact() {
    // A write that cannot complete (the target is a directory) fails before
    // the rename: nothing is replaced and no temporary file is left behind.
    let dir = tempdir("atomic");
    let target = dir.join("report.json");
    std::fs::create_dir_all(&target).unwrap();
    assert!(sopflow::project::write_file(&target, b"new").is_err());
    assert!(target.is_dir());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    // The formatter leaves a file with a syntax error untouched.
    let file = dir.join("broken.sop");
    std::fs::write(&file, "table t { when a outcome x }").unwrap();
    let o = sopflow(&["fmt", file.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "table t { when a outcome x }");
}

/// The parser has no stack probe of its own (pest is built without `std`, see
/// docs/PERFORMANCE.md): the nesting limit must keep the deepest accepted
/// condition well inside a 2 MiB thread stack, the size of rayon's workers.
#[test]
fn nesting_at_the_limit_fits_a_small_stack() {
    let depth = sopflow::syntax::errors::MAX_NESTING;
    let shapes = [("(not ".repeat(depth / 2), ")".repeat(depth / 2)), ("(".repeat(depth), ")".repeat(depth))];
    for (open, close) in shapes {
        let text = format!(
            "input a: bool\noutcome x\noutcome y\ntable t {{\n  when {open}a{close} -> outcome x\n  otherwise -> outcome y\n}}\n"
        );
        let codes = std::thread::Builder::new().stack_size(2 << 20).spawn(move || check_text(&text)).unwrap().join().unwrap();
        assert_eq!(codes, []);
    }
}

/// An atomic write goes through a private temporary file; the result must
/// still have the mode a plain write would give (a new file) or the mode the
/// file had (a rewrite, as `fmt` does).
#[cfg(unix)]
#[test]
fn atomic_writes_keep_the_usual_file_modes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir("modes");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let plain = dir.join("plain.txt");
    std::fs::write(&plain, "x").unwrap();
    let fresh = dir.join("fresh.txt");
    sopflow::project::write_file(&fresh, b"x").unwrap();
    assert_eq!(mode(&fresh), mode(&plain));
    let script = dir.join("policy.sop");
    std::fs::write(&script, "outcome   x\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o640)).unwrap();
    let o = sopflow(&["fmt", script.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(&script).unwrap(), "outcome x\n");
    assert_eq!(mode(&script), 0o640);
}
