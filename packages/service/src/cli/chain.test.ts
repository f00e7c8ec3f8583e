import { describe, expect, it } from "vitest";
import { rpcEndpointsOf } from "./chain.js";
import { defaultConfig } from "./config.js";

const KEY = "k-123-secret";

function usage(fn: () => unknown): { code: string; message: string; hint?: string } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string; hint?: string };
  }
  throw new Error("expected a CliError");
}

describe("rpcEndpointsOf", () => {
  it("takes --rpc, else ANCORA_RPC_URL (several URLs separated by spaces), else the config", () => {
    const config = defaultConfig();
    config.chain.rpcUrl = "http://config:8545";
    expect(rpcEndpointsOf("http://flag:8545", { ANCORA_RPC_URL: "http://env:8545" }, config)).toEqual({
      urls: ["http://flag:8545"],
    });
    expect(
      rpcEndpointsOf(undefined, { ANCORA_RPC_URL: " https://a/v2/KEY\n https://b/KEY " }, config),
    ).toEqual({
      urls: ["https://a/v2/KEY", "https://b/KEY"],
    });
    expect(rpcEndpointsOf(undefined, {}, config)).toEqual({ urls: ["http://config:8545"] });
  });

  it("reads headers from ANCORA_RPC_HEADERS as JSON", () => {
    expect(
      rpcEndpointsOf("http://a:8545", { ANCORA_RPC_HEADERS: JSON.stringify({ "x-api-key": KEY }) }),
    ).toEqual({ urls: ["http://a:8545"], headers: { "x-api-key": KEY } });
  });

  it("refuses missing or bad endpoints and headers with USAGE, never echoing a URL or a header value", () => {
    const cases: Array<[string | undefined, Record<string, string>]> = [
      [undefined, {}],
      [undefined, { ANCORA_RPC_URL: "   " }],
      ["ws://a:8545", {}],
      ["http://a:8545", { ANCORA_RPC_URL: "ignored", ANCORA_RPC_HEADERS: `{"x-api-key": ${KEY}` }],
      ["http://a:8545", { ANCORA_RPC_HEADERS: JSON.stringify({ "x-api-key": 5, other: KEY }) }],
      ["http://a:8545", { ANCORA_RPC_HEADERS: JSON.stringify({ "bad name": KEY }) }],
      ["http://a:8545", { ANCORA_RPC_HEADERS: JSON.stringify([KEY]) }],
    ];
    for (const [flag, env] of cases) {
      const error = usage(() => rpcEndpointsOf(flag, env));
      expect(error.code).toBe("USAGE");
      const text = `${error.message} ${error.hint ?? ""}`;
      expect(text).not.toContain(KEY);
      expect(text).not.toContain("a:8545");
    }
  });
});
