/**
 * `make demo`: the whole story on embedded defaults, every part real and in its own process.
 *
 *  1. a local chain (`hardhat node` on 127.0.0.1);
 *  2. the operator: `ancora init` (data directory, admin API key), `ancora deploy` (ProvenanceRegistry,
 *     stream "loans", anchorer role), `ancora serve` (HTTP service, embedded IPFS node, anchoring);
 *  3. a loan-scoring inference service sending decisions over HTTP, with a threshold change half-way
 *     (and its reason), then waiting until everything is anchored;
 *  4. an outside auditor: `ancora-verify` with only the RPC URL, the registry address and the IPFS
 *     address (no database), and one decision's receipt checked against the chain;
 *  5. the deployer's EU AI Act evidence pack (`ancora export --format eu-ai-act`), verified against the
 *     chain, and the assessor running the command at its end, as written;
 *  6. tampering: two copies of the database are altered (a record's bytes edited; the tail deleted)
 *     and the verifier, checking them against the chain, names the first bad record.
 *
 * Everything is left in one folder, printed at the start and the end. Every process started is stopped.
 * The chain key is Hardhat's public development key: it lives only in the children's environment and
 * is refused by `ancora` on any chain but the local one (31337).
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ReceiptJSON } from "@ancora/core";
import { VERIFY_PAGE_PATH, verifyPageLink } from "@ancora/verify-page/link";
import Database from "better-sqlite3";
import { HARDHAT_DEV_KEY, startLocalChain } from "./lib/local-chain.ts";
import { ANCORA_BIN, type Daemon, run, runShell, startDaemon, stopAll, VERIFY_BIN } from "./lib/processes.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
// ANCORA_DEMO_DIR puts the run elsewhere (two runs on one checkout must not share a folder).
const WORK = process.env.ANCORA_DEMO_DIR ?? join(ROOT, ".demo");
const DATA = join(WORK, "data");
const STREAM = "loans";
const DECISIONS = Number(process.env.ANCORA_DEMO_DECISIONS ?? 3_000);
const CLIENTS = 16;
const MODEL = { id: "loan_scorer", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` };
const KEYS = { ANCORA_DEPLOYER_KEY: HARDHAT_DEV_KEY, ANCORA_PRIVATE_KEY: HARDHAT_DEV_KEY };

const tty = process.stdout.isTTY === true;
const paint = (code: string, text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const step = (n: number, text: string): void => console.log(`\n${paint("1", `${n}. ${text}`)}`);
const ok = (text: string): void => console.log(`   ${paint("32", "✔")} ${text}`);
const info = (text: string): void => console.log(`     ${text}`);
const indent = (text: string): string =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => `     │ ${line}`)
    .join("\n");

function progress(done: number, total: number): void {
  if (!tty) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stdout.write(`\r     [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stdout.write("\r\x1b[K");
}

/** Fails the demo with the command's own output: a demo that hides a failure would be worse than none. */
function expectExit(
  what: string,
  result: { code: number | null; stdout: string; stderr: string },
  code: number,
) {
  if (result.code === code) return;
  throw new Error(`${what} exited with ${result.code}, expected ${code}\n${result.stdout}\n${result.stderr}`);
}

/** A deterministic stream of loan applicants and the toy scorer the inference service runs. */
function applicants() {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return () => {
    const input = {
      income: Math.round(20_000 + random() * 100_000),
      debt: Math.round(random() * 60_000),
      years: Math.floor(random() * 15),
    };
    const ratio = input.debt / Math.max(input.income, 1);
    const score = Math.max(0, Math.min(1, 0.9 - ratio * 0.8 + Math.min(input.years, 10) * 0.02));
    return { input, score: Math.round(score * 1000) / 1000 };
  };
}

interface Api {
  post(path: string, body: unknown): Promise<{ status: number; json: unknown }>;
  get(path: string): Promise<{ status: number; text: string }>;
}

function api(url: string, apiKey: string): Api {
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  return {
    async post(path, body) {
      const response = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
      return { status: response.status, json: await response.json() };
    },
    async get(path) {
      const response = await fetch(`${url}${path}`, { headers });
      return { status: response.status, text: await response.text() };
    },
  };
}

/** Records of the stream not yet covered by a confirmed anchor, from the service's Prometheus metrics. */
async function anchorLag(client: Api): Promise<number | undefined> {
  const { text } = await client.get("/metrics");
  const line = text.split("\n").find((l) => l.startsWith(`ancora_anchor_lag_records{stream="${STREAM}"}`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  console.log(`Ancora demo: every file it writes is in ${WORK}`);

  step(1, "A local chain");
  const chain = await startLocalChain();
  let service: Daemon | undefined;
  try {
    ok(`hardhat node at ${chain.url} (chain ${chain.chainId})`);

    step(2, "The operator sets up Ancora: ancora init, ancora deploy, ancora serve");
    const init = await run(ANCORA_BIN, [
      "init",
      "--dir",
      DATA,
      "--rpc",
      chain.url,
      "--ipfs",
      "--port",
      "0",
      "--json",
    ]);
    expectExit("ancora init", init, 0);
    const apiKey = (JSON.parse(init.stdout) as { apiKey: { token: string } }).apiKey.token;
    ok(`data directory ${DATA}: config, API keys (stored hashed), admin key issued once`);
    // A demo wants anchors within seconds; production policies are minutes (docs/operations.md).
    const configPath = join(DATA, "ancora.json");
    const config = JSON.parse(readFileSync(configPath, "utf8"));
    config.anchoring = { enabled: true, everyRecords: 500, everyMs: 2_000 };
    config.chain.confirmations = 1;
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
    info("anchoring policy: every 500 records or 2 s, 1 confirmation (hardhat mines at once)");
    const deploy = await run(ANCORA_BIN, ["deploy", "--dir", DATA, "--stream", STREAM, "--json"], {
      env: KEYS,
    });
    expectExit("ancora deploy", deploy, 0);
    const { registry } = JSON.parse(deploy.stdout) as { registry: string };
    ok(`ProvenanceRegistry at ${registry}; stream "${STREAM}" registered (consistency proofs required)`);
    service = await startDaemon(ANCORA_BIN, ["serve", "--dir", DATA, "--json"], {
      env: KEYS,
      logFile: join(WORK, "service.log"),
      isReady: (line) => line.startsWith('{"url":'),
    });
    const { url, ipfs, gateway } = JSON.parse(service.readyLine) as {
      url: string;
      ipfs: string[];
      gateway?: string;
    };
    const ipfsAddress = ipfs[0];
    if (ipfsAddress === undefined) throw new Error("the service started without its IPFS node");
    ok(`service at ${url} (log: .demo/service.log)`);
    ok(`embedded IPFS node at ${ipfsAddress}`);
    if (gateway !== undefined)
      info(`its blocks also over HTTP at ${gateway} (--ipfs ${gateway} for bulk fetching)`);

    step(3, `An inference service scores ${DECISIONS.toLocaleString("en-US")} loan applications over HTTP`);
    const client = api(url, apiKey);
    const configure = async (threshold: number, reason: string) => {
      const r = await client.post(`/v1/streams/${STREAM}/config`, {
        threshold,
        aboveLabel: "approved",
        belowLabel: "denied",
        changedBy: "risk-team",
        changeReason: reason,
      });
      if (r.status !== 201 && r.status !== 200)
        throw new Error(`config: HTTP ${r.status} ${JSON.stringify(r.json)}`);
      return r.json as { seq: number; cid: string };
    };
    const first = await configure(0.6, "initial credit policy");
    ok(`config #${first.seq}: threshold 0.6 ("initial credit policy")`);
    const next = applicants();
    let sent = 0;
    let approved = 0;
    let changed: { seq: number; cid: string } | undefined;
    const started = performance.now();
    const worker = async () => {
      while (sent < DECISIONS) {
        sent++;
        if (sent === Math.floor(DECISIONS / 2) && changed === undefined) {
          changed = await configure(0.55, "Q3 recalibration: approval rate below target after drift review");
        }
        const { input, score } = next();
        const r = await client.post(`/v1/streams/${STREAM}/decisions`, {
          model: MODEL,
          input,
          output: { score },
          score,
        });
        if (r.status !== 201) throw new Error(`decision: HTTP ${r.status} ${JSON.stringify(r.json)}`);
        if ((r.json as { labelName?: string }).labelName === "approved") approved++;
        progress(Math.min(sent, DECISIONS), DECISIONS);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, worker));
    const seconds = (performance.now() - started) / 1000;
    ok(
      `${DECISIONS.toLocaleString("en-US")} decisions in ${seconds.toFixed(1)} s from ${CLIENTS} clients, each durable before its answer`,
    );
    if (changed !== undefined) ok(`config #${changed.seq} half-way: threshold 0.55 ("Q3 recalibration: …")`);
    info(
      `${approved} approved, ${DECISIONS - approved} denied; each label resolved from the config current at the time`,
    );
    const waitStart = performance.now();
    for (;;) {
      const lag = await anchorLag(client);
      if (lag === 0) break;
      if (performance.now() - waitStart > 180_000) throw new Error(`anchoring did not catch up (lag ${lag})`);
      await new Promise((r) => setTimeout(r, 250));
    }
    ok(
      `every record anchored (${((performance.now() - waitStart) / 1000).toFixed(1)} s after the last decision)`,
    );

    step(4, "An outside auditor verifies with only the RPC URL, the registry address and the IPFS address");
    info(`$ ancora-verify --rpc ${chain.url} --registry ${registry} --ipfs ${ipfsAddress}`);
    const audit = await run(VERIFY_BIN, ["--rpc", chain.url, "--registry", registry, "--ipfs", ipfsAddress]);
    console.log(indent(audit.stdout || audit.stderr));
    expectExit("ancora-verify (public)", audit, 0);
    ok(
      "exit 0: every anchored record fetched from IPFS, checked against its CID, the chain of manifests and the anchors",
    );

    const seq = Math.floor(DECISIONS / 3);
    const record = await client.get(`/v1/streams/${STREAM}/records/${seq}`);
    const { receipt, verifyUrl } = JSON.parse(record.text) as { receipt: ReceiptJSON; verifyUrl: string };
    const receiptFile = join(WORK, `receipt-${STREAM}-${seq}.json`);
    writeFileSync(receiptFile, `${JSON.stringify(receipt, null, 2)}\n`);
    info(`$ ancora-verify --receipt .demo/receipt-${STREAM}-${seq}.json --rpc ${chain.url}`);
    const checked = await run(VERIFY_BIN, ["--receipt", receiptFile, "--rpc", chain.url]);
    console.log(indent(checked.stdout || checked.stderr));
    expectExit("ancora-verify (receipt)", checked, 0);
    ok(`decision #${seq}'s receipt (${readFileSync(receiptFile).length} bytes) verifies against the chain`);
    // The same receipt in a browser: the service serves the page, the receipt rides in the link's
    // fragment (never sent to a server), and the page asks this chain node and gateway itself.
    const page = await fetch(`${url}${verifyUrl.split("#")[0]}`);
    if (page.status !== 200) throw new Error(`${url}/verify answered ${page.status}: is the page built?`);
    const link = verifyPageLink(`${url}${VERIFY_PAGE_PATH}`, receipt, {
      rpc: chain.url,
      ...(gateway === undefined ? {} : { gateway }),
    });
    ok(
      `the same receipt in a browser: ${url}${VERIFY_PAGE_PATH} (this link carries the receipt, the chain node and the gateway; they stop when the demo ends)`,
    );
    info(link);

    step(5, "The deployer hands an EU AI Act evidence pack to an assessor, who re-verifies it");
    const packFile = join(WORK, `evidence-${MODEL.id}.md`);
    const publicIpfs = gateway ?? ipfsAddress;
    for (const [file, flags] of [
      [packFile, []],
      [packFile.replace(/\.md$/, ".json"), ["--json"]],
    ] as const) {
      const exported = await run(ANCORA_BIN, [
        ...["export", "--dir", DATA, "--stream", STREAM, "--format", "eu-ai-act", "--model", MODEL.id],
        ...["--ipfs", publicIpfs, "--out", file, ...flags],
      ]);
      expectExit("ancora export --format eu-ai-act", exported, 0);
    }
    info(
      `$ ancora export --dir .demo/data --stream ${STREAM} --format eu-ai-act --model ${MODEL.id} --ipfs … --out .demo/${basename(packFile)}`,
    );
    const pack = JSON.parse(readFileSync(packFile.replace(/\.md$/, ".json"), "utf8")) as {
      anchors: unknown[];
      unanchored: { records: number };
      verification: { chain: { checked: boolean; ok?: boolean } };
      assessor: { command: string } | null;
    };
    if (!pack.verification.chain.checked || pack.verification.chain.ok !== true || pack.assessor === null) {
      throw new Error("the evidence pack was not verified against the chain");
    }
    ok(
      `.demo/${basename(packFile)} (and .json): chain, registry, ${pack.anchors.length} ${pack.anchors.length === 1 ? "anchor" : "anchors"}, ${pack.unanchored.records} unanchored ${pack.unanchored.records === 1 ? "record" : "records"}; verified against the chain`,
    );
    // The assessor runs the pack's last command as written, with an RPC endpoint of their own.
    info(`$ ANCORA_RPC_URL=${chain.url} ${pack.assessor.command}`);
    const assessed = await runShell(pack.assessor.command, { env: { ANCORA_RPC_URL: chain.url } });
    console.log(indent(assessed.stdout || assessed.stderr));
    expectExit("the pack's assessor command", assessed, 0);
    ok("exit 0: the assessor re-verified the pack's stream from the chain and IPFS alone");
    const bundleFile = packFile.replace(/\.md$/, ".tar");
    const bundled = await run(ANCORA_BIN, [
      ...["export", "--dir", DATA, "--stream", STREAM, "--format", "eu-ai-act-bundle", "--model", MODEL.id],
      ...["--ipfs", publicIpfs, "--out", bundleFile, "--json"],
    ]);
    expectExit("ancora export --format eu-ai-act-bundle", bundled, 0);
    const written = JSON.parse(bundled.stdout) as { bytes: number; files: number; receipts: number };
    ok(
      `.demo/${basename(bundleFile)}: the bundle to hand over (${written.bytes.toLocaleString("en-US")} bytes, ${written.files} files, ${written.receipts} receipts)`,
    );
    info(`$ ancora-verify --pack .demo/${basename(bundleFile)} --rpc ${chain.url}`);
    const bundleCheck = await run(VERIFY_BIN, ["--pack", bundleFile, "--rpc", chain.url]);
    console.log(indent(bundleCheck.stdout || bundleCheck.stderr));
    expectExit("ancora-verify --pack", bundleCheck, 0);
    ok(
      "exit 0: every file's digest, every decision's CID in an anchored manifest, every anchor and receipt on chain",
    );

    step(6, "Someone with database access tampers with the log; the verifier catches it");
    await service.stop();
    service = undefined;
    ok("service stopped gracefully (everything acknowledged is in the log)");
    const original = join(DATA, "ancora.db");
    const edited = join(WORK, "tampered-edit.db");
    const truncated = join(WORK, "tampered-truncate.db");
    copyFileSync(original, edited);
    copyFileSync(original, truncated);
    const target = seq + 7;
    {
      const db = new Database(edited);
      const row = db
        .prepare<[number], { bytes: Buffer }>(
          "SELECT r.bytes FROM records r JOIN streams s ON s.id = r.stream_id WHERE s.name = 'loans' AND r.seq = ?",
        )
        .get(target);
      if (row === undefined) throw new Error(`no record ${target}`);
      const flipped = Buffer.from(
        row.bytes
          .toString("utf8")
          .replace(/"label":"L00(\d)"/, (_, d) => `"label":"L00${d === "1" ? "2" : "1"}"`),
      );
      db.prepare(
        "UPDATE records SET bytes = ? WHERE seq = ? AND stream_id = (SELECT id FROM streams WHERE name = 'loans')",
      ).run(flipped, target);
      db.close();
    }
    info(`a decision's label flipped with plain SQL at seq ${target} (.demo/tampered-edit.db)`);
    const editAudit = await run(VERIFY_BIN, ["--db", edited, "--rpc", chain.url, "--registry", registry]);
    console.log(indent(editAudit.stdout || editAudit.stderr));
    expectExit("ancora-verify (edited copy)", editAudit, 1);
    ok("exit 1: the edited record is named with the evidence");
    {
      const db = new Database(truncated);
      const removed = db
        .prepare(
          "DELETE FROM records WHERE seq >= ? AND stream_id = (SELECT id FROM streams WHERE name = 'loans')",
        )
        .run(DECISIONS - 100).changes;
      db.close();
      info(`the last ${removed} records deleted (.demo/tampered-truncate.db)`);
    }
    const cutAudit = await run(VERIFY_BIN, [
      "--db",
      truncated,
      "--rpc",
      chain.url,
      "--registry",
      registry,
      "--json",
    ]);
    const report = JSON.parse(cutAudit.stdout) as {
      ok: boolean;
      failures: Array<{ code: string; seq: number }>;
    };
    expectExit("ancora-verify (truncated copy)", cutAudit, 1);
    const codes = [...new Set(report.failures.map((f) => f.code))].join(", ");
    ok(
      `exit 1 (--json): ${report.failures.length} failure(s), first at seq ${report.failures[0]?.seq}: ${codes}`,
    );
    info("the chain holds the anchored sizes and roots, so a log cut below them cannot pass");
  } finally {
    await service?.stop();
    stopAll();
    await chain.stop();
  }
  console.log(`\nDone. The service's data, receipts, tampered copies and logs are in ${WORK}`);
}

main().catch((error: unknown) => {
  stopAll();
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
