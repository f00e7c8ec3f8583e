/**
 * Pinata through the official `pinata` SDK: `upload.public.file` of the exact bytes (never `.json`,
 * which would re-serialise the object with JSON.stringify and change the bytes, hence the CID).
 *
 * CARs go through the same call with the builder's `.car()`, which adds the form field `car=true` to
 * the multipart `POST /files` (pinata 2.x, dist/index.mjs `uploadFile`). Pinata's v3 API reference
 * ("Upload a File", docs.pinata.cloud/api-reference/endpoint/upload-a-file): `car` boolean, "Upload a
 * file as a raw CAR file (only supported for public network)"; the answer's `data.cid` is then the
 * CAR's root.
 */
import { PinataSDK } from "pinata";
import { PinError } from "../errors.js";
import type { PinBlock, PinCar, PinningService } from "./adapter.js";
import { pinErrorForStatus } from "./http-status.js";
import type { PinataServiceOptions } from "./options.js";
import { markPortable } from "./portable.js";

/**
 * A Pinata adapter.
 *
 * @example
 * ```ts
 * const pinata = pinataService(); // PINATA_JWT from the environment
 * await pinBlock(pinata, { cid: record.cid, bytes: record.bytes });
 * await pinCar(pinata, { root: car.directory.cid.toString(), bytes: car.bytes }); // one CAR
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
  const send = async (file: File, car: boolean): Promise<{ cid: string }> => {
    try {
      const builder = sdk.upload.public.file(file);
      const result = await (car ? builder.car() : builder);
      return { cid: String(result.cid) };
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      const code = typeof status === "number" ? status : undefined;
      throw pinErrorForStatus("pinata", code, code === 429 ? rateLimitWaitMs : undefined, error);
    }
  };
  return markPortable(
    {
      name: "pinata",
      upload(block: PinBlock) {
        const file = new File([new Uint8Array(block.bytes)], block.name ?? block.cid, {
          type: "application/octet-stream",
        });
        return send(file, false);
      },
      uploadCar(car: PinCar) {
        const file = new File([new Uint8Array(car.bytes)], car.name ?? `${car.root}.car`, {
          type: "application/vnd.ipld.car",
        });
        return send(file, true);
      },
    },
    { factory: "pinata", options: { ...options, jwt } },
  );
}
