/**
 * shapelens for VS Code: starts `<python> -m shapelens` (a language server over stdio) with
 * vscode-languageclient and adds two commands, Restart Server and Show Model Summary.
 * The decisions (which Python, which command line, what to tell the user) live in the pure modules
 * interpreter.ts and serverCommand.ts; this file only wires them to VS Code.
 */
import * as fs from "fs/promises";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
} from "vscode-languageclient/node";
import { chooseInterpreter, describeInterpreter, errorText, Interpreter } from "./interpreter";
import { LineLog } from "./lineLog";
import { activeInterpreter, onDidChangeInterpreter, pythonExtensionInstalled } from "./pythonExtension";
import { runProcess } from "./run";
import {
  importCheckCommand,
  importCheckMessage,
  installCommand,
  interpretImportCheck,
  readSettings,
  serverCommand,
  shellJoin,
  ShapelensSettings,
  summaryCommand,
} from "./serverCommand";

const SECTION = "shapelens";
const IMPORT_CHECK_TIMEOUT_MS = 30_000;
const SUMMARY_TIMEOUT_MS = 120_000;

let log: vscode.LogOutputChannel;
/** What vscode-languageclient writes (server stderr, its own messages) goes to `log` line by line. */
let clientChannel: vscode.OutputChannel;
let client: LanguageClient | undefined;
let interpreter: Interpreter | undefined;
/** Starts and stops run one after the other, whatever asks for them. */
let queue: Promise<void> = Promise.resolve();

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  log = vscode.window.createOutputChannel("shapelens", { log: true });
  context.subscriptions.push(log);
  clientChannel = lineChannel(log);
  log.info(`shapelens extension ${context.extension.packageJSON.version} activated`);

  context.subscriptions.push(
    vscode.commands.registerCommand("shapelens.restartServer", () => restart("Restart Server command", true)),
    vscode.commands.registerCommand("shapelens.showSummary", () => showSummary()),
    vscode.commands.registerCommand("shapelens.showLog", () => log.show()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.interpreter`)) {
        void restart("shapelens.interpreter changed");
      } else if (event.affectsConfiguration(SECTION)) {
        void notifySettings();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      // A workspace value of shapelens.interpreter only applies once the workspace is trusted.
      void restart("workspace trusted");
    }),
    { dispose: () => void stopClient() },
  );

  onDidChangeInterpreter(() => {
    if (!currentSettings().interpreter.trim()) {
      void restart("interpreter changed in the Python extension");
    }
  }).then(
    (disposable) => disposable && context.subscriptions.push(disposable),
    (err) => log.warn(`Not following the Python extension's interpreter: ${errorText(err)}`),
  );

  await restart("activation");
}

export function deactivate(): Thenable<void> {
  return stopClient();
}

function workspaceFolder(): vscode.WorkspaceFolder | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  return (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
}

function currentSettings(): ShapelensSettings {
  const config = vscode.workspace.getConfiguration(SECTION, workspaceFolder()?.uri);
  return readSettings((key, fallback) => config.get(key, fallback));
}

async function findInterpreter(settings: ShapelensSettings): Promise<Interpreter> {
  const folder = workspaceFolder();
  return chooseInterpreter({
    setting: settings.interpreter,
    pythonExtension: pythonExtensionInstalled() ? () => activeInterpreter(folder?.uri) : undefined,
    workspaceFolder: folder?.uri.fsPath,
    home: os.homedir(),
    log: (message) => log.info(message),
  });
}

function restart(reason: string, userAsked = false): Promise<void> {
  queue = queue.then(async () => {
    await stopClient();
    try {
      await startClient(reason);
      if (userAsked && client) {
        vscode.window.setStatusBarMessage("shapelens: server restarted", 3000);
      }
    } catch (err) {
      log.error(`The shapelens server did not start: ${errorText(err)}`);
      void showError(`shapelens: the server did not start: ${errorText(err)}`);
    }
  });
  return queue;
}

async function stopClient(): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.stop(5000);
    } catch (err) {
      log.warn(`Stopping the server: ${errorText(err)}`);
    }
    await old.dispose().then(undefined, () => undefined);
  }
}

async function startClient(reason: string): Promise<void> {
  const settings = currentSettings();
  interpreter = await findInterpreter(settings);
  const cwd = workspaceFolder()?.uri.fsPath;
  log.info(`Starting the shapelens server (${reason}) with ${describeInterpreter(interpreter)}`);

  const probe = importCheckCommand(interpreter.command);
  const result = await runProcess(probe.command, probe.args, { cwd, timeoutMs: IMPORT_CHECK_TIMEOUT_MS });
  const check = interpretImportCheck(result);
  if (!check.ok) {
    const where = describeInterpreter(interpreter).replace(/^.*\((.*)\)$/, "$1");
    const message = importCheckMessage(interpreter.command, where, check);
    log.error(message);
    if (result.stderr.trim()) {
      log.error(result.stderr.trim());
    }
    void showMissing(message, interpreter);
    return;
  }
  log.info(`shapelens ${check.version} found; launching ${shellJoin([interpreter.command[0], ...serverCommand(interpreter.command).args])}`);

  const command = serverCommand(interpreter.command);
  const serverOptions: ServerOptions = {
    command: command.command,
    args: command.args,
    options: { cwd, env: { ...process.env, PYTHONIOENCODING: "utf-8" } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
    ],
    outputChannel: clientChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // The server pulls its settings with workspace/configuration; these are for servers that cannot.
    initializationOptions: settings,
  };
  const newClient = new LanguageClient("shapelens", "shapelens", serverOptions, clientOptions);
  client = newClient;
  await newClient.start();
  log.info("shapelens server running");
}

/**
 * Tells the running server that the shapelens settings changed (it then asks for them again). Sent here
 * rather than by the client's `synchronize` option, so a change of interpreter, which restarts the server,
 * does not also send a notification to the server being stopped.
 */
async function notifySettings(): Promise<void> {
  const running = client;
  if (!running || !running.isRunning()) {
    return;
  }
  log.info("shapelens settings changed: telling the server");
  try {
    await running.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: currentSettings() } });
  } catch (err) {
    log.warn(`Could not send the new settings to the server: ${errorText(err)}`);
  }
}

function lineChannel(target: vscode.LogOutputChannel): vscode.OutputChannel {
  const lines = new LineLog(target);
  return {
    name: target.name,
    append: (value: string) => lines.append(value),
    appendLine: (value: string) => lines.appendLine(value),
    replace: (value: string) => {
      lines.flush();
      target.replace(value);
    },
    clear: () => {
      lines.flush();
      target.clear();
    },
    show: (...args: unknown[]) => target.show(...(args as [boolean?])),
    hide: () => target.hide(),
    dispose: () => lines.flush(),
  };
}

async function showError(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, "Show Log");
  if (choice === "Show Log") {
    log.show();
  }
}

async function showMissing(message: string, python: Interpreter): Promise<void> {
  const openSetting = "Open Setting";
  const copy = "Copy Install Command";
  const choice = await vscode.window.showErrorMessage(message, openSetting, copy, "Show Log");
  if (choice === openSetting) {
    await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.interpreter`);
  } else if (choice === copy) {
    await vscode.env.clipboard.writeText(installCommand(python.command));
  } else if (choice === "Show Log") {
    log.show();
  }
}

async function showSummary(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "python") {
    void vscode.window.showWarningMessage("shapelens: open a Python file to see its model summary.");
    return;
  }
  const doc = editor.document;
  const settings = currentSettings();
  const python = interpreter ?? (await findInterpreter(settings));
  const shownName = doc.isUntitled ? doc.uri.path : vscode.workspace.asRelativePath(doc.uri);

  // The CLI reads files from disk: unsaved text goes through a temporary copy.
  let file = doc.uri.fsPath;
  let tmpDir: string | undefined;
  if (doc.isUntitled || doc.isDirty || doc.uri.scheme !== "file") {
    tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), "shapelens-"));
    file = path.join(tmpDir, doc.isUntitled ? "untitled.py" : path.basename(doc.uri.fsPath));
    await fs.writeFile(file, doc.getText(), "utf8");
  }
  const command = summaryCommand(python.command, file, settings);
  log.info(`Running ${shellJoin([command.command, ...command.args])}`);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "shapelens: model summary" },
      () => runProcess(command.command, command.args, { cwd: workspaceFolder()?.uri.fsPath, timeoutMs: SUMMARY_TIMEOUT_MS }),
    );
    // Exit code 1 only means the file has shape errors: the summary is still printed.
    if (result.spawnError || (result.code !== 0 && result.code !== 1)) {
      log.error(`Summary failed (${result.spawnError ?? `exit code ${result.code}`}): ${result.stderr.trim()}`);
      void showError(`shapelens: the model summary failed: ${result.stderr.trim().split(/\r?\n/).pop() || result.spawnError || `exit code ${result.code}`}`);
      return;
    }
    const text = result.stdout.split(file).join(shownName).trimEnd() + "\n";
    const summaryDoc = await vscode.workspace.openTextDocument({ content: text, language: "plaintext" });
    await vscode.window.showTextDocument(summaryDoc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  } finally {
    if (tmpDir) {
      await fs.rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
