// The SOPflow extension: starts `sopflow lsp` (path configurable) for
// *.sop files; everything else comes from the language server.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from "vscode-languageclient/node";
import { DiagramResult, page } from "./preview";

let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const config = vscode.workspace.getConfiguration("sopflow");
  const command = config.get<string>("server.path", "sopflow");
  const args = ["lsp", ...config.get<string[]>("server.extraArgs", [])];
  return { command, args, transport: TransportKind.stdio };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "sopflow" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/{*.sop,sopflow.toml}") },
  };
  client = new LanguageClient("sopflow", "SOPflow", serverOptions(), clientOptions);
  await client.start();
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

// The live diagram preview: the flow or table under the cursor, drawn by the
// language server (`sopflow/diagram`, SVG from SOPflow's own layout) with its
// findings; the chosen finding's witness path is highlighted. Offline: the
// panel loads nothing from the network (its Content-Security-Policy forbids it).
let panel: vscode.WebviewPanel | undefined;
let chosen: number | undefined;
let lastTarget: string | undefined;
let timer: NodeJS.Timeout | undefined;

async function refreshDiagram(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!panel || !client || !editor || editor.document.languageId !== "sopflow") return;
  const params = {
    textDocument: { uri: editor.document.uri.toString() },
    position: editor.selection.active,
    finding: chosen,
  };
  try {
    const result = await client.sendRequest<DiagramResult | null>("sopflow/diagram", params);
    const target = result ? `${editor.document.uri.toString()}#${result.kind}:${result.name}` : undefined;
    if (target !== lastTarget) chosen = undefined;
    lastTarget = target;
    if (panel) {
      panel.title = result ? `Diagram: ${result.name}` : "SOPflow diagram";
      panel.webview.html = page(result);
    }
  } catch (e) {
    if (panel) panel.webview.html = page(null);
  }
}

function scheduleDiagram(): void {
  if (!panel) return;
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => void refreshDiagram(), 250);
}

function showDiagram(context: vscode.ExtensionContext): void {
  if (panel) {
    panel.reveal(vscode.ViewColumn.Beside, true);
  } else {
    panel = vscode.window.createWebviewPanel("sopflowDiagram", "SOPflow diagram", { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [],
    });
    panel.onDidDispose(() => (panel = undefined), null, context.subscriptions);
    panel.webview.onDidReceiveMessage((m: { finding?: number }) => {
      chosen = m.finding;
      void refreshDiagram();
    });
  }
  void refreshDiagram();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("sopflow.showDiagram", () => showDiagram(context)),
    // Updated as the user types, moves to another flow, or the findings change.
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === vscode.window.activeTextEditor?.document) scheduleDiagram();
    }),
    vscode.window.onDidChangeTextEditorSelection(() => scheduleDiagram()),
    vscode.window.onDidChangeActiveTextEditor(() => scheduleDiagram()),
    vscode.languages.onDidChangeDiagnostics(() => scheduleDiagram()),
    vscode.commands.registerCommand("sopflow.restartServer", async () => {
      await client?.stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("sopflow.server")) {
        await client?.stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
