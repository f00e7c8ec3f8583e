import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  GRAPHVIZ_PACKAGES,
  IPFS_NODE_PACKAGES,
  KUBO_PACKAGES,
  POSTGRES_STORE_PACKAGES,
} from "./optional-packages.js";

interface Manifest {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}
const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as Manifest;

describe("the SDK's optional peers", () => {
  const optional = {
    ...IPFS_NODE_PACKAGES,
    ...KUBO_PACKAGES,
    ...GRAPHVIZ_PACKAGES,
    ...POSTGRES_STORE_PACKAGES,
  };

  it("are declared as optional peers with the ranges the errors name, and as devDependencies", () => {
    const manifest = read("../package.json");
    expect(manifest.peerDependencies).toEqual(optional);
    for (const [name, range] of Object.entries(optional)) {
      expect(manifest.peerDependenciesMeta[name], name).toEqual({ optional: true });
      expect(manifest.devDependencies[name], name).toBe(range);
      expect(manifest.dependencies[name], name).toBeUndefined();
    }
  });

  it("are dependencies of the service, which runs every feature", () => {
    const service = read("../../service/package.json");
    for (const [name, range] of Object.entries(optional))
      expect(service.dependencies[name], name).toBe(range);
  });
});
