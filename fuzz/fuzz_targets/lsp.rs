//! A stream of JSON-RPC messages (one JSON value per line, sent as requests
//! or notifications by their shape) never brings the server down: it
//! answers, and it still shuts down cleanly.
#![no_main]
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (server, client) = Connection::memory();
    let handle = std::thread::spawn(move || sopflow::lsp::serve(&server));
    let send = |m: Message| {
        let _ = client.sender.send(m);
    };
    send(Message::Request(Request::new(RequestId::from(0), "initialize".into(), json!({ "capabilities": {} }))));
    send(Message::Notification(Notification::new("initialized".into(), json!({}))));
    for (k, line) in text.lines().take(64).enumerate() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let method = v.get("method").and_then(Value::as_str).unwrap_or("textDocument/hover").to_string();
        if method == "exit" || method == "shutdown" {
            continue;
        }
        let params = v.get("params").cloned().unwrap_or(Value::Null);
        if v.get("id").is_some() {
            send(Message::Request(Request::new(RequestId::from(k as i32 + 1), method, params)));
        } else {
            send(Message::Notification(Notification::new(method, params)));
        }
    }
    send(Message::Request(Request::new(RequestId::from(100_000), "shutdown".into(), Value::Null)));
    send(Message::Notification(Notification::new("exit".into(), Value::Null)));
    drop(client.sender);
    while client.receiver.recv().is_ok() {}
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
});
