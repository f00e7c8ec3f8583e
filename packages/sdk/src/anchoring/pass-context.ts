/**
 * What one pass of the anchorer hands the code it runs (reorg watching in ./reorgs.ts, anchor jobs in
 * ./anchor-job.ts): the store, the chain's clients, the sender, where anchors are recorded, the
 * settings they need, a clock and the handlers. Nothing of the loop's own state.
 */
import type { RegistryReader, StreamState } from "@ancora/contracts";
import type Database from "better-sqlite3";
import type { PublicClient } from "viem";
import type { AncoraStore } from "../store.js";
import type { AnchoredCheckpoint } from "./anchor-store.js";
import type { AnchorErrorContext } from "./anchorer-options.js";
import type { ManifestCache, ManifestSink } from "./manifests.js";
import type { ChainBlock, TransactionSender } from "./transactions.js";

export interface PassContext {
  /** The store (jobs, checkpoints, proofs) and its connection (anchors, manifests: read at each use). */
  store: AncoraStore;
  readonly db: Database.Database;
  publicClient: PublicClient;
  reader: RegistryReader;
  sender: TransactionSender;
  /** Where this anchorer's anchors are recorded: the chain (it has answered) and the registry, lowercase. */
  chainId: number;
  registryKey: string;
  streams: readonly string[];
  /** The head block this pass's probe read. */
  head: number | undefined;
  /** Blocks (including the anchor's) an anchor waits for on this chain. */
  confirmations: number;
  reorgDepth: number;
  replaceAfterMs: number;
  now: () => number;
  isoNow: () => string;
  /** Hands a failure to `onError` (and keeps it as the backlog's last error). */
  report: (error: unknown, context: AnchorErrorContext) => void;
  onAnchored: (anchor: AnchoredCheckpoint) => void;
  onManifest: ManifestSink | undefined;
  /** Manifests built ahead of their anchor while the chain was unreachable. */
  manifests: ManifestCache;
  /**
   * The stream's on-chain state read early in this pass (alongside the reorg check), handed out once;
   * undefined when there is none (then it is read when needed).
   */
  takeStreamState: (stream: string) => Promise<StreamState> | undefined;
  /** The head block this pass has read (for its reorg check), if any: the fee estimate reuses it. */
  latestBlock: () => ChainBlock | undefined;
}
