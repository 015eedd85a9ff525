"""A raw JSON-RPC peer for the language server, for abuse tests: it writes any bytes the test wants
(malformed frames included), reads every frame the server writes, and measures the server.

Unlike pytest-lsp, nothing here validates or structures messages: a test sees exactly what the server
sent. Server→client requests get a harmless answer (workspace/configuration: `{}` per item, anything
else: null), as an editor would.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Optional

RESPONSE_BOUND = 20.0   # seconds: a response later than this counts as a hang (generous: CI machines are slow)


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message: Any) -> bytes:
    return frame(json.dumps(message).encode("utf-8"))


class RawServer:
    """`python -m shapelens` over pipes. `stderr_text()` is everything it wrote to stderr."""

    def __init__(self, env: Optional[dict] = None, args: tuple = ()) -> None:
        self._stderr = tempfile.TemporaryFile()
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([sys.executable, "-m", "shapelens", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._stderr, env=full_env, bufsize=0)
        self.responses: dict = {}
        self.unmatched: list = []          # responses whose id is null or unknown (parse errors)
        self.notifications: list = []
        self._cond = threading.Condition()
        self._ids = iter(range(1, 1 << 30))
        self.peak_kb = 0
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # ------------------------------------------------------------------ writing
    def send_bytes(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def send(self, message: Any) -> None:
        self.send_bytes(encode(message))

    def notify(self, method: str, params: Any = None) -> None:
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def request(self, method: str, params: Any = None, **extra: Any) -> int:
        """Send a request; returns its id (see wait)."""
        msg_id = next(self._ids)
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        message.update(extra)
        self.send(message)
        return msg_id

    def call(self, method: str, params: Any = None, bound: float = RESPONSE_BOUND) -> dict:
        return self.wait(self.request(method, params), bound)

    def close_stdin(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    # ------------------------------------------------------------------ reading
    def _read_loop(self) -> None:
        out = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    if not line.strip():
                        break
                    key, _, value = line.partition(b":")
                    if key.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                body = b""
                while len(body) < length:
                    part = out.read(length - len(body))
                    if not part:
                        return
                    body += part
                self._dispatch(json.loads(body))
        except (OSError, ValueError):
            return

    def _dispatch(self, message: dict) -> None:
        if "method" in message and "id" in message:    # a server→client request
            result: Any = None
            if message["method"] == "workspace/configuration":
                result = [{} for _ in message.get("params", {}).get("items", [])]
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            return
        with self._cond:
            if "method" in message:
                self.notifications.append(message)
            elif message.get("id") is None:
                self.unmatched.append(message)
            else:
                self.responses[message["id"]] = message
            self._cond.notify_all()

    def wait(self, msg_id: Any, bound: float = RESPONSE_BOUND) -> dict:
        """The response to msg_id; AssertionError when none comes within `bound` seconds (a hang)."""
        deadline = time.monotonic() + bound
        with self._cond:
            while msg_id not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no response to request {msg_id} within {bound} s")
                self._cond.wait(min(left, 0.2))
                self.sample_memory()
            return self.responses[msg_id]

    def wait_unmatched(self, count: int, bound: float = RESPONSE_BOUND) -> list:
        deadline = time.monotonic() + bound
        with self._cond:
            while len(self.unmatched) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.unmatched)} id-less responses, expected {count}")
                self._cond.wait(min(left, 0.2))
            return list(self.unmatched)

    # ------------------------------------------------------------------ lifecycle
    def initialize(self, capabilities: Optional[dict] = None) -> dict:
        reply = self.call("initialize", {"processId": os.getpid(), "rootUri": None,
                                         "capabilities": capabilities or {}})
        self.notify("initialized", {})
        return reply

    def exit_code(self, bound: float = RESPONSE_BOUND) -> Optional[int]:
        """The exit status once the process ends within `bound` seconds, else None."""
        try:
            return self.proc.wait(bound)
        except subprocess.TimeoutExpired:
            return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def sample_memory(self) -> int:
        """Peak resident memory (VmHWM, KB) of the server plus its live children, read from /proc; the
        largest sum seen so far is kept in peak_kb."""
        total = 0
        for pid in [self.proc.pid, *children_of(self.proc.pid)]:
            total += _status_kb(pid, "VmHWM")
        self.peak_kb = max(self.peak_kb, total)
        return total

    def stop(self) -> None:
        """End the process whatever its state (tests' cleanup)."""
        if self.alive():
            self.close_stdin()
            if self.exit_code(5) is None:
                self.proc.kill()
                self.proc.wait(5)


def children_of(pid: int) -> list:
    """Direct children of pid, from /proc (Linux); [] elsewhere."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    found += [int(p) for p in fh.read().split()]
            except OSError:
                continue
    except OSError:
        return []
    return found


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
