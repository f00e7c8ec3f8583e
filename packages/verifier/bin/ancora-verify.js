#!/usr/bin/env node
// The auditor's `ancora-verify` command: the compiled verifier CLI (run `tsc -b` first).
import "../dist/cli/main.js";
