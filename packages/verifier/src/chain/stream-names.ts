/**
 * The name a registered stream goes by in reports. The registry keeps only `keccak256(name)` as the id;
 * the name is in the stream's free-text metadata, which is taken only when it proves itself.
 */
import { encodeStreamId } from "@ancora/contracts";
import type { RegistryStream } from "./registry-view.js";

/**
 * The metadata's `name` (`{"name":"loans",…}`) when it hashes to the stream's id, else `undefined`.
 *
 * @example
 * ```ts
 * registeredName({ streamId: encodeStreamId("loans"), metadata: '{"name":"loans"}', state }); // "loans"
 * ```
 */
export function registeredName(entry: Pick<RegistryStream, "streamId" | "metadata">): string | undefined {
  try {
    const name = (JSON.parse(entry.metadata) as { name?: unknown }).name;
    if (typeof name === "string" && encodeStreamId(name).toLowerCase() === entry.streamId.toLowerCase()) {
      return name;
    }
  } catch {
    // Metadata is free text chosen by the organisation: a label is only taken when it proves itself.
  }
  return undefined;
}
