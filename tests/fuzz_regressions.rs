//! Every crash the fuzzers found, kept as a regression test: each input in
//! `tests/fuzz-regressions/` goes through the bodies of all fuzz targets.

use sopflow::source::FileId;

fn run_all(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = sopflow::syntax::parse_file(FileId(0), &text);
    let _ = sopflow::syntax::parse_recovering(FileId(0), &text);
    sopflow::fuzzing::check_text_everywhere(&text);
    if let Ok(once) = sopflow::fmt::format(&text) {
        assert_eq!(sopflow::fmt::format(&once).expect("formatted text parses"), once);
        assert_eq!(sopflow::fmt::ast_shape(&text), sopflow::fmt::ast_shape(&once), "formatting keeps the AST");
    }
}

/// An LSP message stream (one JSON value per line), as the `lsp` target sends it.
fn run_lsp(data: &[u8]) {
    use lsp_server::{Connection, Message, Notification, Request, RequestId};
    use serde_json::{json, Value};
    let text = String::from_utf8_lossy(data).into_owned();
    let (server, client) = Connection::memory();
    let handle = std::thread::spawn(move || sopflow::lsp::serve(&server));
    let _ = client.sender.send(Message::Request(Request::new(RequestId::from(0), "initialize".into(), json!({ "capabilities": {} }))));
    let _ = client.sender.send(Message::Notification(Notification::new("initialized".into(), json!({}))));
    for (k, line) in text.lines().enumerate() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let method = v.get("method").and_then(Value::as_str).unwrap_or("textDocument/hover").to_string();
        let params = v.get("params").cloned().unwrap_or(Value::Null);
        let msg = if v.get("id").is_some() {
            Message::Request(Request::new(RequestId::from(k as i32 + 1), method, params))
        } else {
            Message::Notification(Notification::new(method, params))
        };
        let _ = client.sender.send(msg);
    }
    let _ = client.sender.send(Message::Request(Request::new(RequestId::from(100_000), "shutdown".into(), Value::Null)));
    let _ = client.sender.send(Message::Notification(Notification::new("exit".into(), Value::Null)));
    drop(client.sender);
    while client.receiver.recv().is_ok() {}
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn every_saved_fuzz_input_runs_clean() {
    let mut inputs: Vec<_> = std::fs::read_dir("tests/fuzz-regressions").unwrap().flatten().map(|e| e.path()).collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    for path in inputs {
        let data = std::fs::read(&path).unwrap();
        let lsp = path.extension().is_some_and(|e| e == "jsonl");
        let outcome = std::panic::catch_unwind(|| if lsp { run_lsp(&data) } else { run_all(&data) });
        assert!(outcome.is_ok(), "{} panics", path.display());
    }
}
