/**
 * The operator's commands that need no chain, in-process: `ancora keys create|list|revoke` against a
 * real data directory and a real service, `ancora verify --help`, and how contract reverts are printed
 * (decoded custom error and arguments, in text and in JSON).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ANCHORER_ROLE, encodeStreamId, provenanceRegistryAbi, RegistryRevertError } from "@ancora/contracts";
import { AncoraError } from "@ancora/core";
import { ContractFunctionRevertedError, encodeErrorResult } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { startService } from "../service.js";
import { cliRun, startCli } from "../testing/cli.js";
import { decision } from "../testing/test-service.js";
import { jsonError, printedError } from "./error-output.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-operator-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (argv: string[]) => cliRun(argv, { cwd: dir });

interface CreatedKey {
  id: string;
  scopes: string[];
  name?: string;
  token: string;
}

describe("ancora keys", () => {
  it("creates a write-only key that can log decisions and nothing else, printed once", async () => {
    expect((await cli(["init", "--dir", "data", "--port", "0"])).code).toBe(0);
    const run = await cli([
      "keys",
      "create",
      "--dir",
      "data",
      "--scope",
      "write",
      "--name",
      "ingest@loans",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const key = JSON.parse(run.stdout) as CreatedKey;
    expect(key).toMatchObject({
      scopes: ["write"],
      name: "ingest@loans",
      token: expect.stringMatching(/^ak_/),
    });
    expect(key.token.split("_")[1]).toBe(key.id);
    // Only a hash of the secret is kept.
    const secret = key.token.slice(`ak_${key.id}_`.length);
    expect(readFileSync(join(dir, "data", "api-keys.json"), "utf8")).not.toContain(secret);

    const running = await startService({ dataDir: join(dir, "data"), port: 0, log: false });
    try {
      const call = (path: string, body?: unknown) =>
        fetch(`${running.url}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: { authorization: `Bearer ${key.token}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      // Past authentication: the stream has no config yet (409), so the write scope was accepted.
      expect((await call("/v1/streams/loans/decisions", decision(1))).status).toBe(409);
      expect((await call("/v1/streams/loans/config", { threshold: 0.5 })).status).toBe(403);
      expect((await call("/v1/verify")).status).toBe(403);
    } finally {
      await running.close();
    }
  });

  it("lists keys without secrets, text and JSON, and revokes by id", async () => {
    await cli(["init", "--dir", "data", "--port", "0"]);
    const created = JSON.parse(
      (await cli(["keys", "create", "--dir", "data", "--scope", "read", "--json"])).stdout,
    ) as CreatedKey;
    const text = await cli(["keys", "list", "--dir", "data"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${created.id}  read  active`);
    const listed = JSON.parse((await cli(["keys", "list", "--dir", "data", "--json"])).stdout) as {
      keys: { id: string; scopes: string[]; revokedAt?: string }[];
    };
    expect(listed.keys.map((k) => k.scopes)).toEqual([["admin"], ["read"]]);
    for (const out of [text.stdout, JSON.stringify(listed)]) {
      expect(out).not.toContain(created.token);
      expect(out).not.toContain("sha256");
    }

    const revoked = await cli(["keys", "revoke", created.id, "--dir", "data", "--json"]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    const after = JSON.parse(
      (await cli(["keys", "list", "--dir", "data", "--json"])).stdout,
    ) as typeof listed;
    expect(after.keys.find((k) => k.id === created.id)?.revokedAt).toBeDefined();
    expect((await cli(["keys", "list", "--dir", "data"])).stdout).toMatch(
      new RegExp(`${created.id}  read  revoked`),
    );
  });

  it.each([
    [["keys", "create", "--dir", "data"], "USAGE"], // no --scope
    [["keys", "create", "--dir", "data", "--scope", "root"], "USAGE"],
    [["keys", "create", "--dir", "data", "--scope", "write", "--name", ""], "USAGE"],
    [["keys", "revoke", "not-an-id", "--dir", "data"], "USAGE"],
    [["keys", "revoke", "0123456789abcdef", "--dir", "data"], "KEY_NOT_FOUND"],
    [["keys", "list", "--dir", "elsewhere"], "CONFIG_NOT_FOUND"],
  ])("refuses %j with exit 2 and %s, changing no key", async (argv, code) => {
    await cli(["init", "--dir", "data", "--port", "0"]);
    const before = readFileSync(join(dir, "data", "api-keys.json"), "utf8");
    const run = await cli([...argv, "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error.code).toBe(code);
    expect(readFileSync(join(dir, "data", "api-keys.json"), "utf8")).toBe(before);
  });
});

describe("ancora serve", () => {
  /** A port something listens on until `close`. */
  async function busyPort(): Promise<{ port: number; close: () => Promise<void> }> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      port: (server.address() as { port: number }).port,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  it("refuses a port in use with PORT_IN_USE and a hint (it was UNEXPECTED)", async () => {
    await cli(["init", "--dir", "data", "--port", "0"]);
    const busy = await busyPort();
    try {
      const run = await cli(["serve", "--dir", "data", "--port", String(busy.port), "--json"]);
      expect(run.code).toBe(2);
      expect(JSON.parse(run.stdout).error).toMatchObject({
        code: "PORT_IN_USE",
        hint: expect.stringContaining("--port"),
      });
    } finally {
      await busy.close();
    }
  });

  it("takes --rpc; with no endpoint at all the hint names it, and an unreachable one is said and served", async () => {
    await cli(["init", "--dir", "data", "--port", "0"]);
    const path = join(dir, "data", "ancora.json");
    const config = JSON.parse(readFileSync(path, "utf8"));
    config.chain.registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    writeFileSync(path, JSON.stringify(config));
    const key = { ANCORA_PRIVATE_KEY: `0x${"11".repeat(32)}` };
    const none = await cliRun(["serve", "--dir", "data", "--json"], { cwd: dir, env: key });
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stdout).error.hint).toContain("--rpc");

    const closed = await busyPort();
    await closed.close(); // nothing listens there now
    let stop: (signal: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => {
      stop = resolve;
    });
    const run = startCli(
      ["serve", "--dir", "data", "--rpc", `http://127.0.0.1:${closed.port}`, "--port", "0", "--json"],
      { cwd: dir, env: key, stop: stopped },
    );
    const deadline = Date.now() + 30_000;
    while (!run.output().stdout.includes("\n") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    stop("SIGTERM");
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^\{"url":"http:\/\/127\.0\.0\.1:\d+"/);
    expect(done.stderr).toContain("ANCHORER_ROLE was not checked");
  }, 60_000);
});

describe("ancora verify --help", () => {
  it("prints the verifier's own flags", async () => {
    const run = await cli(["verify", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: ancora-verify/);
    expect(run.stdout).toContain("--registry <address>");
  });
});

describe("contract reverts", () => {
  const streamId = encodeStreamId("loans");
  const viemRevert = () =>
    new ContractFunctionRevertedError({
      abi: provenanceRegistryAbi,
      functionName: "anchor",
      data: encodeErrorResult({
        abi: provenanceRegistryAbi,
        errorName: "ProvenanceRegistryStaleTreeSize",
        args: [streamId, 5n, 7n],
      }),
    });

  it("names the custom error and its arguments for the registry's typed error", () => {
    const revert = viemRevert();
    const error = new RegistryRevertError("anchor", revert.data?.errorName, revert.data?.args ?? [], {
      cause: revert,
    });
    const printed = printedError(error);
    expect(printed.code).toBe("REGISTRY_REVERTED");
    expect(printed.hint).toContain("ancora roles list");
    expect(printed.message).toContain(`ProvenanceRegistryStaleTreeSize(${streamId}, 5, 7)`);
    // JSON carries the arguments too, bigints as decimal strings.
    expect(JSON.parse(jsonError(printed)).error.evidence.args).toEqual([streamId, "5", "7"]);
  });

  it("finds a viem revert along any error's causes, role ids by their contract names", () => {
    const unauthorized = new ContractFunctionRevertedError({
      abi: provenanceRegistryAbi,
      functionName: "anchor",
      data: encodeErrorResult({
        abi: provenanceRegistryAbi,
        errorName: "AccessControlUnauthorizedAccount",
        args: ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", ANCHORER_ROLE],
      }),
    });
    const wrapped = new AncoraError("ANCHOR_REVERTED", "The registry rejects the anchor (simulation)", {
      cause: unauthorized,
    });
    expect(printedError(wrapped).message).toBe(
      "The registry rejects the anchor (simulation): AccessControlUnauthorizedAccount(0x70997970C51812dc3A010C7d01b50e0d17dc79C8, ANCHORER_ROLE)",
    );
    const bare = printedError(new Error("outer", { cause: viemRevert() }));
    expect(bare.code).toBe("REGISTRY_REVERTED");
    expect(bare.message).toContain("ProvenanceRegistryStaleTreeSize(");
  });
});
