/**
 * Commitments to a decision's input and output, computed from bytes that were already encoded (and
 * size-checked) once. The formulas are core's (docs/formats.md, "Commitments"): plain = SHA-256(bytes),
 * salted = SHA-256(salt ‖ bytes), hmac = HMAC-SHA256(key, bytes); here they run on node:crypto. A
 * differential test holds them to core's `commitPlain`, `commitSalted` and `commitHmac`.
 */
import { createHmac } from "node:crypto";
import { type Commitment, MIN_HMAC_KEY_BYTES, SALT_BYTES } from "@ancora/core";
import { InputError } from "../errors.js";
import { nodeSha256, plain, randomBytes } from "./crypto.js";

/** How a logger commits to inputs and outputs. `salted` is the default for personal data. */
export type CommitmentOption =
  | "plain"
  | "salted"
  | { scheme: "plain" }
  | { scheme: "salted" }
  | { scheme: "hmac"; key: Uint8Array; keyId?: string };

export type CommitmentConfig =
  | { scheme: "plain" }
  | { scheme: "salted" }
  | { scheme: "hmac"; key: Uint8Array; keyId: string | undefined };

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Validates a commitment option at construction time. */
export function commitmentConfig(option: CommitmentOption | undefined): CommitmentConfig {
  const value = option ?? "salted";
  const scheme = typeof value === "string" ? value : (value as { scheme?: unknown }).scheme;
  if (scheme === "plain" || scheme === "salted") return { scheme };
  if (scheme === "hmac" && typeof value === "object") {
    const { key, keyId } = value as { key?: unknown; keyId?: unknown };
    if (!(key instanceof Uint8Array) || key.length < MIN_HMAC_KEY_BYTES) {
      throw new InputError("INVALID_OPTION", `commitment.key must be at least ${MIN_HMAC_KEY_BYTES} bytes`, {
        hint: "Generate one with crypto.getRandomValues(new Uint8Array(32)) and keep it in a secret store.",
      });
    }
    if (keyId !== undefined && (typeof keyId !== "string" || !KEY_ID.test(keyId))) {
      throw new InputError("INVALID_OPTION", "commitment.keyId must be an identifier of 1 to 64 characters");
    }
    return { scheme: "hmac", key: new Uint8Array(key), keyId: keyId as string | undefined };
  }
  throw new InputError("INVALID_OPTION", 'commitment must be "plain", "salted" or { scheme: "hmac", key }', {
    evidence: { scheme: String(scheme) },
  });
}

/** Commits to canonical `bytes`; returns the salt for `salted`. */
export function commitBytes(
  bytes: Uint8Array,
  config: CommitmentConfig,
): { commitment: Commitment; salt?: Uint8Array } {
  switch (config.scheme) {
    case "plain":
      return { commitment: { scheme: "plain", digest: nodeSha256(bytes) } };
    case "salted": {
      const salt = randomBytes(SALT_BYTES);
      const input = new Uint8Array(SALT_BYTES + bytes.length);
      input.set(salt, 0);
      input.set(bytes, SALT_BYTES);
      return { commitment: { scheme: "salted", digest: nodeSha256(input) }, salt };
    }
    case "hmac": {
      const digest = plain(createHmac("sha256", config.key).update(bytes).digest());
      return {
        commitment:
          config.keyId === undefined
            ? { scheme: "hmac", digest }
            : { scheme: "hmac", digest, keyId: config.keyId },
      };
    }
  }
}
