/** The interpreter selected in the Microsoft Python extension, through its public API (@vscode/python-extension). */
import * as vscode from "vscode";
import { PythonExtension, PVSC_EXTENSION_ID } from "@vscode/python-extension";

export function pythonExtensionInstalled(): boolean {
  return vscode.extensions.getExtension(PVSC_EXTENSION_ID) !== undefined;
}

/** The active interpreter for `resource` as a command (executable path), or undefined. Throws on API errors. */
export async function activeInterpreter(resource?: vscode.Uri): Promise<string[] | undefined> {
  if (!pythonExtensionInstalled()) {
    return undefined;
  }
  const api = await PythonExtension.api();
  const envPath = api.environments.getActiveEnvironmentPath(resource);
  const env = await api.environments.resolveEnvironment(envPath);
  const executable = env?.executable.uri?.fsPath;
  return executable ? [executable] : undefined;
}

/** Calls `listener` when the user selects another interpreter in the Python extension. */
export async function onDidChangeInterpreter(listener: () => void): Promise<vscode.Disposable | undefined> {
  if (!pythonExtensionInstalled()) {
    return undefined;
  }
  const api = await PythonExtension.api();
  return api.environments.onDidChangeActiveEnvironmentPath(() => listener());
}
