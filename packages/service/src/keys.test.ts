import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ServiceError } from "./errors.js";
import { allows, createApiKey, KEY_FILE, KeyRing, listApiKeys, revokeApiKey } from "./keys.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ancora-keys-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("API keys", () => {
  it("stores the secret's hash only, in a 0600 file", () => {
    const key = createApiKey(dir, ["write", "write"], { name: "ingest" });
    expect(key.token).toMatch(/^ak_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.scopes).toEqual(["write"]);
    const text = readFileSync(join(dir, KEY_FILE), "utf8");
    expect(text).not.toContain(key.token.split("_").slice(2).join("_"));
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(listApiKeys(dir)).toEqual([
      { id: key.id, scopes: ["write"], name: "ingest", createdAt: key.createdAt },
    ]);
  });

  it("authenticates the token, and nothing else, until revoked", () => {
    const key = createApiKey(dir, ["read"]);
    const ring = new KeyRing(dir);
    expect(ring.authenticate(key.token)?.id).toBe(key.id);
    const other = createApiKey(dir, ["admin"]);
    expect(ring.authenticate(other.token)?.scopes).toEqual(["admin"]); // the file is re-read
    const [, id, secret] = /^ak_([0-9a-f]{16})_(.+)$/.exec(key.token) ?? [];
    expect(ring.authenticate(`ak_${id}_${secret?.slice(1)}A`)).toBeUndefined();
    expect(ring.authenticate(`ak_${other.id}_${secret}`)).toBeUndefined();
    revokeApiKey(dir, key.id);
    expect(ring.authenticate(key.token)).toBeUndefined();
    expect(listApiKeys(dir).find((k) => k.id === key.id)?.revokedAt).toBeDefined();
    expect(() => revokeApiKey(dir, "0000000000000000")).toThrow(ServiceError);
  });

  it("never throws on an arbitrary token", () => {
    createApiKey(dir, ["read"]);
    const ring = new KeyRing(dir);
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (token) => {
        expect(ring.authenticate(token)).toBeUndefined();
      }),
      { numRuns: process.env.CI ? 2000 : 300 },
    );
  });

  it("refuses bad scopes and a corrupt key file with typed errors", () => {
    expect(() => createApiKey(dir, [])).toThrow(expect.objectContaining({ code: "BAD_REQUEST" }));
    expect(() => createApiKey(dir, ["root" as "admin"])).toThrow(
      expect.objectContaining({ code: "BAD_REQUEST" }),
    );
    writeFileSync(join(dir, KEY_FILE), "{ not json");
    expect(() => listApiKeys(dir)).toThrow(expect.objectContaining({ code: "KEY_FILE_INVALID" }));
    expect(() => new KeyRing(dir)).toThrow(expect.objectContaining({ code: "KEY_FILE_INVALID" }));
  });

  it("lets admin do everything, others only their scope", () => {
    expect(allows(["admin"], "write")).toBe(true);
    expect(allows(["read"], "write")).toBe(false);
    expect(allows(["write"], "admin")).toBe(false);
    expect(allows(["read", "write"], "read")).toBe(true);
  });
});
