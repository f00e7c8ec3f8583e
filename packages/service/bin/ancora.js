#!/usr/bin/env node
// The `ancora` command: the compiled CLI (run `make typecheck` or `tsc -b` first). The Node.js version
// is checked before the CLI is loaded: an older Node would crash in it instead of saying why.
import { requireNode } from "@ancora/verifier/require-node";

requireNode("ancora");
await import("../dist/cli/main.js");
