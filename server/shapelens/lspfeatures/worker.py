"""The analysis child process of the language server, and the server's side of it.

The parser under the analysis core is native code: a pathological file (thousands of nested brackets)
can overflow its stack or eat all memory, and no `except` catches that. So the server never analyses in
its own process: a child runs `analyze_source` (in a thread with a large stack, under an address-space
limit) and answers pickled FileResults over a pipe. A crash or a timeout costs one analysis and a
restart, never the server. This module imports only the analysis core, not pygls, so the child starts
quickly.
"""
from __future__ import annotations

import asyncio
import logging
import os
import pickle
import sys
import threading
from typing import Any, Optional

from ..analysis.engine import Options, analyze_source
from ..analysis.records import FileResult

log = logging.getLogger("shapelens.lsp")

WORKER_TIMEOUT = 60.0           # one analysis; the child is restarted after this
WORKER_MEMORY = 4 << 30         # address-space limit of the child (bytes)
WORKER_STACK = 256 << 20        # stack of the child's analysis thread
CHILD = "from shapelens.lspfeatures.worker import worker_main; worker_main()"


def worker_main() -> None:
    """Entry of the child: read pickled (text, path, default_input) frames on stdin, answer
    ("ok", FileResult) or ("error", message) frames on stdout, until stdin closes."""
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
    inp = sys.stdin.buffer

    def loop() -> None:
        while True:
            head = inp.read(8)
            if len(head) < 8:
                return
            body = inp.read(int.from_bytes(head, "big"))
            try:
                text, path, default_input = pickle.loads(body)
                result = analyze_source(text, path, Options(default_torch_input=default_input))
                reply = pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # noqa: BLE001 - report anything (MemoryError too), keep serving
                reply = pickle.dumps(("error", f"{type(e).__name__}: {e}"))
            out.write(len(reply).to_bytes(8, "big") + reply)
            out.flush()

    threading.stack_size(WORKER_STACK)
    t = threading.Thread(target=loop, name="shapelens-analysis")
    t.start()
    t.join()


def analyze_in_process(text: str, path: str, default_input: Optional[tuple]) -> Optional[FileResult]:
    try:
        return analyze_source(text, path, Options(default_torch_input=default_input))
    except Exception:
        log.exception("analysis failed")
        return None


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

    async def _ensure(self) -> asyncio.subprocess.Process:
        if self.proc is not None and self.proc.returncode is None:
            return self.proc
        env = dict(os.environ)
        package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env)
        return self.proc

    async def _in_thread(self, text: str, path: str, default_input: Optional[tuple]) -> Optional[FileResult]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, analyze_in_process, text, path, default_input)

    async def analyze(self, text: str, path: str, default_input: Optional[tuple]) -> Optional[FileResult]:
        """The text's FileResult, or None when the analysis failed (crash, timeout; logged)."""
        if not self.isolate:
            return await self._in_thread(text, path, default_input)
        payload = pickle.dumps((text, path, default_input), protocol=pickle.HIGHEST_PROTOCOL)
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
                ok, value, retry = await self._roundtrip(proc, payload)
                if ok:
                    return value
                log.warning("analysis child failed (%s, exit code %s) on a %d-character text; %s", value,
                            proc.returncode, len(text), "retrying" if retry and not attempt else "giving up")
                await self.stop()
                self.restarts += 1
                if not retry:
                    break
            return None

    async def _roundtrip(self, proc: asyncio.subprocess.Process, payload: bytes) -> tuple[bool, Any, bool]:
        """(True, result-or-None, _) when the child answered; (False, why, retry?) when it failed."""
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(len(payload).to_bytes(8, "big") + payload)
            await proc.stdin.drain()
            head = await asyncio.wait_for(proc.stdout.readexactly(8), self.timeout)
            body = await asyncio.wait_for(proc.stdout.readexactly(int.from_bytes(head, "big")), self.timeout)
            status, value = pickle.loads(body)
        except asyncio.TimeoutError:
            return False, "timeout", False
        except (asyncio.IncompleteReadError, OSError, EOFError, pickle.UnpicklingError, ValueError,
                AssertionError) as e:
            return False, type(e).__name__, True
        if status != "ok":
            log.warning("analysis failed in the child: %s", value)
            return True, None, False
        return True, value, False

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
