import { test } from "node:test";
import * as assert from "node:assert/strict";
import { defaultPython, describeInterpreter, expandInterpreterSetting, interpreterCandidates, venvPython } from "../../src/interpreter";

const files = (...present: string[]) => (file: string) => present.includes(file);

test("the order: Python extension, $VIRTUAL_ENV, the workspace's .venv and venv, python3", async () => {
  const chosen = await interpreterCandidates({
    pythonExtension: async () => ["/home/me/.pyenv/versions/3.12.1/bin/python"],
    virtualEnv: "/home/me/envs/ml",
    workspaceFolder: "/w",
    trusted: true,
    exists: files("/home/me/envs/ml/bin/python", "/w/.venv/bin/python", "/w/venv/bin/python"),
    platform: "linux",
  });
  assert.deepEqual(chosen, [
    { command: ["/home/me/.pyenv/versions/3.12.1/bin/python"], source: "python-extension" },
    { command: ["/home/me/envs/ml/bin/python"], source: "virtual-env" },
    { command: ["/w/.venv/bin/python"], source: "workspace-venv" },
    { command: ["/w/venv/bin/python"], source: "workspace-venv" },
    { command: ["python3"], source: "default" },
  ]);
});

test("the shapelens.interpreter setting is the only candidate when set", async () => {
  let asked = false;
  const chosen = await interpreterCandidates({
    setting: "/opt/venv/bin/python",
    pythonExtension: async () => {
      asked = true;
      return ["/usr/bin/python3.12"];
    },
    virtualEnv: "/v",
    exists: () => true,
  });
  assert.deepEqual(chosen, [{ command: ["/opt/venv/bin/python"], source: "setting" }]);
  assert.equal(asked, false, "the Python extension is not asked when the setting is set");
});

test("the same interpreter from two sources is tried once", async () => {
  const chosen = await interpreterCandidates({
    pythonExtension: async () => ["/w/.venv/bin/python"],
    virtualEnv: "/w/.venv",
    workspaceFolder: "/w",
    trusted: true,
    exists: files("/w/.venv/bin/python"),
    platform: "linux",
  });
  assert.deepEqual(chosen.map((c) => c.source), ["python-extension", "default"]);
});

test("an untrusted workspace's own .venv is not run (Restricted Mode), and the log says so", async () => {
  const messages: string[] = [];
  const chosen = await interpreterCandidates({
    workspaceFolder: "/w",
    trusted: false,
    exists: files("/w/.venv/bin/python"),
    platform: "linux",
    log: (m) => messages.push(m),
  });
  assert.deepEqual(chosen, [{ command: ["python3"], source: "default" }]);
  assert.match(messages.join("\n"), /Not running \/w\/\.venv\/bin\/python: the workspace is not trusted/);
});

test("$VIRTUAL_ENV without a python is skipped with a log line", async () => {
  const messages: string[] = [];
  const chosen = await interpreterCandidates({ virtualEnv: "/gone", exists: () => false, platform: "linux", log: (m) => messages.push(m) });
  assert.deepEqual(chosen, [{ command: ["python3"], source: "default" }]);
  assert.match(messages[0], /\$VIRTUAL_ENV is \/gone, but \/gone\/bin\/python does not exist/);
});

test("on Windows: python, and Scripts\\python.exe in a venv", async () => {
  assert.equal(defaultPython("win32"), "python");
  assert.equal(defaultPython("darwin"), "python3");
  assert.equal(venvPython("C:\\w\\.venv", "win32"), "C:\\w\\.venv\\Scripts\\python.exe");
  const chosen = await interpreterCandidates({ setting: undefined, virtualEnv: "C:\\v", exists: () => true, platform: "win32" });
  assert.deepEqual(chosen.map((c) => c.command[0]), ["C:\\v\\Scripts\\python.exe", "python"]);
});

test("the Python extension with no selection, or an error, is logged and skipped", async () => {
  const messages: string[] = [];
  for (const answer of [undefined, [], [""]]) {
    const chosen = await interpreterCandidates({ pythonExtension: async () => answer, platform: "linux", log: (m) => messages.push(m) });
    assert.deepEqual(chosen, [{ command: ["python3"], source: "default" }]);
  }
  const chosen = await interpreterCandidates({
    pythonExtension: async () => {
      throw new Error("Python extension is not installed or is disabled");
    },
    platform: "linux",
    log: (m) => messages.push(m),
  });
  assert.deepEqual(chosen, [{ command: ["python3"], source: "default" }]);
  assert.equal(messages.length, 4);
  assert.match(messages[3], /not installed or is disabled/);
});

test("a command with a prefix from the Python extension is kept whole", async () => {
  const chosen = await interpreterCandidates({ pythonExtension: async () => ["conda", "run", "-n", "ml", "python"] });
  assert.deepEqual(chosen[0].command, ["conda", "run", "-n", "ml", "python"]);
});

test("${workspaceFolder}, ${userHome} and ~ are expanded in the setting", async () => {
  const ctx = { workspaceFolder: "/work/proj", home: "/home/me" };
  assert.equal(expandInterpreterSetting("${workspaceFolder}/.venv/bin/python", ctx), "/work/proj/.venv/bin/python");
  assert.equal(expandInterpreterSetting("~/envs/ml/bin/python", ctx), "/home/me/envs/ml/bin/python");
  assert.equal(expandInterpreterSetting("${userHome}/py", ctx), "/home/me/py");
  assert.equal(expandInterpreterSetting("  /usr/bin/python3  ", ctx), "/usr/bin/python3");
  assert.equal(expandInterpreterSetting("/a/~b/python", ctx), "/a/~b/python");
  const chosen = await interpreterCandidates({ setting: "${workspaceFolder}/.venv/bin/python", ...ctx });
  assert.deepEqual(chosen[0].command, ["/work/proj/.venv/bin/python"]);
});

test("describeInterpreter says where the interpreter came from", () => {
  assert.equal(describeInterpreter({ command: ["python3"], source: "default" }), "python3 (on PATH)");
  assert.match(describeInterpreter({ command: ["/x/python"], source: "setting" }), /shapelens\.interpreter setting/);
  assert.match(describeInterpreter({ command: ["/x/python"], source: "python-extension" }), /Python extension/);
  assert.match(describeInterpreter({ command: ["/x/python"], source: "virtual-env" }), /\$VIRTUAL_ENV/);
  assert.match(describeInterpreter({ command: ["/x/python"], source: "workspace-venv" }), /workspace's virtual environment/);
});
