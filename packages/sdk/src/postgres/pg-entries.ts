/**
 * Entries for the PostgreSQL writer built exactly as the logger builds them for SQLite (drafts.ts):
 * a decision's input checks and commitments before any lock, its label and config from the locked
 * head; a config change with the labels it defines.
 */
import type { Entry } from "../internal/append-plan.js";
import {
  type ConfigChange,
  checkConfigInput,
  configDrafts,
  configResult,
  type DecisionInput,
  type DecisionSettings,
  decisionDraft,
  decisionResult,
  prepareDecision,
} from "../internal/drafts.js";

export type DecisionWritten = ReturnType<typeof decisionResult>;
export type ConfigWritten = ReturnType<typeof configResult>;

export function decisionEntry(
  stream: string,
  input: DecisionInput,
  settings: DecisionSettings,
): Entry<DecisionWritten> {
  const prepared = prepareDecision(input, settings);
  return {
    build: (state) => [decisionDraft(prepared, state)],
    done: (written) => decisionResult(stream, written[0] as (typeof written)[number]),
  };
}

export function configEntry(stream: string, change: ConfigChange): Entry<ConfigWritten> {
  const checked = checkConfigInput(change);
  return { build: (state) => configDrafts(checked, state), done: (written) => configResult(stream, written) };
}
