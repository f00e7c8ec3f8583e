/**
 * A local stand-in for a pinning service's upload API, for the adapters' tests and the anchoring
 * benchmark (Pinata and Kubo themselves cannot be reached from here). It checks the bearer token,
 * answers per script (429 with Retry-After, 5xx, a wrong CID), else stores what was uploaded and
 * reports the CID the real service would:
 *
 * - Pinata, `POST /files` (multipart: `file`, `network`, `name`, optional `car=true`): a file's CID is
 *   the raw CID of its bytes; with `car=true` the file is a CAR, every block is stored and `data.cid` is
 *   its root. Pinata's v3 reference ("Upload a File", docs.pinata.cloud/api-reference/endpoint/
 *   upload-a-file) takes `car` only on the public network: a private CAR upload is a 400 here.
 * - Kubo, `POST /api/v0/add` (multipart file) answers `{ Name, Hash, Size }`; `POST /api/v0/dag/import`
 *   (multipart CAR, `pin-roots`) answers NDJSON `{"Root":{"Cid":{"/":…},"PinErrorMsg":""}}` per root
 *   (the shape kubo-rpc-client's dag/import.js parses; NDJSON per ipfs/ipfs-docs#1980), with a non-empty
 *   `PinErrorMsg` when a block the root links is missing, and a 500 `{ Message, Code, Type }` (Kubo's
 *   error shape) for a malformed CAR or a block that does not match its CID.
 *
 * Every CAR block is checked against its CID (sha2-256) before anything is stored, and a CAR rooted at a
 * dag-pb node must hold every block the root links (the double is stricter than needed on purpose: an
 * upload that would leave records unpinned must fail a test).
 */
import { hash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type CID, computeCid } from "@ancora/core";
import * as dagPb from "@ipld/dag-pb";
import { readCar } from "../ipfs/car.js";

/** What the double answers to the next uploads, in order; after the script, it stores the upload. */
export type Script = Array<{ status: number; headers?: Record<string, string>; wrongCid?: boolean }>;

/** One accepted upload: a file (its raw CID) or a CAR (its root and the CIDs of its blocks). */
export interface DoubleUpload {
  kind: "file" | "car";
  cid: string;
  blocks: string[];
}

const SHA2_256 = 0x12;

/** Why a CAR is refused, or its root and blocks (each checked against its CID). */
function checkCar(
  bytes: Uint8Array,
): { error: string } | { root: CID; blocks: Map<string, Uint8Array>; missing: string[] } {
  let car: ReturnType<typeof readCar>;
  try {
    car = readCar(bytes);
  } catch {
    return { error: "malformed CAR" };
  }
  const root = car.roots[0];
  if (car.roots.length !== 1 || root === undefined) return { error: "expected exactly one root" };
  const blocks = new Map<string, Uint8Array>();
  for (const block of car.blocks) {
    const digest = hash("sha256", block.bytes, "buffer");
    if (block.cid.multihash.code !== SHA2_256 || !digest.equals(block.cid.multihash.digest)) {
      return { error: `block ${block.cid.toString()} does not match its CID` };
    }
    blocks.set(block.cid.toString(), block.bytes);
  }
  const missing: string[] = [];
  const rootBytes = blocks.get(root.toString());
  if (rootBytes === undefined) missing.push(root.toString());
  else if (root.code === dagPb.code) {
    for (const link of dagPb.decode(rootBytes).Links) {
      if (!blocks.has(link.Hash.toString())) missing.push(link.Hash.toString());
    }
  }
  return { root, blocks, missing };
}

/** A stand-in for an upload API: parses the multipart body, answers per script, else stores the upload. */
export class PinningDouble {
  readonly server: Server;
  /** How many times each CID was stored (a file, or each block of a CAR). */
  readonly stored = new Map<string, number>();
  /** The uploaded files' bytes (a CAR's bytes for a CAR upload), in order. */
  readonly bodies: Uint8Array[] = [];
  /** The accepted uploads, in order. */
  readonly uploads: DoubleUpload[] = [];
  script: Script = [];
  requests = 0;
  readonly flavour: "pinata" | "kubo";
  readonly #token: string;
  constructor(flavour: "pinata" | "kubo", token: string) {
    this.flavour = flavour;
    this.#token = token;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  #store(upload: DoubleUpload, body: Uint8Array): void {
    this.bodies.push(body);
    this.uploads.push(upload);
    for (const cid of upload.blocks) this.stored.set(cid, (this.stored.get(cid) ?? 0) + 1);
  }

  #error(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(
      this.flavour === "kubo"
        ? JSON.stringify({ Message: message, Code: 0, Type: "error" })
        : JSON.stringify({ error: message }),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://double");
    const paths = this.flavour === "pinata" ? ["/files"] : ["/api/v0/add", "/api/v0/dag/import"];
    if (req.method !== "POST" || !paths.includes(url.pathname)) {
      res.writeHead(404).end();
      return;
    }
    if (req.headers.authorization !== `Bearer ${this.#token}`) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":"Unauthorized"}');
      return;
    }
    const step = this.script.shift();
    if (step !== undefined && step.status !== 200) {
      res.writeHead(step.status, { "content-type": "application/json", ...step.headers });
      res.end(this.flavour === "kubo" ? '{"Message":"busy","Code":0,"Type":"error"}' : '{"error":"busy"}');
      return;
    }
    const form = await new Request("http://x/", {
      method: "POST",
      headers: { "content-type": req.headers["content-type"] ?? "" },
      body: Buffer.concat(chunks),
    }).formData();
    const file = [...form.values()].find((v): v is File => typeof v !== "string");
    if (file === undefined) return this.#error(res, 400, "no file in the request");
    const bytes = new Uint8Array(await file.arrayBuffer());
    const other = computeCid(new TextEncoder().encode("other")).toString();
    const isCar = this.flavour === "pinata" ? form.get("car") === "true" : url.pathname.endsWith("/import");
    if (!isCar) {
      const cid = computeCid(bytes).toString();
      this.#store({ kind: "file", cid, blocks: [cid] }, bytes);
      const reported = step?.wrongCid ? other : cid;
      res.writeHead(200, { "content-type": "application/json" });
      if (this.flavour === "pinata") {
        res.end(
          JSON.stringify({
            data: { id: `id-${cid}`, name: file.name, cid: reported, size: bytes.length, network: "public" },
          }),
        );
      } else {
        res.end(`${JSON.stringify({ Name: file.name, Hash: reported, Size: String(bytes.length) })}\n`);
      }
      return;
    }
    if (this.flavour === "pinata" && form.get("network") !== "public") {
      return this.#error(res, 400, "CAR uploads are only supported on the public network");
    }
    const checked = checkCar(bytes);
    if ("error" in checked) return this.#error(res, this.flavour === "kubo" ? 500 : 400, checked.error);
    const pinRoots = url.searchParams.get("pin-roots") !== "false";
    if (this.flavour === "pinata" && checked.missing.length > 0) {
      return this.#error(res, 400, "the CAR does not hold its whole DAG");
    }
    const root = checked.root.toString();
    this.#store({ kind: "car", cid: root, blocks: [...checked.blocks.keys()] }, bytes);
    const reported = step?.wrongCid ? other : root;
    res.writeHead(200, { "content-type": "application/json" });
    if (this.flavour === "pinata") {
      res.end(
        JSON.stringify({
          data: { id: `id-${root}`, name: file.name, cid: reported, size: bytes.length, network: "public" },
        }),
      );
      return;
    }
    const pinError = checked.missing.length > 0 ? `block was not found locally: ${checked.missing[0]}` : "";
    res.end(
      pinRoots ? `${JSON.stringify({ Root: { Cid: { "/": reported }, PinErrorMsg: pinError } })}\n` : "",
    );
  }
}
