"""The analysis child's incremental reply protocol (lspfeatures/worker.py).

The child numbers every record it sends; a record sent before travels as its number (pickle
persistent ids), a moved copy of one as a delta against it. Both ends keep a table of numbers that
must never disagree. Checked here, in-process (Outbox → bytes → Inbox, as over the pipe) and with a
real child process:

- every decoded reply equals the analysis it encodes (dataclass equality: every field of every
  record), along edit sequences that keep, change, move, break and repair records;
- both tables hold the same numbers after every reply, and stay bounded (the last KEEP_REPLIES);
- an unchanged record costs a number, a moved one a delta (sizes of the replies, not times);
- an Inbox that missed a reply refuses the next one instead of resolving a wrong record;
- a failed pickle leaves the child's table as it was;
- a closed document's records are dropped on both sides at the same point;
- with a real child: killing it, cancelling a request, or a timeout starts a new child with new
  tables, and the results stay right.
"""
from __future__ import annotations

import asyncio
import os
import pickle
import random
import signal
import sys
from pathlib import Path

import pytest

from shapelens.analysis.engine import clear_caches
from shapelens.guard import analyse_text
from shapelens.analysis.records import Diagnostic, FileResult, ModelRecord, Span
from shapelens.lspfeatures.worker import KEEP_REPLIES, Inbox, Outbox, Worker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import generate  # noqa: E402

PATH = "/tmp/shapelens-test-worker/doc.py"     # one path for every analysis: the incremental split


def _text() -> str:
    """A generated module (torch/keras Sequentials, constants, deliberate errors) followed by
    nn.Module / keras.Model subclasses (records with data-flow steps and unknown reasons)."""
    parts = [generate.large_file(3, 400)]
    for name in ("resnet_small.py", "broken_view.py", "keras_two_inputs.py", "broken_keras_add.py"):
        parts.append((ROOT / "samples" / "modules" / name).read_text(encoding="utf-8"))
    return "\n\n".join(parts)


TEXT = _text()


def analyse(text: str) -> FileResult:
    """The analysis as the child reports it (parse failures as SL001, one SL201 per layer)."""
    return analyse_text(text, PATH)


def roundtrip(outbox: Outbox, inbox: Inbox, result: FileResult) -> tuple[FileResult, int]:
    data = outbox.encode(result)
    status, decoded = inbox.decode(data)
    assert status == "ok"
    assert decoded == result                      # every field of every record
    assert decoded.as_dict() == result.as_dict()  # and every derived number
    assert outbox.objects.keys() == inbox.objects.keys()
    return decoded, len(data)


def digit_edits(text: str, n: int, seed: int) -> list[str]:
    """n texts, each one digit of a layer size changed (benchmarks' edit)."""
    rng = random.Random(seed)
    targets = generate.edit_targets(text)
    out = []
    for _ in range(n):
        line, col = rng.choice(targets)
        lines = text.split("\n")
        lines[line] = lines[line][:col] + str(int(lines[line][col]) % 9 + 1) + lines[line][col + 1:]
        text = "\n".join(lines)
        out.append(text)
    return out


def insert_line(text: str, line: int, content: str = "") -> str:
    lines = text.split("\n")
    lines.insert(line, content)
    return "\n".join(lines)


# ----------------------------------------------------------------------------- in-process protocol

def test_sample_is_meaningful():
    r = analyse(TEXT)
    assert len(r.models) > 40 and r.diagnostics
    assert any(m.steps for m in r.models) and any(l.unknown_reasons for m in r.models for l in m.layers)
    assert len(generate.edit_targets(TEXT)) > 20


def test_edit_sequence_decodes_exactly_and_tables_agree(monkeypatch):
    monkeypatch.delenv("SHAPELENS_STRICT", raising=False)   # half-typed input: test_robustness's subject
    outbox, inbox = Outbox(), Inbox()
    text = TEXT
    history = [text]
    rng = random.Random(7)
    first = analyse(text)
    _, size0 = roundtrip(outbox, inbox, first)
    for step in range(40):
        kind = rng.choice(["digit", "digit", "newline", "delete-line", "break", "undo", "comment"])
        lines = text.split("\n")
        if kind == "digit":
            text = digit_edits(text, 1, step)[0]
        elif kind == "newline":
            text = insert_line(text, rng.randrange(len(lines)))
        elif kind == "delete-line":
            i = rng.randrange(len(lines))
            if not lines[i].strip():
                del lines[i]
                text = "\n".join(lines)
        elif kind == "break":   # half-typed: an unclosed call in some layer line
            line, col = rng.choice(generate.edit_targets(text))
            text = "\n".join(lines[:line] + [lines[line][:col] + "(" + lines[line][col:]] + lines[line + 1:])
        elif kind == "undo":
            text = history[rng.randrange(len(history))]
        else:
            text = insert_line(text, rng.randrange(len(lines)), "# a comment")
        history.append(text)
        roundtrip(outbox, inbox, analyse(text))
    # a fresh pair (a new child) gives the same final result
    _, size = roundtrip(Outbox(), Inbox(), analyse(text))
    assert size > 0


def test_unchanged_records_travel_as_numbers():
    outbox, inbox = Outbox(), Inbox()
    result = analyse(TEXT)
    _, full = roundtrip(outbox, inbox, result)
    for text in digit_edits(TEXT, 5, 1):
        edited = analyse(text)
        data, pending = outbox.prepare(edited)
        outbox.sent(pending)
        new = pending[1]
        status, decoded = inbox.decode(data)
        assert decoded == edited
        new_tops = [o for o in new if isinstance(o, (ModelRecord, Diagnostic))]
        assert len(new_tops) <= 4, [getattr(o, "name", o) for o in new_tops]   # the edited model's unit
        assert len(data) < full / 20
    # the same result again: nothing new at all
    data, pending = outbox.prepare(edited)
    assert pending[1] == []
    outbox.sent(pending)
    assert inbox.decode(data)[1] == edited


def test_moved_records_travel_as_deltas():
    outbox, inbox = Outbox(), Inbox()
    _, full = roundtrip(outbox, inbox, analyse(TEXT))
    text = insert_line(TEXT, 0, "")            # every record moves one line down
    moved, size = roundtrip(outbox, inbox, analyse(text))
    assert size < full / 3
    text = insert_line(text, 0, "")
    moved2, size2 = roundtrip(outbox, inbox, analyse(text))
    assert size2 < full / 3
    # the moved copies share the unchanged parts with what was received before
    a = next(m for m in moved.models if m.layers and m.layers[0].formulas)
    b = next(m for m in moved2.models if m.name == a.name and m.kind == a.kind and m.span.line == a.span.line + 1)
    assert b.layers[0].formulas is a.layers[0].formulas and b.layers[0].span.line == a.layers[0].span.line + 1


def test_tables_stay_bounded():
    outbox, inbox = Outbox(), Inbox()
    results = [analyse(generate.large_file(seed, 150)) for seed in (11, 12, 13, 14, 15, 16)]
    for result in results:
        roundtrip(outbox, inbox, result)
    # only the records of the last KEEP_REPLIES replies are kept (with their parts)
    live = {id(o) for r in results[-KEEP_REPLIES:] for o in (*r.models, *r.diagnostics)}
    tops = [o for o in outbox.objects.values() if isinstance(o, (ModelRecord, Diagnostic))]
    assert tops and {id(o) for o in tops} <= live
    parts = {id(p) for r in results[-KEEP_REPLIES:] for m in r.models for l in m.layers
             for p in (l.formulas, l.unknown_reasons, l.input_shape, l.output_shape)}
    assert {id(o) for o in outbox.objects.values() if not isinstance(o, (ModelRecord, Diagnostic))} <= parts
    # many edits of one text: bounded by KEEP_REPLIES replies' worth of records
    outbox, inbox = Outbox(), Inbox()
    roundtrip(outbox, inbox, analyse(TEXT))
    one = len(outbox)
    text = TEXT
    for i in range(30):
        text = insert_line(text, (i * 37) % 400) if i % 3 == 0 else digit_edits(text, 1, i)[0]
        roundtrip(outbox, inbox, analyse(text))
        assert len(outbox) == len(inbox) <= (KEEP_REPLIES + 1) * one


def test_a_closed_documents_records_are_forgotten_on_both_sides():
    outbox, inbox = Outbox(), Inbox()
    other = analyse_text(generate.large_file(21, 150), "/tmp/shapelens-test-worker/other.py")
    roundtrip(outbox, inbox, analyse(TEXT))
    roundtrip(outbox, inbox, other)
    roundtrip(outbox, inbox, analyse(digit_edits(TEXT, 1, 2)[0]))
    for table in (outbox, inbox):
        table.forget(PATH)
    assert outbox.objects.keys() == inbox.objects.keys()
    assert {id(o) for o in outbox.objects.values() if isinstance(o, (ModelRecord, Diagnostic))} == \
        {id(o) for o in (*other.models, *other.diagnostics)}
    assert len(outbox.ids) == len(outbox)
    # what is left still decodes, and the closed document's text comes back in full
    roundtrip(outbox, inbox, other)
    roundtrip(outbox, inbox, analyse(TEXT))


def test_a_missed_reply_is_refused():
    outbox, inbox = Outbox(), Inbox()
    roundtrip(outbox, inbox, analyse(TEXT))
    texts = digit_edits(TEXT, 2, 3)
    outbox.encode(analyse(texts[0]))           # lost on the way: the inbox never sees it
    data = outbox.encode(analyse(texts[1]))    # references a record of the lost reply
    with pytest.raises(Exception):
        inbox.decode(data)
    # a fresh pair starts over
    roundtrip(Outbox(), Inbox(), analyse(texts[1]))


def test_a_failed_pickle_leaves_the_table_unchanged():
    outbox, inbox = Outbox(), Inbox()
    result = analyse(TEXT)
    roundtrip(outbox, inbox, result)
    before = (dict(outbox.objects), dict(outbox.ids), outbox.next)
    bad = FileResult(PATH, models=list(result.models),
                     diagnostics=[Diagnostic(Span(1, 1, 1, 2), "SL001", "info", "x", related=[lambda: 0])])
    with pytest.raises(Exception):
        outbox.prepare(bad)
    assert (dict(outbox.objects), dict(outbox.ids), outbox.next) == before
    roundtrip(outbox, inbox, analyse(digit_edits(TEXT, 1, 5)[0]))


def test_error_replies_are_passed_on():
    inbox = Inbox()
    assert inbox.decode(pickle.dumps(("error", "MemoryError: x"))) == ("error", "MemoryError: x")
    assert len(inbox) == 0


# ----------------------------------------------------------------------------- a real child

def test_real_child_kill_cancel_and_timeout():
    texts = [TEXT] + digit_edits(TEXT, 3, 9) + [insert_line(TEXT, 3)]
    expected = [analyse(t).as_dict() for t in texts]

    async def main():
        worker = Worker()
        try:
            got = await worker.analyze(texts[0], PATH, None)
            assert got.as_dict() == expected[0] and len(worker.inbox) > 0
            got = await worker.analyze(texts[1], PATH, None)
            assert got.as_dict() == expected[1]
            # killed the hard way (as a native crash would): the retry runs in a new child, new tables
            os.kill(worker.proc.pid, signal.SIGKILL)
            got = await worker.analyze(texts[2], PATH, None)
            assert got.as_dict() == expected[2] and worker.restarts == 1
            fresh = Outbox()
            clear_caches()   # a new child analyses cold (no records of earlier analyses to share)
            fresh.encode(analyse(texts[2]))
            assert len(worker.inbox) == len(fresh)        # only what the new child sent
            # a request cancelled while the child works: its reply must not be read as the next one's
            pid = worker.proc.pid
            slow = generate.large_file(77, 1500)       # a cold text: the child is busy for a while
            task = asyncio.ensure_future(worker.analyze(slow, PATH, None))
            while not worker.lock.locked():            # the exchange has begun
                await asyncio.sleep(0)
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            got = await worker.analyze(texts[3], PATH, None)
            assert got.as_dict() == expected[3] and worker.proc.pid != pid
            # a closed document: both tables forget it (the child answers nothing to that frame)
            await worker.forget(PATH)
            assert len(worker.inbox) == 0
            got = await worker.analyze(texts[2], PATH, None)
            assert got.as_dict() == expected[2]
            # a timeout: no result, and a new child afterwards
            worker.timeout = 0.0001
            assert await worker.analyze(texts[4], PATH, None) is None
            worker.timeout = 60.0
            got = await worker.analyze(texts[4], PATH, None)
            assert got.as_dict() == expected[4]
        finally:
            await worker.stop()

    asyncio.run(main())


# ---------------------------------------------------------------------- garbage collection in the child

class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collector_collects_only_between_requests():
    """The child's Collector turns automatic collection off (no full collection in the middle of an
    analysis), collects the young generations after each reply, and everything once no request has
    come for `idle` seconds; a waiting request is read at once, with no collection first."""
    import gc
    import weakref

    from shapelens.lspfeatures.worker import Collector

    was_enabled = gc.isenabled()
    read_end, write_end = os.pipe()
    try:
        collector = Collector(idle=0.05)
        assert not gc.isenabled()
        gc.collect()
        garbage = _Cycle()
        gone = weakref.ref(garbage)
        del garbage
        collector.after_request()          # a young collection: this new cycle goes
        assert gone() is None

        old = _Cycle()
        gc.collect(1)                      # the cycle survives into the oldest generation...
        old_ref = weakref.ref(old)
        del old
        collector.after_request()          # ...which young collections do not scan
        assert old_ref() is not None
        os.write(write_end, b"x")
        collector.wait_for(read_end)       # a request waits: read at once, nothing collected
        assert old_ref() is not None
        assert os.read(read_end, 1) == b"x"
        collector.wait_for(read_end)       # idle past 0.05 s: a full collection, then a freeze
        assert old_ref() is None
        assert not collector.dirty
        assert gc.get_freeze_count() > 0   # the survivors: the next full collection skips them
    finally:
        os.close(read_end)
        os.close(write_end)
        gc.unfreeze()
        if was_enabled:
            gc.enable()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_SETPIPE_SZ is Linux's")
def test_pipes_to_the_child_hold_a_whole_frame():
    """The 100 KB text of a 3,000-line file (and a cold open's 400 KB reply) goes over in one write:
    both pipes are widened to PIPE_SIZE (when the system allows that much)."""
    import fcntl

    from shapelens.lspfeatures.worker import PIPE_SIZE

    with open("/proc/sys/fs/pipe-max-size") as f:
        if int(f.read()) < PIPE_SIZE:
            pytest.skip("this system caps pipes below PIPE_SIZE")

    async def main():
        worker = Worker()
        try:
            proc = await worker._ensure()
            sizes = []
            for stream in (proc.stdin, proc.stdout):
                transport = getattr(stream, "transport", None) or getattr(stream, "_transport", None)
                sizes.append(fcntl.fcntl(transport.get_extra_info("pipe").fileno(), 1032))  # F_GETPIPE_SZ
            text = generate.large_file(5, 3000)
            result = await worker.analyze(text, PATH, None)
            assert result == analyse(text)
            return sizes
        finally:
            await worker.stop()

    assert asyncio.run(main()) == [PIPE_SIZE, PIPE_SIZE]


# ---------------------------------------------------------------------- keystrokes sent as edits

def test_keystrokes_go_to_the_child_as_edits():
    """After a didChange the child is sent the replaced stretch, not the text (Worker.note_edit): each
    result equals the analysis of the whole text, also when two edits come before one analysis, after
    the document was forgotten, and when the child is out of step (it ends; a new child gets the text)."""
    from shapelens.lspfeatures import worker as w

    texts = [TEXT]
    for t in digit_edits(TEXT, 4, 21):
        texts.append(t)
    sizes = []

    async def main():
        worker = Worker()
        real = worker._payload

        def payload(text, path, default_input):
            data, number = real(text, path, default_input)
            sizes.append(pickle.loads(data)[0] == w.EDIT)   # sent as an edit?
            return data, number

        worker._payload = payload
        try:
            got = await worker.analyze(texts[0], PATH, None)
            assert got.as_dict() == analyse(texts[0]).as_dict()

            def edit(old, new):
                a = next(i for i, (x, y) in enumerate(zip(old, new)) if x != y)
                worker.note_edit(PATH, old, new, a, a + 1)   # one digit replaced

            edit(texts[0], texts[1])
            got = await worker.analyze(texts[1], PATH, None)
            assert got.as_dict() == analyse(texts[1]).as_dict() and sizes[-1]
            edit(texts[1], texts[2])
            edit(texts[2], texts[3])                    # two keystrokes, one analysis
            got = await worker.analyze(texts[3], PATH, None)
            assert got.as_dict() == analyse(texts[3]).as_dict() and sizes[-1]
            await worker.forget(PATH)                   # the child drops its text: the next goes whole
            edit(texts[3], texts[4])
            got = await worker.analyze(texts[4], PATH, None)
            assert got.as_dict() == analyse(texts[4]).as_dict() and not sizes[-1]
            # out of step (as if a frame were lost: the child's text is not the one the server
            # numbered): the child ends, a new one is sent the whole text
            text, number = worker.sent[PATH]
            worker.sent[PATH] = (text, number + 1000)
            a = next(i for i, (x, y) in enumerate(zip(text, texts[1])) if x != y)
            z = next(i for i, (x, y) in enumerate(zip(reversed(text), reversed(texts[1]))) if x != y)
            worker.note_edit(PATH, text, texts[1], a, len(text) - z)
            restarts = worker.restarts
            got = await worker.analyze(texts[1], PATH, None)
            assert got.as_dict() == analyse(texts[1]).as_dict() and worker.restarts == restarts + 1
            assert sizes[-2:] == [True, False]   # the edit the child could not apply, then the text
            assert w.EDIT_MIN_CHARS < len(TEXT)
        finally:
            await worker.stop()

    asyncio.run(main())
