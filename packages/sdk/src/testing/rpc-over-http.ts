/**
 * Serves an EIP-1193 provider (Hardhat's in-process network) as a JSON-RPC endpoint on loopback, so code
 * that only takes an RPC URL (a worker thread, a child process) reaches the test's chain. `down` makes
 * the endpoint refuse every request, as a node that went away would, and `requireHeaders` makes it
 * answer 401 to requests without those headers, as a provider that takes its key in a header does.
 * `hang` names methods whose requests are never answered, as a node stuck mid-request would.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Eip1193 {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

interface JsonRpcRequest {
  id: number | string | null;
  method: string;
  params?: unknown;
}

export interface RpcEndpoint {
  url: string;
  /** While true, every request gets a 503 and no answer. */
  down: boolean;
  /** Headers every request must carry (names in lower case), else 401. */
  requireHeaders?: Record<string, string>;
  /** Methods whose requests are held open, unanswered, until the endpoint stops. */
  readonly hang: Set<string>;
  /** Requests answered, by method. */
  readonly calls: Map<string, number>;
  stop(): Promise<void>;
}

async function answer(provider: Eip1193, request: JsonRpcRequest): Promise<unknown> {
  try {
    const result = await provider.request({ method: request.method, params: request.params ?? [] });
    return { jsonrpc: "2.0", id: request.id, result: result ?? null };
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; data?: unknown };
    return {
      jsonrpc: "2.0",
      id: request.id,
      error: {
        code: typeof e.code === "number" ? e.code : -32603,
        message: typeof e.message === "string" ? e.message : "internal error",
        ...(e.data === undefined ? {} : { data: e.data }),
      },
    };
  }
}

/** Starts the endpoint on an ephemeral loopback port. */
export async function rpcOverHttp(provider: Eip1193): Promise<RpcEndpoint> {
  const calls = new Map<string, number>();
  const endpoint = { down: false, calls, hang: new Set<string>() } as RpcEndpoint;
  const server: Server = createServer(async (req, res) => {
    if (endpoint.down) {
      res.writeHead(503).end();
      return;
    }
    const required = Object.entries(endpoint.requireHeaders ?? {});
    if (required.some(([name, value]) => req.headers[name] !== value)) {
      res.writeHead(401).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: JsonRpcRequest | JsonRpcRequest[];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const requests = Array.isArray(body) ? body : [body];
    for (const r of requests) calls.set(r.method, (calls.get(r.method) ?? 0) + 1);
    if (requests.some((r) => endpoint.hang.has(r.method))) return; // closed by stop()
    const answers = [];
    for (const r of requests) answers.push(await answer(provider, r));
    // JSON cannot hold bigints; EIP-1193 providers answer with hex strings, so none are expected.
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(Array.isArray(body) ? answers : answers[0]));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  endpoint.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return endpoint;
}
