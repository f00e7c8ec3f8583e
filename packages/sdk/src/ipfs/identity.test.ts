/**
 * The IPFS node auditors reach: a persistent peer identity (same peer id across restarts, its key in a
 * 0600 file, a file others may read refused, a file that is not a key refused, both untouched),
 * announced addresses in what the node reports, and a listen or announce address that is not a
 * multiaddr refused by name before anything starts.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { IpfsIdentityError } from "../errors.js";
import { tempStore } from "../testing/fixtures.js";
import { loadOrCreateIdentity } from "./identity.js";
import { startIpfsNode } from "./node.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const temp = tempStore();
  cleanups.push(temp.cleanup);
  return temp.dir;
}

describe("the IPFS node's identity and addresses", { timeout: 30_000 }, () => {
  it("keeps its peer id across restarts, the key in a file only its owner reads", async () => {
    const identityFile = join(tempDir(), "ipfs", "identity.key");
    const first = await startIpfsNode({ identityFile });
    const peerId = first.peerId;
    await first.stop();
    expect(statSync(identityFile).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(identityFile);
    const second = await startIpfsNode({ identityFile });
    cleanups.push(() => second.stop());
    expect(second.peerId).toBe(peerId);
    expect(second.addresses.every((a) => a.endsWith(`/p2p/${peerId}`))).toBe(true);
    expect(readFileSync(identityFile).equals(bytes)).toBe(true);
    // Without a file, a new identity at every start.
    const other = await startIpfsNode();
    cleanups.push(() => other.stop());
    expect(other.peerId).not.toBe(peerId);
  });

  it("refuses a key file others may read, and one that holds no key, leaving both as they are", async () => {
    const dir = tempDir();
    const identityFile = join(dir, "identity.key");
    await loadOrCreateIdentity(identityFile);
    chmodSync(identityFile, 0o644);
    const bytes = readFileSync(identityFile);
    const insecure = await startIpfsNode({ identityFile }).catch((e: unknown) => e);
    expect(insecure).toBeInstanceOf(IpfsIdentityError);
    expect(insecure).toMatchObject({ code: "IPFS_IDENTITY_INSECURE", evidence: { path: identityFile } });
    expect(readFileSync(identityFile).equals(bytes)).toBe(true);
    expect(statSync(identityFile).mode & 0o777).toBe(0o644);

    const garbage = join(dir, "garbage.key");
    writeFileSync(garbage, "not a key", { mode: 0o600 });
    await expect(loadOrCreateIdentity(garbage)).rejects.toMatchObject({
      name: "IpfsIdentityError",
      code: "IPFS_IDENTITY_INVALID",
      evidence: { path: garbage },
    });
    expect(readFileSync(garbage, "utf8")).toBe("not a key");
  });

  it("creates one identity when two nodes start on a new file at once", async () => {
    const identityFile = join(tempDir(), "identity.key");
    const [a, b] = await Promise.all([
      loadOrCreateIdentity(identityFile),
      loadOrCreateIdentity(identityFile),
    ]);
    expect(a.equals(b)).toBe(true);
    const again = await loadOrCreateIdentity(identityFile);
    expect(again.equals(a)).toBe(true);
  });

  it("reports announced addresses to peers and refuses an address that is not a multiaddr", async () => {
    const node = await startIpfsNode({
      listen: ["/ip4/127.0.0.1/tcp/0"],
      announce: ["/dns4/ipfs.example.org/tcp/4001"],
    });
    cleanups.push(() => node.stop());
    expect(node.addresses).toEqual([`/dns4/ipfs.example.org/tcp/4001/p2p/${node.peerId}`]);

    for (const options of [{ listen: ["127.0.0.1:4001"] }, { announce: ["ipfs.example.org"] }]) {
      const option = Object.keys(options)[0];
      await expect(startIpfsNode(options)).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        evidence: { option },
      });
    }
  });
});
