/**
 * Attacker-controlled receipts never make verifyReceiptOnChain throw: anything that is not a valid
 * receipt is a RECEIPT_* failure before a single RPC call (the chain is covered by
 * test/e2e/verify-receipt.test.ts).
 */
import fc from "fast-check";
import type { PublicClient } from "viem";
import { describe, expect, it } from "vitest";
import { verifyReceiptOnChain } from "./receipt-on-chain.js";

/** A client that fails the test if it is ever used. */
const untouchable = new Proxy({} as PublicClient, {
  get(_target, key) {
    if (key === "then") return undefined;
    throw new Error(`RPC used: ${String(key)}`);
  },
});

const receiptLike = fc.record(
  {
    v: fc.oneof(fc.constant(1), fc.anything()),
    record: fc.oneof(fc.base64String(), fc.uint8Array({ maxLength: 64 }), fc.anything()),
    cid: fc.oneof(fc.constant("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"), fc.string()),
    index: fc.oneof(fc.nat(), fc.integer(), fc.anything()),
    proof: fc.array(fc.oneof(fc.string(), fc.constant(`0x${"00".repeat(32)}`)), { maxLength: 3 }),
    checkpoint: fc.anything(),
    anchor: fc.record({
      chainId: fc.integer(),
      registry: fc.string(),
      txHash: fc.string(),
      blockNumber: fc.integer(),
    }),
  },
  { requiredKeys: [] },
);

describe("verifyReceiptOnChain on malformed input", () => {
  it("returns RECEIPT_* failures for any value, JSON text or random bytes, and never calls the RPC", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          receiptLike,
          fc.string(),
          fc.uint8Array().map((b) => Buffer.from(b).toString("latin1")),
        ),
        async (input) => {
          const result = await verifyReceiptOnChain(input, { publicClient: untouchable });
          expect(result.ok).toBe(false);
          if (!result.ok)
            expect(result.failure.code).toMatch(/^RECEIPT_(INVALID|CID_MISMATCH|PROOF_INVALID)$/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
