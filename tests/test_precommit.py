"""The pre-commit hook run for real: pre-commit (from PyPI, the `test` extra) on a sample repository made here,
with a file that has a shape error (SL106) and a clean one.

- `.pre-commit-hooks.yaml` has the fields pre-commit needs, and its entry is the installed console script;
- `pre-commit try-repo <this repository> shapelens --files ...` fails on the bug file and passes on the clean one
  (pre-commit builds its own environment: `pip install` of this repository, as a user of the hook gets);
- the README's two snippets, taken from README.md itself, do the same: `repo: local` with `language: system`
  (shapelens installed where the commit is made), and `repo: <path of a clone>` with a commit as `rev`.

pre-commit's environments go to one temporary PRE_COMMIT_HOME for the whole session (built once, ~20 s).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
pytest.importorskip("pre_commit")

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 900

BUG = textwrap.dedent('''\
    """A CNN whose Linear expects 512 features where 32 * 5 * 5 = 800 arrive."""
    import torch.nn as nn

    # shapelens: input=(1, 1, 28, 28)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(512, 256),
        nn.ReLU(),
        nn.Linear(256, 10),
    )
''')
CLEAN = BUG.replace("nn.Linear(512, 256)", "nn.Linear(800, 256)").replace(
    "expects 512 features where 32 * 5 * 5 = 800 arrive", "with the right Linear")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture()
def sample_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "sample"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "config", "user.name", "test")
    git(repo, "config", "commit.gpgsign", "false")
    (repo / "bug.py").write_text(BUG, encoding="utf-8")
    (repo / "clean.py").write_text(CLEAN, encoding="utf-8")
    git(repo, "add", "bug.py", "clean.py")
    git(repo, "commit", "-q", "-m", "sample")
    return repo


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env["PRE_COMMIT_HOME"] = str(home)
    env["SKIP"] = ""
    # The interpreter running the tests, and its scripts (shapelens), first on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # The analysis must not turn internal errors into exceptions here: the hook runs as a user's would.
    env.pop("SHAPELENS_STRICT", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)


def assert_fails_on_bug(result: subprocess.CompletedProcess) -> None:
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert re.search(r"^shapelens\.+Failed$", out, re.M), out
    assert "- exit code: 1" in out, out
    assert re.search(r"bug\.py:12:\d+: SL106 Linear expects in_features=512, but 800 features arrive", out), out


def assert_passes(result: subprocess.CompletedProcess) -> None:
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"^shapelens\.+Passed$", out, re.M), out


def readme_snippets() -> list[dict]:
    """The YAML blocks of README.md's pre-commit section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## pre-commit\n", 1)[1].split("\n## ", 1)[0]
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]


def test_hook_definition_has_what_pre_commit_needs():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["shapelens"]
    hook = hooks[0]
    assert hook["name"] == "shapelens"
    assert hook["entry"] == "shapelens --check"
    assert hook["language"] == "python"
    assert hook["types"] == ["python"]
    assert hook["require_serial"] is True
    # The entry's command is the console script the package installs.
    assert re.search(r'^shapelens = "shapelens\.cli:entry"$', (ROOT / "pyproject.toml").read_text(), re.M)


def test_try_repo_fails_on_a_shape_error_and_passes_on_a_clean_file(sample_repo, pre_commit_home):
    assert_fails_on_bug(pre_commit(sample_repo, pre_commit_home, "try-repo", str(ROOT), "shapelens",
                                   "--files", "bug.py"))
    assert_passes(pre_commit(sample_repo, pre_commit_home, "try-repo", str(ROOT), "shapelens",
                             "--files", "clean.py"))


def test_readme_local_system_snippet_works_as_written(sample_repo, pre_commit_home):
    if shutil.which("shapelens", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("the shapelens command is not installed beside this Python (pip install -e .)")
    local = readme_snippets()[0]
    assert local["repos"][0]["repo"] == "local"
    (sample_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(local), encoding="utf-8")
    assert_fails_on_bug(pre_commit(sample_repo, pre_commit_home, "run", "--files", "bug.py"))
    assert_passes(pre_commit(sample_repo, pre_commit_home, "run", "--files", "clean.py"))
    # A commit of the bug is refused by the installed git hook; the clean file's commit goes through.
    pre_commit(sample_repo, pre_commit_home, "install")
    (sample_repo / "bug.py").write_text(BUG + "\n", encoding="utf-8")
    git(sample_repo, "add", "bug.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env.update(PRE_COMMIT_HOME=str(pre_commit_home),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    env.pop("SHAPELENS_STRICT", None)
    refused = subprocess.run(["git", "commit", "-q", "-m", "bug"], cwd=sample_repo, env=env, capture_output=True,
                             text=True, timeout=TIMEOUT)
    assert refused.returncode != 0 and "SL106" in refused.stdout + refused.stderr, refused.stdout + refused.stderr


def test_readme_clone_snippet_works_with_a_clone_and_a_commit(sample_repo, pre_commit_home, tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("this checkout is not a git repository")
    snippet = readme_snippets()[1]
    entry = snippet["repos"][0]
    assert entry["repo"] == "/path/to/shapelens" and entry["rev"] == "<commit>", entry
    # A clone of this repository at its current commit (uncommitted work in a developer's tree is not in it).
    clone = tmp_path / "shapelens-clone"
    git(tmp_path, "clone", "-q", str(ROOT), str(clone))
    entry["repo"] = str(clone)
    entry["rev"] = git(clone, "rev-parse", "HEAD")
    (sample_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(snippet), encoding="utf-8")
    assert_fails_on_bug(pre_commit(sample_repo, pre_commit_home, "run", "--files", "bug.py"))
    assert_passes(pre_commit(sample_repo, pre_commit_home, "run", "--files", "clean.py"))
