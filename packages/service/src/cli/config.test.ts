import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AncoraConfig,
  CONFIG_FILE,
  dbPath,
  defaultConfig,
  loadConfig,
  parseConfig,
  saveConfig,
} from "./config.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-cli-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("ancora.json", () => {
  it("round-trips the default config", () => {
    saveConfig(dir, defaultConfig());
    expect(loadConfig(dir)).toEqual(defaultConfig());
  });

  it.each([
    ["format", (c: AncoraConfig) => (c.format = "other" as never)],
    ["version", (c: AncoraConfig) => (c.version = 2 as never)],
    ["service.port", (c: AncoraConfig) => (c.service.port = 70_000)],
    ["chain.registry", (c: AncoraConfig) => (c.chain.registry = "0x1234")],
    ["chain.rpcUrl", (c: AncoraConfig) => (c.chain.rpcUrl = "ftp://x")],
    ["chain.confirmations", (c: AncoraConfig) => (c.chain.confirmations = 0)],
    ["pinning.service", (c: AncoraConfig) => (c.pinning.service = "s3" as never)],
    ["ipfs.enabled", (c: AncoraConfig) => (c.ipfs.enabled = "yes" as never)],
  ])("rejects a bad %s, naming it", (field, mutate) => {
    const config = structuredClone(defaultConfig());
    mutate(config);
    expect(() => parseConfig(config)).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", evidence: { field } }),
    );
  });

  it("says to run init when missing, and names invalid JSON", () => {
    expect(() => loadConfig(dir)).toThrow(expect.objectContaining({ code: "CONFIG_NOT_FOUND" }));
    writeFileSync(join(dir, CONFIG_FILE), "{");
    expect(() => loadConfig(dir)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });

  it("never writes an invalid config", () => {
    saveConfig(dir, defaultConfig());
    const bad = { ...defaultConfig(), service: { host: "", port: 1 } };
    expect(() => saveConfig(dir, bad)).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    expect(JSON.parse(readFileSync(join(dir, CONFIG_FILE), "utf8"))).toEqual(defaultConfig());
  });
});

describe("dbPath", () => {
  it("takes --db, else the data directory's ancora.db, else refuses", () => {
    expect(dbPath({ db: "x.db" }, {}, "/w")).toBe("/w/x.db");
    expect(dbPath({ dir: "d" }, {}, "/w")).toBe("/w/d/ancora.db");
    expect(dbPath({}, { ANCORA_DIR: "/data" }, "/w")).toBe("/data/ancora.db");
    expect(() => dbPath({}, {}, "/w")).toThrow(expect.objectContaining({ code: "USAGE" }));
  });
});
