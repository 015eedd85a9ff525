/**
 * How the extension runs shapelens with a Python it found: the probe it runs first, the choice between the
 * shapelens bundled with the extension and one installed in the environment, the command lines (server and
 * summary), the settings sent to the server, and what to tell the user when nothing can run. Pure: no
 * `vscode` import, unit-tested with node's test runner.
 */
import * as path from "path";

export const SERVER_MODULE = "shapelens";
/** Oldest Python the bundle and shapelens support (pyproject.toml: requires-python >= 3.9). */
export const MIN_PYTHON: [number, number] = [3, 9];

export interface CommandLine {
  command: string;
  args: string[];
}

export type ImportStrategy = "useBundled" | "fromEnvironment";

export interface ShapelensSettings {
  interpreter: string;
  importStrategy: ImportStrategy;
  inlayHints: {
    enabled: boolean;
    showShapes: boolean;
    showParams: boolean;
    showMacs: boolean;
  };
  defaultTorchInput: string;
  ignore: string[];
}

export const DEFAULT_SETTINGS: ShapelensSettings = {
  interpreter: "",
  importStrategy: "useBundled",
  inlayHints: { enabled: true, showShapes: true, showParams: true, showMacs: false },
  defaultTorchInput: "",
  ignore: [],
};

/** What the extension carries: bundled/ (launch.py, libs/, manifest.json written by scripts/bundle_python.py). */
export interface Bundle {
  /** Absolute path of bundled/. */
  dir: string;
  /** shapelens version inside, e.g. "0.1.0". */
  version: string;
  /** VS Code target it was built for, e.g. "linux-x64". */
  target: string;
  /** Python versions whose wheels it carries, e.g. ["3.9", ..., "3.14"]. */
  pythons: string[];
}

export function bundleLibs(bundle: Bundle): string {
  return path.join(bundle.dir, "libs");
}

export function bundleLauncher(bundle: Bundle): string {
  return path.join(bundle.dir, "launch.py");
}

/** Reads bundled/manifest.json's content; undefined when it is not a manifest. */
export function parseBundleManifest(dir: string, text: string): Bundle | undefined {
  try {
    const m = JSON.parse(text);
    if (typeof m?.shapelens !== "string") {
      return undefined;
    }
    return {
      dir,
      version: m.shapelens,
      target: typeof m.target === "string" ? m.target : "?",
      pythons: Array.isArray(m.pythons) ? m.pythons.filter((p: unknown) => typeof p === "string") : [],
    };
  } catch {
    return undefined;
  }
}

function split(python: string[]): CommandLine {
  if (python.length === 0 || !python[0]) {
    throw new Error("no Python interpreter given");
  }
  return { command: python[0], args: python.slice(1) };
}

// ------------------------------------------------------------------------------------------------ probe

/**
 * Run as `<python> -c PROBE_CODE MODE LIBS` before the server starts. It reports the interpreter (absolute
 * executable, version), the shapelens installed in the environment (found without importing it), and
 * whether shapelens and everything its server imports can be imported in MODE: "bundled" (LIBS first on
 * sys.path) or "environment" (as installed). Written to run, and to report, on any Python, even 2.7.
 */
export const PROBE_CODE = [
  "import sys, os, json",
  "r = {'executable': sys.executable, 'version': list(sys.version_info[:3]),",
  "     'implementation': getattr(getattr(sys, 'implementation', None), 'name', 'cpython'), 'prefix': sys.prefix}",
  "try:",
  "    import importlib.util, re",
  "    spec = importlib.util.find_spec('shapelens')",
  "    if spec is not None and spec.origin and os.path.isfile(spec.origin):",
  "        r['envPath'] = os.path.dirname(os.path.abspath(spec.origin))",
  "        with open(spec.origin, 'rb') as f:",
  "            m = re.search(br'__version__\\s*=\\s*[\\'\"]([^\\'\"]+)', f.read())",
  "        r['envVersion'] = m.group(1).decode('ascii', 'replace') if m else '?'",
  "except Exception as e:",
  "    r['envError'] = '%s: %s' % (type(e).__name__, e)",
  "mode = sys.argv[1] if len(sys.argv) > 1 else 'environment'",
  "if mode == 'bundled':",
  "    sys.path.insert(0, sys.argv[2])",
  "try:",
  "    if sys.version_info < (3, 9):",
  "        raise RuntimeError('Python %d.%d is older than 3.9' % sys.version_info[:2])",
  "    import shapelens, shapelens.lsp",
  "    r['path'] = os.path.dirname(os.path.abspath(shapelens.__file__))",
  "    r['shapelensVersion'] = getattr(shapelens, '__version__', '?')",
  "    r['ok'] = True",
  "except BaseException as e:",
  "    r['ok'] = False",
  "    r['error'] = '%s: %s' % (type(e).__name__, e)",
  "sys.stdout.write('\\nSHAPELENS-PROBE ' + json.dumps(r) + '\\n')",
].join("\n");

export type ProbeMode = "bundled" | "environment";

export function probeCommand(python: string[], mode: ProbeMode, bundle?: Bundle): CommandLine {
  const base = split(python);
  const args = [...base.args, "-c", PROBE_CODE, mode];
  if (mode === "bundled") {
    if (!bundle) {
      throw new Error("no bundle to probe");
    }
    args.push(bundleLibs(bundle));
  }
  return { command: base.command, args };
}

/** Result of running a process (the probe, `--summary`), whatever ran it. */
export interface ProcessResult {
  /** Exit code; null when the process could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Spawn error code such as ENOENT / EACCES, when the executable could not be run at all. */
  spawnError?: string;
}

export interface ProbeReport {
  executable: string;
  version: [number, number, number];
  implementation: string;
  prefix: string;
  /** The environment's own shapelens (directory, version), if it has one. */
  envPath?: string;
  envVersion?: string;
  /** Whether shapelens could be imported in the probed mode, from where, which version, or why not. */
  ok: boolean;
  path?: string;
  shapelensVersion?: string;
  error?: string;
}

export type Probe =
  | { ran: true; report: ProbeReport }
  | { ran: false; reason: "not-found" | "failed"; detail: string };

export function interpretProbe(result: ProcessResult): Probe {
  if (result.spawnError) {
    return {
      ran: false,
      reason: result.spawnError === "ENOENT" ? "not-found" : "failed",
      detail: result.spawnError === "ENOENT" ? "not found" : `${result.spawnError}${lastLine(result.stderr) ? `: ${lastLine(result.stderr)}` : ""}`,
    };
  }
  const line = result.stdout.split(/\r?\n/).find((l) => l.startsWith("SHAPELENS-PROBE "));
  if (!line) {
    const why = lastLine(result.stderr) || lastLine(result.stdout) || `exit code ${result.code}`;
    return { ran: false, reason: "failed", detail: `not a working Python (${why})` };
  }
  try {
    const r = JSON.parse(line.slice("SHAPELENS-PROBE ".length));
    const report: ProbeReport = {
      executable: String(r.executable ?? ""),
      version: [Number(r.version?.[0] ?? 0), Number(r.version?.[1] ?? 0), Number(r.version?.[2] ?? 0)],
      implementation: String(r.implementation ?? "?"),
      prefix: String(r.prefix ?? ""),
      ok: r.ok === true,
    };
    for (const key of ["envPath", "envVersion", "path", "shapelensVersion", "error"] as const) {
      if (typeof r[key] === "string") {
        report[key] = r[key];
      }
    }
    return { ran: true, report };
  } catch (err) {
    return { ran: false, reason: "failed", detail: `unreadable probe output: ${line.slice(0, 200)}` };
  }
}

export function pythonVersionText(report: ProbeReport): string {
  const impl = report.implementation === "cpython" ? "CPython" : report.implementation;
  return `${impl} ${report.version.join(".")}`;
}

export function tooOld(report: ProbeReport): boolean {
  const [major, minor] = report.version;
  return major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]);
}

/** Compares dotted versions by their leading numbers ("0.10.0" > "0.9.1"); -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const nums = (v: string) => (v.match(/^\d+(\.\d+)*/)?.[0] ?? "").split(".").filter(Boolean).map(Number);
  const x = nums(a);
  const y = nums(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) {
      return d < 0 ? -1 : 1;
    }
  }
  return 0;
}

/**
 * Whether to also try the environment's shapelens: only with importStrategy "fromEnvironment", and only when
 * the environment has one at least as new as the bundled one.
 */
export function wantsEnvironment(strategy: ImportStrategy, report: ProbeReport, bundle: Bundle | undefined): boolean {
  if (strategy !== "fromEnvironment" || !report.envVersion) {
    return false;
  }
  return !bundle || compareVersions(report.envVersion, bundle.version) >= 0;
}

// ------------------------------------------------------------------------------------------------ launch

/** What the extension runs: with which Python, which shapelens, from where. */
export interface Launch {
  /** The interpreter command as found (e.g. ["/v/bin/python"] or ["conda", "run", "-n", "ml", "python"]). */
  python: string[];
  /** Where the interpreter came from, in words ("from $VIRTUAL_ENV"). */
  where: string;
  /** Absolute executable and version, as the interpreter itself reported them. */
  executable: string;
  pythonVersion: string;
  mode: ProbeMode;
  shapelensPath: string;
  shapelensVersion: string;
  bundle?: Bundle;
}

/** The environment for the server and summary processes: libs/ first on PYTHONPATH for the bundle. */
export function launchEnv(launch: Launch, base: NodeJS.ProcessEnv, delimiter: string = path.delimiter): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, PYTHONIOENCODING: "utf-8" };
  if (launch.mode === "bundled" && launch.bundle) {
    const libs = bundleLibs(launch.bundle);
    env.PYTHONPATH = base.PYTHONPATH ? `${libs}${delimiter}${base.PYTHONPATH}` : libs;
  }
  return env;
}

/**
 * The language server: `<python> bundled/launch.py` for the bundle, `<python> -m shapelens` for the
 * environment's (vscode-languageclient adds --stdio, which shapelens accepts).
 */
export function serverCommand(launch: Pick<Launch, "python" | "mode" | "bundle">): CommandLine {
  const base = split(launch.python);
  if (launch.mode === "bundled") {
    if (!launch.bundle) {
      throw new Error("no bundle to launch");
    }
    return { command: base.command, args: [...base.args, bundleLauncher(launch.bundle)] };
  }
  return { command: base.command, args: [...base.args, "-m", SERVER_MODULE] };
}

/** `... --summary <file>`, with the user's default input shape and ignored codes. */
export function summaryCommand(
  launch: Pick<Launch, "python" | "mode" | "bundle">,
  file: string,
  settings?: Partial<ShapelensSettings>,
): CommandLine {
  const server = serverCommand(launch);
  const args = [...server.args, "--summary"];
  const input = (settings?.defaultTorchInput ?? "").trim();
  if (input) {
    args.push("--input", input);
  }
  for (const code of settings?.ignore ?? []) {
    if (typeof code === "string" && code.trim()) {
      args.push("--ignore", code.trim());
    }
  }
  // "--" keeps a file name that starts with "-" from being read as an option.
  args.push("--", file);
  return { command: server.command, args };
}

/** The output channel lines that say what runs (absolute paths). */
export function describeLaunch(launch: Launch): string[] {
  const origin =
    launch.mode === "bundled"
      ? "bundled with the extension"
      : `installed in that Python's environment${launch.bundle ? `; bundled: ${launch.bundle.version}` : ""}`;
  return [
    `Python: ${launch.executable} (${launch.pythonVersion}; ${launch.where}${launch.python.length > 1 || launch.python[0] !== launch.executable ? `; run as ${shellJoin(launch.python)}` : ""})`,
    `shapelens ${launch.shapelensVersion}: ${launch.shapelensPath} (${origin})`,
  ];
}

// ------------------------------------------------------------------------------------------------ settings

/** Reads the `shapelens` section through a getter shaped like `WorkspaceConfiguration.get`. */
export function readSettings(get: <T>(key: string, fallback: T) => T): ShapelensSettings {
  const bool = (key: string, fallback: boolean) => {
    const v = get<unknown>(key, fallback);
    return typeof v === "boolean" ? v : fallback;
  };
  const str = (key: string, fallback: string) => {
    const v = get<unknown>(key, fallback);
    return typeof v === "string" ? v : fallback;
  };
  const ignore = get<unknown>("ignore", []);
  const strategy = str("importStrategy", DEFAULT_SETTINGS.importStrategy);
  return {
    interpreter: str("interpreter", DEFAULT_SETTINGS.interpreter),
    importStrategy: strategy === "fromEnvironment" ? "fromEnvironment" : "useBundled",
    inlayHints: {
      enabled: bool("inlayHints.enabled", DEFAULT_SETTINGS.inlayHints.enabled),
      showShapes: bool("inlayHints.showShapes", DEFAULT_SETTINGS.inlayHints.showShapes),
      showParams: bool("inlayHints.showParams", DEFAULT_SETTINGS.inlayHints.showParams),
      showMacs: bool("inlayHints.showMacs", DEFAULT_SETTINGS.inlayHints.showMacs),
    },
    defaultTorchInput: str("defaultTorchInput", DEFAULT_SETTINGS.defaultTorchInput),
    ignore: Array.isArray(ignore) ? ignore.filter((c): c is string => typeof c === "string") : [],
  };
}

// ------------------------------------------------------------------------------------------------ messages

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  return lines.length ? lines[lines.length - 1].trim() : "";
}

function quote(part: string): string {
  return /^[\w@%+=:,./-]+$/.test(part) ? part : `"${part.replace(/(["\\$`])/g, "\\$1")}"`;
}

export function shellJoin(parts: string[]): string {
  return parts.map(quote).join(" ");
}

/** One tried interpreter and why it could not run shapelens, for the log and the notification. */
export interface Attempt {
  python: string[];
  where: string;
  problem: string;
}

export function supportedPythons(bundle?: Bundle): string {
  if (bundle && bundle.pythons.length) {
    return `Python ${bundle.pythons[0]}–${bundle.pythons[bundle.pythons.length - 1]}`;
  }
  return `Python ${MIN_PYTHON.join(".")} or newer`;
}

/**
 * The notification when no interpreter could run the server. It names what was tried and how to choose an
 * interpreter; it never proposes installing shapelens from a package index (it is on none: the extension
 * carries it).
 */
export function noPythonMessage(attempts: Attempt[], bundle?: Bundle): string {
  const wanted = supportedPythons(bundle);
  if (attempts.length === 1 && attempts[0].where === "from the shapelens.interpreter setting") {
    const a = attempts[0];
    return (
      `shapelens: the Python interpreter ${shellJoin(a.python)} (${a.where}) ${a.problem}. ` +
      `Set shapelens.interpreter to the path of a ${wanted} interpreter (e.g. /usr/bin/python3 or a venv's bin/python), or clear it to let shapelens find one.`
    );
  }
  const tried = attempts.map((a) => `${shellJoin(a.python)} (${a.where}): ${a.problem}`).join("; ");
  return (
    `shapelens: no ${wanted} was found to run the shapelens server` +
    (tried ? ` (tried ${tried})` : "") +
    `. Install Python 3, or set shapelens.interpreter to the path of a Python interpreter.`
  );
}

/** Why a probed interpreter cannot run the bundle or the environment's shapelens, in a few words. */
export function problemText(probe: Probe, bundle?: Bundle): string {
  if (!probe.ran) {
    return probe.reason === "not-found" ? "was not found" : `could not be run: ${probe.detail}`;
  }
  const r = probe.report;
  if (tooOld(r)) {
    return `is ${pythonVersionText(r)}, older than ${MIN_PYTHON.join(".")}`;
  }
  const what = bundle ? `cannot run the shapelens bundled for ${bundle.target}, ${supportedPythons(bundle)}` : "cannot run shapelens";
  return `is ${pythonVersionText(r)} and ${what}: ${r.error ?? "unknown error"}`;
}
