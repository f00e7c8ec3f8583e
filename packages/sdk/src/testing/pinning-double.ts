/**
 * A local stand-in for a pinning service's upload API (Pinata's `/files`, Kubo's `/api/v0/add`), for the
 * adapters' tests and the anchoring benchmark: it parses the multipart body, checks the bearer token,
 * answers per script (429 with Retry-After, 5xx, a wrong CID), else stores the file and reports the
 * CID of its bytes as the real service would. Pinata and Kubo themselves cannot be reached from here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { computeCid } from "@ancora/core";

/** What the double answers to the next uploads, in order; after the script, it stores the file. */
export type Script = Array<{ status: number; headers?: Record<string, string>; wrongCid?: boolean }>;

/** A stand-in for an upload API: parses the multipart body, answers per script, else stores the file. */
export class PinningDouble {
  readonly server: Server;
  readonly stored = new Map<string, number>();
  readonly bodies: Uint8Array[] = [];
  script: Script = [];
  requests = 0;
  readonly flavour: "pinata" | "kubo";
  readonly #token: string;
  constructor(flavour: "pinata" | "kubo", token: string) {
    this.flavour = flavour;
    this.#token = token;
    this.server = createServer((req, res) => void this.handle(req, res));
  }
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? "";
    const expected = this.flavour === "pinata" ? "/files" : "/api/v0/add";
    if (req.method !== "POST" || !path.startsWith(expected)) {
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
    if (file === undefined) {
      res.writeHead(400).end();
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    this.bodies.push(bytes);
    const cid = step?.wrongCid
      ? computeCid(new TextEncoder().encode("other")).toString()
      : computeCid(bytes).toString();
    this.stored.set(cid, (this.stored.get(cid) ?? 0) + 1);
    res.writeHead(200, { "content-type": "application/json" });
    if (this.flavour === "pinata") {
      res.end(
        JSON.stringify({
          data: { id: `id-${cid}`, name: file.name, cid, size: bytes.length, network: "public" },
        }),
      );
    } else {
      res.end(`${JSON.stringify({ Name: file.name, Hash: cid, Size: String(bytes.length) })}\n`);
    }
  }
}
