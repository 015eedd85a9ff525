/**
 * shapelens for VS Code: runs the shapelens language server with vscode-languageclient and adds three
 * commands, Restart Server, Show Model Summary (a read-only `shapelens-summary:` document) and Show Server Log.
 *
 * The extension carries the server and its Python dependencies (bundled/, built by
 * scripts/bundle_python.py for the .vsix's platform) and runs them with a Python it finds (interpreter.ts),
 * so nothing has to be installed with pip. The decisions (which Python, which shapelens, which command line,
 * what to tell the user) live in the pure modules interpreter.ts, resolve.ts, serverCommand.ts and
 * summaryText.ts; this file only wires them to VS Code.
 */
import * as fsSync from "fs";
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
import { errorText, interpreterCandidates } from "./interpreter";
import { LineLog } from "./lineLog";
import { activeInterpreter, onDidChangeInterpreter, pythonExtensionInstalled } from "./pythonExtension";
import { resolveLaunch } from "./resolve";
import { runProcess } from "./run";
import {
  Bundle,
  describeLaunch,
  Launch,
  launchEnv,
  noPythonMessage,
  parseBundleManifest,
  readSettings,
  serverCommand,
  shellJoin,
  ShapelensSettings,
  summaryCommand,
} from "./serverCommand";
import { SUMMARY_SCHEME, summaryPath, summaryText } from "./summaryText";

const SECTION = "shapelens";
const PROBE_TIMEOUT_MS = 60_000;
const SUMMARY_TIMEOUT_MS = 120_000;

let log: vscode.LogOutputChannel;
/** What vscode-languageclient writes (server stderr, its own messages) goes to `log` line by line. */
let clientChannel: vscode.OutputChannel;
let client: LanguageClient | undefined;
let bundle: Bundle | undefined;
/** What runs the server now (undefined: nothing could). */
let launch: Launch | undefined;
/** Why nothing runs, when nothing does: the summary document says it. */
let launchProblem = "the server has not started yet";
/** Starts and stops run one after the other, whatever asks for them. */
let queue: Promise<void> = Promise.resolve();

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  log = vscode.window.createOutputChannel("shapelens", { log: true });
  context.subscriptions.push(log);
  clientChannel = lineChannel(log);
  log.info(`shapelens extension ${context.extension.packageJSON.version} activated (${context.extensionPath})`);
  bundle = readBundle(context.extensionPath);

  const summaries = new SummaryProvider();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, summaries),
    summaries,
    vscode.commands.registerCommand("shapelens.restartServer", () => restart("Restart Server command", true)),
    vscode.commands.registerCommand("shapelens.showSummary", () => summaries.show()),
    vscode.commands.registerCommand("shapelens.showLog", () => log.show()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.interpreter`) || event.affectsConfiguration(`${SECTION}.importStrategy`)) {
        void restart("the shapelens.interpreter or shapelens.importStrategy setting changed");
      } else if (event.affectsConfiguration(SECTION)) {
        void notifySettings();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      // A workspace value of shapelens.interpreter, and the workspace's .venv, only count once it is trusted.
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

function readBundle(extensionPath: string): Bundle | undefined {
  const dir = path.join(extensionPath, "bundled");
  const manifest = path.join(dir, "manifest.json");
  try {
    const found = parseBundleManifest(dir, fsSync.readFileSync(manifest, "utf8"));
    if (found) {
      log.info(`Bundled: shapelens ${found.version} for ${found.target}, Python ${found.pythons.join(", ")} (${dir})`);
      return found;
    }
    log.warn(`${manifest} is not a bundle manifest: only a shapelens installed in the Python environment can run`);
  } catch {
    log.warn(`No bundled shapelens (${manifest} is missing; a development build?): only a shapelens installed in the Python environment can run`);
  }
  return undefined;
}

function workspaceFolder(): vscode.WorkspaceFolder | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  return (active && vscode.workspace.getWorkspaceFolder(active)) ?? vscode.workspace.workspaceFolders?.[0];
}

function currentSettings(): ShapelensSettings {
  const config = vscode.workspace.getConfiguration(SECTION, workspaceFolder()?.uri);
  return readSettings((key, fallback) => config.get(key, fallback));
}

async function findLaunch(settings: ShapelensSettings): Promise<Launch | undefined> {
  const folder = workspaceFolder();
  const candidates = await interpreterCandidates({
    setting: settings.interpreter,
    pythonExtension: pythonExtensionInstalled() ? () => activeInterpreter(folder?.uri) : undefined,
    virtualEnv: process.env.VIRTUAL_ENV,
    workspaceFolder: folder?.uri.fsPath,
    trusted: vscode.workspace.isTrusted,
    exists: (file) => fsSync.existsSync(file),
    home: os.homedir(),
    log: (message) => log.info(message),
  });
  log.info(`Interpreters to try, in order: ${candidates.map((c) => shellJoin(c.command)).join(", ")}; importStrategy ${settings.importStrategy}`);
  const cwd = folder?.uri.fsPath;
  const resolution = await resolveLaunch({
    candidates,
    bundle,
    strategy: settings.importStrategy,
    run: (command) => runProcess(command.command, command.args, { cwd, timeoutMs: PROBE_TIMEOUT_MS }),
    log: (message) => log.info(message),
  });
  if (!resolution.launch) {
    const message = noPythonMessage(resolution.attempts, bundle);
    launchProblem = message;
    log.error(message);
    void showNoPython(message);
  }
  return resolution.launch;
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
      launchProblem = `the server did not start: ${errorText(err)}`;
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
  log.info(`Starting the shapelens server (${reason})`);
  launch = await findLaunch(settings);
  if (!launch) {
    return;
  }
  for (const line of describeLaunch(launch)) {
    log.info(line);
  }
  const command = serverCommand(launch);
  log.info(`Launching ${shellJoin([command.command, ...command.args])}`);
  const serverOptions: ServerOptions = {
    command: command.command,
    args: command.args,
    options: { cwd: workspaceFolder()?.uri.fsPath, env: launchEnv(launch, process.env) },
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

async function showNoPython(message: string): Promise<void> {
  const openSetting = "Open Setting";
  const choice = await vscode.window.showErrorMessage(message, openSetting, "Show Log");
  if (choice === openSetting) {
    await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.interpreter`);
  } else if (choice === "Show Log") {
    log.show();
  }
}

/**
 * The model summary as a read-only virtual document (`shapelens-summary:/mnist_cnn.py (model summary)?<source
 * uri>`): never dirty, so closing it asks nothing. Its text is `--summary` of the source's current text, run
 * with the same Python and shapelens as the server, and follows the source as it is edited.
 */
class SummaryProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly listener = vscode.workspace.onDidChangeTextDocument((event) => this.sourceChanged(event.document));

  dispose(): void {
    this.listener.dispose();
    this.changed.dispose();
    for (const timer of this.timers.values()) {
      clearTimeout(timer);
    }
  }

  static uriFor(source: vscode.Uri): vscode.Uri {
    return vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: summaryPath(source.path), query: source.toString() });
  }

  async show(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== "python") {
      void vscode.window.showWarningMessage("shapelens: open a Python file to see its model summary.");
      return;
    }
    const uri = SummaryProvider.uriFor(editor.document.uri);
    // Already open: compute it again (the server or the settings may have changed since).
    if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) {
      this.changed.fire(uri);
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false, preserveFocus: false });
  }

  private sourceChanged(source: vscode.TextDocument): void {
    if (source.uri.scheme === SUMMARY_SCHEME) {
      return;
    }
    const uri = SummaryProvider.uriFor(source.uri);
    const key = uri.toString();
    if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) {
      return;
    }
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.changed.fire(uri);
    }, 500));
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const source = vscode.Uri.parse(uri.query);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === source.toString())
      ?? (await vscode.workspace.openTextDocument(source));
    const shownName = doc.isUntitled ? doc.uri.path : vscode.workspace.asRelativePath(doc.uri);
    await queue; // a server (re)start in progress decides which Python runs
    const current = launch;
    if (!current) {
      return `shapelens cannot summarise ${shownName}: ${launchProblem}\n`;
    }
    // The CLI reads files from disk: unsaved text goes through a temporary copy.
    let file = doc.uri.fsPath;
    let tmpDir: string | undefined;
    if (doc.isUntitled || doc.isDirty || doc.uri.scheme !== "file") {
      tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), "shapelens-"));
      file = path.join(tmpDir, doc.isUntitled ? "untitled.py" : path.basename(doc.uri.fsPath));
      await fs.writeFile(file, doc.getText(), "utf8");
    }
    const command = summaryCommand(current, file, currentSettings());
    log.info(`Running ${shellJoin([command.command, ...command.args])}`);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: "shapelens: model summary" },
        () =>
          runProcess(command.command, command.args, {
            cwd: workspaceFolder()?.uri.fsPath,
            timeoutMs: SUMMARY_TIMEOUT_MS,
            env: launchEnv(current, process.env),
          }),
      );
      if (result.spawnError || (result.code !== 0 && result.code !== 1)) {
        log.error(`Summary failed (${result.spawnError ?? `exit code ${result.code}`}): ${result.stderr.trim()}`);
      }
      return summaryText(result, file, shownName);
    } finally {
      if (tmpDir) {
        await fs.rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }
}
