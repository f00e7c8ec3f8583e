/**
 * The embedded IPFS node: the verifier's offline Helia node (startOfflineHelia: libp2p with TCP on
 * loopback by default, bitswap, and no public bootstrap, discovery, delegated routing or gateways; a
 * node that only talks to the peers it is told about). Its blockstore is the SQLite store itself ({@link SqliteBlockstore}), so every record and
 * manifest is retrievable by CID over bitswap without being stored twice.
 */

import { ArgumentError, type CID, computeCid, VerificationError } from "@ancora/core";
import { DEFAULT_HELIA_LISTEN, importOptional, startOfflineHelia } from "@ancora/verifier/node";
import type { Blockstore } from "interface-blockstore";
import { IPFS_NODE_PACKAGES } from "../optional-packages.js";
import type { AncoraStore } from "../store.js";
import { type BlockGateway, type BlockGatewayOptions, startBlockGateway } from "./gateway.js";
import { loadOrCreateIdentity } from "./identity.js";
import { SqliteBlockstore } from "./sqlite-blockstore.js";

/** Listen on an ephemeral TCP port on loopback unless told otherwise. */
export const DEFAULT_LISTEN = DEFAULT_HELIA_LISTEN;

/** Options of {@link startIpfsNode}. */
export interface IpfsNodeOptions {
  /** Serve this store's records and manifests. Omit for a client-only node (memory blockstore). */
  store?: AncoraStore;
  /** Any other blockstore (tests, a client node). Ignored when `store` is given. */
  blockstore?: Blockstore;
  /** libp2p listen multiaddrs. Default {@link DEFAULT_LISTEN}. */
  listen?: readonly string[];
  /** Addresses announced to peers (e.g. a public address in front of a NAT). Default: the listen addresses. */
  announce?: readonly string[];
  /**
   * A file holding the node's private key, so its peer id stays the same across restarts (auditors keep
   * one multiaddr): created with mode 0600 when missing, refused when other users may read it
   * (`IPFS_IDENTITY_INSECURE`). Default: a new peer id at every start.
   */
  identityFile?: string;
  /** Peers to dial at start (multiaddrs with /p2p/<peer id>). */
  peers?: readonly string[];
  /**
   * Also serve the store's blocks over HTTP (./gateway.ts: trustless-gateway raw blocks and CAR
   * batches), on loopback unless told otherwise. Needs `store`. Default: off.
   */
  gateway?: boolean | BlockGatewayOptions;
}

/** A running node. */
export interface IpfsNode {
  /** The multiaddrs peers can dial (with /p2p/<peer id>). */
  readonly addresses: string[];
  readonly peerId: string;
  /** The HTTP block gateway's base URL when `gateway` was asked for. */
  readonly gatewayUrl?: string;
  /** Dials a peer. */
  connect(address: string): Promise<void>;
  /**
   * Fetches a block by CID (locally, else over bitswap from connected peers) and checks that its bytes
   * hash to the CID. Fails at `timeoutMs` (default 10 s): never hangs on a missing block.
   */
  fetch(cid: CID, options?: { timeoutMs?: number }): Promise<Uint8Array>;
  stop(): Promise<void>;
}

/**
 * Starts an embedded IPFS node on loopback. Helia and libp2p are optional peer dependencies of the SDK:
 * without them this throws `OPTIONAL_DEPENDENCY_MISSING` (an `OptionalDependencyError` whose message
 * names the `npm install` to run).
 *
 * @example
 * ```ts
 * const node = await startIpfsNode({ store: logger.store });
 * console.log(node.addresses); // ["/ip4/127.0.0.1/tcp/40123/p2p/12D3Koo…"]
 * ```
 */
export async function startIpfsNode(options: IpfsNodeOptions = {}): Promise<IpfsNode> {
  // Loaded on first use, so `import "@ancora/sdk"` does not pay for libp2p (startOfflineHelia loads
  // the rest).
  const [{ multiaddr }, { MemoryBlockstore }] = await importOptional(
    "The embedded IPFS node (startIpfsNode)",
    IPFS_NODE_PACKAGES,
    () => Promise.all([import("@multiformats/multiaddr"), import("blockstore-core")]),
  );
  const sqlite = options.store === undefined ? undefined : new SqliteBlockstore(options.store);
  if (options.gateway !== undefined && options.gateway !== false && sqlite === undefined) {
    throw new ArgumentError("An IPFS node's gateway serves a store: pass `store` with `gateway`", {
      hint: "startIpfsNode({ store, gateway: true })",
    });
  }
  for (const [name, list] of [
    ["listen", options.listen],
    ["announce", options.announce],
  ] as const) {
    for (const address of list ?? []) {
      try {
        multiaddr(address);
      } catch {
        throw new ArgumentError(`${name}: ${JSON.stringify(address)} is not a multiaddr`, {
          hint: 'Write addresses as multiaddrs, e.g. "/ip4/0.0.0.0/tcp/4001" or "/dns4/ipfs.example.org/tcp/4001".',
          evidence: { option: name, address },
        });
      }
    }
  }
  const privateKey =
    options.identityFile === undefined ? undefined : await loadOrCreateIdentity(options.identityFile);
  const blockstore: Blockstore = sqlite ?? options.blockstore ?? new MemoryBlockstore();
  const helia = await startOfflineHelia({
    blockstore,
    listen: options.listen ?? DEFAULT_LISTEN,
    ...(options.announce === undefined ? {} : { announce: options.announce }),
    ...(privateKey === undefined ? {} : { privateKey }),
  });
  const connect = async (address: string): Promise<void> => {
    await helia.dial(address, { signal: AbortSignal.timeout(10_000) });
  };
  let gateway: BlockGateway | undefined;
  try {
    for (const peer of options.peers ?? []) await connect(peer);
    if (sqlite !== undefined && options.gateway !== undefined && options.gateway !== false) {
      gateway = await startBlockGateway(
        (cid) => sqlite.lookup(cid),
        options.gateway === true ? {} : options.gateway,
      );
    }
  } catch (error) {
    await helia.stop();
    throw error;
  }
  return {
    addresses: helia.addresses(),
    peerId: helia.peerId,
    ...(gateway === undefined ? {} : { gatewayUrl: gateway.url }),
    connect,
    async fetch(cid, fetchOptions = {}) {
      const signal = AbortSignal.timeout(fetchOptions.timeoutMs ?? 10_000);
      const parts: Uint8Array[] = [];
      for await (const part of helia.get(cid, { signal })) parts.push(part);
      const bytes = new Uint8Array(Buffer.concat(parts));
      if (!computeCid(bytes).equals(cid)) {
        throw new VerificationError("CID_MISMATCH", "A fetched block does not hash to its CID", {
          evidence: { expected: cid.toString(), found: computeCid(bytes).toString() },
        });
      }
      return bytes;
    },
    async stop() {
      await gateway?.close();
      await helia.stop();
    },
  };
}
