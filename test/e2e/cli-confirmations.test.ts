/**
 * `ancora deploy` and `ancora anchor` with `--confirmations 2` (ancora.json's default) on a local
 * Hardhat chain, each command run in-process as a user would type it. With automine (a chain that mines
 * only on demand) both end at once: a notice says why 1 confirmation is final there. With automine off
 * nothing mines: both show what they wait for on stderr and time out with an error that names the
 * transaction and the confirmations seen.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {} from "@nomicfoundation/hardhat-toolbox-viem";
import { network } from "hardhat";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../packages/sdk/src/index.ts";
import { type RpcEndpoint, rpcOverHttp } from "../../packages/sdk/src/testing/rpc-over-http.ts";
import { type CliRun, cliRun } from "../../packages/service/src/testing/cli.ts";
import { HARDHAT_DEV_KEY } from "../../scripts/lib/local-chain.ts";

const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };
const KEYS = { ANCORA_DEPLOYER_KEY: HARDHAT_DEV_KEY, ANCORA_PRIVATE_KEY: HARDHAT_DEV_KEY };
const TX = "0x[0-9a-f]{64}";

let work: string;
let rpc: RpcEndpoint;
let automine: (on: boolean) => Promise<unknown>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "ancora-confirmations-e2e-"));
  const { provider } = await network.create();
  automine = (on) => provider.request({ method: "evm_setAutomine", params: [on] });
  rpc = await rpcOverHttp(provider);
});

afterAll(async () => {
  await rpc?.stop();
  rmSync(work, { recursive: true, force: true });
});

function ancora(argv: string[]): Promise<CliRun> {
  return cliRun(argv, { cwd: work, env: KEYS });
}

/** A data directory whose store holds `decisions` decisions of the stream "loans". */
async function dataDir(name: string, decisions: number): Promise<string> {
  const dir = join(work, name);
  expect((await ancora(["init", "--dir", dir])).code).toBe(0);
  await logDecisions(dir, decisions);
  return dir;
}

async function logDecisions(dir: string, n: number): Promise<void> {
  const logger = createLogger({ path: join(dir, "ancora.db"), stream: "loans", model: MODEL });
  if (logger.config() === undefined) {
    logger.setConfig({
      threshold: 0.5,
      aboveLabel: "approve",
      belowLabel: "refer",
      changedBy: "ops",
      changeReason: "launch",
    });
  }
  for (let i = 0; i < n; i++) {
    await logger.record({ features: { i }, output: { label: "approve" }, score: 0.7 });
  }
  await logger.close();
}

describe("confirmations 2 on a local Hardhat chain", { timeout: 120_000 }, () => {
  it("deploys and anchors at once on an automine chain, saying why 1 confirmation is final", async () => {
    const dir = await dataDir("automine", 3);
    const deploy = await ancora(["deploy", "--dir", dir, "--rpc", rpc.url, "--confirmations", "2", "--json"]);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain("notice: the chain mines only on demand (automine)");
    expect(deploy.stderr).toMatch(
      new RegExp(`waiting for the deployment transaction ${TX}: 1/1 confirmations`),
    );
    expect(JSON.parse(deploy.stdout)).toMatchObject({ streams: ["loans"] });

    const anchor = await ancora(["anchor", "--dir", dir, "--confirmations", "2", "--json"]);
    expect(anchor.code, anchor.stderr).toBe(0);
    expect(anchor.stderr).toContain("notice: the chain mines only on demand (automine)");
    expect(JSON.parse(anchor.stdout).anchors).toEqual([expect.objectContaining({ stream: "loans" })]);
  });

  it("shows what it waits for and times out naming it when nothing mines", async () => {
    const dir = await dataDir("stalled", 2);
    const deployed = await ancora(["deploy", "--dir", dir, "--rpc", rpc.url, "--json"]);
    expect(deployed.code, deployed.stderr).toBe(0);
    await logDecisions(dir, 1);
    await automine(false);
    try {
      const anchor = await ancora(["anchor", "--dir", dir, "--confirmations", "2", "--timeout", "1"]);
      expect(anchor.code).toBe(2);
      expect(anchor.stderr).not.toContain("notice:");
      expect(anchor.stderr).toMatch(
        new RegExp(`waiting for the anchor of loans at size \\d+ \\(transaction ${TX}\\): 0/2 confirmations`),
      );
      expect(anchor.stderr).toMatch(
        new RegExp(
          `error ANCHOR_INCOMPLETE: Timed out after 1 s waiting for loans at size \\d+ \\(transaction ${TX}: 0/2 confirmations\\)`,
        ),
      );

      expect((await ancora(["init", "--dir", join(work, "second")])).code).toBe(0);
      const stalled = await ancora([
        "deploy",
        "--dir",
        join(work, "second"),
        "--rpc",
        rpc.url,
        "--timeout",
        "1",
      ]);
      expect(stalled.code).toBe(2);
      expect(stalled.stderr).toMatch(
        new RegExp(`waiting for the deployment transaction ${TX}: 0/1 confirmations`),
      );
      expect(stalled.stderr).toMatch(
        new RegExp(
          `error REGISTRY_CONFIRMATION_TIMEOUT: Timed out after 1 s waiting for the deployment transaction ${TX} to reach 1 confirmation \\(not mined yet\\)`,
        ),
      );
    } finally {
      await automine(true);
    }
  });
});
