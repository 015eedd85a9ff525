"""Compare shapelens' static analysis of the corpus with the real framework's truth (tests/corpus/truth.py).

    python tests/corpus/report.py [--json] [--root DIR] [-v] [FILES...]

The files are the corpus' model files (truth.corpus_files: those with the marked added block, flat in
torch/ and keras/ or in the package trees below torch/pkgs/); shapelens analyses each at its place on disk,
so its imports resolve to the verbatim modules beside it.

For each model bound in a corpus file's added block (`model = ...`, `model_b = ...`):

record   the shapelens ModelRecord named like the variable; else (fallback) one named like the real model's
         class; among several candidates the one on the assignment's line, else one inside the added block,
         else the first not yet taken by an earlier model of the file; else "not found".
rows     truth rows are, for torch, the modules that are leaves or hold parameters of their own (path, class,
         own params, output of the first call); for Keras, every layer of the model, flattened through nested
         models (InputLayer rows are optional: never "missing").  shapelens layer records are matched to them
         by torch path (record.name == the module path, else a unique dotted suffix of one) or Keras name,
         and the rest by order (first-execution order for torch) with the same class name.
per row  exact    output shape equal (a symbolic or None dim matches anything; "…" leading dims are not
                  compared) and trainable and non-trainable params equal;
         unknown  "?" somewhere (shape or params) and no concrete number wrong;
         wrong    some concrete number (a dim, a param count) differs from the truth;
         missing  a truth row with no shapelens record;  extra  a shapelens record with no truth row.
         A record that names a composite module (children, no own params) is compared with the whole
         subtree's params and the module's output ("composite" rows, not counted among the leaves); a
         module with its own params and children (ViT's class token) matches either its own or its
         subtree's count.  A second record naming an already matched module ("repeat", e.g. one ReLU called
         twice) is compared on params only.
totals   model total / trainable / non-trainable: exact (all equal), "?" (unknown, none wrong), wrong.
errors   error-severity diagnostics in a file whose models the framework builds and runs: false errors.

Summary figures are printed per framework.  The same module gives tests/test_corpus.py its checks.
"""
from __future__ import annotations

import difflib
import json
import os
import pathlib
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Optional

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
# SHAPELENS_SERVER: measure another copy of shapelens (e.g. a `git archive` of a past commit's server/).
_SERVER = os.environ.get("SHAPELENS_SERVER", str(ROOT / "server"))
if _SERVER not in sys.path:
    sys.path.insert(0, _SERVER)

import truth as truth_mod  # noqa: E402
try:
    from shapelens.analysis import symbolic  # noqa: E402
except ImportError:   # SHAPELENS_SERVER: a copy from before symbolic sizes
    symbolic = None

EXACT, UNKNOWN, WRONG, MISSING, EXTRA = "exact", "unknown", "wrong", "missing", "extra"


@dataclass
class Row:
    kind: str                 # "leaf" | "composite" | "repeat" | "extra" | "missing"
    status: str               # exact | unknown | wrong | missing | extra
    truth_name: Optional[str] = None
    truth_class: Optional[str] = None
    truth_shape: Optional[list] = None
    truth_params: Optional[tuple] = None      # (trainable, non_trainable)
    sl_line: Optional[int] = None
    sl_type: Optional[str] = None
    sl_name: Optional[str] = None
    sl_shape: Optional[str] = None
    sl_params: Optional[tuple] = None
    why: str = ""


@dataclass
class ModelReport:
    file: str
    framework: str
    name: str
    truth_class: str = ""
    record: Optional[str] = None           # the shapelens record's name, or None (not found)
    matched_by: str = ""                   # "name" | "class" | ""
    error: Optional[str] = None            # truth or analysis failure
    rows: list = field(default_factory=list)
    total_status: str = UNKNOWN            # exact | unknown | wrong | (not found)
    truth_total: Optional[tuple] = None    # (total, trainable, non_trainable)
    sl_total: Optional[tuple] = None
    false_errors: list = field(default_factory=list)   # "line: CODE message"
    unknown_reasons: list = field(default_factory=list)   # (line, layer type, why) of every "?" row

    def count(self, status: str, kinds=("leaf", "missing", "extra")) -> int:
        return sum(1 for r in self.rows if r.status == status and r.kind in kinds)

    @property
    def leaves(self) -> int:
        return sum(1 for r in self.rows if r.kind in ("leaf", "missing"))

    def violations(self) -> list:
        """Concrete numbers that differ from the truth, and false errors: what must never happen."""
        out = []
        if self.error and self.error.startswith("shapelens raised"):
            out.append(self.error)
        for r in self.rows:
            if r.status == WRONG:
                out.append(f"{r.kind} {r.truth_name or r.truth_class} (line {r.sl_line}, {r.sl_type}): {r.why}")
        if self.total_status == WRONG:
            out.append(f"total {self.sl_total} != truth {self.truth_total}")
        out += [f"false error {e}" for e in self.false_errors]
        return out


# ----------------------------------------------------------------------------------------------------------

# --no-input: the torch models' `# shapelens: input=` lines are removed before the analysis: shapelens runs
# each model on the input its first layer takes, symbolic, or on the one it infers (issue #17). Symbolic
# sizes are evaluated at the sizes the truth ran; an inferred input other than the truth's is reported.
NO_INPUT = os.environ.get("SHAPELENS_REPORT_NO_INPUT") == "1"
ENV: dict = {}   # symbol -> the truth's size, for the record being compared


def analyze(path: pathlib.Path):
    from shapelens.analysis import analyze_source
    text = path.read_text(encoding="utf-8")
    if NO_INPUT and truth_mod.framework_of(path) == "torch":
        lines = text.splitlines(keepends=True)
        mark = next((i for i, ln in enumerate(lines) if ln.strip() == truth_mod.MARK.strip()), len(lines))
        text = "".join(ln if i < mark or not truth_mod.DIRECTIVE_RE.search(ln) else "\n"
                       for i, ln in enumerate(lines))
    return analyze_source(text, str(path))


def symbol_env(rec, truth_input) -> dict:
    """The record's input symbols at the truth's input sizes, by position ((N, 1, H, W) vs (2, 1, 28, 28))."""
    if rec.input_shape is None or not isinstance(truth_input, list) or \
            not all(isinstance(x, int) for x in truth_input):
        return {}
    return {d: t for d, t in zip(rec.input_shape.dims, truth_input)
            if isinstance(d, str) and d.isidentifier() and len(rec.input_shape.dims) == len(truth_input)}


def inferred_other(rec, truth_input) -> str:
    """With --no-input: the input shapelens inferred, when it is not the one the truth ran."""
    if not NO_INPUT or not (rec.input_source or "").startswith("inference:") or not isinstance(truth_input, list):
        return ""
    dims = list(rec.input_shape.dims)
    if len(dims) == len(truth_input) and all(isinstance(d, str) or d == t for d, t in zip(dims, truth_input)):
        return ""
    return f"inferred {rec.input_shape.text()}, the truth ran {tuple(truth_input)}"


def _dims(shape) -> Optional[tuple]:
    return None if shape is None else tuple(shape.dims)


def compare_shape(sl_shape, truth_shape) -> tuple:
    """(status, why) for a shapelens Shape (or None) against a truth shape list (or None)."""
    if truth_shape is None:
        return EXACT, ""          # nothing to compare against (module not called, non-tensor output)
    if sl_shape is None:
        return UNKNOWN, "shape unknown"
    dims = list(sl_shape.dims)
    t = list(truth_shape)
    if getattr(sl_shape, "open_rank", False):
        if len(dims) > len(t):
            return WRONG, f"shape {sl_shape.text()} vs {tuple(t)}"
        t = t[len(t) - len(dims):]
        status = UNKNOWN
    else:
        if len(dims) != len(t):
            return WRONG, f"rank: shape {sl_shape.text()} vs {tuple(truth_shape)}"
        status = EXACT
    for d, td in zip(dims, t):
        if d is None or td is None:
            continue
        if isinstance(d, str):
            if d == "?":
                status = UNKNOWN
                continue
            # a symbolic size: its value with the input's symbols at the sizes the truth ran (issue #17);
            # a bare name the truth did not give (a directive's own symbol) matches any size
            v = symbolic.evaluate(d, ENV) if symbolic is not None else None
            if v is None:
                if hasattr(d, "poly"):
                    status = UNKNOWN
                continue
            if v != td:
                return WRONG, f"shape {sl_shape.text()} = {v} vs {tuple(truth_shape)}"
            continue
        if isinstance(d, bool) or not isinstance(d, int):
            status = UNKNOWN
            continue
        if d != td:
            return WRONG, f"shape {sl_shape.text()} vs {tuple(truth_shape)}"
    return status, ("" if status == EXACT else "shape has ?")


def compare_params(rec, options) -> tuple:
    """options: list of (trainable, non_trainable) the record may equal (own / subtree)."""
    t, n = rec.trainable, rec.non_trainable
    if t is None and n is None:
        return UNKNOWN, "params ?"
    for ot, on in options:
        if (t is None or t == ot) and (n is None or n == on):
            return (EXACT if t is not None and n is not None else UNKNOWN), ("" if t is not None and n is not None else "params ?")
    want = " or ".join(f"{a}+{b}" for a, b in options)
    return WRONG, f"params {t}+{n} (trainable+non-trainable) vs {want}"


def _combine(*results) -> tuple:
    st = EXACT
    whys = []
    for s, w in results:
        if s == WRONG:
            return WRONG, w
        if s == UNKNOWN:
            st = UNKNOWN
        if w:
            whys.append(w)
    return st, "; ".join(whys)


def _sl_row(rec) -> dict:
    return dict(sl_line=rec.span.line, sl_type=rec.type, sl_name=rec.name,
                sl_shape=rec.output_shape.text() if rec.output_shape is not None else None,
                sl_params=(rec.trainable, rec.non_trainable))


def compare_torch(mr: ModelReport, truth: dict, record) -> None:
    mods = truth["modules"]
    by_path = {m["path"]: m for m in mods}
    rows_truth = [m for m in mods if m["leaf"] or m["own_trainable"] + m["own_non_trainable"] > 0]
    is_row = {m["path"] for m in rows_truth}
    matched: dict = {}         # path -> Row
    unmatched_recs = []
    for rec in record.layers:
        path = rec.name if rec.name in by_path else None
        if path is None and rec.name:
            cands = [p for p in by_path if p.endswith("." + rec.name)]
            if len(cands) == 1:
                path = cands[0]
        if path is None:
            unmatched_recs.append(rec)
            continue
        m = by_path[path]
        own = (m["own_trainable"], m["own_non_trainable"])
        sub = (m["trainable"], m["non_trainable"])
        if path in matched:
            st, why = compare_params(rec, [own, sub])
            mr.rows.append(Row("repeat", st, path, m["class"], m["shape"], sub, why=why, **_sl_row(rec)))
            continue
        if path in is_row:
            opts = [own] if m["leaf"] else [own, sub]
            st, why = _combine(compare_shape(rec.output_shape, m["shape"]), compare_params(rec, opts))
            row = Row("leaf", st, path, m["class"], m["shape"], own if m["leaf"] else sub, why=why, **_sl_row(rec))
        else:
            st, why = _combine(compare_shape(rec.output_shape, m["shape"]), compare_params(rec, [sub]))
            row = Row("composite", st, path, m["class"], m["shape"], sub, why=why, **_sl_row(rec))
        matched[path] = row
        mr.rows.append(row)
    rest = [m for m in rows_truth if m["path"] not in matched]
    inf = float("inf")
    rest.sort(key=lambda m: (m["call"] if m["call"] is not None else inf))
    _align(mr, unmatched_recs, rest, lambda m: m["class"], lambda m: m["path"],
           lambda m: (m["own_trainable"], m["own_non_trainable"]), lambda m: m["shape"])


def _align(mr, recs, rest, cls, name, params, shape) -> None:
    sm = difflib.SequenceMatcher(None, [r.type for r in recs], [cls(m) for m in rest], autojunk=False)
    used_r, used_t = set(), set()
    for a, b, size in sm.get_matching_blocks():
        for k in range(size):
            rec, m = recs[a + k], rest[b + k]
            used_r.add(a + k)
            used_t.add(b + k)
            st, why = _combine(compare_shape(rec.output_shape, shape(m)), compare_params(rec, [params(m)]))
            mr.rows.append(Row("leaf", st, name(m), cls(m), shape(m), params(m), why=why, **_sl_row(rec)))
    for i, rec in enumerate(recs):
        if i not in used_r:
            mr.rows.append(Row("extra", EXTRA, why="no truth counterpart", **_sl_row(rec)))
    for j, m in enumerate(rest):
        if j not in used_t and not (cls(m) == "InputLayer"):
            mr.rows.append(Row("missing", MISSING, name(m), cls(m), shape(m), params(m), why="no shapelens record"))


def compare_keras(mr: ModelReport, truth: dict, record) -> None:
    rows = truth["layers"]
    by_name = {r["name"]: r for r in rows}
    matched = set()
    unmatched = []
    for rec in record.layers:
        r = by_name.get(rec.name) if rec.name else None
        if r is None or r["name"] in matched:
            unmatched.append(rec)
            continue
        matched.add(r["name"])
        p = (r["trainable"], r["non_trainable"])
        st, why = _combine(compare_shape(rec.output_shape, r["shape"]), compare_params(rec, [p]))
        mr.rows.append(Row("composite" if r["nested_model"] else "leaf", st, r["name"], r["class"], r["shape"], p,
                           why=why, **_sl_row(rec)))
    rest = [r for r in rows if r["name"] not in matched]
    _align(mr, unmatched, rest, lambda r: r["class"], lambda r: r["name"],
           lambda r: (r["trainable"], r["non_trainable"]), lambda r: r["shape"])


def _all_missing(mr: ModelReport, t: dict, framework: str) -> None:
    """A model shapelens does not find: every truth row is missing."""
    if framework == "torch":
        for m in t["modules"]:
            if m["leaf"] or m["own_trainable"] + m["own_non_trainable"] > 0:
                mr.rows.append(Row("missing", MISSING, m["path"], m["class"], m["shape"],
                                   (m["own_trainable"], m["own_non_trainable"]), why="model not found"))
    else:
        for r in t["layers"]:
            if r["class"] != "InputLayer":
                mr.rows.append(Row("missing", MISSING, r["name"], r["class"], r["shape"],
                                   (r["trainable"], r["non_trainable"]), why="model not found"))


def compare_totals(mr: ModelReport, truth: dict, record) -> None:
    mr.truth_total = (truth["total"], truth["trainable"], truth["non_trainable"])
    sl = (record.total_params, record.trainable_params, record.non_trainable_params)
    mr.sl_total = sl
    if any(s is not None and s != t for s, t in zip(sl, mr.truth_total)):
        mr.total_status = WRONG
    elif sl[0] is None:
        mr.total_status = UNKNOWN
    else:
        mr.total_status = EXACT


def find_record(result, added, truth_class: str, taken: set, mark_line: int):
    """The record for one added model: named like the variable, else like the model's class; among several,
    the one on the assignment's line, else one in the added block, else the first not yet taken."""
    def best(cands):
        cands = [m for m in cands if id(m) not in taken]
        for pick in (lambda m: m.span.line == added.line or (m.name_span is not None and m.name_span.line == added.line),
                     lambda m: m.span.line > mark_line,
                     lambda m: True):
            for m in cands:
                if pick(m):
                    return m
        return None
    m = best([m for m in result.models if m.name == added.name])
    if m is not None:
        return m, "name"
    m = best([m for m in result.models if m.name == truth_class])
    if m is not None:
        return m, "class"
    return None, ""


def compare_file(path: pathlib.Path, truth: dict) -> list:
    """ModelReports for every model of one corpus file."""
    path = pathlib.Path(path).resolve()
    cf = truth_mod.read_corpus_file(path)
    try:
        result = analyze(path)
        crash = None
    except Exception as e:  # noqa: BLE001 - SHAPELENS_STRICT=1 turns internal errors into exceptions
        result = None
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {pathlib.Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        crash = f"shapelens raised {type(e).__name__}: {str(e)[:200]}{where}"
    file_ok = not truth.get("error") and all(
        not m.get("error") and not m.get("forward_error") for m in truth.get("models", {}).values())
    errors = []
    if result is not None and file_ok:
        errors = [f"{d.span.line}: {d.code} {d.message[:160]}" for d in result.diagnostics if d.severity == "error"]
    out = []
    taken: set = set()
    mark_line = cf.text.splitlines().index(truth_mod.MARK) + 1
    for added in cf.models:
        t = truth.get("models", {}).get(added.name)
        mr = ModelReport(str(path), cf.framework, added.name)
        out.append(mr)
        if truth.get("error") or t is None or t.get("error"):
            mr.error = "truth: " + str(truth.get("error") or (t or {}).get("error") or "no truth")[-300:]
            continue
        mr.truth_class = t["class"]
        mr.false_errors = list(errors)
        if crash:
            mr.error = crash
            continue
        rec, how = find_record(result, added, t["class"], taken, mark_line)
        if rec is None:
            mr.total_status = "not found"
            mr.truth_total = (t["total"], t["trainable"], t["non_trainable"])
            _all_missing(mr, t, cf.framework)
            continue
        taken.add(id(rec))
        mr.record, mr.matched_by = rec.name, how
        mr.unknown_reasons = sorted({(r.span.line, r.type, why) for r in rec.layers + rec.blocks
                                     for why in r.unknown_reasons} |
                                    {(s.span.line, "statement", why) for s in rec.steps for why in s.unknown_reasons})
        other = inferred_other(rec, t.get("input"))
        if other:
            mr.error = other
            continue
        ENV.clear()
        ENV.update(symbol_env(rec, t.get("input")))
        if cf.framework == "torch":
            compare_torch(mr, t, rec)
        else:
            compare_keras(mr, t, rec)
        compare_totals(mr, t, rec)
    return out


# ----------------------------------------------------------------------------------------------------------

def summarize(reports: list) -> dict:
    out = {}
    for fw in ("torch", "keras"):
        rs = [r for r in reports if r.framework == fw]
        if not rs:
            continue
        found = [r for r in rs if r.record is not None]
        s = {
            "files": len({r.file for r in rs}),
            "models": len(rs),
            "not_found": sum(1 for r in rs if r.record is None and not r.error),
            "errors": sum(1 for r in rs if r.error),
            "rows": sum(r.leaves for r in rs),
            "exact": sum(r.count(EXACT) for r in rs),
            "unknown": sum(r.count(UNKNOWN) for r in rs),
            "wrong": sum(r.count(WRONG) for r in rs),
            "missing": sum(r.count(MISSING) for r in rs),
            "missing_in_not_found": sum(r.count(MISSING) for r in rs if r.record is None),
            "extra": sum(r.count(EXTRA) for r in rs),
            "composite_wrong": sum(r.count(WRONG, ("composite", "repeat")) for r in found),
            "totals_exact": sum(1 for r in found if r.total_status == EXACT),
            "totals_unknown": sum(1 for r in found if r.total_status == UNKNOWN),
            "totals_wrong": sum(1 for r in found if r.total_status == WRONG),
            "false_errors": sum(len(set(r.false_errors)) for r in {r.file: r for r in rs}.values()),
            "models_with_violations": sum(1 for r in rs if r.violations()),
        }
        s["exact_pct"] = round(100.0 * s["exact"] / s["rows"], 1) if s["rows"] else 0.0
        out[fw] = s
    return out


def print_reports(reports: list, verbose: bool = False, out=sys.stdout) -> None:
    cur = None
    for r in reports:
        if r.file != cur:
            cur = r.file
            print(f"\n{truth_mod.rel_name(pathlib.Path(r.file))}", file=out)
        if r.error:
            print(f"  {r.name:<18} ERROR {r.error}", file=out)
            continue
        if r.record is None:
            print(f"  {r.name:<18} {r.truth_class:<22} not found ({r.leaves} rows; truth total "
                  f"{r.truth_total[0]:,})", file=out)
            continue
        tt = r.truth_total
        st = r.sl_total
        print(f"  {r.name:<18} {r.truth_class:<22} by {r.matched_by:<5} rows {r.leaves:>4}: "
              f"exact {r.count(EXACT):>4} ? {r.count(UNKNOWN):>4} wrong {r.count(WRONG):>3} "
              f"missing {r.count(MISSING):>4} extra {r.count(EXTRA):>3} | total {r.total_status:<7} "
              f"truth {tt[0]:,} shapelens {('?' if st[0] is None else f'{st[0]:,}')}"
              + (f" | composite/repeat wrong {r.count(WRONG, ('composite', 'repeat'))}"
                 if r.count(WRONG, ("composite", "repeat")) else ""), file=out)
        if verbose:
            for v in r.violations():
                print(f"      ! {v}", file=out)
    if verbose:
        seen = set()
        for r in reports:
            if r.false_errors and r.file not in seen:
                seen.add(r.file)


def print_summary(summary: dict, out=sys.stdout) -> None:
    for fw, s in summary.items():
        print(f"\n{fw}: {s['files']} files, {s['models']} models "
              f"({s['not_found']} not found, {s['errors']} with a truth/analysis error)", file=out)
        print(f"  leaf rows exact {s['exact']}/{s['rows']} ({s['exact_pct']}%), unknown {s['unknown']}, "
              f"wrong {s['wrong']}, missing {s['missing']} ({s['missing_in_not_found']} of them in models not "
              f"found), extra {s['extra']}; composite/repeat rows wrong {s['composite_wrong']}", file=out)
        print(f"  totals exact {s['totals_exact']}, ? {s['totals_unknown']}, wrong {s['totals_wrong']}; "
              f"false errors {s['false_errors']}; models with a wrong number or false error "
              f"{s['models_with_violations']}", file=out)


def compare_files(files, truths: dict, jobs: int = 2) -> dict:
    """{path: [ModelReport]} for every file, analysed in `jobs` processes (spawned: the caller may hold torch's
    threads), largest files first.  A package model file makes shapelens read the modules it imports, so one
    file can take tens of seconds."""
    files = [pathlib.Path(f).resolve() for f in files]
    if jobs <= 1 or len(files) <= 1:
        return {f: compare_file(f, truths[f]) for f in files}
    import concurrent.futures
    import multiprocessing
    order = sorted(files, key=lambda f: -f.stat().st_size)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as ex:
        futures = {f: ex.submit(compare_file, f, truths[f]) for f in order}
        return {f: futures[f].result() for f in files}


def run(files, jobs: int = 2) -> list:
    truths = truth_mod.load_truth(files, jobs=jobs)
    by_file = compare_files(files, {pathlib.Path(f).resolve(): t for f, t in truths.items()}, jobs)
    return [r for f in files for r in by_file[pathlib.Path(f).resolve()]]


def main(argv=None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--root", help="corpus directory with torch/ and keras/ (default tests/corpus)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every wrong number and false error")
    ap.add_argument("--jobs", type=int, default=2, help="processes for the truth and for the analysis")
    ap.add_argument("--no-input", action="store_true",
                    help="remove the torch models' input directives first (issue #17: symbolic / inferred inputs)")
    a = ap.parse_args(argv)
    if a.no_input:
        global NO_INPUT
        NO_INPUT = True
        os.environ["SHAPELENS_REPORT_NO_INPUT"] = "1"   # the analysis workers read it
    os.environ.setdefault("SHAPELENS_STRICT", "1")
    files = [pathlib.Path(f).resolve() for f in a.files] or truth_mod.corpus_files(a.root)
    t0 = time.time()
    reports = run(files, a.jobs)
    summary = summarize(reports)
    if a.json:
        json.dump({"summary": summary, "models": [asdict(r) for r in reports]}, sys.stdout, indent=1, default=str)
        print()
    else:
        print_reports(reports, a.verbose)
        print_summary(summary)
        print(f"\n{time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
