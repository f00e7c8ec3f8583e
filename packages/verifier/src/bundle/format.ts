/**
 * The layout of an EU AI Act evidence bundle: one ustar archive whose files all sit in one folder.
 * Record files are JSON lines `{"seq":…,"cid":…,"record":<the record's exact canonical bytes>}` (the
 * audit log's record line, `record` last), so each record's CID can be recomputed from the file.
 */

/** The folder every file of a bundle is in. */
export const BUNDLE_DIR = "evidence-pack";

/** The bundle's fixed files (paths inside the archive). */
export const BUNDLE_FILES = {
  dir: BUNDLE_DIR,
  readme: `${BUNDLE_DIR}/README.md`,
  markdown: `${BUNDLE_DIR}/evidence-pack.md`,
  html: `${BUNDLE_DIR}/evidence-pack.html`,
  json: `${BUNDLE_DIR}/evidence-pack.json`,
  /** The model's decisions, in seq order. */
  decisions: `${BUNDLE_DIR}/decisions.jsonl`,
  /** The stream's genesis, config and label records, in seq order: the config and label history. */
  control: `${BUNDLE_DIR}/config-and-labels.jsonl`,
  /** `<sha256 hex>  <path relative to the folder>` for every other file (sha256sum -c reads it). */
  sums: `${BUNDLE_DIR}/SHA256SUMS`,
} as const;

/** Batch manifests of the anchors covering the model's decisions: `manifests/<cid>.json`. */
export const BUNDLE_MANIFESTS = `${BUNDLE_DIR}/manifests/`;
/** Receipts of a sample of the model's anchored decisions: `receipts/seq-<seq>.json`. */
export const BUNDLE_RECEIPTS = `${BUNDLE_DIR}/receipts/`;
