import { test } from "node:test";
import * as assert from "node:assert/strict";
import { runProcess } from "../../src/run";
import { interpretProbe, probeCommand } from "../../src/serverCommand";

test("runProcess collects stdout, stderr and the exit code", async () => {
  const r = await runProcess(process.execPath, ["-e", "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"]);
  assert.deepEqual(r, { code: 3, stdout: "out", stderr: "err" });
});

test("runProcess reports ENOENT for a missing executable", async () => {
  const r = await runProcess("/nonexistent/python3", ["-c", "pass"]);
  assert.equal(r.spawnError, "ENOENT");
  assert.deepEqual(interpretProbe(r), { ran: false, reason: "not-found", detail: "not found" });
});

test("runProcess stops a process at its timeout", async () => {
  const r = await runProcess(process.execPath, ["-e", "setTimeout(() => {}, 10000)"], { timeoutMs: 200 });
  assert.equal(r.spawnError, "ETIMEDOUT");
});

test("the probe, run by a real python3 in environment mode, reports the interpreter and whether shapelens imports", async (t) => {
  const probe = probeCommand(["python3"], "environment");
  const r = await runProcess(probe.command, probe.args, { env: { ...process.env, PYTHONPATH: "", PYTHONNOUSERSITE: "1" }, cwd: "/", timeoutMs: 60_000 });
  if (r.spawnError === "ENOENT") {
    t.skip("python3 is not on PATH");
    return;
  }
  const p = interpretProbe(r);
  assert.ok(p.ran, JSON.stringify(p));
  assert.ok(p.report.version[0] >= 3);
  // Whether shapelens is installed here or not, the answer is consistent: ok with a path, or an error.
  if (p.report.ok) {
    assert.ok(p.report.path && p.report.shapelensVersion);
  } else {
    assert.match(p.report.error ?? "", /Error/);
  }
});
