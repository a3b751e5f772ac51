//! The guard in front of lsp-server's framing: the header of every message
//! is checked before lsp-server reads it, so that a broken stream ends the
//! session with a clear error instead of a hang or an enormous allocation.
//! lsp-server still parses the header and the JSON-RPC body.
//!
//! Rules: header lines end with `\r\n`, hold no NUL and are at most
//! [`MAX_HEADER_LINE`] bytes; `Content-Length` is present, a decimal number
//! of at most [`MAX_BODY`] bytes; the body is all there.

use std::io::{BufRead, Read};

use lsp_server::Message;

/// The largest message body the server accepts: 64 MiB.
pub const MAX_BODY: usize = 64 << 20;
/// The longest header line.
pub const MAX_HEADER_LINE: usize = 4096;

/// Why the stream cannot go on.
#[derive(Debug)]
pub enum Broken {
    /// The header breaks a rule; the stream cannot be resynchronised.
    Header(String),
    /// The stream ended inside a message, or could not be read.
    Io(String),
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broken::Header(m) => write!(f, "malformed message header: {m}"),
            Broken::Io(m) => write!(f, "the input stream broke: {m}"),
        }
    }
}

/// What reading one message gave.
pub enum Frame {
    Message(Message),
    /// A whole message whose body is not a JSON-RPC message: skipped.
    Malformed(String),
    /// The stream ended between messages.
    End,
}

/// Reads one message.
pub fn read(input: &mut impl BufRead) -> Result<Frame, Broken> {
    let mut length: Option<usize> = None;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        let n = input.by_ref().take(MAX_HEADER_LINE as u64 + 1).read_until(b'\n', &mut line).map_err(|e| Broken::Io(e.to_string()))?;
        if n == 0 {
            return if first { Ok(Frame::End) } else { Err(Broken::Io("it ended inside a header".into())) };
        }
        first = false;
        if line.len() > MAX_HEADER_LINE {
            return Err(Broken::Header(format!("a header line longer than {MAX_HEADER_LINE} bytes")));
        }
        if line.contains(&0) {
            return Err(Broken::Header("a NUL byte in the header".into()));
        }
        if !line.ends_with(b"\r\n") {
            return Err(Broken::Header(if line.ends_with(b"\n") {
                "a header line ends with a bare line feed, not CRLF".into()
            } else {
                "the stream ended inside a header line".into()
            }));
        }
        let text = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            return Err(Broken::Header(format!("`{}` is not `Name: value`", shorten(&text))));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            let n: usize = value.parse().map_err(|_| Broken::Header(format!("Content-Length `{}` is not a number of bytes", shorten(value))))?;
            if n > MAX_BODY {
                return Err(Broken::Header(format!("Content-Length {n} is over the limit of {MAX_BODY} bytes")));
            }
            length = Some(n);
        }
    }
    let Some(length) = length else {
        return Err(Broken::Header("no Content-Length".into()));
    };
    let mut body = vec![0; length];
    input.read_exact(&mut body).map_err(|e| Broken::Io(format!("the body is shorter than its Content-Length ({e})")))?;
    // The checked message, whole, to lsp-server.
    let mut framed = format!("Content-Length: {length}\r\n\r\n").into_bytes();
    framed.extend_from_slice(&body);
    match Message::read(&mut std::io::Cursor::new(framed)) {
        Ok(Some(m)) => Ok(Frame::Message(m)),
        Ok(None) => Err(Broken::Io("the message vanished".into())),
        Err(e) => Ok(Frame::Malformed(e.to_string())),
    }
}

fn shorten(text: &str) -> String {
    crate::eval::shorten(text)
}
