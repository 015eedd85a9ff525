import { test } from "node:test";
import * as assert from "node:assert/strict";
import { SUMMARY_SCHEME, summaryPath, summaryText } from "../../src/summaryText";

test("the summary document is named after its source file", () => {
  assert.equal(SUMMARY_SCHEME, "shapelens-summary");
  assert.equal(summaryPath("/w/models/mnist_cnn.py"), "/mnist_cnn.py (model summary)");
  assert.equal(summaryPath("C:\\w\\resnet.py"), "/resnet.py (model summary)");
  assert.equal(summaryPath("Untitled-1"), "/Untitled-1 (model summary)");
});

test("the table keeps the name the user knows, not the temporary copy's path", () => {
  const out = 'Model "model" (PyTorch, /tmp/shapelens-x/mnist_cnn.py:5)\nTotal params: 217,706\n\n';
  assert.equal(summaryText({ code: 0, stdout: out, stderr: "" }, "/tmp/shapelens-x/mnist_cnn.py", "mnist_cnn.py"),
    'Model "model" (PyTorch, mnist_cnn.py:5)\nTotal params: 217,706\n');
});

test("exit code 1 (shape errors) still shows the table", () => {
  assert.match(summaryText({ code: 1, stdout: "Total params: 5\nDiagnostics: SL106", stderr: "" }, "/f.py", "f.py"), /Total params: 5/);
});

test("a failure says what went wrong and where to look, in the document itself", () => {
  const text = summaryText({ code: 2, stdout: "", stderr: "Traceback...\nImportError: boom\n" }, "/f.py", "f.py");
  assert.match(text, /could not summarise f\.py \(exit code 2\)/);
  assert.match(text, /ImportError: boom/);
  assert.match(text, /shapelens: Show Server Log/);
  const missing = summaryText({ code: null, stdout: "", stderr: "", spawnError: "ENOENT" }, "/f.py", "f.py");
  assert.match(missing, /\(ENOENT\)/);
});
