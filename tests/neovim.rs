//! A real editor as the client: headless Neovim loads `editors/neovim`,
//! opens a policy with a conflict and receives the diagnostic from
//! `sopflow lsp`; the test reads it back and checks code and line. Under
//! `CI=true` a missing Neovim fails the test (.ci/run installs it).

mod common;

use std::process::Command;

#[test]
fn neovim_receives_the_conflict_from_the_language_server() {
    if Command::new("nvim").arg("--version").output().is_err() {
        common::skip("Neovim is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sopflow-nvim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
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
        .current_dir(&dir)
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
