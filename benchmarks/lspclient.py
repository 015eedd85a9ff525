"""A minimal synchronous LSP client over stdio for benchmarks (and the incremental test).

Deliberately small: a reader thread parses `Content-Length` frames; responses are handed to the
waiting caller, server→client requests get a harmless answer (workspace/configuration: `{}` per item,
everything else: null), notifications are kept (latest diagnostics per URI, log messages). Timing from
the caller's side is therefore the server's latency plus the pipe, with no event loop in between.
"""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any, Optional


class ServerError(RuntimeError):
    pass


class LspClient:
    def __init__(self, command: Optional[list] = None, env: Optional[dict] = None,
                 stderr_path: Optional[str] = None, cwd: Optional[str] = None) -> None:
        command = command or [sys.executable, "-m", "shapelens"]
        self._stderr = open(stderr_path or os.devnull, "wb")
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     env=env, cwd=cwd, bufsize=0)
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._cond = threading.Condition()
        self._responses: dict = {}
        self.diagnostics: dict = {}          # uri -> (monotonic time, params)
        self.notifications: list = []        # (method, params) other than diagnostics
        self.server_requests: list = []      # methods the server asked us
        self.closed = False
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.capabilities: dict = {}

    # ------------------------------------------------------------------ wire
    def _send(self, message: dict) -> None:
        body = json.dumps(message, separators=(",", ":")).encode("utf-8")
        data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        with self._write_lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def _read_exact(self, n: int) -> bytes:
        chunks = []
        while n:
            b = self.proc.stdout.read(n)
            if not b:
                raise EOFError
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def _read_loop(self) -> None:
        out = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        raise EOFError
                    line = line.strip()
                    if not line:
                        break
                    key, _, value = line.partition(b":")
                    if key.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                self._dispatch(json.loads(self._read_exact(length)))
        except (EOFError, ValueError, OSError):
            pass
        finally:
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def _dispatch(self, msg: dict) -> None:
        method = msg.get("method")
        if method is None:  # a response
            with self._cond:
                self._responses[msg.get("id")] = msg
                self._cond.notify_all()
            return
        if "id" in msg:  # a request from the server
            self.server_requests.append(method)
            result: Any = None
            if method == "workspace/configuration":
                result = [{} for _ in (msg.get("params") or {}).get("items", [])]
            try:
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
            except OSError:
                pass
            return
        if method == "textDocument/publishDiagnostics":
            with self._cond:
                self.diagnostics[msg["params"]["uri"]] = (time.perf_counter(), msg["params"])
                self._cond.notify_all()
        else:
            self.notifications.append((method, msg.get("params")))

    # ------------------------------------------------------------------ API
    def request_async(self, method: str, params: Any) -> int:
        rid = next(self._ids)
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid

    def wait(self, rid: int, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while rid not in self._responses:
                left = deadline - time.monotonic()
                if self.closed:
                    raise ServerError(f"server exited (code {self.proc.poll()}) before answering request {rid}")
                if left <= 0:
                    raise TimeoutError(f"no answer to request {rid} in {timeout} s")
                self._cond.wait(left)
            msg = self._responses.pop(rid)
        if "error" in msg:
            raise ServerError(msg["error"])
        return msg.get("result")

    def request(self, method: str, params: Any, timeout: float = 60.0) -> Any:
        return self.wait(self.request_async(method, params), timeout)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def initialize(self, root_uri: Optional[str] = None, timeout: float = 60.0,
                   pull_diagnostics: bool = False) -> dict:
        """pull_diagnostics: also advertise textDocument/diagnostic (as neovim 0.11 and VS Code do), so
        the server answers diagnostic requests instead of publishing."""
        caps = {
            "general": {"positionEncodings": ["utf-16"]},
            "workspace": {"configuration": True, "inlayHint": {"refreshSupport": True},
                          "diagnostics": {"refreshSupport": False}},
            "textDocument": {
                "synchronization": {"dynamicRegistration": False, "didSave": True},
                "inlayHint": {"dynamicRegistration": False,
                              "resolveSupport": {"properties": ["tooltip"]}},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "publishDiagnostics": {"relatedInformation": True},
            },
        }
        if pull_diagnostics:
            caps["textDocument"]["diagnostic"] = {"dynamicRegistration": False, "relatedDocumentSupport": False}
        result = self.request("initialize", {"processId": os.getpid(), "rootUri": root_uri,
                                             "capabilities": caps, "clientInfo": {"name": "shapelens-bench"}},
                              timeout)
        self.capabilities = (result or {}).get("capabilities", {})
        self.notify("initialized", {})
        return result

    @property
    def sync_kind(self) -> int:
        sync = self.capabilities.get("textDocumentSync", 1)
        if isinstance(sync, dict):
            return int(sync.get("change", 1) or 1)
        return int(sync)

    # document helpers
    def did_open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                              "version": version, "text": text}})

    def did_change(self, uri: str, version: int, new_text: str, change: Optional[tuple] = None) -> None:
        """change = (line, col, end_line, end_col, text) for incremental sync; the full new text is
        sent instead when the server asked for full sync (or no range is given)."""
        if change is not None and self.sync_kind == 2:
            l0, c0, l1, c1, t = change
            changes = [{"range": {"start": {"line": l0, "character": c0}, "end": {"line": l1, "character": c1}},
                        "text": t}]
        else:
            changes = [{"text": new_text}]
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": changes})

    def did_close(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def inlay_hints_async(self, uri: str, start_line: int, end_line: int) -> int:
        return self.request_async("textDocument/inlayHint", {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": start_line, "character": 0}, "end": {"line": end_line, "character": 0}}})

    def inlay_hints(self, uri: str, start_line: int, end_line: int, timeout: float = 60.0) -> list:
        return self.wait(self.inlay_hints_async(uri, start_line, end_line), timeout) or []

    def diagnostics_async(self, uri: str, previous_result_id: Optional[str] = None) -> int:
        """textDocument/diagnostic (pull); wait() gives the report."""
        params: dict = {"textDocument": {"uri": uri}}
        if previous_result_id is not None:
            params["previousResultId"] = previous_result_id
        return self.request_async("textDocument/diagnostic", params)

    def rss_kb(self) -> dict:
        """Resident memory of the server process and of its descendants (e.g. an analysis worker), in kB
        (Linux /proc): {"VmRSS", "VmHWM"} of the server itself, "tree_VmRSS" summed over the tree,
        "processes" counted."""
        own = _status_kb(self.proc.pid)
        pids = [self.proc.pid] + _descendants(self.proc.pid)
        total = sum(_status_kb(p).get("VmRSS", 0) for p in pids)
        return dict(own, tree_VmRSS=total, processes=len(pids))

    def shutdown(self, timeout: float = 10.0) -> None:
        try:
            if not self.closed:
                self.request("shutdown", None, timeout)
                self.notify("exit", None)
            self.proc.wait(timeout)
        except Exception:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        finally:
            self._stderr.close()

    def __enter__(self) -> "LspClient":
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()


def _status_kb(pid: int) -> dict:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def _descendants(pid: int) -> list:
    children: dict = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for e in entries:
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(e))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def hint_key(h: dict) -> tuple:
    """A comparable form of one inlay hint (label parts joined; tooltip/data left out: they may be
    filled lazily by resolve and carry ids)."""
    label = h.get("label")
    if isinstance(label, list):
        label = "".join(p.get("value", "") for p in label)
    pos = h.get("position", {})
    return (pos.get("line"), pos.get("character"), label, h.get("kind"), h.get("paddingLeft"), h.get("paddingRight"))


def path_to_uri(path: str) -> str:
    from pathlib import Path

    return Path(os.path.abspath(path)).as_uri()
