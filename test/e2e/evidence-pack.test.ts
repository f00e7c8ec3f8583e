/**
 * The EU AI Act evidence pack against a real chain: a log anchored on `hardhat node` (anchored-log.ts),
 * with records logged after the last anchor. The pack names the chain, registry, every anchor and the
 * unanchored tail, reports the chain cross-check with the verifier's codes, and ends with the command an
 * assessor runs; that command, run as written through a shell with only ANCORA_RPC_URL set, exits 0. A
 * tampered copy of the log gives a pack that says so (exit 1).
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createLogger, type EvidencePack, evidencePack, openStore } from "@ancora/sdk";
import { createApiKey, createService } from "@ancora/service";
import {
  BUNDLE_FILES,
  BUNDLE_MANIFESTS,
  BUNDLE_RECEIPTS,
  readTar,
  TAR_END,
  tarHeader,
  tarPadding,
  verifyEvidenceBundle,
} from "@ancora/verifier";
import { nodeSha256 } from "@ancora/verifier/node";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../packages/service/src/cli/io.ts";
import { runCli } from "../../packages/service/src/cli/program.ts";
import { HARDHAT_DEV_KEY } from "../../scripts/lib/local-chain.ts";
import { type AnchoredLog, STREAM, startAnchoredLog } from "./support/anchored-log.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const VERIFY_MAIN = join(ROOT, "packages/verifier/src/cli/main.ts");
const REGISTER = join(ROOT, "packages/verifier/src/testing/register-source.mjs");
const MODEL = { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` } as const;
const TAIL = 4;

let org: AnchoredLog;
let work: string;

beforeAll(async () => {
  org = await startAnchoredLog({ batches: 2, perBatch: 30 }); // decisions at seqs 4 to 63
  work = mkdtempSync(join(tmpdir(), "ancora-pack-e2e-"));
  // Decisions logged after the last anchor: the unanchored tail.
  const logger = createLogger({ path: org.db, stream: STREAM, model: MODEL, commitment: "plain" });
  for (let i = 0; i < TAIL; i++)
    await logger.log({ features: { late: i }, output: { score: 0.7 }, score: 0.7 });
  await logger.close();
}, 180_000);

afterAll(async () => {
  await org?.stop();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

async function ancora(argv: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    stdin: Readable.from([""]),
    env,
    cwd: work,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** Runs a command line through bash with `ancora-verify` on PATH (from the sources) and only `env` set. */
function shell(command: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const bin = join(work, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, "ancora-verify"),
    `#!/bin/sh\nexec '${process.execPath}' --conditions=@ancora/source --import '${REGISTER}' '${VERIFY_MAIN}' "$@"\n`,
    { mode: 0o755 },
  );
  const child = spawn("bash", ["-c", command], {
    env: {
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      NODE_COMPILE_CACHE: join(tmpdir(), "ancora-test-node-cache"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, out })));
}

describe("the evidence pack against a real chain", () => {
  let pack: EvidencePack;
  let markdown: string;

  beforeAll(async () => {
    const json = await ancora(
      [
        "export",
        "--db",
        org.db,
        "--stream",
        STREAM,
        "--format",
        "eu-ai-act",
        "--model",
        MODEL.id,
        "--ipfs",
        org.ipfs.gatewayUrl ?? "",
        "--json",
        "--out",
        "pack.json",
      ],
      { ANCORA_RPC_URL: org.chain.url },
    );
    expect(json.code, json.stdout + json.stderr).toBe(0);
    pack = JSON.parse(readFileSync(join(work, "pack.json"), "utf8")) as EvidencePack;
    const md = await ancora(
      [
        "export",
        ...["--db", org.db, "--stream", STREAM, "--format", "eu-ai-act", "--model", MODEL.id],
        ...["--ipfs", org.ipfs.gatewayUrl ?? ""],
      ],
      { ANCORA_RPC_URL: org.chain.url },
    );
    expect(md.code, md.stderr).toBe(0);
    markdown = md.stdout;
  }, 120_000);

  it("names the chain, the registry and every anchor with its transaction, block and time", async () => {
    expect(pack.chain).toEqual({
      chainId: 31337,
      name: "Anvil / Foundry / Hardhat",
      registry: org.registry,
      deploymentBlock: null,
      streamId: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    expect(pack.anchors).toHaveLength(org.anchors);
    const client = org.publicClient;
    for (const anchor of pack.anchors) {
      const receipt = await client.getTransactionReceipt({ hash: anchor.transaction as `0x${string}` });
      expect(anchor.block).toBe(String(receipt.blockNumber));
      const block = await client.getBlock({ blockNumber: receipt.blockNumber });
      expect(anchor.time).toBe(new Date(Number(block.timestamp) * 1000).toISOString());
      expect(anchor.confirmations).toBeGreaterThanOrEqual(1);
      expect(anchor.manifestCid).toMatch(/^baf/);
      expect(anchor.root).toMatch(/^0x[0-9a-f]{64}$/);
    }
    expect(pack.anchors.at(-1)?.size).toBe(org.records);
    expect(pack.unanchored).toMatchObject({ records: TAIL, decisions: TAIL, oldest: expect.any(String) });
  });

  it("reports the chain cross-check with the verifier's results", () => {
    expect(pack.verification.chain).toMatchObject({
      checked: true,
      ok: true,
      history: "events",
      anchors: org.anchors,
      anchoredSize: org.records,
      unanchored: TAIL,
      failureCount: 0,
      failures: [],
    });
    expect(pack.verification.ok).toBe(true);
    expect(markdown).toContain("**Against the chain:** verified");
    expect(markdown).toContain(`| registry (ProvenanceRegistry) | \`${org.registry}\` |`);
    expect(markdown).toContain(`${TAIL} records (${TAIL} decisions of this model), the oldest from`);
    // The RPC URL never goes into the pack (a provider's URL often holds an API key).
    expect(markdown).not.toContain(org.chain.url);
    expect(JSON.stringify(pack)).not.toContain(org.chain.url);
  });

  it("ends with the assessor's command, which passes as written with only public inputs", async () => {
    const command = pack.assessor?.command ?? "";
    expect(command).toBe(
      `ancora-verify --rpc "$ANCORA_RPC_URL" --registry ${org.registry} --ipfs ${org.ipfs.gatewayUrl} --stream ${STREAM}`,
    );
    expect(markdown.trimEnd().endsWith(`\`\`\`sh\n${command}\n\`\`\``)).toBe(true);
    const run = await shell(command, { ANCORA_RPC_URL: org.chain.url });
    expect(run.code, run.out).toBe(0);
    expect(run.out).toContain(STREAM);
    // Against another registry address the same command fails: it does check the chain.
    const wrong = await shell(command.replace(org.registry, `0x${"11".repeat(20)}`), {
      ANCORA_RPC_URL: org.chain.url,
    });
    expect(wrong.code).not.toBe(0);
  }, 120_000);

  it("says so when the log was tampered with, with the verifier's codes (exit 1)", async () => {
    const copy = join(work, "tampered.db");
    copyFileSync(org.db, copy);
    const db = new Database(copy);
    db.prepare("DELETE FROM records WHERE seq = 20").run();
    db.close();
    const run = await ancora(
      ["export", "--db", copy, "--stream", STREAM, "--format", "eu-ai-act", "--model", MODEL.id, "--json"],
      { ANCORA_RPC_URL: org.chain.url },
    );
    expect(run.code).toBe(1);
    const tampered = JSON.parse(run.stdout) as EvidencePack;
    expect(tampered.verification.ok).toBe(false);
    expect(tampered.verification.chain).toMatchObject({ checked: true, ok: false });
    const chain = tampered.verification.chain;
    if (!chain.checked) throw new Error("the tampered log was not checked against the chain");
    expect(chain.failures.length).toBeGreaterThan(0);
    expect(chain.failures[0]?.seq).toBe(20);
    expect(tampered.retention.covered).toBe(false);
  }, 60_000);

  it("takes the deployment block when it is known (SDK)", async () => {
    const store = openStore({ path: org.db, readonly: true });
    try {
      const withBlock = await evidencePack(store, {
        stream: STREAM,
        model: MODEL.id,
        chain: { publicClient: org.publicClient, deploymentBlock: 1n },
      });
      expect(withBlock.chain?.deploymentBlock).toBe("1");
      expect(withBlock.verification.chain).toMatchObject({ checked: true, ok: true });
      expect(withBlock.assessor?.command).toContain('--ipfs "$ANCORA_IPFS"');
    } finally {
      store.close();
    }
  }, 60_000);

  it("is served over HTTP as the CLI writes it, checked against the chain the service anchors to", async () => {
    const dataDir = join(work, "service");
    mkdirSync(dataDir);
    copyFileSync(org.db, join(dataDir, "ancora.db"));
    const { token } = createApiKey(dataDir, ["read"]);
    // Anchoring configured (its RPC URL and registry are what the pack is checked with), never due here.
    const service = await createService({
      dataDir,
      log: false,
      anchoring: {
        rpcUrl: org.chain.url,
        privateKey: HARDHAT_DEV_KEY,
        registry: org.registry,
        everyRecords: 1_000_000,
        everyMs: 3_600_000,
      },
    });
    try {
      const get = (accept: string) =>
        service.app.inject({
          method: "GET",
          url: `/v1/export/eu-ai-act?stream=${STREAM}&model=${MODEL.id}`,
          headers: { authorization: `Bearer ${token}`, accept },
        });
      const json = await get("application/json");
      expect(json.statusCode, json.body).toBe(200);
      const served = JSON.parse(json.body) as EvidencePack;
      const cli = await ancora(
        [
          "export",
          ...["--db", join(dataDir, "ancora.db"), "--stream", STREAM, "--format", "eu-ai-act"],
          ...["--model", MODEL.id, "--json"],
        ],
        { ANCORA_RPC_URL: org.chain.url },
      );
      expect(cli.code, cli.stderr).toBe(0);
      const written = JSON.parse(cli.stdout) as EvidencePack;
      const { generatedAt: _a, ...servedRest } = served;
      const { generatedAt: _b, ...writtenRest } = written;
      expect(servedRest).toEqual(writtenRest);
      expect(served.verification.chain).toMatchObject({ checked: true, ok: true });
      const html = await get("text/html");
      expect(html.headers["content-type"]).toMatch(/^text\/html/);
      expect(html.body).toContain(`<code>${org.registry}</code>`);
      const tar = await get("application/x-tar");
      expect(tar.statusCode).toBe(200);
      expect(tar.headers["content-type"]).toBe("application/x-tar");
      const archive = new Uint8Array(tar.rawPayload);
      const bundle = await verifyEvidenceBundle(archive, {
        publicClient: org.publicClient,
        sha256: nodeSha256,
      });
      expect(bundle.failures).toEqual([]);
      // The copy holds the log's main file only (the tail is in the writer's WAL): the pack says how many.
      expect(bundle).toMatchObject({
        ok: true,
        stream: STREAM,
        decisions: served.logging.decisions,
        anchors: org.anchors,
      });
      expect(bundle.receipts).toBeGreaterThan(0);
      const unknown = await service.app.inject({
        method: "GET",
        url: `/v1/export/eu-ai-act?stream=${STREAM}&model=nobody`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(unknown.statusCode).toBe(404);
      expect(JSON.parse(unknown.body).error.code).toBe("MODEL_UNKNOWN");
    } finally {
      await service.close();
    }
  }, 120_000);
});

describe("the evidence bundle, checked end to end against the chain", () => {
  const bundle = () => join(work, "evidence.tar");
  let files: Map<string, Uint8Array>;

  beforeAll(async () => {
    const run = await ancora(
      [
        "export",
        ...["--db", org.db, "--stream", STREAM, "--format", "eu-ai-act-bundle", "--model", MODEL.id],
        ...["--ipfs", org.ipfs.gatewayUrl ?? "", "--out", "evidence.tar", "--json"],
      ],
      { ANCORA_RPC_URL: org.chain.url },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      bytes: number;
      files: number;
      decisions: number;
      receipts: number;
    };
    const archive = readFileSync(bundle());
    expect(summary.bytes).toBe(archive.length);
    expect(summary.decisions).toBe(2 * 30 + TAIL); // 2 batches of 30, and the tail
    files = readTar(new Uint8Array(archive));
    expect(summary.files).toBe(files.size);
  }, 120_000);

  /** The bundle rebuilt with some files changed (SHA256SUMS rewritten unless `sums` is false). */
  function tampered(change: (files: Map<string, Uint8Array>) => void, sums = true): string {
    const copy = new Map(files);
    change(copy);
    if (sums) {
      const lines = [...copy]
        .filter(([name]) => name !== BUNDLE_FILES.sums)
        .map(
          ([name, bytes]) =>
            `${createHash("sha256").update(bytes).digest("hex")}  ${name.slice(BUNDLE_FILES.dir.length + 1)}`,
        );
      copy.set(BUNDLE_FILES.sums, new TextEncoder().encode(`${lines.join("\n")}\n`));
    }
    const parts: Uint8Array[] = [];
    for (const [name, bytes] of copy)
      parts.push(tarHeader(name, bytes.length, 0), bytes, tarPadding(bytes.length));
    parts.push(TAR_END);
    const file = join(work, `tampered-${Math.random().toString(16).slice(2)}.tar`);
    writeFileSync(file, Buffer.concat(parts));
    return file;
  }

  async function verifyPack(file: string) {
    const run = await shell(`ancora-verify --pack '${file}' --rpc "$ANCORA_RPC_URL" --json`, {
      ANCORA_RPC_URL: org.chain.url,
    });
    return {
      code: run.code,
      report: JSON.parse(run.out.trim().split("\n").at(-1) ?? "{}") as {
        ok: boolean;
        failures: { code: string; seq: number; expected: string }[];
        records: number;
      },
    };
  }

  it("holds the pack in three forms, the decisions, the config and label history, manifests, receipts and digests", () => {
    const names = [...files.keys()];
    expect(names).toEqual(
      expect.arrayContaining([
        BUNDLE_FILES.readme,
        BUNDLE_FILES.markdown,
        BUNDLE_FILES.html,
        BUNDLE_FILES.json,
        BUNDLE_FILES.decisions,
        BUNDLE_FILES.control,
        BUNDLE_FILES.sums,
      ]),
    );
    expect(names.filter((n) => n.startsWith(BUNDLE_MANIFESTS))).toHaveLength(org.anchors);
    expect(names.filter((n) => n.startsWith(BUNDLE_RECEIPTS)).length).toBeGreaterThan(0);
    expect(names.at(-1)).toBe(BUNDLE_FILES.sums);
    // GNU tar and sha256sum agree with the bundle's digests.
    const out = join(work, "extracted");
    mkdirSync(out, { recursive: true });
    execFileSync("tar", ["-xf", bundle(), "-C", out]);
    expect(
      execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: join(out, BUNDLE_FILES.dir), encoding: "utf8" }),
    ).not.toMatch(/FAILED/);
    const control = new TextDecoder().decode(files.get(BUNDLE_FILES.control));
    expect(
      control
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(`${l.slice(0, l.indexOf(',"record":'))}}`) as { seq: number }).seq),
    ).toEqual([0, 1, 2, 3]);
  });

  it("verifies with ancora-verify --pack against the chain (exit 0)", async () => {
    const { code, report } = await verifyPack(bundle());
    expect(report.failures).toEqual([]);
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, records: 2 * 30 + TAIL, mode: "pack" });
  }, 60_000);

  it.each([
    [
      "a byte of a decision changed (digest)",
      (f: Map<string, Uint8Array>) => {
        const bytes = Uint8Array.from(f.get(BUNDLE_FILES.decisions) as Uint8Array);
        const at = bytes.indexOf(0x5f) + 1; // somewhere inside the first record
        bytes[at] = (bytes[at] as number) ^ 1;
        f.set(BUNDLE_FILES.decisions, bytes);
      },
      false,
      "BUNDLE_DIGEST_MISMATCH",
    ],
    [
      "a decision's score edited, digests recomputed (CID)",
      (f: Map<string, Uint8Array>) => {
        const text = new TextDecoder().decode(f.get(BUNDLE_FILES.decisions));
        f.set(
          BUNDLE_FILES.decisions,
          new TextEncoder().encode(text.replace(/"score":0\.0?\d+/, '"score":0.99')),
        );
      },
      true,
      "BUNDLE_RECORD_CID_MISMATCH",
    ],
    [
      "a decision dropped, digests recomputed (count)",
      (f: Map<string, Uint8Array>) => {
        const lines = new TextDecoder().decode(f.get(BUNDLE_FILES.decisions)).split("\n");
        lines.splice(5, 1);
        f.set(BUNDLE_FILES.decisions, new TextEncoder().encode(lines.join("\n")));
      },
      true,
      "BUNDLE_DECISION_COUNT_MISMATCH",
    ],
    [
      "the manifests removed, digests recomputed (not anchored)",
      (f: Map<string, Uint8Array>) => {
        for (const name of [...f.keys()]) if (name.startsWith(BUNDLE_MANIFESTS)) f.delete(name);
      },
      true,
      "BUNDLE_RECORD_NOT_ANCHORED",
    ],
    [
      "an anchor's transaction rewritten in the pack, digests recomputed",
      (f: Map<string, Uint8Array>) => {
        const text = new TextDecoder().decode(f.get(BUNDLE_FILES.json));
        const pack = JSON.parse(text) as EvidencePack;
        (pack.anchors[0] as { transaction: string }).transaction = `0x${"ab".repeat(32)}`;
        f.set(BUNDLE_FILES.json, new TextEncoder().encode(JSON.stringify(pack)));
      },
      true,
      "BUNDLE_ANCHOR_NOT_ON_CHAIN",
    ],
    [
      "a file added that SHA256SUMS does not list",
      (f: Map<string, Uint8Array>) => f.set(`${BUNDLE_FILES.dir}/extra.txt`, new TextEncoder().encode("x")),
      false,
      "BUNDLE_FILE_UNLISTED",
    ],
  ])(
    "refuses a bundle with %s (exit 1)",
    async (_name, change, sums, code) => {
      const { code: exit, report } = await verifyPack(tampered(change, sums));
      expect(report.ok).toBe(false);
      expect(report.failures.map((f) => f.code)).toContain(code);
      expect(exit).toBe(1);
    },
    60_000,
  );

  it("needs an RPC endpoint and takes no other source with --pack (exit 2)", async () => {
    const alone = await shell(`ancora-verify --pack '${bundle()}' --json`, {});
    expect(alone.code).toBe(2);
    expect(alone.out).toContain("USAGE_CONFLICT");
    const mixed = await shell(`ancora-verify --pack '${bundle()}' --db x.db --rpc "$ANCORA_RPC_URL"`, {
      ANCORA_RPC_URL: org.chain.url,
    });
    expect(mixed.code).toBe(2);
  }, 60_000);

  it("refuses a file that is not a tar archive (exit 1, BUNDLE_MALFORMED)", async () => {
    const file = join(work, "not-a.tar");
    writeFileSync(file, "hello");
    const { code, report } = await verifyPack(file);
    expect(report.failures[0]?.code).toBe("BUNDLE_MALFORMED");
    expect(code).toBe(1);
  }, 60_000);
});
