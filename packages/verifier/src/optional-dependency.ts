/**
 * Optional peer dependencies, loaded on first use. The IPFS node (Helia over libp2p) weighs hundreds of
 * megabytes once installed (its peers reach react-native through `@libp2p/webrtc`), while most users
 * verify from a chain, a receipt or a gateway: so the packages a feature alone needs are optional peers
 * (`peerDependenciesMeta.optional`), imported with `import()` only when the feature runs, and their
 * absence is an {@link OptionalDependencyError} that names the `npm install` to run.
 */
import { OptionalDependencyError } from "./errors.js";

/**
 * What the offline Helia node (startOfflineHelia, startBitswapFetcher, and the SDK's startIpfsNode)
 * needs, with the ranges `package.json#peerDependencies` declares (a test holds them equal).
 */
export const HELIA_PACKAGES: Readonly<Record<string, string>> = {
  "@chainsafe/libp2p-noise": "^17.0.0",
  "@chainsafe/libp2p-yamux": "^8.0.1",
  "@helia/bitswap": "^4.0.19",
  "@helia/libp2p": "^2.1.4",
  "@libp2p/identify": "^4.1.14",
  "@libp2p/tcp": "^11.0.28",
  "@multiformats/multiaddr": "^13.0.3",
  "blockstore-core": "^7.0.1",
  "datastore-core": "^12.0.1",
  helia: "^7.1.15",
};

/**
 * What reading a local log (an SDK store, `openLocalLog` and `ancora-verify --db`) needs, with the
 * range `package.json#peerDependencies` declares (a test holds them equal). An auditor who verifies
 * from a chain, a receipt, a gateway or an export opens no database, so the native SQLite binding
 * (about 28 MB installed) is an optional peer too. The SDK depends on it and hands its connections to
 * `sqliteRecordSource`, which loads nothing.
 */
export const SQLITE_PACKAGES: Readonly<Record<string, string>> = {
  "better-sqlite3": "^13.2.0",
};

/**
 * What reading a log kept in PostgreSQL (`openPostgresLog`, `ancora-verify --db postgres://…`) needs,
 * with the range `package.json#peerDependencies` declares (a test holds them equal).
 */
export const POSTGRES_PACKAGES: Readonly<Record<string, string>> = {
  pg: "^8.23.1",
};

/**
 * Whether `error` is Node's "Cannot find package" (`import`) or "Cannot find module" (`require`) for
 * one of `names` (not for a package one of them imports: a broken install of a present package is
 * reported as it is, not as a missing one).
 */
export function isMissingPackage(error: unknown, names: readonly string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") return false;
  const message = String((error as { message?: unknown }).message);
  return names.some((name) => message.includes(`'${name}'`) || message.includes(`"${name}"`));
}

/**
 * Runs `load` (an `import()` of an optional peer, written in the package that declares it so that it
 * resolves from there) and turns "package not found" into an {@link OptionalDependencyError} naming
 * every package of `packages`.
 *
 * @throws {OptionalDependencyError} `OPTIONAL_DEPENDENCY_MISSING` when one of `packages` is not installed.
 * @example
 * ```ts
 * const { create } = await importOptional("Pinning to Kubo", { "kubo-rpc-client": "^7.1.0" }, () =>
 *   import("kubo-rpc-client"),
 * );
 * ```
 */
export async function importOptional<T>(
  feature: string,
  packages: Readonly<Record<string, string>>,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingPackage(error, Object.keys(packages))) {
      throw new OptionalDependencyError(feature, packages, error);
    }
    throw error;
  }
}

/**
 * {@link importOptional} for a synchronous load: `load` is a `require` of an optional CommonJS peer
 * (made with `createRequire(import.meta.url)` in the package that declares it), for features whose
 * API is synchronous (opening a local log). Node's "Cannot find module" for one of `packages` becomes
 * an {@link OptionalDependencyError}; anything else, a missing package inside it included, is passed on.
 *
 * @throws {OptionalDependencyError} `OPTIONAL_DEPENDENCY_MISSING` when one of `packages` is not installed.
 * @example
 * ```ts
 * const require = createRequire(import.meta.url);
 * const Database = requireOptional("Reading a local log", SQLITE_PACKAGES, () => require("better-sqlite3"));
 * ```
 */
export function requireOptional<T>(
  feature: string,
  packages: Readonly<Record<string, string>>,
  load: () => T,
): T {
  try {
    return load();
  } catch (error) {
    if (isMissingPackage(error, Object.keys(packages))) {
      throw new OptionalDependencyError(feature, packages, error);
    }
    throw error;
  }
}

/**
 * Checks at once, without loading it, that a feature's optional peer resolves: `resolve` is an
 * `import.meta.resolve` of it, written in the package that declares it. For features set up
 * synchronously (a pinning adapter made at start), so a missing package is reported when the service
 * starts rather than at its first upload.
 *
 * @throws {OptionalDependencyError} `OPTIONAL_DEPENDENCY_MISSING` when one of `packages` is not installed.
 * @example
 * ```ts
 * assertInstalled("Pinning to Kubo", KUBO_PACKAGES, () => import.meta.resolve("kubo-rpc-client"));
 * ```
 */
export function assertInstalled(
  feature: string,
  packages: Readonly<Record<string, string>>,
  resolve: () => unknown,
): void {
  try {
    resolve();
  } catch (error) {
    if (isMissingPackage(error, Object.keys(packages))) {
      throw new OptionalDependencyError(feature, packages, error);
    }
    throw error;
  }
}
