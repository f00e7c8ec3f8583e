/**
 * Writes packages/core/test-vectors/manifests.json: Ancora's published batch-manifest vectors (format in
 * packages/core/test-vectors/README.md and docs/formats.md).
 *
 *   node scripts/generate-manifest-vectors.ts           # (re)write the file
 *   node scripts/generate-manifest-vectors.ts --check   # exit 1 when the file differs from what it would write
 *
 * Deliberately independent of @ancora/core: it writes DAG-JSON's canonical form by hand (keys sorted by
 * their UTF-8 bytes, links as {"/": cid}, bytes as {"/": {"bytes": unpadded base64}}) and builds raw
 * CIDv1 strings from node:crypto digests, so core's test that rebuilds these manifests compares two
 * implementations, not one with itself. Deterministic: same output on every run.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const OUT = fileURLToPath(new URL("../packages/core/test-vectors/manifests.json", import.meta.url));
const BIOME = fileURLToPath(new URL("../node_modules/@biomejs/biome/bin/biome", import.meta.url));

const sha256 = (data: Uint8Array | string): Uint8Array =>
  new Uint8Array(createHash("sha256").update(data).digest());

/** RFC 4648 §6 base32, lower case, no padding: multibase `b`. */
function base32(bytes: Uint8Array): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** CIDv1 (0x01), raw codec (0x55), multihash sha2-256 (0x12, 32 bytes) of `bytes`, base32 string. */
function rawCid(bytes: Uint8Array | string): { cid: string; digest: Uint8Array } {
  const digest = sha256(bytes);
  return { cid: `b${base32(Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest]))}`, digest };
}

const link = (cid: string): string => `{"/":"${cid}"}`;
const bytesValue = (b: Uint8Array): string =>
  `{"/":{"bytes":"${Buffer.from(b).toString("base64").replace(/=+$/, "")}"}}`;

interface ManifestSpec {
  name: string;
  description: string;
  stream: string;
  from: number;
  size: number;
  prev?: string;
}

/** Canonical DAG-JSON of a manifest whose record i is the raw CID of the text `record <i>`. */
function canonical(spec: ManifestSpec): string {
  const records = Array.from(
    { length: spec.size - spec.from },
    (_, i) => rawCid(`record ${spec.from + i}`).cid,
  );
  const head = records.at(-1) as string;
  const fields: Record<string, string> = {
    from: String(spec.from),
    head: link(head),
    records: `[${records.map(link).join(",")}]`,
    root: bytesValue(sha256(`root ${spec.size}`)),
    size: String(spec.size),
    stream: JSON.stringify(spec.stream),
    v: "1",
  };
  if (spec.prev !== undefined) fields.prev = link(spec.prev);
  const keys = Object.keys(fields).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${fields[k]}`).join(",")}}`;
}

function build() {
  const specs: ManifestSpec[] = [];
  const out: Array<ManifestSpec & { canonical: string; cid: string; digest: string }> = [];
  const add = (spec: ManifestSpec) => {
    specs.push(spec);
    const text = canonical(spec);
    const { cid, digest } = rawCid(text);
    out.push({ ...spec, canonical: text, cid, digest: `0x${Buffer.from(digest).toString("hex")}` });
    return cid;
  };
  const first = add({
    name: "first",
    description: "A stream's first manifest: records 0..2, no prev.",
    stream: "credit-scoring",
    from: 0,
    size: 3,
  });
  const second = add({
    name: "second",
    description: "The next anchor's manifest: records 3..4, prev = the first manifest's CID.",
    stream: "credit-scoring",
    from: 3,
    size: 5,
    prev: first,
  });
  add({
    name: "large-seq",
    description: "Sequence numbers beyond 2^32 and a stream name using every allowed punctuation.",
    stream: "loans.eu-west_2",
    from: 5_000_000_000,
    size: 5_000_000_002,
    prev: second,
  });
  add({
    name: "single-record",
    description: "One record: head equals the only entry of records.",
    stream: "a",
    from: 0,
    size: 1,
  });
  return {
    version: 1,
    description:
      "Batch manifests v1. Record i of each manifest is the raw CIDv1 of the UTF-8 text 'record <i>'; root is " +
      "SHA-256 of the UTF-8 text 'root <size>'; cid is the raw CIDv1 of canonical; digest is its SHA-256 (what the " +
      "registry stores as manifestDigest).",
    manifests: out,
  };
}

/** The JSON laid out as the repository's formatter lays it out, so `biome check` and `--check` agree. */
function format(json: string): string {
  const result = spawnSync(process.execPath, [BIOME, "format", `--stdin-file-path=${OUT}`], {
    input: json,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`biome format failed: ${result.stderr}`);
  return result.stdout;
}

const text = format(`${JSON.stringify(build(), null, 2)}\n`);
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(OUT, "utf8");
  } catch {
    // A missing file is simply out of date.
  }
  if (current !== text) {
    process.stderr.write(`${OUT} is out of date: run node scripts/generate-manifest-vectors.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(OUT, text);
}
