//! A real editor as the client: headless Neovim loads `editors/neovim`,
//! opens a policy with a conflict and receives the diagnostic from
//! `sopflow lsp`; the test reads it back and checks code and line. A second
//! session sends each newer request through Neovim's client and runs the
//! plugin's diagram command. Under `CI=true` a missing Neovim fails the test
//! (.ci/run installs it).

mod common;

use std::process::Command;

#[test]
fn neovim_receives_the_conflict_from_the_language_server() {
    if Command::new("nvim").arg("--version").output().is_err() {
        common::skip("Neovim is not installed");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let policy = dir.join("brand_check.sop");
    std::fs::copy("examples/sop/brand_check.sop", &policy).unwrap();
    let out = dir.join("diagnostics.json");
    let root = std::env::current_dir().unwrap();
    let status = Command::new("nvim")
        .args(["--headless", "-u"])
        .arg(root.join("tests/editors/nvim_init.lua"))
        .arg(&policy)
        .env("SOPFLOW_NVIM_RTP", root.join("editors/neovim"))
        .env("SOPFLOW_BIN", env!("CARGO_BIN_EXE_sopflow"))
        .env("SOPFLOW_NVIM_OUT", &out)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("Neovim wrote the diagnostics")).unwrap();
    assert_eq!(json["filetype"], "sopflow", "{json}");
    assert_eq!(json["syntax"], "sopflow", "{json}");
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "conflicting-outcomes", "{json}");
    assert_eq!(d["line"], 15, "{json}");
    assert!(d["message"].as_str().unwrap().contains("witness: given"), "{json}");
}

/// Each of the server's newer requests through Neovim's own LSP client, and
/// the plugin's diagram command writing the preview's SVG and Mermaid.
#[test]
fn neovim_gets_an_answer_to_every_newer_request() {
    if Command::new("nvim").arg("--version").output().is_err() {
        common::skip("Neovim is not installed");
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let policy = dir.join("brand_check.sop");
    std::fs::copy("examples/sop/brand_check.sop", &policy).unwrap();
    let out = dir.join("answers.json");
    let diagrams = dir.join("diagrams");
    let root = std::env::current_dir().unwrap();
    let status = Command::new("nvim")
        .args(["--headless", "-u"])
        .arg(root.join("tests/editors/nvim_requests.lua"))
        .arg(&policy)
        .env("SOPFLOW_NVIM_RTP", root.join("editors/neovim"))
        .env("SOPFLOW_BIN", env!("CARGO_BIN_EXE_sopflow"))
        .env("SOPFLOW_NVIM_OUT", &out)
        .env("SOPFLOW_NVIM_DIAGRAMS", &diagrams)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("Neovim wrote the answers")).unwrap();
    assert_eq!(json["server"], "sopflow", "{json}");
    let answer = |method: &str| -> &serde_json::Value {
        let a = &json["answers"][method];
        assert!(a["error"].is_null(), "{method}: {a}");
        assert!(!a["result"].is_null(), "{method} answered nothing: {json}");
        &a["result"]
    };
    assert_eq!(answer("textDocument/prepareRename")["range"]["start"]["line"], 6, "{json}");
    assert!(!answer("textDocument/documentHighlight").as_array().unwrap().is_empty());
    assert!(!answer("textDocument/foldingRange").as_array().unwrap().is_empty());
    assert!(answer("textDocument/selectionRange")[0]["parent"].is_object());
    assert!(!answer("textDocument/semanticTokens/full")["data"].as_array().unwrap().is_empty());
    assert!(!answer("textDocument/semanticTokens/range")["data"].as_array().unwrap().is_empty());
    assert!(answer("textDocument/inlayHint").is_array());
    let symbols = answer("textDocument/documentSymbol");
    assert!(symbols.as_array().unwrap().iter().any(|s| s["name"] == "review" && s["children"].is_array()), "{symbols}");
    // The file is formatted already: no edits (an empty list, not an error).
    assert!(
        answer("textDocument/rangeFormatting").as_array().is_some_and(|a| a.is_empty())
            || answer("textDocument/rangeFormatting").as_object().is_some_and(|o| o.is_empty())
    );
    let d = answer("sopflow/diagram");
    assert_eq!(d["name"], "review");
    assert_eq!(d["findings"][0]["code"], "conflicting-outcomes", "{d}");
    // The conflict's witness: its step and the two branches that both hold.
    let svg = d["svg"].as_str().unwrap();
    assert_eq!(svg.matches("class=\"edge witness\"").count(), 2, "{svg}");
    assert!(svg.contains("class=\"node step witness\""), "{svg}");
    // The plugin's command: the SVG and the Mermaid text on disk.
    assert_eq!(json["diagram"].as_str(), Some(diagrams.join("review.svg").to_str().unwrap()), "{json}");
    assert!(std::fs::read_to_string(diagrams.join("review.svg")).unwrap().starts_with("<svg"));
    assert!(std::fs::read_to_string(diagrams.join("review.mmd")).unwrap().starts_with("flowchart TD"));
}
