import { readFileSync } from "node:fs";
import type { ReceiptJSON } from "@ancora/core";
import { describe, expect, it } from "vitest";
import { VerifyPageError } from "./errors.js";
import { MAX_RECEIPT_TEXT, readFragment, receiptFragment, VERIFY_PAGE_PATH, verifyPageLink } from "./link.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../core/test-vectors/receipts-v2.json", import.meta.url), "utf8"),
) as { receipts: { name: string; receipt: ReceiptJSON }[] };
const receipts = vectors.receipts.map((v) => v.receipt);

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(VerifyPageError);
    return (error as VerifyPageError).code;
  }
  return undefined;
}

describe("the page's link", () => {
  it("carries each published receipt in the fragment and reads back its exact JSON value", () => {
    for (const receipt of receipts) {
      const link = verifyPageLink(VERIFY_PAGE_PATH, receipt);
      expect(link.startsWith("/verify#receipt=")).toBe(true);
      // base64url: nothing in the fragment needs percent-encoding, so no tool mangles the link.
      expect(link.slice("/verify#receipt=".length)).toMatch(/^[A-Za-z0-9_-]+$/);
      const read = readFragment(new URL(link, "http://x").hash);
      expect(JSON.parse(read.receipt as string)).toEqual(receipt);
      expect(read.rpc).toBeUndefined();
    }
  });

  it("carries the RPC endpoint and gateway when given", () => {
    const hash = receiptFragment(receipts[0] as ReceiptJSON, {
      rpc: "http://127.0.0.1:8545/?a=1&b=2",
      gateway: "https://ipfs.example.org/",
    });
    const read = readFragment(hash);
    expect(read.rpc).toBe("http://127.0.0.1:8545/?a=1&b=2");
    expect(read.gateway).toBe("https://ipfs.example.org/");
  });

  it("reads an empty fragment as nothing", () => {
    expect(readFragment("")).toEqual({});
    expect(readFragment("#receipt=")).toEqual({});
  });

  it("refuses a receipt that is not base64url of UTF-8, or too large, with a typed error", () => {
    expect(codeOf(() => readFragment("#receipt=abc+def"))).toBe("PAGE_FRAGMENT_INVALID");
    expect(codeOf(() => readFragment("#receipt=a"))).toBe("PAGE_FRAGMENT_INVALID");
    // 0xff 0xfe is not UTF-8.
    expect(codeOf(() => readFragment("#receipt=__4"))).toBe("PAGE_FRAGMENT_INVALID");
    expect(codeOf(() => readFragment(`#receipt=${"A".repeat(MAX_RECEIPT_TEXT * 2)}`))).toBe(
      "PAGE_RECEIPT_TOO_LARGE",
    );
  });
});
