/**
 * Pinata through the official `pinata` SDK: `upload.public.file` of the exact bytes (never `.json`,
 * which would re-serialise the object with JSON.stringify and change the bytes, hence the CID).
 */
import { PinataSDK } from "pinata";
import { type PinBlock, PinError, type PinningService, pinErrorForStatus } from "./service.js";

/** Options of {@link pinataService}. */
export interface PinataServiceOptions {
  /** The JWT. Default: `process.env.PINATA_JWT`. Never logged. */
  jwt?: string;
  /** Upload API base (default the SDK's, https://uploads.pinata.cloud/v3). */
  uploadUrl?: string;
  /** API base for other calls (default the SDK's). */
  endpointUrl?: string;
  /** The SDK hides Retry-After: wait this long after a 429 (Pinata's free plan allows 60 requests/min). */
  rateLimitWaitMs?: number;
}

/**
 * A Pinata adapter.
 *
 * @example
 * ```ts
 * const pinata = pinataService(); // PINATA_JWT from the environment
 * await pinBlock(pinata, { cid: record.cid, bytes: record.bytes });
 * ```
 */
export function pinataService(options: PinataServiceOptions = {}): PinningService {
  const jwt = options.jwt ?? process.env.PINATA_JWT;
  if (jwt === undefined || jwt === "") {
    throw new PinError("PIN_INVALID_OPTION", "Pinata needs a JWT (option `jwt` or PINATA_JWT)");
  }
  const sdk = new PinataSDK({
    pinataJwt: jwt,
    ...(options.uploadUrl === undefined ? {} : { uploadUrl: options.uploadUrl }),
    ...(options.endpointUrl === undefined ? {} : { endpointUrl: options.endpointUrl }),
  });
  const rateLimitWaitMs = options.rateLimitWaitMs ?? 60_000;
  return {
    name: "pinata",
    async upload(block: PinBlock) {
      const file = new File([new Uint8Array(block.bytes)], block.name ?? block.cid, {
        type: "application/octet-stream",
      });
      try {
        const result = await sdk.upload.public.file(file);
        return { cid: String(result.cid) };
      } catch (error) {
        const status = (error as { statusCode?: unknown }).statusCode;
        const code = typeof status === "number" ? status : undefined;
        throw pinErrorForStatus("pinata", code, code === 429 ? rateLimitWaitMs : undefined, error);
      }
    },
  };
}
