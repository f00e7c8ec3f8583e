import { childPath } from "../../canonical/path.js";
import {
  EVM_ADDRESS,
  expectInteger,
  expectKeys,
  expectObject,
  expectString,
  hasKey,
} from "../../internal/schema-fields.js";
import type { GenesisBody } from "../types.js";
import { ACTOR, NAME, TEXT } from "./rules.js";

const GENESIS_REQUIRED = ["createdBy"];
const GENESIS_OPTIONAL = ["org", "registry", "description"];

/** Validates the body of a `genesis` record (see {@link GenesisBody}). */
export function validateGenesisBody(value: unknown, path: string): GenesisBody {
  const body = expectObject(value, path);
  const keys = expectKeys(body, path, GENESIS_REQUIRED, GENESIS_OPTIONAL);
  expectString(body, "createdBy", path, ACTOR);
  if (hasKey(keys, "org")) expectString(body, "org", path, NAME);
  if (hasKey(keys, "description")) expectString(body, "description", path, TEXT);
  if (hasKey(keys, "registry")) {
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
