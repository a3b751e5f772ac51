//! The language server end to end: the real binary over stdio, JSON-RPC
//! framed by lsp-server (the same crate the server uses).

mod common;

use std::io::BufReader;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{json, Value};

struct Client {
    child: Child,
    stdin: ChildStdin,
    /// What the server sends, read on a thread of its own: a test that
    /// waits for a message the server never sends fails after a minute
    /// rather than hanging.
    incoming: Receiver<Message>,
    next_id: i32,
    /// Notifications received while waiting for responses.
    notes: Vec<Notification>,
}

impl Client {
    fn start(root: &std::path::Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sopflow"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, incoming) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            while let Ok(Some(m)) = Message::read(&mut stdout) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        let mut c = Client { child, stdin, incoming, next_id: 0, notes: Vec::new() };
        let root_uri = format!("file://{}", std::fs::canonicalize(root).unwrap().display());
        let caps = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": root_uri, "capabilities": {}, "workspaceFolders": [{ "uri": root_uri, "name": "ws" }] }),
        );
        assert!(caps["capabilities"]["hoverProvider"].as_bool().unwrap());
        assert_eq!(caps["serverInfo"]["name"], "sopflow");
        c.notify("initialized", json!({}));
        c
    }

    /// The next message from the server, within a minute.
    fn next(&mut self, waiting_for: &str) -> Message {
        self.incoming.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|e| panic!("no message from the server while waiting for {waiting_for}: {e}"))
    }

    fn send(&mut self, m: Message) {
        m.write(&mut self.stdin).unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Message::Notification(Notification::new(method.into(), params)));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Message::Request(Request::new(id.clone(), method.into(), params)));
        loop {
            match self.next(method) {
                Message::Response(r) if r.id == id => {
                    return match r.response_result {
                        Ok(v) => v,
                        Err(e) => json!({ "error": { "code": e.code, "message": e.message } }),
                    };
                }
                Message::Notification(n) => self.notes.push(n),
                _ => {}
            }
        }
    }

    /// The next diagnostics published for a file.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        loop {
            if let Some(k) = self.notes.iter().position(|n| n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri) {
                let n = self.notes.remove(k);
                return n.params["diagnostics"].as_array().unwrap().clone();
            }
            if let Message::Notification(n) = self.next(&format!("diagnostics for {uri}")) {
                self.notes.push(n)
            }
        }
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success());
    }
}

/// A workspace of `tests/lsp_ws/policy.sop`: the folder, the file's URI and text.
fn workspace() -> (tempfile::TempDir, String, String) {
    let text = std::fs::read_to_string("tests/lsp_ws/policy.sop").unwrap();
    let (scratch, uri) = workspace_of(&text);
    (scratch, uri, text)
}

/// A workspace of one file, `policy.sop`, holding `text`: the folder and the file's URI.
fn workspace_of(text: &str) -> (tempfile::TempDir, String) {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(scratch.path().join("policy.sop"), text).unwrap();
    let uri = format!("file://{}/policy.sop", std::fs::canonicalize(scratch.path()).unwrap().display());
    (scratch, uri)
}

fn pos(text: &str, needle: &str, delta: usize) -> Value {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` in the text")) + delta;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": col })
}

#[test]
fn diagnostics_on_open_and_on_edit() {
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.diagnostics_for(&uri); // the workspace as found on disk
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text } }));
    let diags = c.diagnostics_for(&uri);
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"conflicting-outcomes"), "{codes:?}");
    let conflict = diags.iter().find(|d| d["code"] == "conflicting-outcomes").unwrap();
    assert_eq!(conflict["range"]["start"]["line"], 16);
    let message = conflict["message"].as_str().unwrap();
    assert!(message.contains("witness: given { brand.authorized: true, report.kind: counterfeit, seller.strikes: 3 }"), "{message}");
    assert_eq!(conflict["relatedInformation"][0]["location"]["range"]["start"]["line"], 15);
    assert_eq!(conflict["data"]["witness"]["seller.strikes"], 3);
    // Fix the conflict in the buffer: the update clears it.
    let fixed = text.replace("when seller.strikes >= 3 ->", "when not brand.authorized and seller.strikes >= 3 ->");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }));
    let diags = c.diagnostics_for(&uri);
    assert!(diags.iter().all(|d| d["code"] != "conflicting-outcomes"), "{diags:?}");
    // A half-typed step hides nothing else: the other findings stay.
    let broken = fixed.replace("  step brand_check", "  step half {\n    when report.kind ==\n  }\n  step brand_check");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": broken }] }));
    let diags = c.diagnostics_for(&uri);
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"syntax-error"), "{codes:?}");
    c.shutdown();
}

#[test]
fn navigation_hover_rename_completion_symbols() {
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.diagnostics_for(&uri);
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text } }));
    let doc = json!({ "uri": uri });
    // Hover on an input shows its type and doc comment.
    let h = c.request("textDocument/hover", json!({ "textDocument": doc, "position": pos(&text, "when brand.authorized", 6) }));
    let value = h["contents"]["value"].as_str().unwrap();
    assert!(value.contains("input brand.authorized: bool") && value.contains("Whether the brand is authorized."), "{value}");
    // Hover on a step shows its title and the cases that reach it.
    let h = c.request("textDocument/hover", json!({ "textDocument": doc, "position": pos(&text, "step brand_check", 6) }));
    let value = h["contents"]["value"].as_str().unwrap();
    assert!(value.contains("Verify brand authorization") && value.contains("`report.kind`: one of counterfeit"), "{value}");
    // Definition of a step reference.
    let d = c.request("textDocument/definition", json!({ "textDocument": doc, "position": pos(&text, "-> brand_check", 4) }));
    assert_eq!(d["range"]["start"]["line"], 14);
    // References of an outcome: its declaration and three uses (one in the test).
    let r = c.request(
        "textDocument/references",
        json!({ "textDocument": doc, "position": pos(&text, "outcome approve", 8), "context": { "includeDeclaration": true } }),
    );
    assert_eq!(r.as_array().unwrap().len(), 3, "{r}");
    // Rename an input everywhere.
    let e =
        c.request("textDocument/rename", json!({ "textDocument": doc, "position": pos(&text, "input seller.strikes", 6), "newName": "seller.strike_count" }));
    let edits = e["changes"][&uri].as_array().unwrap();
    assert_eq!(edits.len(), 3, "{e}");
    assert!(edits.iter().all(|x| x["newText"] == "seller.strike_count"));
    // Completion: variants after `==`, steps after `->`, outcomes after `outcome`.
    let labels = |v: Value| -> Vec<String> { v.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect() };
    let l = labels(c.request("textDocument/completion", json!({ "textDocument": doc, "position": pos(&text, "report.kind == fraud", 15) })));
    assert!(l.contains(&"counterfeit".to_string()) && l.contains(&"fraud".to_string()), "{l:?}");
    let l = labels(c.request("textDocument/completion", json!({ "textDocument": doc, "position": pos(&text, "-> brand_check", 3) })));
    assert!(l.contains(&"brand_check".to_string()) && l.contains(&"intake".to_string()), "{l:?}");
    let l = labels(c.request("textDocument/completion", json!({ "textDocument": doc, "position": pos(&text, "-> outcome approve", 11) })));
    assert!(l.contains(&"approve".to_string()) && l.contains(&"remove_listing".to_string()), "{l:?}");
    // Document symbols: the flow with its steps.
    let s = c.request("textDocument/documentSymbol", json!({ "textDocument": doc }));
    let flow = s.as_array().unwrap().iter().find(|x| x["name"] == "review").unwrap();
    assert_eq!(flow["children"].as_array().unwrap().len(), 2);
    let w = c.request("workspace/symbol", json!({ "query": "brand" }));
    assert!(w.as_array().unwrap().iter().any(|x| x["name"] == "brand_check"));
    // Unknown methods are errors, not crashes.
    let u = c.request("sopflow/nonsense", json!({}));
    assert_eq!(u["error"]["code"], -32601);
    c.shutdown();
}

#[test]
fn formatting_code_actions_and_code_lens() {
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.diagnostics_for(&uri);
    let messy = text.replace("    when brand.authorized    -> outcome approve", "when brand.authorized->outcome approve");
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": messy } }));
    let diags = c.diagnostics_for(&uri);
    let doc = json!({ "uri": uri });
    let f = c.request("textDocument/formatting", json!({ "textDocument": doc, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(f[0]["newText"].as_str().unwrap(), sopflow::fmt::format(&messy).unwrap());
    // The step `intake` has no otherwise: non-exhaustive, with a fix.
    let gap = diags.iter().find(|d| d["code"] == "non-exhaustive").expect("a gap").clone();
    let titles = |v: &Value| -> Vec<String> { v.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect() };
    let a = c.request("textDocument/codeAction", json!({ "textDocument": doc, "range": gap["range"], "context": { "diagnostics": [gap] } }));
    let t = titles(&a);
    // A choice of targets, none taken for the writer, and a placeholder.
    assert!(t.contains(&"Add `otherwise -> outcome approve`".to_string()), "{t:?}");
    assert!(t.contains(&"Add `otherwise -> TODO_choose_a_target`".to_string()), "{t:?}");
    assert!(t.contains(&"Add a test case from the witness".to_string()), "{t:?}");
    assert!(t.contains(&"Suppress `non-exhaustive` here (with a reason)".to_string()), "{t:?}");
    // Applied, the branch lands inside the step: the file parses and the gap is closed.
    let otherwise = a.as_array().unwrap().iter().find(|x| x["title"] == "Add `otherwise -> outcome approve`").unwrap();
    let edit = &otherwise["edit"]["changes"][&uri][0];
    let (line, col) = (edit["range"]["start"]["line"].as_u64().unwrap() as usize, edit["range"]["start"]["character"].as_u64().unwrap() as usize);
    let at = messy.split_inclusive('\n').take(line).map(str::len).sum::<usize>() + col;
    let fixed = format!("{}{}{}", &messy[..at], edit["newText"].as_str().unwrap(), &messy[at..]);
    let checked = common::check_source("fixed.sop", &fixed);
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(!codes.contains(&"syntax-error") && !codes.contains(&"non-exhaustive"), "{codes:?}\n{fixed}");
    let test = a.as_array().unwrap().iter().find(|x| x["title"] == "Add a test case from the witness").unwrap();
    assert!(test["edit"]["changes"][&uri][0]["newText"].as_str().unwrap().contains("run flow review"));
    // Declare an undefined outcome.
    let undefined = messy.replace("outcome remove_listing\n  }", "outcome remove_listin\n  }");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": undefined }] }));
    let diags = c.diagnostics_for(&uri);
    let und = diags.iter().find(|d| d["code"] == "undefined-name").expect("undefined").clone();
    let a = c.request("textDocument/codeAction", json!({ "textDocument": doc, "range": und["range"], "context": { "diagnostics": [und] } }));
    assert!(titles(&a).contains(&"Declare outcome `remove_listin`".to_string()), "{:?}", titles(&a));
    // The lens shows the failure while the flow is broken, then the pass.
    let l = c.request("textDocument/codeLens", json!({ "textDocument": doc }));
    assert!(l[0]["command"]["title"].as_str().unwrap().contains("failed: the flow or table under test has errors"), "{l}");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": messy }] }));
    c.diagnostics_for(&uri);
    // Code lens on each test, with its result; running it reports back.
    let l = c.request("textDocument/codeLens", json!({ "textDocument": doc }));
    let lens = &l.as_array().unwrap()[0];
    assert!(lens["command"]["title"].as_str().unwrap().contains("passed"), "{lens}");
    let r = c.request("workspace/executeCommand", json!({ "command": "sopflow.runTest", "arguments": lens["command"]["arguments"] }));
    assert_eq!(r["passed"], true);
    c.shutdown();
}

/// Malformed messages, unknown methods, out-of-range positions and files
/// outside the workspace: answered, never fatal.
#[test]
fn the_server_survives_bad_input() {
    use std::io::Write;
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.diagnostics_for(&uri);
    // Not JSON, and JSON that is not a JSON-RPC message: framed correctly.
    for body in ["{not json", "[1, 2, 3]", "{\"jsonrpc\": \"2.0\"}"] {
        write!(c.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    }
    c.stdin.flush().unwrap();
    // The server still answers; each bad message was reported in a log message.
    let doc = json!({ "uri": uri });
    let h = c.request("textDocument/hover", json!({ "textDocument": doc, "position": { "line": 9999, "character": 9999 } }));
    assert!(h.is_null() || h.get("contents").is_some(), "{h}");
    let logged = c.notes.iter().filter(|n| n.method == "window/logMessage" && n.params["message"].as_str().unwrap().contains("malformed")).count();
    assert_eq!(logged, 3, "{:?}", c.notes);
    // Positions past the end of a line and of the file are clamped.
    let d = c.request("textDocument/definition", json!({ "textDocument": doc, "position": { "line": 1, "character": 500 } }));
    assert!(d.get("error").is_none(), "{d}");
    let r = c.request(
        "textDocument/references",
        json!({ "textDocument": doc, "position": { "line": 100000, "character": 0 }, "context": { "includeDeclaration": true } }),
    );
    assert!(r.get("error").is_none(), "{r}");
    // Invalid parameters are an error response.
    let e = c.request("textDocument/hover", json!({ "nonsense": true }));
    assert_eq!(e["error"]["code"], -32602);
    // A file outside the workspace, and an unknown URI.
    let outside = format!("file://{}/elsewhere.sop", std::env::temp_dir().display());
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": outside, "languageId": "sopflow", "version": 1, "text": "outcome lonely\n" } }));
    let ds = c.diagnostics_for(&outside);
    assert!(ds.iter().any(|d| d["code"] == "unused-declaration"), "{ds:?}");
    let none = c.request("textDocument/hover", json!({ "textDocument": { "uri": "file:///no/such/file.sop" }, "position": { "line": 0, "character": 0 } }));
    assert!(none.is_null());
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": "untitled:1", "version": 2 }, "contentChanges": [{ "text": "x" }] }));
    let _ = text;
    c.shutdown();
}

/// The flow and table analyses run off the request thread: while a table
/// of 400 branches over 60 inputs is analysed, a hover on a small file of
/// the project answers at once, before that table's findings arrive.
#[test]
fn requests_are_answered_while_a_large_table_is_analysed() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let mut seed = 7u64;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut big: String = (0..60).map(|i| format!("input v{i}: bool\n")).collect();
    big.push_str("outcome o0\noutcome o1\ntable big {\n");
    for b in 0..400 {
        let lits: Vec<String> = (0..3).map(|_| format!("{}v{}", if next(2) == 0 { "not " } else { "" }, next(60))).collect();
        big.push_str(&format!("  when {} -> outcome o{}\n", lits.join(" and "), b % 2));
    }
    big.push_str("}\n");
    std::fs::write(dir.join("big.sop"), &big).unwrap();
    let text = std::fs::read_to_string("tests/lsp_ws/policy.sop").unwrap();
    std::fs::write(dir.join("policy.sop"), &text).unwrap();
    let root = std::fs::canonicalize(dir).unwrap();
    let (uri, big_uri) = (format!("file://{}/policy.sop", root.display()), format!("file://{}/big.sop", root.display()));
    let mut c = Client::start(dir);
    let doc = json!({ "uri": uri });
    let mut times = Vec::new();
    for _ in 0..5 {
        let clock = std::time::Instant::now();
        let h = c.request("textDocument/hover", json!({ "textDocument": doc, "position": pos(&text, "when brand.authorized", 6) }));
        times.push(clock.elapsed());
        assert!(h["contents"]["value"].as_str().unwrap().contains("input brand.authorized: bool"), "{h}");
    }
    // The big table's findings had not arrived when the hovers were answered.
    assert!(!c.notes.iter().any(|n| n.method == "textDocument/publishDiagnostics" && n.params["uri"] == big_uri.as_str()), "the analysis finished first");
    times.sort();
    assert!(times[2] < std::time::Duration::from_millis(50), "hover took {times:?}");
    // The analysis goes on and publishes.
    let found = c.diagnostics_for(&big_uri);
    assert!(found.iter().any(|d| d["code"] == "conflicting-outcomes"), "{}", found.len());
    c.shutdown();
}

/// Framing over a real pipe: every broken header ends the session with a
/// clear error on standard error and exit 1, within a few seconds, whatever
/// the client does next; an enormous `Content-Length` is refused before
/// anything is allocated. `exit` without `shutdown` exits 1.
#[test]
fn a_broken_stream_ends_the_session_cleanly() {
    use std::io::Write;
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
    let framed = |body: &str| format!("Content-Length: {}\r\n\r\n{body}", body.len());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("no Content-Length", b"Content-Type: x\r\n\r\n{}".to_vec(), "no Content-Length"),
        ("not a number", b"Content-Length: ten\r\n\r\n{}".to_vec(), "is not a number"),
        ("negative", b"Content-Length: -5\r\n\r\n{}".to_vec(), "is not a number"),
        ("overflowing", b"Content-Length: 99999999999999999999999\r\n\r\n{}".to_vec(), "is not a number"),
        ("enormous", b"Content-Length: 1000000000000\r\n\r\n{}".to_vec(), "over the limit"),
        ("LF-only", b"Content-Length: 2\n\n{}".to_vec(), "bare line feed"),
        ("a NUL", b"Content-Length: 2\0\r\n\r\n{}".to_vec(), "NUL"),
        ("a short body", b"Content-Length: 500\r\n\r\n{}".to_vec(), "shorter than its Content-Length"),
        ("a line too long", [b"X-Pad: ".to_vec(), vec![b'a'; 10_000]].concat(), "longer than"),
    ];
    for (what, bytes, says) in cases {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sopflow"))
            .arg("lsp")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(framed(init).as_bytes()).unwrap();
        stdin.write_all(&bytes).unwrap();
        // The client closes its end: the server must not wait forever.
        drop(stdin);
        let clock = std::time::Instant::now();
        let out = child.wait_with_output().unwrap();
        assert!(clock.elapsed() < std::time::Duration::from_secs(20), "{what}: took {:?}", clock.elapsed());
        assert_eq!(out.status.code(), Some(1), "{what}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{what}: {err}");
    }
    // `exit` without `shutdown`.
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.notify("exit", Value::Null);
    assert_eq!(c.child.wait().unwrap().code(), Some(1));
}

#[test]
fn prepare_rename_highlight_folding_selection_and_nested_symbols() {
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.diagnostics_for(&uri);
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text } }));
    let doc = json!({ "uri": uri });
    // prepareRename: the name under the cursor and its range; nothing on a keyword.
    let p = c.request("textDocument/prepareRename", json!({ "textDocument": doc, "position": pos(&text, "input seller.strikes", 8) }));
    assert_eq!(p["placeholder"], "seller.strikes", "{p}");
    assert_eq!(p["range"]["start"], pos(&text, "input seller.strikes", 6));
    let p = c.request("textDocument/prepareRename", json!({ "textDocument": doc, "position": pos(&text, "input seller.strikes", 1) }));
    assert!(p.is_null(), "{p}");
    // documentHighlight: the declaration (write) and every use in the file (read).
    let h = c.request("textDocument/documentHighlight", json!({ "textDocument": doc, "position": pos(&text, "outcome approve", 8) }));
    let h = h.as_array().unwrap();
    assert_eq!(h.len(), 3, "{h:?}");
    assert_eq!(h.iter().filter(|x| x["kind"] == 3).count(), 1, "one write: {h:?}");
    assert_eq!(h.iter().filter(|x| x["kind"] == 2).count(), 2, "two reads: {h:?}");
    // foldingRange: the flow and each of its steps, among others.
    let f = c.request("textDocument/foldingRange", json!({ "textDocument": doc }));
    let starts: Vec<u64> = f.as_array().unwrap().iter().map(|r| r["startLine"].as_u64().unwrap()).collect();
    for needle in ["flow review", "step intake", "step brand_check"] {
        let line = pos(&text, needle, 0)["line"].as_u64().unwrap();
        assert!(starts.contains(&line), "`{needle}` folds: {f}");
    }
    // selectionRange: from the name out to the branch, the step, the flow and the file.
    let s = c.request("textDocument/selectionRange", json!({ "textDocument": doc, "positions": [pos(&text, "-> brand_check", 4)] }));
    let mut ranges = Vec::new();
    let mut r = &s[0];
    while !r.is_null() {
        ranges.push(r["range"].clone());
        r = &r["parent"];
    }
    assert_eq!(ranges.len(), 5, "name, branch, step, flow, file: {s}");
    assert_eq!(ranges[0]["start"], pos(&text, "-> brand_check", 3));
    assert_eq!(ranges[4]["start"], json!({ "line": 0, "character": 0 }));
    let line = |r: &Value, end: &str| r[end]["line"].as_u64().unwrap();
    for w in ranges.windows(2) {
        assert!(line(&w[1], "start") <= line(&w[0], "start") && line(&w[0], "end") <= line(&w[1], "end"), "each range holds the one before: {s}");
    }
    // documentSymbol: flows → steps → branches.
    let d = c.request("textDocument/documentSymbol", json!({ "textDocument": doc }));
    let flow = d.as_array().unwrap().iter().find(|x| x["name"] == "review").unwrap();
    let step = flow["children"].as_array().unwrap().iter().find(|x| x["name"] == "brand_check").unwrap();
    let branches: Vec<&str> = step["children"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert!(branches.iter().any(|b| b.starts_with("when ")) && branches.contains(&"otherwise"), "{branches:?}");
    c.shutdown();
}

#[test]
fn every_advertised_capability_answers_over_stdio() {
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.diagnostics_for(&uri);
    let init = sopflow::lsp::capabilities();
    let caps = serde_json::to_value(&init).unwrap();
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text } }));
    let doc = json!({ "uri": uri });
    let at = pos(&text, "outcome approve", 8);
    // Each advertised provider, and the request that exercises it.
    let requests: Vec<(&str, &str, Value)> = vec![
        ("hoverProvider", "textDocument/hover", json!({ "textDocument": doc, "position": at })),
        ("definitionProvider", "textDocument/definition", json!({ "textDocument": doc, "position": at })),
        ("referencesProvider", "textDocument/references", json!({ "textDocument": doc, "position": at, "context": { "includeDeclaration": true } })),
        ("renameProvider", "textDocument/rename", json!({ "textDocument": doc, "position": at, "newName": "approved" })),
        ("renameProvider", "textDocument/prepareRename", json!({ "textDocument": doc, "position": at })),
        ("completionProvider", "textDocument/completion", json!({ "textDocument": doc, "position": at })),
        ("documentSymbolProvider", "textDocument/documentSymbol", json!({ "textDocument": doc })),
        ("workspaceSymbolProvider", "workspace/symbol", json!({ "query": "" })),
        ("documentFormattingProvider", "textDocument/formatting", json!({ "textDocument": doc, "options": { "tabSize": 2, "insertSpaces": true } })),
        (
            "codeActionProvider",
            "textDocument/codeAction",
            json!({ "textDocument": doc, "range": { "start": at, "end": at }, "context": { "diagnostics": [] } }),
        ),
        ("codeLensProvider", "textDocument/codeLens", json!({ "textDocument": doc })),
        ("documentHighlightProvider", "textDocument/documentHighlight", json!({ "textDocument": doc, "position": at })),
        ("foldingRangeProvider", "textDocument/foldingRange", json!({ "textDocument": doc })),
        ("selectionRangeProvider", "textDocument/selectionRange", json!({ "textDocument": doc, "positions": [at] })),
        ("semanticTokensProvider", "textDocument/semanticTokens/full", json!({ "textDocument": doc })),
        ("inlayHintProvider", "textDocument/inlayHint", json!({ "textDocument": doc, "range": { "start": { "line": 0, "character": 0 }, "end": at } })),
        (
            "semanticTokensProvider",
            "textDocument/semanticTokens/range",
            json!({ "textDocument": doc, "range": { "start": at, "end": pos(&text, "step brand_check", 0) } }),
        ),
    ];
    let lens = c.request("textDocument/codeLens", json!({ "textDocument": doc }));
    let mut requests = requests;
    requests.push((
        "executeCommandProvider",
        "workspace/executeCommand",
        json!({ "command": "sopflow.runTest", "arguments": lens[0]["command"]["arguments"] }),
    ));
    requests.push((
        "documentRangeFormattingProvider",
        "textDocument/rangeFormatting",
        json!({ "textDocument": doc, "range": { "start": at, "end": at }, "options": { "tabSize": 2, "insertSpaces": true } }),
    ));
    // SOPflow's own request, advertised under `experimental`.
    assert_eq!(caps["experimental"]["diagramProvider"]["method"], "sopflow/diagram", "{caps}");
    requests.push(("experimental", "sopflow/diagram", json!({ "textDocument": doc, "position": at })));
    // Every capability but document sync, which every other test exercises.
    let mut advertised: Vec<&String> = caps.as_object().unwrap().keys().filter(|k| k.ends_with("Provider")).collect();
    advertised.extend(caps.as_object().unwrap().keys().filter(|k| *k == "experimental"));
    assert_eq!(caps.as_object().unwrap().len(), advertised.len() + 1, "only providers, experimental and textDocumentSync: {caps}");
    for key in &advertised {
        assert!(requests.iter().any(|(k, _, _)| k == key), "`{key}` is advertised but not exercised here");
    }
    for (key, method, params) in requests {
        assert!(!caps[key].is_null(), "`{key}` is exercised but not advertised");
        let answer = c.request(method, params);
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        assert!(!answer.is_null(), "{method} answered nothing");
    }
    c.shutdown();
}

#[test]
fn semantic_tokens_name_what_each_word_is() {
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.diagnostics_for(&uri);
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text.clone() } }));
    let caps = serde_json::to_value(sopflow::lsp::capabilities()).unwrap();
    let legend: Vec<String> =
        caps["semanticTokensProvider"]["legend"]["tokenTypes"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
    let decode = |data: &Value| -> Vec<(usize, usize, String, String)> {
        let data: Vec<u64> = data.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        let lines: Vec<&str> = text.lines().collect();
        let (mut line, mut col) = (0usize, 0usize);
        let mut out = Vec::new();
        for t in data.chunks(5) {
            line += t[0] as usize;
            col = if t[0] == 0 { col + t[1] as usize } else { t[1] as usize };
            let word: String = lines[line].chars().skip(col).take(t[2] as usize).collect();
            out.push((line, col, legend[t[3] as usize].clone(), word));
        }
        out
    };
    let full = decode(&c.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }))["data"]);
    let kind_of = |word: &str| full.iter().find(|t| t.3 == word).map(|t| t.2.clone());
    assert_eq!(kind_of("/// Whether the brand is authorized.").as_deref(), Some("comment"));
    assert_eq!(kind_of("flow").as_deref(), Some("keyword"));
    assert_eq!(kind_of("brand.authorized").as_deref(), Some("variable"));
    assert_eq!(kind_of("counterfeit").as_deref(), Some("enumMember"));
    assert_eq!(kind_of("brand_check").as_deref(), Some("function"));
    assert_eq!(kind_of("brand_protection").as_deref(), Some("class"));
    assert_eq!(kind_of("approve").as_deref(), Some("event"));
    assert_eq!(kind_of("review").as_deref(), Some("namespace"));
    assert_eq!(kind_of("\"Classify\"").as_deref(), Some("string"));
    assert_eq!(kind_of("50").as_deref(), Some("number"));
    // In order, none overlapping.
    for w in full.windows(2) {
        assert!((w[0].0, w[0].1 + w[0].3.chars().count()) <= (w[1].0, w[1].1), "{w:?}");
    }
    // A range: only the tokens of its lines.
    let start = pos(&text, "flow review", 0);
    let end = pos(&text, "  step brand_check", 0);
    let part =
        decode(&c.request("textDocument/semanticTokens/range", json!({ "textDocument": { "uri": uri }, "range": { "start": start, "end": end } }))["data"]);
    assert!(!part.is_empty());
    let (first, last) = (start["line"].as_u64().unwrap() as usize, end["line"].as_u64().unwrap() as usize);
    assert!(part.iter().all(|t| t.0 >= first && t.0 <= last), "{part:?}");
    c.shutdown();
}

/// An open file is told it was checked even when it is clean: an empty
/// list, so a client knows the file's state is current.
#[test]
fn a_clean_open_file_gets_an_empty_list() {
    let text = "input a: bool\noutcome ok\noutcome no\n\ntable rules {\n  when a -> outcome ok\n  otherwise -> outcome no\n}\n";
    let (scratch, uri) = workspace_of(text);
    let mut c = Client::start(scratch.path());
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text } }));
    assert_eq!(c.diagnostics_for(&uri), Vec::<Value>::new());
    // An edit that breaks it, then one that mends it: the list empties again.
    let broken = text.replace("otherwise -> outcome no", "otherwise -> outcome maybe");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": broken }] }));
    assert!(!c.diagnostics_for(&uri).is_empty());
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": text }] }));
    assert_eq!(c.diagnostics_for(&uri), Vec::<Value>::new());
    c.shutdown();
}

#[test]
fn inlay_hints_show_the_worst_case_so_far_and_a_tables_rules() {
    let text = "input a: bool\noutcome ok\noutcome no\nteam t { sla 2h }\n\ntable rules {\n  when a -> outcome ok\n  otherwise -> outcome no\n}\n\n\
flow f {\n  start s1\n  step s1 within 1h {\n    when a -> s2\n    otherwise -> s3\n    timeout -> escalate t\n  }\n  step s2 within 4h {\n    otherwise -> s3\n    timeout -> escalate t\n  }\n  step s3 within 30m {\n    otherwise -> table rules\n    timeout -> escalate t\n  }\n}\n";
    let (scratch, uri) = workspace_of(text);
    let mut c = Client::start(scratch.path());
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text } }));
    let lines = text.lines().count();
    let h = c.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": lines, "character": 0 } } }),
    );
    let hints: Vec<(u64, String)> =
        h.as_array().unwrap().iter().map(|x| (x["position"]["line"].as_u64().unwrap(), x["label"].as_str().unwrap().to_string())).collect();
    let line_of = |needle: &str| text[..text.find(needle).unwrap()].matches('\n').count() as u64;
    let fmt = sopflow::source::Duration::format_seconds;
    // s3 is reached through s2 (1h + 4h) or straight from s1 (1h): the worst is 5h, then its own 30m.
    assert_eq!(
        hints,
        vec![
            (line_of("step s1"), format!("worst case so far: {}", fmt(3600))),
            (line_of("step s2"), format!("worst case so far: {}", fmt(5 * 3600))),
            (line_of("step s3"), format!("worst case so far: {}", fmt(5 * 3600 + 1800))),
            (line_of("-> table rules"), "2 rules".to_string()),
        ]
    );
    // A range holds only its hints.
    let l = line_of("step s2");
    let h = c.request(
        "textDocument/inlayHint",
        json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": l, "character": 0 }, "end": { "line": l, "character": 40 } } }),
    );
    assert_eq!(h.as_array().unwrap().len(), 1, "{h}");
    c.shutdown();
}

/// Applies LSP text edits (non-overlapping) to a text.
fn apply(text: &str, edits: &Value) -> String {
    let offset = |p: &Value| -> usize {
        let (line, col) = (p["line"].as_u64().unwrap() as usize, p["character"].as_u64().unwrap() as usize);
        text.split_inclusive('\n').take(line).map(str::len).sum::<usize>() + col
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap().to_string()))
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (a, b, t) in edits {
        out.replace_range(a..b, &t);
    }
    out
}

#[test]
fn range_formatting_changes_only_the_lines_in_range() {
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    let messy = text
        .replace("    when brand.authorized    -> outcome approve", "when brand.authorized->outcome approve")
        .replace("    when report.kind == fraud       -> outcome remove_listing", "        when report.kind == fraud -> outcome remove_listing");
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": messy } }));
    let doc = json!({ "uri": uri });
    let options = json!({ "tabSize": 2, "insertSpaces": true });
    // The range covers the step `brand_check` only.
    let range = json!({ "start": pos(&messy, "step brand_check", 0), "end": pos(&messy, "otherwise", 0) });
    let edits = c.request("textDocument/rangeFormatting", json!({ "textDocument": doc, "range": range, "options": options }));
    let after = apply(&messy, &edits);
    assert!(after.contains("    when brand.authorized    -> outcome approve\n"), "{after}");
    assert!(after.contains("        when report.kind == fraud -> outcome remove_listing\n"), "the line outside the range is left alone:\n{after}");
    // A range over the other line fixes it too, and the whole file is then formatted.
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": after.clone() }] }));
    let range = json!({ "start": pos(&after, "when report.kind == fraud", 0), "end": pos(&after, "when report.kind == fraud", 3) });
    let edits = c.request("textDocument/rangeFormatting", json!({ "textDocument": doc, "range": range, "options": options }));
    let done = apply(&after, &edits);
    assert!(done.contains("    when report.kind == fraud       -> outcome remove_listing\n"), "{done}");
    // Blank lines between steps are the formatter's too, outside both ranges:
    // still missing; a range over the whole file gives the whole formatting.
    assert_ne!(done, sopflow::fmt::format(&messy).unwrap());
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": done.clone() }] }));
    let whole = json!({ "start": { "line": 0, "character": 0 }, "end": pos(&done, "expect outcome approve", 0) });
    let edits = c.request("textDocument/rangeFormatting", json!({ "textDocument": doc, "range": whole, "options": options }));
    assert_eq!(apply(&done, &edits), sopflow::fmt::format(&messy).unwrap());
    // A file with a syntax error gets no edits.
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 4 }, "contentChanges": [{ "text": "flow {" }] }));
    let range = json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 3 } });
    let none = c.request("textDocument/rangeFormatting", json!({ "textDocument": doc, "range": range, "options": options }));
    assert!(none.is_null() || none.as_array().is_some_and(|a| a.is_empty()), "{none}");
    c.shutdown();
}

#[test]
fn the_diagram_preview_draws_the_flow_under_the_cursor_with_its_findings() {
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text } }));
    let diags = c.diagnostics_for(&uri);
    let doc = json!({ "uri": uri });
    let at = pos(&text, "step brand_check", 3);
    let d = c.request("sopflow/diagram", json!({ "textDocument": doc, "position": at }));
    assert_eq!(d["kind"], "flow", "{d}");
    assert_eq!(d["name"], "review");
    let svg = d["svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("role=\"img\"") && svg.contains("<desc"), "{svg}");
    assert!(svg.contains("Verify brand authorization"), "steps are drawn by title");
    // Self-contained: nothing to fetch (the one URL is the SVG namespace).
    assert_eq!(svg.matches("http").count(), 1, "{svg}");
    assert!(!svg.contains("href"), "{svg}");
    assert!(d["mermaid"].as_str().unwrap().starts_with("flowchart TD"), "{d}");
    // Every finding inside the flow is listed, once, with a badge.
    let codes: Vec<&str> = d["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    let published: Vec<&str> = diags.iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"non-exhaustive") && codes.contains(&"conflicting-outcomes"), "{codes:?}");
    assert_eq!(codes.len(), published.len(), "{codes:?} {published:?}");
    assert_eq!(svg.matches("class=\"badge\"").count(), codes.len());
    // The conflict's witness goes intake → brand_check: that edge and both steps are highlighted.
    let k = codes.iter().position(|c| *c == "conflicting-outcomes").unwrap();
    let d = c.request("sopflow/diagram", json!({ "textDocument": doc, "position": at, "finding": k }));
    assert_eq!(d["highlighted"], k);
    // The result the VS Code panel draws: CI opens the panel's page with it
    // in headless Chromium (tools/browser/webview.mjs).
    std::fs::write("target/diagram-preview.json", d.to_string()).unwrap();
    let svg = d["svg"].as_str().unwrap();
    assert!(svg.matches("class=\"edge witness\"").count() >= 1, "{svg}");
    assert_eq!(svg.matches("class=\"node step witness\"").count(), 2, "{svg}");
    // The gap's witness stops in `intake`: that step alone.
    let k = codes.iter().position(|c| *c == "non-exhaustive").unwrap();
    let d = c.request("sopflow/diagram", json!({ "textDocument": doc, "position": at, "finding": k }));
    let svg = d["svg"].as_str().unwrap();
    assert_eq!(svg.matches("class=\"node step witness\"").count(), 1, "{svg}");
    // As the user types, the drawing follows the buffer.
    let renamed = text.replace("\"Verify brand authorization\"", "\"Check the brand\"");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": renamed }] }));
    let d = c.request("sopflow/diagram", json!({ "textDocument": doc, "position": at }));
    assert!(d["svg"].as_str().unwrap().contains("Check the brand"), "{d}");
    // Outside any flow or table: the file's first flow; a file the server does not know: nothing.
    let d = c.request("sopflow/diagram", json!({ "textDocument": doc, "position": { "line": 0, "character": 0 } }));
    assert_eq!(d["name"], "review");
    let d = c.request("sopflow/diagram", json!({ "textDocument": { "uri": "file:///nowhere/x.sop" }, "position": at }));
    assert!(d.is_null(), "{d}");
    c.shutdown();
}

#[test]
fn a_code_action_on_a_flow_name_adds_the_tests_it_lacks() {
    let (scratch, uri, text) = workspace();
    let dir = scratch.path();
    let mut c = Client::start(dir);
    c.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text } }));
    let doc = json!({ "uri": uri });
    let at = pos(&text, "flow review", 6);
    let a = c.request("textDocument/codeAction", json!({ "textDocument": doc, "range": { "start": at, "end": at }, "context": { "diagnostics": [] } }));
    let action = a.as_array().unwrap().iter().find(|x| x["title"].as_str().unwrap_or("").contains("generated test")).unwrap_or_else(|| panic!("{a}")).clone();
    assert_eq!(action["kind"], "source.sopflow.generateTests");
    let edit = action["edit"]["changes"][&uri].clone();
    let after = apply(&text, &edit);
    // The file still checks, every test passes, and every branch is now taken.
    let r = common::check_source("policy.sop", &after);
    let p = r.program.as_ref().unwrap();
    assert!(r.diagnostics.iter().all(|d| d.code.as_str() != "syntax-error"), "{after}");
    let results = sopflow::testing::run_tests(p, None);
    assert!(results.iter().all(|t| t.passed()), "{after}");
    let cov = sopflow::testing::coverage(p, &r.sources, &results);
    let review = cov.units.iter().find(|u| u.name == "review").unwrap();
    assert_eq!(review.branches_taken, review.branches_total, "{after}");
    // Nowhere near a name: no such action.
    let a = c.request("textDocument/codeAction", json!({ "textDocument": doc, "range": { "start": pos(&text, "input seller", 0), "end": pos(&text, "input seller", 0) }, "context": { "diagnostics": [] } }));
    assert!(a.as_array().unwrap().iter().all(|x| !x["title"].as_str().unwrap_or("").contains("generated test")), "{a}");
    c.shutdown();
}
