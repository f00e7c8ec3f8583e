/**
 * Gas report for ProvenanceRegistry on Hardhat's in-process network (EDR, Prague rules).
 *
 *   pnpm exec hardhat run scripts/gas-report.ts            # print the Markdown section
 *   ANCORA_GAS_REPORT_WRITE=1 pnpm exec hardhat run scripts/gas-report.ts
 *                                                          # also replace it in docs/benchmarks.md
 *
 * Transactions are measured by their receipts' gasUsed (what the sender pays, 21,000 base and calldata
 * included). Views are measured by the execution gas of an `eth_call` from its opcode trace: what a
 * calling contract pays for the registry's code, before its own CALL overhead (100 warm / 2,600 cold
 * plus ABI encoding). Stream ids are keccak256 of names and roots are real RFC 6962 roots, so calldata
 * has realistic non-zero bytes.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { network } from "hardhat";
import { encodeFunctionData, getContract, type Hex, keccak256, stringToBytes } from "viem";
import { provenanceRegistryAbi } from "../packages/contracts/src/generated/provenance-registry.ts";
import { ReferenceTree, syntheticLeaves } from "../test/support/rfc6962.ts";

const conn = await network.create();
const { viem, provider } = conn;
const publicClient = await viem.getPublicClient();
const [wallet] = await viem.getWalletClients();
if (wallet === undefined) throw new Error("no account");
const deployed = await viem.deployContract("ProvenanceRegistry", [wallet.account.address]);
const registry = getContract({
  address: deployed.address,
  abi: provenanceRegistryAbi,
  client: { public: publicClient, wallet },
});
await registry.write.grantRole([await registry.read.ANCHORER_ROLE(), wallet.account.address]);

const streamId = (name: string): Hex => keccak256(stringToBytes(name));
const manifest = (label: string): Hex => keccak256(stringToBytes(`manifest ${label}`));
const gasOf = async (hash: Promise<Hex>): Promise<bigint> =>
  (await publicClient.waitForTransactionReceipt({ hash: await hash })).gasUsed;
const median = (xs: bigint[]): bigint => {
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return s[Math.floor(s.length / 2)] ?? 0n;
};
const fmt = (n: bigint | number): string => Math.round(Number(n)).toLocaleString("en-US");

interface TraceStep {
  gas: number;
  gasCost: number;
}

/** Execution gas of an eth_call (no intrinsic cost), from the first and last steps of its trace. */
async function executionGas(data: Hex): Promise<number> {
  const trace = (await provider.request({
    method: "debug_traceCall",
    params: [{ to: registry.address, data }, "latest"],
  })) as { failed: boolean; structLogs: TraceStep[] };
  const first = trace.structLogs[0];
  const last = trace.structLogs.at(-1);
  if (trace.failed || first === undefined || last === undefined) throw new Error("view call failed");
  return first.gas - last.gas + last.gasCost;
}

const rows: [string, string, string][] = [];
const row = (what: string, gas: string, note: string) => rows.push([what, gas, note]);

// --- Registration ----------------------------------------------------------------------------------
const registration = await gasOf(
  registry.write.registerStream([streamId("loans"), '{"name":"loans"}', false]),
);
row(
  "registerStream (metadata of 16 bytes)",
  fmt(registration),
  "once per stream; the genesis head and the stream list (first: its length too)",
);

// --- Plain anchors: first and steady state ---------------------------------------------------------
const plainTree = new ReferenceTree(syntheticLeaves(2_000, 1));
let size = 100;
const first = await gasOf(
  registry.write.anchor([streamId("loans"), BigInt(size), plainTree.root(size), manifest("0")]),
);
const steady: bigint[] = [];
for (let i = 1; i <= 11; i++) {
  size += 100;
  steady.push(
    await gasOf(
      registry.write.anchor([streamId("loans"), BigInt(size), plainTree.root(size), manifest(`${i}`)]),
    ),
  );
}
row("anchor: first anchor of a stream", fmt(first), "the root slot goes from zero to non-zero (22,100)");
row(
  "**anchor: steady state**",
  `**${fmt(median(steady))}**`,
  "median of 11; 3 slots rewritten + role check + event",
);

// --- Consistency-checked anchors at several tree sizes ---------------------------------------------
const checkedSizes = [1_024, 65_536, 1_048_576];
for (const target of checkedSizes) {
  const name = `checked-${target}`;
  await registry.write.registerStream([streamId(name), "m", true]);
  const tree = new ReferenceTree(syntheticLeaves(target + 100, target));
  const from = target - 1; // an old size with many set bits: close to the longest proofs
  await registry.write.anchorWithConsistency([
    streamId(name),
    BigInt(from),
    tree.root(from),
    manifest("a"),
    [],
  ]);
  const proof = tree.consistencyProof(from, target + 100);
  const gas = await gasOf(
    registry.write.anchorWithConsistency([
      streamId(name),
      BigInt(target + 100),
      tree.root(target + 100),
      manifest("b"),
      proof,
    ]),
  );
  row(
    `anchorWithConsistency: ${fmt(from)} → ${fmt(target + 100)} leaves`,
    fmt(gas),
    `${proof.length}-hash proof; +${fmt(gas - median(steady))} over a plain anchor`,
  );
}

// --- Batches: steady state, per stream -------------------------------------------------------------
for (const k of [1, 2, 5, 10, 20]) {
  const ids = Array.from({ length: k }, (_, i) => streamId(`batch-${k}-${i}`));
  for (const id of ids) await registry.write.registerStream([id, "m", false]);
  const batch = (n: number) =>
    ids.map((id, i) => ({
      streamId: id,
      treeSize: BigInt(100 * n),
      root: plainTree.root(100 * n),
      manifestDigest: manifest(`${k}/${i}/${n}`),
      checkConsistency: false,
      consistencyProof: [] as Hex[],
    }));
  await registry.write.anchorBatch([batch(1)]); // first anchors
  const gas = await gasOf(registry.write.anchorBatch([batch(2)]));
  row(
    `anchorBatch: ${k} stream${k === 1 ? "" : "s"}, steady state`,
    fmt(gas),
    `**${fmt(Number(gas) / k)} per stream**`,
  );
}

// --- Inclusion views at several tree sizes ---------------------------------------------------------
const viewRows: [string, string, string][] = [];
for (const target of [1_024, 65_536, 1_048_576]) {
  const name = `view-${target}`;
  const tree = new ReferenceTree(syntheticLeaves(target, 7 + target));
  await registry.write.registerStream([streamId(name), "m", false]);
  await registry.write.anchor([streamId(name), BigInt(target), tree.root(target), manifest("v")]);
  const index = target - 2;
  const proof = tree.inclusionProof(index);
  const inclusion = await executionGas(
    encodeFunctionData({
      abi: registry.abi,
      functionName: "verifyInclusion",
      args: [streamId(name), tree.leaves[index] as Hex, BigInt(index), BigInt(target), proof],
    }),
  );
  const old = Math.floor(target / 3);
  const consistency = tree.consistencyProof(old, target);
  const oldProof = tree.inclusionProof(old - 1, old);
  const historical = await executionGas(
    encodeFunctionData({
      abi: registry.abi,
      functionName: "verifyHistoricalInclusion",
      args: [
        streamId(name),
        BigInt(old),
        tree.root(old),
        consistency,
        tree.leaves[old - 1] as Hex,
        BigInt(old - 1),
        oldProof,
      ],
    }),
  );
  viewRows.push([
    `verifyInclusion, ${fmt(target)} leaves`,
    fmt(inclusion),
    `${proof.length}-hash audit path`,
  ]);
  viewRows.push([
    `verifyHistoricalInclusion, ${fmt(old)} of ${fmt(target)} leaves`,
    fmt(historical),
    `${consistency.length}-hash consistency + ${oldProof.length}-hash audit path`,
  ]);
}

// --- Output ----------------------------------------------------------------------------------------
const table = (header: [string, string, string], body: [string, string, string][]) =>
  [`| ${header.join(" | ")} |`, "| --- | ---: | --- |", ...body.map((r) => `| ${r.join(" | ")} |`)].join(
    "\n",
  );

const section = `## Gas (ProvenanceRegistry)

Measured by \`scripts/gas-report.ts\` (\`pnpm run gas:report\`) on Hardhat 3's in-process network
(EDR, Prague rules: 21,000 base, calldata 4/16 per zero/non-zero byte with the EIP-7623 floor, cold
SLOAD 2,100, SSTORE non-zero→non-zero 2,900 + 2,100 cold, zero→non-zero 22,100, LOG 375 + 375/topic +
8/byte), solc 0.8.30, optimizer 10,000 runs. Stream ids are keccak256 of names and roots are real RFC 6962
roots, so calldata bytes are realistically non-zero. Transactions: receipt \`gasUsed\`, base cost included.

${table(["Transaction", "Gas", "Note"], rows)}

Views, execution gas only (what another contract pays for the registry's code; add its CALL, 100 warm or
2,600 cold, and ABI encoding):

${table(["View", "Gas", "Note"], viewRows)}

Compared with the alternatives (steady state, one stream, one transaction):

| Design | Gas | On-chain state after the anchor |
| --- | ---: | --- |
| Event only (\`emit Anchored(bytes32)\`), figure measured for the project's toolchain notes | ~22,900 | nothing: history dies with the logs (EIP-4444) |
| Seed design, chained head updated in place (claimed) | ~35,000 | one 32-byte head; no size check, no latest root |
| **ProvenanceRegistry, \`anchor\`** | **${fmt(median(steady))}** | latest (size, root), chained head, count, block; monotonic size enforced |
| ProvenanceRegistry, \`anchorBatch\` of 10, per stream | ${
  rows
    .find((r) => r[0].startsWith("anchorBatch: 10"))?.[2]
    .replaceAll("*", "")
    .replace(" per stream", "") ?? "?"
} | the same, base cost and role check shared |
| New mapping slot per anchor (root history in storage), same source | ~45,700 | every root, 22,100 per anchor for ever |

Why not ≤ 35,000 for a single anchor: the design keeps the latest (size, root) *and* a
collision-resistant chained head in storage: 256 + 256 + 64 bits, three slots, each rewritten at 5,000
(2,100 cold + 2,900). With the 2,100 cold read of the anchorer's role, 21,000 base, ~1,650 calldata and
~3,400 for the event, the floor is ~43,000; the measured figure is within ~2,300 of it. Reaching ~34,000
would mean one slot per anchor: truncating the head to 192 bits to share a slot with the size (96-bit
collision resistance) or dropping the latest root from storage (no on-chain inclusion check without a
preimage in calldata). Neither was worth 10,000 gas; batching several streams per transaction is the
lever that brings the per-stream cost down. See docs/contract.md.
`;

console.log(section);

if (process.env.ANCORA_GAS_REPORT_WRITE === "1") {
  const path = join(import.meta.dirname, "../docs/benchmarks.md");
  let doc: string;
  try {
    doc = readFileSync(path, "utf8");
  } catch {
    doc = "# Benchmarks\n";
  }
  const start = doc.indexOf("## Gas (ProvenanceRegistry)");
  if (start === -1) {
    doc = `${doc.trimEnd()}\n\n${section}`;
  } else {
    const next = doc.indexOf("\n## ", start + 1);
    doc = `${doc.slice(0, start)}${section}${next === -1 ? "" : `\n${doc.slice(next + 1)}`}`;
  }
  writeFileSync(path, doc);
  // The repository's formatter aligns Markdown tables, and lint fails on a table it would align.
  execFileSync("pnpm", ["exec", "biome", "format", "--write", path], { stdio: "ignore" });
  console.error(`updated ${path}`);
}
