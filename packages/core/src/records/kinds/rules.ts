/**
 * Field rules shared by several record kinds, so each limit is defined once (docs/formats.md lists
 * them). Lengths are in UTF-16 units; the 256 KiB record limit bounds the total anyway.
 */
import { IDENTIFIER, type StringRule } from "../../internal/schema-fields.js";

/** A label id: `L` and 3 to 15 digits (`L001`). Stable for the life of a stream. */
export const LABEL_ID: StringRule = { max: 16, pattern: /^L[0-9]{3,15}$/, describe: "a label id like L001" };

/** Who did something: an operator or service-account identifier. */
export const ACTOR: StringRule = { max: 256 };

/** A short display string (label names, model ids and versions, organisation names). */
export const NAME: StringRule = { max: 256 };

/** Free text such as a change reason. */
export const TEXT: StringRule = { max: 4096 };

/** A stream id: identifier characters, up to 128 of them. */
export const STREAM_ID: StringRule = {
  max: 128,
  pattern: IDENTIFIER,
  describe: "a stream id ([A-Za-z0-9._:-])",
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

/** `sha256:` + 64 lowercase hex: the first alternative of {@link MODEL_HASH}'s pattern, without the regex. */
export function isSha256Digest(value: string): boolean {
  if (value.length !== 71 || !value.startsWith("sha256:")) return false;
  for (let i = 7; i < 71; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}
