/**
 * The service end to end over real HTTP on 127.0.0.1 with a real SQLite file: auth, every endpoint's
 * schema, batch ingest, pagination bounds, oversize and malformed bodies, pushback.
 */
import { computeCid } from "@ancora/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, revokeApiKey } from "./keys.js";
import { CONFIG, decision, MODEL, type TestService, testService } from "./testing/test-service.js";

let svc: TestService;

beforeAll(async () => {
  svc = await testService({ limits: { maxBatch: 300, maxPageSize: 50, bodyLimit: 256 * 1024 } });
});
afterAll(async () => {
  await svc.cleanup();
});

async function errorOf(res: Response): Promise<{ code: string; message: string; hint?: string }> {
  const body = (await res.json()) as { error: { code: string; message: string; hint?: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error.message).toBe("string");
  return body.error;
}

describe("auth", () => {
  it("refuses a missing key with 401 and WWW-Authenticate", async () => {
    const res = await svc.call("/v1/streams/loans/records");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await errorOf(res)).code).toBe("UNAUTHORIZED");
  });

  it("refuses malformed and unknown tokens with 401", async () => {
    const [, id] = svc.tokens.read.split("_");
    for (const token of [
      "nope",
      `ak_${id}_${"A".repeat(43)}`,
      `ak_0000000000000000_${"A".repeat(43)}`,
      svc.tokens.read.slice(0, -1),
    ]) {
      const res = await svc.call("/v1/verify", { token });
      expect(res.status).toBe(401);
      expect((await errorOf(res)).code).toBe("UNAUTHORIZED");
    }
    const res = await svc.call("/v1/verify", { headers: { authorization: `Basic ${svc.tokens.read}` } });
    expect(res.status).toBe(401);
  });

  it("refuses the wrong scope with 403; admin includes every scope", async () => {
    const write = await svc.call("/v1/streams/loans/decisions", {
      token: svc.tokens.read,
      body: decision(0),
    });
    expect(write.status).toBe(403);
    expect((await errorOf(write)).code).toBe("FORBIDDEN");
    const config = await svc.call("/v1/streams/loans/config", { token: svc.tokens.write, body: CONFIG });
    expect(config.status).toBe(403);
    const read = await svc.call("/v1/streams/loans/records", { token: svc.tokens.write });
    expect(read.status).toBe(403);
    const admin = await svc.call("/v1/streams/none/records", { token: svc.tokens.admin });
    expect(admin.status).toBe(404);
  });

  it("refuses a key from the request after it is revoked", async () => {
    const key = createApiKey(svc.dir, ["read"]);
    expect((await svc.call("/health", { token: key.token })).status).toBe(200);
    expect((await svc.call("/v1/streams/x/records", { token: key.token })).status).toBe(404);
    revokeApiKey(svc.dir, key.id);
    const res = await svc.call("/v1/streams/x/records", { token: key.token });
    expect(res.status).toBe(401);
  });
});

describe("writes", () => {
  it("answers 409 CONFIG_REQUIRED before a config, and creates nothing", async () => {
    const res = await svc.call("/v1/streams/early/decisions", { token: svc.tokens.write, body: decision(0) });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("CONFIG_REQUIRED");
    expect(svc.service.store.streams().map((s) => s.name)).not.toContain("early");
  });

  it("writes a config, then a decision durably with its label", async () => {
    const config = await svc.call("/v1/streams/loans/config", { token: svc.tokens.admin, body: CONFIG });
    expect(config.status).toBe(201);
    const written = (await config.json()) as {
      seq: number;
      config: { aboveLabel: string };
      definedLabels: unknown[];
    };
    expect(written.seq).toBe(3); // genesis, two labels, config
    expect(written.definedLabels).toHaveLength(2);
    const res = await svc.call("/v1/streams/loans/decisions", {
      token: svc.tokens.write,
      body: { ...decision(1), score: 0.9 },
    });
    expect(res.status).toBe(201);
    const d = (await res.json()) as { seq: number; cid: string; label: string; labelName: string };
    expect(d).toMatchObject({ seq: 4, label: written.config.aboveLabel, labelName: "approve" });
    expect(svc.service.store.get("loans", 4)?.cid).toBe(d.cid);
  });

  it("ingests a batch in order, and reports a bad item alone", async () => {
    const good = Array.from({ length: 200 }, (_, i) => decision(i));
    const res = await svc.call("/v1/streams/loans/decisions", {
      token: svc.tokens.write,
      body: { decisions: good },
    });
    expect(res.status).toBe(201);
    const batch = (await res.json()) as { accepted: number; rejected: number; results: { seq: number }[] };
    expect(batch).toMatchObject({ accepted: 200, rejected: 0 });
    const seqs = batch.results.map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => (seqs[0] as number) + i));

    // 2^53 + 1 cannot be encoded exactly: that decision alone fails, the others are written.
    const mixed = [decision(1), { ...decision(2), input: { big: 2 ** 53 + 2 } }, decision(3)];
    const res2 = await svc.call("/v1/streams/loans/decisions", {
      token: svc.tokens.write,
      body: { decisions: mixed },
    });
    expect(res2.status).toBe(201);
    const out = (await res2.json()) as {
      accepted: number;
      rejected: number;
      results: Array<{ seq?: number; error?: { code: string } }>;
    };
    expect(out).toMatchObject({ accepted: 2, rejected: 1 });
    expect(out.results[1]?.error?.code).toBe("INPUT_NOT_ENCODABLE");
    expect(out.results[2]?.seq).toBe((out.results[0]?.seq as number) + 1);
  });

  it("fails a batch whose every decision fails with that error", async () => {
    const res = await svc.call("/v1/streams/loans/decisions", {
      token: svc.tokens.write,
      body: { decisions: [{ ...decision(1), model: { ...MODEL, hash: "not-a-digest" } }] },
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("INVALID_OPTION");
  });

  it("refuses a batch over maxBatch, oversize bodies, malformed JSON and other media types", async () => {
    const big = await svc.call("/v1/streams/loans/decisions", {
      token: svc.tokens.write,
      body: { decisions: Array.from({ length: 301 }, (_, i) => decision(i)) },
    });
    expect(big.status).toBe(400);
    expect((await errorOf(big)).code).toBe("BATCH_TOO_LARGE");

    const huge = await svc.call("/v1/streams/loans/decisions", {
      token: svc.tokens.write,
      body: { ...decision(0), input: { blob: "x".repeat(300 * 1024) } },
    });
    expect(huge.status).toBe(413);
    expect((await errorOf(huge)).code).toBe("PAYLOAD_TOO_LARGE");

    const secret = "jane.doe@example.org";
    const bad = await svc.call("/v1/streams/loans/decisions", {
      token: svc.tokens.write,
      body: `{"input": {"email": "${secret}"`,
    });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).not.toContain(secret);
    expect(JSON.parse(text).error.code).toBe("MALFORMED_JSON");

    const form = await svc.call("/v1/streams/loans/decisions", {
      token: svc.tokens.write,
      body: "a=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect((await errorOf(form)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("validates bodies and stream names against the schema", async () => {
    const cases: Array<[string, unknown]> = [
      ["loans", { ...decision(0), score: "0.5" }],
      ["loans", { model: MODEL, input: {}, output: 1 }],
      ["loans", { ...decision(0), extra: true }],
      ["loans", { ...decision(0), input: [1, 2] }],
      ["loans", { decisions: [] }],
      ["loans", [decision(0)]],
    ];
    for (const [stream, body] of cases) {
      const res = await svc.call(`/v1/streams/${stream}/decisions`, { token: svc.tokens.write, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).code).toBe("BAD_REQUEST");
    }
    for (const stream of ["Loans", "%2e%2e%2fetc", "a%2Fb", "a%00b", `${"a".repeat(65)}`]) {
      const res = await svc.call(`/v1/streams/${stream}/config`, { token: svc.tokens.admin, body: CONFIG });
      expect(res.status, stream).toBe(400);
      expect(["STREAM_INVALID", "BAD_REQUEST"]).toContain((await errorOf(res)).code);
    }
    const config = await svc.call("/v1/streams/loans/config", {
      token: svc.tokens.admin,
      body: { ...CONFIG, changedBy: "" },
    });
    expect(config.status).toBe(400);
  });
});

describe("reads", () => {
  it("returns a record with its bytes, whose CID is the record's", async () => {
    const res = await svc.call("/v1/streams/loans/records/4", { token: svc.tokens.read });
    expect(res.status).toBe(200);
    const r = (await res.json()) as {
      cid: string;
      bytes: string;
      kind: string;
      record: { seq: number };
      receipt: unknown;
      verifyUrl: unknown;
    };
    expect(r.kind).toBe("decision");
    expect(computeCid(new Uint8Array(Buffer.from(r.bytes, "base64"))).toString()).toBe(r.cid);
    expect(r.record.seq).toBe(4);
    expect(r.receipt).toBeNull();
    // No receipt before an anchor covers the record, so no link to the page (test/e2e/verify-page.test.ts
    // follows the link of an anchored record).
    expect(r.verifyUrl).toBeNull();
    for (const path of ["/v1/streams/loans/records/999999", "/v1/streams/ghost/records/0"]) {
      const missing = await svc.call(path, { token: svc.tokens.read });
      expect(missing.status).toBe(404);
    }
    for (const seq of ["-1", "1.5", "x"]) {
      expect((await svc.call(`/v1/streams/loans/records/${seq}`, { token: svc.tokens.read })).status).toBe(
        400,
      );
    }
  });

  it("pages through every decision exactly once, within the page bounds", async () => {
    const total = svc.service.store.count({ stream: "loans" });
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const res = await svc.call(`/v1/streams/loans/records?limit=50${cursor ? `&cursor=${cursor}` : ""}`, {
        token: svc.tokens.read,
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { seq: number; kind: string }[]; cursor?: string };
      expect(page.items.length).toBeLessThanOrEqual(50);
      seen.push(...page.items.map((i) => i.seq));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    for (const q of [
      "limit=51",
      "limit=0",
      "limit=-1",
      "limit=ten",
      "kind=nope",
      "label=approve",
      "cursor=garbage",
      "from=yesterday",
      "version=1",
    ]) {
      const res = await svc.call(`/v1/streams/loans/records?${q}`, { token: svc.tokens.read });
      expect(res.status, q).toBe(400);
    }
    const configs = await svc.call("/v1/streams/loans/records?kind=config", { token: svc.tokens.read });
    expect(((await configs.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  // Audit jobs start a worker thread, which loads the TypeScript sources in tests (a few seconds).
  it("verifies the log, one stream or all", { timeout: 30_000 }, async () => {
    for (const path of ["/v1/verify", "/v1/verify?stream=loans"]) {
      const res = await svc.call(path, { token: svc.tokens.read });
      expect(res.status).toBe(200);
      const v = (await res.json()) as { ok: boolean; checked: number; streams: { stream: string }[] };
      expect(v.ok).toBe(true);
      expect(v.checked).toBe(svc.service.store.stream("loans").size);
    }
    expect((await svc.call("/v1/verify?stream=ghost", { token: svc.tokens.read })).status).toBe(404);
  });

  it("streams the audit log as JSON lines, verified to the last line", async () => {
    const res = await svc.call("/v1/export/audit?stream=loans", { token: svc.tokens.read });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; ok?: boolean });
    expect(lines[0]?.type).toBe("header");
    expect(lines.filter((l) => l.type === "record")).toHaveLength(svc.service.store.stream("loans").size);
    expect(lines.at(-1)).toMatchObject({ type: "verification", ok: true });
    expect((await svc.call("/v1/export/audit", { token: svc.tokens.read })).status).toBe(400);
    expect((await svc.call("/v1/export/audit?stream=ghost", { token: svc.tokens.read })).status).toBe(404);
  });

  it("returns the EU AI Act evidence pack as JSON or Markdown", { timeout: 30_000 }, async () => {
    const res = await svc.call(`/v1/export/eu-ai-act?stream=loans&model=${MODEL.id}`, {
      token: svc.tokens.read,
    });
    expect(res.status).toBe(200);
    const pack = (await res.json()) as {
      format: string;
      logging: { decisions: number };
      verification: { ok: boolean };
    };
    expect(pack.format).toBe("ancora.evidence-pack");
    expect(pack.logging.decisions).toBe(svc.service.store.count({ stream: "loans", model: MODEL.id }));
    expect(pack.verification.ok).toBe(true);
    const md = await svc.call(`/v1/export/eu-ai-act?stream=loans&model=${MODEL.id}`, {
      token: svc.tokens.read,
      headers: { accept: "text/markdown" },
    });
    expect(md.headers.get("content-type")).toMatch(/text\/markdown/);
    expect(await md.text()).toMatch(/^# Evidence pack/);
    expect((await svc.call("/v1/export/eu-ai-act?stream=loans", { token: svc.tokens.read })).status).toBe(
      400,
    );
  });
});

describe("operations", () => {
  it("serves health without a key, metrics with one", async () => {
    const health = await svc.call("/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    expect((await svc.call("/metrics")).status).toBe(401);
    const res = await svc.call("/metrics", { token: svc.tokens.read });
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const size = svc.service.store.stream("loans").size;
    // Genesis is written by the SDK on creation; everything after it went through the service.
    expect(text).toContain(`ancora_appends_total{stream="loans"} ${size - 1}`);
    expect(text).toMatch(/ancora_commit_latency_seconds_bucket\{le="\+Inf"\} [1-9]/);
    expect(text).toContain("# TYPE ancora_outbox_backlog gauge");
    expect(text).toContain(`ancora_anchor_lag_records{stream="loans"} ${size}`);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
  });

  it("documents every route in /openapi.json with its schemas", async () => {
    const res = await svc.call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: unknown;
            parameters?: unknown[];
            responses: Record<string, unknown>;
            security?: unknown;
          }
        >
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(svc.service.routes.length).toBe(18);
    for (const route of svc.service.routes) {
      const path = route.url.replace(/:([a-z]+)/g, "{$1}");
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.url}`).toBeDefined();
      expect(Object.keys(op?.responses ?? {})).toContain("200" in (op?.responses ?? {}) ? "200" : "201");
      if (route.method === "POST") expect(op?.requestBody, route.url).toBeDefined();
      if (route.url.includes(":")) expect(op?.parameters?.length, route.url).toBeGreaterThan(0);
    }
    expect(doc.paths["/v1/streams/{stream}/decisions"]?.post?.security).toEqual([{ bearer: [] }]);
  });

  it("answers unknown routes in the error shape", async () => {
    const res = await svc.call("/v2/nothing");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("NOT_FOUND");
  });
});

describe("pushback", () => {
  it("answers 503 with Retry-After beyond maxInflight, and loses no acknowledged decision", async () => {
    // A 100 ms group-commit window keeps each batch in flight long enough for the others to arrive.
    const small = await testService({
      limits: { maxInflight: 2, maxBatch: 2 },
      groupCommit: { windowMs: 100 },
    });
    try {
      expect(
        (await small.call("/v1/streams/p/config", { token: small.tokens.admin, body: CONFIG })).status,
      ).toBe(201);
      const responses = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          small.call("/v1/streams/p/decisions", {
            token: small.tokens.write,
            body: { decisions: [decision(i), decision(i + 1)] },
          }),
        ),
      );
      const refused = responses.filter((r) => r.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.headers.get("retry-after")).toBe("1");
        expect((await errorOf(r)).code).toBe("OVERLOADED");
      }
      const ok = responses.filter((r) => r.status === 201);
      expect(ok.length + refused.length).toBe(60);
      const acked = (await Promise.all(ok.map((r) => r.json()))) as {
        results: { seq: number; cid: string }[];
      }[];
      for (const { results } of acked)
        for (const { seq, cid } of results) expect(small.service.store.get("p", seq)?.cid).toBe(cid);
      const metrics = await (await small.call("/metrics", { token: small.tokens.read })).text();
      expect(metrics).toContain(`ancora_rejected_requests_total{reason="overloaded"} ${refused.length}`);
    } finally {
      await small.cleanup();
    }
  });
});
