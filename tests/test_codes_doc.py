"""docs/codes.md is generated from analysis/codes.py (scripts/gen_codes_doc.py) and must stay in sync; every
code the server can report must be documented there."""
from __future__ import annotations

import glob
import importlib.util
import os
import re
import subprocess
import sys

from conftest import ROOT
from shapelens.analysis.codes import CODES
from shapelens.fixes import FIX_DESCRIPTIONS, FIXERS, LINE_FIXERS

SCRIPT = os.path.join(ROOT, "scripts", "gen_codes_doc.py")
DOC = os.path.join(ROOT, "docs", "codes.md")


def _generator():
    spec = importlib.util.spec_from_file_location("gen_codes_doc", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_doc_equals_generated_text():
    with open(DOC, encoding="utf-8") as fh:
        committed = fh.read()
    assert committed == _generator().render(), "docs/codes.md is stale: run python scripts/gen_codes_doc.py"


def test_check_mode_of_the_script_agrees():
    proc = subprocess.run([sys.executable, SCRIPT, "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_check_mode_fails_on_a_stale_doc(tmp_path, monkeypatch):
    gen = _generator()
    stale = tmp_path / "codes.md"
    stale.write_text(gen.render().replace("## SL106", "## SL106 (old)"), encoding="utf-8")
    monkeypatch.setattr(gen, "DOC_PATH", str(stale))
    assert gen.main(["--check"]) == 1


def test_every_code_used_in_the_server_is_documented():
    used = {}
    for path in glob.glob(os.path.join(ROOT, "server", "shapelens", "**", "*.py"), recursive=True):
        with open(path, encoding="utf-8") as fh:
            for code in re.findall(r"\"(SL\d{3})\"", fh.read()):
                used.setdefault(code, os.path.relpath(path, ROOT))
    assert {"SL105", "SL106"} <= set(used)  # the scan really finds the codes the rules report
    missing = {code: where for code, where in used.items() if code not in CODES}
    assert not missing, f"codes used but not in analysis/codes.py: {missing}"


def test_one_section_per_code_with_the_lowercase_anchor():
    with open(DOC, encoding="utf-8") as fh:
        text = fh.read()
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == sorted(CODES)  # "## SL106" is the heading, so GitHub's anchor is #sl106
    for code in CODES:
        assert f"[{code}](#{code.lower()})" in text
    section = text.split("## SL102\n", 1)[1].split("\n## ", 1)[0]
    assert CODES["SL102"].why in section and CODES["SL102"].example in section and "padding=1" in section


def test_fixable_codes_are_real_codes():
    assert set(FIXERS) | set(LINE_FIXERS) <= set(CODES)
    assert set(FIX_DESCRIPTIONS) == set(FIXERS) | set(LINE_FIXERS)
