/**
 * Streams for the verifier's tests, written the way a writer would (the verifier's tests must not
 * need the SDK): records, their stored rows with index columns and leaf hashes, checkpoints and head.
 */
import { hash } from "node:crypto";
import {
  type AncoraRecord,
  type BlockCid,
  CompactRange,
  commitPlain,
  encodeRecordBlock,
  resolveLabel,
  type Sha256,
} from "@ancora/core";
import { indexColumns } from "../columns.js";
import type { StoredCheckpoint, StoredHead, StoredRecord } from "../source.js";

/** node:crypto's SHA-256, as the tests inject it. */
export const nodeSha256: Sha256 = (data) => hash("sha256", data, "buffer");
const TS = "2025-01-31T12:00:00.000Z";
const MODEL = { id: "credit-risk", version: "1.0.0", hash: `sha256:${"ab".repeat(32)}` };

type Body<K extends AncoraRecord["kind"]> = Extract<AncoraRecord, { kind: K }>["body"];
export type Draft =
  | { kind: "label"; body: Body<"label"> }
  | { kind: "config"; body: Body<"config"> }
  /** A decision without a score needs its label. */
  | { kind: "decision"; score?: number; label?: string; config?: BlockCid };

export interface Built {
  rows: StoredRecord[];
  records: AncoraRecord[];
  checkpoints: StoredCheckpoint[];
  head: StoredHead;
}

/** A well-formed stream, written the way a writer would (the verifier's tests must not need the SDK). */
export function buildStream(stream: string, drafts: Draft[], checkpointAt: number[] = []): Built {
  const tree = new CompactRange(nodeSha256);
  const rows: StoredRecord[] = [];
  const records: AncoraRecord[] = [];
  const checkpoints: StoredCheckpoint[] = [];
  let prev: BlockCid | undefined;
  let config: { cid: BlockCid; body: Body<"config"> } | undefined;
  const push = (record: AncoraRecord) => {
    const { bytes, cid } = encodeRecordBlock(record, nodeSha256);
    const leaf = tree.appendLeaf(cid.bytes).nodes[0];
    rows.push({
      seq: record.seq,
      bytes,
      cid: cid.toString(),
      ...indexColumns(record),
      leafHash: leaf?.hash ?? null,
    });
    records.push(record);
    prev = cid;
    if (record.kind === "config") config = { cid, body: record.body };
    if (checkpointAt.includes(tree.size))
      checkpoints.push({ size: tree.size, root: tree.root(), head: cid.toString() });
  };
  push({ v: 1, kind: "genesis", stream, seq: 0, ts: TS, body: { createdBy: "ops" } });
  for (const draft of drafts) {
    const seq = records.length;
    const envelope = { v: 1 as const, stream, seq, prev: prev as BlockCid, ts: TS };
    if (draft.kind === "decision") {
      const current = config;
      if (current === undefined) throw new Error("test stream needs a config first");
      push({
        ...envelope,
        kind: "decision",
        body: {
          model: MODEL,
          input: commitPlain({ i: seq }),
          output: commitPlain({ o: seq }),
          ...(draft.score === undefined ? {} : { score: draft.score }),
          label: draft.label ?? resolveLabel(current.body, draft.score ?? 0),
          config: draft.config ?? current.cid,
        },
      });
    } else {
      push({ ...envelope, ...draft } as AncoraRecord);
    }
  }
  return { rows, records, checkpoints, head: { size: rows.length, head: prev?.toString() ?? null } };
}

/** Two labels, L001 "refer" and L002 "approve". */
export const LABELS: Draft[] = [
  { kind: "label", body: { id: "L001", name: "refer" } },
  { kind: "label", body: { id: "L002", name: "approve" } },
];
/** A config resolving scores at 0.5 to the two labels. */
export const CONFIG: Extract<Draft, { kind: "config" }> = {
  kind: "config",
  body: { threshold: 0.5, aboveLabel: "L002", belowLabel: "L001", changedBy: "ops", changeReason: "launch" },
};
