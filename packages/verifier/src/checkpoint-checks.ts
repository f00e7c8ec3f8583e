/**
 * What a store says about a stream's tree as a whole, against the tree recomputed from the records:
 * its stored checkpoints (root and head CID at a size, and that the records are all there) and its
 * claimed head. Used by the stream verifier over a whole stream.
 */
import { bytesEqual, type CompactRange } from "@ancora/core";
import type { Fail } from "./failures.js";
import { toHex0x } from "./internal/hex.js";
import { show } from "./record-checks.js";
import type { StoredCheckpoint, StoredHead } from "./source.js";

/** A stream's stored checkpoints, checked in size order as the recomputed tree reaches each size. */
export class CheckpointChecks {
  readonly #sorted: StoredCheckpoint[] = [];
  #next = 0;
  #checked = 0;

  /** `checkpoints` in any order; one that cannot be a checkpoint fails `CHECKPOINT_INVALID` at once. */
  constructor(checkpoints: Iterable<StoredCheckpoint>, fail: Fail) {
    for (const checkpoint of checkpoints) {
      if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 1 || checkpoint.root.length !== 32) {
        fail("CHECKPOINT_INVALID", 0, "size >= 1 and a 32-byte root", `size ${checkpoint.size}`);
        continue;
      }
      this.#sorted.push(checkpoint);
    }
    this.#sorted.sort((a, b) => a.size - b.size);
  }

  /** Checkpoints checked so far. */
  get checked(): number {
    return this.#checked;
  }

  /** The checkpoints of the tree's size, now that it has it: their root, and `headCid` as their head. */
  reached(tree: CompactRange, headCid: string, fail: Fail): void {
    const size = tree.size;
    let checkpoint = this.#sorted[this.#next];
    if (checkpoint === undefined || checkpoint.size !== size) return;
    const root = tree.root();
    while (checkpoint !== undefined && checkpoint.size === size) {
      this.#checked++;
      if (!bytesEqual(checkpoint.root, root)) {
        fail("CHECKPOINT_ROOT_MISMATCH", size - 1, toHex0x(root), toHex0x(checkpoint.root));
      }
      if (checkpoint.head !== headCid) fail("CHECKPOINT_HEAD_MISMATCH", size - 1, headCid, checkpoint.head);
      checkpoint = this.#sorted[++this.#next];
    }
  }

  /** At the end of a stream of `size` records: the checkpoints beyond it (a truncated log). */
  beyond(size: number, fail: Fail): void {
    for (let i = this.#next; i < this.#sorted.length; i++) {
      const checkpoint = this.#sorted[i] as StoredCheckpoint;
      this.#checked++;
      fail("CHECKPOINT_BEYOND_LOG", size, `at least ${checkpoint.size} records`, `${size} records`);
    }
  }
}

/** The store's claimed head against the whole recomputed tree and the CID of its last record. */
export function checkHead(head: StoredHead, tree: CompactRange, headCid: string | null, fail: Fail): void {
  const size = tree.size;
  if (head.size !== size) {
    fail("HEAD_MISMATCH", Math.min(head.size, size), `size ${size}`, `size ${head.size}`);
  } else if (head.head !== headCid) {
    fail("HEAD_MISMATCH", Math.max(0, size - 1), show(headCid), show(head.head));
  } else if (head.root !== undefined && size > 0) {
    const root = tree.root();
    if (!bytesEqual(root, head.root)) {
      fail("HEAD_MISMATCH", size - 1, `root ${toHex0x(root)}`, `root ${toHex0x(head.root)}`);
    }
  }
}
