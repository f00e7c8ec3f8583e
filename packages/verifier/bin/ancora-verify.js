#!/usr/bin/env node
// The auditor's `ancora-verify` command: the compiled verifier CLI (run `tsc -b` first). The Node.js
// version is checked before the CLI is loaded: an older Node would crash in it instead of saying why.
import { requireNode } from "./require-node.js";

requireNode("ancora-verify");
await import("../dist/cli/main.js");
