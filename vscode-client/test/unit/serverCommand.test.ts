import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  DEFAULT_SETTINGS,
  importCheckCommand,
  importCheckMessage,
  installCommand,
  interpretImportCheck,
  readSettings,
  serverCommand,
  summaryCommand,
} from "../../src/serverCommand";

test("the server is `<python> -m shapelens`, with no --stdio flag", () => {
  assert.deepEqual(serverCommand(["/usr/bin/python3"]), { command: "/usr/bin/python3", args: ["-m", "shapelens"] });
});

test("an interpreter prefix goes before -m shapelens", () => {
  assert.deepEqual(serverCommand(["conda", "run", "-n", "ml", "python"]), {
    command: "conda",
    args: ["run", "-n", "ml", "python", "-m", "shapelens"],
  });
});

test("an empty interpreter is an error", () => {
  assert.throws(() => serverCommand([]), /no Python interpreter/);
  assert.throws(() => serverCommand([""]), /no Python interpreter/);
});

test("the import probe imports shapelens and prints its version", () => {
  const probe = importCheckCommand(["python3"]);
  assert.equal(probe.command, "python3");
  assert.equal(probe.args[0], "-c");
  assert.match(probe.args[1], /^import shapelens/);
});

test("the summary command passes the file after --, with the default input and ignored codes", () => {
  assert.deepEqual(summaryCommand(["python3"], "/w/model.py"), {
    command: "python3",
    args: ["-m", "shapelens", "--summary", "--", "/w/model.py"],
  });
  assert.deepEqual(
    summaryCommand(["/v/python"], "-odd.py", { defaultTorchInput: " (1, 3, 224, 224) ", ignore: ["SL002", " ", "SL106"] }),
    {
      command: "/v/python",
      args: ["-m", "shapelens", "--summary", "--input", "(1, 3, 224, 224)", "--ignore", "SL002", "--ignore", "SL106", "--", "-odd.py"],
    },
  );
});

test("readSettings returns the defaults for an empty configuration", () => {
  const settings = readSettings((_key, fallback) => fallback);
  assert.deepEqual(settings, DEFAULT_SETTINGS);
  assert.deepEqual(DEFAULT_SETTINGS, {
    interpreter: "",
    inlayHints: { enabled: true, showShapes: true, showParams: true, showMacs: false },
    defaultTorchInput: "",
    ignore: [],
  });
});

test("readSettings reads every key and ignores values of the wrong type", () => {
  const values: Record<string, unknown> = {
    interpreter: "/v/python",
    "inlayHints.enabled": false,
    "inlayHints.showShapes": "yes",
    "inlayHints.showParams": false,
    "inlayHints.showMacs": true,
    defaultTorchInput: "(1, 3, 32, 32)",
    ignore: ["SL002", 7, "SL106"],
  };
  const settings = readSettings(<T>(key: string, fallback: T) => (key in values ? (values[key] as T) : fallback));
  assert.deepEqual(settings, {
    interpreter: "/v/python",
    inlayHints: { enabled: false, showShapes: true, showParams: false, showMacs: true },
    defaultTorchInput: "(1, 3, 32, 32)",
    ignore: ["SL002", "SL106"],
  });
});

test("a successful probe reports the version", () => {
  assert.deepEqual(interpretImportCheck({ code: 0, stdout: "0.1.0", stderr: "" }), { ok: true, version: "0.1.0" });
});

test("a missing package is recognised and the message says what to install", () => {
  const check = interpretImportCheck({
    code: 1,
    stdout: "",
    stderr: "Traceback (most recent call last):\n  File \"<string>\", line 1\nModuleNotFoundError: No module named 'shapelens'\n",
  });
  assert.deepEqual(check, { ok: false, reason: "not-installed", detail: "ModuleNotFoundError: No module named 'shapelens'" });
  const message = importCheckMessage(["/usr/bin/python3"], "on PATH", check);
  assert.match(message, /does not have the shapelens package/);
  assert.match(message, /\/usr\/bin\/python3 -m pip install shapelens/);
  assert.match(message, /shapelens\.interpreter/);
});

test("an interpreter that does not exist gets its own message", () => {
  const check = interpretImportCheck({ code: null, stdout: "", stderr: "spawn /nope ENOENT", spawnError: "ENOENT" });
  assert.deepEqual(check, { ok: false, reason: "interpreter-not-found", detail: "ENOENT" });
  assert.match(importCheckMessage(["/nope/python"], "from the shapelens.interpreter setting", check), /\/nope\/python .* was not found/);
});

test("any other failure shows the last line of stderr", () => {
  const check = interpretImportCheck({ code: 1, stdout: "", stderr: "boom\nImportError: libcst is broken\n" });
  assert.deepEqual(check, { ok: false, reason: "failed", detail: "ImportError: libcst is broken" });
  assert.match(importCheckMessage(["python3"], "on PATH", check), /libcst is broken/);
});

test("install commands quote paths with spaces", () => {
  assert.equal(installCommand(["C:/Program Files/Python/python.exe"]), '"C:/Program Files/Python/python.exe" -m pip install shapelens');
  assert.equal(installCommand(["python3"]), "python3 -m pip install shapelens");
});
