/**
 * What the verifier needs to know from a ProvenanceRegistry, as an interface: the real one reads a
 * chain through viem (`registryView`), tests hand in fakes that lie in chosen ways. Nothing a view
 * returns is trusted on its own: anchor histories are replayed against the chained head in state.
 */
import type { AnchorEvent, StreamState } from "@ancora/contracts";
import type { Address, Hex } from "viem";

/**
 * One `CheckpointAnchored` event, decoded, with where it is on chain: the contracts reader's
 * `AnchorEvent` without the log position (`previousAnchorBlock`, `logIndex`) the verifier does not use.
 */
export type RegistryAnchor = Omit<AnchorEvent, "previousAnchorBlock" | "logIndex">;

/** A registered stream: its id, the metadata it was registered with, and its state. */
export interface RegistryStream {
  readonly streamId: Hex;
  readonly metadata: string;
  readonly state: StreamState;
}

/** A registry as the verifier sees it, read at one block so every answer is consistent. */
export interface RegistryView {
  readonly chainId: number;
  /** Registry address, lowercase 0x-hex. */
  readonly address: Address;
  /** The block every read is made at. */
  readonly blockNumber: bigint;
  /**
   * Every stream registered up to {@link blockNumber}, in registration order: chain mode and public mode
   * take the list of streams to check from here, so a stream the registry anchors cannot vanish from a
   * log unnoticed.
   */
  streams(): Promise<RegistryStream[]>;
  /**
   * One stream's state; rejects with an error whose code is `UNKNOWN_STREAM` when it is not registered
   * (`registryView` rejects with @ancora/contracts' `RegistryUnknownStreamError`, code `REGISTRY_UNKNOWN_STREAM`:
   * callers accept both codes).
   */
  stream(streamId: Hex): Promise<RegistryStream>;
  /**
   * The stream's anchors from events, in sequence order. Rejects with a `SourceError`
   * `HISTORY_UNAVAILABLE` when the node does not serve the logs (pruned history, EIP-4444): callers then
   * replay anchor links from another source against the chained head in state.
   */
  anchorHistory(streamId: Hex): Promise<RegistryAnchor[]>;
}
