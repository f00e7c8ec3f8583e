import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConsentDeniedError } from "../errors.js";
import { createLogger, type ProvenanceLogger } from "../logger.js";
import { CONFIG, MODEL, tempStore } from "../testing/fixtures.js";
import { checkConsent, grantConsent, revokeConsent } from "./consent.js";

let temp: ReturnType<typeof tempStore>;
let logger: ProvenanceLogger;
beforeEach(() => {
  temp = tempStore();
  logger = createLogger({ path: temp.path, stream: "credit", model: MODEL });
  logger.setConfig(CONFIG);
});
afterEach(async () => {
  await logger.close();
  temp.cleanup();
});

const REQ = { subject: "customer-4711", purpose: "credit-scoring", role: "underwriter" } as const;
const entry = { features: { age: 42 }, output: 0.8, score: 0.8, consent: REQ };

function decisions(): number {
  return logger.count({});
}

async function denied(promise: Promise<unknown>): Promise<ConsentDeniedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConsentDeniedError);
  return error as ConsentDeniedError;
}

describe("consent gate on record()", () => {
  it("allowed: the decision is logged; verify stays green", async () => {
    grantConsent(logger, { subject: REQ.subject, purposes: ["credit-scoring"], roles: ["underwriter"] });
    const written = await logger.record(entry);
    expect(written.seq).toBeGreaterThan(0);
    expect(decisions()).toBe(1);
    expect(logger.verify().ok).toBe(true);
  });

  it.each([
    ["no policy", () => undefined, "CONSENT_MISSING", "no-policy"],
    [
      "wrong purpose",
      () => grantConsent(logger, { subject: REQ.subject, purposes: ["marketing"], roles: ["underwriter"] }),
      "CONSENT_PURPOSE_MISMATCH",
      "purpose-not-allowed",
    ],
    [
      "wrong role",
      () =>
        grantConsent(logger, {
          subject: REQ.subject,
          purposes: ["credit-scoring"],
          roles: ["marketing-team"],
        }),
      "CONSENT_ROLE_MISMATCH",
      "role-not-allowed",
    ],
    [
      "expired",
      () =>
        grantConsent(logger, {
          subject: REQ.subject,
          purposes: ["credit-scoring"],
          roles: ["underwriter"],
          validFrom: "2020-01-01T00:00:00.000Z",
          validUntil: "2021-01-01T00:00:00.000Z",
        }),
      "CONSENT_EXPIRED",
      "expired",
    ],
    [
      "not yet valid",
      () =>
        grantConsent(logger, {
          subject: REQ.subject,
          purposes: ["credit-scoring"],
          roles: ["underwriter"],
          validFrom: new Date(Date.now() + 86_400_000),
        }),
      "CONSENT_NOT_YET_VALID",
      "not-yet-valid",
    ],
    [
      "revoked",
      () => {
        grantConsent(logger, { subject: REQ.subject, purposes: ["credit-scoring"], roles: ["underwriter"] });
        revokeConsent(logger, { subject: REQ.subject, actor: "privacy-desk" });
      },
      "CONSENT_REVOKED",
      "revoked",
    ],
  ])("%s: consent-denied record, typed error, no decision", async (_name, setup, code, reason) => {
    setup();
    const error = await denied(logger.record(entry));
    expect(error.code).toBe(code);
    expect(error.evidence?.reason).toBe(reason);
    expect(decisions()).toBe(0);
    const seq = error.evidence?.deniedSeq as number;
    const record = logger.store.get("credit", seq)?.record;
    expect(record?.kind).toBe("consent-denied");
    expect(record?.body).toMatchObject({ purpose: "credit-scoring", role: "underwriter", reason });
    // The subject id never reaches a record or the error.
    expect(JSON.stringify(record?.body)).not.toContain("4711");
    expect(JSON.stringify(error.toJSON())).not.toContain("4711");
    expect(logger.verify().ok).toBe(true);
  });

  it("recordSync throws the same typed error", () => {
    expect(() => logger.recordSync(entry)).toThrow(expect.objectContaining({ code: "CONSENT_MISSING" }));
  });

  it("bad input fails first and writes nothing, not even a consent-denied record", async () => {
    const size = logger.store.stream("credit").size;
    await expect(logger.record({ ...entry, score: Number.NaN })).rejects.toMatchObject({
      code: "SCORE_INVALID",
    });
    expect(logger.store.stream("credit").size).toBe(size);
  });

  it("checks ride on the decision record", async () => {
    grantConsent(logger, { subject: REQ.subject, purposes: ["credit-scoring"], roles: ["underwriter"] });
    const checks = [{ name: "pii-scan", category: "privacy", result: "pass", blocking: true }] as const;
    const { seq } = await logger.record({ ...entry, checks: [...checks] });
    expect(logger.store.get("credit", seq)?.record.body).toMatchObject({ checks });
    expect(logger.verify().ok).toBe(true);
  });
});

describe("consent gate on wrap()", () => {
  it("revocation mid-run: after revokeConsent returns, the model is not called again", async () => {
    grantConsent(logger, { subject: REQ.subject, purposes: ["credit-scoring"], roles: ["underwriter"] });
    let calls = 0;
    // A real async function: the wrapper rejects (rather than throws) for those.
    async function model(applicant: { id: string; age: number }) {
      calls++;
      return { p: applicant.age / 100 };
    }
    const predict = logger.wrap(model, {
      score: (out) => out.p,
      features: (a) => ({ age: a.age }),
      consent: (a) => ({ subject: a.id, purpose: "credit-scoring", role: "underwriter" }),
    });
    for (let i = 0; i < 3; i++) await predict({ id: REQ.subject, age: 40 + i });
    expect(calls).toBe(3);
    revokeConsent(logger, { subject: REQ.subject, purpose: "credit-scoring", actor: "privacy-desk" });
    for (let i = 0; i < 3; i++) {
      const error = await denied(predict({ id: REQ.subject, age: 50 + i }));
      expect(error.code).toBe("CONSENT_REVOKED");
    }
    expect(calls).toBe(3);
    expect(decisions()).toBe(3);
    expect(logger.verify().ok).toBe(true);
  });

  it("a sync wrapped function throws and is not called when consent is missing", () => {
    const model = vi.fn((a: { id: string }) => a.id.length / 100);
    const predict = logger.wrap(model, {
      score: (out) => out,
      features: () => ({ x: 1 }),
      consent: (a) => ({ subject: a.id, purpose: "credit-scoring", role: "underwriter" }),
    });
    expect(() => predict({ id: "someone-else" })).toThrow(ConsentDeniedError);
    expect(model).not.toHaveBeenCalled();
  });
});

describe("consent arguments", () => {
  it("bad purposes, roles, subjects and non-revocable policies are typed errors", () => {
    expect(() => grantConsent(logger, { subject: REQ.subject, purposes: [], roles: ["r"] })).toThrow(
      expect.objectContaining({ code: "CONSENT_INVALID" }),
    );
    expect(() => grantConsent(logger, { subject: "", purposes: ["p"], roles: ["r"] })).toThrow(
      expect.objectContaining({ code: "CONSENT_INVALID" }),
    );
    expect(() => checkConsent(logger, { ...REQ, purpose: "has space" })).toThrow(
      expect.objectContaining({ code: "CONSENT_INVALID" }),
    );
    const fixed = grantConsent(logger, {
      subject: REQ.subject,
      purposes: ["p"],
      roles: ["r"],
      revocable: false,
    });
    expect(() => revokeConsent(logger, { subject: REQ.subject, actor: "x", policy: fixed.cid })).toThrow(
      expect.objectContaining({ code: "CONSENT_NOT_REVOCABLE" }),
    );
    expect(() => revokeConsent(logger, { subject: "other", actor: "x", policy: fixed.cid })).toThrow(
      expect.objectContaining({ code: "CONSENT_POLICY_UNKNOWN" }),
    );
    expect(revokeConsent(logger, { subject: REQ.subject, actor: "x" })).toEqual([]);
  });
});
