/**
 * A throwaway PostgreSQL server for tests: Debian's `postgresql` package (installed with apt-get when
 * absent), a cluster in a temporary directory, listening on 127.0.0.1 on a free port, stopped and
 * deleted by `stop()` and, as a last resort, when the test process exits. `initdb` and `pg_ctl` refuse
 * to run as root, so as root they run as the `postgres` user (`runuser -u postgres --`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PostgresServer {
  /** Connection string of the cluster's `postgres` database, as the superuser `ancora`. */
  readonly url: string;
  readonly port: number;
  /** Creates an empty database `name` (letters, digits, `_`) and returns its connection string. */
  createDatabase(name: string): string;
  /** Stops the server (immediate shutdown) and deletes its directory. Safe to call twice. */
  stop(): void;
}

const PG_ROOT = "/usr/lib/postgresql";

/** The newest installed server's bin directory, if any. */
function findBin(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT)
    .filter(
      (v) => existsSync(join(PG_ROOT, v, "bin", "initdb")) && existsSync(join(PG_ROOT, v, "bin", "pg_ctl")),
    )
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_ROOT, versions[0], "bin");
}

/** The server binaries, installing Debian's package first when they are missing. */
export function postgresBin(): string {
  const found = findBin();
  if (found !== undefined) return found;
  const root = process.getuid?.() === 0;
  if (!root) {
    throw new Error(
      "PostgreSQL server binaries not found under /usr/lib/postgresql: install Debian's `postgresql` package (apt-get install postgresql).",
    );
  }
  process.stderr.write("PostgreSQL is not installed: apt-get install postgresql (about a minute)…\n");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "postgresql"], {
    stdio: ["ignore", "ignore", "inherit"],
    env,
  });
  const installed = findBin();
  if (installed === undefined) throw new Error("apt-get installed postgresql, but no initdb was found");
  return installed;
}

/** A port free on 127.0.0.1 right now (the server may still lose it to a race: start() retries). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a fresh cluster. Tests call `stop()` in `afterAll`; an exit hook stops it otherwise. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "ancora-pg-"));
  const data = join(dir, "data");
  if (root) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const run = (tool: string, args: string[]) => {
    const command = root ? "runuser" : join(bin, tool);
    const argv = root ? ["-u", "postgres", "--", join(bin, tool), ...args] : args;
    return spawnSync(command, argv, { encoding: "utf8", cwd: dir, timeout: 120_000 });
  };
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const init = run("initdb", [
    "-D",
    data,
    "-U",
    "ancora",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  if (init.status !== 0) {
    removeDir();
    throw new Error(`initdb failed (exit ${init.status}): ${init.stderr}`);
  }
  let port = 0;
  let lastError = "";
  for (let attempt = 0; attempt < 5 && port === 0; attempt++) {
    const candidate = await freePort();
    // Sockets in the cluster's own directory; TCP on loopback only. fsync and synchronous_commit stay
    // on (the defaults): acknowledged means durable, as in production.
    const options = `-h 127.0.0.1 -p ${candidate} -k ${dir} -c max_connections=200`;
    const started = run("pg_ctl", [
      "-D",
      data,
      "-o",
      options,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-t",
      "60",
      "start",
    ]);
    if (started.status === 0) port = candidate;
    else lastError = `${started.stdout}${started.stderr}`;
  }
  if (port === 0) {
    removeDir();
    throw new Error(`PostgreSQL did not start: ${lastError}`);
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", stop);
    run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    removeDir();
  };
  process.on("exit", stop);
  const url = `postgres://ancora@127.0.0.1:${port}/postgres`;
  const createDatabase = (name: string): string => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a database name: ${name}`);
    const created = spawnSync(join(bin, "psql"), ["-q", "-d", url, "-c", `CREATE DATABASE ${name}`], {
      encoding: "utf8",
    });
    if (created.status !== 0) throw new Error(`CREATE DATABASE ${name} failed: ${created.stderr}`);
    return url.replace(/\/postgres$/, `/${name}`);
  };
  return { url, port, createDatabase, stop };
}
