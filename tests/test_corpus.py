"""Real-world corpus (tests/corpus/): shapelens never prints a wrong number on published model code.

Each corpus file is a published model definition copied verbatim from a PyPI distribution (torchvision,
d2l, timm, keras) plus a marked block binding each model to a name; see tests/corpus/README.md.  The truth
comes from the real frameworks (tests/corpus/truth.py runs each file in torch 2.13 / Keras 3 in worker
processes and caches the result in tests/corpus/.truth/), never from shapelens.

The invariant checked per model ("never a wrong number", issue #12): every concrete per-layer number
shapelens gives (output dims, trainable / non-trainable params) equals the framework's, every concrete model
total equals the framework's, and a file the framework builds and runs gets no error diagnostic.  "?" is
always allowed here; how much is exact is measured by `python tests/corpus/report.py`, not asserted.

XFAIL is a ratchet: the models that break the invariant today, each with what is wrong.  The marks are
strict, so fixing one makes its test fail until its entry is removed.
"""
from __future__ import annotations

import os
import pathlib
import sys

import pytest

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
sys.path.insert(0, str(CORPUS))

import report  # noqa: E402
import truth  # noqa: E402

# Models that violate the invariant today: "<framework dir>/<file>::<variable>" -> what is wrong.
XFAIL: dict = {
    # wrong total: "Total params: 0" printed for a model none of whose layers was found
    "torch/tv_raft.py::model": "wrong total: RAFT prints 0 params (no layer found; truth 990,162)",
    "torch/tv_det_backbone.py::model": "wrong total: BackboneWithFPN prints 0 params (no layer found; truth "
                                       "13,774,016 of which 681,152 frozen)",
    # the class-level record uses the constructor's defaults, not the arguments of the instantiation
    "torch/timm_mlp_mixer.py::model": "defaults instead of the call's arguments: MlpMixer total 513,000 = only "
                                      "the head, Linear(…, 1000) where num_classes=10 (truth 17,281,674)",
    "torch/ta_conv_tasnet.py::model": "defaults instead of the call's arguments: ConvTasNet encoder 512 channels "
                                      "vs enc_num_feats=64, decoder params 8192 vs 1024 (35 wrong numbers)",
    # a branch on a run-time value taken as if known
    "torch/tv_squeezenet.py::model": "SqueezeNet record follows the version='1_1' branch for squeezenet1_0: "
                                     "features.0 64 vs 96 channels, Fire squeeze params 1040 vs 1552",
}

FILES = truth.corpus_files()


def _cases():
    out = []
    for f in FILES:
        cf = truth.read_corpus_file(f)
        for m in cf.models:
            key = f"{f.parent.name}/{f.name}::{m.name}"
            marks = [pytest.mark.xfail(strict=True, reason=XFAIL[key])] if key in XFAIL else []
            out.append(pytest.param(f, m.name, id=key, marks=marks))
    return out


CASES = _cases()


@pytest.fixture(scope="session")
def corpus_truth():
    """Truth for every corpus file (cached in tests/corpus/.truth/; a cold run builds it with 2 workers)."""
    return truth.load_truth(FILES, jobs=2)


_REPORTS: dict = {}


def _reports(path, corpus_truth) -> dict:
    if path not in _REPORTS:
        assert os.environ.get("SHAPELENS_STRICT") == "1"
        _REPORTS[path] = {r.name: r for r in report.compare_file(path, corpus_truth[path.resolve()])}
    return _REPORTS[path]


@pytest.mark.parametrize("path,name", CASES)
def test_never_a_wrong_number(path, name, corpus_truth):
    mr = _reports(path, corpus_truth)[name]
    assert not (mr.error or "").startswith("truth"), f"the framework cannot build/run this corpus model: {mr.error}"
    t = corpus_truth[path.resolve()]["models"][name]
    assert not t.get("forward_error"), f"the framework's forward pass failed: {t['forward_error']}"
    violations = mr.violations()
    assert not violations, "\n".join([f"{len(violations)} wrong numbers / false errors:"] + violations[:25])


def test_keys_of_xfail_exist():
    keys = {p.id for p in CASES}
    stale = sorted(set(XFAIL) - keys)
    assert not stale, f"XFAIL names models that are not in the corpus: {stale}"


def test_corpus_shape():
    """Every corpus file names its source and licence, has the marked block, and each model an input."""
    torch_files = [f for f in FILES if f.parent.name == "torch"]
    keras_files = [f for f in FILES if f.parent.name == "keras"]
    assert len(torch_files) >= 40 and len(keras_files) >= 14
    n_torch = n_keras = 0
    for f in FILES:
        text = f.read_text(encoding="utf-8")
        head = text[:1000]
        assert "# Source: " in head and "# Licence: " in head, f
        cf = truth.read_corpus_file(f)
        assert cf.models, f
        for m in cf.models:
            if cf.framework == "torch":
                assert m.input is not None, f"{f.name}::{m.name} has no `# shapelens: input=` directive"
                n_torch += 1
            else:
                n_keras += 1
    assert n_torch >= 60 and n_keras >= 15
