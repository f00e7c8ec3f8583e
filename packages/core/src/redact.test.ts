import { describe, expect, test } from "vitest";
import { redactForeign, redactUrls } from "./redact.js";

const KEY = `0x${"ab".repeat(32)}`;

describe("redaction", () => {
  test("removes URLs of any scheme, with credentials, paths and queries", () => {
    for (const url of [
      "https://eth-mainnet.example/v2/SECRETKEY",
      "http://user:pw@host:8545/path?token=abc",
      "wss://rpc.example/ws/KEY",
      "ipfs://bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
    ]) {
      const text = redactUrls(`request to ${url} failed`);
      expect(text).toBe("request to <url> failed");
    }
  });

  test("keeps roots and hashes in Ancora's own messages, removes them from foreign ones", () => {
    expect(redactUrls(`root ${KEY} differs`)).toBe(`root ${KEY} differs`);
    expect(redactForeign(`invalid private key ${KEY}`)).toBe("invalid private key <redacted>");
    expect(redactForeign(`${KEY.toUpperCase().replace("0X", "0x")} at https://x/KEY`)).toBe(
      "<redacted> at <url>",
    );
    // Shorter or longer hex is not a 32-byte value: an address or a selector stays readable.
    const address = `0x${"cd".repeat(20)}`;
    expect(redactForeign(`from ${address}`)).toBe(`from ${address}`);
    expect(redactForeign(`0x${"ab".repeat(33)}`)).toBe(`0x${"ab".repeat(33)}`);
  });
});
