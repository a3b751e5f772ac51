//! `sopflow lsp`: a Language Server over stdio (lsp-server + lsp-types).
//! The workspace folder is the project (every `*.sop` and `sopflow.toml`);
//! open buffers are kept in memory and override the files on disk. Only this
//! module knows the LSP types.

mod convert;
mod features;
pub mod frame;
mod index;
pub mod preview;
mod state;

pub use convert::to_lsp_diagnostic;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;

use state::Workspace;

/// Runs the server on standard input and output until `exit`.
///
/// The transport is lsp-server's framing (`Message::read` / `write`),
/// behind a guard (`frame`): a header that breaks the rules, a body over
/// 64 MiB or a stream that ends inside a message ends the session with an
/// error (exit 1), never a hang. A whole message whose body is not
/// JSON-RPC does not end it: the stream is still in step, so the server
/// tells the client in a `window/logMessage` and goes on.
pub fn run_stdio() -> Result<(), String> {
    run_io(std::io::BufReader::new(std::io::stdin()), std::io::stdout())
}

/// The server on any byte stream (the `lsp_stream` fuzz target feeds it
/// bytes): [`run_stdio`] without the process's standard streams.
pub fn run_io(mut input: impl std::io::BufRead + Send + 'static, mut output: impl std::io::Write + Send + 'static) -> Result<(), String> {
    let (to_writer, writer_rx) = crossbeam_channel::unbounded::<Message>();
    let (reader_tx, from_reader) = crossbeam_channel::bounded::<Message>(0);
    let log = to_writer.clone();
    let writer = std::thread::spawn(move || {
        for msg in writer_rx {
            if msg.write(&mut output).is_err() {
                break;
            }
        }
    });
    let broken = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let broke = broken.clone();
    let reader = std::thread::spawn(move || loop {
        match frame::read(&mut input) {
            Ok(frame::Frame::Message(msg)) => {
                let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                if reader_tx.send(msg).is_err() || exit {
                    break;
                }
            }
            Ok(frame::Frame::End) => break,
            Ok(frame::Frame::Malformed(e)) => {
                let params = lsp::LogMessageParams { typ: lsp::MessageType::ERROR, message: format!("sopflow ignored a malformed message: {e}") };
                let _ = log.send(Message::Notification(Notification::new(
                    <lsp::notification::LogMessage as lsp::notification::Notification>::METHOD.to_string(),
                    params,
                )));
            }
            Err(e) => {
                *broke.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                break;
            }
        }
    });
    let connection = Connection { sender: to_writer, receiver: from_reader };
    let result = serve(&connection);
    drop(connection);
    let _ = writer.join();
    // The reader has ended, or is blocked on a stream nobody will write to
    // again (the session is over either way).
    if reader.is_finished() {
        let _ = reader.join();
    }
    let broken = broken.lock().unwrap_or_else(|p| p.into_inner()).take();
    // A broken stream is the cause of whatever else went wrong.
    match (broken, result) {
        (Some(b), _) => Err(b),
        (None, result) => result,
    }
}

pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(lsp::TextDocumentSyncKind::FULL)),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions { prepare_provider: Some(true), work_done_progress_options: Default::default() })),
        document_highlight_provider: Some(lsp::OneOf::Left(true)),
        folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
        selection_range_provider: Some(lsp::SelectionRangeProviderCapability::Simple(true)),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        semantic_tokens_provider: Some(lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(lsp::SemanticTokensOptions {
            legend: lsp::SemanticTokensLegend { token_types: features::TOKEN_TYPES.to_vec(), token_modifiers: vec![] },
            full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
            range: Some(true),
            ..Default::default()
        })),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![" ".into(), ">".into(), "{".into(), ",".into(), ".".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        code_lens_provider: Some(lsp::CodeLensOptions { resolve_provider: Some(false) }),
        execute_command_provider: Some(lsp::ExecuteCommandOptions { commands: vec!["sopflow.runTest".into()], ..Default::default() }),
        document_range_formatting_provider: Some(lsp::OneOf::Left(true)),
        // The live diagram preview: a request of SOPflow's own.
        experimental: Some(serde_json::json!({ "diagramProvider": { "method": "sopflow/diagram", "formats": ["svg", "mermaid"] } })),
        ..Default::default()
    }
}

/// The session on a connection: initialize, then requests and notifications.
pub fn serve(connection: &Connection) -> Result<(), String> {
    let result = lsp::InitializeResult {
        capabilities: capabilities(),
        server_info: Some(lsp::ServerInfo { name: "sopflow".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
    };
    let (id, init) = connection.initialize_start().map_err(|e| e.to_string())?;
    connection.initialize_finish(id, serde_json::to_value(result).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let params: lsp::InitializeParams = serde_json::from_value(init).unwrap_or_default();
    let (mut ws, analysed) = Workspace::new(root_of(&params));
    loop {
        crossbeam_channel::select! {
            recv(connection.receiver) -> msg => {
                let Ok(msg) = msg else { return Ok(()) };
                match msg {
                    Message::Request(req) => {
                        if connection.handle_shutdown(&req).map_err(|e| e.to_string())? {
                            return Ok(());
                        }
                        let resp = handle_request(&mut ws, req);
                        let notes = std::mem::take(&mut ws.outbox);
                        connection.sender.send(Message::Response(resp)).map_err(|e| e.to_string())?;
                        for n in notes {
                            connection.sender.send(Message::Notification(n)).map_err(|e| e.to_string())?;
                        }
                    }
                    Message::Notification(n) if n.method == "exit" => {
                        // The protocol: `exit` after `shutdown` ends with 0 (handled
                        // by `handle_shutdown`), without it with 1.
                        return Err("the client sent `exit` without `shutdown`".into());
                    }
                    Message::Notification(n) => {
                        if handle_notification(&mut ws, n) {
                            publish(connection, &mut ws);
                        }
                    }
                    Message::Response(_) => {}
                }
            }
            // A full check from the worker: published if still current.
            recv(analysed) -> a => {
                if let Ok(a) = a {
                    if ws.analysed(a) {
                        publish(connection, &mut ws);
                    }
                }
            }
        }
    }
}

#[allow(deprecated, reason = "root_uri and root_path are what older clients send")]
fn root_of(params: &lsp::InitializeParams) -> Option<std::path::PathBuf> {
    params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .and_then(|f| convert::uri_to_path(&f.uri))
        .or_else(|| params.root_uri.as_ref().and_then(convert::uri_to_path))
        .or_else(|| params.root_path.as_ref().map(std::path::PathBuf::from))
}

fn publish(connection: &Connection, ws: &mut Workspace) {
    for (uri, diagnostics) in ws.diagnostics_to_publish() {
        let params = lsp::PublishDiagnosticsParams { uri, diagnostics, version: None };
        let _ = connection.sender.send(Message::Notification(Notification::new(lsp::notification::PublishDiagnostics::METHOD.to_string(), params)));
    }
}

/// Returns whether the project changed (diagnostics to publish).
fn handle_notification(ws: &mut Workspace, n: Notification) -> bool {
    use lsp::notification::*;
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => match serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params) {
            Ok(p) => ws.open(&p.text_document.uri, p.text_document.text),
            Err(_) => false,
        },
        DidChangeTextDocument::METHOD => match serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params) {
            Ok(p) => match p.content_changes.into_iter().last() {
                Some(change) => ws.open(&p.text_document.uri, change.text),
                None => false,
            },
            Err(_) => false,
        },
        DidCloseTextDocument::METHOD => match serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) {
            Ok(p) => ws.close(&p.text_document.uri),
            Err(_) => false,
        },
        DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => ws.refresh(),
        _ => false,
    }
}

fn handle_request(ws: &mut Workspace, req: Request) -> Response {
    use lsp::request::*;
    let id = req.id.clone();
    macro_rules! dispatch {
        ($($kind:ty => $handler:expr),* $(,)?) => {
            match req.method.as_str() {
                $(<$kind>::METHOD => match serde_json::from_value::<<$kind as Request>::Params>(req.params) {
                    Ok(params) => Response::new_ok(id, $handler(ws, params)),
                    Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, format!("invalid parameters: {e}")),
                },)*
                other => Response::new_err(id, ErrorCode::MethodNotFound as i32, format!("unknown method `{other}`")),
            }
        };
    }
    dispatch! {
        HoverRequest => features::hover,
        GotoDefinition => features::definition,
        References => features::references,
        Rename => features::rename,
        PrepareRenameRequest => features::prepare_rename,
        DocumentHighlightRequest => features::document_highlight,
        FoldingRangeRequest => features::folding_ranges,
        SelectionRangeRequest => features::selection_ranges,
        SemanticTokensFullRequest => features::semantic_tokens_full,
        InlayHintRequest => features::inlay_hints,
        SemanticTokensRangeRequest => features::semantic_tokens_range,
        Completion => features::completion,
        DocumentSymbolRequest => features::document_symbols,
        WorkspaceSymbolRequest => features::workspace_symbols,
        Formatting => features::formatting,
        RangeFormatting => features::range_formatting,
        preview::DiagramRequest => preview::diagram,
        CodeActionRequest => features::code_actions,
        CodeLensRequest => features::code_lens,
        ExecuteCommand => features::execute_command,
    }
}
