import { test } from "node:test";
import * as assert from "node:assert/strict";
import { runProcess } from "../../src/run";
import { importCheckCommand, interpretImportCheck } from "../../src/serverCommand";

test("runProcess collects stdout, stderr and the exit code", async () => {
  const r = await runProcess(process.execPath, ["-e", "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"]);
  assert.deepEqual(r, { code: 3, stdout: "out", stderr: "err" });
});

test("runProcess reports ENOENT for a missing executable", async () => {
  const r = await runProcess("/nonexistent/python3", ["-c", "pass"]);
  assert.equal(r.spawnError, "ENOENT");
  assert.equal(interpretImportCheck(r).ok, false);
});

test("runProcess stops a process at its timeout", async () => {
  const r = await runProcess(process.execPath, ["-e", "setTimeout(() => {}, 10000)"], { timeoutMs: 200 });
  assert.equal(r.spawnError, "ETIMEDOUT");
});

test("the import probe fails with not-installed for a module python cannot find", async (t) => {
  const probe = importCheckCommand(["python3"]);
  const r = await runProcess(probe.command, probe.args, { env: { ...process.env, PYTHONPATH: "", PYTHONNOUSERSITE: "1" }, cwd: "/" });
  if (r.spawnError === "ENOENT") {
    t.skip("python3 is not on PATH");
    return;
  }
  // Whether shapelens is installed here or not, the probe's answer is one of the two expected ones.
  const check = interpretImportCheck(r);
  if (check.ok) {
    assert.match(check.version, /^\d+\.\d+/);
  } else {
    assert.equal(check.reason, "not-installed");
  }
});
