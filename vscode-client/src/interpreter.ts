/**
 * Which Python runs the shapelens server. Pure: no `vscode` import, so it is unit-tested with node's test runner.
 *
 * Order (like microsoft/vscode-python-tools-extension-template):
 *   1. the `shapelens.interpreter` setting, if set;
 *   2. the interpreter selected in the Microsoft Python extension, when it is installed and has one;
 *   3. `python3` on PATH (`python` on Windows, where `python3` is often the Store alias).
 */

export type InterpreterSource = "setting" | "python-extension" | "default";

export interface Interpreter {
  /** The executable followed by any arguments that must precede `-m shapelens` (e.g. a `conda run` prefix). */
  command: string[];
  source: InterpreterSource;
}

export interface InterpreterInputs {
  /** Value of `shapelens.interpreter` (already read from the configuration). */
  setting?: string | null;
  /** Asks the Python extension for its active interpreter; undefined when not installed / none selected. */
  pythonExtension?: () => Promise<string[] | undefined>;
  /** First workspace folder (fsPath), used to expand `${workspaceFolder}` in the setting. */
  workspaceFolder?: string;
  /** Home directory, used to expand a leading `~`. */
  home?: string;
  platform?: string;
  /** Called with a one-line explanation when a source is skipped (e.g. the Python extension threw). */
  log?: (message: string) => void;
}

export function defaultPython(platform: string = process.platform): string {
  return platform === "win32" ? "python" : "python3";
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

export async function chooseInterpreter(inputs: InterpreterInputs): Promise<Interpreter> {
  const setting = (inputs.setting ?? "").trim();
  if (setting) {
    return {
      command: [expandInterpreterSetting(setting, inputs)],
      source: "setting",
    };
  }
  if (inputs.pythonExtension) {
    try {
      const fromExtension = await inputs.pythonExtension();
      const cleaned = (fromExtension ?? []).filter((part) => typeof part === "string" && part.length > 0);
      if (cleaned.length > 0) {
        return { command: cleaned, source: "python-extension" };
      }
      inputs.log?.("The Python extension has no active interpreter; falling back to " + defaultPython(inputs.platform));
    } catch (err) {
      inputs.log?.(`The Python extension's interpreter is not available (${errorText(err)}); falling back to ${defaultPython(inputs.platform)}`);
    }
  }
  return { command: [defaultPython(inputs.platform)], source: "default" };
}

export function describeInterpreter(interpreter: Interpreter): string {
  const where = {
    setting: "from the shapelens.interpreter setting",
    "python-extension": "selected in the Python extension",
    default: "on PATH",
  }[interpreter.source];
  return `${interpreter.command.join(" ")} (${where})`;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}
