/**
 * Anchoring survives SIGKILL: a process logs decisions while its anchorer commits checkpoints to a real
 * `hardhat node`, and is killed at random moments, several times (mid-transaction, mid-manifest,
 * mid-group-commit). A restart then drains the outbox. Afterwards: every acknowledged record is in the
 * log; the chain holds each checkpoint size at most once, every anchored root equals the local root at
 * that size, the local log records exactly the anchors the chain holds (same transactions), and the
 * anchor history replays to the registry's chained head.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createRegistryReader,
  deployRegistry,
  encodeStreamId,
  grantAnchorer,
  registerStream,
} from "@ancora/contracts";
import { openStore } from "@ancora/sdk";
import { toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HARDHAT_DEV_KEY,
  type LocalChain,
  localClients,
  startLocalChain,
} from "../../scripts/lib/local-chain.ts";

const REGISTER = fileURLToPath(
  new URL("../../packages/verifier/src/testing/register-source.mjs", import.meta.url),
);
const CHILD = fileURLToPath(new URL("./support/anchoring-child.ts", import.meta.url));
const STREAM = "restarts";
const KILLS = Number(process.env.ANCORA_ANCHOR_KILLS ?? 6);

let chain: LocalChain;
let dir: string;

beforeAll(async () => {
  chain = await startLocalChain();
  dir = mkdtempSync(join(tmpdir(), "ancora-anchor-restart-"));
}, 90_000);

afterAll(async () => {
  await chain?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): { child: ChildProcess; stdout: () => string; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ["--conditions=@ancora/source", "--import", REGISTER, CHILD, ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        ANCORA_TEST_ANCHOR_KEY: HARDHAT_DEV_KEY,
        NODE_COMPILE_CACHE: join(tmpdir(), "ancora-test-node-cache"),
      },
    },
  );
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    err += c;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      if (code !== 0 && code !== null) process.stderr.write(err);
      resolve(code);
    }),
  );
  return { child, stdout: () => out, exited };
}

describe("anchoring through SIGKILLs", () => {
  it(`is killed ${KILLS} times while logging and anchoring, then drains: nothing lost, nothing anchored twice`, {
    timeout: 180_000,
  }, async () => {
    const { account, publicClient, walletClient: wallet } = localClients(chain);
    const { address: registry } = await deployRegistry(wallet, publicClient, { admin: account.address });
    const streamId = encodeStreamId(STREAM);
    await registerStream(wallet, publicClient, {
      registry,
      streamId,
      metadata: STREAM,
      consistencyRequired: true,
    });
    await grantAnchorer(wallet, publicClient, { registry, account: account.address });
    const db = join(dir, "log.db");
    const args = [db, STREAM, chain.url, registry];

    const acks = new Map<number, string>();
    for (let k = 0; k < KILLS; k++) {
      const child = run([...args, "log"]);
      // Kill at a random moment after the process is up and logging (and, mostly, anchoring).
      const started = Date.now();
      while (!child.stdout().includes("\n") && Date.now() - started < 30_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 1_200)));
      child.child.kill("SIGKILL");
      await child.exited;
      const text = child.stdout();
      for (const line of text.slice(0, text.lastIndexOf("\n") + 1).split("\n")) {
        if (line === "") continue;
        const [seq, cid] = line.split(" ");
        acks.set(Number(seq), cid as string);
      }
    }
    expect(acks.size).toBeGreaterThan(KILLS * 8);
    const drain = run([...args, "drain"]);
    expect(await drain.exited).toBe(0);

    const store = openStore({ path: db });
    try {
      // Every acknowledged record is there, with the CID that was acknowledged.
      for (const [seq, cid] of acks) expect(store.get(STREAM, seq)?.cid, `seq ${seq}`).toBe(cid);
      expect(store.verify().ok).toBe(true);

      // The chain: each size once (the contract enforces growth), history replays to the head in state.
      const history = await createRegistryReader(publicClient, registry).verifyHistory(streamId);
      const sizes = history.anchors.map((a) => Number(a.treeSize));
      // Anchors happened in every run (about seven per run here), so kills landed mid-anchoring.
      expect(sizes.length).toBeGreaterThan(KILLS);
      expect(new Set(sizes).size).toBe(sizes.length);
      expect(sizes.at(-1)).toBe(store.stream(STREAM).size);
      for (const anchor of history.anchors) {
        const size = Number(anchor.treeSize);
        expect(toHex(store.consistencyProof(STREAM, size, size).root2), `root at ${size}`).toBe(anchor.root);
      }
      // The local log records exactly these anchors, confirmed, with the transactions that made them.
      const local = store.anchors(STREAM).filter((a) => a.status === "confirmed");
      expect(local.map((a) => [a.size, a.txHash.toLowerCase()])).toStrictEqual(
        history.anchors.map((a) => [Number(a.treeSize), a.transactionHash.toLowerCase()]),
      );
      expect(local.every((a) => a.sequence !== null)).toBe(true);
    } finally {
      store.close();
    }
  });
});
