/**
 * scripts/deploy.ts end to end: against a real `hardhat node` on loopback it deploys (with 2 confirmations asked,
 * 1 final on an automine node, with a notice), grants, registers and
 * writes the deployment file; on a non-local chain id it refuses the public development keys before sending
 * anything. Needs the built @ancora/contracts (`tsc -b`, which `make test` runs before this).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createPublicClient, getAddress, http } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { assertNoDevelopmentAccounts, developmentAddresses, LOCAL_CHAIN_ID } from "../../scripts/deploy.ts";

const ROOT = join(import.meta.dirname, "../..");
const DEV = mnemonicToAccount("test test test test test test test test test test test junk");
const DEV_KEY = `0x${Buffer.from(DEV.getHdKey().privateKey ?? new Uint8Array()).toString("hex")}`;
const ANCHORER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const nodes: ChildProcess[] = [];

after(() => {
  for (const node of nodes) node.kill("SIGTERM");
});

/** Starts `hardhat node` on a loopback port and waits (bounded) until it answers. */
async function startNode(port: number, chainId: number): Promise<string> {
  const node = spawn(
    join(ROOT, "node_modules/.bin/hardhat"),
    ["node", "--hostname", "127.0.0.1", "--port", String(port), "--chain-id", String(chainId)],
    { cwd: ROOT, stdio: "ignore" },
  );
  nodes.push(node);
  const url = `http://127.0.0.1:${port}`;
  const client = createPublicClient({ transport: http(url, { retryCount: 0 }) });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await client.getChainId()) === chainId) return url;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`hardhat node on port ${port} did not start within 60 s`);
}

function runDeploy(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [join(ROOT, "scripts/deploy.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("scripts/deploy.ts", () => {
  it("knows the public development accounts and refuses them off the local chain", () => {
    const dev = developmentAddresses();
    assert.equal(dev.length, 20);
    assert.equal(dev[0], getAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    assert.equal(dev[1], getAddress(ANCHORER));
    assert.doesNotThrow(() => assertNoDevelopmentAccounts(LOCAL_CHAIN_ID, { deployer: dev }));
    assert.throws(
      () => assertNoDevelopmentAccounts(1, { anchorer: [dev[7] as `0x${string}`] }),
      /development account/,
    );
    assert.doesNotThrow(() =>
      assertNoDevelopmentAccounts(1, { admin: ["0x000000000000000000000000000000000000dEaD"] }),
    );
  });

  it("deploys, grants, registers and writes the deployment file on the local chain", async () => {
    const url = await startNode(18_645, LOCAL_CHAIN_ID);
    const out = join(mkdtempSync(join(tmpdir(), "ancora-deploy-")), "deployment.json");
    // --confirmations 2 as docs/operations.md writes it: on this automine node 1 is final, and it says so.
    const result = runDeploy(
      ["--rpc-url", url, "--anchorer", ANCHORER, "--stream", "loans", "--out", out, "--confirmations", "2"],
      { ANCORA_DEPLOYER_KEY: DEV_KEY },
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /^notice: the chain mines only on demand \(automine\)/m);
    assert.match(
      result.stderr,
      /^waiting for the deployment transaction 0x[0-9a-f]{64}: 1\/1 confirmations$/m,
    );
    assert.ok(
      !result.stdout.includes(DEV_KEY.slice(2)) && !result.stderr.includes(DEV_KEY.slice(2)),
      "key printed",
    );
    const deployment = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    assert.equal(deployment.chainId, LOCAL_CHAIN_ID);
    assert.equal(deployment.format, "ancora.deployment.v1");
    assert.match(String(deployment.address), /^0x[0-9a-fA-F]{40}$/);
    assert.match(String(deployment.transactionHash), /^0x[0-9a-f]{64}$/);
    assert.ok(Number(deployment.blockNumber) >= 1);
    assert.equal((deployment.streams as unknown[]).length, 1);
    assert.equal((deployment.anchorers as unknown[]).length, 1);
    const client = createPublicClient({ transport: http(url) });
    const code = await client.getCode({ address: deployment.address as `0x${string}` });
    assert.ok(code !== undefined && code.length > 2);
  });

  it("refuses the development key on another chain id, before sending anything", async () => {
    const url = await startNode(18_646, 424_242);
    const result = runDeploy(["--rpc-url", url, "--out", join(tmpdir(), "never-written.json")], {
      ANCORA_DEPLOYER_KEY: DEV_KEY,
    });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /public Hardhat\/Anvil development account/);
    const client = createPublicClient({ transport: http(url) });
    assert.equal(await client.getTransactionCount({ address: DEV.address }), 0);
  });

  it("refuses to run without a well-formed key in the environment", () => {
    const result = runDeploy(["--rpc-url", "http://127.0.0.1:1"], { ANCORA_DEPLOYER_KEY: "not-a-key" });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /ANCORA_DEPLOYER_KEY/);
  });
});
