/** Runs a short-lived process (the import probe, `--summary`) and collects its output. No `vscode` import. */
import { spawn } from "child_process";
import type { ProcessResult } from "./serverCommand";

export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  maxOutputBytes?: number;
}

export function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<ProcessResult> {
  const limit = options.maxOutputBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    const finish = (result: ProcessResult) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(result);
      }
    };
    let child;
    try {
      child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ["ignore", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      resolve({ code: null, stdout: "", stderr: String(err), spawnError: code });
      return;
    }
    const timer = setTimeout(() => {
      child.kill();
      finish({ code: null, stdout, stderr: stderr + `\n(timed out after ${options.timeoutMs} ms)`, spawnError: "ETIMEDOUT" });
    }, options.timeoutMs ?? 30_000);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      if (stdout.length < limit) stdout += d;
    });
    child.stderr.on("data", (d: string) => {
      if (stderr.length < limit) stderr += d;
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      finish({ code: null, stdout, stderr: stderr || err.message, spawnError: err.code ?? "ERROR" });
    });
    child.on("close", (code: number | null) => {
      finish({ code, stdout, stderr });
    });
  });
}
