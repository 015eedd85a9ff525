/**
 * Text of the read-only model summary document (scheme `shapelens-summary:`). Pure: no `vscode` import.
 */
import type { ProcessResult } from "./serverCommand";

export const SUMMARY_SCHEME = "shapelens-summary";

/** The summary document's path: its tab reads "mnist_cnn.py (model summary)". */
export function summaryPath(sourceFileName: string): string {
  const base = sourceFileName.split(/[\\/]/).pop() || "untitled";
  return `/${base} (model summary)`;
}

/**
 * The document's text from a `--summary` run: the table, with the temporary copy's path (unsaved text is
 * summarised from a copy) replaced by the name the user knows; or what went wrong.
 */
export function summaryText(result: ProcessResult, file: string, shownName: string): string {
  // Exit code 1 only means the file has shape errors: the summary is still printed.
  if (!result.spawnError && (result.code === 0 || result.code === 1) && result.stdout.trim()) {
    return result.stdout.split(file).join(shownName).trimEnd() + "\n";
  }
  const why = result.spawnError ?? `exit code ${result.code}`;
  const err = result.stderr.trim() || result.stdout.trim();
  return `shapelens could not summarise ${shownName} (${why}).\n${err ? `\n${err}\n` : ""}\nThe shapelens output channel (shapelens: Show Server Log) says which Python and which shapelens ran.\n`;
}
