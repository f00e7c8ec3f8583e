import { AncoraError } from "@ancora/core";
import { describe, expect, it } from "vitest";
import { CliError } from "../errors.js";
import { EXIT, exitCodeOf, formatError, printedError } from "./error-output.js";

describe("exit codes", () => {
  it("maps unreachable sources to 3, tampering to 1, everything else to 2", () => {
    expect(exitCodeOf(new CliError("CHAIN_UNREACHABLE", "x"))).toBe(EXIT.unreachable);
    expect(exitCodeOf(new AncoraError("ANCHOR_CHAIN_UNAVAILABLE", "x"))).toBe(EXIT.unreachable);
    expect(exitCodeOf(new AncoraError("ANCHOR_FORK", "x"))).toBe(EXIT.failed);
    expect(exitCodeOf(new AncoraError("CID_MISMATCH", "x"))).toBe(EXIT.failed);
    expect(exitCodeOf(new CliError("USAGE", "x"))).toBe(EXIT.usage);
    expect(exitCodeOf(new Error("boom"))).toBe(EXIT.usage);
    const transport = Object.assign(new Error("fetch failed"), { name: "HttpRequestError" });
    expect(exitCodeOf(new Error("outer", { cause: transport }))).toBe(EXIT.unreachable);
  });
});

describe("printed errors", () => {
  it("prints code, message and hint", () => {
    const printed = printedError(new CliError("USAGE", "bad flag", { hint: "see --help" }));
    expect(formatError(printed)).toBe("error USAGE: bad flag\nWhat to do: see --help\n");
  });

  it("removes URLs and 32-byte hex strings from foreign errors", () => {
    const key = `0x${"ab".repeat(32)}`;
    const printed = printedError(
      new Error(`request to https://mainnet.example/v3/SECRETKEY failed with ${key}\nbody`),
    );
    expect(printed.code).toBe("UNEXPECTED");
    expect(printed.message).not.toContain("SECRETKEY");
    expect(printed.message).not.toContain(key);
    expect(printed.message).not.toContain("body");
  });
});
