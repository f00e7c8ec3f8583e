import { afterEach, describe, expect, it, vi } from "vitest";
import { SQLITE_PACKAGES } from "../optional-dependency.js";

const INSTALL = `npm install better-sqlite3@${SQLITE_PACKAGES["better-sqlite3"]}`;

afterEach(() => {
  vi.doUnmock("node:module");
  vi.resetModules();
});

/**
 * The verifier's modules loaded afresh (their own error classes too), where `require("better-sqlite3")`
 * fails as Node's does when it is not installed.
 */
async function withoutBetterSqlite() {
  vi.resetModules();
  vi.doMock("node:module", async (original) => {
    const actual = await original<typeof import("node:module")>();
    return {
      ...actual,
      createRequire: (from: string | URL) => {
        const require = actual.createRequire(from);
        return Object.assign((id: string) => {
          if (id !== "better-sqlite3") return require(id);
          throw Object.assign(new Error(`Cannot find module '${id}'\nRequire stack:\n- ${String(from)}`), {
            code: "MODULE_NOT_FOUND",
          });
        }, require);
      },
    };
  });
  return {
    ...(await import("./sqlite.js")),
    ...(await import("../errors.js")),
    ...(await import("../cli/run.js")),
  };
}

describe("openLocalLog without better-sqlite3 (an optional peer)", () => {
  it("throws OPTIONAL_DEPENDENCY_MISSING naming the npm install, whatever the path", async () => {
    const { openLocalLog, OptionalDependencyError } = await withoutBetterSqlite();
    let error: unknown;
    try {
      openLocalLog("/no/such/store.db");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionalDependencyError);
    const typed = error as InstanceType<typeof OptionalDependencyError>;
    expect(typed.code).toBe("OPTIONAL_DEPENDENCY_MISSING");
    expect(typed.install).toBe(INSTALL);
  });

  it("makes `ancora-verify --db` exit 2 naming the npm install", async () => {
    const { runVerify } = await withoutBetterSqlite();
    let stderr = "";
    const code = await runVerify(["node", "ancora-verify", "--db", "/no/such/store.db"], {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (stderr += t), isTTY: false },
      env: {},
    });
    expect(code).toBe(2);
    expect(stderr).toContain(INSTALL);
  });

  it("does not load it to import the module or to read an open connection's rows", async () => {
    const module = await withoutBetterSqlite();
    expect(typeof module.sqliteRecordSource).toBe("function");
  });
});
