/**
 * The offline Helia node that Ancora runs on both sides of bitswap: the SDK's embedded IPFS node (which
 * serves a store's blocks) and the verifier's bitswap fetcher (a client that asks for them). It is the
 * offline recipe of /work/shared/toolchain.md ("IPFS with Helia 7"): Helia light over libp2p with TCP,
 * noise and yamux, identify, bitswap, an in-memory datastore, and no public bootstrap, no discovery,
 * no delegated routing, no gateways and no connection monitor: a node that only talks to the peers it
 * dials or that dial it.
 *
 * Helia and libp2p are optional peer dependencies (../optional-dependency.ts): loaded on first use, and
 * absent from this module's types, so that a consumer without them still type-checks.
 */
import type { CID } from "@ancora/core";
import type { Blockstore } from "interface-blockstore";
import { HELIA_PACKAGES, importOptional } from "../optional-dependency.js";

/** The node's own listener unless told otherwise: an ephemeral TCP port on loopback. */
export const DEFAULT_HELIA_LISTEN = ["/ip4/127.0.0.1/tcp/0"] as const;

/** A libp2p private key (what `@libp2p/crypto/keys`' `generateKeyPair` returns), seen structurally. */
export interface OfflineHeliaKey {
  readonly type: string;
  readonly raw: Uint8Array;
}

/** Options of {@link startOfflineHelia}. */
export interface OfflineHeliaOptions {
  /** Where the node keeps (and serves) blocks. */
  blockstore: Blockstore;
  /** libp2p listen multiaddrs (default {@link DEFAULT_HELIA_LISTEN}). */
  listen?: readonly string[];
  /** Addresses announced to peers. Default: the listen addresses. */
  announce?: readonly string[];
  /** The node's libp2p identity. Default: a new peer id. */
  privateKey?: OfflineHeliaKey;
}

/** A started offline Helia node: what Ancora uses of it. */
export interface OfflineHelia {
  /** The node's peer id (`12D3Koo…`). */
  readonly peerId: string;
  /** The multiaddrs peers can dial, with `/p2p/<peer id>`. */
  addresses(): string[];
  /** Dials a peer by multiaddr (with `/p2p/<peer id>`). */
  dial(address: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** How many connections are open. */
  connections(): number;
  /** A block's bytes: from the blockstore, else asked of connected peers over bitswap. */
  get(cid: CID, options?: { signal?: AbortSignal }): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Stops the node. */
  stop(): Promise<void>;
}

/** Loads every package the node needs, or throws `OPTIONAL_DEPENDENCY_MISSING` naming them. */
async function loadHelia() {
  return importOptional("The IPFS node (Helia over libp2p)", HELIA_PACKAGES, () =>
    Promise.all([
      import("@chainsafe/libp2p-noise"),
      import("@chainsafe/libp2p-yamux"),
      import("@helia/bitswap"),
      import("@helia/libp2p"),
      import("@libp2p/identify"),
      import("@libp2p/tcp"),
      import("@multiformats/multiaddr"),
      import("datastore-core"),
      import("helia"),
    ]),
  );
}

/**
 * Starts an offline Helia node with bitswap over `blockstore`. libp2p and Helia are loaded on first
 * use, so importing this module does not pay for them.
 *
 * @throws {OptionalDependencyError} `OPTIONAL_DEPENDENCY_MISSING` when Helia or libp2p is not
 *   installed (the error names the `npm install` to run).
 * @example
 * ```ts
 * const helia = await startOfflineHelia({ blockstore: new MemoryBlockstore() });
 * await helia.dial(peer);
 * ```
 */
export async function startOfflineHelia(options: OfflineHeliaOptions): Promise<OfflineHelia> {
  const [
    { noise },
    { yamux },
    { withBitswap },
    { withLibp2pLight },
    { identify },
    { tcp },
    { multiaddr },
    { MemoryDatastore },
    { createHeliaLight },
  ] = await loadHelia();
  type Libp2pInit = Parameters<typeof withLibp2pLight>[1];
  const helia = withBitswap(
    withLibp2pLight(createHeliaLight({ blockstore: options.blockstore, datastore: new MemoryDatastore() }), {
      addresses: {
        listen: [...(options.listen ?? DEFAULT_HELIA_LISTEN)],
        ...(options.announce === undefined ? {} : { announce: [...options.announce] }),
      },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      services: { identify: identify() },
      connectionMonitor: { enabled: false },
      ...(options.privateKey === undefined
        ? {}
        : { privateKey: options.privateKey as NonNullable<Libp2pInit["privateKey"]> }),
    }),
  );
  await helia.start();
  return {
    peerId: helia.libp2p.peerId.toString(),
    addresses: () => helia.libp2p.getMultiaddrs().map((a) => a.toString()),
    async dial(address, dialOptions = {}) {
      await helia.libp2p.dial(
        multiaddr(address),
        dialOptions.signal === undefined ? {} : { signal: dialOptions.signal },
      );
    },
    connections: () => helia.libp2p.getConnections().length,
    get: (cid, getOptions = {}) =>
      helia.blockstore.get(cid, getOptions.signal === undefined ? {} : { signal: getOptions.signal }),
    async stop() {
      await helia.stop();
    },
  };
}
