/**
 * The page: reads a receipt from the link's fragment, a pasted text or a file, runs {@link checkReceiptText}
 * and shows the outcome the way a person reads it. Everything shown is written with `textContent`, never
 * parsed as HTML: a receipt is attacker-controlled input.
 */
import "./style.css";
import { AncoraError, parseJson } from "@ancora/core";
import {
  type ConfigInForce,
  checkReceiptText,
  type PageOutcome,
  STEPS,
  type StepId,
  type StepState,
} from "./check.js";
import { VerifyPageError } from "./errors.js";
import { explainFailure } from "./explain.js";
import { MAX_RECEIPT_TEXT, readFragment } from "./link.js";
import { provenancePicture } from "./picture.js";

const STEP_TEXT: Record<StepId, string> = {
  record: "The record's fingerprint and its inclusion proof (checked in this browser)",
  chain: "The anchor on chain",
  ipfs: "The record and its decision rule on IPFS",
};
const STATE_TEXT: Record<StepState, string> = {
  running: "checking…",
  passed: "passed",
  failed: "failed",
  error: "could not check",
  skipped: "skipped",
};

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) {
    throw new VerifyPageError("PAGE_BUILD_BROKEN", `The page lacks #${id}`, {
      hint: "Rebuild the page (pnpm run build:verify-page) from an unmodified checkout.",
    });
  }
  return element as T;
}

const form = byId<HTMLFormElement>("form");
const receiptInput = byId<HTMLTextAreaElement>("receipt");
const fileInput = byId<HTMLInputElement>("file");
const rpcInput = byId<HTMLInputElement>("rpc");
const gatewayInput = byId<HTMLInputElement>("gateway");
const button = byId<HTMLButtonElement>("verify");
const inputError = byId<HTMLParagraphElement>("input-error");
const rpcFromLink = byId<HTMLParagraphElement>("rpc-from-link");
const progressSection = byId<HTMLElement>("progress-section");
const progress = byId<HTMLOListElement>("progress");
const result = byId<HTMLElement>("result");

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

/** A titled list of facts; rows without a value are left out. */
function facts(
  title: string,
  rows: readonly (readonly [string, string | undefined])[],
  id?: string,
): HTMLElement {
  const section = el("section", undefined, "facts");
  if (id !== undefined) section.id = id;
  section.append(el("h3", title));
  const list = el("dl");
  for (const [term, value] of rows) {
    if (value === undefined) continue;
    list.append(el("dt", term), el("dd", value));
  }
  section.append(list);
  return section;
}

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : `${iso
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC")
        .replace(/Z$/, " UTC")}`;
}

function showInputError(error: VerifyPageError): void {
  inputError.textContent = `${error.shortMessage}. ${error.hint ?? ""}`.trim();
  inputError.dataset.code = error.code;
  inputError.hidden = false;
  if (error.code.startsWith("PAGE_RPC")) rpcInput.focus();
  else if (error.code === "PAGE_GATEWAY_URL_INVALID") gatewayInput.focus();
  else receiptInput.focus();
}

function resetProgress(): void {
  progress.replaceChildren();
  for (const step of STEPS) {
    const item = el("li", undefined, "step pending");
    item.dataset.step = step;
    item.append(el("span", STEP_TEXT[step], "step-name"), el("span", "waiting", "step-state"));
    progress.append(item);
  }
  progressSection.hidden = false;
}

function setStep(step: StepId, state: StepState): void {
  const item = progress.querySelector<HTMLLIElement>(`li[data-step="${step}"]`);
  if (item === null) return;
  item.className = `step ${state}`;
  item.dataset.state = state;
  const label = item.querySelector(".step-state");
  if (label !== null) label.textContent = STATE_TEXT[state];
}

function configSection(
  config: ConfigInForce | undefined,
  score: number | undefined,
  label: string,
): HTMLElement {
  if (config === undefined) {
    const section = el("section", undefined, "facts");
    section.id = "config";
    section.append(
      el("h3", "Decision rule in force"),
      el(
        "p",
        "Give an IPFS gateway above to see the rule (threshold, who set it and why) in force for this decision.",
      ),
    );
    return section;
  }
  if (!config.found) {
    return facts(
      "Decision rule in force",
      [
        ["Config record", config.cid],
        ["Not available", config.reason],
      ],
      "config",
    );
  }
  const { body } = config;
  const named = (id: string) => {
    const name = config.labelNames.get(id);
    return name === undefined ? id : `${name} (${id})`;
  };
  const consistent =
    score === undefined || config.resolvedLabel === undefined
      ? undefined
      : config.resolvedLabel === label
        ? `Yes: score ${score} is ${score >= body.threshold ? "at or above" : "below"} the threshold, which gives ${named(label)}`
        : `No: this rule gives ${named(config.resolvedLabel)} for score ${score}, but the decision says ${named(label)}`;
  return facts(
    "Decision rule in force",
    [
      ["Threshold", String(body.threshold)],
      ["Label at or above it", named(body.aboveLabel)],
      ["Label below it", named(body.belowLabel)],
      ["Set by", body.changedBy],
      ["Reason given", body.changeReason],
      ["Set at", when(config.ts)],
      ["Label follows from the rule", consistent],
      ["Config record", `${config.cid} (position ${config.seq})`],
    ],
    "config",
  );
}

/** The decision's label, with its name when the config's label records gave one. */
function outcomeLabel(id: string, config: ConfigInForce | undefined): string {
  const name = config?.found === true ? config.labelNames.get(id) : undefined;
  return name === undefined ? id : `${name} (${id}, as named when the rule was set)`;
}

/** Failures found in the browser before any chain read: no chain node was asked. */
const OFFLINE_CODES: ReadonlySet<string> = new Set([
  "RECEIPT_INVALID",
  "RECEIPT_CID_MISMATCH",
  "RECEIPT_PROOF_INVALID",
]);

/** Where a check asked: scheme, host and port only (a provider's path or query may hold its API key). */
function originOf(url: string): string | undefined {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return undefined;
  }
}

/** The endpoints one check asked, as shown with its result. */
interface Asked {
  readonly rpc: string | undefined;
  readonly gateway: string | undefined;
}

function render(outcome: PageOutcome, asked: Asked): void {
  result.replaceChildren();
  result.dataset.outcome = outcome.kind;
  result.dataset.ms = String(outcome.ms);
  const heading = el("h2");
  heading.id = "result-heading";
  result.append(heading);
  if (outcome.kind === "error") {
    heading.textContent = "Could not verify";
    heading.className = "status unknown";
    result.dataset.code = outcome.error.code;
    result.append(
      el("p", `${outcome.error.shortMessage}.`, "reason"),
      el("p", outcome.error.hint ?? "", "hint"),
      el("p", "This says nothing about the receipt: the check could not be run.", "note"),
      facts("Asked", [["Chain node", asked.rpc]], "asked"),
    );
  } else if (outcome.kind === "not-verified") {
    const { failure } = outcome;
    const explanation = explainFailure(failure.code);
    heading.textContent = "Not verified";
    heading.className = "status bad";
    result.dataset.code = failure.code;
    result.append(
      el("p", `Failed check: ${explanation.check}.`, "reason"),
      el("p", explanation.meaning, "meaning"),
      facts(
        "Evidence",
        [
          ["Expected", failure.expected],
          ["Found", failure.found],
          ["Stream", failure.stream === "" ? undefined : failure.stream],
          ["Record position", failure.stream === "" ? undefined : String(failure.seq)],
          ["Code", failure.code],
          ["Chain node asked", OFFLINE_CODES.has(failure.code) ? undefined : asked.rpc],
        ],
        "evidence",
      ),
    );
  } else {
    const { result: verified, ipfs } = outcome;
    const { record, anchor, checkpoint } = verified;
    heading.textContent = "Verified";
    heading.className = "status good";
    result.dataset.code = "VERIFIED";
    result.append(
      el(
        "p",
        `This ${record.kind} record is exactly as the organisation logged it, and its log was anchored on chain ${anchor.chainId} at ${when(verified.anchoredAt)}: it existed, unchanged, by then.`,
        "reason",
      ),
    );
    const picture = el("figure", undefined, "picture");
    picture.id = "picture";
    picture.append(
      provenancePicture(outcome, ipfs?.config),
      el(
        "figcaption",
        "How it is proven: the record names its model and rule (its CID binds them), the inclusion proof puts it in the log, the anchor puts the log on chain.",
      ),
    );
    result.append(picture);
    if (!verified.latest) {
      result.append(
        el(
          "p",
          `The anchor is an older one (size ${checkpoint.size}; the stream is anchored up to ${verified.anchoredSize} records now). It was anchored as shown; that later anchors extend it is checked by a full verification of the log.`,
          "note",
        ),
      );
    }
    if (verified.ignored.length > 0) {
      result.append(
        el(
          "p",
          `An older receipt format: ${verified.ignored.join(" and ")} are not evidence and were not checked.`,
          "note",
        ),
      );
    }
    if (record.kind === "decision") {
      const { body } = record;
      result.append(
        facts(
          "Decision",
          [
            ["Model", body.model.id],
            ["Model version", body.model.version],
            ["Model artefact digest", body.model.hash],
            ["Outcome (label)", outcomeLabel(body.label, ipfs?.config)],
            ["Score", body.score === undefined ? undefined : String(body.score)],
            ["Decided at", when(record.ts)],
            ["Stream", record.stream],
            ["Position in the log", String(record.seq)],
            ["Record fingerprint (CID)", verified.cid.toString()],
          ],
          "decision",
        ),
        configSection(ipfs?.config, body.score, body.label),
      );
    } else {
      result.append(
        facts(
          "Record",
          [
            ["Kind", record.kind],
            ["Logged at", when(record.ts)],
            ["Stream", record.stream],
            ["Position in the log", String(record.seq)],
            ["Record fingerprint (CID)", verified.cid.toString()],
          ],
          "decision",
        ),
      );
    }
    result.append(
      facts(
        "Anchor on chain",
        [
          ["Chain id", String(anchor.chainId)],
          ["Registry contract", anchor.registry],
          ["Transaction", anchor.txHash],
          ["Block", String(anchor.blockNumber)],
          ["Block time", when(verified.anchoredAt)],
          ["Confirmations", String(verified.confirmations)],
          ["Records covered by the anchor", String(checkpoint.size)],
          ["Chain node asked", asked.rpc],
        ],
        "anchor",
      ),
    );
    if (ipfs !== undefined) {
      result.append(
        facts(
          "IPFS",
          [
            [
              "Record published",
              ipfs.record.published
                ? "Yes: the gateway serves exactly these bytes under the record's CID"
                : `No: ${ipfs.record.reason}`,
            ],
            ["Gateway asked", asked.gateway],
          ],
          "ipfs",
        ),
      );
    }
  }
  result.append(el("p", `Checked in ${outcome.ms} ms.`, "timing"));
  result.hidden = false;
  result.focus();
}

let running = false;

async function verify(): Promise<void> {
  if (running) return;
  running = true;
  button.disabled = true;
  button.textContent = "Verifying…";
  inputError.hidden = true;
  result.hidden = true;
  resetProgress();
  try {
    const asked = { rpc: originOf(rpcInput.value), gateway: originOf(gatewayInput.value) };
    const outcome = await checkReceiptText(receiptInput.value, {
      rpcUrl: rpcInput.value,
      gatewayUrl: gatewayInput.value,
      onStep: setStep,
    });
    render(outcome, asked);
  } catch (error) {
    progressSection.hidden = true;
    if (error instanceof VerifyPageError) showInputError(error);
    else if (error instanceof AncoraError) {
      render({ kind: "error", error, ms: 0 }, { rpc: originOf(rpcInput.value), gateway: undefined });
    } else throw error;
  } finally {
    running = false;
    button.disabled = false;
    button.textContent = "Verify receipt";
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void verify();
});

fileInput.addEventListener("change", () => {
  const file = fileInput.files?.[0];
  if (file === undefined) return;
  if (file.size > MAX_RECEIPT_TEXT) {
    showInputError(
      new VerifyPageError("PAGE_RECEIPT_TOO_LARGE", "The file is larger than any receipt", {
        hint: "Check that this is the receipt file you were given.",
      }),
    );
    return;
  }
  void file.text().then((text) => {
    receiptInput.value = text;
    inputError.hidden = true;
    // Nothing is verified before the person presses Verify: they first see which chain node is asked.
    (rpcInput.value.trim() === "" ? rpcInput : button).focus();
  });
});

function loadFragment(): void {
  try {
    const params = readFragment(window.location.hash);
    // A link may suggest a chain node, but whoever made the link may run a node that lies: it is filled
    // in with a warning and never asked before the person presses Verify.
    if (params.rpc !== undefined) rpcInput.value = params.rpc;
    rpcFromLink.hidden = params.rpc === undefined;
    if (params.gateway !== undefined) gatewayInput.value = params.gateway;
    if (params.receipt === undefined) return;
    fileInput.value = "";
    try {
      receiptInput.value = JSON.stringify(parseJson(params.receipt), null, 2);
    } catch {
      receiptInput.value = params.receipt; // verification says what is wrong with it
    }
    rpcInput.focus();
  } catch (error) {
    if (error instanceof VerifyPageError) showInputError(error);
    else throw error;
  }
}

rpcInput.addEventListener("input", () => {
  rpcFromLink.hidden = true;
});
window.addEventListener("hashchange", loadFragment);
loadFragment();
document.body.dataset.ready = "true";
