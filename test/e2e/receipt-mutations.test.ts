/**
 * Every field and every byte of real receipts, changed, against a real anchored log on Hardhat's
 * in-process network: each change that changes what the receipt says fails verification with a
 * RECEIPT_* code (the library's failure result; exit 1 from `ancora-verify --receipt`).
 *
 * The oracle is the receipt's JSON value: a receipt *is* that value (docs/formats.md, "Receipt v2"),
 * so a change to the text that JSON.parse reads as the same value (whitespace between tokens, member
 * order, an escape such as `\/` for `/`) does not change its meaning and must still verify, with the
 * same result; every other change must fail. The canonical DAG-JSON bytes have one spelling per value,
 * so every changed byte there must fail.
 *
 * Receipts of format v1 carry two fields nothing binds (the checkpoint's time, and its head unless the
 * record is the last leaf). They are argued separately: verification ignores them, names them in
 * `ignored` and never returns them, so changing them changes nothing the verifier states.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { isDeepStrictEqual } from "node:util";
import {
  AncoraError,
  checkpointToJSON,
  decodeReceipt,
  encodeReceipt,
  type ReceiptJSON,
  type ReceiptV1JSON,
  receiptFromJSON,
  receiptToJSON,
} from "@ancora/core";
import { type ReceiptVerification, verifyReceiptOnChain } from "@ancora/verifier";
import { runVerify } from "@ancora/verifier/cli";
import { nodeSha256 } from "@ancora/verifier/node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RpcEndpoint, rpcOverHttp } from "../../packages/sdk/src/testing/rpc-over-http.ts";
import { runCli } from "../../packages/service/src/cli/program.ts";
import { type AnchoredReceipts, STREAM, startAnchoredReceipts } from "./support/anchored-receipts.ts";

/** Runs per field (fast-check); every byte is always covered, these only widen the choice of values. */
const RUNS = process.env.CI === "true" ? 60 : 15;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

let setup: AnchoredReceipts;
let rpc: RpcEndpoint;
/** Genuine v2 receipts: record 30 (latest checkpoint), record 10 (older), genesis, the last record. */
let genuine: ReceiptJSON[];

beforeAll(async () => {
  setup = await startAnchoredReceipts();
  const size = setup.logger.store.stream(STREAM).size;
  genuine = [
    setup.latest,
    setup.older,
    receiptToJSON(setup.logger.receipt(0)),
    receiptToJSON(setup.logger.receipt(size - 1)),
  ];
  rpc = await rpcOverHttp(setup.provider);
}, 120_000);

afterAll(async () => {
  await rpc?.stop();
  await setup?.close();
});

const verify = (input: unknown) =>
  verifyReceiptOnChain(input, { publicClient: setup.publicClient, sha256: nodeSha256 });

/** What a passing verification states, without what changes as blocks are mined. */
function stated(result: ReceiptVerification) {
  if (!result.ok) return result;
  const { confirmations: _c, latest: _l, anchoredSize: _s, ...rest } = result;
  return rest;
}

function expectFailure(result: ReceiptVerification, what: string) {
  expect(result.ok, what).toBe(false);
  if (!result.ok) expect(result.failure.code, what).toMatch(/^RECEIPT_[A-Z_]+$/);
}

/** Every path inside a JSON value (objects and lists included, the root excluded). */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => {
    const child = (value as Record<string | number, Json>)[key] as Json;
    const path = [...prefix, key];
    return [path, ...pathsOf(child, path)];
  });
}

function getAt(value: Json, path: Path): Json | undefined {
  let at: Json | undefined = value;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string | number, Json>)[key];
  }
  return at;
}

/** A deep copy of `value` with the value at `path` replaced, or removed when `replacement` is undefined. */
function setAt(value: Json, path: Path, replacement: Json | undefined): Json {
  const copy = structuredClone(value);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, Json> | Json[];
  const key = path.at(-1) as string | number;
  if (replacement !== undefined) (parent as Record<string | number, Json>)[key] = replacement;
  else if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, Json>)[key];
  return copy;
}

const HEX = "0123456789abcdefABCDEF";
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

/**
 * Replacement values for `original`: the same field of the other genuine receipts (the realistic
 * attack: a true value from elsewhere), small edits that keep the type (one character from the same
 * alphabet, a neighbouring number, a list with an element dropped, repeated or swapped), another
 * type, or the field removed (`undefined`).
 */
function replacements(original: Json, donors: Json[]): fc.Arbitrary<Json | undefined> {
  const options: fc.Arbitrary<Json | undefined>[] = [
    fc.jsonValue() as fc.Arbitrary<Json>,
    fc.constant(undefined),
  ];
  if (donors.length > 0) options.push(fc.constantFrom(...donors));
  if (typeof original === "number") {
    options.push(
      fc.constantFrom(original + 1, original - 1, 0, original * 2, 2 ** 53, original + 0.5),
      fc.integer(),
    );
  } else if (typeof original === "string" && original.length > 0) {
    const alphabet = original.startsWith("0x") ? HEX : original.startsWith("bafk") ? BASE32 : BASE64;
    options.push(
      fc
        .tuple(fc.nat({ max: original.length - 1 }), fc.nat({ max: alphabet.length - 1 }))
        .map(([at, c]) => `${original.slice(0, at)}${alphabet[c]}${original.slice(at + 1)}`),
      fc.nat({ max: original.length - 1 }).map((at) => original.slice(0, at)),
      fc.string().map((tail) => `${original}${tail}`),
    );
  } else if (Array.isArray(original) && original.length > 0) {
    options.push(
      fc.nat({ max: original.length - 1 }).map((at) => original.filter((_, i) => i !== at)),
      fc.nat({ max: original.length - 1 }).map((at) => [...original, original[at] as Json]),
      fc.constant([...original].reverse()),
      fc.constant([]),
    );
  } else if (original !== null && typeof original === "object") {
    options.push(
      fc.constant({}),
      fc
        .tuple(fc.constantFrom("head", "ts", "v", "extra"), fc.jsonValue() as fc.Arbitrary<Json>)
        .map(([key, extra]) => ({ ...original, [key]: extra })),
    );
  }
  return fc.oneof(...options);
}

/**
 * For every path of `receipt`: replacement values, each verified on chain. A changed value must fail;
 * an unchanged one must verify as before. `unbound` (v1 only) lists the paths verification ignores.
 */
async function mutateEveryField(receipt: Json, donors: Json[], unbound: readonly string[] = []) {
  const before = stated(await verify(receipt));
  expect(before.ok).toBe(true);
  const paths = pathsOf(receipt);
  for (const path of paths) {
    const original = getAt(receipt, path) as Json;
    const others = donors
      .map((d) => getAt(d, path))
      .filter((d): d is Json => d !== undefined && !isDeepStrictEqual(d, original));
    const name = path.join(".");
    await fc.assert(
      fc.asyncProperty(replacements(original, others), async (replacement) => {
        const changed = setAt(receipt, path, replacement);
        const result = await verify(changed);
        if (isDeepStrictEqual(changed, receipt)) {
          expect(stated(result), name).toEqual(before);
        } else if (unbound.includes(name)) {
          // Ignored, named, never returned: either the value is not even well-formed (a format failure)
          // or the result is exactly the genuine receipt's.
          if (result.ok) expect(stated(result), name).toEqual(before);
          else expect(result.failure.code, name).toBe("RECEIPT_INVALID");
        } else {
          expectFailure(result, `${name} = ${JSON.stringify(replacement)?.slice(0, 120)}`);
        }
      }),
      { numRuns: RUNS },
    );
  }
  return paths.length;
}

/** The JSON text read back as the CLI reads a file (UTF-8; invalid sequences become U+FFFD). */
const asFileText = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

describe("receipt v2: every field changed", () => {
  it("fails for every changed value of every field, in each genuine receipt", async () => {
    for (const receipt of genuine) {
      const donors = genuine.filter((other) => other !== receipt) as unknown as Json[];
      const fields = await mutateEveryField(receipt as unknown as Json, donors);
      // v, record, cid, index, proof (+ each hash), checkpoint (+3), anchor (+4).
      expect(fields).toBe(7 + receipt.proof.length + 3 + 4);
    }
  });

  it("the audit's cases: a head or time added to the checkpoint of a non-last record fails", async () => {
    const cids = [3, 20, 35].map((seq) => setup.logger.store.get(STREAM, seq)?.cid as string);
    for (const receipt of [setup.latest, setup.older]) {
      for (const head of [...cids, "bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]) {
        const result = await verify({ ...receipt, checkpoint: { ...receipt.checkpoint, head } });
        expect(result).toMatchObject({ ok: false, failure: { code: "RECEIPT_INVALID" } });
      }
      for (const ts of ["2020-01-01T00:00:00.000Z", "2999-12-31T23:59:59.999Z"]) {
        const result = await verify({ ...receipt, checkpoint: { ...receipt.checkpoint, ts } });
        expect(result).toMatchObject({ ok: false, failure: { code: "RECEIPT_INVALID" } });
      }
    }
  });
});

describe("receipt v2: every byte changed", () => {
  it("JSON text: each byte replaced, and each position with a byte inserted, fails unless JSON.parse reads the same value", async () => {
    for (const receipt of [setup.latest, setup.older]) {
      const text = new TextEncoder().encode(JSON.stringify(receipt));
      const before = stated(await verify(receipt));
      let sameValue = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 255 }), { minLength: text.length, maxLength: text.length }),
          fc.array(fc.constantFrom(0x20, 0x0a, 0x09, 0x0d, 0x2f, 0x5c, 0x30, 0x61, 0x7b, 0x22), {
            minLength: text.length + 1,
            maxLength: text.length + 1,
          }),
          async (deltas, inserts) => {
            for (let at = 0; at <= text.length; at++) {
              const variants: Uint8Array[] = [];
              if (at < text.length) {
                const replaced = text.slice();
                replaced[at] = ((text[at] as number) + (deltas[at] as number)) % 256;
                variants.push(replaced);
              }
              const inserted = new Uint8Array(text.length + 1);
              inserted.set(text.subarray(0, at), 0);
              inserted[at] = inserts[at] as number;
              inserted.set(text.subarray(at), at + 1);
              variants.push(inserted);
              for (const bytes of variants) {
                const mutated = asFileText(bytes);
                const result = await verify(mutated);
                if (isDeepStrictEqual(parsedOrUndefined(mutated), receipt)) {
                  // Whitespace between tokens: the same JSON value, so the same receipt.
                  sameValue++;
                  expect(stated(result), mutated).toEqual(before);
                } else {
                  expectFailure(result, `byte ${at} of ${mutated.slice(0, 40)}…`);
                }
              }
            }
          },
        ),
        { numRuns: process.env.CI === "true" ? 3 : 1 },
      );
      // Whitespace lands between tokens often enough that the meaning-preserving branch is exercised.
      expect(sameValue).toBeGreaterThan(0);
    }
  });

  it("canonical DAG-JSON bytes: each byte changed is a typed decoding error or a failed verification", async () => {
    const bytes = encodeReceipt(receiptFromJSON(setup.latest));
    let decoded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 255 }), { minLength: bytes.length, maxLength: bytes.length }),
        async (deltas) => {
          for (let at = 0; at < bytes.length; at++) {
            const changed = bytes.slice();
            changed[at] = ((bytes[at] as number) + (deltas[at] as number)) % 256;
            let receipt: ReturnType<typeof decodeReceipt>;
            try {
              receipt = decodeReceipt(changed);
            } catch (error) {
              expect(error).toBeInstanceOf(AncoraError);
              expect((error as AncoraError).code).toMatch(/^[A-Z_]+$/);
              continue;
            }
            decoded++;
            expectFailure(await verify(receipt), `canonical byte ${at}`);
          }
        },
      ),
      { numRuns: process.env.CI === "true" ? 3 : 1 },
    );
    // Some changes decode (a digit, a hex or base64 character) and are caught by verification itself.
    expect(decoded).toBeGreaterThan(0);
  });
});

describe("receipt v2: changes that keep the JSON value verify, with the same result", () => {
  it("pretty-printed, members reordered, and characters escaped", async () => {
    const receipt = setup.latest;
    const before = stated(await verify(receipt));
    const reorder = (value: Json): Json =>
      value === null || typeof value !== "object"
        ? value
        : Array.isArray(value)
          ? value.map(reorder)
          : Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reorder(v)]),
            );
    const compact = JSON.stringify(receipt);
    const same = [
      JSON.stringify(receipt, null, 2),
      JSON.stringify(receipt, null, "\t"),
      JSON.stringify(reorder(receipt as unknown as Json)),
      compact.replaceAll("/", "\\/"),
      compact.replace(`"cid":"b`, `"cid":"\\u0062`),
    ];
    for (const text of same) {
      expect(JSON.parse(text)).toEqual(receipt);
      expect(stated(await verify(text))).toEqual(before);
    }
  });
});

describe("receipts of format v1", () => {
  /** The v1 form of a v2 receipt: the whole checkpoint the log holds at the anchored size. */
  const asV1 = (receipt: ReceiptJSON): ReceiptV1JSON => {
    const checkpoint = setup.logger.store
      .checkpoints(STREAM)
      .find((c) => c.size === receipt.checkpoint.size && c.stream === receipt.checkpoint.stream);
    if (checkpoint === undefined) throw new Error("no checkpoint at the receipt's size");
    return { ...receipt, v: 1, checkpoint: checkpointToJSON(checkpoint) };
  };

  it("every bound field changed fails; the unbound ones are ignored, named, and never returned", async () => {
    const v1 = genuine.map(asV1);
    for (const receipt of v1) {
      const last = receipt.index === receipt.checkpoint.size - 1;
      const unbound = last ? ["checkpoint.ts"] : ["checkpoint.head", "checkpoint.ts"];
      const result = await verify(receipt);
      expect(result).toMatchObject({ ok: true, version: 1, ignored: unbound });
      if (result.ok) expect(Object.keys(result.checkpoint).sort()).toEqual(["root", "size", "stream"]);
      const donors = v1.filter((other) => other !== receipt) as unknown as Json[];
      await mutateEveryField(receipt as unknown as Json, donors, unbound);
    }
  });
});

describe("ancora receipt --json | ancora-verify --receipt: exit codes", () => {
  async function ancoraReceipt(seq: number): Promise<ReceiptJSON> {
    let stdout = "";
    let stderr = "";
    const code = await runCli(
      ["receipt", "--db", setup.db, "--stream", STREAM, "--seq", String(seq), "--json"],
      {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
        stdin: Readable.from([]),
        env: {},
        cwd: setup.dir,
      },
    );
    expect(code, stderr).toBe(0);
    return JSON.parse(stdout) as ReceiptJSON;
  }

  async function ancoraVerify(receipt: unknown, name: string) {
    const file = join(setup.dir, `${name}.json`);
    writeFileSync(file, typeof receipt === "string" ? receipt : JSON.stringify(receipt));
    let out = "";
    const code = await runVerify(["node", "ancora-verify", "--receipt", file, "--json"], {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (out += text), isTTY: false },
      env: { ANCORA_RPC_URL: rpc.url },
    });
    return {
      code,
      out,
      report: JSON.parse(out) as {
        ok: boolean;
        failures: { code: string }[];
        receipt?: Record<string, unknown>;
      },
    };
  }

  it("the audit's cases: head and ts of a non-last record changed exit 1 (v2); a genuine receipt exits 0", async () => {
    const receipt = await ancoraReceipt(10);
    expect(receipt.v).toBe(2);
    const genuineRun = await ancoraVerify(receipt, "genuine");
    expect(genuineRun.code, genuineRun.out).toBe(0);
    expect(genuineRun.report.receipt).toMatchObject({ version: 2, seq: 10 });
    expect(genuineRun.report.receipt?.ignored).toBeUndefined();
    const otherHead = setup.logger.store.get(STREAM, 12)?.cid as string;
    const cases = {
      "another record's head": { ...receipt, checkpoint: { ...receipt.checkpoint, head: otherHead } },
      "random head": {
        ...receipt,
        checkpoint: {
          ...receipt.checkpoint,
          head: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        },
      },
      "another time": { ...receipt, checkpoint: { ...receipt.checkpoint, ts: "2031-05-05T05:05:05.005Z" } },
    };
    for (const [name, changed] of Object.entries(cases)) {
      const run = await ancoraVerify(changed, name.replaceAll(" ", "-"));
      expect(run.code, name).toBe(1);
      expect(run.report.failures[0]?.code, name).toBe("RECEIPT_INVALID");
    }
  });

  it("a sample of field changes exits 1 from the CLI too", async () => {
    const receipt = (await ancoraReceipt(25)) as unknown as Json;
    const paths = pathsOf(receipt);
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...paths)
          .chain((path) => fc.tuple(fc.constant(path), replacements(getAt(receipt, path) as Json, []))),
        async ([path, replacement]) => {
          const changed = setAt(receipt, path, replacement);
          fc.pre(!isDeepStrictEqual(changed, receipt));
          const run = await ancoraVerify(changed, "sample");
          expect(run.code, `${path.join(".")} = ${JSON.stringify(replacement)}`).toBe(1);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it("a v1 receipt exits 0 and names its ignored fields; a v1 last leaf with another head exits 1", async () => {
    const receipt = await ancoraReceipt(10);
    const checkpoint = setup.logger.store.checkpoints(STREAM).find((c) => c.size === receipt.checkpoint.size);
    if (checkpoint === undefined) throw new Error("no checkpoint");
    const v1: ReceiptV1JSON = { ...receipt, v: 1, checkpoint: checkpointToJSON(checkpoint) };
    const run = await ancoraVerify(v1, "v1");
    expect(run.code, run.out).toBe(0);
    expect(run.report.receipt).toMatchObject({ version: 1, ignored: ["checkpoint.head", "checkpoint.ts"] });
    // Neither ignored value appears in the report: nothing the verifier prints vouches for them.
    expect(run.out).not.toContain(v1.checkpoint.head);
    expect(run.out).not.toContain(v1.checkpoint.ts);
    const last = await ancoraReceipt(checkpoint.size - 1);
    const lastV1: ReceiptV1JSON = {
      ...last,
      v: 1,
      checkpoint: { ...checkpointToJSON(checkpoint), head: receipt.cid },
    };
    const wrongHead = await ancoraVerify(lastV1, "v1-last");
    expect(wrongHead.code).toBe(1);
    expect(wrongHead.report.failures[0]?.code).toBe("RECEIPT_INVALID");
  });
});
