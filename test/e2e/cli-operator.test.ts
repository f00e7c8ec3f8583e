/**
 * The operator's journey without TypeScript, against a real `hardhat node` on loopback, each command
 * run in-process as a user would type it: `deploy` without ANCORA_PRIVATE_KEY says how to grant the
 * role; `serve` refuses a key without ANCHORER_ROLE and a stream the registry does not know (exit 2,
 * with the command that fixes it); `roles grant|revoke|list` and `stream register|list` fix and show
 * it; a revert from a key that is not the admin is printed as the contract's custom error.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, cliRun, startCli } from "../../packages/service/src/testing/cli.ts";
import { HARDHAT_DEV_KEY, type LocalChain, startLocalChain } from "../../scripts/lib/local-chain.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Hardhat's second development account: the key `serve` anchors with here. */
const SERVE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
const SERVE_ADDRESS = privateKeyToAccount(SERVE_KEY).address;
const DEPLOYER_ADDRESS = privateKeyToAccount(HARDHAT_DEV_KEY).address;

let chain: LocalChain;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "ancora-operator-e2e-"));
  chain = await startLocalChain();
}, 90_000);

afterAll(async () => {
  await chain?.stop();
  rmSync(work, { recursive: true, force: true });
});

function ancora(argv: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliRun> {
  return cliRun(argv, { cwd: work, env, ...(stdin === undefined ? {} : { stdin }) });
}

/** Runs `serve` until it prints its first line (listening) or ends; stops it in the first case. */
async function serveOnce(dir: string, env: Record<string, string>): Promise<CliRun & { listening: boolean }> {
  let stop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  let ended = false;
  const run = startCli(["serve", "--dir", dir, "--port", "0", "--json"], { cwd: work, env, stop: stopped });
  void run.done.then(() => {
    ended = true;
  });
  const deadline = Date.now() + 30_000;
  while (!ended && !run.output().stdout.includes("\n") && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const listening = !ended && run.output().stdout.startsWith('{"url":');
  stop("SIGTERM");
  return { ...(await run.done), listening };
}

const CONFIG_LINE = JSON.stringify({
  kind: "config",
  stream: "audit",
  threshold: 0.5,
  aboveLabel: "approved",
  belowLabel: "denied",
  changedBy: "risk",
  changeReason: "launch",
});

describe("operator commands", () => {
  it("deploy, serve's role check, roles, streams and decoded reverts", async () => {
    const dir = join(work, "data");
    expect((await ancora(["init", "--dir", dir, "--rpc", chain.url, "--port", "0"])).code).toBe(0);
    const admin = { ANCORA_DEPLOYER_KEY: HARDHAT_DEV_KEY };

    // deploy without ANCORA_PRIVATE_KEY: the deployer anchors, and the output says how to change that.
    const deploy = await ancora(["deploy", "--dir", dir, "--stream", "loans", "--json"], admin);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    const deployment = JSON.parse(deploy.stdout) as {
      registry: string;
      anchorers: string[];
      notes: string[];
    };
    expect(deployment.anchorers).toEqual([DEPLOYER_ADDRESS]);
    expect(deployment.notes.join(" ")).toContain(
      `ancora roles grant anchorer <address of that key> --dir ${dir}`,
    );
    const deployText = await ancora(["deploy", "--dir", join(work, "second"), "--rpc", chain.url], admin);
    expect(deployText.code).toBe(2); // no such data directory: nothing deployed
    expect(deployText.stderr).toMatch(/^error CONFIG_NOT_FOUND/);

    // serve with a key that lacks the role: refused, naming the command that grants it.
    const serving = { ANCORA_PRIVATE_KEY: SERVE_KEY };
    const refused = await serveOnce(dir, serving);
    expect(refused.listening).toBe(false);
    expect(refused.code).toBe(2);
    const error = JSON.parse(refused.stdout) as { error: { code: string; hint: string } };
    expect(error.error.code).toBe("ROLE_MISSING");
    expect(error.error.hint).toContain(`ancora roles grant anchorer ${SERVE_ADDRESS} --dir ${dir}`);
    expect(refused.stdout + refused.stderr).not.toContain(SERVE_KEY.slice(2));

    // A key that is not the admin cannot grant: the revert is printed decoded.
    const notAdmin = await ancora(["roles", "grant", "anchorer", SERVE_ADDRESS, "--dir", dir], {
      ANCORA_DEPLOYER_KEY: SERVE_KEY,
    });
    expect(notAdmin.code).toBe(2);
    expect(notAdmin.stderr).toContain(
      `error REGISTRY_REVERTED: ProvenanceRegistry.grantRole reverted with AccessControlUnauthorizedAccount(${SERVE_ADDRESS}, DEFAULT_ADMIN_ROLE)`,
    );

    // The documented fix, then the roles as the chain holds them.
    const grant = await ancora(["roles", "grant", "anchorer", SERVE_ADDRESS, "--dir", dir, "--json"], admin);
    expect(grant.code, grant.stdout).toBe(0);
    expect(JSON.parse(grant.stdout)).toMatchObject({
      role: "anchorer",
      account: SERVE_ADDRESS,
      registry: deployment.registry,
      transactionHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    const roles = await ancora(["roles", "list", "--dir", dir, "--json"]);
    expect(roles.code, roles.stdout).toBe(0);
    expect(JSON.parse(roles.stdout)).toEqual({
      registry: deployment.registry,
      roles: { anchorer: [DEPLOYER_ADDRESS, SERVE_ADDRESS], admin: [DEPLOYER_ADDRESS] },
    });

    // A stream in the store that the registry does not know: refused, then registered, then served.
    const ingest = await ancora(["ingest", "--db", join(dir, "ancora.db"), "-"], {}, `${CONFIG_LINE}\n`);
    expect(ingest.code, ingest.stderr).toBe(0);
    const unknown = await serveOnce(dir, serving);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({
      code: "STREAM_NOT_REGISTERED",
      hint: expect.stringContaining(`ancora stream register audit --dir ${dir}`),
    });
    const register = await ancora(["stream", "register", "audit", "--dir", dir], admin);
    expect(register.code, register.stderr).toBe(0);
    expect(register.stdout).toMatch(
      /^registered stream audit \(0x[0-9a-f]{64}, transaction 0x[0-9a-f]{64}\)/,
    );
    expect(JSON.parse(readFileSync(join(dir, "ancora.json"), "utf8")).chain.streams).toEqual([
      "loans",
      "audit",
    ]);
    const again = await ancora(["stream", "register", "audit", "--dir", dir, "--json"], admin);
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout).error.message).toMatch(
      /ProvenanceRegistryStreamExists\(0x[0-9a-f]{64}\)/,
    );
    const streams = await ancora(["stream", "list", "--dir", dir, "--json"]);
    expect(streams.code, streams.stdout).toBe(0);
    expect(JSON.parse(streams.stdout).streams).toEqual([
      expect.objectContaining({
        name: "loans",
        status: "active",
        consistencyRequired: true,
        anchoredSize: "0",
      }),
      expect.objectContaining({
        name: "audit",
        status: "active",
        consistencyRequired: true,
        anchoredSize: "0",
      }),
    ]);
    const served = await serveOnce(dir, serving);
    expect(served.listening, served.stdout + served.stderr).toBe(true);
    expect(served.code).toBe(0);

    // Revoked again: gone from the list, and serve refuses once more.
    const revoke = await ancora(["roles", "revoke", "anchorer", SERVE_ADDRESS, "--dir", dir], admin);
    expect(revoke.code, revoke.stderr).toBe(0);
    const after = JSON.parse(
      (await ancora(["roles", "list", "--dir", dir, "--role", "anchorer", "--json"])).stdout,
    );
    expect(after.roles).toEqual({ anchorer: [DEPLOYER_ADDRESS] });
    expect((await serveOnce(dir, serving)).code).toBe(2);

    // Anchoring with that key anyway: the revert of the anchorer's simulation is printed decoded.
    const anchor = await ancora(["anchor", "--dir", dir, "--confirmations", "1", "--json"], serving);
    expect(anchor.code).toBe(2);
    expect(JSON.parse(anchor.stdout).error).toMatchObject({
      code: "ANCHOR_REVERTED",
      message: `The registry rejects the anchor (simulation): AccessControlUnauthorizedAccount(${SERVE_ADDRESS}, ANCHORER_ROLE)`,
    });
  }, 180_000);

  it("runs docs/operations.md's `pnpm run deploy -- --rpc-url …` as written", async () => {
    const out = join(work, "deployments", "local.json");
    // The documented line, with this test's node, accounts and output file.
    const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
      // pnpm itself: the one running this test when there is one (`pnpm run test:ts`), else from PATH.
      const viaPnpm = process.env.npm_execpath?.includes("pnpm") === true;
      execFile(
        viaPnpm ? process.execPath : "pnpm",
        [
          ...(viaPnpm ? [process.env.npm_execpath as string] : []),
          "run",
          "deploy",
          "--",
          "--rpc-url",
          chain.url,
          "--admin",
          DEPLOYER_ADDRESS,
          "--anchorer",
          SERVE_ADDRESS,
          "--stream",
          "loans",
          "--stream",
          "fraud",
          "--out",
          out,
          "--confirmations",
          "1",
        ],
        { cwd: ROOT, env: { ...process.env, ANCORA_DEPLOYER_KEY: HARDHAT_DEV_KEY }, timeout: 120_000 },
        (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : (error.code as number), output: stdout + stderr }),
      );
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toContain("Unexpected argument");
    const deployment = JSON.parse(readFileSync(out, "utf8")) as { address?: string; registry?: string };
    expect(JSON.stringify(deployment)).toContain(SERVE_ADDRESS);
    expect(JSON.stringify(deployment)).toContain("fraud");
  }, 180_000);

  it("deploy grants the anchorer role to ANCORA_PRIVATE_KEY's account when it is set", async () => {
    const dir = join(work, "with-key");
    expect((await ancora(["init", "--dir", dir, "--rpc", chain.url, "--port", "0"])).code).toBe(0);
    const deploy = await ancora(["deploy", "--dir", dir, "--stream", "loans", "--json"], {
      ANCORA_DEPLOYER_KEY: HARDHAT_DEV_KEY,
      ANCORA_PRIVATE_KEY: SERVE_KEY,
    });
    expect(deploy.code, deploy.stdout).toBe(0);
    expect(JSON.parse(deploy.stdout)).toMatchObject({ anchorers: [SERVE_ADDRESS], notes: [] });
    const roles = JSON.parse(
      (await ancora(["roles", "list", "--dir", dir, "--role", "anchorer", "--json"])).stdout,
    );
    expect(roles.roles.anchorer).toEqual([SERVE_ADDRESS]);
  }, 120_000);
});
