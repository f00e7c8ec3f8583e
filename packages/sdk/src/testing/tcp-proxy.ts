/**
 * A TCP proxy on 127.0.0.1 for outage tests: clients are given its URL, and the test takes the service
 * behind it away (`stop`: the listening socket is closed and every open connection cut, so a client
 * sees "connection refused" or a reset, as when a node or a network link goes down) and brings it back
 * on the same port (`start`). The port is chosen by the kernel (port 0) the first time.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;
  /** Connections accepted so far (each outage test can see that clients came back). */
  connections = 0;

  constructor(target: string | { host: string; port: number }) {
    if (typeof target === "string") {
      const url = new URL(target);
      this.#target = { host: url.hostname, port: Number(url.port) };
    } else {
      this.#target = target;
    }
  }

  /** The proxy's port (0 before the first start). */
  get port(): number {
    return this.#port;
  }

  /** `http://127.0.0.1:<port>`: the URL clients use instead of the target's. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Whether it is forwarding. */
  get up(): boolean {
    return this.#server !== undefined;
  }

  /** Starts listening (on port 0 the first time, then on the same port again) and forwarding. */
  async start(): Promise<string> {
    if (this.#server !== undefined) return this.url;
    const server = createServer((client) => this.#forward(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
    return this.url;
  }

  /** Stops: no new connection is accepted and every open one is cut. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await closed;
  }

  #forward(client: Socket): void {
    this.connections++;
    const upstream = createConnection(this.#target);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on("error", () => undefined); // a cut connection is the point of the exercise
      socket.on("close", () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
