/** Decoding the registry's reverts wherever they sit in an error's causes (the CLI, serve's log and the anchorer print them). */
import { ContractFunctionRevertedError, encodeErrorResult, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { RegistryRevertError } from "../errors.js";
import { provenanceRegistryAbi } from "../generated/provenance-registry.js";
import { ANCHORER_ROLE } from "../roles.js";
import { encodeStreamId } from "../stream-id.js";
import { decodeRegistryRevert, describeRegistryRevert } from "./revert.js";

const ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const unauthorized = encodeErrorResult({
  abi: provenanceRegistryAbi,
  errorName: "AccessControlUnauthorizedAccount",
  args: [ACCOUNT, ANCHORER_ROLE],
});

describe("decodeRegistryRevert", () => {
  it("decodes raw revert data (an eth_call without the ABI) deep in the causes", () => {
    const raw = { name: "RawContractError", data: unauthorized };
    const error = new Error("call failed", { cause: new Error("execution reverted", { cause: raw }) });
    expect(decodeRegistryRevert(error)).toEqual({
      errorName: "AccessControlUnauthorizedAccount",
      args: [ACCOUNT, ANCHORER_ROLE],
    });
    expect(describeRegistryRevert(error)).toBe(`AccessControlUnauthorizedAccount(${ACCOUNT}, ANCHORER_ROLE)`);
  });

  it("reads the typed error and viem's decoded revert", () => {
    const id = encodeStreamId("loans");
    const data = encodeErrorResult({
      abi: provenanceRegistryAbi,
      errorName: "ProvenanceRegistryStaleTreeSize",
      args: [id, 5n, 7n],
    });
    const viem = new ContractFunctionRevertedError({
      abi: provenanceRegistryAbi,
      functionName: "anchor",
      data,
    });
    expect(describeRegistryRevert(viem)).toBe(`ProvenanceRegistryStaleTreeSize(${id}, 5, 7)`);
    const typed = new RegistryRevertError("anchor", "ProvenanceRegistryStaleTreeSize", [id, 5n, 7n]);
    expect(decodeRegistryRevert(typed)).toEqual({
      errorName: "ProvenanceRegistryStaleTreeSize",
      args: [id, 5n, 7n],
    });
  });

  it("finds nothing in other errors, foreign revert data or cycles", () => {
    const foreign = `0xdeadbeef${"00".repeat(32)}` as Hex; // a selector the registry does not have
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = cyclic;
    for (const error of [
      new Error("fetch failed"),
      { data: foreign },
      { data: "0x12" },
      cyclic,
      undefined,
      "x",
    ]) {
      expect(decodeRegistryRevert(error)).toBeUndefined();
    }
  });
});
