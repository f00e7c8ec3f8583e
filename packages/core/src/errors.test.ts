import { describe, expect, it } from "vitest";
import { AncoraError, EncodingError, InvariantError, invariant, VerificationError } from "./errors.js";

describe("AncoraError", () => {
  it("keeps code, hint and cause apart from the message", () => {
    const cause = new Error("disk full");
    const error = new AncoraError("STORE_WRITE_FAILED", "could not write", { hint: "free space", cause });
    expect(error.code).toBe("STORE_WRITE_FAILED");
    expect(error.shortMessage).toBe("could not write");
    expect(error.message).toContain("What to do: free space");
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });

  it("walks the cause chain to the deepest error or the first match", () => {
    const root = new TypeError("root");
    const middle = new VerificationError("ROOT_MISMATCH", "roots differ", { cause: root });
    const top = new AncoraError("ANCHOR_FAILED", "anchor failed", { cause: middle });
    expect(top.walk()).toBe(root);
    expect(top.walk((e) => e instanceof VerificationError)).toBe(middle);
    expect(top.walk((e) => e instanceof RangeError)).toBeUndefined();
  });

  it("survives a cyclic cause chain", () => {
    const a = new AncoraError("A", "a");
    const b = new AncoraError("B", "b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(() => a.walk()).not.toThrow();
  });

  it("serialises to JSON without the stack", () => {
    const error = new EncodingError("ENCODING_NON_FINITE_NUMBER", "$.score", "NaN cannot be encoded");
    const json = JSON.parse(JSON.stringify(error));
    expect(json).toEqual({
      name: "EncodingError",
      code: "ENCODING_NON_FINITE_NUMBER",
      message: "NaN cannot be encoded at $.score",
      evidence: { path: "$.score" },
    });
  });
});

describe("invariant", () => {
  it("throws an InvariantError only when the condition is false", () => {
    expect(() => invariant(true, "fine")).not.toThrow();
    expect(() => invariant(0, "broken")).toThrow(InvariantError);
  });
});
