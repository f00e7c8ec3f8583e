/**
 * A logging-and-anchoring process for the SIGKILL restart test (anchorer-restart.test.ts): it logs
 * decisions while an anchorer commits checkpoints to a `hardhat node`, and prints `seq cid` for every
 * decision the SDK acknowledged (stdout is a pipe, synchronous on Linux, so acknowledgements survive a
 * SIGKILL). With `drain` it logs nothing, checkpoints, drains the outbox and exits 0.
 *
 *   node --conditions=@ancora/source --import <register-source.mjs> anchoring-child.ts \
 *     <db> <stream> <rpc-url> <registry> <log|drain>
 *
 * The anchorer key comes from ANCORA_TEST_ANCHOR_KEY (never an argument: it would show in `ps`).
 */
import { createAnchorer, createLogger } from "@ancora/sdk";
import { createPublicClient, createWalletClient, defineChain, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const [path, stream, url, registry, mode] = process.argv.slice(2);
const key = process.env.ANCORA_TEST_ANCHOR_KEY as Hex | undefined;
if (
  path === undefined ||
  stream === undefined ||
  url === undefined ||
  registry === undefined ||
  key === undefined
) {
  process.stderr.write("usage: anchoring-child.ts <db> <stream> <rpc-url> <registry> <log|drain>\n");
  process.exit(2);
}
const chain = defineChain({
  id: 31337,
  name: "local",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [url] } },
});
const publicClient = createPublicClient({ chain, transport: http(url) });
const walletClient = createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(url) });
const logger = createLogger({
  path,
  stream,
  model: { id: "credit-risk", version: "2.3.1", hash: `sha256:${"ab".repeat(32)}` },
  commitment: "plain",
});
if (logger.config() === undefined) {
  logger.setConfig({
    threshold: 0.5,
    aboveLabel: "approve",
    belowLabel: "refer",
    changedBy: "t",
    changeReason: "t",
  });
}
const anchorer = createAnchorer({
  store: logger.store,
  streams: stream,
  registry: registry as Hex,
  publicClient,
  walletClient,
  policy: { everyRecords: 40, everyMs: 100 },
  confirmations: 1,
  pollIntervalMs: 5,
  backoff: { baseMs: 5, maxMs: 50 },
});

if (mode === "drain") {
  if (logger.store.stream(stream).size > (logger.store.checkpoints(stream).at(-1)?.size ?? 0))
    logger.checkpoint();
  const drained = await anchorer.drain({ timeoutMs: 60_000, intervalMs: 5 });
  await anchorer.stop();
  await logger.close();
  process.exit(drained ? 0 : 1);
}

anchorer.start();
for (let round = 0; ; round++) {
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      logger.record({ features: { round, i }, output: i, score: (i % 10) / 10 }),
    ),
  );
  process.stdout.write(results.map((r) => `${r.seq} ${r.cid}\n`).join(""));
}
