/**
 * The page's check without a browser: input errors are typed, and a receipt that fails core's offline
 * checks is reported with the verifier's code before any chain read (the RPC URL points at a port
 * nothing listens on, so a read would surface as an error, not a failure). The chain and IPFS steps are
 * tested in a real browser against a real chain: test/e2e/verify-page.test.ts.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { ReceiptJSON } from "@ancora/core";
import { beforeAll, describe, expect, it } from "vitest";
import { checkReceiptText, type StepId, type StepState } from "./check.js";
import { VerifyPageError } from "./errors.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../core/test-vectors/receipts-v2.json", import.meta.url), "utf8"),
) as { receipts: { name: string; receipt: ReceiptJSON }[] };
const receipt = vectors.receipts[0]?.receipt as ReceiptJSON;

/** An RPC URL on a loopback port that was free a moment ago: nothing answers there. */
let deadRpc: string;
beforeAll(async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
  deadRpc = `http://127.0.0.1:${port}`;
});

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(VerifyPageError);
    return (error as VerifyPageError).code;
  }
  return undefined;
}

describe("checkReceiptText", () => {
  it("refuses input it cannot use with typed errors", async () => {
    const text = JSON.stringify(receipt);
    expect(await codeOf(() => checkReceiptText("  ", { rpcUrl: deadRpc }))).toBe("PAGE_NO_RECEIPT");
    expect(await codeOf(() => checkReceiptText(text, { rpcUrl: "" }))).toBe("PAGE_RPC_URL_MISSING");
    expect(await codeOf(() => checkReceiptText(text, { rpcUrl: "ftp://x" }))).toBe("PAGE_RPC_URL_INVALID");
    expect(await codeOf(() => checkReceiptText(text, { rpcUrl: "not a url" }))).toBe("PAGE_RPC_URL_INVALID");
    expect(await codeOf(() => checkReceiptText(text, { rpcUrl: deadRpc, gatewayUrl: "file:///etc" }))).toBe(
      "PAGE_GATEWAY_URL_INVALID",
    );
    expect(await codeOf(() => checkReceiptText("x".repeat(2 * 1024 * 1024), { rpcUrl: deadRpc }))).toBe(
      "PAGE_RECEIPT_TOO_LARGE",
    );
  });

  it("reports an edited record as the verifier's CID mismatch, before any chain read", async () => {
    const record = Buffer.from(receipt.record, "base64").toString("utf8").replace('"seq":0', '"seq":1');
    const edited = { ...receipt, record: Buffer.from(record).toString("base64") };
    const steps: [StepId, StepState][] = [];
    const outcome = await checkReceiptText(JSON.stringify(edited), {
      rpcUrl: deadRpc,
      onStep: (step, state) => steps.push([step, state]),
    });
    expect(outcome.kind).toBe("not-verified");
    if (outcome.kind === "not-verified") expect(outcome.failure.code).toBe("RECEIPT_CID_MISMATCH");
    expect(steps).toEqual([
      ["record", "running"],
      ["record", "failed"],
      ["chain", "skipped"],
      ["ipfs", "skipped"],
    ]);
  });

  it("reports text that is not JSON as an invalid receipt", async () => {
    const outcome = await checkReceiptText("{ not json", { rpcUrl: deadRpc });
    expect(outcome.kind === "not-verified" && outcome.failure.code).toBe("RECEIPT_INVALID");
  });

  it("reports an unreachable chain node as an error, not as a verdict on the receipt", async () => {
    const steps: [StepId, StepState][] = [];
    const outcome = await checkReceiptText(JSON.stringify(receipt), {
      rpcUrl: deadRpc,
      onStep: (step, state) => steps.push([step, state]),
    });
    expect(steps).toContainEqual(["chain", "error"]);
    expect(outcome.kind).toBe("error");
    if (outcome.kind === "error") expect(outcome.error.code).toBe("SOURCE_UNREACHABLE");
  });
});
