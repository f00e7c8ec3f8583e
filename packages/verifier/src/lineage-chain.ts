/**
 * Checking a sample's proof chain with nothing but the chain: pure, no store, no network. Every check
 * re-derives from bytes (CIDs from record bytes, roots from proofs), so a chain built by a buggy or
 * dishonest writer fails here. Whether each link's root is anchored on chain is the verifier's step.
 */
import { computeCid, decodeRecord, fromHex, hashLeaf, verifyInclusion } from "@ancora/core";

/** An RFC 9162 inclusion proof of a node's record in its stream's tree, hashes as 0x-hex. */
export interface LineageProof {
  /** Leaf index (the record's seq). */
  index: number;
  /** Tree size the proof is for: the latest checkpoint's size, or the head's when none covers it. */
  size: number;
  /** 0x-hex SHA-256(0x00 ‖ CID bytes). */
  leafHash: string;
  /** 0x-hex hashes, leaf to root. */
  proof: string[];
  /** 0x-hex root the proof leads to. */
  root: string;
  /** True when `size` is a stored checkpoint (which anchoring commits on chain); false: the live head. */
  checkpointed: boolean;
}

/** One link of a sample's proof chain: a record, its CID, and its inclusion proof in its stream. */
export interface ChainLink {
  cid: string;
  stream: string;
  seq: number;
  /** The record's canonical bytes, base64 (RFC 4648 §4, padded). */
  record: string;
  proof: LineageProof;
}

/** The proof that a sample was used: sample → dataset root → training run → model → decision. */
export interface SampleChain {
  v: 1;
  /** 0x-hex of the sample's 32-byte hash. */
  sample: string;
  dataset: ChainLink;
  /** The sample's RFC 9162 proof in the dataset's tree (hashes 0x-hex). */
  sampleProof: { index: number; size: number; proof: string[] };
  training: ChainLink;
  model: ChainLink;
  /** A decision the model made (the one asked for, else its first); absent when it made none. */
  decision?: ChainLink;
}

/** The result of {@link verifySampleChain}: every failed check, by name. */
export interface SampleChainVerification {
  ok: boolean;
  failures: string[];
}

/** Bytes of 0x-prefixed lowercase hex, or `undefined` for anything else. */
function bytesOfHex(text: unknown): Uint8Array | undefined {
  return typeof text === "string" && text.startsWith("0x") ? fromHex(text.slice(2)) : undefined;
}

/** Checks one link: CID of the bytes, strict decoding, and the inclusion proof; returns the record. */
function checkLink(
  name: string,
  link: ChainLink | undefined,
  failures: string[],
): ReturnType<typeof decodeRecord> | undefined {
  if (link === undefined || typeof link !== "object") {
    failures.push(`${name}: missing`);
    return undefined;
  }
  try {
    const bytes = new Uint8Array(Buffer.from(String(link.record), "base64"));
    const cid = computeCid(bytes);
    if (cid.toString() !== link.cid) failures.push(`${name}: CID does not match the record bytes`);
    const record = decodeRecord(bytes);
    if (record.seq !== link.seq || record.stream !== link.stream || link.proof.index !== record.seq) {
      failures.push(`${name}: stream or seq does not match the record`);
    }
    const root = bytesOfHex(link.proof.root);
    const proof = link.proof.proof.map(bytesOfHex);
    if (root === undefined || proof.some((p) => p === undefined)) {
      failures.push(`${name}: malformed proof`);
    } else if (
      !verifyInclusion({
        leafHash: hashLeaf(cid.bytes),
        index: record.seq,
        size: link.proof.size,
        proof: proof as Uint8Array[],
        root,
      })
    ) {
      failures.push(`${name}: inclusion proof does not reach the root`);
    }
    return record;
  } catch {
    failures.push(`${name}: not a valid record`);
    return undefined;
  }
}

/**
 * Verifies a sample chain from {@link proveSampleInTraining}: each record's CID and inclusion proof,
 * the sample's membership proof against the dataset record's root and size, the training run naming
 * the dataset and producing the model, and the decision carrying the model's weights digest. Never
 * throws: malformed input is a failure.
 *
 * @example
 * ```ts
 * const { ok, failures } = verifySampleChain(JSON.parse(text));
 * ```
 */
export function verifySampleChain(chain: SampleChain): SampleChainVerification {
  const failures: string[] = [];
  try {
    const dataset = checkLink("dataset", chain.dataset, failures);
    const training = checkLink("training", chain.training, failures);
    const model = checkLink("model", chain.model, failures);
    const decision =
      chain.decision === undefined ? undefined : checkLink("decision", chain.decision, failures);
    const sample = bytesOfHex(chain.sample);
    if (dataset?.kind !== "dataset-split") failures.push("dataset: not a dataset record");
    else if (sample?.length !== 32) failures.push("sample: not a 32-byte hash");
    else {
      const proof = chain.sampleProof.proof.map(bytesOfHex);
      const fits =
        chain.sampleProof.size === dataset.body.samples &&
        proof.every((p) => p !== undefined) &&
        verifyInclusion({
          leafHash: hashLeaf(sample),
          index: chain.sampleProof.index,
          size: chain.sampleProof.size,
          proof: proof as Uint8Array[],
          root: dataset.body.root,
        });
      if (!fits) failures.push("sample: membership proof does not reach the dataset root");
    }
    if (training?.kind !== "training") failures.push("training: not a training record");
    else {
      if (!training.body.datasets.some((d) => d.toString() === chain.dataset.cid)) {
        failures.push("training: does not name the dataset");
      }
      if (training.body.modelAfter.toString() !== chain.model.cid)
        failures.push("training: did not produce the model");
    }
    if (model?.kind !== "model") failures.push("model: not a model record");
    else if (chain.decision !== undefined) {
      if (decision?.kind !== "decision") failures.push("decision: not a decision record");
      else if (
        decision.body.model.hash !== model.body.weights ||
        decision.body.model.id !== model.body.name
      ) {
        failures.push("decision: not made by the model");
      }
    }
  } catch {
    failures.push("chain: malformed");
  }
  return { ok: failures.length === 0, failures };
}
