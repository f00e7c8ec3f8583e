/**
 * Requests that Fastify or Node refuse before a route runs (URL and header limits, bad percent-encoding,
 * other media types), numbers in the query that are not integers, evidence asked for a model that never
 * decided, and model hashes other than sha256: each answers in the service's `{ error: { code } }`
 * shape with its documented status, and never echoes the request's URL or values.
 */
import { request } from "node:http";
import { verifyOpening } from "@ancora/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG, decision, MODEL, type TestService, testService } from "./testing/test-service.js";

let svc: TestService;

beforeAll(async () => {
  svc = await testService({ limits: { maxPageSize: 50 } });
  expect((await svc.call("/v1/streams/loans/config", { token: svc.tokens.admin, body: CONFIG })).status).toBe(
    201,
  );
  expect(
    (await svc.call("/v1/streams/loans/decisions", { token: svc.tokens.write, body: decision(1) })).status,
  ).toBe(201);
});
afterAll(async () => {
  await svc.cleanup();
});

/** A raw request (fetch would refuse or re-encode the URLs these tests send). */
function raw(
  path: string,
  headers: Record<string, string> = {},
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; type: string | undefined; text: string }> {
  const url = new URL(svc.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: init.method ?? "GET", headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], text }),
        );
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

/** The answer's error, checking the shape `{ error: { code, message, hint } }` and nothing else. */
function errorOf(answer: { type: string | undefined; text: string }): { code: string; message: string } {
  expect(answer.type).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text) as { error: { code: string; message: string; hint?: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error.message).toBe("string");
  expect(typeof body.error.hint).toBe("string");
  return body.error;
}

const auth = (): Record<string, string> => ({ authorization: `Bearer ${svc.tokens.admin}` });

describe("refusals before a route runs", () => {
  it("answers a path parameter over the router's limit with 414 URI_TOO_LONG, without the URL", async () => {
    const marker = `zq${"x".repeat(200)}`;
    const answer = await raw(`/v1/streams/${marker}/records`, auth());
    expect(answer.status).toBe(414);
    expect(errorOf(answer).code).toBe("URI_TOO_LONG");
    expect(answer.text).not.toContain("zqx");
  });

  it("answers headers over Node's limit with 431 HEADERS_TOO_LARGE, without any of them", async () => {
    const marker = `zq${"y".repeat(17_000)}`;
    const answer = await raw(`/v1/streams/loans/records?model=${marker}`, auth());
    expect(answer.status).toBe(431);
    expect(errorOf(answer).code).toBe("HEADERS_TOO_LARGE");
    expect(answer.text).not.toContain("zqy");
  });

  it("answers bad percent-encoding (FST_ERR_BAD_URL) with 400 MALFORMED_URL, without the URL", async () => {
    const answer = await raw("/v1/streams/zqz%E0%A4%A/records", auth());
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe("MALFORMED_URL");
    expect(answer.text).not.toContain("zqz");
    expect(answer.text).not.toContain("FST_");
  });

  it("answers a text/plain body (and any other non-JSON type) with 415, writing nothing", async () => {
    const before = svc.service.store.stream("loans").size;
    for (const type of ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded"]) {
      const answer = await raw(
        "/v1/streams/loans/decisions",
        { ...auth(), "content-type": type },
        { method: "POST", body: JSON.stringify(decision(2)) },
      );
      expect(answer.status, type).toBe(415);
      expect(errorOf(answer).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    }
    expect(svc.service.store.stream("loans").size).toBe(before);
  });
});

describe("query numbers", () => {
  it.each(["1.5", "1e1", "0", "-1", "01", " 1", "0x10", "51"])(
    "refuses limit=%s with 400 BAD_REQUEST",
    async (limit) => {
      const answer = await raw(`/v1/streams/loans/records?limit=${encodeURIComponent(limit)}`, auth());
      expect(answer.status).toBe(400);
      expect(errorOf(answer).code).toBe("BAD_REQUEST");
    },
  );

  it("takes an integer limit up to maxPageSize", async () => {
    for (const limit of ["1", "50"]) {
      const res = await svc.call(`/v1/streams/loans/records?limit=${limit}&kind=any`, {
        token: svc.tokens.read,
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: unknown[] };
      expect(page.items.length).toBe(Math.min(Number(limit), svc.service.store.stream("loans").size));
    }
  });
});

describe("EU AI Act evidence pack", () => {
  it("answers 404 MODEL_UNKNOWN for a model (or version) with no decision in the stream", async () => {
    for (const query of [`model=never-decided`, `model=${MODEL.id}&version=9.9.9`]) {
      const answer = await raw(`/v1/export/eu-ai-act?stream=loans&${query}`, auth());
      expect(answer.status, query).toBe(404);
      expect(errorOf(answer).code).toBe("MODEL_UNKNOWN");
      expect(answer.text).not.toContain("never-decided");
    }
  });

  it("still gives the pack of a model that decided", async () => {
    const res = await svc.call(`/v1/export/eu-ai-act?stream=loans&model=${MODEL.id}`, {
      token: svc.tokens.read,
    });
    expect(res.status).toBe(200);
    // The pack's own content is the SDK's (tested there): here, that the model check lets it through.
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.stringify(await res.json())).toContain(MODEL.id);
  }, 30_000); // the pack runs on a worker thread that loads the verifier: slow on a busy machine
});

describe("model hashes", () => {
  it.each(["md5:x", `sha512:${"ab".repeat(64)}`, `sha256:${"AB".repeat(32)}`, `sha256:${"ab".repeat(31)}`])(
    "refuses %s with 400 INVALID_OPTION, writing nothing",
    async (hash) => {
      const before = svc.service.store.stream("loans").size;
      const res = await svc.call("/v1/streams/loans/decisions", {
        token: svc.tokens.write,
        body: { ...decision(3), model: { ...MODEL, hash } },
      });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe("INVALID_OPTION");
      expect(text).not.toContain(hash);
      expect(svc.service.store.stream("loans").size).toBe(before);
    },
  );
});

describe("JSON bodies", () => {
  /** What the service recorded as a decision's input: its salted commitment must open to `input`. */
  function recordedInputOpens(seq: number, input: unknown): boolean {
    const stored = svc.service.store.get("loans", seq);
    const salt = svc.service.store.salts("loans", seq).input;
    if (stored === undefined || salt === undefined || stored.record.kind !== "decision") return false;
    return verifyOpening(stored.record.body.input, { value: input, salt });
  }

  it("records keys with escapes exactly as sent, whatever bodies came before (V8's JSON.parse defect)", async () => {
    // Node 24's JSON.parse can read {"\n":1} as {"\\":1} once it has parsed a "\\" key: bodies are
    // read with parseJson instead.
    const post = async (input: Record<string, number>) => {
      const answer = await raw(
        "/v1/streams/loans/decisions",
        { ...auth(), "content-type": "application/json" },
        { method: "POST", body: JSON.stringify({ ...decision(3), input }) },
      );
      expect(answer.status).toBe(201);
      return (JSON.parse(answer.text) as { seq: number }).seq;
    };
    // The engine takes the wrong key when the object so far has one known next key that starts like
    // it: a first key no other object in the process has ("zq_edges") makes that state certain.
    await post({ zq_edges: 0, "\\": 1 });
    for (const key of ["\n", '"', "\u001f", "\u0000"]) {
      const input = { zq_edges: 0, [key]: 1 };
      expect(recordedInputOpens(await post(input), input), JSON.stringify(key)).toBe(true);
    }
  });

  it("refuses bodies that could pollute prototypes with 400 MALFORMED_JSON, writing nothing", async () => {
    const before = svc.service.store.stream("loans").size;
    for (const body of [
      '{"__proto__":{"x":1}}',
      String.raw`{"input":{"\u005f_proto__":{"x":1}}}`,
      '{"input":{"constructor":{"prototype":{"x":1}}}}',
      "",
    ]) {
      const answer = await raw(
        "/v1/streams/loans/decisions",
        { ...auth(), "content-type": "application/json" },
        { method: "POST", body },
      );
      expect(answer.status, body).toBe(400);
      expect(errorOf(answer).code).toBe("MALFORMED_JSON");
    }
    expect(svc.service.store.stream("loans").size).toBe(before);
  });
});
