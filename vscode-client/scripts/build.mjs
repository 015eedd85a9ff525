// Bundles src/extension.ts and its dependencies (vscode-languageclient, @vscode/python-extension) into
// out/extension.js, so the .vsix needs no node_modules. `--watch` rebuilds on change.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const production = !watch && process.env.SHAPELENS_DEV !== "1";

const options = {
  entryPoints: ["src/extension.ts"],
  bundle: true,
  outfile: "out/extension.js",
  external: ["vscode"],
  format: "cjs",
  platform: "node",
  target: "node18",
  sourcemap: production ? false : "inline",
  minify: production,
  logLevel: "info",
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
