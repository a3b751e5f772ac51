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
    // Every keyword (listed once, in `syntax::KEYWORDS`), then the rest.
    let others = ["->", "{", "}", "(", ")", "x", "y.z", "==", ":", ",", "1", "24h", "\"s\"", "high", "\n", "///doc\n", "// sopflow: allow(dead-branch)\n"];
    let tokens: Vec<&str> = sopflow::syntax::KEYWORDS.iter().copied().chain(others).collect();
    let mut rng = Lcg(11);
    for _ in 0..500 {
        let n = (rng.next() % 60) as usize;
        let text: Vec<&str> = (0..n).map(|_| tokens[(rng.next() as usize) % tokens.len()]).collect();
        check_text(&text.join(" "));
    }
}

#[test]
fn deep_parentheses_are_a_clear_syntax_error() {
    let text =
        format!("input a: bool\noutcome x\ntable t {{\n  when {}a{} -> outcome x\n  otherwise -> outcome x\n}}\n", "(".repeat(10_000), ")".repeat(10_000));
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

#[test]
fn a_file_over_the_size_limit_is_unreadable_and_the_rest_is_checked() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
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
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
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
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/a.sop"), "input x: bool\n").unwrap();
    std::os::unix::fs::symlink(dir, dir.join("sub/back")).unwrap();
    let o = sopflow(&["check", "--format", "json", dir.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("symbolic link loop"), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["summary"]["files"], 1);
}

#[test]
fn a_byte_order_mark_and_crlf_are_accepted() {
    let result = common::check_source(
        "bom.sop",
        "\u{feff}input a: bool\r\noutcome x\r\noutcome y\r\ntable t {\r\n  when a -> outcome x\r\n  otherwise -> outcome y\r\n}\r\n",
    );
    assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
}

#[test]
fn interrupted_writes_leave_the_original_intact() {
    // A write that cannot complete (the target is a directory) fails before
    // the rename: nothing is replaced and no temporary file is left behind.
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let target = dir.join("report.json");
    std::fs::create_dir_all(&target).unwrap();
    assert!(sopflow::project::write_file(&target, b"new").is_err());
    assert!(target.is_dir());
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
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
        let text = format!("input a: bool\noutcome x\noutcome y\ntable t {{\n  when {open}a{close} -> outcome x\n  otherwise -> outcome y\n}}\n");
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
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
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

/// What the user names is read, whatever kind of file it is: a FIFO, and
/// `<(cat policy.sop)` in a shell.
#[cfg(unix)]
#[test]
fn a_fifo_or_a_process_substitution_is_read() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let fifo = dir.join("policy.sop");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let text = std::fs::read_to_string("tests/fixtures/conflicting-outcomes.sop").unwrap();
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let o = sopflow(&["check", "--format", "json", fifo.to_str().unwrap()], &[]);
    writer.join().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 1, "{json}");
    assert_eq!(json["diagnostics"][0]["code"], "conflicting-outcomes");
    assert_eq!(o.status.code(), Some(1));
    let bin = env!("CARGO_BIN_EXE_sopflow");
    let o =
        std::process::Command::new("bash").arg("-c").arg(format!("{bin} check --format json <(cat tests/fixtures/conflicting-outcomes.sop)")).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 1, "{json}");
    assert_eq!(o.status.code(), Some(1));
}

/// A part of the project that cannot be read is an error, not a warning
/// beside a clean report: here a policy that is a dangling link.
#[cfg(unix)]
#[test]
fn a_policy_that_cannot_be_read_fails_the_check() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::write(dir.join("a.sop"), "input x: bool\noutcome a\ntable t {\n  when x -> outcome a\n  otherwise -> outcome a\n}\n").unwrap();
    std::os::unix::fs::symlink(dir.join("gone.sop"), dir.join("b.sop")).unwrap();
    // A dangling link not named as a policy is not part of the project.
    std::os::unix::fs::symlink(dir.join("gone.txt"), dir.join("notes.txt")).unwrap();
    let o = sopflow(&["check", "--format", "json", dir.to_str().unwrap()], &[]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(1), "{json}");
    let codes: Vec<&str> = json["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"unreadable-file"), "{json}");
}

/// The same file reached twice is read once: no false duplicates.
#[cfg(unix)]
#[test]
fn the_same_file_by_two_names_is_read_once() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let text = "input x: bool\noutcome a\ntable t {\n  when x -> outcome a\n  otherwise -> outcome a\n}\n";
    std::fs::create_dir_all(dir.join("real")).unwrap();
    std::fs::write(dir.join("real/p.sop"), text).unwrap();
    std::os::unix::fs::symlink(dir.join("real"), dir.join("linked")).unwrap();
    let o = sopflow(&["check", "--format", "json", dir.to_str().unwrap()], &[]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["diagnostics"], serde_json::json!([]), "{json}");
    assert_eq!(json["summary"]["files"], 1);
    let p = dir.join("real/p.sop");
    let again = format!("{}/real/./p.sop", dir.display());
    let o = sopflow(&["check", "--format", "json", p.to_str().unwrap(), &again], &[]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["diagnostics"], serde_json::json!([]), "{json}");
}

/// CR-only line ends: one line model for JSON, the human report and the
/// language server's positions.
#[test]
fn a_lone_carriage_return_ends_a_line_everywhere() {
    let text = "input x: bool\routcome a\routcome b\rtable t {\r  when x -> outcome a\r  when x -> outcome b\r  otherwise -> outcome a\r}\r";
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let file = dir.join("cr.sop");
    std::fs::write(&file, text).unwrap();
    let o = sopflow(&["check", "--format", "json", file.to_str().unwrap()], &[]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["code"], "conflicting-outcomes");
    assert_eq!((json["diagnostics"][0]["line"].as_u64(), json["diagnostics"][0]["column"].as_u64()), (Some(6), Some(3)), "{json}");
    let o = sopflow(&["check", "--color", "never", file.to_str().unwrap()], &[]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("cr.sop:6:3]"), "{}", String::from_utf8_lossy(&o.stdout));
    let source = sopflow::source::SourceFile::new("cr.sop".into(), text.into());
    let at = text.find("when x -> outcome b").unwrap();
    assert_eq!(source.line_col(at), (6, 3));
}

/// `--output` destroys nothing: through a symbolic link it writes the file
/// the link names (the link stays); a FIFO and a device are written in
/// place; a full device is an error, exit 2.
#[cfg(unix)]
#[test]
fn output_writes_what_the_path_names() {
    use std::os::unix::fs::FileTypeExt;
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let real = dir.join("real.json");
    std::fs::write(&real, "old").unwrap();
    let link = dir.join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = sopflow(&["check", "--format", "json", "-o", link.to_str().unwrap(), "policies"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(&real).unwrap().contains("\"version\": 1"));
    // A FIFO: the reader gets the report.
    let fifo = dir.join("report.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let o = sopflow(&["check", "--format", "json", "-o", fifo.to_str().unwrap(), "policies"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(reader.join().unwrap().contains("\"version\": 1"));
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    // A full device: the error is reported and the device stays a device.
    if std::path::Path::new("/dev/full").exists() {
        let o = sopflow(&["check", "--format", "json", "-o", "/dev/full", "policies"], &[]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write `/dev/full`"), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(std::fs::metadata("/dev/full").unwrap().file_type().is_char_device());
    }
}

/// `fmt` formats the file a link names (the link stays a link), keeps hard
/// links together, and keeps the owner; it never says it formatted a file
/// it could not write.
#[cfg(unix)]
#[test]
fn fmt_keeps_links_owner_and_mode() {
    use std::os::unix::fs::MetadataExt;
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let messy = "outcome   x\n";
    let real = dir.join("real.sop");
    std::fs::write(&real, messy).unwrap();
    let link = dir.join("link.sop");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = sopflow(&["fmt", link.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "outcome x\n");
    // Hard links: both names see the formatted text; the inode is the same.
    let a = dir.join("hard/a.sop");
    std::fs::create_dir_all(dir.join("hard")).unwrap();
    std::fs::write(&a, messy).unwrap();
    let b = dir.join("b.sop");
    std::fs::hard_link(&a, &b).unwrap();
    let inode = std::fs::metadata(&a).unwrap().ino();
    let o = sopflow(&["fmt", a.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "outcome x\n");
    assert_eq!(std::fs::metadata(&a).unwrap().ino(), inode);
    // The owner (only root can give a file to another user to test it).
    let owned = dir.join("owned.sop");
    std::fs::write(&owned, messy).unwrap();
    if std::os::unix::fs::chown(&owned, Some(4242), Some(4242)).is_ok() {
        let o = sopflow(&["fmt", owned.to_str().unwrap()], &[]);
        assert_eq!(o.status.code(), Some(0));
        let m = std::fs::metadata(&owned).unwrap();
        assert_eq!((m.uid(), m.gid()), (4242, 4242));
        assert_eq!(std::fs::read_to_string(&owned).unwrap(), "outcome x\n");
    } else {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED: the owner part of fmt_keeps_links_owner_and_mode needs root (the rest ran)");
    }
    // A file it cannot write (no file may grow past 0 bytes, even for root):
    // an error, the original intact, and no "formatted" line.
    let stuck = dir.join("stuck.sop");
    std::fs::write(&stuck, messy).unwrap();
    let cmd = format!("trap '' XFSZ; ulimit -f 0; exec {} fmt {}", env!("CARGO_BIN_EXE_sopflow"), stuck.display());
    let o = std::process::Command::new("bash").arg("-c").arg(&cmd).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write"), "{err}");
    assert!(!err.contains("formatted"), "{err}");
    assert_eq!(std::fs::read_to_string(&stuck).unwrap(), messy);
}

/// Standard output that cannot be written is an error (exit 2, said); a
/// reader that closes the pipe early is not.
#[cfg(unix)]
#[test]
fn stdout_errors_are_reported_and_closed_pipes_are_quiet() {
    if !std::path::Path::new("/dev/full").exists() {
        return common::skip("/dev/full is missing");
    }
    let bin = env!("CARGO_BIN_EXE_sopflow");
    for cmd in [
        format!("echo 'outcome   x' | {bin} fmt --stdin > /dev/full"),
        format!("{bin} export policies --format json > /dev/full"),
        format!("{bin} check policies > /dev/full"),
        format!("{bin} schema > /dev/full"),
    ] {
        let o = std::process::Command::new("bash").arg("-c").arg(&cmd).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write to standard output"), "{cmd}: {}", String::from_utf8_lossy(&o.stderr));
    }
    // Far more output than a pipe holds, read one line of.
    let cmd = format!(
        "set -o pipefail; yes '{{\"report.kind\": \"other\"}}' | head -n 300000 | {bin} eval policies --flow counterfeit_review --cases - | head -n 1 > /dev/null; echo \"${{PIPESTATUS[2]}}\""
    );
    let o = std::process::Command::new("bash").arg("-c").arg(&cmd).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0", "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
}
