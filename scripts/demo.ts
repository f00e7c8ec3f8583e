/**
 * `make demo`: the main path of Ancora on embedded defaults, end to end, with real parts.
 *
 *  1. starts a local chain (`hardhat node` on 127.0.0.1) and deploys a ProvenanceRegistry;
 *  2. wraps a toy loan scorer with the SDK's ProvenanceLogger over a fresh SQLite file and logs decisions;
 *  3. checkpoints the log and anchors the checkpoint on chain, twice, the second time with an RFC 6962
 *     consistency proof that the contract checks;
 *  4. verifies: the local log, the chain's anchor history against its chained head, one decision's
 *     inclusion with the contract's own view, and that decision's receipt offline;
 *  5. tampers with a copy of the database and shows the first bad record being found.
 *
 * The chain's key is Hardhat's well-known development key, refused on any chain but the local one.
 * Anchoring goes through the SDK's anchorer: batch manifest v1 (its digest is what the contract stores),
 * a consistency proof from the chain's latest checkpoint, confirmations, and receipts from the store.
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createRegistryReader,
  deployRegistry,
  encodeStreamId,
  grantAnchorer,
  registerStream,
} from "@ancora/contracts";
import { type Checkpoint, hashLeaf, parseBlockCid, receiptToJSON, verifyReceiptOffline } from "@ancora/core";
import { createAnchorer, createLogger, openStore } from "@ancora/sdk";
import Database from "better-sqlite3";
import { type Hex, toHex } from "viem";
import { localClients, startLocalChain } from "./lib/local-chain.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WORK = join(ROOT, ".demo");
const DB = join(WORK, "ancora.sqlite");
const STREAM = "loans";
const DECISIONS_PER_BATCH = Number(process.env.ANCORA_DEMO_DECISIONS ?? 2_000);

const step = (n: number, text: string): void => console.log(`\n\x1b[1m${n}. ${text}\x1b[0m`);
const ok = (text: string): void => console.log(`   \x1b[32m✔\x1b[0m ${text}`);
const bad = (text: string): void => console.log(`   \x1b[31m✘\x1b[0m ${text}`);
const info = (text: string): void => console.log(`   ${text}`);
const hex = (bytes: Uint8Array): Hex => toHex(bytes);

/** A deterministic toy credit model: the thing the SDK wraps. */
function loanScorer(applicant: { income: number; debt: number; years: number }): { score: number } {
  const ratio = applicant.debt / Math.max(applicant.income, 1);
  const score = Math.max(0, Math.min(1, 0.9 - ratio * 0.8 + Math.min(applicant.years, 10) * 0.02));
  return { score: Math.round(score * 1000) / 1000 };
}

function progress(done: number, total: number): void {
  if (!process.stdout.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stdout.write(`\r   [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stdout.write("\r\x1b[K");
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });

  step(1, "Local chain and registry");
  const chain = await startLocalChain();
  try {
    const { account, publicClient, walletClient: wallet } = localClients(chain);
    const deployment = await deployRegistry(wallet, publicClient, { admin: account.address });
    const streamId = encodeStreamId(STREAM);
    await registerStream(wallet, publicClient, {
      registry: deployment.address,
      streamId,
      metadata: JSON.stringify({ name: STREAM, model: "loan_scorer" }),
      consistencyRequired: true,
    });
    await grantAnchorer(wallet, publicClient, { registry: deployment.address, account: account.address });
    ok(`hardhat node at ${chain.url} (chain ${chain.chainId})`);
    ok(`ProvenanceRegistry at ${deployment.address}, stream "${STREAM}" = ${streamId.slice(0, 18)}…`);

    step(2, "The SDK's logger around a loan scorer");
    const logger = createLogger({
      path: DB,
      stream: STREAM,
      model: { id: "loan_scorer", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` },
      commitment: "salted",
      createdBy: "demo",
      registry: { chainId: chain.chainId, address: deployment.address.toLowerCase() },
    });
    const config = logger.setConfig({
      threshold: 0.6,
      aboveLabel: "approved",
      belowLabel: "denied",
      changedBy: "risk-team",
      changeReason: "initial policy for the demo",
    });
    ok(
      `config ${config.cid.slice(0, 16)}… threshold 0.6, labels ${config.definedLabels.map((l) => `${l.id}=${l.name}`).join(", ")}`,
    );
    const scored = logger.wrap(loanScorer, { score: (output) => output.score });
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const applicant = () => ({
      income: Math.round(20_000 + random() * 100_000),
      debt: Math.round(random() * 60_000),
      years: Math.floor(random() * 15),
    });

    const anchored: Array<{ checkpoint: Checkpoint; txHash: Hex; blockNumber: bigint }> = [];
    const store = logger.store;
    const anchorer = createAnchorer({
      store,
      streams: STREAM,
      registry: deployment.address,
      publicClient,
      walletClient: wallet,
      policy: false, // the demo checkpoints by hand; a service would use { everyRecords, everyMs }
      confirmations: 1, // hardhat node mines one block per transaction
      pollIntervalMs: 50,
    });
    for (let batch = 0; batch < 2; batch++) {
      step(
        3 + batch,
        `Batch ${batch + 1}: log decisions, checkpoint, anchor${batch === 0 ? "" : " with a consistency proof"}`,
      );
      const started = performance.now();
      for (let i = 0; i < DECISIONS_PER_BATCH; i++) {
        scored(applicant());
        if (i % 100 === 0) progress(i, DECISIONS_PER_BATCH);
      }
      await logger.flush();
      progress(DECISIONS_PER_BATCH, DECISIONS_PER_BATCH);
      const ms = performance.now() - started;
      ok(`${DECISIONS_PER_BATCH} decisions logged durably in ${ms.toFixed(0)} ms`);

      // The SDK's anchorer: reads the chain's latest checkpoint, builds and stores the batch manifest
      // (manifest v1, chained to the previous one), sends anchorWithConsistency with an RFC 9162 proof,
      // and records the anchor once it has its confirmations.
      const checkpoint = logger.checkpoint();
      const previous = anchored.at(-1)?.checkpoint;
      if (!(await anchorer.drain({ timeoutMs: 60_000 }))) {
        throw new Error(`anchoring did not finish: ${JSON.stringify(anchorer.backlog())}`);
      }
      const anchor = store
        .anchors(STREAM)
        .find((a) => a.size === checkpoint.size && a.status === "confirmed");
      if (anchor === undefined) throw new Error(`checkpoint ${checkpoint.size} was not anchored`);
      const tx = await publicClient.getTransactionReceipt({ hash: anchor.txHash as Hex });
      const consistencyProof =
        previous === undefined ? [] : store.consistencyProof(STREAM, previous.size, checkpoint.size).proof;
      anchored.push({ checkpoint, txHash: tx.transactionHash, blockNumber: tx.blockNumber });
      ok(
        `size ${checkpoint.size}, root ${hex(checkpoint.root).slice(0, 18)}… anchored in block ${tx.blockNumber} (${tx.gasUsed} gas${previous ? `, consistency proof of ${consistencyProof.length} hashes checked on chain` : ""})`,
      );
      ok(
        `batch manifest ${anchor.manifestCid.slice(0, 20)}… lists seqs ${previous?.size ?? 0}…${checkpoint.size - 1}`,
      );
    }

    step(5, "Verification");
    const local = logger.verify();
    if (!local.ok) throw new Error(`local log does not verify: ${JSON.stringify(local.failures[0])}`);
    ok(
      `local log: ${local.checked} records re-derived from their bytes (CIDs, prev links, configs, labels, roots)`,
    );

    const reader = createRegistryReader(publicClient, deployment.address);
    const history = await reader.verifyHistory(streamId);
    ok(`chain: ${history.anchors.length} anchors replayed from events reproduce the stored chained head`);
    const latest = await reader.latestCheckpoint(streamId);
    const last = anchored.at(-1);
    if (last === undefined) throw new Error("nothing anchored");
    if (latest.treeSize !== BigInt(last.checkpoint.size) || latest.root !== hex(last.checkpoint.root)) {
      throw new Error("on-chain checkpoint differs from the local one");
    }
    ok(`chain: latest anchored checkpoint equals the local root at size ${latest.treeSize}`);

    const seq = Math.floor(last.checkpoint.size / 2);
    const proof = store.inclusionProof(STREAM, seq, last.checkpoint.size);
    const record = store.get(STREAM, seq);
    if (record === undefined) throw new Error(`record ${seq} missing`);
    const leafHash = hex(hashLeaf(parseBlockCid(record.cid)?.bytes ?? new Uint8Array()));
    const onChain = await reader.verifyInclusion(streamId, {
      leafHash,
      index: BigInt(seq),
      treeSize: BigInt(last.checkpoint.size),
      auditPath: proof.proof.map(hex),
    });
    (onChain ? ok : bad)(`decision #${seq}: the contract's verifyInclusion view says ${onChain}`);

    const receipt = logger.receipt(seq); // proof to the latest confirmed anchor covering seq
    const offline = verifyReceiptOffline(receipt);
    (offline.ok ? ok : bad)(
      `decision #${seq}: receipt verifies offline (record → CID → leaf → anchored root)`,
    );
    const receiptJson = JSON.stringify(receiptToJSON(receipt));
    info(
      `   receipt: ${receiptJson.length} bytes of JSON; record ${record.record.kind} label ${"label" in record.record.body ? record.record.body.label : "-"}`,
    );
    await logger.close();

    step(6, "Tampering with a copy of the database");
    const tampered = join(WORK, "tampered.sqlite");
    copyFileSync(DB, tampered);
    const target = seq - 10;
    const db = new Database(tampered);
    const row = db.prepare("SELECT bytes FROM records WHERE seq = ?").get(target) as
      | { bytes: Buffer }
      | undefined;
    if (row === undefined) throw new Error("no row to tamper with");
    const edited = Buffer.from(
      row.bytes.toString("utf8").replace(/"L00(\d)"/, (_, d) => `"L00${d === "1" ? "2" : "1"}"`),
    );
    db.prepare("UPDATE records SET bytes = ? WHERE seq = ?").run(edited, target);
    db.close();
    const check = openStore({ path: tampered });
    const result = check.verify();
    check.close();
    const first = result.failures[0];
    if (result.ok || first === undefined) {
      bad("the edit was not detected");
      process.exitCode = 1;
    } else {
      ok(
        `decision #${target}'s label flipped with plain SQL: verify() reports ${first.code} at seq ${first.seq}`,
      );
    }
    console.log(`\nDone. The log is in ${DB}; \`make test\` runs the full suite.`);
  } finally {
    await chain.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
