"""Runs the shapelens bundled with the VS Code extension: `python launch.py [shapelens arguments]`.

With no arguments it is the language server over stdio (vscode-languageclient adds `--stdio`), with
`--summary FILE` the model summary. The extension also puts libs/ on PYTHONPATH, so that the server's
analysis child, a new Python process, finds the same packages; libs/ goes first on sys.path here as well,
ahead of the environment's site-packages (whose pygls or libcst may be other versions).
"""
import os
import sys

LIBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libs")
if sys.path[:1] != [LIBS]:
    sys.path.insert(0, LIBS)

from shapelens.cli import entry  # noqa: E402

entry()
