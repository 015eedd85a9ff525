"""The analysis child process of the language server, and the server's side of it.

The parser under the analysis core is native code: a pathological file (thousands of nested brackets)
can overflow its stack or eat all memory, and no `except` catches that. So the server never analyses in
its own process: a child runs `analyze_source` (in a thread with a large stack, under an address-space
limit) and answers pickled FileResults over a pipe. A crash or a timeout costs one analysis and a
restart, never the server. This module imports neither pygls nor, in the server, the analysis core
(the child imports it; the server only unpickles records), so both processes start quickly.

Replies are incremental. After an edit the analysis core returns the very same ModelRecord and
Diagnostic objects for every model the edit did not touch, so the child numbers each record it sends
and keeps it (SentTable); a record it has sent before goes over the pipe as its number (pickle's
persistent_id), which the server resolves from its own copy of the table (persistent_load). A record
sent for the first time also registers a few of its parts (formula lists, shapes). The analysis core
copies a model moved by an edit above it (new spans) but shares those parts with the original: such a
copy goes over as a delta against the original (_delta/_rebuild: "every span moved d lines", or the
changed fields), a few bytes instead of its layers. Both sides update their tables from the same data
in the same order (SentTable.commit, .forget for a closed document) and so always agree; a new child
starts with empty tables on both sides (the server makes a new Inbox whenever it starts one, and a
request cancelled mid-exchange kills the child). Records are never mutated once returned by
analyze_source (units.py copies a moved record): that is what makes identity a safe key.
"""
from __future__ import annotations

import asyncio
import gc
import io
import logging
import os
import pickle
import select
import sys
import threading
from array import array
from collections import deque
from itertools import compress, count, repeat
from operator import is_
from typing import TYPE_CHECKING, Any, Iterable, Optional

if TYPE_CHECKING:
    from ..analysis.records import FileResult

log = logging.getLogger("shapelens.lsp")

WORKER_TIMEOUT = 30.0           # one analysis; the child is restarted after this (the CLI's --timeout too)
WORKER_MEMORY = 4 << 30         # address-space limit of the child (bytes)
WORKER_STACK = 256 << 20        # stack of the child's analysis thread
CHILD = "from shapelens.lspfeatures.worker import worker_main; worker_main()"
KEEP_REPLIES = 4                # records referenced by the last KEEP_REPLIES replies stay in the tables
FORGET = "forget"               # request frame (FORGET, path): drop that document's replies, no answer
EDIT = "edit"                   # request frame (EDIT, path, default_input, start, end, inserted, version,
                                # base): the text numbered `base` with [start:end] replaced (Worker.note_edit)
EDIT_MIN_CHARS = 8192           # below this, the whole text costs no more to send
IDLE_COLLECT = 1.0              # seconds without a request before the child runs a full garbage collection


# ====================================================================== the table of sent records

class SentTable:
    """The records the child has sent, by number. The child (Outbox) and the server (Inbox) each hold
    one and change it only through commit(), with the same arguments in the same order, so both always
    hold the same numbers. A reply references top-level records (models, diagnostics); a top-level
    record holds its registered parts (children). Numbers referenced by one of the last `keep` replies
    stay, with their children; the rest are dropped, deterministically, on both sides."""

    def __init__(self, keep: int = KEEP_REPLIES) -> None:
        self.keep = keep
        self.objects: dict[int, Any] = {}
        self._counts: dict[int, int] = {}          # references: live replies (tops), live tops (parts)
        self._children: dict[int, tuple] = {}
        self._replies: deque = deque()

    def __len__(self) -> int:
        return len(self.objects)

    def commit(self, new: list, children: dict, refs: Iterable[int], path: str = "") -> None:
        """Register `new` [(number, object)], `children` {top: (part numbers)} of the new tops, and one
        reply (for the document `path`) referencing the tops `refs`; then forget what only older replies
        referenced.

        A top's count is the number of replies in the window that reference it (however often). The
        reply that enters and the one that leaves are usually two analyses of the same document, which
        share all but a few tops: only the tops in one of them and not the other change their count
        (set differences, in C), not the 600 tops of a 3,000-line file twice per edit."""
        objects, counts = self.objects, self._counts
        for n, obj in new:
            objects[n] = obj
            counts[n] = 0
        for top, parts in children.items():
            self._children[top] = parts
            for p in parts:
                counts[p] += 1
        tops = frozenset(refs)
        self._replies.append((path, tops))
        leaving = self._replies.popleft()[1] if len(self._replies) > self.keep else frozenset()
        for n in tops - leaving if leaving else tops:
            counts[n] += 1
        for n in leaving - tops:
            self._release(n)
        for n, _ in new:  # referenced by nothing (not produced by Outbox.encode; keeps the rule total)
            if counts.get(n) == 0:
                self._drop(n)

    def forget(self, path: str) -> None:
        """Drop the replies for `path` (a closed document) from the window; both sides do it at the same
        point of the sequence (the server when it sends the "forget" frame, the child when it reads it)."""
        kept = deque()
        for reply in self._replies:
            if reply[0] == path:
                for n in reply[1]:
                    self._release(n)
            else:
                kept.append(reply)
        self._replies = kept

    def _release(self, n: int) -> None:
        left = self._counts[n] - 1
        if left:
            self._counts[n] = left
        else:
            self._drop(n)

    def _drop(self, n: int) -> None:
        del self._counts[n]
        self.dropped(n, self.objects.pop(n))
        for p in self._children.pop(n, ()):
            self._release(p)

    def dropped(self, n: int, obj: Any) -> None:
        pass


def _parts(record: Any) -> Iterable[Any]:
    """The parts of a top-level record worth registering: what a moved copy shares with its original
    (formula lists, shapes, reasons); empty lists and None are cheaper to send than to number."""
    for layer in getattr(record, "layers", ()):
        yield layer.formulas
        yield layer.unknown_reasons
        yield layer.input_shape
        yield layer.output_shape
    for step in getattr(record, "steps", ()):
        yield step.output_shape
        yield step.unknown_reasons


def _shift(old: Any, new: Any) -> Optional[int]:
    """d when `new` is the span `old` moved d lines (same columns), else None."""
    if type(old) is not type(new) or not hasattr(old, "end_line"):
        return None
    d = new.line - old.line
    if new.end_line - old.end_line == d and new.col == old.col and new.end_col == old.end_col:
        return d
    return None


def _delta(base: Any, obj: Any) -> Optional[tuple]:
    """obj as (changes, lists) against base, a record of the same type: the fields that are not the
    very same objects, and for a list of records of the same length (layers, steps) either the number
    of lines every element's span moved (nothing else changed: a moved copy) or per element a dict of
    its changed fields (or the element itself). None when the two do not line up."""
    try:
        old, now = base.__dict__, obj.__dict__
    except AttributeError:
        return None
    if type(base) is not type(obj) or old.keys() != now.keys():
        return None
    changes: dict = {}
    lists: dict = {}
    for key, value in now.items():
        was = old[key]
        if value is was:
            continue
        if type(value) is list and type(was) is list and value and len(value) == len(was) and \
                hasattr(value[0], "__dict__"):
            items = [_diff(a, b) for a, b in zip(value, was)]
            moved = _moved_by(items, was)
            lists[key] = moved if moved is not None else items
        else:
            changes[key] = value
    return changes, lists


def _moved_by(items: list, was: list) -> Optional[int]:
    """d when every element's only change (_diff) is its span, moved d lines (all by the same d)."""
    d: Optional[int] = None
    for diff, b in zip(items, was):
        if type(diff) is not dict or diff.keys() != {"span"}:
            return None
        shift = _shift(b.span, diff["span"])
        if shift is None or (d is not None and shift != d):
            return None
        d = shift
    return d


def _diff(a: Any, b: Any) -> Any:
    """a's fields that are not b's very same objects (a dict), or a itself when the two differ in kind;
    None when a is b (a layer the edit did not change: engine._reuse keeps the very record)."""
    if a is b:
        return None
    ad = getattr(a, "__dict__", None)
    bd = getattr(b, "__dict__", None)
    if ad is None or bd is None or type(a) is not type(b) or ad.keys() != bd.keys():
        return a
    return {k: v for k, v in ad.items() if v is not bd[k]}


def _rebuild(base: Any, changes: dict, lists: dict) -> Any:
    """The receiving end of _delta (pickled by reference: the server imports this module too)."""
    obj = object.__new__(type(base))
    fields = obj.__dict__
    fields.update(base.__dict__)
    fields.update(changes)
    for key, items in lists.items():
        rebuilt = []
        if type(items) is int:  # every element moved by `items` lines
            for b in base.__dict__[key]:
                copy = object.__new__(type(b))
                copy.__dict__.update(b.__dict__)
                span = b.span
                copy.__dict__["span"] = type(span)(span.line + items, span.col, span.end_line + items, span.end_col)
                rebuilt.append(copy)
        else:
            for b, item in zip(base.__dict__[key], items):
                if item is None:      # the base's very element (_diff: the same object)
                    rebuilt.append(b)
                elif type(item) is dict:
                    copy = object.__new__(type(b))
                    copy.__dict__.update(b.__dict__)
                    copy.__dict__.update(item)
                    rebuilt.append(copy)
                else:
                    rebuilt.append(item)
        fields[key] = rebuilt
    return obj


class _RefPickler(pickle.Pickler):
    """Pickles a record sent before as its number."""

    def __init__(self, file: Any, ids: dict) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.ids = ids

    def persistent_id(self, obj: Any) -> Optional[int]:
        return self.ids.get(id(obj))


class _DeltaPickler(_RefPickler):
    """... and a moved copy of one as a delta against it (a separate class: reducer_override costs a
    call per object, paid only when there is a delta)."""

    def __init__(self, file: Any, ids: dict, plans: dict) -> None:
        super().__init__(file, ids)
        self.plans = plans

    def reducer_override(self, obj: Any) -> Any:
        return self.plans.get(id(obj), NotImplemented)


class Outbox(SentTable):
    """The child's table: it also finds a record's number by the record's identity (the table holds a
    reference, so an id is never reused while it is in the table), and the newest record holding each
    part (`owner`): a new record sharing its parts is a moved copy of it, sent as a delta."""

    def __init__(self, keep: int = KEEP_REPLIES) -> None:
        super().__init__(keep)
        self.ids: dict[int, int] = {}
        self.owner: dict[int, int] = {}     # part number → the newest top holding it
        self.next = 0

    def dropped(self, n: int, obj: Any) -> None:
        self.ids.pop(id(obj), None)
        self.owner.pop(n, None)

    def encode(self, result: "FileResult") -> bytes:
        """The pickled reply (see prepare), records sent before as their number; the table then counts
        it as sent."""
        data, pending = self.prepare(result)
        self.sent(pending)
        return data

    def _base(self, record: Any) -> Optional[int]:
        """The number of a record sent before whose parts this new record shares (it is a moved copy
        of it), or None."""
        for part in _parts(record):
            if part:
                n = self.ids.get(id(part))
                if n is None:
                    continue   # a new part (a layer changed by the edit): look further
                base = self.owner.get(n)
                return base if type(self.objects.get(base)) is type(record) else None
        return None

    def prepare(self, result: "FileResult") -> tuple[bytes, tuple]:
        """encode() in two steps: the pickle (the table is unchanged if this fails), then sent(pending).

        The reply: ("ok", result, first, new, children, refs, n): `result` without its models and
        diagnostics; `new` the records and parts first sent here, numbered from `first` on; `children`
        (_pack_children) the parts of each new record; `refs` the numbers of the top-level records, in
        order (an array: one pickle object, not thousands), the first n of them the models."""
        ids = self.ids
        first = self.next
        local: dict[int, int] = {}      # records first sent in this reply
        new: list = []
        children: dict[int, tuple] = {}
        same: dict[int, int] = {}       # new top → sent top with the very same parts
        plans: dict[int, tuple] = {}    # id(new record) → its reduce tuple (a delta against a sent one)

        def number(obj: Any) -> tuple[int, bool]:
            n = ids.get(id(obj))
            if n is not None:
                return n, True
            n = local.get(id(obj))
            if n is not None:
                return n, False
            n = local[id(obj)] = first + len(new)
            new.append(obj)
            return n, False

        tops = result.models + result.diagnostics
        found = list(map(ids.get, map(id, tops)))   # in C: after an edit all but a few were sent before
        known = found.count(None) < len(found)
        for k in list(compress(count(), map(is_, found, repeat(None)))):
            top = tops[k]
            n, seen = number(top)
            found[k] = n
            if seen:
                known = True
            elif n not in children:
                parts = []
                for part in _parts(top):
                    if part:  # None, [] or a 0-d Shape: cheaper to send than to number
                        p, seen_part = number(part)
                        known = known or seen_part
                        parts.append(p)
                if parts:
                    children[n] = parts = tuple(parts)
                    base = self._base(top)
                    if base is not None:
                        delta = _delta(self.objects[base], top)
                        if delta is not None:
                            plans[id(top)] = (_rebuild, (self.objects[base], *delta))
                        if self._children.get(base) == parts:
                            same[n] = base
        refs = found
        # The result goes without its lists: refs lists the same records, as numbers (the pickler would
        # otherwise call persistent_id once for each of them).
        shell = object.__new__(type(result))
        shell.__dict__.update(result.__dict__, models=[], diagnostics=[])
        message = ("ok", shell, first, new, _pack_children(children, same), array("q", refs), len(result.models))
        if known:
            buf = io.BytesIO()
            (_DeltaPickler(buf, ids, plans) if plans else _RefPickler(buf, ids)).dump(message)
            data = buf.getvalue()
        else:  # nothing to reference (a first analysis): the plain pickler is 2-3x faster
            data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        return data, (first, new, children, tuple(refs), result.path)

    def sent(self, pending: tuple) -> None:
        first, new, children, refs, path = pending
        self.next = first + len(new)
        numbered = list(enumerate(new, first))
        for n, obj in numbered:
            self.ids[id(obj)] = n
        for top, parts in children.items():
            for p in parts:
                self.owner[p] = top      # the newest holder: the one most likely still sent
        self.commit(numbered, children, refs, path)


def _pack_children(children: dict, same: dict) -> "array":
    """{top: parts} as one flat array: top, count, parts...; or top, -1, t when the parts are those of
    the sent top t (a moved copy)."""
    flat = array("q")
    for top, parts in children.items():
        base = same.get(top)
        if base is not None:
            flat.extend((top, -1, base))
        else:
            flat.extend((top, len(parts)))
            flat.extend(parts)
    return flat


class Inbox(SentTable):
    """The server's table: resolves the numbers in a reply."""

    def decode(self, body: bytes) -> tuple:
        """("ok", FileResult) or ("error", message). Raises on a reply that does not fit the table
        (the caller then starts a new child, and with it a new Inbox)."""
        unpickler = pickle.Unpickler(io.BytesIO(body))
        unpickler.persistent_load = self.objects.__getitem__  # type: ignore[method-assign]
        message = unpickler.load()
        if message[0] != "ok":
            return message
        _, result, first, new, flat, refs, n_models = message
        children: dict = {}
        flat = flat.tolist()
        i = 0
        while i < len(flat):
            top, count = flat[i], flat[i + 1]
            if count < 0:
                children[top] = self._children[flat[i + 2]]
                i += 3
            else:
                children[top] = tuple(flat[i + 2:i + 2 + count])
                i += 2 + count
        self.commit(list(enumerate(new, first)), children, refs, result.path)
        records = list(map(self.objects.__getitem__, refs))
        result.models, result.diagnostics = records[:n_models], records[n_models:]
        return "ok", result


def _read_exact(inp: Any, n: int) -> bytes:
    """n bytes from an unbuffered stream (fewer only at its end)."""
    parts, got = [], 0
    while got < n:
        part = inp.read(n - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


class Collector:
    """When the child collects cyclic garbage: never in the middle of an analysis.

    With Python's default thresholds a cold open of a 3,000-line file (some 100,000 new objects, most
    of them kept by the parse and unit caches) also sets off full collections, each scanning every
    object the caches hold: about 100 ms each on these machines, in the middle of the request. So
    automatic collection is off. The analysis's own cyclic garbage (each unit's walker objects refer to
    each other) is young: after each reply the young generations are collected (about 1 ms after an
    edit, 20 after a cold open). What the caches hold and later drop is freed by reference counting
    (tests/test_units.py checks that dropped statements go at once). A full collection runs once the
    child has been idle for IDLE_COLLECT seconds, so any other cycle is still freed.
    What survives that collection is frozen (gc.freeze): later full collections only scan what is
    newer. Without it they grew with the caches, to 200 ms after five 3,000-line files (a keystroke
    right then would wait for it); with it they stay under 30 ms, and 0.1 ms after an edit. Frozen
    objects are still freed by reference counting when a cache drops them (parse trees and records
    hold no cycles); only a cycle through a frozen object would never be collected."""

    def __init__(self, idle: float = IDLE_COLLECT) -> None:
        self.idle = idle
        self.dirty = False   # requests since the last full collection
        gc.disable()

    def after_request(self) -> None:
        gc.collect(1)
        self.dirty = True

    def wait_for(self, fd: int) -> None:
        """Block until fd is readable; if that takes longer than `idle`, collect in the meantime."""
        if not self.dirty:
            return
        try:
            ready, _, _ = select.select([fd], [], [], self.idle)
        except (OSError, ValueError):  # no select() on this descriptor: collect now
            ready = []
        if not ready:
            gc.collect()
            gc.freeze()
            self.dirty = False


AFTER_REPLY = 0.003   # seconds the child leaves the core to the server after a reply (less if a request comes)


def _readable(fd: int, timeout: float) -> bool:
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    except (OSError, ValueError):
        return True


def worker_main() -> None:
    """Entry of the child: read pickled (text, path, default_input, number) frames on stdin, or EDIT
    frames (a text numbered before, with one stretch replaced), answer Outbox.encode() frames (("ok",
    FileResult, ...) with records sent before as numbers) or ("error", message) frames on stdout, until
    stdin closes. A (FORGET, path) frame gets no answer."""
    from ..analysis.engine import forget_file
    from ..analysis.source import expect_edit
    from ..guard import analyse_text

    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = WORKER_MEMORY if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except Exception:  # not on this platform: the timeout still bounds the child
        pass
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() must not corrupt the frames
    inp = sys.stdin.buffer.raw   # unbuffered: select() on its descriptor tells whether a request waits
    outbox = Outbox()
    collector = Collector()
    texts: dict[str, tuple] = {}   # path -> (number, text) of the last text analysed (EDIT frames build on it)

    def loop() -> None:
        pending = None
        while True:
            if pending is not None:
                # The reply is on its way; the server, often woken on this very core, decodes it now.
                # The table's update and the young collection wait until it has (or the next request
                # comes): done right after the write they kept it from the core for ~0.15 ms.
                _readable(inp.fileno(), AFTER_REPLY)
                try:
                    outbox.sent(pending)
                except BaseException:  # a half-updated table would disagree with the server's: end here
                    os._exit(70)      # (the server then starts a new child, with new tables, on both sides)
                pending = None
                collector.after_request()
            collector.wait_for(inp.fileno())
            head = _read_exact(inp, 8)
            if len(head) < 8:
                return
            body = _read_exact(inp, int.from_bytes(head, "big"))
            pending = None
            try:
                request = pickle.loads(body)
                if len(request) == 2 and request[0] == FORGET:   # a closed document: no reply
                    texts.pop(request[1], None)
                    forget_file(request[1])
                    try:
                        outbox.forget(request[1])
                    except BaseException:  # the tables would disagree: end here, the server restarts us
                        os._exit(70)
                    continue
                if request[0] == EDIT:   # the last text of that path with one stretch replaced
                    _, path, default_input, start, end, inserted, version, base_version = request
                    number, base = texts.get(path, (None, None))
                    if number != base_version or not 0 <= start <= end <= len(base):
                        os._exit(71)   # out of step with the server: it starts a new child, sends the text
                    text = base[:start] + inserted + base[end:]
                    expect_edit(path, base, text, start, end)
                else:
                    text, path, default_input, version = request
                texts[path] = (version, text)
                # parallel: a cold open of a large file forks a helper that shares the work (both cores)
                result = analyse_text(text, path, default_input, parallel=True)
                reply, pending = outbox.prepare(result)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # noqa: BLE001 - report anything (MemoryError too), keep serving
                reply = pickle.dumps(("error", f"{type(e).__name__}: {e}"))
            out.write(len(reply).to_bytes(8, "big") + reply)
            out.flush()
            if pending is None:
                collector.after_request()

    threading.stack_size(WORKER_STACK)
    t = threading.Thread(target=loop, name="shapelens-analysis")
    t.start()
    t.join()


def analyze_in_process(text: str, path: str, default_input: Optional[tuple]) -> Optional["FileResult"]:
    from ..guard import analyse_text

    try:
        return analyse_text(text, path, default_input)
    except Exception:
        log.exception("analysis failed")
        return None


PIPE_SIZE = 1 << 20              # bytes a pipe to or from the child holds (Linux; its default is 64 KiB)


def _widen_pipe(stream: Any) -> None:
    """Let one write carry a whole frame. With Linux's default 64 KiB, the 100 KB text of a 3,000-line
    file goes over in pieces, each waiting for the server's event loop to come back to it (after an
    edit: about 1 ms more before the child can start), and a cold open's 400 KB reply in seven. Best
    effort: without F_SETPIPE_SZ (other systems), or above the system's limit, the pipe stays as it is."""
    try:
        import fcntl

        set_size = getattr(fcntl, "F_SETPIPE_SZ", 1031 if sys.platform.startswith("linux") else None)
        transport = getattr(stream, "transport", None) or getattr(stream, "_transport", None)
        pipe = transport.get_extra_info("pipe") if transport is not None else None
        if set_size is not None and pipe is not None:
            fcntl.fcntl(pipe.fileno(), set_size, PIPE_SIZE)
    except Exception:  # noqa: BLE001 - a smaller pipe is only slower
        pass


class Worker:
    """The server's side of the child. One request at a time; a dead or stuck child is killed and
    restarted. If no child can be started at all (isolate=False, or no subprocess support), analyses run
    in a thread of the server instead."""

    def __init__(self, timeout: float = WORKER_TIMEOUT, isolate: bool = True) -> None:
        self.timeout = timeout
        self.isolate = isolate
        self.proc: Optional[asyncio.subprocess.Process] = None
        self.lock = asyncio.Lock()
        self.restarts = 0
        self.failure = ""         # why the last analyze() returned None: a message naming the limit
        self.numbered = 0         # texts sent so far (numbers them: an EDIT names its base's)
        self._new_child_state()

    def _new_child_state(self) -> None:
        """What the server knows of the current child, empty for a new one: the records it has sent, and
        the texts it has (an EDIT frame builds on one)."""
        self.inbox = Inbox()
        self.sent: dict[str, tuple] = {}    # path -> (text, its number): the last the current child received
        self.edits: dict[str, tuple] = {}   # path -> (text it has, newer text, start, end): note_edit

    async def _ensure(self) -> asyncio.subprocess.Process:
        if self.proc is not None and self.proc.returncode is None:
            return self.proc
        if self.proc is not None:  # died between requests (killed, out of memory): counted as a restart
            log.warning("analysis child exited (code %s); starting a new one", self.proc.returncode)
            self.restarts += 1
        env = dict(os.environ)
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self._new_child_state()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
            limit=PIPE_SIZE)   # the reader buffers a whole reply before it pauses the pipe
        for stream in (self.proc.stdin, self.proc.stdout):
            _widen_pipe(stream)
        return self.proc

    async def _in_thread(self, text: str, path: str, default_input: Optional[tuple]) -> Optional["FileResult"]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, analyze_in_process, text, path, default_input)

    def note_edit(self, path: str, old: str, new: str, start: int, end: int) -> None:
        """A document's text `old` became `new` by replacing old[start:end] (a didChange). When the child
        has `old` (or the text a chain of such edits began from), analysing `new` sends only the
        replaced stretch: the 100 KB of a 3,000-line file are pickled, piped, unpickled and searched
        for what changed on every keystroke otherwise."""
        if self.sent.get(path, (None,))[0] is old:
            self.edits[path] = (old, new, start, end)
            return
        chain = self.edits.get(path)
        if chain is None or chain[1] is not old:
            self.edits.pop(path, None)
            return
        # compose: what the first edit and this one both left alone at each end is common to both
        base = chain[0]
        head = min(chain[2], start)
        tail = min(len(base) - chain[3], len(old) - end)
        tail = min(tail, len(base) - head, len(new) - head)
        self.edits[path] = (base, new, head, len(base) - tail)

    def _payload(self, text: str, path: str, default_input: Optional[tuple]) -> tuple[bytes, int]:
        """The request frame for the text, and the number it gives the text."""
        edit = self.edits.get(path)
        has = self.sent.get(path, (None, None))
        self.numbered += 1
        if edit is not None and edit[1] is text and has[0] is edit[0] and len(text) >= EDIT_MIN_CHARS:
            base, _, start, end = edit
            inserted = text[start:len(text) - (len(base) - end)]
            request: tuple = (EDIT, path, default_input, start, end, inserted, self.numbered, has[1])
        else:
            request = (text, path, default_input, self.numbered)
        return pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL), self.numbered

    async def analyze(self, text: str, path: str, default_input: Optional[tuple]) -> Optional["FileResult"]:
        """The text's FileResult, or None when the analysis failed (crash, timeout; logged)."""
        if not self.isolate:
            return await self._in_thread(text, path, default_input)
        async with self.lock:
            # A child that died of something else (killed, or by an earlier text) gets one retry with a
            # fresh child; a text that kills the child twice, or runs past the timeout, gets None.
            for attempt in range(2):
                try:
                    proc = await self._ensure()
                except Exception as e:
                    log.warning("cannot start the analysis child (%s); analysing in-process", e)
                    self.isolate = False
                    return await self._in_thread(text, path, default_input)
                payload, number = self._payload(text, path, default_input)   # (a new child has no text yet)
                ok, value, retry = await self._roundtrip(proc, payload, path, (text, number))
                if ok:
                    return value
                log.warning("analysis child failed (%s, exit code %s) on a %d-character text; %s", value,
                            proc.returncode, len(text), "retrying" if retry and not attempt else "giving up")
                self.failure = self._why(value, proc.returncode)
                await self.stop()
                self.restarts += 1
                if not retry:
                    break
            return None

    def _why(self, what: Any, returncode: Optional[int]) -> str:
        """The SL001 message for an analysis the child did not finish."""
        if what == "timeout":
            return f"not analysed: the analysis took longer than the server's time limit of {self.timeout:g} s"
        if returncode is not None and returncode < 0 and -returncode in (6, 9):   # SIGABRT, SIGKILL
            return (f"not analysed: the analysis ran out of memory (the server's limit is "
                    f"{WORKER_MEMORY >> 20:,} MiB)")
        return f"not analysed: the analysis process failed ({what}, exit status {returncode})"

    async def _roundtrip(self, proc: asyncio.subprocess.Process, payload: bytes, path: str = "",
                         sent: Optional[tuple] = None) -> tuple[bool, Any, bool]:
        """(True, result-or-None, _) when the child answered; (False, why, retry?) when it failed. `sent`:
        the (text, number) the payload gives the child for `path`."""
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(len(payload).to_bytes(8, "big") + payload)
            if sent is not None:
                self.sent[path] = sent    # the child reads frames in order: the next one may build on it
            await proc.stdin.drain()
            head = await asyncio.wait_for(proc.stdout.readexactly(8), self.timeout)
            body = await asyncio.wait_for(proc.stdout.readexactly(int.from_bytes(head, "big")), self.timeout)
        except asyncio.TimeoutError:
            return False, "timeout", False
        except (asyncio.IncompleteReadError, OSError, EOFError, ValueError, AssertionError) as e:
            return False, type(e).__name__, True
        except BaseException:
            # Cancelled (or worse) mid-exchange: a reply may still come, and the tables would no longer
            # agree. This child is done for; the next request starts a new one.
            self.kill_now()
            self.proc = None
            raise
        try:
            status, value = self.inbox.decode(body)
        except Exception as e:  # noqa: BLE001 - a reply that does not fit the table: a new child
            return False, f"unreadable reply ({type(e).__name__}: {e})", True
        if status != "ok":
            log.warning("analysis failed in the child: %s", value)
            return True, None, False
        return True, value, False

    async def forget(self, path: str) -> None:
        """A document was closed: both tables drop its replies (the child's records can then go)."""
        if not self.isolate:
            return
        self.sent.pop(path, None)
        self.edits.pop(path, None)
        async with self.lock:   # no reply in flight: both sides drop at the same point
            proc = self.proc
            self.inbox.forget(path)
            if proc is None or proc.returncode is not None or proc.stdin is None:
                return            # no child, or a dead one: the next analysis starts anew anyway
            payload = pickle.dumps((FORGET, path), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                proc.stdin.write(len(payload).to_bytes(8, "big") + payload)
                await proc.stdin.drain()
            except Exception as e:  # a dead child: the next analysis starts a new one (new tables)
                log.info("could not tell the analysis child to forget %s: %s", path, e)

    async def warm_up(self) -> None:
        """Start the child early, so its imports overlap the client's first messages."""
        if not self.isolate:
            return
        try:
            async with self.lock:
                await self._ensure()
        except Exception as e:
            log.info("analysis child not started yet: %s", e)

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        self._new_child_state()
        if proc is None:
            return
        try:
            if proc.returncode is None:
                proc.kill()
            await asyncio.wait_for(proc.wait(), 5)
        except Exception:
            pass

    def kill_now(self) -> None:
        proc = self.proc
        if proc is not None and proc.returncode is None:
            try:
                proc.kill()
            except Exception:
                pass
