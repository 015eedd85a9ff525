"""Units (analysis/units.py): which statements are analysed together, and that an edit re-analyses only
its own unit while the result stays what a cold analysis gives (the latter is also tested at random in
test_incremental.py).

Grouping tests are written as annotated source: each top-level statement carries a `# unit: X` tag
(pure constants and imports carry `# shared`), and the test checks that statements with the same tag,
and only those, share a unit, and that a shared statement appears in the units that read it.
"""
from __future__ import annotations

import textwrap
from unittest import mock

import pytest

from shapelens.analysis import analyze_source, engine, source, units
from shapelens.analysis.engine import clear_caches
from shapelens.analysis.interp.models import Unit


def _units_of(text: str) -> tuple[list, list]:
    lines, chunks = source.split(text)
    return chunks, units.group(chunks, lines)


def _tag(chunk) -> str:
    for line in chunk.text.splitlines():
        if "# unit:" in line:
            return line.split("# unit:")[1].split()[0]
        if "# shared" in line:
            return "shared"
    raise AssertionError(f"untagged statement: {chunk.text!r}")


def check_grouping(text: str, shared_in: dict = None) -> None:
    """Statements with the same tag form one unit (plus the shared constants they read)."""
    text = textwrap.dedent(text)
    chunks, groups = _units_of(text)
    seen = {}
    for unit in groups:
        tags = {_tag(chunks[i]) for i in unit} - {"shared"}
        assert len(tags) == 1, f"one unit mixes {tags}"
        tag = tags.pop()
        assert tag not in seen, f"`{tag}` split over two units"
        seen[tag] = [chunks[i].text.strip().splitlines()[0] for i in unit if _tag(chunks[i]) == "shared"]
    expected = {_tag(c) for c in chunks} - {"shared"}
    assert set(seen) == expected
    for tag, firsts in (shared_in or {}).items():
        assert seen[tag] == firsts, (tag, seen[tag])


def test_models_are_separate_units_and_read_shared_constants():
    check_grouping('''\
        import torch.nn as nn  # shared
        N = 10  # shared
        HIDDEN = 4 * N  # shared
        a = nn.Sequential(nn.Linear(N, 5))  # unit: a
        b = nn.Sequential(nn.Linear(HIDDEN, 5))  # unit: b
        c = nn.Sequential(nn.Linear(3, 5))  # unit: c
        ''', shared_in={"a": ["import torch.nn as nn  # shared", "N = 10  # shared"],
                        "b": ["import torch.nn as nn  # shared", "N = 10  # shared", "HIDDEN = 4 * N  # shared"],
                        "c": ["import torch.nn as nn  # shared"]})


def test_statements_that_change_a_model_join_it():
    check_grouping('''\
        import keras  # shared
        from keras import layers  # shared
        m = keras.Sequential()  # unit: m
        m.add(layers.Dense(4))  # unit: m
        other = keras.Sequential([layers.Dense(2)])  # unit: other
        m.build((None, 8))  # unit: m
        ''')


def test_lists_example_inputs_and_nested_models_join():
    check_grouping('''\
        import torch  # shared
        import torch.nn as nn  # shared
        blocks = []  # unit: net
        for i in range(3):  # unit: net
            blocks.append(nn.Linear(4, 4))
        net = nn.Sequential(*blocks)  # unit: net
        x = torch.randn(1, 4)  # unit: net
        net(x)  # unit: net
        features = nn.Sequential(nn.Conv2d(1, 4, 3))  # unit: big
        big = nn.Sequential(features, nn.Flatten())  # unit: big
        lonely = nn.Sequential(nn.ReLU())  # unit: lonely
        ''')


def test_assigning_a_throwaway_name_twice_does_not_join():
    check_grouping('''\
        import torch  # shared
        import torch.nn as nn  # shared
        a = nn.Sequential(nn.Linear(4, 4))  # unit: a
        _ = a(torch.randn(1, 4))  # unit: a
        b = nn.Sequential(nn.Linear(4, 4))  # unit: b
        _ = b(torch.randn(1, 4))  # unit: b
        ''')


def test_module_classes_join_their_instantiation_and_parts():
    check_grouping('''\
        import torch.nn as nn  # shared
        WIDTH = 8  # shared
        class Block(nn.Module):  # unit: net
            def __init__(self, c):
                super().__init__()
                self.conv = nn.Conv2d(c, c, 3, padding=1)
            def forward(self, x):
                return self.conv(x)
        class Net(nn.Module):  # unit: net
            def __init__(self):
                super().__init__()
                self.block = Block(WIDTH)
            def forward(self, x):
                return self.block(x)
        net = Net()  # unit: net
        class Other(nn.Module):  # unit: other
            def forward(self, x):
                return x
        ''')


def test_a_constant_computed_at_run_time_is_not_shared():
    check_grouping('''\
        import torch.nn as nn  # shared
        import os  # shared
        WIDTH = int(os.environ.get("W", 8))  # unit: w
        a = nn.Sequential(nn.Linear(WIDTH, 2))  # unit: w
        b = nn.Sequential(nn.Linear(WIDTH, 3))  # unit: w
        c = nn.Sequential(nn.Linear(2, 3))  # unit: c
        ''')


def test_directive_names_and_star_imports_reach_the_unit():
    text = textwrap.dedent('''\
        from torch.nn import *
        IMG = 28
        # shapelens: input=(N, 1, IMG, IMG)
        net = Sequential(Conv2d(1, 4, 3), Flatten(), Linear(4 * 26 * 26, 10))
        ''')
    result = analyze_source(text, "star.py")
    (model,) = result.models
    assert model.input_shape.text() == "(N, 1, 28, 28)"
    assert [l.output_shape.text() for l in model.layers] == ["(N, 4, 26, 26)", "(N, 2704)", "(N, 10)"]


def test_an_edit_reanalyses_only_its_unit():
    """Ten models; changing a number in one of them runs the walk for one unit only, and moving
    everything down by a line runs it for none (the cached results are moved). The directive of the
    edited model also sits on the line above the next one, so that one is analysed again too."""
    clear_caches()
    models = "\n".join(f"m{i} = nn.Sequential(nn.Linear({i + 1}, 5), nn.ReLU())" + (
        f"  # shapelens: input=(N, {i + 1})" if i in (3, 4) else "") for i in range(10))
    models += "\n" + "\n".join(f"m{i}(torch.randn(2, {i + 1}))" for i in range(10) if i not in (3, 4))
    text = "import torch\nimport torch.nn as nn\n\n" + models + "\n"
    analyze_source(text, "ten.py")
    runs = []
    real_run = Unit.run

    def counting(self):
        runs.append(len(self.chunks))
        return real_run(self)

    with mock.patch.object(Unit, "run", counting):
        edited = text.replace("nn.Linear(7, 5)", "nn.Linear(7, 6)")
        warm = analyze_source(edited, "ten.py")
        assert len(runs) == 1
        runs.clear()
        edited = edited.replace("nn.Linear(4, 5)", "nn.Linear(4, 6)")
        warm = analyze_source(edited, "ten.py")
        assert len(runs) == 2
        runs.clear()
        moved = analyze_source("# a comment on top\n" + edited, "ten.py")
        assert runs == []
    assert moved.models[3].layers[0].output_shape.text() == "(N, 6)"
    assert moved.models[6].layers[0].output_shape.text() == "(2, 6)"
    assert [m.span.line - 1 for m in moved.models] == [m.span.line for m in warm.models]
    clear_caches()
    assert analyze_source("# a comment on top\n" + edited, "ten.py").as_dict() == moved.as_dict()


@pytest.mark.parametrize("text", [
    "x = (\n",                      # does not parse at all
    "nonlocal x\n",                 # parses, but symtable rejects it
    "def f(:\n    pass\nimport torch.nn as nn\nm = nn.Sequential(nn.ReLU())\n",
])
def test_odd_statements_do_not_break_grouping(text):
    chunks, groups = _units_of(text)
    assert all(0 <= i < len(chunks) for unit in groups for i in unit)
    analyze_source(text, "odd.py")


def test_parallel_cold_analysis_equals_serial():
    """Options(parallel=True) forks a child for half the units of a cold file: same result, and the
    child's results land in this process's cache (a second analysis runs no walk at all)."""
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
    import generate

    text = generate.large_file(3, 400)
    clear_caches()
    serial = analyze_source(text, "par.py").as_dict()
    clear_caches()
    forks = []
    real_fork = os.fork

    def counting_fork():
        forks.append(1)
        return real_fork()

    with mock.patch.object(engine, "PARALLEL_MIN_CHARS", 1000), mock.patch.object(os, "fork", counting_fork):
        parallel = analyze_source(text, "par.py", engine.Options(parallel=True)).as_dict()
    assert forks == [1]
    assert parallel == serial
    with mock.patch.object(Unit, "run", side_effect=AssertionError("not cached")):
        assert analyze_source(text, "par.py", engine.Options(parallel=True)).as_dict() == serial


def test_a_failing_child_is_replaced_by_this_process():
    clear_caches()
    text = "import torch.nn as nn\n" + "".join(
        f"m{i} = nn.Sequential(nn.Linear({i + 1}, 2))  # shapelens: input=(N, {i + 1})\n" for i in range(30))
    with mock.patch.object(engine, "PARALLEL_MIN_CHARS", 10), \
            mock.patch.object(engine, "_fork", lambda work: (lambda: None)):
        result = analyze_source(text, "fail.py", engine.Options(parallel=True))
    assert [m.layers[0].output_shape.text() for m in result.models] == ["(N, 2)"] * 30


def test_direct_node_walk_follows_libcst_visitor_order():
    """values.child_nodes (the analysis' fast walk) must visit nodes in the order of a libcst visitor, on
    every sample: a libcst upgrade that reorders a node's fields would otherwise silently change which
    call is found first."""
    import glob
    import os

    import libcst as cst

    from shapelens.analysis.values import child_nodes

    class Order(cst.CSTVisitor):
        def __init__(self):
            self.seen = []

        def on_visit(self, node):
            if isinstance(node, (cst.Call, cst.Name)):
                self.seen.append(node)
            return True

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = sorted(glob.glob(os.path.join(root, "samples", "**", "*.py"), recursive=True))
    assert len(files) > 20
    for path in files:
        module = cst.parse_module(open(path, encoding="utf-8").read())
        visitor = Order()
        module.visit(visitor)
        walked, stack = [], [module]
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.Call, cst.Name)):
                walked.append(node)
            stack.extend(reversed(child_nodes(node)))
        assert [id(n) for n in walked] == [id(n) for n in visitor.seen], path


def test_batches_cover_every_unit_once_in_order():
    sizes = [5, 1, 1, 30, 2, 2, 2, 9, 1]
    for n in (1, 2, 4, 64):
        batches = engine._batches(sizes, n)
        assert [k for b in batches for k in b] == list(range(len(sizes)))
        assert all(len(b) for b in batches)
    assert engine._batches([], 8) == []


def test_work_queue_hands_each_batch_to_exactly_one_process():
    """Two forked processes drain one queue: together they take every batch, never the same one."""
    import os
    import pickle

    queue = engine._claims(500)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: take batches until the queue is empty, report them
        status = 1
        try:
            os.close(read_end)
            taken = []
            for b in engine._claimed(queue):
                taken.append(b)
                sum(range(2000))   # a little work per batch, so that both processes get some
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(taken))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    mine = []
    for b in engine._claimed(queue):
        mine.append(b)
        sum(range(2000))
    with os.fdopen(read_end, "rb") as inp:
        theirs = pickle.loads(inp.read())
    os.waitpid(pid, 0)
    os.close(queue)
    assert sorted(mine + theirs) == list(range(500))
    assert mine == sorted(mine) and theirs == sorted(theirs)


def test_batches_a_failed_child_took_are_analysed_here():
    """A child that took batches from the queue and then died: this process analyses those units too."""
    clear_caches()
    text = "import torch.nn as nn\n" + "".join(
        f"m{i} = nn.Sequential(nn.Linear({i + 1}, 2))  # shapelens: input=(N, {i + 1})\n" for i in range(40))

    def dying_child(work):
        queue_taken = []
        real_claimed = engine._claimed

        def take_three(queue):
            for _, b in zip(range(3), real_claimed(queue)):
                queue_taken.append(b)
            return iter(())
        with mock.patch.object(engine, "_claimed", take_three):
            work()     # "the child" takes three batches, then is gone without a result
        assert len(queue_taken) == 3
        return lambda: None

    with mock.patch.object(engine, "PARALLEL_MIN_CHARS", 10), mock.patch.object(engine, "_fork", dying_child):
        result = analyze_source(text, "dying.py", engine.Options(parallel=True))
    assert [m.layers[0].output_shape.text() for m in result.models] == ["(N, 2)"] * 40
    assert [m.layers[0].params for m in result.models] == [(i + 1) * 2 + 2 for i in range(40)]


def test_statements_dropped_from_the_caches_are_freed_at_once():
    """A chunk (and its parse tree) the caches let go must be freed by reference counting: the server's
    analysis child collects cyclic garbage only when idle, so a chunk in a reference cycle (it once
    held itself in its unit-key memo) kept whole parse trees alive across a run of cold opens."""
    import gc
    import weakref

    from shapelens.analysis.source import split

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        clear_caches()
        text = "import torch.nn as nn\nW = 8\n" + "".join(
            f"m{i} = nn.Sequential(nn.Linear(W, {i + 1}), nn.ReLU())  # shapelens: input=(N, W)\n" for i in range(20))
        analyze_source(text, "freed.py")
        refs = [weakref.ref(c) for c in split(text, "freed.py")[1]]
        assert len(refs) == 22
        gc.collect()   # what one analysis leaves in cycles (its walk's own objects): the young collection
        assert all(r() is not None for r in refs)   # the caches hold them
        clear_caches()
        assert [r for r in refs if r() is not None] == []
    finally:
        if was_enabled:
            gc.enable()


def test_names_of_statements_differing_in_numbers_only():
    """names_of takes the names of a statement whose number literals alone differ from one seen before
    (no second compile); a digit inside a name, or a statement that does not parse, is never taken so."""
    import ast as _ast

    from shapelens.analysis import units as u

    def names(text):
        return u.names_of(text, _ast.parse(text).body)

    clear_caches()
    first = names("net = make(conv1(3, 16), x1=2.5, y=0x1F)  # shapelens: input=(N, 3)\n")
    assert names("net = make(conv1(7, 32), x1=9.75, y=0x1F)  # shapelens: input=(N, 5)\n") is first
    other = names("net = make(conv2(3, 16), x1=2.5, y=0x1F)  # shapelens: input=(N, 3)\n")
    assert other is not first and "conv2" in other.reads and "conv1" not in other.reads
    assert names("K = 12\n").pure and names("K = 13\n").pure
    assert u.names_of("x = (012\n") is None             # does not parse: looked at on its own
