import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_SETTINGS } from "../../src/serverCommand";

// Compiled to out-test/test/unit/: the package root is three levels up.
const root = path.resolve(__dirname, "../../..");
const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

test("package.json declares the extension's identity and activation", () => {
  assert.equal(manifest.name, "shapelens");
  assert.equal(manifest.publisher, "shapelens");
  assert.ok(manifest.engines.vscode);
  assert.deepEqual(manifest.activationEvents, ["onLanguage:python"]);
  assert.equal(manifest.main, "./out/extension.js");
  assert.ok(fs.existsSync(path.join(root, manifest.icon)), "the icon exists");
});

test("the configuration section mirrors the server settings and their defaults", () => {
  const props = manifest.contributes.configuration.properties;
  const expected: Record<string, unknown> = {
    "shapelens.interpreter": DEFAULT_SETTINGS.interpreter,
    "shapelens.importStrategy": DEFAULT_SETTINGS.importStrategy,
    "shapelens.inlayHints.enabled": DEFAULT_SETTINGS.inlayHints.enabled,
    "shapelens.inlayHints.showShapes": DEFAULT_SETTINGS.inlayHints.showShapes,
    "shapelens.inlayHints.showParams": DEFAULT_SETTINGS.inlayHints.showParams,
    "shapelens.inlayHints.showMacs": DEFAULT_SETTINGS.inlayHints.showMacs,
    "shapelens.defaultTorchInput": DEFAULT_SETTINGS.defaultTorchInput,
    "shapelens.ignore": DEFAULT_SETTINGS.ignore,
    // read by the server only (workspace/configuration answers the whole section): the server's defaults,
    // lsp_format.HintConfig / Settings (tests/test_lsp_format.py checks every key the server reads)
    "shapelens.inlayHints.showSteps": true,
    "shapelens.select": [],
    "shapelens.extendSelect": [],
  };
  for (const [key, value] of Object.entries(expected)) {
    assert.ok(props[key], `${key} is declared`);
    assert.deepEqual(props[key].default, value, `${key} default`);
    assert.ok(props[key].description || props[key].markdownDescription, `${key} has a description`);
  }
  for (const key of ["shapelens.ignore", "shapelens.select", "shapelens.extendSelect"]) {
    assert.equal(props[key].type, "array", `${key} is a list of codes`);
    assert.equal(props[key].items.type, "string");
  }
  assert.equal(props["shapelens.inlayHints.showSteps"].type, "boolean");
  assert.deepEqual(props["shapelens.importStrategy"].enum, ["useBundled", "fromEnvironment"]);
});

test("the .vsix carries the Python bundle and the built extension, not the sources", () => {
  const ignore = fs.readFileSync(path.join(root, ".vscodeignore"), "utf8").split(/\r?\n/);
  for (const line of ["**", "!out/extension.js", "!bundled/**"]) {
    assert.ok(ignore.includes(line), `.vscodeignore has ${line}`);
  }
  const gitignore = fs.readFileSync(path.join(root, ".gitignore"), "utf8").split(/\r?\n/);
  assert.ok(gitignore.includes("bundled/"), "the built bundle is never committed");
});

test("the defaultTorchInput pattern accepts shapes and rejects junk", () => {
  const re = new RegExp(manifest.contributes.configuration.properties["shapelens.defaultTorchInput"].pattern);
  for (const ok of ["", "(1, 3, 224, 224)", "(1,3,32,32)", "(8,)", " (1, 1, 28, 28) "]) {
    assert.ok(re.test(ok), ok);
  }
  for (const bad of ["1, 3, 224, 224", "(1, a)", "[1, 3]", "()"]) {
    assert.ok(!re.test(bad), bad);
  }
});

test("the commands are contributed with their titles", () => {
  const commands = Object.fromEntries(
    manifest.contributes.commands.map((c: { command: string; category: string; title: string }) => [c.command, `${c.category}: ${c.title}`]),
  );
  assert.equal(commands["shapelens.restartServer"], "shapelens: Restart Server");
  assert.equal(commands["shapelens.showSummary"], "shapelens: Show Model Summary");
});

test("Restricted Mode is supported, without the workspace's interpreter setting", () => {
  const untrusted = manifest.capabilities.untrustedWorkspaces;
  assert.equal(untrusted.supported, "limited");
  assert.deepEqual(untrusted.restrictedConfigurations, ["shapelens.interpreter"]);
});

test("every picture the READMEs show exists and goes into the .vsix", () => {
  const ignore = fs.readFileSync(path.join(root, ".vscodeignore"), "utf8").split(/\r?\n/);
  const own = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const images = [...own.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(images.length >= 2, "the extension README shows pictures");
  for (const image of images) {
    assert.ok(fs.existsSync(path.join(root, image)), `${image} exists`);
    assert.ok(ignore.includes(`!${image}`), `${image} is packaged`);
  }
  const top = fs.readFileSync(path.join(root, "..", "README.md"), "utf8");
  for (const m of top.matchAll(/!\[[^\]]*\]\((vscode-client\/[^)]+)\)/g)) {
    assert.ok(fs.existsSync(path.join(root, "..", m[1])), `${m[1]} (top README) exists`);
  }
});
