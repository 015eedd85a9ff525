/**
 * Which Python runs the shapelens server. Pure: no `vscode` import, so it is unit-tested with node's test runner.
 *
 * The candidates, in order (the setting first, as in microsoft/vscode-python-tools-extension-template):
 *   1. the `shapelens.interpreter` setting, if set: then it is the only candidate (the user chose it);
 *   2. the interpreter selected in the Microsoft Python extension, when it is installed and has one;
 *   3. `$VIRTUAL_ENV`'s Python (VS Code started from an activated venv);
 *   4. a `.venv` or `venv` in the workspace folder (only in a trusted workspace: it is the workspace's code);
 *   5. `python3` on PATH (`python` on Windows, where `python3` is often the Store alias).
 * The extension probes them in this order and takes the first that can run shapelens.
 */
import * as path from "path";

export type InterpreterSource = "setting" | "python-extension" | "virtual-env" | "workspace-venv" | "default";

export interface Interpreter {
  /** The executable followed by any arguments that must precede the script (e.g. a `conda run` prefix). */
  command: string[];
  source: InterpreterSource;
}

export interface InterpreterInputs {
  /** Value of `shapelens.interpreter` (already read from the configuration). */
  setting?: string | null;
  /** Asks the Python extension for its active interpreter; undefined when not installed / none selected. */
  pythonExtension?: () => Promise<string[] | undefined>;
  /** The extension host's $VIRTUAL_ENV. */
  virtualEnv?: string;
  /** Workspace folder (fsPath), used to expand `${workspaceFolder}` and to look for .venv / venv. */
  workspaceFolder?: string;
  /** Whether the workspace is trusted: its own .venv is only run when it is. */
  trusted?: boolean;
  /** Whether a file exists (for .venv/bin/python); injected so that the choice stays testable. */
  exists?: (file: string) => boolean;
  /** Home directory, used to expand a leading `~`. */
  home?: string;
  platform?: string;
  /** Called with a one-line explanation when a source is skipped (e.g. the Python extension threw). */
  log?: (message: string) => void;
}

export function defaultPython(platform: string = process.platform): string {
  return platform === "win32" ? "python" : "python3";
}

/** The Python of a virtual environment directory: bin/python, or Scripts\python.exe on Windows. */
export function venvPython(dir: string, platform: string = process.platform): string {
  return platform === "win32" ? path.win32.join(dir, "Scripts", "python.exe") : path.posix.join(dir, "bin", "python");
}

/** Expands `${workspaceFolder}`, `${userHome}` and a leading `~` in the interpreter setting, trims whitespace. */
export function expandInterpreterSetting(
  value: string,
  ctx: { workspaceFolder?: string; home?: string } = {},
): string {
  let v = value.trim();
  if (ctx.home) {
    if (v === "~") {
      v = ctx.home;
    } else if (v.startsWith("~/") || v.startsWith("~\\")) {
      v = ctx.home + v.slice(1);
    }
    v = v.split("${userHome}").join(ctx.home);
  }
  if (ctx.workspaceFolder) {
    v = v.split("${workspaceFolder}").join(ctx.workspaceFolder);
  }
  return v;
}

/** Every interpreter worth trying, best first, without duplicates. */
export async function interpreterCandidates(inputs: InterpreterInputs): Promise<Interpreter[]> {
  const platform = inputs.platform ?? process.platform;
  const setting = (inputs.setting ?? "").trim();
  if (setting) {
    return [{ command: [expandInterpreterSetting(setting, inputs)], source: "setting" }];
  }
  const found: Interpreter[] = [];
  const add = (command: string[], source: InterpreterSource) => {
    if (!found.some((c) => c.command.join("\0") === command.join("\0"))) {
      found.push({ command, source });
    }
  };
  if (inputs.pythonExtension) {
    try {
      const fromExtension = await inputs.pythonExtension();
      const cleaned = (fromExtension ?? []).filter((part) => typeof part === "string" && part.length > 0);
      if (cleaned.length > 0) {
        add(cleaned, "python-extension");
      } else {
        inputs.log?.("The Python extension has no active interpreter");
      }
    } catch (err) {
      inputs.log?.(`The Python extension's interpreter is not available (${errorText(err)})`);
    }
  }
  const exists = inputs.exists ?? (() => false);
  const virtualEnv = (inputs.virtualEnv ?? "").trim();
  if (virtualEnv) {
    const python = venvPython(virtualEnv, platform);
    if (exists(python)) {
      add([python], "virtual-env");
    } else {
      inputs.log?.(`$VIRTUAL_ENV is ${virtualEnv}, but ${python} does not exist`);
    }
  }
  if (inputs.workspaceFolder) {
    for (const name of [".venv", "venv"]) {
      const python = venvPython(path.join(inputs.workspaceFolder, name), platform);
      if (exists(python)) {
        if (inputs.trusted === false) {
          inputs.log?.(`Not running ${python}: the workspace is not trusted (Restricted Mode)`);
        } else {
          add([python], "workspace-venv");
        }
      }
    }
  }
  add([defaultPython(platform)], "default");
  return found;
}

/** Where an interpreter came from, in words for the log and the notifications. */
export function describeSource(source: InterpreterSource): string {
  return {
    setting: "from the shapelens.interpreter setting",
    "python-extension": "selected in the Python extension",
    "virtual-env": "from $VIRTUAL_ENV",
    "workspace-venv": "the workspace's virtual environment",
    default: "on PATH",
  }[source];
}

export function describeInterpreter(interpreter: Interpreter): string {
  return `${interpreter.command.join(" ")} (${describeSource(interpreter.source)})`;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}
