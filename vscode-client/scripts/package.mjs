// Builds one .vsix per platform target: the Python bundle for that target (scripts/bundle_python.py: the
// shapelens server and its dependencies, with libcst's native modules for CPython 3.9-3.14), then
// `vsce package --target`. With no argument: the target of this machine; `--all`: every target;
// `--target T` (repeatable): those. Output: shapelens-<version>-<target>.vsix, sizes printed.
//
// Environment: SHAPELENS_BUILD_PYTHON (default python3) runs pip for the bundle.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = join(dirname(fileURLToPath(import.meta.url)), "..");
// No darwin-x64: libcst 1.9 has no wheels for Intel Macs (see bundle_python.py).
const ALL = ["linux-x64", "linux-arm64", "darwin-arm64", "win32-x64"];
const PYTHON = process.env.SHAPELENS_BUILD_PYTHON || "python3";

function hostTarget() {
  const arch = { x64: "x64", arm64: "arm64" }[process.arch];
  const os = { linux: "linux", darwin: "darwin", win32: "win32" }[process.platform];
  const target = os && arch ? `${os}-${arch}` : undefined;
  if (!target || !ALL.includes(target)) {
    throw new Error(`no .vsix target for ${process.platform}-${process.arch}: use --target (one of ${ALL.join(", ")})`);
  }
  return target;
}

const args = process.argv.slice(2);
let targets = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--all") targets.push(...ALL);
  else if (args[i] === "--target") targets.push(args[++i]);
  else throw new Error(`package.mjs: unknown argument ${args[i]}`);
}
if (targets.length === 0) targets = [hostTarget()];
for (const t of targets) {
  if (!ALL.includes(t)) throw new Error(`unknown target ${t} (one of ${ALL.join(", ")})`);
}
// This machine's target last: bundled/ is left as built for it (the unit tests probe it with local Pythons).
let host;
try {
  host = hostTarget();
} catch {
  host = undefined;
}
targets = [...new Set(targets)].sort((a, b) => (a === host) - (b === host));

const run = (cmd, argv) => execFileSync(cmd, argv, { cwd: HERE, stdio: "inherit" });
const version = JSON.parse(readFileSync(join(HERE, "package.json"), "utf8")).version;
run("npm", ["run", "build", "--silent"]);
const built = [];
for (const target of targets) {
  run(PYTHON, ["scripts/bundle_python.py", "--target", target]);
  const out = `shapelens-${version}-${target}.vsix`;
  // The extension is already built (vscode:prepublish runs it again: a second or two).
  // --no-rewrite-relative-links: the README's pictures are in the .vsix (the repository URL is not public yet).
  run(join(HERE, "node_modules", ".bin", "vsce"), ["package", "--no-dependencies", "--no-rewrite-relative-links", "--target", target, "--out", out]);
  built.push([out, statSync(join(HERE, out)).size]);
}
for (const [file, size] of built) {
  console.log(`${file}: ${(size / 1e6).toFixed(1)} MB`);
}
