//! The language server's byte stream, headers included: after a valid
//! `initialize`, any bytes. The server never panics, never allocates what a
//! header claims beyond the cap, and always ends (the stream ends).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{}}}"#;
    let ready = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
    let mut stream = Vec::new();
    for body in [init, ready] {
        stream.extend_from_slice(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }
    stream.extend_from_slice(data);
    let _ = sopflow::lsp::run_io(std::io::Cursor::new(stream), std::io::sink());
});
