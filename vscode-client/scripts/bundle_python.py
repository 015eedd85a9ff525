"""Builds vscode-client/bundled/: the shapelens server and every Python package it needs, for one platform
target of the .vsix, so that the extension runs with any CPython 3.9-3.14 with no `pip install`.

    python3 scripts/bundle_python.py --target linux-x64

- Wheels come from the package index through pip (`pip download --only-binary=:all: --platform ...
  --python-version X`), once per supported Python version, with the versions pinned in
  python/requirements.txt; a package pip brings that is not pinned there fails the build.
- Pure-Python wheels are unpacked once. A wheel with native code (libcst) is unpacked from its first
  Python version; from the other versions only the extension modules are added, after checking that every
  other file is the same: their names carry the version (native.cpython-311-x86_64-linux-gnu.so,
  native.cp311-win_amd64.pyd), so one libcst/ folder serves every version.
- Test folders of the packages, byte-code caches and pyyaml's optional C extension are left out.
- shapelens itself is copied from server/shapelens; python/launch.py goes beside libs/;
  bundled/manifest.json says what is inside (the extension logs it and compares versions with it).

Downloaded wheels are kept in a cache (SHAPELENS_WHEEL_CACHE, default ~/.cache/shapelens-wheels).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent          # vscode-client/
REPO = HERE.parent
REQUIREMENTS = HERE / "python" / "requirements.txt"
LAUNCHER = HERE / "python" / "launch.py"
SERVER_SOURCE = REPO / "server" / "shapelens"

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]

# VS Code target -> pip platform tags (pip wants every tag it may accept listed; newest first).
# No darwin-x64: libcst 1.9 publishes no wheels for Intel Macs (1.8.6 has them up to Python 3.13 only).
TARGETS = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "linux-arm64": ["manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
    "darwin-arm64": ["macosx_11_0_arm64"],
    "win32-x64": ["win_amd64"],
}

# Packages whose compiled extension is optional and unused by shapelens: only their Python files go in.
PURE_ONLY = {"pyyaml"}
EXTENSION_RE = re.compile(r"\.(so|pyd)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            if not version:
                sys.exit(f"{REQUIREMENTS}: {line!r} is not pinned with ==")
            pins[canonical(name)] = version.strip()
    return pins


def wheel_name(path: Path) -> tuple[str, str, str]:
    """(canonical name, version, tag part) of a wheel file name."""
    parts = path.name[:-4].split("-")
    return canonical(parts[0]), parts[1], "-".join(parts[-3:])


def download(target: str, python: str, cache: Path) -> list[Path]:
    dest = cache / target / python
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
           "--only-binary=:all:", "--implementation", "cp", "--python-version", python,
           "-r", str(REQUIREMENTS), "-d", str(dest)]
    for tag in TARGETS[target]:
        cmd += ["--platform", tag]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"pip download for {target} / Python {python} failed:\n{result.stdout}{result.stderr}")
    return sorted(dest.glob("*.whl"))


def keep(member: str) -> bool:
    parts = member.split("/")
    if "__pycache__" in parts or member.endswith((".pyc", ".pyo")):
        return False
    # The packages' own test suites (libcst/tests, libcst/*/tests): never imported at run time.
    if any(p in ("tests", "test") for p in parts[1:-1]):
        return False
    return not member.endswith("/")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle(target: str, out: Path, cache: Path) -> dict:
    pins = read_pins()
    libs = out / "libs"
    if out.exists():
        shutil.rmtree(out)
    libs.mkdir(parents=True)

    written: dict[str, str] = {}     # member path -> sha256 of what was written
    first_tag: dict[str, str] = {}   # package -> tag of the wheel its Python files came from
    extensions: dict[str, list[str]] = {}
    # pip download is mostly waiting on the index: the Python versions are fetched side by side.
    with ThreadPoolExecutor(max_workers=len(PYTHONS)) as pool:
        downloaded = list(pool.map(lambda python: download(target, python, cache), PYTHONS))
    for python, wheels in zip(PYTHONS, downloaded):
        for wheel in wheels:
            name, version, tag = wheel_name(wheel)
            if pins.get(name) != version:
                sys.exit(f"{wheel.name}: {name} {version} is not pinned in {REQUIREMENTS.name} "
                         f"(pinned: {pins.get(name)}); add it there")
            with zipfile.ZipFile(wheel) as z:
                for member in z.namelist():
                    if not keep(member):
                        continue
                    is_ext = bool(EXTENSION_RE.search(member))
                    if is_ext and name in PURE_ONLY:
                        continue
                    if not is_ext and name in first_tag and first_tag[name] != tag and ".dist-info/" in member:
                        continue  # WHEEL and RECORD name the tag: the first wheel's stay
                    data = z.read(member)
                    digest = sha(data)
                    if member in written:
                        if written[member] != digest:
                            sys.exit(f"{member} differs between the wheels of {name} for {first_tag[name]} "
                                     f"and {tag}: one folder cannot serve both")
                        continue
                    path = libs / member
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                    info = z.getinfo(member)
                    if (info.external_attr >> 16) & 0o111:
                        path.chmod(0o755)
                    written[member] = digest
                    if is_ext:
                        extensions.setdefault(name, []).append(member)
            first_tag.setdefault(name, tag)
    missing = sorted(set(pins) - set(first_tag))
    if missing:
        sys.exit(f"pinned in {REQUIREMENTS.name} but never downloaded (not needed?): {', '.join(missing)}")
    native = [n for n in extensions]
    for name in native:
        if len(extensions[name]) < len(PYTHONS):
            sys.exit(f"{name}: extension modules for only {len(extensions[name])} of {len(PYTHONS)} Python "
                     f"versions: {extensions[name]}")

    # shapelens itself, from this checkout.
    shutil.copytree(SERVER_SOURCE, libs / "shapelens",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo"))
    shutil.copy2(LAUNCHER, out / "launch.py")
    init = (SERVER_SOURCE / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", init)
    if not m:
        sys.exit(f"no __version__ in {SERVER_SOURCE / '__init__.py'}")
    manifest = {
        "shapelens": m.group(1),
        "target": target,
        "pythons": PYTHONS,
        "packages": dict(sorted(pins.items())),
        "native": {name: sorted(Path(p).name for p in ext) for name, ext in sorted(extensions.items())},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, choices=sorted(TARGETS))
    parser.add_argument("--out", default=str(HERE / "bundled"))
    parser.add_argument("--cache", default=os.environ.get("SHAPELENS_WHEEL_CACHE",
                                                          str(Path.home() / ".cache" / "shapelens-wheels")))
    args = parser.parse_args()
    out = Path(args.out)
    manifest = bundle(args.target, out, Path(args.cache))
    files = sum(1 for f in out.rglob("*") if f.is_file())
    print(f"bundled shapelens {manifest['shapelens']} for {args.target}, Python {PYTHONS[0]}-{PYTHONS[-1]}: "
          f"{files} files, {size_of(out) / 1e6:.1f} MB in {out}")


if __name__ == "__main__":
    main()
