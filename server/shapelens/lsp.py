"""The shapelens language server (pygls 2): inlay hints, hovers, code lenses and diagnostics.

Thin by design: the analysis core computes everything (analysis/engine.py) and lsp_format.py turns
records into labels and markdown; this module only keeps documents, caches analyses and converts to
LSP types. Layout:

- Documents are kept here (not in pygls' workspace): incremental edits are applied with LSP's own line
  rules (only \\r\\n, \\r, \\n end a line) and the negotiated position encoding, and a didChange for a
  document that was never opened is ignored instead of raising.
- Analyses run in a child process (lspfeatures/worker.py), one at a time: the parser is native code,
  and a pathological file (thousands of nested brackets) can overflow its stack or eat memory. A crash
  or a timeout then costs one analysis, never the server (SHAPELENS_LSP_INPROCESS=1 analyses in a
  thread instead). Results are cached by (text, path, input setting), the last PER_DOCUMENT texts of
  each open document (an undo is a hit; a closed document's are dropped); concurrent requests for the
  same text share one analysis, so nothing is computed twice, and a request always gets the newest
  text's. A didOpen or didChange starts the analysis of the new text at once when the child is idle
  (prefetch): the inlay-hint request that follows a keystroke finds it under way. The child sends only the records that changed (worker.py), so consecutive analyses share
  their unchanged records in memory too.
- Inlay hints: one per place (lsp_format.HintGroups): the layer records whose calls end at the same
  position — a block class's `self.conv1 = ...` made once per block, a line two models share — are one
  hint with a merged label, and so are the steps (statements of forward() / call() that make a tensor);
  a step on a line with a layer hint is left to the layer. A hint's `data` names its first record (the
  resolve finds the others); its tooltip lists them all.
- `shapelens/status` (a custom request) reports documents, analysis counts and the negotiated
  encoding, for tests and debugging.
- Every handler is wrapped: an internal error is logged (log file, and window/logMessage at the Log
  level) and answered with an empty result, never a traceback.
- The wire is ours (lspfeatures/jsonrpc.py), not pygls' reader: every request gets a response (a
  result, or InvalidParams, InvalidRequest after shutdown, ServerNotInitialized, RequestCancelled,
  ContentModified when the document changed while the request waited for its analysis), the server
  exits when its input ends (status 0 after `shutdown`, else 1, as for `exit`), and nothing a client
  sends puts a traceback on stderr (one line in the log instead).
"""
from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import sys
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified, JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from . import __version__
from .analysis.records import Diagnostic, FileResult, Span
from .lsp_format import (
    HintConfig,
    HintGroups,
    HintIndex,
    LineIndex,
    Settings,
    apply_change_at,
    block_at,
    block_markdown,
    code_lens_title,
    diagnostic_href,
    filter_diagnostics,
    hint_line,
    layer_group,
    layers_at,
    layers_hint_label,
    layers_markdown,
    lens_span,
    model_at,
    model_hint_label,
    model_markdown,
    model_totals_markdown,
    parse_settings,
    severity_number,
    step_group,
    steps_at,
    steps_hint_label,
    steps_markdown,
)
from .lspfeatures.jsonrpc import SKIPPED, OneLineLogs, RobustProtocol, read_frame, strict_converter
from .lspfeatures.worker import Worker

log = logging.getLogger("shapelens.lsp")

PUBLISH_DEBOUNCE = 0.2          # seconds of quiet typing before diagnostics are pushed
SETTINGS_WAIT = 3.0             # how long a request waits for the first workspace/configuration answer
PER_DOCUMENT = 2                # analyses kept per document: its current text's and the previous (undo)
CACHE_SIZE = 16                 # analyses kept in all
RESOLVE_KEEP = 8                # the latest analyses whose inlay hints inlayHint/resolve can still fill
STATUS_METHOD = "shapelens/status"
STEP_DATA = -2                  # an inlay hint's data [serial, model, STEP_DATA - step]: a step's hint
                                # ([serial, model, layer] a layer's, [serial, model, -1] the model's)
_NOT_PUSHED = object()


# ====================================================================== documents and analyses

_INDEXES: "OrderedDict[int, LineIndex]" = OrderedDict()   # id(text) → its LineIndex (holds the text)


def line_index(text: str, encoding: str) -> LineIndex:
    """The text's LineIndex, shared by a document and the analysis of the same text object (built once
    per edit: didChange needs it for the next edit, the handlers for positions)."""
    hit = _INDEXES.get(id(text))
    if hit is None or hit.text is not text:
        hit = _remember_index(LineIndex(text, encoding))
    return hit.with_encoding(encoding)


def _remember_index(index: LineIndex) -> LineIndex:
    _INDEXES[id(index.text)] = index
    while len(_INDEXES) > 4:
        _INDEXES.popitem(last=False)
    return index


@dataclass
class Document:
    uri: str
    text: str
    version: Optional[int]
    path: str


@dataclass
class Entry:
    """One analysis of one text."""

    serial: int
    text: str
    result: FileResult
    key: tuple = ()
    _index: Optional[LineIndex] = field(default=None, repr=False)
    _hints: Optional[HintIndex] = field(default=None, repr=False)

    def index(self, encoding: str) -> LineIndex:
        if self._index is None:
            self._index = line_index(self.text, encoding)
        elif self._index.encoding != encoding:
            self._index = self._index.with_encoding(encoding)
        return self._index


class Analyses:
    """Cache of analyses by (text, path, input setting): the last PER_DOCUMENT of each document, at most
    CACHE_SIZE in all; in-flight analyses are shared. `is_open(path)`: is a document with this path
    open (an analysis finishing after its document was closed is not kept)."""

    def __init__(self, worker: Worker, is_open: Callable[[str], bool] = lambda path: True) -> None:
        self.worker = worker
        self.is_open = is_open
        self.cache: "OrderedDict[tuple, Entry]" = OrderedDict()
        self.by_serial: "OrderedDict[int, Entry]" = OrderedDict()
        self.hint_indexes: dict[str, HintIndex] = {}   # path -> the HintIndex made last (the next starts from it)
        self.inflight: dict[tuple, asyncio.Future] = {}
        self.serial = 0
        self.computed = 0     # analyses actually run (for shapelens/status)
        self._last: tuple = (None, None)   # (text, key) of the last get(): the same text is not hashed again

    def key(self, text: str, path: str, default_input: Optional[tuple]) -> tuple:
        last_text, last_key = self._last
        if last_text is text and last_key[1:] == (path, default_input):
            return last_key
        # str's own hash (computed in C once per text object) and the length, not a sha256 of the text
        # (0.06-0.1 ms of each keystroke): a hit is only taken when its text is equal (start()), so two
        # texts with the same hash can never share an analysis.
        key = ((hash(text), len(text)), path, default_input)
        self._last = (text, key)
        return key

    async def get(self, text: str, path: str, default_input: Optional[tuple]) -> Entry:
        found = self.start(text, path, default_input)
        return found if isinstance(found, Entry) else await asyncio.shield(found)

    def start(self, text: str, path: str, default_input: Optional[tuple]) -> "Entry | asyncio.Future":
        """The cached Entry of this text, or the task computing it (started now unless already under way)."""
        key = self.key(text, path, default_input)
        hit = self.cache.get(key)
        if hit is not None and (hit.text is text or hit.text == text):
            self.cache.move_to_end(key)
            return hit
        running = self.inflight.get(key)
        if running is not None and (running[0] is text or running[0] == text):
            return running[1]
        task = asyncio.ensure_future(self._compute(key, text, path, default_input))
        self.inflight[key] = (text, task)
        return task

    async def _compute(self, key: tuple, text: str, path: str, default_input: Optional[tuple]) -> Entry:
        try:
            self.computed += 1
            result = await self.worker.analyze(text, path, default_input)
            if result is None:  # crashed or timed out (logged): no guess, one SL001 saying which limit
                result = FileResult(path, diagnostics=[Diagnostic(Span(1, 1, 1, 1), "SL001", "warning",
                                                                  self.worker.failure or "not analysed")])
            self.serial += 1
            entry = Entry(self.serial, text, result, key)
            if self.is_open(path):
                self._store(entry)
            return entry
        finally:
            if self.inflight.get(key, (None, None))[0] is text:
                del self.inflight[key]

    def _store(self, entry: Entry) -> None:
        self.cache[entry.key] = entry
        self.by_serial[entry.serial] = entry
        path = entry.key[1]
        mine = [k for k in self.cache if k[1] == path]
        for k in mine[:-PER_DOCUMENT]:
            del self.cache[k]
        while len(self.cache) > CACHE_SIZE:
            self.cache.popitem(last=False)
        while len(self.by_serial) > RESOLVE_KEEP:
            self.by_serial.popitem(last=False)

    def hint_index(self, entry: Entry) -> HintIndex:
        """The entry's HintIndex, made from the one made last for the same document."""
        if entry._hints is None:
            path = entry.key[1] if entry.key else ""
            entry._hints = self.hint_indexes[path] = HintIndex(entry.result.models, self.hint_indexes.get(path))
        return entry._hints

    def forget(self, path: str) -> None:
        """Drop the analyses of a closed document."""
        self.hint_indexes.pop(path, None)
        for k in [k for k in self.cache if k[1] == path]:
            del self.cache[k]
        for s in [s for s, e in self.by_serial.items() if e.key[1] == path]:
            del self.by_serial[s]
        if self._last[1] is not None and self._last[1][1] == path:
            self._last = (None, None)


def _encoding_name(enc: Any) -> str:
    value = getattr(enc, "value", enc)
    return value if value in ("utf-8", "utf-16", "utf-32") else "utf-16"


def _cap(obj: Any, path: str, default: Any = None) -> Any:
    for part in path.split("."):
        if obj is None:
            return default
        obj = getattr(obj, part, None)
    return default if obj is None else obj


# ====================================================================== protocol and server

class ShapelensProtocol(RobustProtocol):
    """pygls' protocol with our wire (RobustProtocol), except that text documents are kept by the server
    itself (see module doc)."""

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class JsonList(list):
    """A result that is already JSON (lists, dicts, strings, numbers): sent as it is, not walked by
    cattrs. A cold open of a 3,000-line file answers some 2,000 inlay hints: building them as lsprotocol
    objects took about 10 ms on these machines, and serialising the response 16-29 ms (cattrs unstructures
    every object, or walks every dict of a list it does not know); as a JsonList of dicts, 5-9 ms."""


def _converter():
    """pygls' converter, taught that a JsonList needs no unstructuring, and that an inlay hint may be
    its JSON dict already (for a response typed as a list of InlayHints)."""
    from pygls.protocol import default_converter

    converter = strict_converter(default_converter())
    converter.register_unstructure_hook(JsonList, lambda value: value)
    unstructure_hint = converter.get_unstructure_hook(types.InlayHint)
    converter.register_unstructure_hook(
        types.InlayHint, lambda hint: hint if isinstance(hint, dict) else unstructure_hint(hint))
    return converter


class ShapelensServer(LanguageServer):
    def __init__(self, isolate: bool = True) -> None:
        super().__init__("shapelens", __version__, protocol_cls=ShapelensProtocol, converter_factory=_converter,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.docs: dict[str, Document] = {}
        self.settings = Settings()
        self.worker = Worker(isolate=isolate)
        self.analyses = Analyses(self.worker, is_open=lambda path: any(d.path == path for d in self.docs.values()))
        self.pending: dict[str, Any] = {}   # uri -> the publish under way: its timer, then its task
        self._settings_ready: Optional[asyncio.Event] = None
        self.published: dict[str, int] = {}   # uri → number of publishDiagnostics sent (status)
        self._initial_options: Any = None       # initializationOptions: settings for clients without
                                                # workspace/configuration

    # -------------------------------------------------------------- serving
    @property
    def exit_code(self) -> int:
        code = self.protocol.exit_code
        return 0 if code is None else code

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """Serve over stdio until `exit` or the end of the input (our reader: see module doc)."""
        from pygls.io_ import StdoutWriter

        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        _run_then_leave(self._serve_stream(stdin or sys.stdin.buffer), self)

    def start_tcp(self, host: str, port: int) -> None:
        """Serve one client over TCP, until `exit` or the end of its connection."""
        async def main() -> None:
            done = asyncio.Event()

            async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                self.protocol.set_writer(writer)  # type: ignore[arg-type]
                try:
                    await self.serve(reader)
                finally:
                    writer.close()
                    done.set()

            server = await asyncio.start_server(connection, host, port, limit=READ_LIMIT)
            log.info("serving on %s", ", ".join(str(s.getsockname()) for s in server.sockets))
            async with server:
                await done.wait()

        _run_then_leave(main(), self)

    async def _serve_stream(self, stream: Any) -> None:
        await self.serve(await _stream_reader(stream))

    async def serve(self, reader: asyncio.StreamReader) -> None:
        """Read frames and hand them to the protocol until `exit` or the end of the input."""
        protocol = self.protocol
        while protocol.exit_code is None:
            body = await read_frame(reader)
            if body is None:
                protocol.end_of_input()
                break
            if body is not SKIPPED:
                protocol.receive(body)
                await asyncio.sleep(0)   # let the handlers just started take their first step
        for task in list(self.pending.values()):
            task.cancel()
        self.worker.kill_now()

    # -------------------------------------------------------------- client capabilities
    @property
    def caps(self) -> types.ClientCapabilities:
        try:
            return self.client_capabilities or types.ClientCapabilities()
        except Exception:
            return types.ClientCapabilities()

    @property
    def encoding(self) -> str:
        try:
            return _encoding_name(self.workspace.position_encoding)
        except Exception:
            return "utf-16"

    @property
    def pull_diagnostics(self) -> bool:
        return _cap(self.caps, "text_document.diagnostic") is not None

    def markdown_ok(self) -> bool:
        formats = _cap(self.caps, "text_document.hover.content_format", [])
        return not formats or types.MarkupKind.Markdown in formats or "markdown" in formats

    def tooltip_lazily(self) -> bool:
        props = _cap(self.caps, "text_document.inlay_hint.resolve_support.properties", [])
        return "tooltip" in props

    def related_ok(self) -> bool:
        return bool(_cap(self.caps, "text_document.publish_diagnostics.related_information", False)
                    or _cap(self.caps, "text_document.diagnostic.related_information", False))

    def code_description_ok(self) -> bool:
        return bool(_cap(self.caps, "text_document.publish_diagnostics.code_description_support", False)
                    or _cap(self.caps, "text_document.diagnostic.code_description_support", False))

    # -------------------------------------------------------------- logging to the client
    def log_to_client(self, message: str, level: types.MessageType = types.MessageType.Log) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=level, message=message))
        except Exception:
            pass

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls' default shows errors to the user (window/showMessage); ours go to the log only.
        log.error("pygls reported %s: %s", getattr(source, "__name__", source), error)

    # -------------------------------------------------------------- settings
    def settings_event(self) -> asyncio.Event:
        if self._settings_ready is None:
            self._settings_ready = asyncio.Event()
        return self._settings_ready

    async def wait_settings(self) -> None:
        event = self.settings_event()
        if not event.is_set():
            try:
                await asyncio.wait_for(event.wait(), SETTINGS_WAIT)
            except asyncio.TimeoutError:
                event.set()

    async def load_settings(self, pushed: Any = _NOT_PUSHED) -> None:
        """Read the `shapelens` settings: by workspace/configuration when the client supports it, else
        from a didChangeConfiguration's payload, else from initializationOptions. Bad values → defaults."""
        raw: Any = self._initial_options
        try:
            if _cap(self.caps, "workspace.configuration", False):
                answer = await asyncio.wait_for(self.workspace_configuration_async(types.ConfigurationParams(
                    items=[types.ConfigurationItem(section="shapelens")])), SETTINGS_WAIT)
                raw = answer[0] if answer else None
            elif pushed is not _NOT_PUSHED:
                raw = pushed
        except Exception as e:
            log.warning("could not read settings (%s): keeping the current ones", e)
            self.settings_event().set()
            return
        if isinstance(raw, dict) and isinstance(raw.get("shapelens"), dict):
            raw = raw["shapelens"]
        self.settings = parse_settings(raw)
        log.info("settings: %s", self.settings)
        self.settings_event().set()

    # -------------------------------------------------------------- documents
    async def entry_for(self, uri: str, current: bool = True) -> Optional[Entry]:
        """The analysis of the document's text. With `current` (a request), ContentModified when the
        document changed while the analysis ran: its positions would be for a text the client no
        longer has (the request that follows the change gets the new one)."""
        await self.wait_settings()
        doc = self.docs.get(uri)
        if doc is None:
            return None
        text = doc.text
        entry = await self.analyses.get(text, doc.path, self.settings.default_torch_input)
        if current and (self.docs.get(uri) is not doc or doc.text is not text):
            raise JsonRpcContentModified(f"{uri} changed while its analysis ran")
        return entry

    def prefetch(self, doc: Document) -> None:
        """Start analysing a document's new text at once: the requests that follow a keystroke
        (inlay hints first, diagnostics after the debounce) then find it done or under way instead of
        starting it. Only when no analysis is running and the settings are known: otherwise it could
        be stale before it starts (the next keystroke, other settings), and the first request that
        needs the text starts it anyway."""
        if self.analyses.inflight or not self.settings_event().is_set():
            return
        found = self.analyses.start(doc.text, doc.path, self.settings.default_torch_input)
        if not isinstance(found, Entry):
            found.add_done_callback(_log_prefetch)

    def schedule_publish(self, uri: str, delay: float) -> None:
        if self.pull_diagnostics:
            return
        old = self.pending.pop(uri, None)
        if old is not None:
            old.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if delay:   # a timer (cheap to cancel on the next keystroke), the task only once it fires
            self.pending[uri] = loop.call_later(delay, self._start_publish, uri)
        else:
            self._start_publish(uri)

    def _start_publish(self, uri: str) -> None:
        self.pending[uri] = asyncio.get_running_loop().create_task(self._publish_later(uri))

    async def _publish_later(self, uri: str) -> None:
        me = asyncio.current_task()
        try:
            doc = self.docs.get(uri)
            if doc is None:
                return
            version = doc.version
            entry = await self.entry_for(uri, current=False)
            if entry is None or self.docs.get(uri) is not doc or doc.version != version:
                return  # superseded: a newer publish is scheduled
            self.publish(uri, self.lsp_diagnostics(entry, uri), version)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.internal_error("publishDiagnostics")
        finally:
            if self.pending.get(uri) is me:
                self.pending.pop(uri, None)

    def publish(self, uri: str, diagnostics: list, version: Optional[int] = None) -> None:
        with_version = _cap(self.caps, "text_document.publish_diagnostics.version_support", False)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=version if with_version else None))
        self.published[uri] = self.published.get(uri, 0) + 1

    def internal_error(self, where: str) -> None:
        exc = sys.exc_info()[1]
        log.error("internal error in %s: %s: %s (the traceback is logged at debug level)", where,
                  type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        log.debug("traceback of the internal error in %s:\n%s", where, traceback.format_exc())
        self.log_to_client(f"shapelens: internal error in {where}: {type(exc).__name__}: {exc}")

    # -------------------------------------------------------------- conversion to LSP types
    def lsp_range(self, entry: Entry, span: Span) -> types.Range:
        index = entry.index(self.encoding)
        sl, sc = index.position(span.line, span.col)
        el, ec = index.position(span.end_line, span.end_col)
        if (el, ec) < (sl, sc):
            el, ec = sl, sc
        return types.Range(types.Position(sl, sc), types.Position(el, ec))

    def lsp_diagnostics(self, entry: Entry, uri: str) -> list[types.Diagnostic]:
        related_ok, href_ok = self.related_ok(), self.code_description_ok()
        out = []
        settings = self.settings
        diags = filter_diagnostics(entry.result.diagnostics, settings.ignore, settings.select, settings.extend_select)
        for d in sorted(diags, key=lambda d: (d.span.line, d.span.col, d.code)):
            out.append(self._lsp_diagnostic(entry, uri, d, related_ok, href_ok))
        return out

    def _lsp_diagnostic(self, entry: Entry, uri: str, d: Diagnostic, related_ok: bool,
                        href_ok: bool) -> types.Diagnostic:
        related = None
        if related_ok and d.related:
            related = [types.DiagnosticRelatedInformation(
                location=types.Location(uri=uri, range=self.lsp_range(entry, span)), message=message)
                for span, message in d.related]
        return types.Diagnostic(
            range=self.lsp_range(entry, d.span),
            message=d.message,
            severity=types.DiagnosticSeverity(severity_number(d.severity)),
            code=d.code,
            code_description=types.CodeDescription(href=diagnostic_href(d.code)) if href_ok else None,
            source="shapelens",
            related_information=related,
        )

    def markup_kind(self) -> types.MarkupKind:
        return types.MarkupKind.Markdown if self.markdown_ok() else types.MarkupKind.PlainText

    def markup(self, text: str) -> types.MarkupContent:
        return types.MarkupContent(kind=self.markup_kind(), value=text)

    def markup_json(self, text: str) -> dict:
        return {"kind": self.markup_kind().value, "value": text}

    def result_id(self, entry: Entry) -> str:
        s = self.settings
        basis = repr((entry.serial, sorted(s.ignore), sorted(s.select), sorted(s.extend_select), self.related_ok(),
                      self.code_description_ok()))
        return hashlib.sha1(basis.encode()).hexdigest()[:16]


def _safe(server: ShapelensServer, where: str, default: Callable[[], Any]):
    """Wrap a handler: an internal error is logged and answered with an empty result."""

    def decorate(fn):
        if asyncio.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def wrapper(params):
                try:
                    return await fn(params)
                except (asyncio.CancelledError, JsonRpcException):   # answered as such by the protocol
                    raise
                except Exception:
                    server.internal_error(where)
                    return default()
        else:
            @functools.wraps(fn)
            def wrapper(params):
                try:
                    return fn(params)
                except JsonRpcException:
                    raise
                except Exception:
                    server.internal_error(where)
                    return default()
        return wrapper

    return decorate


READ_LIMIT = 1 << 20   # bytes the reader buffers before it waits for the server to take them
WIND_DOWN = 1.0        # seconds the tasks still running at the end get to finish their cancellation


def _run_then_leave(serving: Any, server: "ShapelensServer") -> None:
    """Run the serving coroutine to its end (exit, end of input), then give the other tasks WIND_DOWN
    seconds to wind down, not more: asyncio.run would wait for each of them, and a task cancelled while
    it starts the analysis child (asyncio's subprocess set-up) can wait forever. The caller ends the
    process (run(): os._exit)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(serving)
    except BrokenPipeError:
        log.warning("the client closed the connection")
        server.protocol.end_of_input()
    finally:
        server.worker.kill_now()
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            try:
                loop.run_until_complete(asyncio.wait(tasks, timeout=WIND_DOWN))
            except Exception:  # noqa: BLE001 - the process ends next anyway
                pass


async def _stream_reader(stream: Any) -> asyncio.StreamReader:
    """An asyncio reader of the client's stream: on the event loop itself when it is a pipe or a socket
    (no thread: nothing outlives the server), else fed by a daemon thread (a regular file)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_LIMIT, loop=loop)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), stream)
        return reader
    except (ValueError, OSError, NotImplementedError):
        pass
    import threading

    def pump() -> None:
        try:
            while True:
                data = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
                if not data:
                    break
                loop.call_soon_threadsafe(reader.feed_data, data)
        except (OSError, ValueError):
            pass
        finally:
            try:
                loop.call_soon_threadsafe(reader.feed_eof)
            except RuntimeError:   # the loop is closed: the server is done anyway
                pass

    threading.Thread(target=pump, name="shapelens-stdin", daemon=True).start()
    return reader


def _log_prefetch(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("analysis started on a change failed: %r", task.exception())


def _quiet(future: Any) -> None:
    """A server→client request whose answer we do not need: log a failure instead of warning later."""
    def done(f):
        try:
            if not f.cancelled() and f.exception() is not None:
                log.info("client answered a refresh with an error: %s", f.exception())
        except Exception:
            pass
    try:
        future.add_done_callback(done)
    except Exception:
        pass


def _in_range(pos: tuple[int, int], rng: types.Range) -> bool:
    return (rng.start.line, rng.start.character) <= pos <= (rng.end.line, rng.end.character)


def create_server(isolate: bool = True) -> ShapelensServer:
    """A server with every feature registered (not started)."""
    server = ShapelensServer(isolate=isolate)

    def feature(name: str, options: Any = None, default: Callable[[], Any] = lambda: None):
        def register(fn):
            server.feature(name, options)(_safe(server, name, default)(fn))
            return fn
        return register

    # ------------------------------------------------------------------ lifecycle
    @feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams):
        server._initial_options = params.initialization_options

    @feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams):
        asyncio.ensure_future(server.worker.warm_up())   # import the analysis core while we wait
        await server.load_settings()

    @feature(types.SHUTDOWN)
    async def shutdown(params: Any):
        for task in list(server.pending.values()):
            task.cancel()
        await server.worker.stop()

    @feature(types.EXIT)
    def exit_(params: Any):
        server.worker.kill_now()

    @feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: types.DidChangeConfigurationParams):
        before = server.settings
        server.settings_event().clear()   # requests from now on wait for the new settings
        await server.load_settings(params.settings)
        if server.settings == before:
            return
        if _cap(server.caps, "workspace.inlay_hint.refresh_support", False):
            _quiet(server.workspace_inlay_hint_refresh(None))
        if _cap(server.caps, "workspace.code_lens.refresh_support", False):
            _quiet(server.workspace_code_lens_refresh(None))
        if server.pull_diagnostics:
            if _cap(server.caps, "workspace.diagnostics.refresh_support", False):
                _quiet(server.workspace_diagnostic_refresh(None))
        else:
            for uri in list(server.docs):
                server.schedule_publish(uri, 0)

    # ------------------------------------------------------------------ text sync
    @feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams):
        item = params.text_document
        try:
            path = to_fs_path(item.uri) or item.uri
        except Exception:  # an odd URI is still a document
            path = item.uri
        server.docs[item.uri] = doc = Document(item.uri, item.text, item.version, path)
        server.prefetch(doc)
        server.schedule_publish(item.uri, 0)

    @feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams):
        doc = server.docs.get(params.text_document.uri)
        if doc is None:
            log.info("didChange for %s, which is not open: ignored", params.text_document.uri)
            return
        text = doc.text
        encoding = server.encoding
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                r = change.range
                old, index = text, line_index(text, encoding)
                text, a, b = apply_change_at(text, (r.start.line, r.start.character), (r.end.line, r.end.character),
                                             change.text, encoding, index)
                _remember_index(index.after_edit(text, a, b, change.text))
                server.worker.note_edit(doc.path, old, text, a, b)
            else:
                text = change.text
        doc.text = text
        doc.version = params.text_document.version
        server.prefetch(doc)
        # The hints asked for next need the new text's line index: made from the old one by each
        # partial change above, built here only after a whole-text change (call_soon: after the
        # analysis task has sent the text on its way).
        asyncio.get_running_loop().call_soon(line_index, text, encoding)
        server.schedule_publish(doc.uri, PUBLISH_DEBOUNCE)

    @feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        doc = server.docs.pop(uri, None)
        if doc is not None and not server.analyses.is_open(doc.path):
            server.analyses.forget(doc.path)
            asyncio.ensure_future(server.worker.forget(doc.path))
        task = server.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        if not server.pull_diagnostics:
            server.publish(uri, [])

    # ------------------------------------------------------------------ inlay hints
    @feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=True), default=list)
    async def inlay_hints(params: types.InlayHintParams):
        entry = await server.entry_for(params.text_document.uri)
        cfg: HintConfig = server.settings.hints
        if entry is None or not cfg.enabled:
            return []
        index = entry.index(server.encoding)
        lazy = server.tooltip_lazily()
        hints = JsonList()   # InlayHints as JSON dicts
        taken: set = set()
        # Only records whose hint line is in the range get a label: a first filter on 1-based lines,
        # with the clamping of index.position/end_of_line (before the text → line 0, past it → the last).
        first, last = params.range.start.line + 1, params.range.end.line + 1
        if first <= 1:
            first = -(1 << 62)
        if last >= len(index):
            last = 1 << 62

        def add(pos: tuple[int, int], label: Optional[str], data: list, tooltip: Callable[[], str]):
            # (two models on one line would give the same total twice: keep one)
            if not label or (pos, label) in taken or not _in_range(pos, params.range):
                return
            taken.add((pos, label))
            hint = {"position": {"line": pos[0], "character": pos[1]}, "label": label,
                    "kind": types.InlayHintKind.Type.value, "paddingLeft": True}
            if lazy:
                hint["data"] = data
            else:
                hint["tooltip"] = server.markup_json(tooltip())
            hints.append(hint)

        models = entry.result.models
        where = server.analyses.hint_index(entry)
        for mi in where.totals_in(first, last):
            model = models[mi]
            add(index.end_of_line(hint_line(model)), model_hint_label(model, cfg), [entry.serial, mi, -1],
                functools.partial(model_totals_markdown, model))
        # one hint per place: every layer whose call ends there (a block class made N times, a line two
        # models share), every step (statement) ending there; data names the first, resolve finds the rest
        groups = HintGroups(models, first, last, where)
        for (line, col), members in groups.layers.items():
            found = [(models[m], i, models[m].layers[i]) for m, i in members]
            add(index.position(line, col), layers_hint_label([f[2] for f in found], cfg),
                [entry.serial, *members[0]], functools.partial(layers_markdown, found))
        if cfg.show_steps and cfg.show_shapes:
            for (line, col), members in groups.steps.items():
                found = [(models[m], models[m].steps[i]) for m, i in members]
                mi, si = members[0]
                add(index.position(line, col), steps_hint_label([f[1] for f in found], cfg),
                    [entry.serial, mi, STEP_DATA - si], functools.partial(steps_markdown, found))
        hints.sort(key=lambda h: (h["position"]["line"], h["position"]["character"]))
        return hints

    @feature(types.INLAY_HINT_RESOLVE, default=lambda: None)
    def inlay_hint_resolve(hint: types.InlayHint):
        data = hint.data
        if not (isinstance(data, (list, tuple)) and len(data) == 3 and all(isinstance(x, int) for x in data)):
            return hint
        entry = server.analyses.by_serial.get(data[0])
        if entry is None:
            return hint
        models = entry.result.models
        if not 0 <= data[1] < len(models):
            return hint
        model = models[data[1]]
        if data[2] == -1:
            hint.tooltip = server.markup(model_totals_markdown(model))
        elif 0 <= data[2] < len(model.layers):
            hint.tooltip = server.markup(layers_markdown(layer_group(models, data[1], data[2])))
        elif 0 <= STEP_DATA - data[2] < len(model.steps):
            found = step_group(models, data[1], STEP_DATA - data[2])
            if found:
                hint.tooltip = server.markup(steps_markdown(found))
        return hint

    # ------------------------------------------------------------------ hover
    @feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams):
        entry = await server.entry_for(params.text_document.uri)
        if entry is None:
            return None
        index = entry.index(server.encoding)
        line1, col1 = index.from_lsp(params.position.line, params.position.character)
        models = entry.result.models
        model = model_at(models, line1, col1)
        if model is not None:
            span = model.name_span if model.name_span is not None else model.span
            return types.Hover(contents=server.markup(model_markdown(model)), range=server.lsp_range(entry, span))
        found = layers_at(models, line1, col1)
        if found:
            return types.Hover(contents=server.markup(layers_markdown(found)),
                               range=server.lsp_range(entry, found[0][2].span))
        block = block_at(models, line1, col1)
        if block is not None:
            model, b, made_here = block
            return types.Hover(contents=server.markup(block_markdown(b, model, made_here)),
                               range=server.lsp_range(entry, b.span))
        steps = steps_at(models, line1, col1)
        if steps:
            return types.Hover(contents=server.markup(steps_markdown(steps)),
                               range=server.lsp_range(entry, steps[0][1].span))
        return None

    # ------------------------------------------------------------------ code lens
    @feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False), default=list)
    async def code_lens(params: types.CodeLensParams):
        entry = await server.entry_for(params.text_document.uri)
        if entry is None:
            return []
        return [types.CodeLens(range=server.lsp_range(entry, lens_span(m)),
                               command=types.Command(title=code_lens_title(m), command=""))
                for m in entry.result.models]

    # ------------------------------------------------------------------ quick fixes
    @feature(types.TEXT_DOCUMENT_CODE_ACTION,
             types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]), default=list)
    async def code_action(params: types.CodeActionParams):
        entry = await server.entry_for(params.text_document.uri)
        if entry is None:
            return []
        return quick_fixes(entry, params, server.encoding)

    # ------------------------------------------------------------------ diagnostics (pull)
    def empty_report():
        return types.RelatedFullDocumentDiagnosticReport(items=[])

    @feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
             types.DiagnosticOptions(identifier="shapelens", inter_file_dependencies=False,
                                     workspace_diagnostics=False),
             default=empty_report)
    async def pull_diagnostics(params: types.DocumentDiagnosticParams):
        uri = params.text_document.uri
        entry = await server.entry_for(uri)
        if entry is None:
            return empty_report()
        result_id = server.result_id(entry)
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=server.lsp_diagnostics(entry, uri),
                                                         result_id=result_id)

    # ------------------------------------------------------------------ status (tests, debugging)
    @feature(STATUS_METHOD, default=dict)
    def status(params: Any):
        return {
            "analyses": server.analyses.computed,
            "cached": len(server.analyses.cache),
            "cached_paths": sorted({k[1] for k in server.analyses.cache}),
            "resolvable": len(server.analyses.by_serial),
            "worker_table": len(server.worker.inbox),
            "documents": [{"uri": uri, "version": d.version, "length": len(d.text),
                           "sha256": hashlib.sha256(d.text.encode("utf-8", "surrogatepass")).hexdigest()}
                          for uri, d in server.docs.items()],
            "published": [{"uri": uri, "count": n} for uri, n in server.published.items()],
            "worker_restarts": server.worker.restarts,
            "worker_pid": server.worker.proc.pid if server.worker.proc is not None else None,
            "isolated": server.worker.isolate,
            "encoding": server.encoding,
            "pull_diagnostics": server.pull_diagnostics,
        }

    return server


# ====================================================================== entry point

def _setup_logging(log_file: Optional[str], log_level: str) -> None:
    level = getattr(logging, str(log_level).upper(), logging.INFO)
    handler: logging.Handler
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)  # stdout is the LSP channel
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(OneLineLogs(keep_tracebacks=level <= logging.DEBUG))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pygls logs every message body at INFO: only from debug on.
    logging.getLogger("pygls").setLevel(level if level <= logging.DEBUG else logging.WARNING)


def run(tcp: Optional[str] = None, log_file: Optional[str] = None, log_level: str = "info") -> int:
    """Serve over stdio, or over TCP when tcp is "HOST:PORT", then end the process with the exit status
    the protocol gives (0 after `shutdown`, else 1). The end is os._exit: a thread still blocked on the
    client (or an analysis thread) must not keep the process alive once the client is gone."""
    _setup_logging(log_file, log_level)
    isolate = os.environ.get("SHAPELENS_LSP_INPROCESS", "") in ("", "0")
    server = create_server(isolate=isolate)
    try:
        if tcp:
            host, _, port = str(tcp).rpartition(":")
            server.start_tcp(host or "127.0.0.1", int(port))
        else:
            server.start_io()
    finally:
        server.worker.kill_now()
    code = server.exit_code
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()


def quick_fixes(entry: "Entry", params: types.CodeActionParams, encoding: str) -> list:
    """Code actions for the client's diagnostics in the request: the fixes of shapelens.fixes, each
    attached to the diagnostic it repairs."""
    from lsprotocol import converters

    from .fixes import compute_fixes, lsp_code_action

    asked = [d for d in params.context.diagnostics if d.source == "shapelens"]
    keys = {(d.range.start.line, str(d.code)) for d in asked}
    ours = [d for d in entry.result.diagnostics if (d.span.line - 1, d.code) in keys]
    if not ours:
        return []
    converter = converters.get_converter()
    actions = []
    for fix in compute_fixes(entry.text, entry.result, diagnostics=ours):
        action = converter.structure(lsp_code_action(entry.text, fix, params.text_document.uri, encoding),
                                     types.CodeAction)
        action.diagnostics = [d for d in asked
                              if (d.range.start.line, str(d.code)) == (fix.diagnostic.span.line - 1, fix.code)]
        actions.append(action)
    return actions
