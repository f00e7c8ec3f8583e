/**
 * Test helpers shared by the SDK's tests and child processes (not part of the package's API: nothing
 * here is exported from index.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` } as const;
export const MODEL_B = { id: "fraud-detect", version: "1.0.0", hash: `sha256:${"cd".repeat(32)}` } as const;

export const CONFIG = {
  threshold: 0.5,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "risk-team@example.org",
  changeReason: "initial calibration",
} as const;

/** A fresh temporary directory and a path for a store in it; `cleanup` removes both. */
export function tempStore(name = "ancora.db"): { dir: string; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "ancora-sdk-"));
  return { dir, path: join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fixed clock that advances one millisecond per call (deterministic timestamps). */
export function steppingClock(start = Date.parse("2025-03-01T09:00:00.000Z")): () => Date {
  let now = start;
  return () => new Date(now++);
}

/** Hardhat's well-known development keys #1 and #2: public, funded on local chains only. */
export const DEV_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
export const DEV_KEY_2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a" as const;
