"""The incremental path (per-statement parse cache, and the server's didChange handling) must give
exactly what a cold analysis of the same text gives.

Random edit sequences (insert/delete characters and lines, change numbers inside layer calls, break
a statement and later repair it by undo, duplicate lines) are applied to a sample text; after each
edit the text is analysed with the warm cache (as the server does on every keystroke). At the end,
and at random intermediate steps, the parse cache is cleared and the same text analysed cold:
`FileResult.as_dict()` must be identical.

Internal-error strictness (SHAPELENS_STRICT) is switched off here: raising on half-typed input is
test_robustness.py's subject; this file checks only warm == cold (an internal error, if any, then
shows up as the same diagnostic on both sides).

The server half (didChange sequence vs a fresh didOpen in a new server) runs only when
`shapelens.lsp` exists; it is skipped otherwise.
"""
from __future__ import annotations

import importlib.util
import os
import random
import sys
import textwrap
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shapelens.analysis import analyze_source
from shapelens.analysis import source as src
from shapelens.analysis import engine, units
from shapelens.analysis.engine import clear_caches

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

SAMPLE = textwrap.dedent('''\
    """A sample module: torch and keras models, constants, a helper, comments."""
    from collections import OrderedDict

    import keras
    import torch
    import torch.nn as nn
    from keras import layers

    IMG = 28
    C = 2 * 16
    HIDDEN = 128
    NUM_CLASSES = 10
    FEATURES = 2 * C * (IMG // 4) * (IMG // 4)

    # shapelens: input=(N, 1, IMG, IMG)
    model = nn.Sequential(
        nn.Conv2d(1, C, kernel_size=3, padding=1),
        nn.BatchNorm2d(C),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(C, 2 * C, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(FEATURES, HIDDEN),
        nn.Dropout(0.1),
        nn.Linear(HIDDEN, NUM_CLASSES),
    )

    net = nn.Sequential(
        nn.Conv2d(3, 16, 5),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 14 * 14, 10),
    )
    out = net(torch.randn(1, 3, 32, 32))

    head = nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(64, 128)),
        ("act", nn.GELU()),
        ("fc2", nn.Linear(128, NUM_CLASSES)),
    ]))  # shapelens: input=(N, 64)


    def make_mlp(width=64):
        """A helper that builds a model from its argument."""
        # shapelens: input=(N, 32)
        return nn.Sequential(nn.Linear(32, width), nn.ReLU(), nn.Linear(width, 10))


    blocks = []
    for i in range(3):
        blocks.append(nn.Linear(8 * 2 ** i, 8 * 2 ** (i + 1)))
    # shapelens: input=(N, 8)
    stack = nn.Sequential(*blocks)

    kmodel = keras.Sequential([
        keras.Input(shape=(IMG, IMG, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ])

    kseq = keras.Sequential()
    kseq.add(layers.Dense(64, activation="relu"))
    kseq.add(layers.Dropout(0.3))
    kseq.add(layers.Dense(10))
    kseq.build((None, 20))


    class Trainer:
        lr = 1e-3

        def fit(self, model):
            return model
''')

INSERT_CHARS = "a1 0(),[]:#=\"'\n\\.*9_"
SNIPPETS = [
    "    nn.ReLU(),",
    "    nn.Conv2d(16, 32, 3),",
    "    nn.Linear(10, 20),",
    "    layers.Dense(7),",
    "x = (",
    "    )",
    "def broken(:",
    "WIDTH = 7",
    "C = 3",
    "IMG = 32",
    "# shapelens: input=(N, 3, 64, 64)",
    "# shapelens: ignore",
    "model = nn.Sequential(nn.Linear(4, 5))",
    "if IMG > 10:",
    "  ",
    "",
    '"""',
    "kseq.add(layers.Dense(3))",
    "\t",
]
KINDS = ["insert_char", "delete_chars", "insert_line", "delete_line", "duplicate_line", "change_number",
         "break", "undo"]


def _layer_number_positions(text: str) -> list:
    """(start, end) offsets of integer literals on lines with a layer call."""
    out = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if "nn." in line or "layers." in line:
            i = 0
            while i < len(line):
                if line[i].isdigit() and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_")):
                    j = i
                    while j < len(line) and line[j].isdigit():
                        j += 1
                    out.append((offset + i, offset + j))
                    i = j
                else:
                    i += 1
        offset += len(line)
    return out


def apply_edit(text: str, kind: str, a: int, b: int, history: list) -> str:
    """One edit, fully determined by (kind, a, b): hypothesis shrinks over plain integers."""
    n = len(text)
    lines = text.splitlines(keepends=True) or [""]
    if kind == "insert_char":
        pos = a % (n + 1)
        return text[:pos] + INSERT_CHARS[b % len(INSERT_CHARS)] + text[pos:]
    if kind == "delete_chars":
        if not n:
            return text
        pos = a % n
        return text[:pos] + text[pos + 1 + b % 3:]
    if kind == "insert_line":
        i = a % (len(lines) + 1)
        return "".join(lines[:i] + [SNIPPETS[b % len(SNIPPETS)] + "\n"] + lines[i:])
    if kind == "delete_line":
        i = a % len(lines)
        return "".join(lines[:i] + lines[i + 1:])
    if kind == "duplicate_line":
        i = a % len(lines)
        return "".join(lines[: i + 1] + [lines[i] if lines[i].endswith("\n") else lines[i] + "\n"] + lines[i + 1:])
    if kind == "change_number":
        spots = _layer_number_positions(text)
        if not spots:
            return text
        s, e = spots[a % len(spots)]
        if b % 2:  # any size, often changing the digit count
            return text[:s] + str(b % 300) + text[e:]
        # one digit typed over another: same length, the kind of edit a cache keyed badly would miss
        i = s + (b // 2) % (e - s)
        return text[:i] + str((int(text[i]) + 1 + (b // 8) % 9) % 10) + text[i + 1:]
    if kind == "break":  # drop a closing bracket or open one at a line end: a half-typed statement
        closers = [i for i, c in enumerate(text) if c in ")]"]
        if closers and b % 2 == 0:
            pos = closers[a % len(closers)]
            return text[:pos] + text[pos + 1:]
        i = a % len(lines)
        line = lines[i].rstrip("\n")
        return "".join(lines[:i] + [line + "(\n"] + lines[i + 1:])
    if kind == "undo":  # repair: back to an earlier text (Ctrl-Z), re-using cached statements
        if len(history) < 2:
            return text
        return history[-(2 + a % min(len(history) - 1, 4))]
    raise ValueError(kind)


def _caches() -> list:
    """Every cache the incremental path keeps: parsed statements, splits per path, names and results
    of units, the last analysis per path."""
    return [src._CACHE, src._SPLITS, units._NAMES, units._BY_SHAPE, units._RESULTS, engine._LAST]


def cold(text: str, path: str = "sample.py") -> dict:
    """Analyse with every cache empty, then put the warm caches back as they were."""
    saved = [(cache, list(cache.items())) for cache in _caches()]
    for cache, _ in saved:
        cache.clear()
    try:
        return analyze_source(text, path).as_dict()
    finally:
        for cache, items in saved:
            cache.clear()
            cache.update(items)


def run_sequence(start: str, ops: list, check_every: int = 0) -> str:
    with mock.patch.dict(os.environ):
        os.environ.pop("SHAPELENS_STRICT", None)
        clear_caches()
        text = start
        analyze_source(text, "sample.py")
        history = [text]
        warm = None
        for step, (kind, a, b) in enumerate(ops):
            text = apply_edit(text, kind, a, b, history)
            history.append(text)
            warm = analyze_source(text, "sample.py").as_dict()
            if check_every and step % check_every == check_every - 1:
                assert warm == cold(text), f"warm != cold after step {step} ({kind}, {a}, {b})"
        if warm is None:
            warm = analyze_source(text, "sample.py").as_dict()
        clear_caches()
        final_cold = analyze_source(text, "sample.py").as_dict()
        assert warm == final_cold, f"warm != cold after {len(ops)} edits: {ops}"
        return text


def test_sample_is_meaningful():
    """The sample exercises both frameworks and the cache (else the test below proves little)."""
    result = analyze_source(SAMPLE, "sample.py")
    frameworks = {m.framework for m in result.models}
    assert frameworks == {"torch", "keras"}
    assert len(result.models) >= 6
    assert len(src.chunks_of(SAMPLE)) >= 15


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6)),
                min_size=1, max_size=12))
def test_random_edits_warm_equals_cold(ops):
    run_sequence(SAMPLE, ops)


@pytest.mark.parametrize("seed", range(4))
def test_long_seeded_sequences_checked_at_every_step(seed):
    rng = random.Random(seed)
    ops = [(rng.choice(KINDS), rng.randrange(10 ** 6), rng.randrange(10 ** 6)) for _ in range(40)]
    run_sequence(SAMPLE, ops, check_every=1)


def test_keystrokes_reuse_the_untouched_units_and_equal_cold():
    """Keystrokes inside statements (a number changed, no line added) take the path that reuses every
    unit the edit did not touch (engine._after_edit); the result after each one is still exactly the
    cold analysis of the same text. (Other edits, mixed in by the tests above, take it when the text
    before and after parses and no line moved.)"""
    import generate

    text = generate.large_file(3, 400)
    rng = random.Random(11)
    ops = [("change_number", rng.randrange(10 ** 6), rng.randrange(10 ** 6)) for _ in range(30)]
    spy, taken = _path_spy(engine, "_after_edit")
    with mock.patch.object(engine, "_after_edit", spy):
        run_sequence(text, ops, check_every=1)
    assert sum(taken) >= 25, taken


def _path_spy(module, name: str) -> tuple:
    """A stand-in for module.name that records, per call, whether the path it guards was taken (a result
    that is not None), and that list."""
    taken: list = []
    real = getattr(module, name)

    def spy(*args):
        done = real(*args)
        taken.append(done is not None)
        return done
    return spy, taken


# edits that mostly keep the text parsing (the single-statement path), then every kind of edit
SPLIT_EDITS = [["change_number"] * 4 + ["insert_char", "delete_chars", "insert_line", "duplicate_line", "undo"],
               KINDS]


@pytest.mark.parametrize("seed", range(4))
def test_the_incremental_split_equals_a_fresh_split(seed):
    """source.split after each edit (lines found from the changed stretch, one statement or the ones
    around it split again) gives the statements a fresh split gives, and `since` says truly which of
    the previous split's statements were kept."""
    import generate

    rng = random.Random(seed)
    text = SAMPLE if seed % 2 == 0 else generate.large_file(seed, 200)
    kinds = SPLIT_EDITS[seed // 2]
    src.split(text, "split.py")
    history = [text]
    spy, one = _path_spy(src, "_within_one")
    for _ in range(150):
        kind = rng.choice(kinds)
        if kind == "undo":
            text = history[0]   # back to the text that parses
            history.append(text)
            continue
        text = apply_edit(text, kind, rng.randrange(10 ** 6), rng.randrange(10 ** 6), history)
        history.append(text)
        before = src.split_state("split.py")
        with mock.patch.object(src, "_within_one", spy):
            lines, chunks = src.split(text, "split.py")
        fresh_lines, fresh = src.split(text)
        assert lines == fresh_lines
        assert src.unparsed_chunks("split.py", chunks) == [c for c in chunks if not (c.syntax_ok and c.refused is None)]
        assert [(c.start_line, c.text, c.refused) for c in chunks] == \
            [(c.start_line, c.text, c.refused) for c in fresh], kind
        state = src.split_state("split.py")
        if state is not before and state.since is not None:
            serial, i, j, n, delta = state.since
            assert serial == before.serial
            assert all(a is b for a, b in zip(chunks[:i], before.chunks[:i]))
            assert len(chunks) == len(before.chunks) - (j - i + 1) + n
            kept = before.chunks[j + 1:]
            assert [(c.start_line, c.text) for c in chunks[i + n:]] == [(c.start_line + delta, c.text) for c in kept]
            assert delta or all(a is b for a, b in zip(chunks[i + n:], kept))
    if kinds is not KINDS:
        assert sum(one) >= 20, one


def test_directive_edits_warm_equals_cold():
    """The directives no model takes (SL003) follow each keystroke: a directive made unreadable and
    mended, a model turned into a plain call and back; each step equals the cold analysis."""
    text = textwrap.dedent('''\
        import torch.nn as nn

        # shapelens: input=(N, 4)
        a = nn.Sequential(nn.Linear(4, 5))

        # shapelens: input=(N, 6)
        b = nn.Sequential(nn.Linear(6, 5))
        ''')
    steps = [text.replace("input=(N, 4)", "input=N, 4"), text, text.replace("nn.Sequential(nn.Linear(6", "print(nn.Linear(6"),
             text, text.replace("Linear(6, 5)", "Linear(6, 7)")]
    with mock.patch.dict(os.environ):
        os.environ.pop("SHAPELENS_STRICT", None)
        clear_caches()
        analyze_source(text, "directives.py")
        codes = []
        for step in steps:
            warm = analyze_source(step, "directives.py").as_dict()
            assert warm == cold(step, "directives.py")
            codes.append(sorted(d["code"] for d in warm["diagnostics"]))
    assert codes[0] == ["SL003"] and codes[1] == [] and codes[2] == ["SL003"] and codes[3] == [] == codes[4]


def test_generated_file_with_evictions():
    """A generated file bigger than a tiny cache: entries are evicted between (and during) analyses."""
    import generate

    text = generate.large_file(7, 300)
    rng = random.Random(7)
    ops = [(rng.choice(KINDS[:6]), rng.randrange(10 ** 6), rng.randrange(10 ** 6)) for _ in range(15)]
    with mock.patch.object(src, "_CACHE_SIZE", 16), mock.patch.object(units, "_RESULTS_SIZE", 4), \
            mock.patch.object(units, "_NAMES_SIZE", 8):
        run_sequence(text, ops, check_every=5)


def test_identical_statements_share_cache_entries():
    """Two identical statements share one parsed module; each keeps its own position."""
    text = ("import torch.nn as nn\n\n"
            "# shapelens: input=(N, 4)\nm = nn.Sequential(nn.Linear(4, 5))\n\n"
            "# shapelens: input=(N, 4)\nm = nn.Sequential(nn.Linear(4, 5))\n")
    warm = analyze_source(text, "dup.py").as_dict()
    assert warm == cold(text, "dup.py")
    lines = sorted(layer["line"] for m in warm["models"] for layer in m["layers"])
    assert lines == [4, 7], lines


# ---------------------------------------------------------------------- through the server

def _lsp_ready() -> bool:
    return importlib.util.find_spec("shapelens.lsp") is not None


def _offset_to_position(text: str, offset: int) -> tuple:
    """(line, UTF-16 character) of a character offset."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return line, len(text[start:offset].encode("utf-16-le")) // 2


def text_change(old: str, new: str) -> tuple:
    """The smallest single-range change turning old into new: (l0, c0, l1, c1, inserted)."""
    p = 0
    m = min(len(old), len(new))
    while p < m and old[p] == new[p]:
        p += 1
    s = 0
    while s < m - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    l0, c0 = _offset_to_position(old, p)
    l1, c1 = _offset_to_position(old, len(old) - s)
    return l0, c0, l1, c1, new[p:len(new) - s]


@pytest.mark.skipif(not _lsp_ready(), reason="shapelens.lsp does not exist yet")
@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("ask_every", [1, 6])
def test_server_did_change_sequence_equals_fresh_open(seed, ask_every, tmp_path):
    """ask_every 1: the editor asks for hints after each change; 6: changes come in bursts (the server
    starts analysing the first change of a burst at once, the rest arrive while it runs)."""
    from lspclient import LspClient, hint_key

    rng = random.Random(100 + seed)
    ops = [(rng.choice(KINDS), rng.randrange(10 ** 6), rng.randrange(10 ** 6)) for _ in range(25)]
    uri = (tmp_path / "sample.py").as_uri()
    text = SAMPLE
    history = [text]
    env = dict(os.environ)
    env.pop("SHAPELENS_STRICT", None)
    with LspClient(env=env, stderr_path=str(tmp_path / "server1.log")) as c:
        c.initialize(root_uri=tmp_path.as_uri())
        c.did_open(uri, text)
        assert c.inlay_hints(uri, 0, text.count("\n") + 1), "no hints for the sample: the comparison would be vacuous"
        for version, (kind, a, b) in enumerate(ops, start=2):
            new = apply_edit(text, kind, a, b, history)
            history.append(new)
            c.did_change(uri, version, new, text_change(text, new))
            text = new
            if version % ask_every == 0:
                c.inlay_hints(uri, 0, text.count("\n") + 1)
        incremental = sorted(map(hint_key, c.inlay_hints(uri, 0, text.count("\n") + 1)))
    with LspClient(env=env, stderr_path=str(tmp_path / "server2.log")) as c:
        c.initialize(root_uri=tmp_path.as_uri())
        c.did_open(uri, text)
        fresh = sorted(map(hint_key, c.inlay_hints(uri, 0, text.count("\n") + 1)))
    assert incremental == fresh


def test_text_change_helper():
    old, new = "ab\ncd\n", "ab\ncXd\n"
    assert text_change(old, new) == (1, 1, 1, 1, "X")
    assert text_change("abc", "ac") == (0, 1, 0, 2, "")


def test_a_keystroke_still_sees_a_changed_sibling_file(tmp_path):
    """A unit that read another file is looked up again on every keystroke, even one elsewhere in the
    file (engine._after_edit reuses the other units as they are): when that file changed, its models are
    analysed again."""
    (tmp_path / "blocks.py").write_text(textwrap.dedent("""\
        import torch.nn as nn

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 8)

            def forward(self, x):
                return self.fc(x)
        """))
    main = tmp_path / "main.py"
    text = textwrap.dedent("""\
        import torch.nn as nn
        from blocks import Block

        X = 1

        # shapelens: input=(2, 4)
        model = nn.Sequential(Block(), nn.ReLU())
        """)
    main.write_text(text)
    clear_caches()
    first = analyze_source(text, str(main))
    assert first.models[0].layers[0].output_shape.text() == "(2, 8)"
    blocks = (tmp_path / "blocks.py").read_text().replace("nn.Linear(4, 8)", "nn.Linear(4, 16)")
    (tmp_path / "blocks.py").write_text(blocks)
    os.utime(tmp_path / "blocks.py", ns=(10 ** 18, 10 ** 18))   # a new mtime whatever the clock's grain
    edited = text.replace("X = 1", "X = 2")
    warm = analyze_source(edited, str(main))
    assert warm.models[0].layers[0].output_shape.text() == "(2, 16)"
    assert warm.as_dict() == cold(edited, str(main))
