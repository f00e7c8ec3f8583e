export {
  AncoraError,
  type AncoraErrorOptions,
  ArgumentError,
  type ArgumentErrorCode,
  EncodingError,
  type EncodingErrorCode,
  InvariantError,
  invariant,
  SchemaError,
  type SchemaErrorCode,
  VerificationError,
  type VerificationErrorCode,
} from "./errors.js";
