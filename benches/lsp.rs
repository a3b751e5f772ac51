//! `cargo bench --bench lsp`: edit-to-diagnostics latency of the language
//! server on a generated project of about 5,000 lines in 10 files: the time from a `didChange` to
//! the `publishDiagnostics` it causes (in-process connection, median of 30
//! edits). Figures in docs/PERFORMANCE.md.

use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;

fn main() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    // A clean project of 10 files, about 4,600 lines; the edits go to one
    // flow file.
    let mut lines = 0;
    for (name, text) in sopflow_tools::gen::project(10, 5, 20, 3) {
        lines += text.lines().count();
        std::fs::write(dir.join(name), text).unwrap();
    }
    let file = dir.join("flows_004.sop");
    let text = std::fs::read_to_string(&file).unwrap();
    let uri = format!("file://{}", file.display());

    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || sopflow::lsp::serve(&server));
    let root = format!("file://{}", dir.display());
    client.sender.send(Message::Request(Request::new(RequestId::from(1), "initialize".into(), json!({ "capabilities": {}, "rootUri": root })))).unwrap();
    let wait_publish = |client: &Connection| loop {
        match client.receiver.recv().unwrap() {
            Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => return n,
            _ => {}
        }
    };
    loop {
        if let Message::Response(_) = client.receiver.recv().unwrap() {
            break;
        }
    }
    client.sender.send(Message::Notification(Notification::new("initialized".into(), json!({})))).unwrap();
    let _ = wait_publish(&client);
    client
        .sender
        .send(Message::Notification(Notification::new(
            "textDocument/didOpen".into(),
            json!({ "textDocument": { "uri": uri, "languageId": "sopflow", "version": 1, "text": text } }),
        )))
        .unwrap();
    let _ = wait_publish(&client);
    let mut times: Vec<Duration> = Vec::new();
    for k in 0..30 {
        // Edit a condition in the middle of the flow, alternating values.
        let edited = text.replacen("seller.strikes >= 100", &format!("seller.strikes >= {}", 99 + k % 2), 1);
        let t = Instant::now();
        client
            .sender
            .send(Message::Notification(Notification::new(
                "textDocument/didChange".into(),
                json!({ "textDocument": { "uri": uri, "version": k + 2 }, "contentChanges": [{ "text": edited }] }),
            )))
            .unwrap();
        let n = wait_publish(&client);
        times.push(t.elapsed());
        assert!(n.params["diagnostics"].is_array());
    }
    times.sort();
    println!("lsp edit-to-diagnostics, {lines} lines: median {:.1?}, fastest {:.1?}, slowest {:.1?} (30 edits)", times[15], times[0], times[29]);
    client.sender.send(Message::Request(Request::new(RequestId::from(2), "shutdown".into(), json!(null)))).unwrap();
    let _ = client.receiver.recv();
    client.sender.send(Message::Notification(Notification::new("exit".into(), json!(null)))).unwrap();
    let _ = thread.join();
}
