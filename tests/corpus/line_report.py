"""Per-line shapes (issue #17): shapelens' step shapes against the line oracle (tests/lineoracle.py).

    python tests/corpus/line_report.py                 # the line corpus of tests/test_line_shapes.py
    python tests/corpus/line_report.py --all           # every model file of the corpus
    python tests/corpus/line_report.py --root DIR      # every model file of another corpus (DIR/torch, DIR/keras)
    python tests/corpus/line_report.py -v [FILES...]   # also list each line that is "?" or wrong, with why
    python tests/corpus/line_report.py --reasons       # the "?" lines grouped by reason
    python tests/corpus/line_report.py --json

For every model: the oracle's lines (each statement of forward() / call() / a Keras functional builder, and the
methods / functions of the file they call, whose value holds a tensor, with the shapes a real run gave it) and
how many of them shapelens shows exactly, as "?" (no step, an unknown shape or dim, one shape for several)
or wrong (a concrete dim or the rank differs).  The contract is the docstring of tests/lineoracle.py.
"""
from __future__ import annotations

import json
import os
import pathlib
import sys
import time
from collections import Counter
from dataclasses import asdict

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import lineoracle  # noqa: E402
import truth  # noqa: E402
from lineoracle import EXACT, UNKNOWN, WRONG  # noqa: E402

# The line corpus of tests/test_line_shapes.py: model files (paths in tests/corpus) whose oracle and analysis
# take a few seconds each (left out for time: keras/ka_convnext, ka_densenet, ka_efficientnet_v2,
# ka_inception_resnet_v2 and torchvision's vgg, 6-10 s of oracle each for few lines); --all measures every file.
LINE_CORPUS = [
    "keras/ka_efficientnet.py", "keras/ka_inception_v3.py", "keras/ka_mobilenet.py", "keras/ka_mobilenet_v2.py",
    "keras/ka_mobilenet_v3.py", "keras/ka_resnet.py", "keras/ka_resnet_v2.py", "keras/ka_vgg16.py",
    "keras/ka_vgg19.py", "keras/ka_xception.py",
    "torch/d2l_attention.py", "torch/d2l_bert.py", "torch/d2l_lenet.py", "torch/d2l_resnet.py",
    "torch/d2l_rnn.py", "torch/d2l_seq2seq.py", "torch/d2l_transformer.py",
    "torch/pkgs/torchaudio/models/conformer.py", "torch/pkgs/torchaudio/models/conv_tasnet.py",
    "torch/pkgs/torchaudio/models/deepspeech.py", "torch/pkgs/torchaudio/models/tacotron2.py",
    "torch/pkgs/torchaudio/models/wav2letter.py", "torch/pkgs/torchaudio/models/wavernn.py",
    "torch/pkgs/torchvision/models/alexnet.py", "torch/pkgs/torchvision/models/densenet.py",
    "torch/pkgs/torchvision/models/efficientnet.py", "torch/pkgs/torchvision/models/googlenet.py",
    "torch/pkgs/torchvision/models/inception.py", "torch/pkgs/torchvision/models/mnasnet.py",
    "torch/pkgs/torchvision/models/mobilenetv2.py", "torch/pkgs/torchvision/models/mobilenetv3.py",
    "torch/pkgs/torchvision/models/regnet.py", "torch/pkgs/torchvision/models/resnet.py",
    "torch/pkgs/torchvision/models/shufflenetv2.py", "torch/pkgs/torchvision/models/squeezenet.py",
    "torch/pkgs/torchvision/models/video/resnet.py", "torch/pkgs/torchvision/models/vision_transformer.py",
]


def line_corpus() -> list:
    return [HERE / p for p in LINE_CORPUS]


def run(files, jobs: int = 2) -> list:
    oracles = lineoracle.load_lines(files, jobs=jobs)
    by_file = lineoracle.compare_files(files, {pathlib.Path(f).resolve(): o for f, o in oracles.items()}, jobs)
    return [m for f in files for m in by_file[pathlib.Path(f).resolve()]]


def summarize(models: list) -> dict:
    out = {}
    for fw in ("torch", "keras", "all"):
        ms = [m for m in models if fw == "all" or m.framework == fw]
        if not ms:
            continue
        lines = sum(len(m.rows) for m in ms)
        s = {"files": len({m.file for m in ms}), "models": len(ms), "lines": lines,
             "exact": sum(m.count(EXACT) for m in ms), "unknown": sum(m.count(UNKNOWN) for m in ms),
             "wrong": sum(m.count(WRONG) for m in ms),
             "not_found": sum(1 for m in ms if m.record is None and not m.error),
             "errors": sum(1 for m in ms if m.error),
             "models_with_wrong": sum(1 for m in ms if m.count(WRONG)),
             "unobserved": sum(len(m.unobserved) for m in ms)}
        s["exact_pct"] = round(100.0 * s["exact"] / lines, 1) if lines else 0.0
        out[fw] = s
    return out


def reason_of(row) -> str:
    """A short class of why a line is "?" or wrong (for --reasons)."""
    why = row.why or ""
    if row.status == WRONG:
        return "wrong: " + why[:60]
    if why.startswith("no step in `"):
        return "no step in the whole function (a block's forward / a helper not recorded)"
    if why.startswith("no step on this line"):
        return "no step on this line: " + why.split("(")[1].split(";")[0]
    if why == "model not found":
        return why
    if why.startswith("one of the"):
        return "one shape shown for several distinct values"
    if why.startswith("one shape for a value of"):
        return "one shape shown for a tuple / list"
    if row.shapelens == "None":
        return "step shape unknown: " + why.split("(")[0].split(":")[0][:70]
    return "a dim is ? / symbolic: " + why[:60]


def print_models(models: list, verbose: bool = False, out=sys.stdout) -> None:
    cur = None
    for m in models:
        if m.file != cur:
            cur = m.file
            print(f"\n{truth.rel_name(pathlib.Path(m.file))}", file=out)
        found = m.record if m.record is not None else "NOT FOUND"
        print(f"  {m.name:<18} {m.cls:<26} lines {len(m.rows):>4}: exact {m.count(EXACT):>4}  ? "
              f"{m.count(UNKNOWN):>4}  wrong {m.count(WRONG):>3}   record {found}"
              + (f"   ERROR {m.error[:150]}" if m.error else ""), file=out)
        if verbose:
            for r in m.rows:
                if r.status != EXACT:
                    print(f"      {r.status:<5} {r.line:>5}  {r.text[:60]:<60}  real {r.truth[:60]}  shapelens "
                          f"{r.shapelens}  [{r.why[:120]}]", file=out)


def print_summary(summary: dict, out=sys.stdout) -> None:
    for fw, s in summary.items():
        print(f"\n{fw}: {s['files']} files, {s['models']} models ({s['not_found']} not found, {s['errors']} with "
              f"an oracle/analysis error): lines {s['lines']}: exact {s['exact']} ({s['exact_pct']}%), "
              f"? {s['unknown']}, wrong {s['wrong']} (in {s['models_with_wrong']} models); tensor-op lines with "
              f"no observable value (not compared) {s['unobserved']}", file=out)


def print_reasons(models: list, out=sys.stdout) -> None:
    c = Counter(reason_of(r) for m in models for r in m.rows if r.status != EXACT)
    print("\nlines not exact, by reason:", file=out)
    for k, n in c.most_common():
        print(f"  {n:>6}  {k}", file=out)


def main(argv=None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--all", action="store_true", help="every model file of the corpus")
    ap.add_argument("--root", help="a corpus directory with torch/ and keras/ (every model file of it)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--reasons", action="store_true", help="the lines not exact, grouped by reason")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    os.environ.setdefault("SHAPELENS_STRICT", "1")
    if a.files:
        files = [pathlib.Path(f).resolve() for f in a.files]
    elif a.all or a.root:
        files = truth.corpus_files(a.root)
    else:
        files = line_corpus()
    t0 = time.time()
    models = run(files, a.jobs)
    summary = summarize(models)
    if a.json:
        json.dump({"summary": summary, "models": [asdict(m) for m in models]}, sys.stdout, indent=1, default=str)
        print()
        return 0
    print_models(models, a.verbose)
    print_summary(summary)
    if a.reasons or a.verbose:
        print_reasons(models)
    print(f"\n{time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
