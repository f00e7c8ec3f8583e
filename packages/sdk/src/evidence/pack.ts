/**
 * The EU AI Act evidence pack of one model in one stream (Reg. (EU) 2024/1689 Art. 12, 13(3)(f),
 * 19(1), 26(6)): the local facts, the chain they are anchored to, the chain cross-check, and the
 * command an assessor runs to check it all again with public inputs only.
 */
import { encodeStreamId } from "@ancora/contracts";
import type { PublicClient } from "viem";
import { InputError } from "../errors.js";
import { connectionOf } from "../internal/store-handle.js";
import type { AncoraStore } from "../store.js";
import { assessorCommand } from "./assessor.js";
import { checkAgainstChain } from "./chain-check.js";
import { chainName } from "./chain-name.js";
import { readLocalFacts } from "./local-facts.js";
import {
  EVIDENCE_PACK_FORMAT,
  EVIDENCE_PACK_VERSION,
  type EvidenceAnchor,
  type EvidenceChain,
  type EvidenceChainCheck,
  type EvidencePack,
} from "./types.js";

/** Options of {@link evidencePack}. */
export interface EvidencePackOptions {
  stream: string;
  /** The model the pack is about: its id, or id and version. */
  model: string | { id: string; version?: string };
  /** The retention period the deployer commits to, in months (default 6: AI Act Art. 19(1), 26(6)). */
  retentionMonths?: number;
  /**
   * The chain to check the log against. Without it the pack lists the anchors the log records and
   * says that they were not checked on chain.
   */
  chain?: {
    publicClient: PublicClient;
    /** ProvenanceRegistry address; default the registry the stream's latest anchor names. */
    registry?: string;
    /** The registry's deployment block, if known (printed, and where event scans start). */
    deploymentBlock?: bigint;
  };
  /** Where the organisation serves its records over IPFS (gateway URL or peer multiaddr), for the assessor's command. */
  ipfs?: string;
  clock?: () => Date;
}

/**
 * The evidence pack of one model in one stream: what it logged over its lifetime (Art. 12), how to
 * read the logs (Art. 13(3)(f)), the retention statement (Art. 19(1), 26(6)), the config history with
 * actors and reasons, the labels, the decision distribution, the chain and every anchor committing the
 * model's decisions, the unanchored tail, the local and chain verification, and the assessor's command.
 * It counts only this model's decisions; config and label records are the stream's own.
 *
 * @throws {StreamUnknownError} `STREAM_UNKNOWN` for a stream the store does not hold.
 * @throws {ModelUnknownError} `MODEL_UNKNOWN` when the stream holds no decision of the model: a pack is
 *   never empty.
 * @example
 * ```ts
 * const pack = await evidencePack(logger.store, { stream: "credit", model: "credit-risk", chain: { publicClient } });
 * writeFileSync("credit-risk.md", renderEvidencePack(pack));
 * ```
 */
export async function evidencePack(store: AncoraStore, options: EvidencePackOptions): Promise<EvidencePack> {
  const db = connectionOf(store);
  const model = typeof options.model === "string" ? { id: options.model } : options.model;
  const months = options.retentionMonths ?? 6;
  if (!Number.isSafeInteger(months) || months < 6) {
    throw new InputError("INVALID_OPTION", "retentionMonths must be an integer of at least 6", {
      hint: "The AI Act requires deployers to keep logs for at least six months (Art. 26(6)).",
    });
  }
  const now = options.clock?.() ?? new Date();
  const facts = readLocalFacts(db, options.stream, model);

  // The registry: the one asked for, else the latest anchor's, else the one the genesis names.
  const latest = facts.anchors.reduce<(typeof facts.anchors)[number] | undefined>(
    (m, a) => (m === undefined || a.size > m.size ? a : m),
    undefined,
  );
  const registry = (
    options.chain?.registry ??
    latest?.registry ??
    facts.genesisRegistry?.address
  )?.toLowerCase();
  let chainId = latest?.chainId ?? facts.genesisRegistry?.chainId;
  const own = facts.anchors.filter(
    (a) => a.registry === registry && (chainId === undefined || a.chainId === chainId),
  );
  const covering = own.filter((a) => a.decisions > 0);

  let check: EvidenceChainCheck = {
    checked: false,
    reason:
      registry === undefined
        ? "The stream has never been anchored and names no registry: there is nothing on chain to check."
        : "No RPC endpoint was given: the anchors above are the log's own records, not checked on chain.",
  };
  let blockTimes = new Map<number, string>();
  let readAt: bigint | undefined;
  if (registry !== undefined && options.chain !== undefined) {
    const outcome = await checkAgainstChain({
      path: store.path,
      stream: options.stream,
      publicClient: options.chain.publicClient,
      registry,
      ...(options.chain.deploymentBlock === undefined
        ? {}
        : { deploymentBlock: options.chain.deploymentBlock }),
      blocks: covering.flatMap((a) => (a.block === null ? [] : [a.block])),
    });
    check = outcome.check;
    blockTimes = outcome.blockTimes;
    readAt = outcome.blockNumber;
    chainId = outcome.chainId;
  }

  const chain: EvidenceChain | null =
    registry === undefined || chainId === undefined
      ? null
      : {
          chainId,
          name: chainName(chainId),
          registry,
          deploymentBlock:
            options.chain?.deploymentBlock === undefined ? null : String(options.chain.deploymentBlock),
          streamId: encodeStreamId(options.stream),
        };
  const anchors: EvidenceAnchor[] = covering.map((a) => ({
    size: a.size,
    fromSeq: a.fromSeq,
    decisions: a.decisions,
    root: a.root,
    manifestCid: a.manifestCid,
    transaction: a.transaction,
    block: a.block === null ? null : String(a.block),
    time: a.block === null ? null : (blockTimes.get(a.block) ?? null),
    confirmations:
      readAt !== undefined && a.block !== null && BigInt(a.block) <= readAt
        ? Number(readAt - BigInt(a.block)) + 1
        : a.confirmations,
  }));
  const anchoredSize = own.reduce((m, a) => Math.max(m, a.size), 0);
  const unanchored = {
    records: Math.max(0, facts.system.streamSize - anchoredSize),
    decisions: facts.decisionsFrom(anchoredSize),
    oldest: facts.timeAt(anchoredSize),
  };
  const local = facts.verification;
  const verified = local.ok && (!check.checked || check.ok);

  const modelName = model.version === undefined ? model.id : `${model.id} ${model.version}`;
  const oldest = facts.system.genesis.ts;
  const horizon = new Date(now);
  horizon.setUTCMonth(horizon.getUTCMonth() - months);
  const anchoredSizes = new Set(own.map((a) => a.size));
  return {
    format: EVIDENCE_PACK_FORMAT,
    version: EVIDENCE_PACK_VERSION,
    generatedAt: now.toISOString(),
    scope: { stream: options.stream, model },
    system: facts.system,
    chain,
    logging: {
      ...facts.logging,
      statement:
        `Every decision of ${modelName} in stream "${options.stream}" was recorded automatically when it was made ` +
        "(AI Act Art. 12(1)): a hash-chained record with the model version and artefact digest, commitments to " +
        "the input and output, the score, the resulting label and the configuration in force. Records are " +
        "append-only; each is an IPFS block whose CID covers its exact bytes.",
    },
    retention: {
      months,
      oldestRecord: oldest,
      // Complete since genesis is what verification establishes: no gap, no truncation, no edit.
      covered: verified,
      statement:
        `Logs are kept for at least ${months} months (AI Act Art. 19(1) for providers, Art. 26(6) for deployers). ` +
        (verified
          ? `The log is append-only and verified complete since ${oldest}` +
            (oldest <= horizon.toISOString()
              ? `, which covers the whole ${months}-month period before ${now.toISOString()}.`
              : `, the start of the system's lifetime (less than ${months} months ago).`)
          : "Verification failed (see Verification): completeness over the retention period cannot be attested."),
    },
    configHistory: facts.configHistory,
    labels: facts.labels,
    distribution: facts.distribution,
    checkpoints: facts.checkpoints.map((c) => ({ ...c, anchored: anchoredSizes.has(c.size) })),
    anchors,
    unanchored,
    verification: {
      ok: verified,
      local: {
        ok: local.ok,
        checked: local.checked,
        checkpoints: local.checkpoints,
        failureCount: local.failureCount,
        ...(local.firstBadSeq === undefined ? {} : { firstBadSeq: local.firstBadSeq }),
        failures: local.failures,
      },
      chain: check,
    },
    assessor:
      chain === null || anchoredSize === 0
        ? null
        : assessorCommand({
            chain,
            stream: options.stream,
            ...(options.ipfs === undefined ? {} : { ipfs: options.ipfs }),
          }),
  };
}
