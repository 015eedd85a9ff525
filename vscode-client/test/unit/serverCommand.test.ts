import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  Bundle,
  compareVersions,
  DEFAULT_SETTINGS,
  describeLaunch,
  interpretProbe,
  Launch,
  launchEnv,
  noPythonMessage,
  parseBundleManifest,
  probeCommand,
  PROBE_CODE,
  problemText,
  readSettings,
  serverCommand,
  summaryCommand,
  wantsEnvironment,
} from "../../src/serverCommand";

const bundle: Bundle = { dir: "/ext/bundled", version: "0.1.0", target: "linux-x64", pythons: ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"] };
const bundled: Launch = {
  python: ["/v/bin/python"],
  where: "from $VIRTUAL_ENV",
  executable: "/v/bin/python",
  pythonVersion: "CPython 3.11.7",
  mode: "bundled",
  shapelensPath: "/ext/bundled/libs/shapelens",
  shapelensVersion: "0.1.0",
  bundle,
};

test("the bundled server is `<python> bundled/launch.py`; the environment's is `<python> -m shapelens`", () => {
  assert.deepEqual(serverCommand(bundled), { command: "/v/bin/python", args: ["/ext/bundled/launch.py"] });
  assert.deepEqual(serverCommand({ python: ["/usr/bin/python3"], mode: "environment" }), {
    command: "/usr/bin/python3",
    args: ["-m", "shapelens"],
  });
});

test("an interpreter prefix goes before the script", () => {
  assert.deepEqual(serverCommand({ ...bundled, python: ["conda", "run", "-n", "ml", "python"] }), {
    command: "conda",
    args: ["run", "-n", "ml", "python", "/ext/bundled/launch.py"],
  });
});

test("an empty interpreter is an error", () => {
  assert.throws(() => serverCommand({ python: [], mode: "environment" }), /no Python interpreter/);
  assert.throws(() => serverCommand({ python: [""], mode: "environment" }), /no Python interpreter/);
});

test("the bundle goes first on PYTHONPATH, before the user's, so that the analysis child finds it too", () => {
  assert.equal(launchEnv(bundled, { PATH: "/bin" }, ":").PYTHONPATH, "/ext/bundled/libs");
  assert.equal(launchEnv(bundled, { PYTHONPATH: "/mine" }, ":").PYTHONPATH, "/ext/bundled/libs:/mine");
  assert.equal(launchEnv(bundled, {}, ":").PYTHONIOENCODING, "utf-8");
  const env = launchEnv({ ...bundled, mode: "environment" }, { PYTHONPATH: "/mine" }, ":");
  assert.equal(env.PYTHONPATH, "/mine");
});

test("the probe gets the mode and, for the bundle, its libs folder", () => {
  const p = probeCommand(["python3"], "bundled", bundle);
  assert.deepEqual(p.args.slice(0, 1), ["-c"]);
  assert.equal(p.args[1], PROBE_CODE);
  assert.deepEqual(p.args.slice(2), ["bundled", "/ext/bundled/libs"]);
  assert.deepEqual(probeCommand(["python3"], "environment").args.slice(2), ["environment"]);
});

test("the summary command passes the file after --, with the default input and ignored codes", () => {
  assert.deepEqual(summaryCommand({ python: ["python3"], mode: "environment" }, "/w/model.py"), {
    command: "python3",
    args: ["-m", "shapelens", "--summary", "--", "/w/model.py"],
  });
  assert.deepEqual(
    summaryCommand(bundled, "-odd.py", { defaultTorchInput: " (1, 3, 224, 224) ", ignore: ["SL002", " ", "SL106"] }),
    {
      command: "/v/bin/python",
      args: ["/ext/bundled/launch.py", "--summary", "--input", "(1, 3, 224, 224)", "--ignore", "SL002", "--ignore", "SL106", "--", "-odd.py"],
    },
  );
});

test("readSettings returns the defaults for an empty configuration", () => {
  const settings = readSettings((_key, fallback) => fallback);
  assert.deepEqual(settings, DEFAULT_SETTINGS);
  assert.deepEqual(DEFAULT_SETTINGS, {
    interpreter: "",
    importStrategy: "useBundled",
    inlayHints: { enabled: true, showShapes: true, showParams: true, showMacs: false },
    defaultTorchInput: "",
    ignore: [],
  });
});

test("readSettings reads every key and ignores values of the wrong type", () => {
  const values: Record<string, unknown> = {
    interpreter: "/v/python",
    importStrategy: "fromEnvironment",
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
    importStrategy: "fromEnvironment",
    inlayHints: { enabled: false, showShapes: true, showParams: false, showMacs: true },
    defaultTorchInput: "(1, 3, 32, 32)",
    ignore: ["SL002", "SL106"],
  });
  assert.equal(readSettings(<T>(key: string, fallback: T) => (key === "importStrategy" ? ("junk" as T) : fallback)).importStrategy, "useBundled");
});

test("the bundle manifest is read; anything else is no bundle", () => {
  assert.deepEqual(parseBundleManifest("/b", JSON.stringify({ shapelens: "0.1.0", target: "linux-x64", pythons: ["3.9", 3] })), {
    dir: "/b",
    version: "0.1.0",
    target: "linux-x64",
    pythons: ["3.9"],
  });
  assert.equal(parseBundleManifest("/b", "{"), undefined);
  assert.equal(parseBundleManifest("/b", "{}"), undefined);
});

const probeLine = (r: object) => ({ code: 0, stdout: `noise from sitecustomize\nSHAPELENS-PROBE ${JSON.stringify(r)}\n`, stderr: "" });

test("a probe's report is read from its marked line", () => {
  const p = interpretProbe(
    probeLine({ executable: "/v/bin/python", version: [3, 11, 7], implementation: "cpython", prefix: "/v", ok: true, path: "/ext/bundled/libs/shapelens", shapelensVersion: "0.1.0", envVersion: "0.0.9", envPath: "/v/lib/shapelens" }),
  );
  assert.ok(p.ran);
  assert.equal(p.report.executable, "/v/bin/python");
  assert.deepEqual(p.report.version, [3, 11, 7]);
  assert.equal(p.report.envVersion, "0.0.9");
  assert.equal(p.report.ok, true);
});

test("a missing interpreter, and one that is no Python, are told apart", () => {
  const missing = interpretProbe({ code: null, stdout: "", stderr: "spawn /nope ENOENT", spawnError: "ENOENT" });
  assert.deepEqual(missing, { ran: false, reason: "not-found", detail: "not found" });
  assert.equal(problemText(missing), "was not found");
  const junk = interpretProbe({ code: 2, stdout: "", stderr: "/bin/ls: invalid option -- 'c'\n" });
  assert.equal(junk.ran, false);
  assert.match(problemText(junk), /could not be run: not a working Python \(\/bin\/ls: invalid option/);
});

test("an old Python and a bundle that does not load say why", () => {
  const old = interpretProbe(probeLine({ executable: "/usr/bin/python3.8", version: [3, 8, 18], implementation: "cpython", ok: false, error: "RuntimeError: Python 3.8 is older than 3.9" }));
  assert.match(problemText(old, bundle), /is CPython 3\.8\.18, older than 3\.9/);
  const pypy = interpretProbe(probeLine({ executable: "/usr/bin/pypy3", version: [3, 10, 14], implementation: "pypy", ok: false, error: "ModuleNotFoundError: No module named 'libcst.native'" }));
  assert.match(problemText(pypy, bundle), /is pypy 3\.10\.14 and cannot run the shapelens bundled for linux-x64, Python 3\.9–3\.14: ModuleNotFoundError/);
});

test("versions compare by their numbers", () => {
  assert.equal(compareVersions("0.10.0", "0.9.1"), 1);
  assert.equal(compareVersions("0.1.0", "0.1"), 0);
  assert.equal(compareVersions("0.1.0.dev3", "0.1.0"), 0);
  assert.equal(compareVersions("1.2", "1.10"), -1);
});

test("the environment's shapelens is wanted only with fromEnvironment and when at least as new as the bundled one", () => {
  const report = { executable: "/p", version: [3, 11, 7] as [number, number, number], implementation: "cpython", prefix: "/", ok: true };
  assert.equal(wantsEnvironment("useBundled", { ...report, envVersion: "9.0.0" }, bundle), false);
  assert.equal(wantsEnvironment("fromEnvironment", { ...report, envVersion: "0.1.0" }, bundle), true);
  assert.equal(wantsEnvironment("fromEnvironment", { ...report, envVersion: "0.0.9" }, bundle), false);
  assert.equal(wantsEnvironment("fromEnvironment", report, bundle), false);
});

test("the log names the interpreter and shapelens with absolute paths and where each came from", () => {
  const lines = describeLaunch(bundled);
  assert.equal(lines[0], "Python: /v/bin/python (CPython 3.11.7; from $VIRTUAL_ENV)");
  assert.equal(lines[1], "shapelens 0.1.0: /ext/bundled/libs/shapelens (bundled with the extension)");
  const viaPath = describeLaunch({ ...bundled, python: ["python3"], executable: "/usr/bin/python3", where: "on PATH" });
  assert.match(viaPath[0], /^Python: \/usr\/bin\/python3 \(CPython 3\.11\.7; on PATH; run as python3\)$/);
  const env = describeLaunch({ ...bundled, mode: "environment", shapelensPath: "/src/server/shapelens" });
  assert.match(env[1], /\/src\/server\/shapelens \(installed in that Python's environment; bundled: 0\.1\.0\)/);
});

test("no message proposes installing shapelens from a package index", () => {
  const setting = noPythonMessage([{ python: ["/nonexistent/bin/python3"], where: "from the shapelens.interpreter setting", problem: "was not found" }], bundle);
  assert.match(setting, /\/nonexistent\/bin\/python3 \(from the shapelens.interpreter setting\) was not found/);
  assert.match(setting, /Set shapelens\.interpreter to the path of a Python 3\.9–3\.14 interpreter/);
  const none = noPythonMessage([{ python: ["python3"], where: "on PATH", problem: "was not found" }], bundle);
  assert.match(none, /no Python 3\.9–3\.14 was found to run the shapelens server \(tried python3 \(on PATH\): was not found\)/);
  assert.match(none, /set shapelens\.interpreter/);
  for (const message of [setting, none]) {
    assert.doesNotMatch(message, /pip|install shapelens/i);
  }
});
