//! The rule documentation: `sopflow explain CODE` and `docs/rules/CODE.md`
//! are the same text, every rule has the four headings, and every example
//! produces exactly the finding it claims (`// expect:` comments, as in the
//! fixtures). Run with `UPDATE_DOCS=1` to regenerate `docs/rules/`.

mod common;

use std::path::{Path, PathBuf};

use sopflow::diagnostics::Code;

fn index() -> String {
    let mut out = String::from("# Rules\n\nGenerated from the rule documentation in `src/lints/` (`sopflow explain CODE` prints the same text); `UPDATE_DOCS=1 cargo test --test docs` regenerates this folder.\n\n| code | default level | what it finds |\n|---|---|---|\n");
    for code in Code::ALL {
        out.push_str(&format!("| [`{0}`]({0}.md) | {1} | {2} |\n", code.as_str(), code.default_level().as_str(), sopflow::render::sarif::summary(code)));
    }
    out
}

#[test]
fn docs_rules_match_explain() {
    let dir = Path::new("docs/rules");
    let mut expected: Vec<(PathBuf, String)> =
        Code::ALL.iter().map(|c| (dir.join(format!("{}.md", c.as_str())), sopflow::lints::doc(*c).to_string())).collect();
    expected.push((dir.join("README.md"), index()));
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(dir).unwrap();
        for (path, text) in &expected {
            std::fs::write(path, text).unwrap();
        }
    }
    for (path, text) in &expected {
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(&on_disk, text, "{} is out of date: run `UPDATE_DOCS=1 cargo test --test docs`", path.display());
    }
}

#[test]
fn every_rule_doc_has_the_four_headings() {
    for code in Code::ALL {
        let doc = sopflow::lints::doc(code);
        assert!(doc.starts_with(&format!("# {} ({})", code.as_str(), code.default_level().as_str())), "{code}");
        for heading in ["## What it finds", "## Why it matters", "## Example", "## Fix"] {
            assert!(doc.contains(heading), "{code} lacks {heading}");
        }
    }
}

/// The first fenced block under `## Example`, with its language tag.
fn example(code: Code) -> Option<(String, String)> {
    let doc = sopflow::lints::doc(code);
    let after = &doc[doc.find("## Example")?..];
    let start = after.find("```")?;
    let rest = &after[start + 3..];
    let (tag, body) = rest.split_once('\n')?;
    let end = body.find("```")?;
    Some((tag.trim().to_string(), body[..end].to_string()))
}

#[test]
fn every_example_produces_the_finding_it_claims() {
    let mut checked = 0;
    for code in Code::ALL {
        let Some((tag, body)) = example(code) else {
            // Only a file that cannot be read has no example to run.
            assert_eq!(code, Code::UnreadableFile, "{code} has no runnable example");
            continue;
        };
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path();
        match tag.as_str() {
            "sop" => {
                // A first line `// sopflow.toml: TOML` configures the example's project.
                if let Some(config) = body.lines().next().and_then(|l| l.strip_prefix("// sopflow.toml: ")) {
                    std::fs::write(dir.join("sopflow.toml"), config.replace("] ", "]\n")).unwrap();
                }
                std::fs::write(dir.join("example.sop"), &body).unwrap();
            }
            "toml" => {
                std::fs::write(dir.join("sopflow.toml"), &body).unwrap();
                std::fs::write(
                    dir.join("policy.sop"),
                    "input flagged: bool\noutcome a\noutcome b\ntable t {\n  when flagged -> outcome a\n  otherwise -> outcome b\n}\n",
                )
                .unwrap();
            }
            other => panic!("{code}: example tagged `{other}`"),
        }
        let result = common::check_path(dir);
        let outcome = common::compare(dir, &result);
        if let Err(e) = outcome {
            panic!("the example of `{code}` does not produce what it claims: {e}");
        }
        let wanted = common::expected_text(&body);
        assert!(wanted.iter().any(|c| c == code.as_str()), "the example of `{code}` does not claim a `{code}`");
        checked += 1;
    }
    assert_eq!(checked, Code::ALL.len() - 1);
}
