"""fast_positions (ranges from `ast`) must give exactly PositionProvider's ranges.

For every chunk of: the samples, the test files and their inline sources, benchmarks/generate.py's
large files, hand-written tricky snippets and hypothesis-generated statements: every range
fast_positions returns equals PositionProvider's, and every node of the kinds the analysis asks
`Chunk.span` about (expressions, arguments, elements, statements, defs and classes) is there, unless
it is inside a part the fast path leaves out (f-strings, imports, del, global, match...).
"""
from __future__ import annotations

import ast
import glob
import os
import sys
import textwrap

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider

from shapelens.analysis import positions
from shapelens.analysis.positions import fast_positions
from shapelens.analysis.source import chunks_of

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

# What the analysis passes to Chunk.span (found by recording type(node) over the test suite, and by
# reading the callers: calls, names, targets, conditions, arguments, elements, statements, defs).
ASKED = (cst.BaseExpression, cst.Arg, cst.Element, cst.SimpleStatementLine, cst.BaseSmallStatement,
         cst.BaseCompoundStatement)
# Left out by design: inside these, nothing is mapped (the caller falls back to PositionProvider).
OPAQUE = (cst.FormattedString, cst.ConcatenatedString, cst.Import, cst.ImportFrom, cst.Del, cst.Global,
          cst.Nonlocal, cst.Match)
# Derived from their parts: missing when a part is in parentheses with a line break in them.
DERIVED = (cst.Arg, cst.Element, cst.BooleanOperation, cst.GeneratorExp, cst.Tuple, cst.Slice, cst.Name)


def _inside_opaque(module: cst.Module) -> set:
    found: set = set()

    class Visitor(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, OPAQUE):
                found.update(_descendants(node))
                return False
            return True

    module.visit(Visitor())
    return found


def _descendants(node: cst.CSTNode) -> list:
    out, stack = [], list(node.children)
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.children)
    return out


def _same_from_split(chunk, own) -> None:
    """Positions from the ast statements of the split's parse (the whole file, or the region an edit
    split again: other line numbers) must be the ones from parsing the chunk's own text."""
    parsed = chunk.__dict__.get("ast_statements")
    if parsed is None:
        return
    from_split = fast_positions(chunk.module, chunk.text, *parsed)
    assert (from_split is None) == (own is None), chunk.text
    if own is not None:
        assert from_split == own, chunk.text


def test_positions_from_an_edited_regions_parse():
    """After an edit only a region is split again; its chunks' ast statements are numbered from the
    region's first line."""
    import generate
    from shapelens.analysis.source import split

    text = generate.large_file(21, 600)
    path = "/tmp/shapelens-test-positions/edited.py"
    split(text, path)
    lines = text.split("\n")
    regional = 0
    for row in range(40, len(lines), 97):
        lines[row] = lines[row] + "  # edited"
        _, chunks = split("\n".join(lines), path)
        for chunk in chunks:
            if "ast_statements" in chunk.__dict__ and chunk.module is not None:
                regional += chunk.ast_statements[1] != chunk.start_line + 1   # numbered from the region
                _same_from_split(chunk, fast_positions(chunk.module, chunk.text))
                del chunk.ast_statements
    assert regional >= 5


def check_text(text: str, complete: bool = True) -> list:
    """Compare with PositionProvider for every chunk; returns, per parsed chunk, whether the fast path
    answered. `complete`: also every asked-about node must be there (else only the nodes paired
    directly with an ast node, not the ones derived from parts)."""
    answered = []
    for chunk in chunks_of(text):
        if chunk.module is None:
            continue
        expected = MetadataWrapper(chunk.module, unsafe_skip_copy=True).resolve(PositionProvider)
        got = fast_positions(chunk.module, chunk.text)
        answered.append(got is not None)
        _same_from_split(chunk, got)
        if got is None:
            continue
        wrong = [(type(n).__name__, chunk.module.code_for_node(n), r, expected.get(n))
                 for n, r in got.items() if expected.get(n) != r]
        assert not wrong, (chunk.text, wrong[:5])
        missing = [n for n in expected if isinstance(n, ASKED) and n not in got
                   and (complete or not isinstance(n, DERIVED))]
        if missing:
            skipped = _inside_opaque(chunk.module)
            missing = [(type(n).__name__, chunk.module.code_for_node(n)) for n in missing if n not in skipped]
        assert not missing, (chunk.text, missing[:5])
    return answered


# ------------------------------------------------------------------------------------- corpora

def _sample_paths() -> list:
    return sorted(glob.glob(os.path.join(ROOT, "samples", "**", "*.py"), recursive=True))


def _test_paths() -> list:
    return sorted(glob.glob(os.path.join(ROOT, "tests", "*.py")))


def _inline_sources() -> list:
    """Multi-line string constants of the test files that parse as Python (their sample sources)."""
    found = []
    for path in _test_paths():
        if os.path.basename(path) == "test_positions.py":  # its snippets: test_snippets
            continue
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value \
                    and "(" in node.value:
                text = textwrap.dedent(node.value)
                try:
                    ast.parse(text)
                except (SyntaxError, ValueError):
                    continue
                found.append(text)
    return found


@pytest.mark.parametrize("path", _sample_paths() + _test_paths(), ids=lambda p: os.path.relpath(p, ROOT))
def test_files(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    answered = check_text(text)
    assert all(answered), "the fast path must answer for every statement of these files"


def test_inline_sources_of_the_tests():
    sources = _inline_sources()
    assert len(sources) > 20
    for text in sources:
        check_text(text)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_large_files(seed):
    import generate
    answered = check_text(generate.large_file(seed))
    assert len(answered) > 500 and all(answered)


def test_model_statements_use_the_fast_path():
    path = os.path.join(ROOT, "samples", "keras_cifar_cnn_build.py")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    models = [c for c in chunks_of(text) if c.module is not None and "Sequential" in c.text]
    assert models
    for chunk in models:
        got = fast_positions(chunk.module, chunk.text)
        assert isinstance(got, dict) and any(isinstance(n, cst.Call) for n in got)


# ------------------------------------------------------------------------------- tricky snippets

SNIPPETS = {
    "crlf": "x = f(a,\r\n  b)\r\ny = g(1)\r\n",
    "cr": "x = f(a,\r  b)\ry = g(1)\r",
    "tabs": "if x:\n\ty = f(1,\tg(2))\n\tz = [\th(3)\t]\n",
    "non_ascii": "é = '€€€'; x = f('ü', g(é))\ns = '''ä\nöö''' + h(1)\n# ß\n变量 = 变(1)[2]\n",
    "non_ascii_2": "x = '日本語テキスト' + f('ñ', 'ø') + g(ü=1)\ny = '😀' + h('😀😀', k(2))\n",
    "non_ascii_cr": "é = f(1)\rx = g('ü', h(2))\ry = [ 'ß' , k(3) ]\r",
    "non_ascii_crlf": "é = f(1)\r\nx = g('ü',\r\n  h(2))\r\n",
    "non_ascii_multiline": "x = f('é',\n      'ü', g(\n  'ß', h(1)))\n",
    "backslash": "x = f(1) + \\\n    g(2)\ndef \\\n  h(): pass\nclass \\\n K: pass\n",
    "fstrings": "x = f'{g(1)}' + h(f'{a!r:>{w}}')\ny = f'''{\nk(2)}'''\nz = 'a' f'{b(1)}' 'c'\n",
    "decorators": "@a.b(c(1))\n@d\nclass C(Base(2), metaclass=M):\n"
                  "    @property\n    def p(self) -> int:\n        return q(3)\n",
    "async": "async def f():\n    async with a(1) as b:\n        async for x in g(2):\n            await h(3)\n",
    "same_calls_in_ifexp": "x = f(1) if f(1) else f(2)\ny = f(x) if f(x) else f(x)\n",
    "lambdas": "y = (lambda a=f(3): f(a))(f(4))\nl = lambda x, *y, z=1, **w: (x, g(y))\n",
    "parens": "x = ((f))((1))\ny = ( ( g(2) ) )\nz = (\n  h(3)\n)\nw = [ (1, 2) , ( 3 , ) ]\n",
    "multiline_parens": "x = (\n    1,\n    2,\n)\nf((\n a, b))\ny = ( # c\n 1, 2 # d\n )\nz = (a\n or b)\n",
    "subscripts": "a[1, 2]; a[*b]; a[1:2, ::3]; a[(1, 2)]; a[1,]; a[ : ]; a[1: ]\nb[f(1):g(2)]\n",
    "nested_calls_one_line": "x = f(g(h(1), h(2)), g(h(3)))(4)(5)\n",
    "class_bases_with_calls": "class A(f(1), g(2)(3), *bases, k=h(4), **kw):\n    x = f(5)\n",
    "walrus": "if (n := len(a)) > 10: print(n)\n",
    "star": "f(*a, *b, c=1, **d)\nx = [*a, *(b)]\nprint(*(x), sep='')\n*a, b = c\n",
    "comprehensions": "x = [f(i) for i in g(1) if h(i) for j in k(i)]\ny = {a: b for a, b in c}\n"
                      "z = sum(f(x) for x in y)\nw = sum((f(x) for x in y), start=0)\nv = f( x for x in y )\n",
    "try": "try:\n    f(1)\nexcept (A, B) as e:\n    g(e)\nexcept C:\n    pass\nelse:\n    h()\nfinally:\n    k()\n",
    "left_out": "def f():\n    global a\n    del b[g(1)]\n    from . import c\n    import d.e as f\n    return c(1)\n"
                "match x:\n    case [a, b]:\n        f(a)\n    case _:\n        pass\n",
    "strings": "x = f(\"\"\"\na\n\"\"\", 'b' 'c', \"d\"\n  \"e\")\n"
               "y = f(b'abc', rb'\\d', u'x', 1j, 1.5e3, 0x1F, 1_000, ...)\n",
    "bool_ops": "x = a and b and c or d and (e or f)\ny = not a or (b and not c)\n",
    "assignments": "x: int = f(1)\ny: List[int]\nz += g(2)\na = b = f(1)\n(c) = (d) = g(2)\n[e, f] = h(3)\n",
    "semicolons": "a = 1; b = f(2); c = g(3);\nif a:\n    f(1);\nelse:\n    g(2); h(3);\n"
                  "def f():\n    with a:\n        g(1);\n\n    # c\nclass K:\n    x = 1;\n"
                  "try:\n    f(1)\nexcept E:\n    g(2);\nwhile a: f(1);\nfor x in y:\n    g(x) ;\n"
                  "match x:\n    case 1:\n        f(1);\n    case _:\n        g(2)\n",
    "params": "def f(a, /, b: int = g(1), *args: str, c=h(2), **kw) -> k(3): pass\n",
    "empty_tuples": "x = ()\ny = ( )\nz = 1,\n",
    "suites": "if x: f(1); g(2)\nwhile y: h()\nclass A: pass\nif a:\n    f(1)\nelif b:\n    g(2)\nelse:\n    h(3)\n",
    "comment_at_end": "def f():\n    x = 1\n    # trailing\n\n",
    "encoding_cookie": "# -*- coding: latin-1 -*-\nx = f('é')\n",
    "yield": "def g():\n    x = yield f(1)\n    yield from g(2)\n    y = (yield)\n",
    "dicts": "d = {**a, 'b': f(1), **(c), (k): (v)}\n",
    "unary": "x = -1 + +2 - ~f(3) ** -g(4)\n",
    "comparisons": "x = a < f(1) <= (b) is not c not in d\n",
    "with": "with (open(a) as b, open(c) as d):\n    pass\nwith (a, b):\n    pass\nwith a(1) as (b, c):\n    pass\n",
    "decorator_expressions": "@(lambda f: f)\ndef g(): pass\n@x[0].y\nclass K: pass\n",
    "raise_assert": "raise E(1) from f(2)\nassert g(3), h(4)\n",
    "keywords_spaced": "f(a = (1), b =g(2) , * c, ** d)\n",
    "except_star": "try:\n    f(1)\nexcept* A as e:\n    g(e)\n",
    "torch_forward": "class Net(nn.Module):\n    def forward(self, x):\n        x = self.pool(F.relu(self.conv1(x)))\n"
                     "        x = x.view(-1, 16 * 5 * 5)\n        return x[:, :10]\n",
}


# line breaks inside the parentheses of an argument / element, a backslash between `def` and the name
INCOMPLETE = ("multiline_parens", "backslash")


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets(name):
    answered = check_text(SNIPPETS[name], complete=name not in INCOMPLETE)
    assert all(answered)


@pytest.mark.parametrize("text", ["\x0cx = f(1)\n", "x = f(1)\n\x0c\ny = 2\n", "\ufeffx = f(1)\n"])
def test_odd_whitespace_is_left_to_position_provider(text):
    module = cst.parse_module(text) if not text.startswith("\ufeff") else cst.parse_module(text[1:])
    assert fast_positions(module, text) is None


def test_text_that_ast_rejects_returns_none():
    module = cst.parse_module("x = f(1)\n")
    assert fast_positions(module, "x = f(1\n") is None


def test_a_tree_that_does_not_match_the_text_returns_none():
    assert fast_positions(cst.parse_module("x = f(1)\n"), "x = g(1)\n") is None
    assert fast_positions(cst.parse_module("x = f(1)\n"), "x = f(1, 2)\n") is None
    assert fast_positions(cst.parse_module("x = 1\n"), "x = 1\ny = 2\n") is None


# ------------------------------------------------------------------------ the walk's source order

def test_children_are_walked_in_source_order():
    """positions._children lists a node's children in the order libcst's `children` (source order) does."""
    texts = [SNIPPETS[k] for k in sorted(SNIPPETS)]
    for path in _sample_paths()[:6]:
        with open(path, encoding="utf-8") as f:
            texts.append(f.read())
    for text in texts:
        for chunk in chunks_of(text):
            if chunk.module is None:
                continue
            stack = [chunk.module]
            while stack:
                node = stack.pop()
                mine = positions._children(node)
                theirs = [c for c in node.children if any(c is m for m in mine)]
                assert len(theirs) == len(mine) and all(a is b for a, b in zip(mine, theirs)), type(node)
                stack.extend(mine)


# -------------------------------------------------------------------------------- hypothesis

NAMES = ["a", "b", "f", "g", "self", "é", "变量", "_x1", "None", "True", "nn"]
STRINGS = ["'s'", '"ü"', "'😀'", "b'x'", "'''m\nl'''", "'a' 'b'", "f'{a}'", "f'{g(1)}x'", "r'\\d'"]
SPACE = st.sampled_from(["", "", " ", "  ", "\n    ", " # c\n  ", "\t"])


def _atoms() -> st.SearchStrategy:
    return st.one_of(st.sampled_from(NAMES), st.integers(0, 10 ** 6).map(str),
                     st.sampled_from(["1.5", "2j", "0x1F", "1_000", "..."]), st.sampled_from(STRINGS))


def _paren(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(lambda x, s1, s2: f"({s1}{x}{s2})", inner, SPACE, SPACE)


def _composites(inner: st.SearchStrategy) -> st.SearchStrategy:
    p = _paren(inner)
    operand = st.one_of(p, st.sampled_from(NAMES))
    arg = st.one_of(inner, st.builds(lambda k, s, v: f"{k}{s}={s}{v}", st.sampled_from(["k", "ü", "dim"]),
                                      st.sampled_from(["", " "]), inner),
                    inner.map(lambda x: f"*{x}"), inner.map(lambda x: f"**{x}"))
    args = st.lists(arg, max_size=3).map(lambda xs: ", ".join(xs))
    return st.one_of(
        st.builds(lambda f, s, a: f"{f}({s}{a}{s})", operand, SPACE, args),
        st.builds(lambda v, n: f"{v}.{n}", operand, st.sampled_from(["attr", "é", "view"])),
        st.builds(lambda v, i: f"{v}[{i}]", operand,
                  st.one_of(inner, st.sampled_from([":", "1:", ":, 0", "::2", "a, b", "*a", "1,", " : "]))),
        st.builds(lambda x, o, y: f"{x} {o} {y}", operand,
                  st.sampled_from(["+", "*", "**", "and", "or", "<", "is not"]), operand),
        st.builds(lambda o, x: f"{o}{x}", st.sampled_from(["-", "not ", "~"]), operand),
        st.builds(lambda x, y, z: f"{x} if {y} else {z}", operand, operand, operand),
        st.builds(lambda x: f"lambda q, *r: {x}", operand),
        st.lists(inner, max_size=3).map(lambda xs: "(" + ", ".join(xs) + ("," if len(xs) == 1 else "") + ")"),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(inner, inner), max_size=2).map(lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
        st.builds(lambda x, y: f"[{x} for q in {y} if q]", inner, operand),
        st.builds(lambda x, y: f"f({x} for q in {y})", inner, operand),
        p,
    )


EXPRESSIONS = st.recursive(_atoms(), _composites, max_leaves=10)


def _statement(expr: str, kind: int, indent: str) -> str:
    body = f"{indent}    return {expr}\n"
    forms = [
        f"{indent}x = {expr}\n",
        f"{indent}{expr}\n",
        f"{indent}x.y += {expr}\n",
        f"{indent}x: int = {expr}\n",
        f"{indent}@dec({expr})\n{indent}def h(a, b={expr}) -> None:\n{body}",
        f"{indent}class K(Base, {expr}):\n{indent}    z = 1\n",
        f"{indent}for q in {expr}:\n{indent}    pass\n",
        f"{indent}if {expr}:\n{indent}    pass\n{indent}elif b:\n{indent}    pass\n",
        f"{indent}with {expr} as w:\n{indent}    pass\n",
        f"{indent}x = {expr}; y = 2\n",
    ]
    return forms[kind % len(forms)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.lists(st.tuples(EXPRESSIONS, st.integers(0, 9)), min_size=1, max_size=3),
       st.sampled_from(["", "# é ü\n", "import os\n"]), st.booleans())
def test_generated_statements(statements, prefix, nested):
    indent = "    " if nested else ""
    text = prefix + ("def outer():\n" if nested else "") + "".join(
        _statement(expr, kind, indent) for expr, kind in statements)
    try:
        ast.parse(text)
        cst.parse_module(text)
    except (SyntaxError, ValueError, cst.ParserSyntaxError):
        return  # a combination Python does not accept: nothing to compare
    assert all(check_text(text, complete=False))
