import { expectFiniteNumber, expectKeys, expectObject, expectString } from "../../internal/schema-fields.js";
import type { ConfigBody } from "../types.js";
import { ACTOR, LABEL_ID, TEXT } from "./rules.js";

const CONFIG_KEYS = ["threshold", "aboveLabel", "belowLabel", "changedBy", "changeReason"];

/** Validates the body of a `config` record (see {@link ConfigBody}). */
export function validateConfigBody(value: unknown, path: string): ConfigBody {
  const body = expectObject(value, path);
  expectKeys(body, path, CONFIG_KEYS);
  expectFiniteNumber(body, "threshold", path);
  expectString(body, "aboveLabel", path, LABEL_ID);
  expectString(body, "belowLabel", path, LABEL_ID);
  expectString(body, "changedBy", path, ACTOR);
  expectString(body, "changeReason", path, TEXT);
  return body as unknown as ConfigBody;
}

/**
 * The label a score resolves to under a config: `aboveLabel` when `score >= threshold`, else
 * `belowLabel`. The one definition the SDK (when it writes a decision) and the verifier (when it checks
 * one) both use, so they cannot disagree at the boundary.
 *
 * @example
 * ```ts
 * const config = { threshold: 0.5, aboveLabel: "L002", belowLabel: "L001", changedBy: "ops", changeReason: "launch" };
 * resolveLabel(config, 0.5); // "L002"
 * resolveLabel(config, 0.49); // "L001"
 * ```
 */
export function resolveLabel(
  config: Pick<ConfigBody, "threshold" | "aboveLabel" | "belowLabel">,
  score: number,
): string {
  return score >= config.threshold ? config.aboveLabel : config.belowLabel;
}
