/**
 * The record kind registry: kind name → body validator. Adding a kind (dataset, model, training,
 * consent, ...) is a new file in kinds/, a type in types.ts and one entry here; nothing else changes.
 *
 * The registry is fixed at build time on purpose: whether bytes are a valid record must not depend on
 * what some process registered at run time, or a writer and a verifier could disagree. A reader that
 * meets a kind it does not know rejects the record with `SCHEMA_UNKNOWN_KIND` (and should be upgraded).
 */
import { validateCapsuleBody } from "./kinds/capsule.js";
import { validateConfigBody } from "./kinds/config.js";
import {
  validateConsentBody,
  validateConsentDeniedBody,
  validateConsentRevocationBody,
} from "./kinds/consent.js";
import { validateDatasetBody } from "./kinds/dataset.js";
import { validateDecisionBody } from "./kinds/decision.js";
import { validateErasureBody } from "./kinds/erasure.js";
import { validateGenesisBody } from "./kinds/genesis.js";
import { validateAccessGrantBody, validateOwnershipBody, validateRetentionBody } from "./kinds/governance.js";
import { validateLabelBody } from "./kinds/label.js";
import { validateModelBody } from "./kinds/model.js";
import { validateReproducibilityBody } from "./kinds/reproducibility.js";
import { validateTrainingBody } from "./kinds/training.js";
import type { RecordKind } from "./types.js";

/** Validates a kind's body at `path` (`$.body`) and returns it typed, or throws a SchemaError. */
export type BodyValidator = (value: unknown, path: string) => unknown;

/** Every kind of record format version 1 and the validator of its body. */
export const RECORD_KINDS: Readonly<Record<RecordKind, BodyValidator>> = Object.freeze({
  genesis: validateGenesisBody,
  label: validateLabelBody,
  config: validateConfigBody,
  decision: validateDecisionBody,
  "dataset-split": validateDatasetBody,
  model: validateModelBody,
  training: validateTrainingBody,
  reproducibility: validateReproducibilityBody,
  consent: validateConsentBody,
  "consent-revocation": validateConsentRevocationBody,
  "consent-denied": validateConsentDeniedBody,
  ownership: validateOwnershipBody,
  retention: validateRetentionBody,
  "access-grant": validateAccessGrantBody,
  erasure: validateErasureBody,
  capsule: validateCapsuleBody,
});

/** True when `kind` is a record kind of this version. */
export function isRecordKind(kind: unknown): kind is RecordKind {
  return typeof kind === "string" && Object.hasOwn(RECORD_KINDS, kind);
}
