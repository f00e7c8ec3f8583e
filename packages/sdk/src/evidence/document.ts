/**
 * The evidence pack as a document: titled sections of paragraphs, tables and code, built once and
 * rendered as Markdown or HTML, so the two readable forms always say the same thing. Tables put names
 * before ids (an assessor reads names; ids are there to match records).
 */
import type { EvidencePack } from "./types.js";

/** A span of text: plain, or strong, or code. */
export type Inline = string | { strong: string } | { code: string };
/** A block of a section. */
export type Block =
  | { paragraph: Inline[] }
  | { table: { header: string[]; rows: Inline[][] } }
  | { codeBlock: string };
/** One section of the document. */
export interface Section {
  title: string;
  blocks: Block[];
}
/** The whole document. */
export interface PackDocument {
  title: Inline[];
  intro: Inline[];
  sections: Section[];
}

/** `1 checkpoint`, `2 checkpoints`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;
}

const p = (...inlines: Inline[]): Block => ({ paragraph: inlines });
const table = (header: string[], rows: Inline[][]): Block => ({ table: { header, rows } });
const dash = (v: string | number | null | undefined): string =>
  v === null || v === undefined ? "—" : String(v);
const code = (v: string | null | undefined): Inline => (v === null || v === undefined ? "—" : { code: v });

function chainSection(pack: EvidencePack): Section {
  const { chain, unanchored } = pack;
  if (chain === null) {
    return {
      title: "Chain and registry",
      blocks: [
        p(
          "The stream has never been anchored and names no registry: no record of it is provable on chain yet.",
        ),
      ],
    };
  }
  return {
    title: "Chain and registry",
    blocks: [
      table(
        ["field", "value"],
        [
          [
            "chain",
            chain.name === null ? String(chain.chainId) : `${chain.name} (chain id ${chain.chainId})`,
          ],
          ["registry (ProvenanceRegistry)", { code: chain.registry }],
          ["registry deployment block", dash(chain.deploymentBlock)],
          ["stream id in the registry", { code: chain.streamId }],
          ["anchors committing this model's decisions", String(pack.anchors.length)],
          [
            "unanchored tail",
            unanchored.records === 0
              ? "none: every record is anchored"
              : `${plural(unanchored.records, "record")} (${plural(unanchored.decisions, "decision")} of this model), the oldest from ${dash(unanchored.oldest)}`,
          ],
        ],
      ),
      ...(unanchored.records === 0
        ? []
        : [
            p(
              "Records of the unanchored tail are in the local log and verified there, but are not provable on chain until the next anchor commits them.",
            ),
          ]),
    ],
  };
}

function verificationSection(pack: EvidencePack): Section {
  const { local, chain } = pack.verification;
  const blocks: Block[] = [
    p(
      { strong: "Local log:" },
      local.ok
        ? ` every record's CID, hash link, index columns, config and label reference, the Merkle tree and ${plural(local.checkpoints, "stored checkpoint")} were re-derived from the stored bytes of ${plural(local.checked, "record")}: no failure.`
        : ` ${plural(local.failureCount, "failure")} in ${plural(local.checked, "record")}, the first at seq ${dash(local.firstBadSeq)}.`,
    ),
  ];
  if (!local.ok) {
    blocks.push(
      table(
        ["code", "seq", "expected", "found"],
        local.failures.map((f) => [f.code, String(f.seq), dash(f.expected), dash(f.found)]),
      ),
    );
  }
  if (!chain.checked) {
    blocks.push(p({ strong: "Against the chain: not checked." }, ` ${chain.reason}`));
  } else {
    blocks.push(
      p(
        { strong: "Against the chain:" },
        chain.ok ? " verified" : " FAILED",
        ` (the checks of ancora-verify --db --rpc --registry, registry read at block ${chain.blockNumber}).`,
      ),
      table(
        ["check", "result"],
        [
          ["anchor history proven from", chain.history],
          ["anchors on chain checked", String(chain.anchors)],
          ["latest anchored size", String(chain.anchoredSize)],
          ["records beyond the latest anchor", String(chain.unanchored)],
          [
            "anchored checkpoints form one append-only tree",
            `${chain.consistency.consistent === undefined ? "not known" : chain.consistency.consistent ? "yes" : "NO"} (by ${chain.consistency.by})`,
          ],
          ["failures", String(chain.failureCount)],
          ["warnings", chain.warnings.length === 0 ? "none" : chain.warnings.map((w) => w.code).join(", ")],
        ],
      ),
    );
    const reported = [...chain.failures, ...chain.warnings];
    if (reported.length > 0) {
      blocks.push(
        table(
          ["code", "seq", "expected", "found"],
          reported.map((f) => [f.code, String(f.seq), dash(f.expected), dash(f.found)]),
        ),
      );
    }
  }
  return { title: "Verification", blocks };
}

function assessorSection(pack: EvidencePack): Section {
  const { assessor } = pack;
  if (assessor === null) {
    return {
      title: "Re-verify it yourself",
      blocks: [p("Nothing of this stream is anchored yet: there is no public evidence to re-verify.")],
    };
  }
  return {
    title: "Re-verify it yourself",
    blocks: [
      p(
        "An assessor re-verifies every anchored record of this stream with public inputs only (no access to the organisation's database): the registry on chain, and the records over IPFS. Set:",
      ),
      table(
        ["variable", "set it to"],
        Object.entries(assessor.env).map(([k, v]) => [{ code: k }, v]),
      ),
      p(
        "then run (exit code 0: verified; 1: tampering or inconsistency found; 2: usage; 3: a source unreachable):",
      ),
      { codeBlock: assessor.command },
    ],
  };
}

/**
 * The document of `pack`.
 *
 * @example
 * ```ts
 * const doc = packDocument(pack);
 * doc.sections.map((s) => s.title); // ["System and log", "Chain and registry", …]
 * ```
 */
export function packDocument(pack: EvidencePack, options: { organisation?: string } = {}): PackDocument {
  const { scope, system, logging, retention, verification } = pack;
  const model =
    scope.model.version === undefined ? scope.model.id : `${scope.model.id} ${scope.model.version}`;
  const org = options.organisation ?? system.genesis.org;
  const chainState = !verification.chain.checked
    ? "not checked against the chain"
    : verification.chain.ok
      ? "verified against the chain"
      : "chain check FAILED";
  return {
    title: ["Evidence pack: ", model, " — stream ", { code: scope.stream }],
    intro: [
      `${org === undefined ? "" : `Organisation: ${org}. `}Generated ${pack.generatedAt} by Ancora (format ${pack.format} v${pack.version}). Integrity: `,
      { strong: verification.ok ? "verified" : "FAILED" },
      ` (${plural(verification.local.checked, "record")}, ${plural(verification.local.checkpoints, "checkpoint")}; ${chainState}).`,
    ],
    sections: [
      {
        title: "System and log",
        blocks: [
          table(
            ["field", "value"],
            [
              ["stream", system.stream],
              ["created", `${system.genesis.ts} by ${system.genesis.createdBy}`],
              ["description", dash(system.genesis.description)],
              ["genesis record", { code: system.genesis.cid }],
              ["records in the stream", String(system.streamSize)],
              ["head", code(system.head)],
            ],
          ),
        ],
      },
      chainSection(pack),
      {
        title: "Automatic logging over the lifetime (Art. 12)",
        blocks: [
          p(logging.statement),
          p(
            `Decisions of ${model}: `,
            { strong: String(logging.decisions) },
            `, from ${dash(logging.firstDecision)} to ${dash(logging.lastDecision)}.`,
          ),
          table(
            ["model version", "artefact digest", "decisions", "first", "last"],
            logging.modelVersions.map((v) => [
              v.version,
              { code: v.hash },
              String(v.decisions),
              v.first,
              v.last,
            ]),
          ),
        ],
      },
      {
        title: "Reading the logs (Art. 13(3)(f))",
        blocks: [
          p(
            "Each record is a DAG-JSON object (docs/formats.md) whose CIDv1 covers its exact bytes; `prev` links each record to the one before it. A decision names the model version and artefact digest, commitments to its input and output, the score, the label id (resolved through the label registry below) and the config in force. The whole stream can be exported as JSON lines (`ancora export --format jsonl`) and checked by `ancora-verify --jsonl FILE`; one decision's receipt (`ancora receipt`) is checked by `ancora-verify --receipt FILE --rpc URL`.",
          ),
        ],
      },
      {
        title: "Retention (Art. 19(1), Art. 26(6))",
        blocks: [p(retention.statement)],
      },
      {
        title: "Configuration history",
        blocks: [
          p("Each change of the decision rule is itself a record in the chain, with who made it and why."),
          table(
            ["time", "threshold", "≥ threshold", "< threshold", "changed by", "reason", "decisions", "seq"],
            pack.configHistory.map((c) => [
              c.ts,
              String(c.threshold),
              `${c.aboveLabel.name} (${c.aboveLabel.id})`,
              `${c.belowLabel.name} (${c.belowLabel.id})`,
              c.changedBy,
              c.changeReason,
              String(c.decisions),
              String(c.seq),
            ]),
          ),
        ],
      },
      {
        title: "Label registry",
        blocks: [
          table(
            ["current name", "id", "history"],
            pack.labels.map((l) => [
              l.name,
              l.id,
              l.history.map((h) => `seq ${h.seq}: "${h.name}"`).join("; "),
            ]),
          ),
        ],
      },
      {
        title: "Decision distribution",
        blocks: [
          table(
            ["label", "id", "model version", "decisions"],
            pack.distribution.map((d) => [d.name, d.label, d.version, String(d.decisions)]),
          ),
        ],
      },
      {
        title: "Checkpoints and anchors",
        blocks: [
          p(
            `${plural(pack.checkpoints.length, "checkpoint")} stored; ${plural(pack.anchors.length, "anchor")} ${pack.anchors.length === 1 ? "commits" : "commit"} decisions of ${model}.`,
          ),
          table(
            ["size", "root", "head", "time", "anchored"],
            pack.checkpoints.map((c) => [
              String(c.size),
              { code: c.root },
              c.head,
              c.ts,
              c.anchored ? "yes" : "not yet",
            ]),
          ),
          table(
            [
              "records",
              "decisions",
              "root",
              "manifest CID",
              "transaction",
              "block",
              "block time",
              "confirmations",
            ],
            pack.anchors.map((a) => [
              `${a.fromSeq}–${a.size - 1}`,
              String(a.decisions),
              { code: a.root },
              a.manifestCid,
              { code: a.transaction },
              dash(a.block),
              dash(a.time),
              String(a.confirmations),
            ]),
          ),
        ],
      },
      verificationSection(pack),
      assessorSection(pack),
    ],
  };
}
