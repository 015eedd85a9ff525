import { test } from "node:test";
import * as assert from "node:assert/strict";
import { chooseInterpreter, defaultPython, describeInterpreter, expandInterpreterSetting } from "../../src/interpreter";

test("the shapelens.interpreter setting wins over the Python extension", async () => {
  let asked = false;
  const chosen = await chooseInterpreter({
    setting: "/opt/venv/bin/python",
    pythonExtension: async () => {
      asked = true;
      return ["/usr/bin/python3.12"];
    },
  });
  assert.deepEqual(chosen, { command: ["/opt/venv/bin/python"], source: "setting" });
  assert.equal(asked, false, "the Python extension is not asked when the setting is set");
});

test("a blank setting falls through to the Python extension's active interpreter", async () => {
  const chosen = await chooseInterpreter({
    setting: "   ",
    pythonExtension: async () => ["/home/me/.venv/bin/python"],
  });
  assert.deepEqual(chosen, { command: ["/home/me/.venv/bin/python"], source: "python-extension" });
});

test("without the Python extension, python3 on PATH is used", async () => {
  const chosen = await chooseInterpreter({ setting: "", platform: "linux" });
  assert.deepEqual(chosen, { command: ["python3"], source: "default" });
});

test("on Windows the PATH fallback is python", async () => {
  assert.equal(defaultPython("win32"), "python");
  assert.equal(defaultPython("darwin"), "python3");
  const chosen = await chooseInterpreter({ setting: undefined, platform: "win32" });
  assert.deepEqual(chosen.command, ["python"]);
});

test("the Python extension with no selection, or an empty answer, falls back to python3", async () => {
  const messages: string[] = [];
  for (const answer of [undefined, [], [""]]) {
    const chosen = await chooseInterpreter({
      setting: "",
      pythonExtension: async () => answer,
      platform: "linux",
      log: (m) => messages.push(m),
    });
    assert.deepEqual(chosen, { command: ["python3"], source: "default" });
  }
  assert.equal(messages.length, 3);
});

test("an error from the Python extension's API is logged and python3 is used", async () => {
  const messages: string[] = [];
  const chosen = await chooseInterpreter({
    setting: null,
    pythonExtension: async () => {
      throw new Error("Python extension is not installed or is disabled");
    },
    platform: "linux",
    log: (m) => messages.push(m),
  });
  assert.deepEqual(chosen, { command: ["python3"], source: "default" });
  assert.match(messages[0], /not installed or is disabled/);
});

test("a command with a prefix from the Python extension is kept whole", async () => {
  const chosen = await chooseInterpreter({
    pythonExtension: async () => ["conda", "run", "-n", "ml", "python"],
  });
  assert.deepEqual(chosen.command, ["conda", "run", "-n", "ml", "python"]);
});

test("${workspaceFolder}, ${userHome} and ~ are expanded in the setting", async () => {
  const ctx = { workspaceFolder: "/work/proj", home: "/home/me" };
  assert.equal(expandInterpreterSetting("${workspaceFolder}/.venv/bin/python", ctx), "/work/proj/.venv/bin/python");
  assert.equal(expandInterpreterSetting("~/envs/ml/bin/python", ctx), "/home/me/envs/ml/bin/python");
  assert.equal(expandInterpreterSetting("${userHome}/py", ctx), "/home/me/py");
  assert.equal(expandInterpreterSetting("  /usr/bin/python3  ", ctx), "/usr/bin/python3");
  assert.equal(expandInterpreterSetting("/a/~b/python", ctx), "/a/~b/python");
  const chosen = await chooseInterpreter({ setting: "${workspaceFolder}/.venv/bin/python", ...ctx });
  assert.deepEqual(chosen.command, ["/work/proj/.venv/bin/python"]);
});

test("describeInterpreter says where the interpreter came from", () => {
  assert.equal(describeInterpreter({ command: ["python3"], source: "default" }), "python3 (on PATH)");
  assert.match(describeInterpreter({ command: ["/x/python"], source: "setting" }), /shapelens\.interpreter setting/);
  assert.match(describeInterpreter({ command: ["/x/python"], source: "python-extension" }), /Python extension/);
});
