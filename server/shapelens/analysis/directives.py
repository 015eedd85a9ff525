"""The `# shapelens: input=(...)` directive: where it is found (the analysis, interp/models.py), which names
it reads (units.py groups a statement with the constants its directive names), and the directives no model
took (issue #18: a directive ignored without a word left the user reading "? because the input is unknown").
"""
from __future__ import annotations

import ast
import re
from typing import Iterable, Optional

from .records import Diagnostic, Span

DIRECTIVE_RE = re.compile(r"#\s*shapelens:\s*input\s*=\s*(\(.*\)|\[.*\])")
# any spelling a user may mean as a directive, read or not: `input=1,3,32,32`, `input = (1, 3`
ANY_DIRECTIVE_RE = re.compile(r"#\s*shapelens:\s*input\s*=\s*(?P<text>[^\r\n]*)")

WHERE = ("right above the model's assignment (`model = …`), its `class` line, or the `def` of the function that "
         "builds it")


def unused_directives(text: str, models: list, diagnostics: list, taken: Iterable[int]) -> list[Diagnostic]:
    """An SL003 warning for each directive no model took: one whose text is not a shape, or one that sits
    where no model looks for it. The models' `directive_line` says which were taken. (str.find over the
    text, then the pattern on each line found: a loop over a 3,000-line file's lines, or a regex search over
    its text, cost 0.2-0.3 ms of each edit's ~1.6 ms; when every mention was taken, nothing is searched.)
    `taken`: the lines of the directives the models took (engine carries them over an edit)."""
    taken = set(taken)
    taken |= {d.span.line for d in diagnostics if d.code == "SL003"}   # a unit said why already
    if text.count("shapelens") == len(taken):   # every mention is a directive a model took (edits: 0.01 ms)
        return []
    out = []
    ln, at, pos = 1, 0, text.find("shapelens")
    while pos >= 0:
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        pos = text.find("shapelens", end)
        m = ANY_DIRECTIVE_RE.search(text, start, end)
        if m is None:
            continue
        ln += text.count("\n", at, start)
        at = start
        if ln in taken:
            continue
        span = Span(ln, m.start() - start + 1, ln, m.end() - start + 1)
        problem, related = _unreadable(m.group("text")), []
        if problem is None:
            problem, related = _unattached(ln, models)
        out.append(Diagnostic(span, "SL003", "warning", f"`# shapelens: input=` on line {ln} {problem}", related))
    return out


def _unreadable(text: str) -> Optional[str]:
    """Why a directive's text is not a shape, or None."""
    text = text.strip()
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        node = None
    if not DIRECTIVE_RE.search("# shapelens: input=" + text) or not isinstance(node, (ast.Tuple, ast.List)):
        return (f"is not read: `{text[:40]}` is not a shape; write a tuple such as `(1, 3, 224, 224)` "
                f"(several inputs: `((1, 5), (1, 7, 16))`)")
    return None


def _unattached(ln: int, models: list) -> tuple:
    """(why, related): the nearest model below, as related information (the quick fix moves the directive
    above it)."""
    below = [m for m in models if _first_line(m) > ln]
    near = min(below, key=_first_line, default=None)
    if near is not None and near.input_source and _adjacent(ln, near):
        return f"is not used: model \"{near.name}\" takes its input from {near.input_source}", []
    if near is None:
        return f"is attached to no model: it must sit {WHERE} (no model of this file was found below it)", []
    at = near.name_span or near.span
    return (f"is attached to no model: it must sit {WHERE} (the nearest model below is \"{near.name}\" on line "
            f"{at.line})", [(at, f"the nearest model below: \"{near.name}\"")])


def _first_line(m) -> int:
    return min(m.span.line, m.name_span.line) if m.name_span is not None else m.span.line


def _adjacent(ln: int, m) -> bool:
    lines = {m.span.line, m.name_span.line if m.name_span else m.span.line}
    return any(0 <= first - ln <= 1 for first in lines)
