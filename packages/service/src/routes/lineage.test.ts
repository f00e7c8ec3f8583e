/**
 * `GET /v1/lineage/{cid}` over real HTTP on 127.0.0.1, against a real SQLite log holding
 * dataset → training → model → decisions written with the SDK's lineage APIs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeCid, hashLeaf, parseBlockCid, verifyInclusion } from "@ancora/core";
import type { LineageGraph } from "@ancora/sdk";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../keys.js";
import { type RunningService, startService } from "../service.js";
import { type LineageChain, writeLineageChain } from "../testing/lineage.js";
import { formatFromAccept, MAX_LINEAGE_DECISIONS } from "./lineage.js";

let dir: string;
let chain: LineageChain;
let running: RunningService;
let read: string;
let write: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ancora-lineage-route-"));
  chain = await writeLineageChain(join(dir, "ancora.db"), 5);
  read = createApiKey(dir, ["read"]).token;
  write = createApiKey(dir, ["write"]).token;
  running = await startService({ dataDir: dir, log: false, port: 0 });
});
afterAll(async () => {
  await running.close();
  rmSync(dir, { recursive: true, force: true });
});

/** GET with the read key, another key, or none (`null`). */
function get(path: string, headers: Record<string, string> = {}, token: string | null = read) {
  return fetch(`${running.url}${path}`, {
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
  });
}

async function errorOf(res: Response): Promise<{ code: string; message: string; hint?: string }> {
  const body = (await res.json()) as { error: { code: string; message: string; hint?: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  return body.error;
}

const hexBytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), "hex"));

describe("GET /v1/lineage/{cid}", () => {
  it("answers the graph of a decision as JSON by default, every node with a valid proof", async () => {
    const decision = chain.decisions[2] as { cid: string; seq: number };
    const res = await get(`/v1/lineage/${decision.cid}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("vary")).toMatch(/accept/i);
    const graph = (await res.json()) as LineageGraph;
    expect(graph).toMatchObject({ v: 1, root: decision.cid, omittedDecisions: 0 });
    expect(graph.nodes.map((n) => n.kind).sort()).toEqual([
      "dataset",
      "dataset",
      "decision",
      "model",
      "training",
    ]);
    expect(graph.nodes.find((n) => n.id === decision.cid)).toMatchObject({
      stream: chain.stream,
      seq: decision.seq,
    });
    for (const node of graph.nodes) {
      const proof = node.proof as NonNullable<typeof node.proof>;
      const cid = parseBlockCid(node.id) as NonNullable<ReturnType<typeof parseBlockCid>>;
      expect(
        verifyInclusion({
          leafHash: hashLeaf(cid.bytes),
          index: proof.index,
          size: proof.size,
          proof: proof.proof.map(hexBytes),
          root: hexBytes(proof.root),
        }),
      ).toBe(true);
    }
  });

  it.each([
    ["svg", "image/svg+xml", /<svg[\s\S]*<\/svg>/],
    ["dot", "text/vnd.graphviz; charset=utf-8", /^digraph lineage \{/],
    ["mermaid", "text/vnd.mermaid; charset=utf-8", /^flowchart LR\n/],
    ["json", "application/json; charset=utf-8", /^\{\n {2}"v": 1,/],
  ])("renders ?format=%s as %s", async (format, type, body) => {
    const res = await get(`/v1/lineage/${chain.model.cid}?format=${format}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(type);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.text()).toMatch(body);
  });

  it("chooses the format from Accept, ?format winning over it", async () => {
    const cid = chain.training.cid;
    const svg = await get(`/v1/lineage/${cid}`, { accept: "image/svg+xml" });
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    expect(svg.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await svg.text()).toContain("<svg");
    const dot = await get(`/v1/lineage/${cid}`, { accept: "text/vnd.mermaid;q=0.4, text/vnd.graphviz" });
    expect(await dot.text()).toMatch(/^digraph/);
    const browser = await get(`/v1/lineage/${cid}`, {
      accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    });
    expect(browser.headers.get("content-type")).toMatch(/^application\/json/);
    const both = await get(`/v1/lineage/${cid}?format=mermaid`, { accept: "image/svg+xml" });
    expect(await both.text()).toMatch(/^flowchart LR/);
    const none = await get(`/v1/lineage/${cid}`, { accept: "text/html, image/png" });
    expect(none.status).toBe(406);
    expect(await errorOf(none)).toMatchObject({
      code: "NOT_ACCEPTABLE",
      hint: expect.stringContaining("svg"),
    });
  });

  it("lists at most maxDecisions descendant decisions and counts the rest", async () => {
    const res = await get(`/v1/lineage/${chain.train.cid}?maxDecisions=2`);
    const graph = (await res.json()) as LineageGraph;
    expect(graph.nodes.filter((n) => n.kind === "decision")).toHaveLength(2);
    expect(graph.omittedDecisions).toBe(3);
    const svg = await get(`/v1/lineage/${chain.train.cid}?maxDecisions=0&format=svg`);
    expect(await svg.text()).toContain("+ 5 more decisions");
  });

  it("answers 404 LINEAGE_UNKNOWN for a CID the log does not hold", async () => {
    const unknown = computeCid(new TextEncoder().encode("no such record")).toString();
    const res = await get(`/v1/lineage/${unknown}?format=svg`);
    expect(res.status).toBe(404);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: "LINEAGE_UNKNOWN", hint: expect.stringContaining("/v1/streams/") });
    expect(error.message).not.toContain(unknown);
  });

  it.each([
    ["not-a-cid"],
    [computeCid(new TextEncoder().encode("upper case")).toString().toUpperCase()],
    ["QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"],
    ["bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea"],
    ["%00%3Cscript%3E"],
  ])("answers 400 BAD_REQUEST for the malformed CID %s, without echoing it", async (cid) => {
    const res = await get(`/v1/lineage/${cid}`);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).not.toContain(decodeURIComponent(cid));
  });

  it.each([
    [`maxDecisions=${MAX_LINEAGE_DECISIONS + 1}`],
    ["maxDecisions=1.5"],
    ["maxDecisions=-1"],
    ["maxDecisions=1e2"],
    ["format=png"],
    ["colour=red"],
  ])("answers 400 for the query %s", async (query) => {
    const res = await get(`/v1/lineage/${chain.model.cid}?${query}`);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("BAD_REQUEST");
  });

  it("needs a key with the read scope", async () => {
    const none = await get(`/v1/lineage/${chain.model.cid}`, {}, null);
    expect(none.status).toBe(401);
    const writer = await get(`/v1/lineage/${chain.model.cid}`, {}, write);
    expect(writer.status).toBe(403);
  });

  it("answers concurrent requests (one worker, queued)", async () => {
    const answers = await Promise.all(
      chain.decisions.map((d, i) => get(`/v1/lineage/${d.cid}?format=${i % 2 === 0 ? "svg" : "json"}`)),
    );
    expect(answers.map((r) => r.status)).toEqual(chain.decisions.map(() => 200));
    const bodies = await Promise.all(answers.map((r) => r.text()));
    chain.decisions.forEach((d, i) => {
      expect(bodies[i]).toContain(i % 2 === 0 ? `<title>` : `"root": "${d.cid}"`);
    });
  });

  it("is in /openapi.json with its parameters and media types", async () => {
    const doc = (await (await get("/openapi.json")).json()) as {
      paths: Record<
        string,
        { get?: { parameters?: { name: string }[]; responses: Record<string, unknown> } }
      >;
    };
    const op = doc.paths["/v1/lineage/{cid}"]?.get;
    expect(op?.parameters?.map((p) => p.name).sort()).toEqual(["cid", "format", "maxDecisions"]);
    const ok = op?.responses["200"] as { content?: object } | undefined;
    expect(Object.keys(ok?.content ?? {}).sort()).toEqual([
      "application/json",
      "image/svg+xml",
      "text/vnd.graphviz",
      "text/vnd.mermaid",
    ]);
  });
});

describe("formatFromAccept", () => {
  it("reads types, qualities and wildcards", () => {
    expect(formatFromAccept(undefined)).toBe("json");
    expect(formatFromAccept("")).toBe("json");
    expect(formatFromAccept("IMAGE/SVG+XML")).toBe("svg");
    expect(formatFromAccept("image/svg+xml;q=0.2, text/vnd.mermaid;q=0.9")).toBe("mermaid");
    expect(formatFromAccept("text/vnd.graphviz;q=0, application/*")).toBe("json");
    expect(formatFromAccept("text/vnd.graphviz;q=0")).toBeUndefined();
    expect(formatFromAccept("text/html;q=abc")).toBeUndefined();
  });

  it("never throws, and answers a format or undefined, for any header", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        const format = formatFromAccept(header);
        expect([undefined, "json", "svg", "dot", "mermaid"]).toContain(format);
      }),
      { numRuns: process.env.CI === "true" ? 2000 : 300 },
    );
  });
});
