#!/usr/bin/env node
// The `ancora` command: the compiled CLI (run `make typecheck` or `tsc -b` first).
import "../dist/cli/main.js";
