/**
 * The codec of a versioned document (a checkpoint, a receipt, a reproducibility manifest): canonical
 * DAG-JSON bytes within a size limit, encoded only from a valid document and decoded strictly, then
 * validated. One implementation for all of them, so their rules cannot drift apart.
 */
import { decodeCanonical } from "./decode.js";
import { encodeCanonical } from "./encode.js";

/** Encodes and decodes one kind of document. */
export interface ValidatedCodec<T> {
  /** The canonical bytes of a valid document (EncodingError first, then the validator's SchemaError). */
  encode(value: T): Uint8Array;
  /** The document in canonical bytes, validated (EncodingError, then SchemaError). */
  decode(bytes: Uint8Array): T;
}

/** The codec of documents that `validate` accepts, at most `maxBytes` long. */
export function validatedCodec<T>(validate: (value: unknown) => T, maxBytes: number): ValidatedCodec<T> {
  return {
    encode(value: T): Uint8Array {
      const bytes = encodeCanonical(value, { maxBytes });
      validate(value);
      return bytes;
    },
    decode(bytes: Uint8Array): T {
      return validate(decodeCanonical(bytes, { maxBytes }));
    },
  };
}
