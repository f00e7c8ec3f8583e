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

  it.each([
    ["extra", (c: Record<string, unknown>) => (c.extra = 1)],
    ["chain.rpcurl", (c: AncoraConfig) => ((c.chain as Record<string, unknown>).rpcurl = "http://x")],
    ["ipfs.listne", (c: AncoraConfig) => ((c.ipfs as Record<string, unknown>).listne = [])],
    ["ipfs.gateway.prot", (c: AncoraConfig) => ((c.ipfs.gateway as Record<string, unknown>).prot = 1)],
  ])("rejects the unknown key %s, naming it (never ignored)", (field, mutate) => {
    const config = structuredClone(defaultConfig());
    mutate(config as AncoraConfig & Record<string, unknown>);
    expect(() => parseConfig(config)).toThrow(
      expect.objectContaining({
        code: "CONFIG_INVALID",
        evidence: { field },
        message: expect.stringContaining(`${field} is not a setting`),
      }),
    );
  });

  it.each([
    ["ipfs.listen", (c: AncoraConfig) => (c.ipfs.listen = "/ip4/0.0.0.0/tcp/4001" as never)],
    ["ipfs.listen[0]", (c: AncoraConfig) => (c.ipfs.listen = ["0.0.0.0:4001"])],
    [
      "ipfs.announce[1]",
      (c: AncoraConfig) => (c.ipfs.announce = ["/dns4/a.example/tcp/4001", 4001 as never]),
    ],
    ["ipfs.identityFile", (c: AncoraConfig) => (c.ipfs.identityFile = 5 as never)],
    ["ipfs.gateway.port", (c: AncoraConfig) => (c.ipfs.gateway.port = "8081" as never)],
    ["ipfs.gateway.enabled", (c: AncoraConfig) => (c.ipfs.gateway.enabled = 1 as never)],
    ["ipfs.gateway", (c: AncoraConfig) => (c.ipfs.gateway = true as never)],
  ])("rejects a %s of the wrong type, naming it", (field, mutate) => {
    const config = structuredClone(defaultConfig());
    mutate(config);
    expect(() => parseConfig(config)).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID", evidence: { field } }),
    );
  });

  it("keeps loading a config written before the IPFS settings, with their defaults", () => {
    const old = { ...defaultConfig(), ipfs: { enabled: true } };
    writeFileSync(join(dir, CONFIG_FILE), JSON.stringify(old));
    expect(loadConfig(dir).ipfs).toEqual({
      enabled: true,
      listen: ["/ip4/127.0.0.1/tcp/0"],
      announce: [],
      identityFile: "ipfs-identity.key",
      gateway: { enabled: true, host: "127.0.0.1", port: 0 },
    });
    const custom = {
      enabled: true,
      listen: ["/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001"],
      announce: ["/dns4/ipfs.example.org/tcp/4001"],
      identityFile: null,
      gateway: { enabled: false, host: "0.0.0.0", port: 8081 },
    };
    saveConfig(dir, { ...defaultConfig(), ipfs: custom });
    expect(loadConfig(dir).ipfs).toEqual(custom);
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

describe("docs/service.md's table of ancora.json", () => {
  /** `a.b.c` → value, for every leaf of the config (lists are leaves). */
  function leaves(value: unknown, prefix = ""): Map<string, unknown> {
    const out = new Map<string, unknown>();
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [key, v] of Object.entries(value)) {
        for (const [k, leaf] of leaves(v, prefix === "" ? key : `${prefix}.${key}`)) out.set(k, leaf);
      }
    } else out.set(prefix, value);
    return out;
  }

  it("lists every key of the config `ancora init` writes, with its default, and no other", () => {
    const doc = readFileSync(new URL("../../../../docs/service.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## `ancora.json`"), doc.indexOf("## CLI: `ancora ingest`"));
    const rows = new Map(
      [...section.matchAll(/^\| `([a-zA-Z.]+)` +\|[^|]+\| `([^`]+)` +\|/gm)].map((m) => [m[1], m[2]]),
    );
    const defaults = leaves(defaultConfig());
    expect([...rows.keys()].sort()).toEqual([...defaults.keys()].sort());
    for (const [key, value] of defaults) expect(JSON.parse(rows.get(key) as string), key).toEqual(value);
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
