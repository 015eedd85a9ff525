/**
 * Command lines the extension runs, the settings it sends to the server, and the interpretation of the
 * "is shapelens importable" probe. Pure: no `vscode` import, unit-tested with node's test runner.
 */

export const SERVER_MODULE = "shapelens";

export interface CommandLine {
  command: string;
  args: string[];
}

export interface ShapelensSettings {
  interpreter: string;
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
  inlayHints: { enabled: true, showShapes: true, showParams: true, showMacs: false },
  defaultTorchInput: "",
  ignore: [],
};

function split(python: string[]): CommandLine {
  if (python.length === 0 || !python[0]) {
    throw new Error("no Python interpreter given");
  }
  return { command: python[0], args: python.slice(1) };
}

/** `<python> -m shapelens`: the language server over stdio (no `--stdio` flag: the client sets no transport). */
export function serverCommand(python: string[]): CommandLine {
  const base = split(python);
  return { command: base.command, args: [...base.args, "-m", SERVER_MODULE] };
}

/** The probe run before starting: prints shapelens' version, fails with ModuleNotFoundError if missing. */
export const IMPORT_CHECK_CODE = "import shapelens, sys; sys.stdout.write(getattr(shapelens, '__version__', '?'))";

export function importCheckCommand(python: string[]): CommandLine {
  const base = split(python);
  return { command: base.command, args: [...base.args, "-c", IMPORT_CHECK_CODE] };
}

/** `<python> -m shapelens --summary <file>`, with the user's default input shape and ignored codes. */
export function summaryCommand(python: string[], file: string, settings?: Partial<ShapelensSettings>): CommandLine {
  const base = split(python);
  const args = [...base.args, "-m", SERVER_MODULE, "--summary"];
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
  return { command: base.command, args };
}

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
  return {
    interpreter: str("interpreter", DEFAULT_SETTINGS.interpreter),
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

/** Result of running the import probe (a process runner's output, whatever ran it). */
export interface ProcessResult {
  /** Exit code; null when the process could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Spawn error code such as ENOENT / EACCES, when the executable could not be run at all. */
  spawnError?: string;
}

export type ImportCheck =
  | { ok: true; version: string }
  | { ok: false; reason: "not-installed" | "interpreter-not-found" | "failed"; detail: string };

export function interpretImportCheck(result: ProcessResult): ImportCheck {
  if (result.spawnError) {
    return {
      ok: false,
      reason: result.spawnError === "ENOENT" ? "interpreter-not-found" : "failed",
      detail: result.spawnError,
    };
  }
  if (result.code === 0) {
    return { ok: true, version: result.stdout.trim() || "?" };
  }
  const stderr = result.stderr.trim();
  if (/ModuleNotFoundError|No module named/.test(stderr)) {
    return { ok: false, reason: "not-installed", detail: lastLine(stderr) };
  }
  return { ok: false, reason: "failed", detail: lastLine(stderr) || `exit code ${result.code}` };
}

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

/** The pip command that installs shapelens into the interpreter that will run the server. */
export function installCommand(python: string[]): string {
  return shellJoin([...python, "-m", "pip", "install", "shapelens"]);
}

/** The notification text when the server cannot be started with this interpreter. */
export function importCheckMessage(python: string[], where: string, check: ImportCheck): string {
  const shown = shellJoin(python);
  if (check.ok) {
    return "";
  }
  switch (check.reason) {
    case "not-installed":
      return (
        `shapelens: the Python interpreter ${shown} (${where}) does not have the shapelens package. ` +
        `Install it into that interpreter with: ${installCommand(python)} — ` +
        "or choose another interpreter in the shapelens.interpreter setting."
      );
    case "interpreter-not-found":
      return (
        `shapelens: the Python interpreter ${shown} (${where}) was not found. ` +
        "Set shapelens.interpreter to a Python that has shapelens installed (pip install shapelens)."
      );
    default:
      return (
        `shapelens: could not check the shapelens package with ${shown} (${where}): ${check.detail}. ` +
        `Install it with: ${installCommand(python)} — or choose another interpreter in the shapelens.interpreter setting.`
      );
  }
}
