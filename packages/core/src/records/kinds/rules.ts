/**
 * Field rules shared by several record kinds, so each limit is defined once (docs/formats.md lists
 * them). Lengths are in UTF-16 units; the 256 KiB record limit bounds the total anyway.
 */
import type { StringRule } from "../../internal/schema-fields.js";

/** A label id: `L` and 3 to 15 digits (`L001`). Stable for the life of a stream. */
export const LABEL_ID: StringRule = { max: 16, pattern: /^L[0-9]{3,15}$/, describe: "a label id like L001" };

/** Who did something: an operator or service-account identifier. */
export const ACTOR: StringRule = { max: 256 };

/** A short display string (label names, model ids and versions, organisation names). */
export const NAME: StringRule = { max: 256 };

/** Free text such as a change reason. */
export const TEXT: StringRule = { max: 4096 };

/**
 * A stream name: 1 to 64 lower-case ASCII letters, digits, `.`, `_` and `-`, starting with a letter or a
 * digit — the same rule as `@ancora/contracts`' `encodeStreamId`, so every stream a log can hold can be
 * anchored, and names that look alike on screen (case, confusables) can never be two streams.
 */
export const STREAM_ID: StringRule = {
  max: 64,
  pattern: /^[a-z0-9][a-z0-9._-]*$/,
  describe: "a stream name ([a-z0-9._-], starting with a letter or digit)",
};

/**
 * OCI image-spec digest grammar (`algorithm:encoded`), with the spec's registered algorithms held to
 * their exact form: `sha256:` + 64 and `sha512:` + 128 lowercase hex digits.
 */
export const MODEL_HASH: StringRule = {
  max: 256,
  pattern:
    /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}|(?!sha256:|sha512:)[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)$/,
  describe: "an OCI digest like sha256:<64 lowercase hex>",
  matchesFast: isSha256Digest,
};

/**
 * A digest as the schema writes it: `sha256:` + 64 lowercase hex. The type catches a bare name or
 * another algorithm at compile time; {@link isSha256Digest} checks the hex at run time.
 */
export type Sha256Digest = `sha256:${string}`;

/** `sha256:` + 64 lowercase hex: the first alternative of {@link MODEL_HASH}'s pattern, without the regex. */
export function isSha256Digest(value: string): value is Sha256Digest {
  if (value.length !== 71 || !value.startsWith("sha256:")) return false;
  for (let i = 7; i < 71; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** A digest of a document or artefact on the lineage kinds: `sha256:` + 64 lowercase hex, nothing else. */
export const SHA256_DIGEST: StringRule = {
  max: 71,
  pattern: /^sha256:[0-9a-f]{64}$/,
  describe: "a digest like sha256:<64 lowercase hex>",
  matchesFast: isSha256Digest,
};

/**
 * An identifier (dataset ids, split names, purposes, roles, scopes, key ids, check names): letters,
 * digits and `._:-`, starting with a letter or digit, at most 128 characters.
 */
export const IDENT: StringRule = {
  max: 128,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
  describe: "an identifier ([A-Za-z0-9._:-], starting with a letter or digit)",
};

/**
 * A pseudonymous data-subject id: the identifier rule, so no spaces or `@` — a name or an e-mail
 * address is refused by construction (a pseudonym is assigned by the organisation, such as a keyed
 * hash of the customer number).
 */
export const SUBJECT_ID: StringRule = {
  max: 128,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
  describe: "a pseudonymous subject id ([A-Za-z0-9._:-]; never a name or e-mail address)",
};

/** A git commit id: 40 (SHA-1) or 64 (SHA-256 object format) lowercase hex digits. */
export const GIT_COMMIT: StringRule = {
  min: 40,
  max: 64,
  pattern: /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/,
  describe: "a git commit id (40 or 64 lowercase hex digits)",
};

/** A record kind name, as the `kind` of a retention policy: lowercase words joined by `-`. */
export const KIND_NAME: StringRule = {
  max: 32,
  pattern: /^[a-z]+(?:-[a-z]+)*$/,
  describe: "a record kind name like decision or consent-revocation",
};

/** Most entries in one list field of a lineage record (datasets, purposes, records erased, ...). */
export const MAX_LIST = 256;
