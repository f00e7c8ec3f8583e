/**
 * A user's script for the lifecycle tests (lifecycle.test.ts): creates a logger, starts the anchoring
 * worker and (optionally) the IPFS node, brings them to the state the test names, then stops everything
 * in the documented order and prints a line after each step. The process must then exit on its own:
 * anything left running (a timer, a socket, a thread) or a promise that never settles shows up as a
 * missing line or exit code 13 (unsettled top-level await).
 *
 *   node --conditions=@ancora/source --import ../../../verifier/src/testing/register-source.mjs \
 *     lifecycle-child.ts '<json: { path, registry, rpcUrl, key, confirmations, state, ipfs }>'
 *
 * Self-contained on purpose (it imports only the package), so Node runs it without a build step.
 */
import { createLogger, startAnchoringWorker, startIpfsNode } from "@ancora/sdk";
import { privateKeyToAccount } from "viem/accounts";

interface Job {
  path: string;
  registry: `0x${string}`;
  rpcUrl: string;
  rpcTimeoutMs: number;
  key: `0x${string}`;
  confirmations: number;
  /**
   * idle: nothing logged; anchored: stop after draining; submitted: stop as soon as an anchor's
   * transaction is recorded (the test decides whether it is unmined, or its broadcast hangs);
   * failing: stop once a pass has failed (the test took the RPC endpoint down).
   */
  state: "idle" | "anchored" | "submitted" | "failing";
  ipfs: boolean;
}

const job = JSON.parse(process.argv[2] as string) as Job;
const say = (line: string) => process.stdout.write(`${line}\n`);

const logger = createLogger({
  path: job.path,
  stream: "loans",
  model: { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` },
  commitment: "plain",
});
logger.setConfig({
  threshold: 0.5,
  aboveLabel: "approve",
  belowLabel: "refer",
  changedBy: "ops",
  changeReason: "launch",
});
const notices: string[] = [];
const anchoring = await startAnchoringWorker({
  path: logger.store.path,
  streams: "loans",
  registry: job.registry,
  rpcUrl: job.rpcUrl,
  rpcTimeoutMs: job.rpcTimeoutMs,
  account: privateKeyToAccount(job.key),
  policy: { everyRecords: 1, everyMs: 60_000 },
  confirmations: job.confirmations,
  pollIntervalMs: 20,
  backoff: { baseMs: 20, maxMs: 100 },
  onNotice: (notice) => notices.push(notice.code),
});
const ipfs = job.ipfs ? await startIpfsNode({ store: logger.store, gateway: true }) : undefined;
say("started");

const pause = () => new Promise((resolve) => setTimeout(resolve, 10));
if (job.state !== "idle") {
  await logger.record({ features: { income: 52_000 }, output: { label: "approve" }, score: 0.7 });
  const latest = () => logger.store.anchors("loans").at(-1)?.status ?? "none";
  if (job.state === "anchored") {
    say(`drained ${await anchoring.drain({ timeoutMs: 30_000 })}`);
    say(`notices ${notices.join(",") || "none"}`);
  } else if (job.state === "submitted") {
    while (latest() !== "submitted") await pause();
  } else {
    while ((await anchoring.backlog()).lastError === null) await pause();
  }
  say(`anchor ${latest()}`);
}

await anchoring.stop();
say("anchoring stopped");
await ipfs?.stop();
say("ipfs stopped");
await logger.close();
say("logger closed");
