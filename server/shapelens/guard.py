"""Analysis under limits, for the CLI: each file is analysed in a forked child process with an
address-space limit (RLIMIT_AS) and a time limit, as the language server's analysis child is.

Why a child: the parser under the analysis is native code, and no `except` catches a C stack overflow
or the kernel's out-of-memory killer; a file that exceeds a limit must cost only its own result, never
the run. The child is forked before the analysis core is imported in this process, so the parent stays
small (its memory does not grow with the files), and the analysis of many files reuses one child per
job slot (the fork and the imports are paid once per slot, not per file). A child that exceeds the time
limit is killed and replaced; one that dies (out of memory, a crash) is replaced too.

The run's memory ceiling is therefore fixed: this process (a few tens of MB) plus `workers` children of
at most `memory_mb` each, whatever the files hold.

`analyse_text` is the analysis as both the CLI and the language server report it: the core's records
plus an SL001 for each statement that is not analysed (syntax error, over a limit), with the findings
of one layer about several axes merged into one.
"""
from __future__ import annotations

import os
import pickle
import re
import selectors
import time
from collections import OrderedDict, deque
from typing import Any, Callable, NamedTuple, Optional

DEFAULT_MEMORY_MB = 1024      # address space of one analysing process; a 3,000-line file needs ~0.3 GB
DEFAULT_SECONDS = 30.0        # one file; a 3,000-line file takes ~1 s


class Outcome(NamedTuple):
    """What became of one job: status "ok" (value: the work's result), "time", "memory", "crash" or
    "error" (value: a message saying what happened, naming the limit)."""

    status: str
    value: Any


def limit_message(status: str, detail: str, memory_mb: int, seconds: float) -> str:
    """The SL001 message for a file that tripped a limit (or crashed)."""
    if status == "time":
        return f"not analysed: the analysis took longer than the time limit of {seconds:g} s (--timeout)"
    if status == "memory":
        return (f"not analysed: the analysis ran out of memory (the limit is {memory_mb:,} MiB per file, "
                f"--memory-limit){': ' + detail if detail else ''}")
    if status == "crash":
        return f"not analysed: the analysis process crashed ({detail})"
    return f"not analysed: {detail}"


# ====================================================================== the analysis as reported

def analyse_text(text: str, path: str, default_input: Optional[tuple] = None, parallel: bool = False):
    """The file's FileResult as shapelens reports it (see module doc)."""
    from .analysis.engine import Options, analyze_source, filter_ignored
    from .analysis.misses import no_models_reason
    from .analysis.source import split, split_lines, statement_diagnostics, unparsed_chunks

    result = analyze_source(text, path, Options(default_torch_input=default_input, parallel=parallel))
    _, chunks = split(text, path)   # the split the analysis just made (remembered by path)
    found = statement_diagnostics(unparsed_chunks(path, chunks))
    if found:
        result.diagnostics = sorted(result.diagnostics + filter_ignored(found, split_lines(text)),
                                    key=lambda d: (d.span.line, d.span.col))
    result.diagnostics = merge_axes(result.diagnostics)
    if not result.models:
        result.no_models_reason = no_models_reason(split_lines(text), path, result.diagnostics)
    return result


# "Conv2d: with stride 2 the last 1 input position on H is never read by any window"
_AXIS_FINDING = re.compile(r"^(?P<name>[^:]+): (?P<cond>with .*?) the last (?P<n>\d+) input positions? on "
                           r"(?P<axis>\S+) (?:is|are) never read(?P<tail>.*)$", re.S)
MERGED_CODES = {"SL201"}   # one finding per axis in the catalogs, one per layer as reported


def merge_axes(diagnostics: list) -> list:
    """One SL201 per layer naming every axis ("… the last 1 input position on H and the last 1 on W
    are never read …") instead of one per axis: the catalogs check each axis on its own."""
    groups: dict = {}
    for d in diagnostics:
        if d.code in MERGED_CODES:
            groups.setdefault((d.code, d.span), []).append(d)
    if not any(len(g) > 1 for g in groups.values()):
        return diagnostics
    out = []
    for d in diagnostics:
        group = groups.get((d.code, d.span))
        if group is None or len(group) == 1:
            out.append(d)
        elif d is group[0]:
            out.append(_merged_once(group))
    return out


# The core returns the very same Diagnostic objects for the statements an edit did not touch, and the
# language server's child sends a record it sent before as a number (lspfeatures/worker.py): the same
# findings must give the same merged object, not a new one per analysis.
_MERGED: "OrderedDict[tuple, tuple]" = OrderedDict()
_MERGED_KEPT = 4096


def _merged_once(group: list):
    key = tuple(map(id, group))
    hit = _MERGED.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], group)):
        _MERGED.move_to_end(key)
        return hit[1]
    merged = _merged(group)
    _MERGED[key] = (tuple(group), merged)   # holds the originals: their ids stay theirs
    if len(_MERGED) > _MERGED_KEPT:
        _MERGED.popitem(last=False)
    return merged


def _merged(group: list):
    """"Conv2d: with stride 2 the last 1 input position on H and the last 1 on W are never read …";
    axes with their own kernel or stride keep theirs ("…, with kernel 2 and stride 3 the last 1 on W …")."""
    from dataclasses import replace

    parts = [_AXIS_FINDING.match(d.message) for d in group]
    first = parts[0]
    if not all(parts) or any(p.group("name") != first.group("name") or p.group("tail") != first.group("tail")
                             for p in parts):
        return replace(group[0], message="; ".join(d.message for d in group))
    plural = "s" if first.group("n") != "1" else ""
    clauses = [f"{first.group('cond')} the last {first.group('n')} input position{plural} on {first.group('axis')}"]
    for p in parts[1:]:
        cond = "" if p.group("cond") == first.group("cond") else p.group("cond") + " "
        clauses.append(f"{cond}the last {p.group('n')} on {p.group('axis')}")
    joined = " and ".join(clauses) if all(p.group("cond") == first.group("cond") for p in parts) else ", ".join(clauses)
    return replace(group[0], message=f"{first.group('name')}: {joined} are never read{first.group('tail')}")


# ====================================================================== running jobs in limited children

def can_fork() -> bool:
    try:
        import resource  # noqa: F401 - Unix only
    except ImportError:
        return False
    return hasattr(os, "fork")


def run_guarded(jobs: list, work: Callable[[Any], Any], workers: int = 1,
                memory_mb: int = DEFAULT_MEMORY_MB, seconds: float = DEFAULT_SECONDS) -> list:
    """[Outcome] of work(job) for each job, in order, each computed in a child process limited to
    memory_mb of address space and `seconds` of wall time; up to `workers` children at once. Without
    fork (Windows), the jobs run here, unguarded."""
    if not jobs:
        return []
    if not can_fork():
        return [_here(work, job) for job in jobs]
    return _Pool(jobs, work, max(1, min(workers, len(jobs))), memory_mb, seconds).run()


def _here(work: Callable, job: Any) -> Outcome:
    try:
        return Outcome("ok", work(job))
    except MemoryError:
        return Outcome("memory", "")
    except Exception as e:  # noqa: BLE001 - one file's failure is its own
        return Outcome("error", f"{type(e).__name__}: {e}")


class _Child:
    """One forked worker: jobs (indexes into the pool's list) go down `job_w`, replies come up `out_r`."""

    def __init__(self, pool: "_Pool", others: list) -> None:
        job_r, job_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            try:
                os.close(job_w)
                os.close(out_r)
                for fd in others:   # the other children's pipes: their end-of-file must not wait for us
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                _child_main(job_r, out_w, pool.jobs, pool.work, pool.memory_mb)
            finally:
                os._exit(70)
        os.close(job_r)
        os.close(out_w)
        self.pid, self.job_w, self.out_r = pid, job_w, out_r
        self.job: Optional[int] = None
        self.started = 0.0
        self.retiring = False   # answered after a MemoryError and exits: no more jobs for it

    def send(self, index: int) -> None:
        self.job = index
        self.started = time.monotonic()
        _write_frame(self.job_w, pickle.dumps(index))

    def close(self) -> None:
        for fd in (self.job_w, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass


class _Pool:
    def __init__(self, jobs: list, work: Callable, workers: int, memory_mb: int, seconds: float) -> None:
        self.jobs, self.work, self.workers = jobs, work, workers
        self.memory_mb, self.seconds = memory_mb, seconds
        self.results: list = [None] * len(jobs)
        self.todo = deque(range(len(jobs)))
        self.children: list = []
        self.selector = selectors.DefaultSelector()

    def run(self) -> list:
        try:
            for _ in range(self.workers):
                self._spawn()
            while self.todo or any(c.job is not None for c in self.children):
                self._hand_out()
                self._wait()
                self._kill_late()
        finally:
            self._stop_all()
            self.selector.close()
        return self.results

    def _spawn(self) -> None:
        import sys

        for stream in (sys.stdout, sys.stderr):   # nothing buffered here may be written twice
            try:
                stream.flush()
            except Exception:
                pass
        others = [fd for c in self.children for fd in (c.job_w, c.out_r)]
        child = _Child(self, others)
        self.children.append(child)
        self.selector.register(child.out_r, selectors.EVENT_READ, child)

    def _hand_out(self) -> None:
        for child in self.children:
            if child.job is None and not child.retiring and self.todo:
                try:
                    child.send(self.todo.popleft())
                except OSError:   # died while idle: its end-of-file is read next
                    self.todo.appendleft(child.job)
                    child.job = None

    def _wait(self) -> None:
        busy = [c.started + self.seconds for c in self.children if c.job is not None]
        # nobody busy: only retiring children are left, and their end-of-file is what comes next
        timeout = max(0.0, min(busy) - time.monotonic()) if busy else None
        for key, _ in self.selector.select(timeout):
            child = key.data
            reply = _read_frame(child.out_r)
            if reply is None:
                self._lost(child)
                continue
            status, value = pickle.loads(reply)
            if child.job is not None:
                self.results[child.job] = Outcome(status, value)
            child.job = None
            child.retiring = status == "memory"

    def _kill_late(self) -> None:
        now = time.monotonic()
        for child in list(self.children):
            if child.job is not None and now - child.started > self.seconds:
                self.results[child.job] = Outcome("time", "")
                child.job = None
                _kill(child.pid)
                self._lost(child)

    def _lost(self, child: _Child) -> None:
        """A child ended (killed by us, crashed, out of memory, or after a MemoryError reply): its job,
        if any, gets the reason; a new child takes its place while there is work."""
        status = _reap(child.pid)
        if child.job is not None:
            self.results[child.job] = _death(status)
            child.job = None
        self.selector.unregister(child.out_r)
        child.close()
        self.children.remove(child)
        if self.todo and len(self.children) < self.workers:
            self._spawn()

    def _stop_all(self) -> None:
        """Every job is answered (or the run was interrupted): the children are idle or no longer
        needed. Killed rather than asked to exit: waiting for them to notice would cost the run a few
        milliseconds each (a tenth of a one-file --check)."""
        for child in self.children:
            child.close()
            _kill(child.pid)
        for child in self.children:
            _reap(child.pid)
        self.children = []


def _death(status: Optional[int]) -> Outcome:
    """The outcome of a job whose child died with this wait status."""
    import signal

    if status is None:
        return Outcome("crash", "it disappeared")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        if sig in (signal.SIGKILL, signal.SIGABRT):   # the kernel's OOM killer; a native allocation failure
            return Outcome("memory", f"the process ended with {name}")
        return Outcome("crash", name)
    return Outcome("crash", f"exit status {os.WEXITSTATUS(status)}")


def _kill(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _reap(pid: int, block: bool = True) -> Optional[int]:
    """The child's wait status; None when it is still running (block=False) or not ours any more."""
    try:
        done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return -1
    return status if done else None


def _child_main(job_r: int, out_w: int, jobs: list, work: Callable, memory_mb: int) -> None:
    """The worker's loop: read a job index, answer (status, value), until the job pipe closes. After a
    MemoryError the process may be short of memory anywhere: it answers and exits."""
    import faulthandler
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl-C ends the children with the parent
    if faulthandler.is_enabled():   # (pytest's): a crash is reported by the parent, not as a stack dump
        faulthandler.disable()
    _limit_memory(memory_mb)
    os.dup2(2, 1)   # a stray print() must not reach the parent's stdout (the report is built there)
    while True:
        frame = _read_frame(job_r)
        if frame is None:
            os._exit(0)
        job = jobs[pickle.loads(frame)]
        try:
            reply = pickle.dumps(("ok", work(job)), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            reply = None
        except Exception as e:  # noqa: BLE001 - reported as this file's failure
            reply = pickle.dumps(("error", f"{type(e).__name__}: {e}"))
        if reply is None:
            _write_frame(out_w, pickle.dumps(("memory", "")))
            os._exit(1)
        _write_frame(out_w, reply)


def _limit_memory(memory_mb: int) -> None:
    try:
        import resource

        limit = memory_mb << 20
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):   # not on this platform: the time limit still holds
        pass


def _write_frame(fd: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(fd, view):]


def _read_frame(fd: int) -> Optional[bytes]:
    head = _read_exact(fd, 8)
    if head is None:
        return None
    return _read_exact(fd, int.from_bytes(head, "big"))


def _read_exact(fd: int, n: int) -> Optional[bytes]:
    parts, got = [], 0
    while got < n:
        try:
            part = os.read(fd, min(n - got, 1 << 20))
        except OSError:
            return None
        if not part:
            return None
        parts.append(part)
        got += len(part)
    return b"".join(parts)
