/**
 * The offline Helia node that Ancora runs on both sides of bitswap: the SDK's embedded IPFS node (which
 * serves a store's blocks) and the verifier's bitswap fetcher (a client that asks for them). It is the
 * offline recipe of /work/shared/toolchain.md ("IPFS with Helia 7"): Helia light over libp2p with TCP,
 * noise and yamux, identify, bitswap, an in-memory datastore, and no public bootstrap, no discovery,
 * no delegated routing, no gateways and no connection monitor: a node that only talks to the peers it
 * dials or that dial it.
 */

/** The node's own listener unless told otherwise: an ephemeral TCP port on loopback. */
export const DEFAULT_HELIA_LISTEN = ["/ip4/127.0.0.1/tcp/0"] as const;

type HeliaInit = NonNullable<Parameters<typeof import("helia").createHeliaLight>[0]>;
type Libp2pInit = Parameters<typeof import("@helia/libp2p").withLibp2pLight>[1];

/** Options of {@link startOfflineHelia}. */
export interface OfflineHeliaOptions {
  /** Where the node keeps (and serves) blocks. */
  blockstore: NonNullable<HeliaInit["blockstore"]>;
  /** libp2p listen multiaddrs (default {@link DEFAULT_HELIA_LISTEN}). */
  listen?: readonly string[];
  /** Addresses announced to peers. Default: the listen addresses. */
  announce?: readonly string[];
  /** The node's libp2p identity. Default: a new peer id. */
  privateKey?: Libp2pInit["privateKey"];
}

/**
 * Starts an offline Helia node with bitswap over `blockstore`. libp2p and Helia are loaded on first
 * use, so importing this module does not pay for them.
 *
 * @example
 * ```ts
 * const helia = await startOfflineHelia({ blockstore: new MemoryBlockstore() });
 * await helia.libp2p.dial(multiaddr(peer));
 * ```
 */
export async function startOfflineHelia(options: OfflineHeliaOptions) {
  const [
    { noise },
    { yamux },
    { withBitswap },
    { withLibp2pLight },
    { identify },
    { tcp },
    { MemoryDatastore },
    { createHeliaLight },
  ] = await Promise.all([
    import("@chainsafe/libp2p-noise"),
    import("@chainsafe/libp2p-yamux"),
    import("@helia/bitswap"),
    import("@helia/libp2p"),
    import("@libp2p/identify"),
    import("@libp2p/tcp"),
    import("datastore-core"),
    import("helia"),
  ]);
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
      ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    }),
  );
  await helia.start();
  return helia;
}

/** A started offline Helia node. */
export type OfflineHelia = Awaited<ReturnType<typeof startOfflineHelia>>;
