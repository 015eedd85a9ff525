"""The wire under the language server: frames in, every request answered, nothing a client sends
reaching stderr as a traceback.

pygls 2 reads frames itself (pygls.io_.run_async) and structures each message inside `json.loads`'
object_hook; when that fails (invalid params, a body that is not JSON, `[]`, `null`) it logs a
traceback and drops the message, so a request with invalid params is never answered. Requests after
`shutdown` are dropped in silence too, its stdin reader threads keep the process alive after the client
closes stdin, and `exit` raises SystemExit inside a handler, which its loop swallows (the process then
exits 0 even without `shutdown`). This module replaces that path:

- `read_frame` reads one `Content-Length` frame from an asyncio StreamReader with bounded memory: a
  header line is at most MAX_HEADER_LINE bytes, a body at most MAX_MESSAGE_BYTES (a larger one is read
  and discarded in pieces, with one line in the log), junk before a header is skipped.
- `RobustProtocol.receive(body)` decodes one frame and answers what pygls would drop: ParseError (id
  null) for a body that is not JSON, InvalidRequest for what is not a request object (or a request
  after `shutdown`, or any request but `initialize` before it: ServerNotInitialized), InvalidParams
  (with the request's id) when the params do not fit the method's type. Valid messages go on to
  pygls' dispatch. `exit` sets `exit_code` (0 after `shutdown`, else 1, as the spec says); the
  serving loop stops there, and also at the end of the input (same status).
- `strict_converter` makes the structuring refuse what it would otherwise coerce (`"uri": 5` became
  the string "5", `"line": 1.5` the integer 1).
- `OneLineLogs` turns a logged traceback into one line (the traceback itself goes to the log only at
  debug level).
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Optional

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol.language_server import LanguageServerProtocol

log = logging.getLogger("shapelens.lsp")

MAX_HEADER_LINE = 8 << 10          # bytes in one header line
MAX_MESSAGE_BYTES = 256 << 20      # bytes in one message body (a 100 MB file's didOpen still fits)
SKIPPED = object()                 # read_frame: a frame that was read and dropped


# ====================================================================== frames

async def read_frame(reader: asyncio.StreamReader) -> Any:
    """The next frame's body; SKIPPED for a frame dropped (logged); None at the end of the input."""
    length: Optional[int] = None
    junk = False
    while True:
        line = await _read_line(reader)
        if line is None:
            return None
        if not line.strip():
            if length is not None:
                break
            continue   # blank lines between frames
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                length = None
            if length is not None and length < 0:
                length = None
        elif not sep or name.strip().lower() != b"content-type":
            junk = True
    if junk:
        log.warning("skipped bytes that are not a message header before a frame")
    if length > MAX_MESSAGE_BYTES:
        log.warning("a message of %d bytes is over the limit of %d: read and dropped", length, MAX_MESSAGE_BYTES)
        return SKIPPED if await _discard(reader, length) else None
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        if length:
            log.warning("the input ended inside a message (%d bytes announced)", length)
        return None


async def _read_line(reader: asyncio.StreamReader) -> Optional[bytes]:
    """One header line (an over-long one is cut to MAX_HEADER_LINE); None at the end of the input."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as e:
        return e.partial if e.partial else None
    except asyncio.LimitOverrunError as e:   # no newline within the reader's limit: drop what is there
        await reader.readexactly(e.consumed)
        return b"x-overlong-line: junk"
    return line[:MAX_HEADER_LINE]


async def _discard(reader: asyncio.StreamReader, n: int) -> bool:
    """Read and forget n bytes (False if the input ended first)."""
    while n > 0:
        part = await reader.read(min(n, 1 << 20))
        if not part:
            return False
        n -= len(part)
    return True


# ====================================================================== the protocol

_ERROR_IDS = (int, str)


class RobustProtocol(LanguageServerProtocol):
    """See the module doc. `exit_code` is None until `exit` (or the end of the input)."""

    exit_code: Optional[int] = None
    _initialize_seen = False

    # -------------------------------------------------------------- one frame
    def receive(self, body: bytes) -> None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as e:   # not JSON, not UTF-8 (UnicodeDecodeError is a ValueError)
            log.warning("a message that is not JSON (%s): answered ParseError", _short(e))
            self.reply_error(None, JsonRpcParseError("the message is not valid JSON in UTF-8"))
            return
        if not isinstance(data, dict):
            log.warning("a message that is not a JSON object (%s): answered InvalidRequest", type(data).__name__)
            self.reply_error(None, JsonRpcInvalidRequest("a message must be a JSON object (batches are not supported)"))
            return
        try:
            self._route(data)
        except Exception as e:  # noqa: BLE001 - whatever a client sends, the server keeps serving
            log.error("could not handle a %r message: %s", data.get("method"), _short(e))
            msg_id = data.get("id")
            if "method" in data and _valid_id(msg_id):
                self.reply_error(msg_id, JsonRpcInternalError(f"internal error: {type(e).__name__}"))

    def _route(self, data: dict) -> None:
        method = data.get("method")
        msg_id = data.get("id")
        has_id = "id" in data
        if method is None:
            if has_id and ("result" in data or "error" in data):
                self._response(data)
            else:
                log.warning("a message with neither a method nor a result: ignored")
            return
        if has_id and not _valid_id(msg_id):
            log.warning("a request whose id is not an integer or a string: answered InvalidRequest")
            self.reply_error(None, JsonRpcInvalidRequest("the request id must be an integer or a string"))
            return
        if not isinstance(method, str) or data.get("jsonrpc") != self.VERSION:
            log.warning("a message that is not JSON-RPC 2.0 (method %r): %s", method,
                        "answered InvalidRequest" if has_id else "ignored")
            if has_id:
                self.reply_error(msg_id, JsonRpcInvalidRequest('expected "jsonrpc": "2.0" and a string method'))
            return
        if has_id:
            self._request(msg_id, method, data)
        else:
            self._notification(method, data)

    # -------------------------------------------------------------- requests
    def _request(self, msg_id: Any, method: str, data: dict) -> None:
        if self._shutdown:
            log.info("request %r after shutdown: answered InvalidRequest", method)
            self.reply_error(msg_id, JsonRpcInvalidRequest("the server is shutting down (shutdown was received)"))
            return
        if method == types.INITIALIZE:
            if self._initialize_seen:
                self.reply_error(msg_id, JsonRpcInvalidRequest("initialize was already received"))
                return
        elif not self._initialize_seen:
            self.reply_error(msg_id, JsonRpcServerNotInitialized("the server has not received initialize yet"))
            return
        if _is_notification_type(self.get_message_type(method)):
            log.warning("request %r for a notification method: answered InvalidRequest", method)
            self.reply_error(msg_id, JsonRpcInvalidRequest(f"{method} is a notification: it takes no id"))
            return
        message = self._structure(data, method, msg_id)
        if message is None:
            return
        if method == types.INITIALIZE:
            self._initialize_seen = True
        self.handle_message(message)

    def _structure(self, data: dict, method: str, msg_id: Any = None) -> Any:
        """The message as pygls' typed object, or None (a request is then answered InvalidParams)."""
        kind = self.get_message_type(method)
        if kind is None:   # a method lsprotocol does not know (ours, or an unknown one: pygls answers that)
            data = dict(data, params=data.get("params"))
            kind = _GENERIC_REQUEST if msg_id is not None else _GENERIC_NOTIFICATION
        try:
            return self._converter.structure(data, kind)
        except Exception as e:  # noqa: BLE001 - cattrs raises several kinds
            where = f"request {method!r}" if msg_id is not None else f"notification {method!r}"
            log.warning("%s with invalid params (%s): %s", where, _short(e),
                        "answered InvalidParams" if msg_id is not None else "ignored")
            if msg_id is not None:
                self.reply_error(msg_id, JsonRpcInvalidParams(f"invalid params for {method}: {_short(e)}"))
            return None

    # -------------------------------------------------------------- notifications
    def _notification(self, method: str, data: dict) -> None:
        if method == types.EXIT:
            self._exit()
            return
        if self._shutdown or not self._initialize_seen:
            log.info("notification %r %s: ignored", method,
                     "after shutdown" if self._shutdown else "before initialize")
            return
        message = self._structure(data, method)
        if message is not None:
            self.handle_message(message)

    def end_of_input(self) -> None:
        """The client's stream ended without `exit`: the same status as if it had been sent."""
        if self.exit_code is None:
            log.info("the input ended%s: exiting", "" if self._shutdown else " without shutdown")
            self._exit()

    def _exit(self) -> None:
        """`exit`: the user's handler (it stops the analysis child), then the status the spec gives."""
        handler = self.fm.features.get(types.EXIT)
        if handler is not None:
            try:
                handler(None)
            except Exception as e:  # noqa: BLE001
                log.error("exit handler failed: %s", _short(e))
        self.exit_code = 0 if self._shutdown else 1

    # -------------------------------------------------------------- responses to our requests
    def _response(self, data: dict) -> None:
        msg_id = data.get("id")
        if not _valid_id(msg_id):
            log.warning("a response without a usable id: ignored")
            return
        from lsprotocol.types import ResponseErrorMessage
        from pygls.protocol import JsonRPCResponseMessage

        kind = self._result_types.pop(msg_id, None) or JsonRPCResponseMessage
        try:   # as pygls' structure_message, without its traceback in the log
            message = self._converter.structure(data, ResponseErrorMessage if "error" in data else kind)
        except Exception as e:  # noqa: BLE001 - cattrs raises several kinds
            log.warning("a malformed response to request %r: %s", msg_id, _short(e))
            future = self._request_futures.pop(msg_id, None)
            if future is not None and not future.done():
                future.set_exception(JsonRpcInternalError("the client sent a malformed response"))
            return
        self.handle_message(message)

    # -------------------------------------------------------------- answers
    def reply_error(self, msg_id: Any, error: JsonRpcException) -> None:
        """An error response; with id null when the id could not be read (JSON-RPC 2.0 §5)."""
        payload = {"code": error.code, "message": error.message}
        self._send_data({"jsonrpc": self.VERSION, "id": msg_id if _valid_id(msg_id) else None, "error": payload})

    def _send_handler_result(self, future: Any, *, msg_id: Any) -> None:
        """pygls' version logs a traceback for every error response (ContentModified included)."""
        self._request_futures.pop(msg_id, None)
        if future.cancelled():
            self.reply_error(msg_id, _cancelled(msg_id))
            return
        error = future.exception()
        if error is None:
            self._send_response(msg_id, result=future.result())
        elif isinstance(error, JsonRpcException):
            log.info("request %r answered with error %s: %s", msg_id, error.code, error.message)
            self.reply_error(msg_id, error)
        else:
            log.error("request %r failed: %s", msg_id, _short(error))
            self.reply_error(msg_id, JsonRpcInternalError(f"internal error: {type(error).__name__}"))

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        future = self._request_futures.get(msg_id)
        if future is None:
            log.debug("cancel for request %r, which is not running", msg_id)
            return
        future.cancel()   # an async handler is cancelled where it waits; its answer is RequestCancelled


def _cancelled(msg_id: Any) -> JsonRpcException:
    from pygls.exceptions import JsonRpcRequestCancelled

    return JsonRpcRequestCancelled(f"request {msg_id!r} was cancelled")


def _is_notification_type(kind: Any) -> bool:
    """lsprotocol's message class of a notification (no id field), e.g. DidCloseTextDocumentNotification."""
    import attrs

    return kind is not None and attrs.has(kind) and "id" not in attrs.fields_dict(kind)


def _valid_id(value: Any) -> bool:
    return isinstance(value, _ERROR_IDS) and not isinstance(value, bool)


def _short(e: BaseException) -> str:
    """An exception as one line: cattrs' validation errors name the fields at fault."""
    try:
        from cattrs.errors import ClassValidationError

        if isinstance(e, ClassValidationError):
            notes = _notes(e)
            if notes:
                return "; ".join(notes[:3])
    except ImportError:
        pass
    text = str(e).splitlines()[0] if str(e) else ""
    return f"{type(e).__name__}: {text[:200]}" if text else type(e).__name__


def _notes(e: BaseException) -> list:
    """The leaf errors of a cattrs ExceptionGroup, each with its field path."""
    out = []
    for sub in getattr(e, "exceptions", ()):
        deeper = _notes(sub)
        where = " ".join(str(n) for n in getattr(sub, "__notes__", ()))
        if deeper:
            out += deeper
        else:
            out.append(f"{type(sub).__name__}: {str(sub)[:120]}" + (f" ({where})" if where else ""))
    return out


# ====================================================================== strict structuring

def strict_converter(converter: Any) -> Any:
    """Refuse a wrong JSON type where the protocol says string, integer, boolean or number, instead of
    coercing it (cattrs' default: str(5), int(1.5), bool("no"))."""

    def strict(kind: type, accept: tuple):
        def hook(value: Any, target: type) -> Any:
            if isinstance(value, bool) and kind is not bool:
                raise TypeError(f"expected {kind.__name__}, got a boolean")
            if not isinstance(value, accept):
                raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
            # a subclass of the kind is an enum of the protocol (InlayHintKind, MarkupKind): by its value
            return value if target is kind else target(value)
        return hook

    for kind, accept in ((str, (str,)), (int, (int,)), (bool, (bool,)), (float, (int, float))):
        converter.register_structure_hook(kind, strict(kind, accept))
    return converter


def _generic_types() -> tuple:
    from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage

    return JsonRPCRequestMessage, JsonRPCNotification


_GENERIC_REQUEST, _GENERIC_NOTIFICATION = _generic_types()


# ====================================================================== logging

class OneLineLogs(logging.Filter):
    """A record with a traceback is logged as one line: its message and the exception's type and first
    line. The traceback is kept only at debug level (`--log-level debug`)."""

    def __init__(self, keep_tracebacks: bool) -> None:
        super().__init__()
        self.keep = keep_tracebacks

    def filter(self, record: logging.LogRecord) -> bool:
        if self.keep:
            return True
        message = record.getMessage()
        cut = message.find("Traceback (most recent call last)")   # pygls puts some in the message itself
        if not (record.exc_info or record.exc_text or record.stack_info or cut >= 0):
            return True
        exc = record.exc_info[1] if record.exc_info else None
        message = (message[:cut] if cut >= 0 else message).strip().replace("\n", " | ")
        if exc is not None:
            message += f" ({_short(exc)})"
        record.msg, record.args = message, ()
        record.exc_info = record.exc_text = record.stack_info = None
        return True
