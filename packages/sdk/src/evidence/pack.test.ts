/**
 * The evidence pack from a real SQLite log: one model's facts only, typed errors for an unknown stream
 * or model, anchors and the unanchored tail as the log records them, and the Markdown and HTML forms
 * (names before ids, counts with the right plural). The chain cross-check against a real node is in
 * test/e2e/evidence-pack.test.ts.
 */
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelUnknownError, StreamUnknownError } from "../errors.js";
import type { ProvenanceLogger } from "../logger.js";
import { CONFIG, MODEL, MODEL_B, tempStore } from "../testing/fixtures.js";
import { logTwoModels, type TwoModelLog } from "../testing/two-models.js";
import { evidencePack } from "./pack.js";
import { renderEvidencePack, renderEvidencePackHtml } from "./render.js";

let temp: ReturnType<typeof tempStore>;
let log: TwoModelLog;
let credit: ProvenanceLogger;
let fraud: ProvenanceLogger;

beforeEach(async () => {
  temp = tempStore();
  log = await logTwoModels(temp.path);
  ({ credit, fraud } = log);
});
afterEach(async () => {
  await log.close();
  temp.cleanup();
});

const REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

/** Confirmed anchor rows as the anchorer writes them (the chain itself is the e2e test's). */
function insertAnchors(anchors: { size: number; block: number }[], status = "confirmed"): void {
  const db = new Database(temp.path);
  const insert = db.prepare(
    `INSERT INTO anchors (chain_id, registry, stream_id, size, root, manifest_cid, status, origin, tx_hash,
       block_number, confirmations, submitted_at, updated_at)
     VALUES (31337, ?, 1, ?, ?, ?, ?, 'submitted', ?, ?, 3, 0, '2025-03-01T10:00:00.000Z')`,
  );
  for (const a of anchors) {
    insert.run(
      REGISTRY,
      a.size,
      Buffer.alloc(32, a.size),
      `bafkreimanifest${a.size}`,
      status,
      `0x${a.size.toString(16).padStart(64, "0")}`,
      a.block,
    );
  }
  db.close();
}

describe("evidence pack", () => {
  it("covers one model of one stream and never another model's records", async () => {
    const pack = await credit.evidencePack({ clock: () => new Date("2025-12-01T00:00:00.000Z") });
    expect(pack).toMatchObject({ format: "ancora.evidence-pack", version: 2 });
    expect(pack.scope).toEqual({ stream: "credit", model: { id: MODEL.id } });
    expect(pack.system).toMatchObject({
      stream: "credit",
      genesis: { seq: 0, org: "Example Bank" },
      streamSize: 29,
    });
    expect(pack.logging).toMatchObject({ decisions: 18 });
    expect(pack.logging.modelVersions).toEqual([
      expect.objectContaining({ version: MODEL.version, hash: MODEL.hash, decisions: 18 }),
    ]);
    expect(pack.configHistory.map((c) => [c.seq, c.threshold, c.changeReason, c.decisions])).toEqual([
      [3, 0.5, CONFIG.changeReason, 12],
      [22, 0.8, "drift review", 6],
    ]);
    expect(pack.configHistory[0]?.aboveLabel).toEqual({ id: "L001", name: "approve" });
    expect(pack.labels).toEqual([
      expect.objectContaining({ id: "L001", name: "approve" }),
      expect.objectContaining({
        id: "L002",
        name: "manual review",
        history: [expect.anything(), expect.anything()],
      }),
    ]);
    expect(pack.distribution.reduce((n, d) => n + d.decisions, 0)).toBe(18);
    expect(pack.checkpoints).toEqual([expect.objectContaining({ size: 29, anchored: false })]);
    expect(pack.verification).toMatchObject({ ok: true, local: { ok: true, checked: 29 } });
    expect(pack.retention).toMatchObject({ months: 6, covered: true });

    const json = JSON.stringify(pack);
    const markdown = renderEvidencePack(pack);
    const html = renderEvidencePackHtml(pack);
    for (const cid of log.otherCids) {
      expect(json).not.toContain(cid);
      expect(markdown).not.toContain(cid);
      expect(html).not.toContain(cid);
    }
    expect(json).not.toContain(MODEL_B.id);
    expect(markdown).toContain("# Evidence pack: credit-risk — stream `credit`");
    expect(markdown).toContain("Art. 12");
    expect(markdown).toContain("Art. 13(3)(f)");
    expect(markdown).toContain("drift review");
    expect(markdown).toContain("**verified**");
  });

  it("narrows to one model version, and covers the other model on its own", async () => {
    const b = await evidencePack(credit.store, {
      stream: "credit",
      model: { id: MODEL_B.id, version: MODEL_B.version },
    });
    expect(b.logging.decisions).toBe(5);
    expect(b.configHistory.map((c) => c.decisions)).toEqual([5, 0]);
    expect(JSON.stringify(b)).not.toContain(`"${MODEL.id}"`);
    await expect(
      evidencePack(credit.store, { stream: "credit", model: MODEL.id, retentionMonths: 3 }),
    ).rejects.toMatchObject({ code: "INVALID_OPTION" });
  });

  it("refuses an unknown stream, model or model version with a typed error, never an empty pack", async () => {
    const noModel = evidencePack(fraud.store, { stream: "fraud", model: MODEL_B.id });
    await expect(noModel).rejects.toBeInstanceOf(ModelUnknownError);
    await expect(noModel).rejects.toMatchObject({
      code: "MODEL_UNKNOWN",
      hint: expect.stringContaining(`${MODEL.id}@${MODEL.version}`),
    });
    await expect(
      evidencePack(credit.store, { stream: "credit", model: { id: MODEL.id, version: "9.9.9" } }),
    ).rejects.toMatchObject({ code: "MODEL_UNKNOWN", evidence: { version: "9.9.9" } });
    const noStream = evidencePack(credit.store, { stream: "nope", model: MODEL.id });
    await expect(noStream).rejects.toBeInstanceOf(StreamUnknownError);
    await expect(noStream).rejects.toMatchObject({ code: "STREAM_UNKNOWN" });
  });

  it("reports a failed verification in the pack and the report", async () => {
    const db = new Database(temp.path);
    db.prepare("DELETE FROM records WHERE stream_id = 1 AND seq = 8").run();
    db.close();
    const pack = await credit.evidencePack();
    expect(pack.verification).toMatchObject({ ok: false, local: { ok: false, firstBadSeq: 8 } });
    expect(pack.retention.covered).toBe(false);
    expect(renderEvidencePack(pack)).toContain("the first at seq 8");
    expect(renderEvidencePack(pack)).toContain("**FAILED**");
  });
});

describe("chain facts as the log records them", () => {
  it("says a never-anchored stream has nothing on chain and gives no assessor command", async () => {
    const pack = await credit.evidencePack();
    expect(pack.chain).toBeNull();
    expect(pack.anchors).toEqual([]);
    expect(pack.unanchored).toEqual({ records: 29, decisions: 18, oldest: pack.system.genesis.ts });
    expect(pack.verification.chain).toMatchObject({
      checked: false,
      reason: expect.stringContaining("never"),
    });
    expect(pack.assessor).toBeNull();
    expect(renderEvidencePack(pack)).toContain("no public evidence to re-verify");
  });

  it("lists the anchors that commit the model's decisions, the unanchored tail and the assessor's command", async () => {
    // Sizes 3 (genesis, labels, config: no decision), 10 and 20 anchored; 9 records after the last.
    insertAnchors([
      { size: 3, block: 5 },
      { size: 10, block: 7 },
      { size: 20, block: 9 },
    ]);
    insertAnchors([{ size: 25, block: 11 }], "submitted");
    const pack = await credit.evidencePack({ ipfs: "http://127.0.0.1:8080" });
    expect(pack.chain).toEqual({
      chainId: 31337,
      name: "Anvil / Foundry / Hardhat",
      registry: REGISTRY,
      deploymentBlock: null,
      streamId: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    // Seq 3 is the config; 4-9 hold credit-risk's first six decisions, 10-15 the next six, then model B.
    expect(pack.anchors.map((a) => [a.fromSeq, a.size, a.decisions, a.block, a.confirmations])).toEqual([
      [3, 10, 6, "7", 3],
      [10, 20, 6, "9", 3],
    ]);
    expect(pack.anchors[0]).toMatchObject({
      root: `0x${"0a".repeat(32)}`,
      manifestCid: "bafkreimanifest10",
      transaction: `0x${(10).toString(16).padStart(64, "0")}`,
      time: null,
    });
    const db = new Database(temp.path, { readonly: true });
    const tailStart = db.prepare("SELECT ts FROM records WHERE stream_id = 1 AND seq = 20").pluck().get();
    db.close();
    expect(pack.unanchored).toEqual({ records: 9, decisions: 6, oldest: tailStart });
    expect(pack.checkpoints).toEqual([expect.objectContaining({ size: 29, anchored: false })]);
    expect(pack.verification.chain).toMatchObject({
      checked: false,
      reason: expect.stringContaining("No RPC"),
    });
    expect(pack.verification.ok).toBe(true);
    expect(pack.assessor).toEqual({
      command: `ancora-verify --rpc "$ANCORA_RPC_URL" --registry ${REGISTRY} --ipfs http://127.0.0.1:8080 --stream credit`,
      env: { ANCORA_RPC_URL: expect.stringContaining("chain 31337 (Anvil / Foundry / Hardhat)") },
    });

    const markdown = renderEvidencePack(pack);
    expect(markdown).toContain(`| registry (ProvenanceRegistry) | \`${REGISTRY}\` |`);
    expect(markdown).toContain("| chain | Anvil / Foundry / Hardhat (chain id 31337) |");
    expect(markdown).toContain("9 records (6 decisions of this model), the oldest from");
    expect(markdown).toContain("**Against the chain: not checked.** No RPC endpoint");
    expect(markdown).toContain(`\`\`\`sh\n${pack.assessor?.command}\n\`\`\``);
    expect(markdown.trimEnd().endsWith("```")).toBe(true);
  });

  it("leaves the IPFS address to the assessor when it is not given", async () => {
    insertAnchors([{ size: 29, block: 4 }]);
    const pack = await credit.evidencePack();
    expect(pack.unanchored).toEqual({ records: 0, decisions: 0, oldest: null });
    expect(pack.assessor?.command).toContain('--ipfs "$ANCORA_IPFS"');
    expect(Object.keys(pack.assessor?.env ?? {})).toEqual(["ANCORA_RPC_URL", "ANCORA_IPFS"]);
    expect(renderEvidencePack(pack)).toContain("none: every record is anchored");
    expect(renderEvidencePack(pack)).toContain(
      "1 checkpoint stored; 1 anchor commits decisions of credit-risk.",
    );
  });
});

describe("readable forms", () => {
  it("puts names before label ids and counts with the right plural", async () => {
    const markdown = renderEvidencePack(await credit.evidencePack());
    expect(markdown).toContain("| current name | id | history |");
    expect(markdown).toMatch(/^\| approve \| L001 \| /m);
    expect(markdown).toMatch(/^\| manual review \| L002 \| /m);
    expect(markdown).toContain("| approve (L001) |");
    expect(markdown).toContain("1 checkpoint;");
    expect(markdown).toContain("29 records, 1 checkpoint;");
    expect(markdown).not.toMatch(/\b1 (checkpoints|records|anchors|decisions)\b/);
  });

  it("renders the same sections as HTML, escaped, with no script", async () => {
    credit.renameLabel("L001", "<b>approve</b> & go", { changedBy: "ops", changeReason: "test" });
    const pack = await credit.evidencePack();
    const markdown = renderEvidencePack(pack);
    const html = renderEvidencePackHtml(pack);
    const mdTitles = [...markdown.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    const htmlTitles = [...html.matchAll(/<h2>(.+?)<\/h2>/g)].map((m) => m[1]);
    expect(htmlTitles).toEqual(mdTitles);
    expect(mdTitles).toHaveLength(11);
    expect(html).toContain("&lt;b&gt;approve&lt;/b&gt; &amp; go");
    expect(html).not.toContain("<b>approve</b>");
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
