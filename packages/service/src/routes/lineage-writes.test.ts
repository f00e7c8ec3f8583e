/**
 * Lineage and consent records written over HTTP with an admin key: a dataset, the model trained on it
 * and the training run, then read back as a lineage graph; consent granted and revoked. A body the SDK
 * refuses is refused with the SDK's own code (the same call made directly gives the same one).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AncoraError } from "@ancora/core";
import { createLogger, logModel, type ModelInput } from "@ancora/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL, type TestService, testService } from "../testing/test-service.js";

let svc: TestService;
beforeAll(async () => {
  svc = await testService();
});
afterAll(() => svc.cleanup());

/** A well-formed CID of no record of the log. */
const UNKNOWN_CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const model = {
  name: MODEL.id,
  version: MODEL.version,
  weights: MODEL.hash,
  architecture: digest("a"),
  hyperparameters: digest("b"),
  environment: digest("c"),
  commit: "1".repeat(40),
};

async function post(path: string, body: unknown, token = svc.tokens.admin) {
  const res = await svc.call(`/v1/streams/lineage/${path}`, { token, body });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & { error?: { code: string } },
  };
}

/** The code the SDK's logModel throws for this input, called directly. */
function sdkCode(input: typeof model & { datasets: string[] }): string {
  const dir = mkdtempSync(join(tmpdir(), "ancora-sdk-"));
  const logger = createLogger({ path: join(dir, "a.db"), stream: "lineage", model: MODEL });
  try {
    logModel(logger, input as ModelInput);
    return "none";
  } catch (error) {
    return error instanceof AncoraError ? error.code : "not an AncoraError";
  } finally {
    logger.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("POST /v1/streams/{stream}/datasets, models, trainings", () => {
  it("writes a dataset, a model and its training run, which the lineage graph then shows", async () => {
    const dataset = await post("datasets", {
      id: "loans-2024",
      split: "train",
      sampleHashes: ["01".repeat(32), "02".repeat(32)],
      schema: digest("d"),
      privacy: "personal",
    });
    expect(dataset.status).toBe(201);
    expect(dataset.body).toMatchObject({ stream: "lineage", cid: expect.stringMatching(/^bafkrei/) });
    expect(dataset.body.root).toMatch(/^[0-9a-f]{64}$/);
    const written = await post("models", { ...model, datasets: [dataset.body.cid] });
    expect(written.status, JSON.stringify(written.body)).toBe(201);
    const training = await post("trainings", {
      datasets: [dataset.body.cid],
      modelAfter: written.body.cid,
      parameters: digest("e"),
      backend: "cpu",
      actor: "ml-platform",
    });
    expect(training.status, JSON.stringify(training.body)).toBe(201);

    const graph = await svc.call(`/v1/lineage/${written.body.cid as string}`, { token: svc.tokens.read });
    const { nodes } = (await graph.json()) as { nodes: { id: string; kind: string }[] };
    expect(nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining([dataset.body.cid, written.body.cid, training.body.cid]),
    );
  });

  it("refuses what the SDK refuses, with the SDK's code", async () => {
    const bad = { ...model, architecture: "resnet-50", datasets: [] };
    const code = sdkCode(bad);
    expect(code).not.toBe("none");
    const refused = await post("models", bad);
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe(code);
  });

  it("takes an admin key only, and no unknown field", async () => {
    expect((await post("models", { ...model, datasets: [] }, svc.tokens.write)).status).toBe(403);
    const extra = await post("models", { ...model, datasets: [], note: "x" });
    expect(extra.status).toBe(400);
  });
});

describe("POST /v1/streams/{stream}/consents and consent-revocations", () => {
  it("grants and revokes a subject's consent; the subject's id is never in the answer", async () => {
    const granted = await post("consents", {
      subject: "customer-4711",
      purposes: ["credit-scoring"],
      roles: ["underwriter"],
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    expect(JSON.stringify(granted.body)).not.toContain("customer-4711");
    const revoked = await post("consent-revocations", { subject: "customer-4711", actor: "privacy-desk" });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(201);
    expect(revoked.body).toEqual([expect.objectContaining({ subjectRef: granted.body.subjectRef })]);
    const unknown = await post("consent-revocations", {
      subject: "customer-4711",
      actor: "privacy-desk",
      policy: UNKNOWN_CID,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe("CONSENT_POLICY_UNKNOWN");
  });

  it("refuses a purpose that is not an identifier with CONSENT_INVALID", async () => {
    const refused = await post("consents", {
      subject: "c-1",
      purposes: ["credit scoring!"],
      roles: ["underwriter"],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe("CONSENT_INVALID");
  });
});
