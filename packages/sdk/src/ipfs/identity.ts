/**
 * The IPFS node's peer identity, kept in a file so that its peer id (the `/p2p/12D3Koo…` part of the
 * multiaddr auditors are given) stays the same across restarts. The file holds the libp2p private key
 * (Ed25519, libp2p's protobuf encoding) and is private like an SSH host key: created with mode 0600,
 * and refused when other users may read it.
 */
import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { importOptional } from "@ancora/verifier/node";
import type { privateKeyFromProtobuf } from "@libp2p/crypto/keys";
import { IpfsIdentityError } from "../errors.js";
import { IPFS_NODE_PACKAGES } from "../optional-packages.js";

/** A libp2p private key (what `privateKeyFromProtobuf` gives). */
export type PrivateKey = ReturnType<typeof privateKeyFromProtobuf>;

/**
 * Reads the identity at `path`, or creates one there. Two nodes creating it at once end with the same
 * key: the file appears whole (written aside, then linked into place) and the second reads the first's.
 *
 * @example
 * ```ts
 * const privateKey = await loadOrCreateIdentity(join(dataDir, "ipfs-identity.key"));
 * ```
 */
export async function loadOrCreateIdentity(path: string): Promise<PrivateKey> {
  const keys = await importOptional(
    "The IPFS node's identity file",
    IPFS_NODE_PACKAGES,
    () => import("@libp2p/crypto/keys"),
  );
  const existing = read(path);
  if (existing !== undefined) return decode(keys, existing, path);
  const key: PrivateKey = await keys.generateKeyPair("Ed25519");
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const aside = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(aside, keys.privateKeyToProtobuf(key), { mode: 0o600, flag: "wx" });
  try {
    linkSync(aside, path);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return decode(keys, read(path) as Uint8Array, path); // another process created it first
  } finally {
    unlinkSync(aside);
  }
}

/** The file's bytes, or undefined when there is none; refuses a file other users may read. */
function read(path: string): Uint8Array | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if ((mode & 0o077) !== 0) {
    throw new IpfsIdentityError(
      "IPFS_IDENTITY_INSECURE",
      `The IPFS identity file is readable by other users (mode ${(mode & 0o777).toString(8)})`,
      {
        hint: "Run `chmod 600` on it (anyone who reads it can act as this node), or delete it for a new peer id.",
        evidence: { path },
      },
    );
  }
  return readFileSync(path);
}

function decode(keys: typeof import("@libp2p/crypto/keys"), bytes: Uint8Array, path: string): PrivateKey {
  try {
    return keys.privateKeyFromProtobuf(bytes);
  } catch {
    throw new IpfsIdentityError(
      "IPFS_IDENTITY_INVALID",
      "The IPFS identity file does not hold a libp2p key",
      {
        hint: "Restore the file from a backup, or delete it: the node then starts with a new peer id.",
        evidence: { path },
      },
    );
  }
}
