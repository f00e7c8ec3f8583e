import { childPath } from "../../canonical/path.js";
import {
  EVM_ADDRESS,
  expectInteger,
  expectKeys,
  expectObject,
  expectString,
  has,
} from "../../internal/schema-fields.js";
import type { GenesisBody } from "../types.js";
import { ACTOR, NAME, TEXT } from "./rules.js";

/** Validates the body of a `genesis` record (see {@link GenesisBody}). */
export function validateGenesisBody(value: unknown, path: string): GenesisBody {
  const body = expectObject(value, path);
  expectKeys(body, path, ["createdBy"], ["org", "registry", "description"]);
  expectString(body, "createdBy", path, ACTOR);
  if (has(body, "org")) expectString(body, "org", path, NAME);
  if (has(body, "description")) expectString(body, "description", path, TEXT);
  if (has(body, "registry")) {
    const at = childPath(path, "registry");
    const registry = expectObject(body.registry, at);
    expectKeys(registry, at, ["chainId", "address"]);
    expectInteger(registry, "chainId", at, 1);
    expectString(registry, "address", at, {
      max: 42,
      pattern: EVM_ADDRESS,
      describe: "a lowercase 0x-hex EVM address",
    });
  }
  return body as unknown as GenesisBody;
}
