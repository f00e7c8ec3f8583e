/**
 * The SDK's optional peer dependencies, by feature, with the ranges `package.json#peerDependencies`
 * declares (a test holds them equal). A service that logs, anchors and pins to Pinata needs none of
 * them; a feature that does throws `OPTIONAL_DEPENDENCY_MISSING` (the verifier's
 * `OptionalDependencyError`) naming the `npm install` to run.
 */
import { HELIA_PACKAGES, POSTGRES_PACKAGES } from "@ancora/verifier/node";

/** The embedded IPFS node (startIpfsNode): Helia over libp2p, and libp2p's keys for `identityFile`. */
export const IPFS_NODE_PACKAGES: Readonly<Record<string, string>> = {
  ...HELIA_PACKAGES,
  "@libp2p/crypto": "^5.1.23",
};

/** Pinning to a Kubo RPC endpoint (kuboService). */
export const KUBO_PACKAGES: Readonly<Record<string, string>> = { "kubo-rpc-client": "^7.1.0" };

/** Lineage as SVG (svgOfLineage, renderLineage "svg"): Graphviz compiled to WebAssembly. */
export const GRAPHVIZ_PACKAGES: Readonly<Record<string, string>> = { "@viz-js/viz": "^3.31.0" };

/** A logger whose stream is kept in PostgreSQL (`createLogger({ url })`): the `pg` driver. */
export const POSTGRES_STORE_PACKAGES: Readonly<Record<string, string>> = POSTGRES_PACKAGES;
