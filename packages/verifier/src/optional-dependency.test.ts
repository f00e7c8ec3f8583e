import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { OptionalDependencyError } from "./errors.js";
import {
  assertInstalled,
  HELIA_PACKAGES,
  importOptional,
  isMissingPackage,
  POSTGRES_PACKAGES,
  requireOptional,
  SQLITE_PACKAGES,
} from "./optional-dependency.js";

/** A package that is installed nowhere, imported for real: Node's own "Cannot find package" results. */
const MISSING = "@ancora/no-such-optional-package";
const importMissing = () => import(/* @vite-ignore */ MISSING as string);

describe("importOptional", () => {
  it("turns a package that is not installed into OPTIONAL_DEPENDENCY_MISSING naming the npm install", async () => {
    const error = await importOptional(
      "Testing",
      { [MISSING]: "^1.2.0", other: "^3.0.0" },
      importMissing,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionalDependencyError);
    const typed = error as OptionalDependencyError;
    expect(typed.code).toBe("OPTIONAL_DEPENDENCY_MISSING");
    expect(typed.install).toBe(`npm install ${MISSING}@^1.2.0 other@^3.0.0`);
    expect(typed.message).toContain(typed.install);
    expect(typed.evidence).toEqual({
      feature: "Testing",
      packages: { [MISSING]: "^1.2.0", other: "^3.0.0" },
    });
    expect((typed.cause as { code?: string }).code).toBe("ERR_MODULE_NOT_FOUND");
  });

  it("returns the module when it is installed", async () => {
    const module = await importOptional("Testing", { "@ancora/core": "*" }, () => import("@ancora/core"));
    expect(typeof module.computeCid).toBe("function");
  });

  it("passes on a missing package it was not told about (a broken install, not an absent peer)", async () => {
    const error = await importOptional("Testing", { helia: "^7.0.0" }, importMissing).catch(
      (e: unknown) => e,
    );
    expect(error).not.toBeInstanceOf(OptionalDependencyError);
    expect((error as { code?: string }).code).toBe("ERR_MODULE_NOT_FOUND");
  });

  it("passes on any other failure unchanged", async () => {
    const failure = new TypeError("boom");
    await expect(
      importOptional("Testing", { [MISSING]: "^1.0.0" }, () => Promise.reject(failure)),
    ).rejects.toBe(failure);
  });
});

describe("requireOptional", () => {
  const require = createRequire(import.meta.url);

  it("turns Node's CommonJS 'Cannot find module' into OPTIONAL_DEPENDENCY_MISSING naming the npm install", () => {
    let error: unknown;
    try {
      requireOptional("Testing", { [MISSING]: "^2.0.0" }, () => require(MISSING));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionalDependencyError);
    expect((error as OptionalDependencyError).install).toBe(`npm install ${MISSING}@^2.0.0`);
    expect(((error as OptionalDependencyError).cause as { code?: string }).code).toBe("MODULE_NOT_FOUND");
  });

  it("returns the module when it is installed, and passes on a missing package it was not told about", () => {
    const Database = requireOptional("Testing", SQLITE_PACKAGES, () => require("better-sqlite3")) as unknown;
    expect(typeof Database).toBe("function");
    let error: unknown;
    try {
      requireOptional("Testing", SQLITE_PACKAGES, () => require(MISSING));
    } catch (e) {
      error = e;
    }
    expect(error).not.toBeInstanceOf(OptionalDependencyError);
    expect((error as { code?: string }).code).toBe("MODULE_NOT_FOUND");
  });
});

describe("assertInstalled", () => {
  it("throws OPTIONAL_DEPENDENCY_MISSING for a package that does not resolve, and nothing for one that does", () => {
    expect(() =>
      assertInstalled("Testing", { [MISSING]: "^1.0.0" }, () => import.meta.resolve(MISSING)),
    ).toThrow(OptionalDependencyError);
    expect(() => assertInstalled("Testing", { viem: "*" }, () => import.meta.resolve("viem"))).not.toThrow();
  });
});

describe("isMissingPackage", () => {
  it("matches Node's message for the named package only", () => {
    const error = Object.assign(new Error("Cannot find package 'helia' imported from /x/y.js"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    expect(isMissingPackage(error, ["helia"])).toBe(true);
    expect(isMissingPackage(error, ["@helia/libp2p"])).toBe(false);
    expect(isMissingPackage(new Error("Cannot find package 'helia'"), ["helia"])).toBe(false);
    expect(isMissingPackage(undefined, ["helia"])).toBe(false);
  });
});

describe("the verifier's manifest", () => {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };

  it("declares HELIA_PACKAGES, SQLITE_PACKAGES and POSTGRES_PACKAGES as optional peers with the same ranges (and as devDependencies for its tests)", () => {
    const optional = { ...HELIA_PACKAGES, ...SQLITE_PACKAGES, ...POSTGRES_PACKAGES };
    expect(manifest.peerDependencies).toEqual(optional);
    for (const [name, range] of Object.entries(optional)) {
      expect(manifest.peerDependenciesMeta[name], name).toEqual({ optional: true });
      expect(manifest.devDependencies[name], name).toBe(range);
      expect(manifest.dependencies[name], name).toBeUndefined();
    }
  });

  it("keeps the types of better-sqlite3 a dependency: sqliteRecordSource's declaration names them", () => {
    expect(manifest.dependencies["@types/better-sqlite3"]).toBeDefined();
  });
});
