/**
 * How thrown errors become HTTP answers: a source that did not answer (the chain or IPFS, while an
 * evidence pack or a verification is computed in the audit worker) is a retryable 503 with its code and
 * a Retry-After, not a 500; other unknown failures stay an opaque 500.
 */
import { AncoraError } from "@ancora/core";
import { SourceError } from "@ancora/verifier";
import { describe, expect, it } from "vitest";
import { toHttpError } from "./http-errors.js";

describe("toHttpError", () => {
  it("answers 503 with the code and a Retry-After when a source did not answer", () => {
    for (const code of ["SOURCE_UNREACHABLE", "SOURCE_TIMEOUT", "HISTORY_UNAVAILABLE"] as const) {
      const direct = toHttpError(
        new SourceError(code, "The chain node could not be read", { hint: "Check it." }),
      );
      expect(direct).toMatchObject({
        status: 503,
        retryAfter: 5,
        body: { error: { code, hint: "Check it." } },
      });
      // As the audit worker hands it back: an AncoraError with the same code and no hint.
      const relayed = toHttpError(new AncoraError(code, "The chain node could not be read"));
      expect(relayed.status).toBe(503);
      expect(relayed.body.error.code).toBe(code);
      expect(relayed.body.error.hint).toMatch(/retry later/);
    }
  });

  it("keeps other unknown failures an opaque 500 that says nothing of the cause", () => {
    const answer = toHttpError(new AncoraError("SOMETHING_ELSE", "secret detail of the cause"));
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe("INTERNAL");
    expect(JSON.stringify(answer.body)).not.toContain("secret detail");
  });
});
