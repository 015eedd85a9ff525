import { test } from "node:test";
import * as assert from "node:assert/strict";
import { LineLog } from "../../src/lineLog";

function recorder() {
  const entries: string[] = [];
  const at = (level: string) => (m: string) => entries.push(`${level}: ${m}`);
  return { entries, log: { trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

test("chunks of stderr become whole lines", () => {
  const { entries, log } = recorder();
  const out = new LineLog(log, -1);
  for (const chunk of ["Traceback (most", " recent call last):\n  File", " \"x\"\n", "    ^\n", "ModuleNotFoundError", ": No module\n"]) {
    out.append(chunk);
  }
  assert.deepEqual(entries, [
    "info: Traceback (most recent call last):",
    "info:   File \"x\"",
    "info:     ^",
    "info: ModuleNotFoundError: No module",
  ]);
});

test("the client's [Level - time] prefixes choose the log level", () => {
  const { entries, log } = recorder();
  const out = new LineLog(log, -1);
  out.appendLine("[Error - 11:59:28 AM] Server initialization failed.");
  out.appendLine("[Warn  - 11:59:28 AM] careful");
  out.appendLine("[Info  - 11:59:28 AM] hello");
  out.appendLine("[Trace - 11:59:28 AM] Sending request 'initialize - (0)'.");
  assert.deepEqual(entries, [
    "error: Server initialization failed.",
    "warn: careful",
    "info: hello",
    "info: Sending request 'initialize - (0)'.",
  ]);
});

test("a last line without newline is written by flush, blank lines are dropped", () => {
  const { entries, log } = recorder();
  const out = new LineLog(log, -1);
  out.append("\n\nlast words");
  assert.deepEqual(entries, []);
  out.flush();
  assert.deepEqual(entries, ["info: last words"]);
});

test("a partial line is flushed by itself after a short delay", async () => {
  const { entries, log } = recorder();
  const out = new LineLog(log, 20);
  out.append("no newline");
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(entries, ["info: no newline"]);
});

test("a clean server exit is not logged as an error", () => {
  const { entries, log } = recorder();
  const out = new LineLog(log, -1);
  out.appendLine("[Error - 12:03:22 PM] Server process exited with code 0.");
  out.appendLine("[Error - 12:03:22 PM] Server process exited with code 1.");
  assert.deepEqual(entries, ["info: Server process exited with code 0.", "error: Server process exited with code 1."]);
});
