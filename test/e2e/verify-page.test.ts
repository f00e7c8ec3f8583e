/**
 * The receipt page in a real browser: Debian's Chromium (playwright-core) opens the page `ancora serve`
 * serves at /verify, and verifies receipts the real service hands out, against a real `hardhat node`
 * (the page's own viem client, over HTTP) and the service's IPFS gateway. A genuine receipt shows
 * verified with its decision, config and anchor; a receipt with a field changed, one whose record was
 * edited, and one naming another registry each show not verified with the verifier's reason. The three
 * ways in are each used: the link's fragment, a pasted text, a file. Screenshots and timings go to
 * .artifacts/verify-page/ (docs/benchmarks.md quotes the timings).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { deployRegistry, encodeStreamId, grantAnchorer, registerStream } from "@ancora/contracts";
import type { ReceiptJSON } from "@ancora/core";
import { verifyPageLink } from "@ancora/verify-page/link";
import { VERIFY_PAGE_DIR } from "@ancora/verify-page/site";
import type { Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  CONFIG,
  decision,
  MODEL,
  type TestService,
  testService,
} from "../../packages/service/src/testing/test-service.ts";
import {
  freePort,
  HARDHAT_DEV_KEY,
  type LocalChain,
  localClients,
  startLocalChain,
} from "../../scripts/lib/local-chain.ts";
import { type Browser, ensureChromium, launchChromium } from "./support/chromium.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const ARTIFACTS = join(ROOT, ".artifacts", "verify-page");
const STREAM = "loans";
/** The decision whose receipt the page checks (seq 0 is genesis, then labels and the config). */
const DECISION = 9;

let chain: LocalChain;
let svc: TestService;
let browser: Browser;
let page: Page;
let otherRegistry: string;
/** The service's record answer for DECISION: its receipt and the link to the page. */
let answer: { receipt: ReceiptJSON; verifyUrl: string; record: { body: { score: number; label: string } } };
const pageErrors: string[] = [];
const metrics: Record<string, unknown> = {};

function bundleSizes(): { files: number; bytes: number; gzipBytes: number } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(VERIFY_PAGE_DIR);
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of files) {
    const body = readFileSync(file);
    bytes += body.length;
    gzipBytes += gzipSync(body, { level: 9 }).length;
  }
  return { files: files.length, bytes, gzipBytes };
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  ensureChromium();
  // The page under test is built from the sources now (the Makefile builds it too, for `ancora serve`),
  // while the chain node starts.
  const starting = startLocalChain();
  const built = build({
    configFile: join(ROOT, "packages", "verify-page", "vite.config.ts"),
    logLevel: "warn",
  });
  const [node] = await Promise.allSettled([starting, built]);
  if (node.status === "fulfilled") chain = node.value;
  await starting;
  await built;
  metrics.bundle = bundleSizes();

  const { account, publicClient, walletClient } = localClients(chain);
  const { address: registry } = await deployRegistry(walletClient, publicClient, { admin: account.address });
  // A second, real registry with the same stream registered: the "wrong registry" of a forged receipt.
  const other = await deployRegistry(walletClient, publicClient, { admin: account.address });
  otherRegistry = other.address.toLowerCase();
  for (const address of [registry, other.address]) {
    await registerStream(walletClient, publicClient, {
      registry: address,
      streamId: encodeStreamId(STREAM),
      metadata: STREAM,
    });
  }
  await grantAnchorer(walletClient, publicClient, { registry, account: account.address });
  svc = await testService({
    anchoring: {
      rpcUrl: chain.url,
      privateKey: HARDHAT_DEV_KEY,
      registry,
      everyRecords: 10,
      everyMs: 200,
      confirmations: 1,
      pollIntervalMs: 20,
    },
    ipfs: { gateway: true },
  });
  const config = await svc.call(`/v1/streams/${STREAM}/config`, { token: svc.tokens.admin, body: CONFIG });
  expect(config.status, await config.clone().text()).toBeLessThan(300);
  const posted = await svc.call(`/v1/streams/${STREAM}/decisions`, {
    token: svc.tokens.write,
    body: { decisions: Array.from({ length: 12 }, (_, i) => decision(i + 60)) },
  });
  expect(posted.status, await posted.clone().text()).toBe(201);
  // The record answer carries a receipt once a confirmed anchor covers the record.
  await vi.waitFor(
    async () => {
      const res = await svc.call(`/v1/streams/${STREAM}/records/${DECISION}`, { token: svc.tokens.read });
      answer = (await res.json()) as typeof answer;
      if (answer.receipt === null) throw new Error(`record ${DECISION} has no receipt yet`);
    },
    { timeout: 60_000, interval: 100 },
  );

  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
}, 900_000);

afterAll(async () => {
  writeFileSync(join(ARTIFACTS, "metrics.json"), `${JSON.stringify(metrics, null, 2)}\n`);
  await browser?.close();
  await svc?.cleanup();
  await chain?.stop();
});

/** The receipt with one change. */
function changed(edit: (receipt: ReceiptJSON) => void): ReceiptJSON {
  const copy = structuredClone(answer.receipt);
  edit(copy);
  return copy;
}

async function outcome(): Promise<{ kind: string; code: string; ms: number; text: string }> {
  const result = page.locator("#result");
  return {
    kind: (await result.getAttribute("data-outcome")) ?? "",
    code: (await result.getAttribute("data-code")) ?? "",
    ms: Number(await result.getAttribute("data-ms")),
    // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered is what a person reads (hidden parts left out, one line per fact).
    text: await result.innerText(),
  };
}

async function waitForResult(code: string): Promise<Awaited<ReturnType<typeof outcome>>> {
  await page.locator(`#result[data-code="${code}"]:not([hidden])`).waitFor({ timeout: 60_000 });
  return await outcome();
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describe("the receipt page in Chromium", () => {
  it("verifies the receipt the service links to, and shows the decision, its config and the anchor", async () => {
    expect(answer.verifyUrl.startsWith("/verify#receipt=")).toBe(true);
    await page.goto(`${svc.url}${answer.verifyUrl}`);
    // The link filled the receipt in; the person names the chain node and the gateway.
    await expect.poll(() => page.getByLabel("Receipt (its JSON text)").inputValue()).toContain('"anchor"');
    await page.getByLabel("Chain RPC URL (required)").fill(chain.url);
    await page.getByLabel("IPFS gateway URL (optional)").fill(svc.service.ipfsGateway as string);
    await page.getByRole("button", { name: "Verify receipt" }).click();
    const verified = await waitForResult("VERIFIED");
    expect(verified.kind).toBe("verified");
    const { receipt } = answer;
    const { score, label } = answer.record.body;
    for (const shown of [
      "Verified",
      MODEL.id,
      MODEL.version,
      MODEL.hash,
      label,
      String(score),
      String(CONFIG.threshold),
      CONFIG.changedBy,
      CONFIG.changeReason,
      receipt.anchor.txHash,
      receipt.anchor.registry,
      String(receipt.anchor.blockNumber),
      receipt.cid,
      "Yes: the gateway serves exactly these bytes",
      `Chain node asked\n${new URL(chain.url).origin}`,
    ]) {
      expect(verified.text).toContain(shown);
    }
    expect(verified.text).toMatch(/Label follows from the rule\s+Yes: score/);
    // Label ids are named from the label records before the config, read through the gateway.
    const name = score >= CONFIG.threshold ? CONFIG.aboveLabel : CONFIG.belowLabel;
    expect(verified.text).toContain(`Outcome (label)\n${name} (${label}, as named when the rule was set)`);
    expect(verified.text).toContain(`Label below it\n${CONFIG.belowLabel} (`);
    expect(verified.text).toMatch(/Confirmations\s+\d+/);
    expect(await page.locator("#progress li[data-state='passed']").count()).toBe(3);
    // The picture: model, decision, log, anchor and the rule, drawn from what was verified.
    const kinds = await page
      .locator("#picture svg g[data-kind]")
      .evaluateAll((groups) => groups.map((g) => g.getAttribute("data-kind")));
    expect(kinds).toEqual(["model", "decision", "log", "anchor", "rule"]);
    const described = await page.locator("#picture svg > title").textContent();
    expect(described).toContain(`Model ${MODEL.id} ${MODEL.version} made decision ${DECISION}`);
    expect(described).toContain(
      `anchored on chain ${receipt.anchor.chainId} in block ${receipt.anchor.blockNumber}`,
    );
    await screenshot("verified");
    await page.locator("#picture").screenshot({ path: join(ARTIFACTS, "verified-picture.png") });

    // Time to verify in the page (the chain and gateway reads included), over repeated runs.
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      await page.evaluate('document.getElementById("result").dataset.code = ""');
      // Keyboard only: Enter in the RPC field submits the form.
      await page.getByLabel("Chain RPC URL (required)").press("Enter");
      runs.push((await waitForResult("VERIFIED")).ms);
    }
    runs.sort((a, b) => a - b);
    metrics.verifyMs = { runs, median: runs[2] };
  });

  it("shows a receipt with a field changed (pasted) as not verified: the anchor transaction is not in that block", async () => {
    const forged = changed((r) => {
      r.anchor.blockNumber += 1;
    });
    await page.getByLabel("Receipt (its JSON text)").fill(JSON.stringify(forged, null, 2));
    await page.getByRole("button", { name: "Verify receipt" }).click();
    const failed = await waitForResult("RECEIPT_TX_NOT_FOUND");
    expect(failed.kind).toBe("not-verified");
    expect(failed.text).toContain("Not verified");
    expect(failed.text).toContain("Failed check: Anchor transaction.");
    expect(failed.text).toContain(`in block ${forged.anchor.blockNumber}`);
    expect(failed.text).toContain(`in block ${answer.receipt.anchor.blockNumber}`);
    await screenshot("field-changed");
  });

  it("shows a receipt whose record was edited (opened as a file) as not verified: the record's CID", async () => {
    const bytes = Buffer.from(answer.receipt.record, "base64").toString("utf8");
    const { score } = answer.record.body;
    const edited = bytes.replace(`"score":${score}`, `"score":${score === 0.99 ? 0.98 : 0.99}`);
    expect(edited).not.toBe(bytes);
    const forged = changed((r) => {
      r.record = Buffer.from(edited).toString("base64");
    });
    await page.locator("#file").setInputFiles({
      name: "receipt.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(forged)),
    });
    // Opening a file verifies nothing yet: focus moves to the button, and Enter presses it.
    await expect.poll(() => page.evaluate("document.activeElement.id")).toBe("verify");
    await page.keyboard.press("Enter");
    const failed = await waitForResult("RECEIPT_CID_MISMATCH");
    expect(failed.text).toContain("Failed check: Record fingerprint (CID).");
    expect(failed.text).toContain(`Expected\n${answer.receipt.cid}`);
    expect(await page.locator("#progress li[data-step='record']").getAttribute("data-state")).toBe("failed");
    expect(await page.locator("#progress li[data-step='chain']").getAttribute("data-state")).toBe("skipped");
    await screenshot("record-edited");
  });

  it("shows a receipt naming another registry (from a link) as not verified: no anchor from that registry", async () => {
    const forged = changed((r) => {
      r.anchor.registry = otherRegistry;
    });
    // A link may name a chain node, but its maker may run one that lies: the page fills it in, warns,
    // and asks nothing until the person presses Verify.
    await page.goto(verifyPageLink(`${svc.url}/verify`, forged, { rpc: chain.url }));
    await page.locator("#rpc-from-link").waitFor({ state: "visible" });
    expect(await page.getByLabel("Chain RPC URL (required)").inputValue()).toBe(chain.url);
    expect(await page.locator("#result").getAttribute("data-code")).toBe("RECEIPT_CID_MISMATCH");
    await page.getByRole("button", { name: "Verify receipt" }).click();
    const failed = await waitForResult("RECEIPT_ANCHOR_NOT_FOUND");
    expect(failed.text).toContain("Failed check: Anchor in the registry.");
    expect(failed.text).toContain(`no CheckpointAnchored log from ${otherRegistry}`);
    await screenshot("wrong-registry");
  });

  it("ran without a script error or a refused request in the page", () => {
    expect(pageErrors).toEqual([]);
  });

  it("asks for what is missing, and says it could not verify when the chain node does not answer", async () => {
    await page.goto(`${svc.url}${answer.verifyUrl}`);
    await page.getByLabel("Chain RPC URL (required)").fill("");
    await page.getByRole("button", { name: "Verify receipt" }).click();
    const missing = page.locator('#input-error[data-code="PAGE_RPC_URL_MISSING"]');
    await missing.waitFor();
    expect(await missing.textContent()).toContain("A chain RPC URL is needed");
    // Focus goes to the field to fill in, so a keyboard user can type at once.
    expect(await page.evaluate("document.activeElement.id")).toBe("rpc");

    // A port nothing listens on (the chain node's, once stopped, would do the same).
    const dead = await freePort();
    await page.keyboard.type(`http://127.0.0.1:${dead}`);
    await page.keyboard.press("Enter");
    const unreachable = await waitForResult("SOURCE_UNREACHABLE");
    expect(unreachable.kind).toBe("error");
    expect(unreachable.text).toContain("Could not verify");
    expect(unreachable.text).toContain("This says nothing about the receipt");
    expect(await page.locator("#progress li[data-step='chain']").getAttribute("data-state")).toBe("error");
    await screenshot("chain-unreachable");
    // The browser reports the refused connections; nothing else went wrong.
    expect(pageErrors.filter((e) => !e.includes("ERR_CONNECTION_REFUSED"))).toEqual([]);
  });
});
