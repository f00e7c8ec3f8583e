/**
 * The IPFS node `ancora serve` starts, as ancora.json describes it: the listen and announce addresses
 * and the HTTP block gateway's host and port from the config, and the same peer id after a restart
 * (its key kept in the data directory with mode 0600). Each run is the CLI in-process, as typed.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cliRun, startCli } from "../testing/cli.js";
import { defaultConfig, loadConfig, saveConfig } from "./config.js";

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), "ancora-serve-ipfs-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

interface Served {
  url: string;
  ipfs: string[];
  gateway?: string;
}

/** Runs `serve --json` until its first line, then stops it; what it printed. */
async function serveOnce(dir: string): Promise<Served> {
  let stop: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const run = startCli(["serve", "--dir", dir, "--port", "0", "--json"], { cwd: work, stop: stopped });
  let ended = false;
  void run.done.then(() => {
    ended = true;
  });
  await expect.poll(() => ended || run.output().stdout.includes("\n"), { timeout: 30_000 }).toBe(true);
  stop("SIGTERM");
  const done = await run.done;
  expect(done.code, done.stderr).toBe(0);
  return JSON.parse(done.stdout.split("\n")[0] as string) as Served;
}

describe("ancora serve's IPFS node", { timeout: 60_000 }, () => {
  it("listens, announces and serves its gateway where ancora.json says, under one peer id", async () => {
    const dir = join(work, "data");
    expect((await cliRun(["init", "--dir", dir, "--ipfs"], { cwd: work })).code).toBe(0);
    const config = loadConfig(dir);
    saveConfig(dir, {
      ...config,
      ipfs: {
        ...config.ipfs,
        listen: ["/ip4/127.0.0.1/tcp/0"],
        announce: ["/dns4/ipfs.example.org/tcp/4001"],
        gateway: { enabled: true, host: "127.0.0.1", port: 0 },
      },
    });
    const first = await serveOnce(dir);
    expect(first.ipfs).toEqual([
      expect.stringMatching(/^\/dns4\/ipfs\.example\.org\/tcp\/4001\/p2p\/12D3Koo/),
    ]);
    expect(first.gateway).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(statSync(join(dir, "ipfs-identity.key")).mode & 0o777).toBe(0o600);

    const second = await serveOnce(dir);
    expect(second.ipfs).toEqual(first.ipfs); // same peer id after a restart

    // No gateway when the config says so, and a new peer id each start without an identity file.
    saveConfig(dir, {
      ...loadConfig(dir),
      ipfs: {
        ...defaultConfig().ipfs,
        enabled: true,
        identityFile: null,
        gateway: { enabled: false, host: "127.0.0.1", port: 0 },
      },
    });
    const third = await serveOnce(dir);
    expect(third.gateway).toBeUndefined();
    expect(third.ipfs[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//);
    expect(third.ipfs[0]?.split("/p2p/")[1]).not.toBe(first.ipfs[0]?.split("/p2p/")[1]);
  });

  it("refuses an ancora.json with an unknown IPFS key, naming it, before starting anything", async () => {
    const dir = join(work, "data");
    expect((await cliRun(["init", "--dir", dir, "--ipfs"], { cwd: work })).code).toBe(0);
    const path = join(dir, "ancora.json");
    const raw = JSON.parse(readFileSync(path, "utf8"));
    raw.ipfs.listne = ["/ip4/0.0.0.0/tcp/4001"];
    writeFileSync(path, JSON.stringify(raw));
    const run = await cliRun(["serve", "--dir", dir, "--port", "0"], { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error CONFIG_INVALID: ancora\.json: ipfs\.listne is not a setting/);
    expect(run.stdout).toBe("");
  });
});
