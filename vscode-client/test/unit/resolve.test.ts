import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Interpreter } from "../../src/interpreter";
import { resolveLaunch } from "../../src/resolve";
import { runProcess } from "../../src/run";
import { Bundle, CommandLine, interpretProbe, parseBundleManifest, probeCommand, ProcessResult } from "../../src/serverCommand";

const bundle: Bundle = { dir: "/ext/bundled", version: "0.1.0", target: "linux-x64", pythons: ["3.9", "3.14"] };
const candidate = (command: string, source: Interpreter["source"] = "default"): Interpreter => ({ command: [command], source });

type Fake = Record<string, { bundled?: object | "ENOENT"; environment?: object }>;

/** A runner that answers the probe as the interpreters in `fake` would. */
function fakeRun(fake: Fake, calls: string[]) {
  return async (cmd: CommandLine): Promise<ProcessResult> => {
    const mode = cmd.args[cmd.args.indexOf("-c") + 2] as "bundled" | "environment";
    calls.push(`${cmd.command} ${mode}`);
    const answer = fake[cmd.command]?.[mode];
    if (!fake[cmd.command] || answer === "ENOENT") {
      return { code: null, stdout: "", stderr: "", spawnError: "ENOENT" };
    }
    const report = { executable: cmd.command, version: [3, 11, 7], implementation: "cpython", prefix: "/", ...(answer as object) };
    return { code: 0, stdout: `SHAPELENS-PROBE ${JSON.stringify(report)}\n`, stderr: "" };
  };
}

const okBundled = { ok: true, path: "/ext/bundled/libs/shapelens", shapelensVersion: "0.1.0" };

test("the first interpreter that runs the bundle wins; the ones before it are reported", async () => {
  const calls: string[] = [];
  const logs: string[] = [];
  const r = await resolveLaunch({
    candidates: [candidate("/gone/bin/python", "virtual-env"), candidate("python3")],
    bundle,
    strategy: "useBundled",
    run: fakeRun({ python3: { bundled: { ...okBundled, executable: "/usr/bin/python3" } } }, calls),
    log: (m) => logs.push(m),
  });
  assert.equal(r.launch?.mode, "bundled");
  assert.equal(r.launch?.executable, "/usr/bin/python3");
  assert.equal(r.launch?.where, "on PATH");
  assert.deepEqual(r.attempts, [{ python: ["/gone/bin/python"], where: "from $VIRTUAL_ENV", problem: "was not found" }]);
  assert.deepEqual(calls, ["/gone/bin/python bundled", "python3 bundled"]);
  assert.match(logs[0], /Skipping \/gone\/bin\/python \(from \$VIRTUAL_ENV\): it was not found/);
});

test("an interpreter older than 3.9 is skipped", async () => {
  const r = await resolveLaunch({
    candidates: [candidate("/old"), candidate("/new")],
    bundle,
    strategy: "useBundled",
    run: fakeRun({ "/old": { bundled: { version: [3, 8, 18], ok: false, error: "RuntimeError: old" } }, "/new": { bundled: okBundled } }, []),
    log: () => undefined,
  });
  assert.equal(r.launch?.python[0], "/new");
  assert.match(r.attempts[0].problem, /older than 3\.9/);
});

test("useBundled runs the bundle even when the environment has a newer shapelens", async () => {
  const calls: string[] = [];
  const r = await resolveLaunch({
    candidates: [candidate("/v/bin/python")],
    bundle,
    strategy: "useBundled",
    run: fakeRun({ "/v/bin/python": { bundled: { ...okBundled, envVersion: "0.2.0", envPath: "/v/lib/shapelens" } } }, calls),
    log: () => undefined,
  });
  assert.equal(r.launch?.mode, "bundled");
  assert.deepEqual(calls, ["/v/bin/python bundled"]);
});

test("fromEnvironment runs the environment's shapelens when it is at least as new, else the bundle, and says why", async () => {
  const env = { ok: true, path: "/src/server/shapelens", shapelensVersion: "0.1.0" };
  for (const [envVersion, mode] of [["0.1.0", "environment"], ["0.2.0", "environment"], ["0.0.9", "bundled"]] as const) {
    const logs: string[] = [];
    const r = await resolveLaunch({
      candidates: [candidate("/v/bin/python")],
      bundle,
      strategy: "fromEnvironment",
      run: fakeRun({ "/v/bin/python": { bundled: { ...okBundled, envVersion, envPath: "/src/server/shapelens" }, environment: env } }, []),
      log: (m) => logs.push(m),
    });
    assert.equal(r.launch?.mode, mode, envVersion);
    if (mode === "bundled") assert.match(logs.join("\n"), /0\.0\.9 \(\/src\/server\/shapelens\) is older than the bundled 0\.1\.0/);
  }
});

test("fromEnvironment with a broken installed shapelens falls back to the bundle", async () => {
  const logs: string[] = [];
  const r = await resolveLaunch({
    candidates: [candidate("/v/bin/python")],
    bundle,
    strategy: "fromEnvironment",
    run: fakeRun({ "/v/bin/python": { bundled: { ...okBundled, envVersion: "0.3.0", envPath: "/v/shapelens" }, environment: { ok: false, error: "ModuleNotFoundError: No module named 'pygls'" } } }, []),
    log: (m) => logs.push(m),
  });
  assert.equal(r.launch?.mode, "bundled");
  assert.match(logs.join("\n"), /cannot start \(ModuleNotFoundError: No module named 'pygls'\): using the bundled 0\.1\.0/);
});

test("a bundle that cannot load with this Python (another platform) falls back to an installed shapelens", async () => {
  const r = await resolveLaunch({
    candidates: [candidate("/v/bin/python")],
    bundle,
    strategy: "useBundled",
    run: fakeRun({ "/v/bin/python": { bundled: { ok: false, error: "ImportError: native", envVersion: "0.0.5", envPath: "/v/sl" }, environment: { ok: true, path: "/v/sl", shapelensVersion: "0.0.5" } } }, []),
    log: () => undefined,
  });
  assert.equal(r.launch?.mode, "environment");
  assert.equal(r.launch?.shapelensPath, "/v/sl");
});

test("without a bundle (a development build), only an installed shapelens can run", async () => {
  const r = await resolveLaunch({
    candidates: [candidate("/a"), candidate("/b")],
    strategy: "useBundled",
    run: fakeRun({ "/a": { environment: { ok: false, error: "ModuleNotFoundError: No module named 'shapelens'" } }, "/b": { environment: { ok: true, path: "/b/sl", shapelensVersion: "0.1.0" } } }, []),
    log: () => undefined,
  });
  assert.equal(r.launch?.python[0], "/b");
  assert.match(r.attempts[0].problem, /carries no bundled shapelens/);
});

test("nothing usable: no launch, every attempt reported", async () => {
  const r = await resolveLaunch({
    candidates: [candidate("/nonexistent/bin/python3", "setting")],
    bundle,
    strategy: "useBundled",
    run: fakeRun({}, []),
    log: () => undefined,
  });
  assert.equal(r.launch, undefined);
  assert.deepEqual(r.attempts, [{ python: ["/nonexistent/bin/python3"], where: "from the shapelens.interpreter setting", problem: "was not found" }]);
});

// ---------------------------------------------------------------- the probe with real Pythons

function python3Works(): boolean {
  try {
    return require("child_process").spawnSync("python3", ["-c", "pass"]).status === 0;
  } catch {
    return false;
  }
}

test("the probe, run by a real python3, finds a shapelens put first on sys.path in bundled mode", async (t) => {
  if (!python3Works()) return t.skip("python3 is not on PATH");
  const libs = fs.mkdtempSync(path.join(os.tmpdir(), "shapelens-probe-"));
  try {
    fs.mkdirSync(path.join(libs, "shapelens"));
    fs.writeFileSync(path.join(libs, "shapelens", "__init__.py"), '__version__ = "9.9.9"\n');
    fs.writeFileSync(path.join(libs, "shapelens", "lsp.py"), "");
    const fakeBundle: Bundle = { dir: path.dirname(libs), version: "9.9.9", target: "x", pythons: [] };
    const cmd = probeCommand(["python3"], "bundled", fakeBundle);
    cmd.args[cmd.args.length - 1] = libs;
    const p = interpretProbe(await runProcess(cmd.command, cmd.args, { cwd: os.tmpdir() }));
    assert.ok(p.ran, JSON.stringify(p));
    assert.equal(p.report.ok, true, p.report.error);
    assert.equal(p.report.shapelensVersion, "9.9.9");
    assert.equal(p.report.path, path.join(fs.realpathSync(libs), "shapelens").replace(fs.realpathSync(libs), libs));
    assert.ok(path.isAbsolute(p.report.executable));
    // The environment's own shapelens (if any) is reported separately, found without the fake on sys.path.
    assert.notEqual(p.report.envVersion, "9.9.9");
  } finally {
    fs.rmSync(libs, { recursive: true, force: true });
  }
});

// The built bundle (npm run package / npm run bundle) with every CPython found here: each one loads its own
// libcst native module from the one libcst/ folder. Skipped before the bundle is built.
const root = path.resolve(__dirname, "../../..");
const manifestFile = path.join(root, "bundled", "manifest.json");

function localPythons(): string[] {
  const found = new Set<string>();
  const pyenv = path.join(os.homedir(), ".pyenv", "versions");
  if (fs.existsSync(pyenv)) {
    for (const v of fs.readdirSync(pyenv)) {
      const p = path.join(pyenv, v, "bin", "python3");
      if (fs.existsSync(p)) found.add(p);
    }
  }
  for (const p of ["/usr/bin/python3", "/usr/local/bin/python3"]) {
    if (fs.existsSync(p)) found.add(p);
  }
  return [...found];
}

test("the built bundle runs with every local CPython 3.9+, and refuses older ones with a reason", async (t) => {
  if (!fs.existsSync(manifestFile) || process.platform !== "linux") return t.skip("no bundle built (npm run package)");
  const built = parseBundleManifest(path.join(root, "bundled"), fs.readFileSync(manifestFile, "utf8"))!;
  const seen: string[] = [];
  for (const python of localPythons()) {
    const cmd = probeCommand([python], "bundled", built);
    const p = interpretProbe(await runProcess(cmd.command, cmd.args, { cwd: os.tmpdir(), timeoutMs: 120_000, env: { ...process.env, PYTHONPATH: "" } }));
    if (!p.ran) continue; // python 2 without json? a broken pyenv shim
    const [major, minor] = p.report.version;
    const supported = built.pythons.includes(`${major}.${minor}`);
    if (supported) {
      assert.equal(p.report.ok, true, `${python}: ${p.report.error}`);
      assert.equal(p.report.path, path.join(built.dir, "libs", "shapelens"));
    } else {
      assert.equal(p.report.ok, false, `${python} (${major}.${minor}) should not load the bundle`);
    }
    seen.push(`${major}.${minor}${supported ? "" : " (refused)"}`);
  }
  console.log(`bundle probed with: ${seen.join(", ")}`);
});
